package parse

import (
	"bytes"
	"math/rand"
	"testing"
)

// swarInputs returns byte strings of every length up to 80 built from
// alphabets that stress the word-at-a-time helpers: digits next to their
// neighbours in ASCII ('/', ':'), bytes that borrow or carry (0x00, 0x01,
// 0xFA-0xFF), spaces and quotes.
func swarInputs() [][]byte {
	rng := rand.New(rand.NewSource(7))
	alphabets := [][]byte{
		[]byte("0123456789"),
		[]byte("0123456789 m"),
		[]byte("0189/:ms \"\x00\x01\xfa\xff"),
		[]byte("ab \"\x20\x21\x1f"),
		{0x00, 0x01, 0x20, 0x21, 0x22, 0x2f, 0x30, 0x39, 0x3a, 0x80, 0xfa, 0xff},
	}
	var out [][]byte
	for n := 0; n <= 80; n++ {
		for _, a := range alphabets {
			for rep := 0; rep < 40; rep++ {
				b := make([]byte, n)
				for i := range b {
					b[i] = a[rng.Intn(len(a))]
				}
				out = append(out, b)
			}
		}
	}
	return out
}

func TestIndexFromMatchesIndexByte(t *testing.T) {
	for _, b := range swarInputs() {
		for _, c := range []byte{' ', '"', 0x00, 0xff} {
			for i := 0; i <= len(b); i++ {
				want := bytes.IndexByte(b[i:], c)
				if want >= 0 {
					want += i
				}
				if got := indexFrom(b, i, c); got != want {
					t.Fatalf("indexFrom(%q, %d, %q) = %d, want %d", b, i, c, got, want)
				}
			}
		}
	}
}

// referenceFastNumber is fastNumber as first written, one byte at a time.
func referenceFastNumber(b []byte, i int, ms bool) (v int64, end int, ok bool) {
	start := i
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
	if ms && i+1 < len(b) && b[i] == 'm' && b[i+1] == 's' {
		i += 2
	}
	if i < len(b) && b[i] != ' ' {
		return 0, 0, false
	}
	return v, i, true
}

func TestFastNumberMatchesReference(t *testing.T) {
	n := 0
	for _, b := range swarInputs() {
		for i := 0; i <= len(b); i++ {
			for _, ms := range []bool{false, true} {
				gv, ge, gok := fastNumber(b, i, ms)
				wv, we, wok := referenceFastNumber(b, i, ms)
				if gv != wv || ge != we || gok != wok {
					t.Fatalf("fastNumber(%q, %d, %v) = %d,%d,%v, want %d,%d,%v", b, i, ms, gv, ge, gok, wv, we, wok)
				}
				if wok {
					n++
				}
			}
		}
	}
	if n < 10000 {
		t.Fatalf("only %d inputs held a number", n)
	}
}

func TestDigitsValue(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for rep := 0; rep < 100000; rep++ {
		k := 1 + rng.Intn(8)
		var b [8]byte
		var want uint64
		for i := range b {
			b[i] = byte(rng.Intn(256))
			if i < k {
				b[i] = '0' + byte(rng.Intn(10))
				want = want*10 + uint64(b[i]-'0')
			}
		}
		if got := digitsValue(load64(b[:], 0), k); got != want {
			t.Fatalf("digitsValue(%q, %d) = %d, want %d", b, k, got, want)
		}
	}
}
