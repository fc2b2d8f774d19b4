package aggregate

import (
	"testing"
)

// TestRouteMatchesReference: Route (SIMD searches, the class table) gives
// what the plain byte loops gave, over every one-byte mutation of paths of
// each kind.
func TestRouteMatchesReference(t *testing.T) {
	paths := []string{
		"/api/users/42?x=1",
		"/api/orders/7aaa855c-a3f2-4aa5-953d-9710b801c4d6",
		"/a/deadbeef1/b#frag?q",
		"/assets/app-3f2a9c8e7d6b5a4f3e2d1c0b9a8f7e6d.js",
		"/tok/abcdefghij0123456789xyz/",
		"//x//",
		"",
		"?only",
		"/DEADBEEF/Zz_-9",
	}
	subs := []byte{'/', '?', '#', '0', 'a', 'F', 'g', 'Z', '-', '_', '.', '%'}
	n := 0
	for _, p := range paths {
		variants := []string{p}
		for i := 0; i < len(p); i++ {
			for _, c := range subs {
				variants = append(variants, p[:i]+string(c)+p[i+1:])
			}
			variants = append(variants, p[:i]+p[i+1:])
		}
		for _, v := range variants {
			got, want := string(Route(nil, []byte(v))), string(referenceRoute(nil, []byte(v)))
			if got != want {
				t.Fatalf("Route(%q) = %q, want %q", v, got, want)
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d paths compared", n)
	}
}

// referenceRoute and referenceIsID are Route and isID as first written.
func referenceRoute(dst, path []byte) []byte {
	for i, c := range path {
		if c == '?' || c == '#' {
			path = path[:i]
			break
		}
	}
	if len(path) == 0 {
		return append(dst, '/')
	}
	start := 0
	for start <= len(path) {
		end := start
		for end < len(path) && path[end] != '/' {
			end++
		}
		seg := path[start:end]
		if start > 0 {
			dst = append(dst, '/')
		}
		if referenceIsID(seg) {
			dst = append(dst, ":id"...)
		} else {
			dst = append(dst, seg...)
		}
		start = end + 1
	}
	return dst
}

// isID reports whether a path segment is an identifier.
func referenceIsID(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	digits, hex, alnum := 0, 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
			alnum++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			hex++
			alnum++
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			alnum++
		case c == '-' || c == '_':
		default:
			return false
		}
	}
	n := len(s)
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
