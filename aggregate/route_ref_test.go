package aggregate

import (
	"bytes"
	"math/rand/v2"
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

// TestIsIDMatchesReference: isID (the UUID check eight bytes at a time)
// agrees with the plain loop on every one-byte change of UUID-shaped and
// other segments, bytes at 0x80 and above and the neighbours of the hex
// ranges included.
func TestIsIDMatchesReference(t *testing.T) {
	segs := []string{
		"7aaa855c-a3f2-4aa5-953d-9710b801c4d6", "7AAA855C-A3F2-4AA5-953D-9710B801C4D6",
		"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"deadbeef1", "42", "abcdefghij0123456789xyz",
	}
	subs := []byte{'0', '9', 'a', 'f', 'A', 'F', '/', ':', '@', '`', 'G', 'g', '-', '_', 0x00, 0x7f, 0x80, 0xc1, 0xe6, 0xff}
	for _, s := range segs {
		for i := 0; i <= len(s); i++ {
			for _, c := range subs {
				var v string
				if i < len(s) {
					v = s[:i] + string([]byte{c}) + s[i+1:]
				} else {
					v = s + string([]byte{c})
				}
				if got, want := isID([]byte(v)), referenceIsID([]byte(v)); got != want {
					t.Fatalf("isID(%q) = %v, want %v", v, got, want)
				}
				// uuidHex is only a shortcut in isID (for 36 bytes with their
				// four dashes): check it exactly too.
				if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
					continue
				}
				want := true
				for j := 0; j < len(v) && want; j++ {
					want = j == 8 || j == 13 || j == 18 || j == 23 || idClass[v[j]]&2 != 0
				}
				if got := uuidHex([]byte(v)); got != want {
					t.Fatalf("uuidHex(%q) = %v, want %v", v, got, want)
				}
			}
		}
	}
}

func TestLastSlashMatchesLastIndexByte(t *testing.T) {
	alphabet := []byte{'/', '.', '0', 'a', 0x00, 0x2e, 0x2f, 0x30, 0x7f, 0x80, 0xaf, 0xff}
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 0; n <= 70; n++ {
		for rep := 0; rep < 300; rep++ {
			p := make([]byte, n)
			for i := range p {
				p[i] = alphabet[rng.IntN(len(alphabet))]
			}
			if got, want := lastSlash(p), bytes.LastIndexByte(p, '/'); got != want {
				t.Fatalf("lastSlash(%q) = %d, want %d", p, got, want)
			}
		}
	}
}
