package aggregate

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

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
		if uuidHex(s) {
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

// uuidHex reports whether the 32 bytes of a 36-byte s other than its
// dashes (8, 13, 18, 23; the caller checks them) are hex digits, eight bytes per step: five
// overlapping words, the dashes' bytes masked out.
func uuidHex(s []byte) bool {
	if len(s) != 36 {
		return false
	}
	w0 := binary.LittleEndian.Uint64(s[0:8])
	w1 := binary.LittleEndian.Uint64(s[8:16])
	w2 := binary.LittleEndian.Uint64(s[16:24])
	w3 := binary.LittleEndian.Uint64(s[24:32])
	w4 := binary.LittleEndian.Uint64(s[28:36])
	if (w0|w1|w2|w3|w4)&hi8 != 0 {
		return false // a byte >= 0x80: not hex
	}
	const dashes1, dashes2 = 0x80 | 0x80<<40, 0x80<<16 | 0x80<<56 // bytes 8, 13 in w1; 18, 23 in w2
	return nonHex(w0)|nonHex(w1)&^dashes1|nonHex(w2)&^dashes2|nonHex(w3)|nonHex(w4) == 0
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// nonHex returns the high bit of each byte of x that is not an ASCII hex
// digit; every byte of x must be below 0x80, so that no sum below carries
// into the next byte.
func nonHex(x uint64) uint64 {
	// ge(c) has a byte's high bit set when the byte is >= c, gt(c) when > c.
	ge := func(x uint64, c byte) uint64 { return (x + lo8*uint64(0x80-c)) & hi8 }
	gt := func(x uint64, c byte) uint64 { return (x + lo8*uint64(0x7F-c)) & hi8 }
	l := x | lo8*0x20 // letters to lower case (digits keep their value)
	hex := ge(x, '0')&^gt(x, '9') | ge(l, 'a')&^gt(l, 'f')
	return ^hex & hi8
}

// lastSlash is bytes.LastIndexByte(p, '/') eight bytes per step from the
// end (the library's is a byte loop, and a path's last segment is often a
// 36-byte UUID).
func lastSlash(p []byte) int {
	i := len(p)
	for ; i >= 8; i -= 8 {
		// Exact per byte (no borrow between bytes): the high bit of each
		// byte of m is set where x holds '/'.
		x := binary.LittleEndian.Uint64(p[i-8:i]) ^ lo8*'/'
		m := ^((x&^hi8 + ^uint64(hi8)) | x) & hi8
		if m != 0 {
			return i - 8 + (63-bits.LeadingZeros64(m))>>3
		}
	}
	for i--; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}
