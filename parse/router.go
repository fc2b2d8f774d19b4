package parse

import "bytes"

// parseRouter reads a router message: modern logfmt (at=info method=...),
// the legacy "GET host/path dyno= queue= wait= service=" shape, or a legacy
// "Error H10 (App crashed) -> GET ..." line. It sets KindRouter on success
// and leaves KindUnparsed (with Problem) otherwise.
func (p *Parser) parseRouter(r *Record) {
	msg := r.Message
	if bytes.HasPrefix(msg, errorPrefix) && len(msg) > 9 && msg[6] == 'H' {
		// Legacy error: "Error H10 (App crashed) -> GET host/path ...".
		code := msg[6:9]
		r.Code = p.strs.get(code)
		r.Legacy = true
		rest := msg[9:]
		if len(rest) > 1 && rest[0] == ' ' && rest[1] == '(' {
			if end := bytes.IndexByte(rest, ')'); end > 0 {
				r.Desc = rest[2:end]
				rest = rest[end+1:]
			}
		}
		if i := bytes.Index(rest, []byte("-> ")); i >= 0 {
			p.parseLegacy(rest[i+3:], r)
		}
		r.Kind = KindRouter
		return
	}
	if m, rest := nextField(msg); isMethod(m) && !bytes.HasPrefix(msg, []byte("at=")) {
		hp, _ := nextField(rest)
		slash, eq := bytes.IndexByte(hp, '/'), bytes.IndexByte(hp, '=')
		if eq < 0 || (slash >= 0 && slash < eq) {
			p.parseLegacy(msg, r)
			if r.Method != "" {
				r.Kind = KindRouter
			} else {
				r.Problem = "legacy router line without method"
			}
			return
		}
	}
	p.scanKV(msg, r)
	if r.Method == "" && r.Code == "" {
		r.Problem = "router line without method or code"
		return
	}
	r.Kind = KindRouter
}

// parseLegacy reads "METHOD host/path key=value ...".
func (p *Parser) parseLegacy(b []byte, r *Record) {
	r.Legacy = true
	m, rest := nextField(b)
	if !isMethod(m) {
		p.scanKV(b, r)
		return
	}
	r.Method = p.strs.get(m)
	hp, rest := nextField(rest)
	if sl := bytes.IndexByte(hp, '/'); sl > 0 {
		r.Host, r.Path = hp[:sl], hp[sl:]
	} else if sl == 0 {
		r.Path = hp
	} else {
		r.Host = hp
	}
	p.scanKV(rest, r)
}

// scanKV is the logfmt scanner: key=value pairs separated by spaces, values
// bare (up to the next space) or double-quoted. Words without "=" are
// skipped, unknown keys are ignored, a missing closing quote takes the rest
// of the line. Keys may come in any order.
func (p *Parser) scanKV(b []byte, r *Record) {
	i := 0
	n := len(b)
	for i < n {
		for i < n && b[i] == ' ' {
			i++
		}
		ks := i
		for i < n && b[i] != '=' && b[i] != ' ' {
			i++
		}
		if i >= n || b[i] != '=' {
			continue // a bare word
		}
		key := b[ks:i]
		i++ // '='
		var val []byte
		if i < n && b[i] == '"' {
			i++
			vs := i
			if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
				val = b[vs : vs+q]
				i = vs + q + 1
			} else {
				val = b[vs:]
				i = n
			}
		} else {
			vs := i
			for i < n && b[i] != ' ' {
				i++
			}
			val = b[vs:i]
			// A stray closing quote on a bare value: host=myapp.herokuapp.com"
			if len(val) > 0 && val[len(val)-1] == '"' {
				val = val[:len(val)-1]
			}
		}
		p.setKey(key, val, r)
	}
}

// setKey stores one router key=value in r.
func (p *Parser) setKey(key, val []byte, r *Record) {
	switch string(key) {
	case "at":
		switch string(val) {
		case "info":
			r.At = AtInfo
		case "warning":
			r.At = AtWarning
		case "error":
			r.At = AtError
		default:
			r.At = AtOther
		}
	case "code":
		if len(val) > 0 {
			r.Code = p.strs.get(val)
		}
	case "desc":
		r.Desc = val
	case "cause":
		r.Cause = val
	case "method":
		if len(val) > 0 {
			r.Method = p.strs.get(val)
		}
	case "path":
		r.Path = val
	case "host":
		r.Host = val
	case "request_id":
		r.RequestID = val
	case "fwd":
		r.Fwd = val
	case "dyno":
		if len(val) > 0 {
			r.Dyno = p.strs.get(val)
		}
	case "connect":
		r.Connect = r.number(val, "connect", true)
	case "service":
		r.Service = r.number(val, "service", true)
	case "status":
		r.Status = r.number(val, "status", false)
	case "bytes":
		r.Bytes = r.number(val, "bytes", false)
	case "protocol":
		if len(val) > 0 {
			r.Protocol = p.strs.get(val)
		}
	case "tls_version":
		r.TLSVersion = val
	case "sock":
		switch string(val) {
		case "client":
			r.Sock = SockClient
		case "backend":
			r.Sock = SockBackend
		default:
			r.Sock = SockOther
		}
	case "queue":
		r.Legacy = true
		r.Queue = r.number(val, "queue", false)
	case "wait":
		r.Legacy = true
		r.Wait = r.number(val, "wait", true)
	}
}

// number parses a field value: digits, with an "ms" suffix allowed when ms
// is true. Empty is Missing. Anything else (negative, garbage) is Missing
// and noted in BadField; numbers past MaxValue saturate and set Clamped.
func (r *Record) number(val []byte, field string, ms bool) int64 {
	if len(val) == 0 {
		return Missing
	}
	if ms && len(val) > 2 && val[len(val)-2] == 'm' && val[len(val)-1] == 's' {
		val = val[:len(val)-2]
	}
	v, ok := parseUint(val)
	if !ok {
		r.noteBad(field)
		return Missing
	}
	if v >= MaxValue {
		r.Clamped = true
		if r.BadField == "" {
			r.BadField = field
		}
	}
	return v
}

func (r *Record) noteBad(field string) {
	r.Clamped = true
	if r.BadField == "" {
		r.BadField = field
	}
}

// parseUint reads an unsigned decimal that fills b. Values past MaxValue
// saturate at MaxValue.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		if v < MaxValue {
			v = v*10 + int64(d)
		}
	}
	if v > MaxValue {
		v = MaxValue
	}
	return v, true
}
