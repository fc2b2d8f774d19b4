package aggregate

import "bytes"

// Route appends to dst the templated route of a request path: the query
// string is dropped and every segment that is an identifier becomes ":id".
// A segment is an identifier when it is all digits, a UUID, a hex string of
// at least 8 characters with at least one digit, or a long token (20 or more
// characters mixing letters and digits). "/api/users/42?x=1" becomes
// "/api/users/:id". An empty path gives "/".
func Route(dst, path []byte) []byte {
	// SIMD searches rather than byte loops: this runs for every request.
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if i := bytes.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if len(path) == 0 {
		return append(dst, '/')
	}
	start := 0
	for start <= len(path) {
		end := len(path)
		if i := bytes.IndexByte(path[start:], '/'); i >= 0 {
			end = start + i
		}
		seg := path[start:end]
		if start > 0 {
			dst = append(dst, '/')
		}
		if isID(seg) {
			dst = append(dst, ":id"...)
		} else {
			dst = append(dst, seg...)
		}
		start = end + 1
	}
	return dst
}

// idClass classifies path bytes for isID: bit 0 a digit, bit 1 a hex
// digit, bit 2 a letter or digit, bit 3 '-' or '_'; 0 for anything else.
var idClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = 1 | 2 | 4
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = 4, 4
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c], t[c-'a'+'A'] = 2|4, 2|4
	}
	t['-'], t['_'] = 8, 8
	return t
}()

// isID reports whether a path segment is an identifier.
func isID(s []byte) bool {
	n := len(s)
	switch {
	case n == 0:
		return false
	case n < 8: // only all digits can be an identifier
		for _, c := range s {
			if idClass[c]&1 == 0 {
				return false
			}
		}
		return true
	case n < 20: // all digits, or all hex with a digit
		d := 0
		for _, c := range s {
			f := idClass[c]
			if f&2 == 0 {
				return false
			}
			d |= int(f & 1)
		}
		return d != 0
	case n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-':
		// A UUID when the 32 others are hex; else the general rules.
		uuid := true
		for i, c := range s {
			if idClass[c]&2 == 0 && i != 8 && i != 13 && i != 18 && i != 23 {
				uuid = false
				break
			}
		}
		if uuid {
			return true
		}
	}
	digits, hex, alnum := 0, 0, 0
	for _, c := range s {
		f := idClass[c]
		if f == 0 {
			return false
		}
		digits += int(f & 1)
		hex += int(f >> 1 & 1)
		alnum += int(f >> 2 & 1)
	}
	switch {
	case digits == n:
		return true
	case n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && hex == 32:
		return true // UUID
	case hex == n && n >= 8 && digits > 0:
		return true
	case n >= 20 && digits > 0 && alnum >= n-4:
		return true
	}
	return false
}
