package parse

import "bytes"

// classify sets r.Kind (and the typed fields) from r.Source, r.Process and
// r.Message.
func (p *Parser) classify(r *Record) {
	msg := r.Message
	proc := r.Process
	switch {
	case proc == "router":
		if hasSample(msg) {
			p.parseMetrics(r)
			return
		}
		p.parseRouter(r)
		if r.Kind == KindUnparsed {
			r.Kind = KindMalformed
			if r.Problem == "" {
				r.Problem = "unrecognised router message"
			}
		}
		return
	case proc == "logplex" || proc == "log-shuttle":
		if p.parseLogplex(r) {
			return
		}
		if r.Source == "app" {
			r.Kind = KindApp
		} else {
			r.Kind = KindPlatform
		}
		return
	case r.Source == "app":
		if isLCode(msg) && p.parseLogplex(r) {
			return
		}
		if bytes.HasPrefix(msg, []byte("source=")) && bytes.Contains(msg, []byte("sample#")) {
			p.parseMetrics(r)
			return
		}
		if bytes.HasPrefix(msg, []byte("Error R1")) && isDynoName(proc) {
			// R13 (Attach error) is logged as app[run.N].
			p.parseDyno(r)
			return
		}
		r.Kind = KindApp
		return
	case r.Source == "heroku":
		if isLCode(msg) && p.parseLogplex(r) {
			return
		}
		if bytes.Contains(msg, []byte("sample#")) {
			p.parseMetrics(r)
			return
		}
		if isDynoName(proc) {
			p.parseDyno(r)
			return
		}
		r.Kind = KindPlatform
		return
	}
	// Unknown source: a bare message body, a non-Heroku syslog sender, or an
	// envelope without a source. Judge by content, strictly.
	switch {
	case looksLikeRouter(msg):
		p.parseRouter(r)
		if r.Kind == KindRouter {
			if r.Process == "" {
				r.Process = "router"
			}
			return
		}
	case bytes.Contains(msg, []byte("sample#")) && (bytes.HasPrefix(msg, []byte("source=")) || bytes.HasPrefix(msg, []byte("sample#"))):
		p.parseMetrics(r)
		return
	case isLCode(msg):
		if p.parseLogplex(r) {
			return
		}
	case isDynoMessage(msg):
		p.parseDyno(r)
		return
	}
	r.Code, r.Desc = "", nil
	if r.Process != "" {
		// An envelope with a process we do not know: the app's own output.
		r.Kind = KindApp
		return
	}
	r.Kind = KindUnparsed
	r.Problem = "no known log format"
}

// hasSample reports whether msg contains "sample#". It looks for the rare
// '#' (a SIMD IndexByte) rather than for the common 's', which made
// bytes.Contains a fifth of the time of parsing a router line.
func hasSample(msg []byte) bool {
	for i := 6; i < len(msg); {
		j := bytes.IndexByte(msg[i:], '#')
		if j < 0 {
			return false
		}
		i += j
		if string(msg[i-6:i]) == "sample" {
			return true
		}
		i++
	}
	return false
}

// looksLikeRouter is the strict test for bare router bodies: logfmt that
// starts with at= or sock= and has a method=, or the legacy
// "METHOD host/path ... service=" shape, or a legacy error line.
func looksLikeRouter(msg []byte) bool {
	if bytes.HasPrefix(msg, []byte("at=")) || bytes.HasPrefix(msg, []byte("sock=")) {
		return bytes.Contains(msg, []byte("method="))
	}
	if bytes.HasPrefix(msg, []byte("Error H")) && bytes.Contains(msg, []byte(") -> ")) {
		return true
	}
	if m, rest := nextField(msg); isMethod(m) {
		hp, _ := nextField(rest)
		return bytes.IndexByte(hp, '/') > 0 && bytes.Contains(rest, []byte(" service=")) &&
			(bytes.Contains(rest, []byte(" queue=")) || bytes.Contains(rest, []byte(" wait=")))
	}
	return false
}

