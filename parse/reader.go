package parse

import (
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLine is the default longest record (line or frame) a Reader
// parses, in bytes. Heroku splits dyno output at 10,000 bytes, so anything
// much longer is not a Heroku log line; longer records are counted as
// KindOversize and skipped without being held in memory.
const DefaultMaxLine = 1 << 20

// Reader reads records from a stream: newline-separated lines, RFC 6587
// octet-counted frames (an HTTPS drain body, frames back to back with or
// without newlines), or any mix. It owns one buffer and allocates nothing
// per record.
//
// It does not use bufio.Scanner (which fails on lines over 64 KiB) nor
// bufio.Reader: framing needs to look ahead a frame's length, which may be
// longer than a bufio.Reader's fixed buffer. Its own buffer grows up to
// MaxLine and never beyond.
type Reader struct {
	rd     io.Reader
	p      *Parser
	rec    Record
	buf    []byte
	own    []byte // the Reader's own buffer while buf is a caller's (ResetBytes)
	start  int    // first unconsumed byte in buf
	end    int    // end of valid data in buf
	err    error
	line   int64 // physical lines consumed so far
	offset int64 // bytes consumed so far
	// escAt and hashAt look ahead for the two bytes Parse searches every
	// line for, ESC (an ANSI escape to strip) and '#' ("sample#", which
	// keeps a router line off the fast path): each is the index in buf of
	// the first such byte at or after the start of the line last checked,
	// noneAhead when buf[that start:end] has none, or -1 when unknown. Both
	// are rare, so one search usually answers for many lines (see
	// mayHave); fill, which moves and extends the data, resets them.
	escAt, hashAt int

	// MaxLine is the longest record parsed, in bytes (DefaultMaxLine if 0).
	MaxLine int
}

// NewReader returns a Reader over rd that parses with p (a new Parser if p
// is nil).
func NewReader(rd io.Reader, p *Parser) *Reader {
	if p == nil {
		p = NewParser()
	}
	return &Reader{rd: rd, p: p, buf: make([]byte, 256<<10), escAt: -1, hashAt: -1}
}

// noneAhead is a look-ahead index (Reader.escAt, hashAt) meaning no such
// byte up to the end of the data.
const noneAhead = int(^uint(0) >> 1)

// mayHave reports whether buf[s:e] (a line; s never decreases between
// calls until the look-ahead is reset) contains c, with *at the look-ahead
// for c: a search from s to the end of the data is made only when the byte
// found last lies before s.
func (r *Reader) mayHave(at *int, c byte, s, e int) bool {
	if *at < s {
		if i := bytes.IndexByte(r.buf[s:r.end], c); i >= 0 {
			*at = s + i
		} else {
			*at = noneAhead
		}
	}
	return *at < e
}

// Reset makes the Reader read from rd, keeping its buffer and Parser, with
// line and byte counts starting again at zero.
func (r *Reader) Reset(rd io.Reader) {
	if r.own != nil {
		r.buf, r.own = r.own, nil
	}
	r.rd, r.start, r.end, r.err, r.line, r.offset = rd, 0, 0, nil, 0, 0
	r.escAt, r.hashAt = -1, -1
}

// Parser returns the Parser the Reader uses.
func (r *Reader) Parser() *Parser { return r.p }

// Line returns the number of physical lines consumed so far.
func (r *Reader) Line() int64 { return r.line }

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.offset }

func (r *Reader) maxLine() int {
	if r.MaxLine > 0 {
		return r.MaxLine
	}
	return DefaultMaxLine
}

