package parse

import (
	"bytes"
	"math/bits"
)

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
	// Modern logfmt (at=...) cannot have the legacy shape: skip the test.
	if !bytes.HasPrefix(msg, []byte("at=")) {
		if m, rest := nextField(msg); isMethod(m) {
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
	}
	p.routerKV(msg, r)
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
//
// It is the hot loop of every analysis, so known keys are recognised in
// place (matchKey: one switch on the first byte and one fixed-size compare)
// rather than scanned byte by byte and then compared as strings; only
// unknown keys and bare words take the byte loop.
func (p *Parser) scanKV(b []byte, r *Record) {
	i := 0
	n := len(b)
	for i < n {
		if b[i] == ' ' {
			i++
			continue
		}
		k, kl := matchKey(b[i:])
		if k == keyUnknown {
			for i < n && b[i] != '=' && b[i] != ' ' {
				i++
			}
			if i >= n || b[i] != '=' {
				continue // a bare word
			}
			i++ // '=': an unknown key; its value is skipped below
		} else {
			i += kl
		}
		if k >= keyConnect && k <= keyBytes || k == keyQueue || k == keyWait {
			// Numbers take a fused fast path: digits, "ms" where allowed, then
			// the space or the end. Anything else goes the general way.
			if v, end, ok := fastNumber(b, i, k == keyConnect || k == keyService || k == keyWait); ok {
				p.setNumber(k, v, r)
				i = end
				continue
			}
		}
		var val []byte
		val, i = kvValue(b, i)
		if k != keyUnknown {
			p.setKey(k, val, r)
		}
	}
}

// routerKey identifies a router key.
type routerKey uint8

const (
	keyUnknown routerKey = iota
	keyAt
	keyCode
	keyDesc
	keyCause
	keyMethod
	keyPath
	keyHost
	keyRequestID
	keyFwd
	keyDyno
	keyConnect
	keyService
	keyStatus
	keyBytes
	keyProtocol
	keyTLSVersion
	keySock
	keyQueue
	keyWait
)

// matchKey recognises a known router key with its "=" at the start of b and
// returns it with the length of "key=", or keyUnknown.
func matchKey(b []byte) (routerKey, int) {
	if len(b) < 3 {
		return keyUnknown, 0
	}
	switch b[0] {
	case 'a':
		if b[1] == 't' && b[2] == '=' {
			return keyAt, 3
		}
	case 'b':
		if hasKey(b, "bytes=") {
			return keyBytes, 6
		}
	case 'c':
		switch {
		case hasKey(b, "connect="):
			return keyConnect, 8
		case hasKey(b, "code="):
			return keyCode, 5
		case hasKey(b, "cause="):
			return keyCause, 6
		}
	case 'd':
		switch {
		case hasKey(b, "dyno="):
			return keyDyno, 5
		case hasKey(b, "desc="):
			return keyDesc, 5
		}
	case 'f':
		if hasKey(b, "fwd=") {
			return keyFwd, 4
		}
	case 'h':
		if hasKey(b, "host=") {
			return keyHost, 5
		}
	case 'm':
		if hasKey(b, "method=") {
			return keyMethod, 7
		}
	case 'p':
		switch {
		case hasKey(b, "path="):
			return keyPath, 5
		case hasKey(b, "protocol="):
			return keyProtocol, 9
		}
	case 'q':
		if hasKey(b, "queue=") {
			return keyQueue, 6
		}
	case 'r':
		if hasKey(b, "request_id=") {
			return keyRequestID, 11
		}
	case 's':
		switch {
		case hasKey(b, "service="):
			return keyService, 8
		case hasKey(b, "status="):
			return keyStatus, 7
		case hasKey(b, "sock="):
			return keySock, 5
		}
	case 't':
		if hasKey(b, "tls_version=") {
			return keyTLSVersion, 12
		}
	case 'w':
		if hasKey(b, "wait=") {
			return keyWait, 5
		}
	}
	return keyUnknown, 0
}

// hasKey reports whether b starts with key (a constant, so the compare is a
// few word loads).
func hasKey(b []byte, key string) bool {
	return len(b) >= len(key) && string(b[:len(key)]) == key
}

// fastNumber reads the plain number of a numeric key's value at b[i:]: at
// least one and at most 15 digits, then "ms" when ms is set (optional),
// then a space or the end of b. It returns the number and the index after
// it; ok is false for anything else (empty, too long, other suffixes),
// which the general path (Record.number) then judges.
func fastNumber(b []byte, i int, ms bool) (v int64, end int, ok bool) {
	start := i
	if i+8 <= len(b) {
		// The usual case: fewer than eight digits, read in a register.
		x := load64(b, i)
		if m := nonDigits(x); m != 0 {
			k := bits.TrailingZeros64(m) >> 3
			if k == 0 {
				return 0, 0, false
			}
			v = int64(digitsValue(x, k))
			// The usual ends, read from the same word: "ms " or " ".
			rest := x >> (8 * uint(k) & 63)
			if ms && k <= 5 && rest&0xFFFFFF == 'm'|'s'<<8|' '<<16 {
				return v, i + k + 2, true
			}
			if byte(rest) == ' ' {
				return v, i + k, true
			}
			i += k
			goto suffix
		}
	}
	for i < len(b) {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		v = v*10 + int64(d)
		i++
	}
	if i == start || i-start > 15 {
		return 0, 0, false
	}
suffix:
	if ms && i+1 < len(b) && b[i] == 'm' && b[i+1] == 's' {
		i += 2
	}
	if i < len(b) && b[i] != ' ' {
		return 0, 0, false
	}
	return v, i, true
}

// setNumber stores a numeric key's value read by fastNumber.
func (p *Parser) setNumber(key routerKey, v int64, r *Record) {
	switch key {
	case keyConnect:
		r.Connect = v
	case keyService:
		r.Service = v
	case keyStatus:
		r.Status = v
	case keyBytes:
		r.Bytes = v
	case keyQueue:
		r.Legacy = true
		r.Queue = v
	case keyWait:
		r.Legacy = true
		r.Wait = v
	}
}

// setKey stores one router key=value in r.
func (p *Parser) setKey(key routerKey, val []byte, r *Record) {
	switch key {
	case keyAt:
		r.At = atValue(val)
	case keyCode:
		if len(val) > 0 {
			r.Code = p.strs.get(val)
		}
	case keyDesc:
		r.Desc = val
	case keyCause:
		r.Cause = val
	case keyMethod:
		if len(val) > 0 {
			r.Method = p.strs.get(val)
		}
	case keyPath:
		r.Path = val
	case keyHost:
		r.Host = val
	case keyRequestID:
		r.RequestID = val
	case keyFwd:
		r.Fwd = val
	case keyDyno:
		if len(val) > 0 {
			r.Dyno = p.strs.get(val)
		}
	case keyConnect:
		r.Connect = r.number(val, "connect", true)
	case keyService:
		r.Service = r.number(val, "service", true)
	case keyStatus:
		r.Status = r.number(val, "status", false)
	case keyBytes:
		r.Bytes = r.number(val, "bytes", false)
	case keyProtocol:
		if len(val) > 0 {
			r.Protocol = p.strs.get(val)
		}
	case keyTLSVersion:
		r.TLSVersion = val
	case keySock:
		r.Sock = sockValue(val)
	case keyQueue:
		r.Legacy = true
		r.Queue = r.number(val, "queue", false)
	case keyWait:
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

// kvLong is kvValue for values that are usually long (path, host,
// request_id, desc): their end is searched with the vector IndexByte.
func kvLong(b []byte, i int) (val []byte, next int) {
	n := len(b)
	if i < n && b[i] == '"' {
		i++
		if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
			return b[i : i+q], i + q + 1
		}
		return b[i:], n
	}
	vs := i
	if sp := bytes.IndexByte(b[i:], ' '); sp >= 0 {
		i += sp
	} else {
		i = n
	}
	val = b[vs:i]
	if len(val) > 0 && val[len(val)-1] == '"' {
		val = val[:len(val)-1]
	}
	return val, i
}

// kvValue returns the value that starts at b[i] (just after "key=") and
// the index after it: up to the closing quote when it starts with '"' (the
// rest of b when none), else up to the next space, without a stray
// trailing quote (host=myapp.herokuapp.com").
func kvValue(b []byte, i int) (val []byte, next int) {
	n := len(b)
	if i < n && b[i] == '"' {
		i++
		if q := indexFrom(b, i, '"'); q >= 0 {
			return b[i:q], q + 1
		}
		return b[i:], n
	}
	vs := i
	if i = indexFrom(b, i, ' '); i < 0 {
		i = n
	}
	val = b[vs:i]
	if len(val) > 0 && val[len(val)-1] == '"' {
		val = val[:len(val)-1]
	}
	return val, i
}

// routerKV reads a modern router message: the one-pass fast path when the
// message has the router's usual shape, scanKV otherwise.
func (p *Parser) routerKV(b []byte, r *Record) {
	clamped, bad := r.Clamped, r.BadField
	if !p.fastRouter(b, r) {
		p.slowRouter(b, r, clamped, bad)
	}
}

// slowRouter undoes what fastRouter set before it gave up (restoring
// Clamped and BadField to clamped and bad) and runs scanKV.
func (p *Parser) slowRouter(b []byte, r *Record, clamped bool, bad string) {
	r.Sock, r.At, r.Code, r.Desc, r.Cause, r.Method = SockNone, AtNone, "", nil, nil, ""
	r.Path, r.Host, r.RequestID, r.Fwd, r.Dyno = nil, nil, nil, nil, ""
	r.Connect, r.Service, r.Status, r.Bytes = Missing, Missing, Missing, Missing
	r.Protocol, r.TLSVersion, r.Clamped, r.BadField = "", nil, clamped, bad
	p.scanKV(b, r)
}

// expect returns the index after key (" name=", with its leading space)
// at b[i], or -1. With key a constant of at most 16 bytes, the compare is
// two word loads.
func expect(b []byte, i int, key string) int {
	// b[i:i+len(key)] rather than hasKey(b[i:]): no slice of the rest
	// to build (its pointer arithmetic and masking).
	if uint(i) <= uint(len(b)) && len(b)-i >= len(key) && string(b[i:i+len(key)]) == key {
		return i + len(key)
	}
	return -1
}

// expect2 is expect for a key longer than 8 bytes, given in two constant
// parts of at most 8: the compiler turns a constant compare of up to 8
// bytes into loads but calls memequal for longer ones.
func expect2(b []byte, i int, key1, key2 string) int {
	if uint(i) <= uint(len(b)) && len(b)-i >= len(key1)+len(key2) && string(b[i:i+len(key1)]) == key1 && string(b[i+len(key1):i+len(key1)+len(key2)]) == key2 {
		return i + len(key1) + len(key2)
	}
	return -1
}

// numValue reads a numeric value at b[i] exactly as scanKV does.
func numValue(b []byte, i int, field string, ms bool, r *Record) (int64, int) {
	val, end := kvValue(b, i)
	return r.number(val, field, ms), end
}

// fastRouter parses a router message of the usual shape in one forward
// pass, expecting each key where the router writes it:
//
//	[sock=V ]at=V [code=V desc=V [cause=V ]]method=V path=V host=V
//	[request_id=V ]fwd=V dyno=V connect=N service=N status=N bytes=N
//	[ protocol=V][ tls_version=V][ sock=V]
//
// Values are read exactly as scanKV reads them (kvValue, fastNumber, else
// numValue); the commonest values (at=info, method=GET or POST,
// protocol=https or http) are matched whole. It reports false at the first
// surprise (another order, an unknown key, two spaces), leaving r partly
// filled; routerKV then clears it and runs scanKV. Nearly every real line
// takes this path: no key lookups, no switches, one compare per key.
func (p *Parser) fastRouter(b []byte, r *Record) bool {
	var v []byte
	i := 0
	if hasKey(b, "sock=") {
		v, i = kvValue(b, 5)
		r.Sock = sockValue(v)
		if i >= len(b) || b[i] != ' ' {
			return false
		}
		i++
	}
	if hasKey(b[i:], "at=info ") {
		r.At, i = AtInfo, i+7
	} else {
		if !hasKey(b[i:], "at=") {
			return false
		}
		v, i = kvValue(b, i+3)
		r.At = atValue(v)
	}
	if j := expect(b, i, " code="); j >= 0 {
		if v, i = kvValue(b, j); len(v) > 0 {
			r.Code = p.strs.get(v)
		}
		if j = expect(b, i, " desc="); j < 0 {
			return false
		}
		r.Desc, i = kvLong(b, j)
		if j = expect(b, i, " cause="); j >= 0 {
			r.Cause, i = kvLong(b, j)
		}
	}
	j := expect(b, i, " method=")
	switch {
	case j < 0:
		return false
	case hasKey(b[j:], "GET "):
		r.Method, i = "GET", j+3
	case hasKey(b[j:], "POST "):
		r.Method, i = "POST", j+4
	default:
		if v, i = kvValue(b, j); len(v) > 0 {
			r.Method = p.strs.get(v)
		}
	}
	if j = expect(b, i, " path="); j < 0 {
		return false
	}
	r.Path, i = kvLong(b, j)
	if j = expect(b, i, " host="); j < 0 {
		return false
	}
	r.Host, i = kvLong(b, j)
	if j = expect2(b, i, " request", "_id="); j >= 0 {
		r.RequestID, i = kvLong(b, j)
	}
	if j = expect(b, i, " fwd="); j < 0 {
		return false
	}
	r.Fwd, i = kvValue(b, j)
	if j = expect(b, i, " dyno="); j < 0 {
		return false
	}
	if v, i = kvValue(b, j); len(v) > 0 {
		r.Dyno = p.strs.get(v)
	}
	if j = expect2(b, i, " connect", "="); j < 0 {
		return false
	}
	var ok bool
	if r.Connect, i, ok = fastNumber(b, j, true); !ok {
		r.Connect, i = numValue(b, j, "connect", true, r)
	}
	if j = expect2(b, i, " service", "="); j < 0 {
		return false
	}
	if r.Service, i, ok = fastNumber(b, j, true); !ok {
		r.Service, i = numValue(b, j, "service", true, r)
	}
	if j = expect(b, i, " status="); j < 0 {
		return false
	}
	if r.Status, i, ok = fastNumber(b, j, false); !ok {
		r.Status, i = numValue(b, j, "status", false, r)
	}
	if j = expect(b, i, " bytes="); j < 0 {
		return false
	}
	if r.Bytes, i, ok = fastNumber(b, j, false); !ok {
		r.Bytes, i = numValue(b, j, "bytes", false, r)
	}
	if j = expect2(b, i, " protoco", "l="); j >= 0 {
		switch string(b[j:]) {
		case "https":
			r.Protocol, i = "https", len(b)
		case "http":
			r.Protocol, i = "http", len(b)
		default:
			if v, i = kvValue(b, j); len(v) > 0 {
				r.Protocol = p.strs.get(v)
			}
		}
	}
	if i == len(b) {
		return true
	}
	if j = expect2(b, i, " tls_ver", "sion="); j >= 0 {
		r.TLSVersion, i = kvValue(b, j)
	}
	if j = expect(b, i, " sock="); j >= 0 {
		v, i = kvValue(b, j)
		r.Sock = sockValue(v)
	}
	return i == len(b)
}

func atValue(v []byte) At {
	switch string(v) {
	case "info":
		return AtInfo
	case "warning":
		return AtWarning
	case "error":
		return AtError
	}
	return AtOther
}

func sockValue(v []byte) Sock {
	switch string(v) {
	case "client":
		return SockClient
	case "backend":
		return SockBackend
	}
	return SockOther
}
