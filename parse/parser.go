package parse

import (
	"bytes"
	"time"
)

// Parser turns one log record (a line without its newline, or one frame) into
// a Record. It detects the outer format per record, so one Parser reads a
// mixed archive. A Parser is not safe for concurrent use; give each goroutine
// its own. The zero value is not ready: use NewParser.
type Parser struct {
	// Year is the year given to timestamps that carry none (Papertrail's
	// "Jan 08 10:55:11"). NewParser sets it to the current UTC year.
	Year int64

	minute  minuteCache
	strs    interner // process, source, dyno, method, code, protocol
	scratch []byte   // a line with its ANSI escapes removed
}

// NewParser returns a Parser ready for use.
func NewParser() *Parser {
	return &Parser{
		Year: int64(time.Now().UTC().Year()),
		strs: newInterner(8192),
	}
}

// Parse fills r from one record. line must not contain the record's
// trailing newline (a trailing "\r" is removed here). The []byte fields of r
// point into line (or into the Parser's scratch space) and are valid until
// the next call. r.Line and r.Offset are left as they are.
func (p *Parser) Parse(line []byte, r *Record) {
	p.parse(line, r, true, true)
}

// parse is Parse for a line that the caller knows contains no ESC byte
// when esc is false and no '#' when hash is false (Reader.mayHave).
func (p *Parser) parse(line []byte, r *Record, esc, hash bool) {
	ln, off := r.Line, r.Offset
	r.reset()
	r.Line, r.Offset = ln, off

	for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
		line = line[:len(line)-1]
	}
	if esc && bytes.IndexByte(line, 0x1b) >= 0 {
		p.scratch = stripANSI(p.scratch[:0], line)
		line = p.scratch
	}
	if isBlank(line) {
		r.Kind = KindBlank
		return
	}
	c := line[0]
	switch {
	case c >= '0' && c <= '9':
		if len(line) >= 20 && line[4] == '-' {
			p.parseCLI(line, r, hash)
			return
		}
		if i := frameHeader(line); i > 0 {
			// An octet-counted frame given to Parse directly: drop the length.
			line = line[i:]
			if len(line) > 0 && line[0] == '<' {
				p.parseSyslog(line, r)
				r.Format = FormatFrame
				return
			}
		}
		if bytes.IndexByte(line, '\t') > 0 {
			p.parseTSV(line, r)
			return
		}
	case c == '<':
		p.parseSyslog(line, r)
		return
	case c >= 'A' && c <= 'Z' && len(line) >= 16 && line[3] == ' ':
		if us, ok := parseBSD(line, p.Year); ok {
			p.parsePapertrail(line[15:], us, r)
			return
		}
	}
	// No envelope: a bare message body, as users paste them.
	r.Format = FormatNone
	r.Message = line
	p.classify(r)
}

// isBlank reports whether b is empty or only spaces and tabs.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// stripANSI appends b to dst without CSI escape sequences (ESC [ params
// final) and other two-byte ESC sequences.
func stripANSI(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] != 0x1b {
			dst = append(dst, b[i])
			continue
		}
		if i+1 < len(b) && b[i+1] == '[' {
			j := i + 2
			for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
				j++
			}
			i = j // skip the final byte too
			continue
		}
		i++ // ESC + one byte
	}
	return dst
}

// frameHeader returns the length of an RFC 6587 octet-count prefix ("123 ")
// at the start of b when it is followed by "<", or 0.
func frameHeader(b []byte) int {
	i := 0
	for i < len(b) && i < 8 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(b) || b[i] != ' ' || b[i+1] != '<' {
		return 0
	}
	return i + 1
}

// nextField returns the space-delimited token at the start of b (after any
// spaces) and the rest after it.
func nextField(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	b = b[i:]
	j := bytes.IndexByte(b, ' ')
	if j < 0 {
		return b, nil
	}
	return b[:j], b[j+1:]
}