// fill reads more input, moving unconsumed bytes to the front and growing
// the buffer (up to MaxLine plus slack) when it is full. It returns false
// when no more data can be added (error, EOF, or a full buffer at the cap).
func (r *Reader) fill() bool {
	if r.err != nil {
		return false
	}
	r.escAt, r.hashAt = -1, -1
	if r.start > 0 {
		copy(r.buf, r.buf[r.start:r.end])
		r.end -= r.start
		r.start = 0
	}
	if r.end == len(r.buf) {
		limit := r.maxLine() + 64
		if len(r.buf) >= limit {
			return false
		}
		n := 2 * len(r.buf)
		if n > limit {
			n = limit
		}
		nb := make([]byte, n)
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.rd.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.err = io.ErrNoProgress
	return false
}

// Next reads and parses the next record. The returned Record is owned by
// the Reader and valid until the next call. At the end of input Next
// returns io.EOF; a read error (a truncated gzip stream, say) is returned
// as is, after every complete record before it.
func (r *Reader) Next() (*Record, error) {
	if r.start == r.end && !r.fill() {
		return nil, r.finalErr()
	}
	// A frame starts with a digit; a `heroku logs` timestamp does too, but
	// is told apart here (see frameAt) without a call.
	if c := r.buf[r.start]; c >= '0' && c <= '9' && !r.dateAt() {
		if fh := r.frameAt(); fh > 0 {
			if rec, ok := r.nextFrame(fh); ok {
				return rec, nil
			}
		}
	}
	return r.nextLine()
}

// dateAt reports whether the data at r.start, which starts with a digit,
// cannot start a frame header because it looks like "2026-...": a
// header's digits end at a space, and here the first non-digit among
// bytes 1-4 is not one.
func (r *Reader) dateAt() bool {
	b := r.buf[r.start:r.end]
	return len(b) >= 5 && b[4] == '-' && b[1] != ' ' && b[2] != ' ' && b[3] != ' '
}

func (r *Reader) finalErr() error {
	if r.err == nil || r.err == io.EOF {
		return io.EOF
	}
	return r.err
}

// frameAt returns the length of an octet-count header at r.start ("123 <")
// or 0, reading more input if the header might be cut.
func (r *Reader) frameAt() int {
	if c := r.buf[r.start]; c < '0' || c > '9' {
		return 0
	}
	if r.end-r.start < 12 {
		r.fill()
	}
	return frameHeader(r.buf[r.start:r.end])
}

// nextFrame takes one octet-counted frame if its length is plausible: it
// must end at a newline, at the end of input, or just before another frame.
// Otherwise the record is read as a line.
func (r *Reader) nextFrame(fh int) (*Record, bool) {
	var n int
	for _, c := range r.buf[r.start : r.start+fh-1] {
		n = n*10 + int(c-'0')
	}
	if n <= 0 || n > r.maxLine() {
		return nil, false
	}
	total := fh + n
	for r.end-r.start < total+12 && r.fill() {
	}
	if r.end-r.start < total {
		return nil, false // cut short: read what there is as a line
	}
	b := r.buf[r.start : r.start+total]
	next := r.buf[r.start+total : r.end]
	if b[len(b)-1] != '\n' && len(next) > 0 && next[0] != '\n' && next[0] != '\r' && frameHeader(next) == 0 {
		return nil, false
	}
	rec := &r.rec
	rec.Line, rec.Offset = r.line+1, r.offset
	r.line += int64(bytes.Count(b, []byte{'\n'}))
	r.consume(total)
	// A frame that ends exactly before a newline separator: eat it.
	if len(next) > 0 && b[len(b)-1] != '\n' && next[0] == '\n' {
		r.line++
		r.consume(1)
	}
	body := b[fh:]
	// Newlines inside a frame (rare) would end the body early in Parse; keep
	// them: Parse trims only trailing ones.
	r.p.Parse(body, rec)
	if rec.Format == FormatSyslog {
		rec.Format = FormatFrame
	}
	return rec, true
}

func (r *Reader) consume(n int) {
	r.start += n
	r.offset += int64(n)
}

// nextLine takes a line (up to and including '\n'). A line longer than
// MaxLine is skipped to its end and reported as KindOversize.
func (r *Reader) nextLine() (*Record, error) {
	rec := &r.rec
	scanned := 0
	for {
		if i := bytes.IndexByte(r.buf[r.start+scanned:r.end], '\n'); i >= 0 {
			end := r.start + scanned + i
			line := r.buf[r.start:end]
			rec.Line, rec.Offset = r.line+1, r.offset
			r.line++
			r.consume(end + 1 - r.start)
			if len(line) > r.maxLine() {
				rec.reset()
				rec.Kind = KindOversize
				rec.Problem = "line longer than the limit"
				rec.Line, rec.Offset = r.line, r.offset-int64(len(line))-1
				return rec, nil
			}
			// Back-to-back frames after a newline-less frame start are handled
			// by Next; here the line is one record.
			// Usually both look-aheads lie past the line: two compares.
			esc, hash := false, false
			if r.escAt < end || r.hashAt < end {
				s := end - len(line)
				esc, hash = r.mayHave(&r.escAt, 0x1b, s, end), r.mayHave(&r.hashAt, '#', s, end)
			}
			r.p.parse(line, rec, esc, hash)
			return rec, nil
		}
		scanned = r.end - r.start
		if scanned >= r.maxLine() || !r.fill() {
			break
		}
	}
	if r.start == r.end {
		return nil, r.finalErr()
	}
	if r.end-r.start >= r.maxLine() {
		return r.skipOversize()
	}
	// Last line without a newline (end of input or a read error).
	line := r.buf[r.start:r.end]
	rec.Line, rec.Offset = r.line+1, r.offset
	r.line++
	r.consume(len(line))
	r.p.Parse(line, rec)
	return rec, nil
}

// skipOversize discards input up to and including the next newline and
// returns a KindOversize record for it.
func (r *Reader) skipOversize() (*Record, error) {
	rec := &r.rec
	rec.reset()
	rec.Kind = KindOversize
	rec.Problem = "line longer than the limit"
	rec.Line, rec.Offset = r.line+1, r.offset
	r.line++
	for {
		if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
			r.consume(i + 1)
			return rec, nil
		}
		r.consume(r.end - r.start)
		if !r.fill() {
			if r.err != nil && !errors.Is(r.err, io.EOF) {
				return rec, nil // the error surfaces on the next call
			}
			return rec, nil
		}
	}
}