// isMethod reports whether b looks like an HTTP method token (A–Z, 3–12).
func isMethod(b []byte) bool {
	if len(b) < 3 || len(b) > 12 {
		return false
	}
	for _, c := range b {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// isDynoName reports whether a process name is a dyno ("web.1", "run.3861",
// "worker.12", "scheduler.1234", "release.1") as opposed to "api", "router",
// "logplex", "nginx".
func isDynoName(proc string) bool {
	dot := -1
	for i := len(proc) - 1; i >= 0; i-- {
		if proc[i] == '.' {
			dot = i
			break
		}
	}
	if dot <= 0 || dot == len(proc)-1 {
		return false
	}
	for i := dot + 1; i < len(proc); i++ {
		if proc[i] < '0' || proc[i] > '9' {
			return false
		}
	}
	return true
}

// isDynoMessage reports whether a bare message is a dyno manager message.
func isDynoMessage(msg []byte) bool {
	return bytes.HasPrefix(msg, []byte("Error R")) || bytes.HasPrefix(msg, []byte("State changed from ")) ||
		bytes.HasPrefix(msg, []byte("Process running mem=")) || bytes.HasPrefix(msg, []byte("Process exited with status"))
}

// isLCode reports whether msg starts like a Logplex or log-shuttle error:
// "Error L10 (...", "Error L12: ...", "L11 (Tail buffer overflow) -> ...".
func isLCode(msg []byte) bool {
	if bytes.HasPrefix(msg, []byte("Error L")) {
		msg = msg[6:]
	}
	return len(msg) >= 3 && msg[0] == 'L' && msg[1] >= '0' && msg[1] <= '9' && msg[2] >= '0' && msg[2] <= '9'
}

// parseLogplex reads an L-code line and the number of messages dropped or
// lost. It reports false when msg is not one.
func (p *Parser) parseLogplex(r *Record) bool {
	msg := r.Message
	if !isLCode(msg) {
		return false
	}
	if bytes.HasPrefix(msg, []byte("Error ")) {
		msg = msg[6:]
	}
	r.Kind = KindLogplex
	r.Code = p.strs.get(msg[:3])
	rest := msg[3:]
	if len(rest) > 1 && rest[0] == ' ' && rest[1] == '(' {
		if end := bytes.IndexByte(rest, ')'); end > 0 {
			r.Desc = rest[2:end]
			rest = rest[end+1:]
		}
	}
	// "N messages dropped" / "dropped N messages" / "N messages lost".
	if i := bytes.Index(rest, []byte(" messages")); i > 0 {
		j := i
		for j > 0 && rest[j-1] >= '0' && rest[j-1] <= '9' {
			j--
		}
		if j < i {
			r.Dropped, _ = parseUint(rest[j:i])
		}
	}
	return true
}

var (
	memPrefix   = []byte("Process running mem=")
	errorPrefix = []byte("Error ")
)

// parseDyno reads a dyno manager message.
func (p *Parser) parseDyno(r *Record) {
	msg := r.Message
	r.Kind = KindDyno
	switch {
	case bytes.HasPrefix(msg, []byte("State changed from ")):
		r.Event = EventState
		if bytes.HasSuffix(bytes.TrimRight(msg, " "), []byte(" to crashed")) {
			r.Event = EventCrash
		}
	case bytes.HasPrefix(msg, memPrefix):
		r.Event = EventMemory
		r.MemMB = parseMem(msg[len(memPrefix):])
	case bytes.HasPrefix(msg, errorPrefix) && len(msg) >= 9 && msg[6] == 'R':
		r.Event = EventError
		code := msg[6:9]
		if code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9' {
			r.Code = p.strs.get(code)
		}
		if lp := bytes.IndexByte(msg, '('); lp > 0 {
			if rp := bytes.IndexByte(msg[lp:], ')'); rp > 0 {
				r.Desc = msg[lp+1 : lp+rp]
			}
		}
	case bytes.HasPrefix(msg, []byte("Starting process")):
		r.Event = EventStart
	case bytes.HasPrefix(msg, []byte("Process exited")):
		r.Event = EventExit
	case bytes.HasPrefix(msg, []byte("Stopping ")):
		r.Event = EventStop
	case bytes.HasPrefix(msg, []byte("Idling")), bytes.HasPrefix(msg, []byte("Unidling")),
		bytes.HasPrefix(msg, []byte("Awaiting client")), bytes.HasPrefix(msg, []byte("Client connection closed")):
		r.Event = EventIdle
	case bytes.HasPrefix(msg, []byte("Cycling")), bytes.HasPrefix(msg, []byte("Restarting")):
		r.Event = EventRestart
	}
}

// parseMem reads "807M(157.7%)", "528MB(103.3%)", "1.2G" as megabytes, or -1.
func parseMem(b []byte) float64 {
	v, n := parseFloat(b)
	if n == 0 {
		return -1
	}
	unit := b[n:]
	switch {
	case len(unit) > 0 && (unit[0] == 'G' || unit[0] == 'g'):
		return v * 1024
	case len(unit) > 1 && (unit[0] == 'k' || unit[0] == 'K') && (unit[1] == 'B' || unit[1] == 'b'):
		return v / 1024
	}
	return v
}

// parseMetrics reads a sample# line; MemMB gets memory_total when present.
func (p *Parser) parseMetrics(r *Record) {
	r.Kind = KindMetrics
	if i := bytes.Index(r.Message, []byte("sample#memory_total=")); i >= 0 {
		r.MemMB = parseMem(r.Message[i+len("sample#memory_total="):])
	}
}

// Samples calls fn for each "sample#key=value" pair of a metrics message,
// with the key (without "sample#"), the number and the unit suffix as
// logged ("MB", "pages", "kB", "bytes", ""). Pairs whose value is not a
// number are passed with ok false. It allocates nothing.
func Samples(msg []byte, fn func(key []byte, value float64, unit []byte, ok bool)) {
	for {
		i := bytes.Index(msg, []byte("sample#"))
		if i < 0 {
			return
		}
		msg = msg[i+7:]
		eq := bytes.IndexByte(msg, '=')
		if eq < 0 {
			return
		}
		key := msg[:eq]
		if bytes.IndexByte(key, ' ') >= 0 {
			continue
		}
		val := msg[eq+1:]
		if sp := bytes.IndexByte(val, ' '); sp >= 0 {
			val = val[:sp]
		}
		v, n := parseFloat(val)
		fn(key, v, val[n:], n > 0)
		msg = msg[eq+1:]
	}
}

// parseFloat reads a non-negative decimal number at the start of b and
// returns it with the bytes consumed (0 when there is none).
func parseFloat(b []byte) (float64, int) {
	var ip float64
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		ip = ip*10 + float64(b[i]-'0')
		i++
	}
	if i < len(b) && b[i] == '.' {
		i++
		scale := 0.1
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			ip += float64(b[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if i == start {
		return 0, 0
	}
	if neg {
		ip = -ip
	}
	return ip, i
}