// trimMessage removes leading and trailing spaces (Papertrail adds two in
// front and one behind).
func trimMessage(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

var (
	prefixRouter = []byte("heroku[router]: ")
)

// parseCLI reads `heroku logs` output: TS source[dyno]: msg, and its
// variants (a drain token before the source, no colon, the drain-like
// "heroku router - -" form). hash is false when line is known to contain
// no '#' (so no "sample#").
func (p *Parser) parseCLI(line []byte, r *Record, hash bool) {
	us, n, ok := p.minute.parseISO(line)
	if !ok {
		r.Format = FormatCLI
		r.Kind = KindMalformed
		r.Problem = "bad timestamp"
		r.Message = line
		return
	}
	r.Format = FormatCLI
	r.Time, r.HasTime = us, true
	rest := line[n:]
	if len(rest) == 0 || rest[0] != ' ' {
		r.Kind = KindMalformed
		r.Problem = "nothing after the timestamp"
		return
	}
	rest = rest[1:]
	// Fast path: the router, by far the most common line.
	// (Two constant 8-byte compares: one of 16 would call memequal.)
	if len(rest) > len(prefixRouter) && string(rest[:8]) == "heroku[r" && string(rest[8:16]) == "outer]: " {
		r.Source, r.Process = "heroku", "router"
		msg := rest[len(prefixRouter):]
		r.Message = msg
		if hasKey(msg, "at=") && !(hash && hasSample(msg)) {
			// The usual router message, straight to routerKV: what classify
			// and parseRouter do with an "at=" message without "sample#"
			// (TestParseCLIRouterShortcut).
			// routerKV, one call less (Clamped and BadField are unset here).
			if !p.fastRouter(msg, r) {
				p.slowRouter(msg, r, false, "")
			}
			if r.Method == "" && r.Code == "" {
				r.Kind = KindMalformed
				r.Problem = "router line without method or code"
				return
			}
			r.Kind = KindRouter
			return
		}
		p.classify(r)
		return
	}
	tok, after := nextField(rest)
	if bytes.HasPrefix(tok, []byte("d.")) && bytes.IndexByte(tok, '[') < 0 {
		// Drain token: "TS d.<uuid> app[web.1] msg" or "TS d.<id> heroku logplex - - msg".
		tok, after = nextField(after)
	}
	if lb := bytes.IndexByte(tok, '['); lb > 0 {
		rb := bytes.IndexByte(tok[lb:], ']')
		if rb < 0 {
			r.Kind = KindMalformed
			r.Problem = "unclosed [ in source"
			r.Message = rest
			return
		}
		r.Source = p.strs.get(tok[:lb])
		r.Process = p.strs.get(tok[lb+1 : lb+rb])
		// After "source[dyno]" comes ":" and a space, or (drain-ID form) just
		// a space; the message is everything after that one space.
		r.Message = after
		p.classify(r)
		return
	}
	if string(tok) == "heroku" || string(tok) == "app" {
		// "TS heroku router - - msg" (live-tail services, drain lines pasted).
		proc, after2 := nextField(after)
		if len(proc) > 0 {
			r.Source = p.strs.get(tok)
			r.Process = p.strs.get(proc)
			r.Message = skipNil(after2)
			p.classify(r)
			return
		}
	}
	// A timestamp followed by something else: keep the body, classify it.
	r.Message = rest
	p.classify(r)
}

// skipNil drops the "-" (MSGID) or "- -" (MSGID and SD) that syslog puts
// before the message.
func skipNil(b []byte) []byte {
	if len(b) >= 2 && b[0] == '-' && b[1] == ' ' {
		b = b[2:]
		if len(b) >= 2 && b[0] == '-' && b[1] == ' ' {
			b = b[2:]
		} else if len(b) == 1 && b[0] == '-' {
			b = b[1:]
		}
	} else if len(b) == 1 && b[0] == '-' {
		b = b[1:]
	}
	return b
}

// isToken reports whether a syslog field is a Logplex drain or token id
// (d.<uuid>, t.<uuid>) rather than a process name.
func isToken(b []byte) bool {
	return len(b) > 20 && (b[0] == 'd' || b[0] == 't') && b[1] == '.'
}

// parseSyslog reads RFC 5424 as Logplex sends it: <PRI>1 TS HOST APP PROCID
// MSGID [SD] MSG, where Heroku omits SD without a NILVALUE.
func (p *Parser) parseSyslog(line []byte, r *Record) {
	r.Format = FormatSyslog
	gt := bytes.IndexByte(line, '>')
	if gt < 2 || gt > 4 {
		r.Kind = KindMalformed
		r.Problem = "bad syslog priority"
		r.Message = line
		return
	}
	rest := line[gt+1:]
	// Version: "1 " (RFC 5424); tolerate its absence.
	if len(rest) >= 2 && rest[0] >= '0' && rest[0] <= '9' && rest[1] == ' ' {
		rest = rest[2:]
	}
	us, n, ok := p.minute.parseISO(rest)
	if !ok {
		r.Kind = KindMalformed
		r.Problem = "bad syslog timestamp"
		r.Message = rest
		return
	}
	r.Time, r.HasTime = us, true
	rest = rest[n:]
	host, rest := nextField(rest)
	app, rest := nextField(rest)
	proc, rest := nextField(rest)
	if len(proc) == 0 {
		r.Kind = KindMalformed
		r.Problem = "syslog header cut short"
		r.Message = line
		return
	}
	source := app
	if isToken(proc) {
		// 2012 beta layout: "heroku web.3 d.<uuid> - msg".
		proc, source = app, host
	}
	if string(source) == "app" || string(source) == "heroku" {
		r.Source = p.strs.get(source)
	}
	r.Process = p.strs.get(proc)
	// MSGID, then (non-Heroku senders) structured data.
	msgid, body := nextField(rest)
	_ = msgid
	if len(body) >= 2 && body[0] == '-' && body[1] == ' ' {
		body = body[2:]
	} else if len(body) == 1 && body[0] == '-' {
		body = body[1:]
	} else if r.Source == "" && len(body) > 0 && body[0] == '[' {
		body = skipSD(body)
	}
	r.Message = body
	p.classify(r)
}

// skipSD skips RFC 5424 structured-data elements ([id k="v" ...]...) and the
// space after them.
func skipSD(b []byte) []byte {
	for len(b) > 0 && b[0] == '[' {
		i, inQuote := 1, false
		for ; i < len(b); i++ {
			c := b[i]
			if c == '\\' && inQuote {
				i++
				continue
			}
			if c == '"' {
				inQuote = !inQuote
			} else if c == ']' && !inQuote {
				break
			}
		}
		if i >= len(b) {
			return b
		}
		b = b[i+1:]
	}
	if len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// parsePapertrail reads the rest of a Papertrail text line after its
// 15-byte timestamp: " system source/dyno:  msg ".
func (p *Parser) parsePapertrail(rest []byte, us int64, r *Record) {
	r.Format = FormatPapertrail
	r.Time, r.HasTime = us, true
	_, rest = nextField(rest) // system name
	prog, msg := nextField(rest)
	if len(prog) > 0 && prog[len(prog)-1] == ':' {
		prog = prog[:len(prog)-1]
	}
	p.setProgram(prog, r)
	r.Message = trimMessage(msg)
	p.classify(r)
}

// setProgram splits "heroku/router" or "app/web.1" into source and process.
func (p *Parser) setProgram(prog []byte, r *Record) {
	if sl := bytes.IndexByte(prog, '/'); sl > 0 {
		r.Source = p.strs.get(prog[:sl])
		r.Process = p.strs.get(prog[sl+1:])
	} else if len(prog) > 0 {
		r.Process = p.strs.get(prog)
	}
}

// parseTSV reads a Papertrail archive row: id, generated_at, received_at,
// source_id, source_name, source_ip, facility_name, severity_name, program,
// message.
func (p *Parser) parseTSV(line []byte, r *Record) {
	r.Format = FormatTSV
	var cols [9][]byte
	rest := line
	for i := 0; i < 9; i++ {
		t := bytes.IndexByte(rest, '\t')
		if t < 0 {
			r.Kind = KindMalformed
			r.Problem = "archive row with fewer than 10 columns"
			r.Message = line
			return
		}
		cols[i], rest = rest[:t], rest[t+1:]
	}
	if us, _, ok := p.minute.parseISO(cols[1]); ok {
		r.Time, r.HasTime = us, true
	} else if us, _, ok := p.minute.parseISO(cols[2]); ok {
		r.Time, r.HasTime = us, true
	}
	p.setProgram(cols[8], r)
	r.Message = rest
	p.classify(r)
}
