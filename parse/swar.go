package parse

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Word-at-a-time helpers ("SIMD within a register") for the router fast
// path. Router values are short (web.4, GET, 25ms, https): a call to the
// runtime's vector IndexByte costs more to set up than it saves on them,
// so short values are scanned eight bytes per step in a register, and
// only long ones go to IndexByte. swar_test.go checks each helper against
// the byte-by-byte loop.

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// load64 returns the eight bytes at b[i:] as a little-endian word (byte i
// lowest). The caller ensures i+8 <= len(b).
func load64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i : i+8]) }

// zeroBytes returns a word whose lowest set bit lies in the lowest zero
// byte of x (0 when x has none). Bytes above the lowest zero byte may be
// flagged wrongly (a borrow), so only the lowest flag is meaningful.
func zeroBytes(x uint64) uint64 { return (x - lo8) &^ x & hi8 }

// swarWords is how many words indexFrom scans in a register before it
// hands a long value to the vector IndexByte.
const swarWords = 2

// indexFrom returns the index of the first c at or after b[i], or -1.
func indexFrom(b []byte, i int, c byte) int {
	n := len(b)
	pat := lo8 * uint64(c)
	for k := 0; k < swarWords && i+8 <= n; k++ {
		if m := zeroBytes(load64(b, i) ^ pat); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	if i+8 <= n {
		if j := bytes.IndexByte(b[i:], c); j >= 0 {
			return i + j
		}
		return -1
	}
	for ; i < n; i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// nonDigits returns a word whose lowest set bit lies in the lowest byte of
// x that is not an ASCII digit (0 when all eight are digits). A digit is
// 0x30-0x39: its high nibble is 3, and still 3 after adding 6. A carry out
// of a byte (>= 0xFA, itself flagged) can only disturb the bytes above it.
func nonDigits(x uint64) uint64 {
	const f0, d30, d06 = 0xF0F0F0F0F0F0F0F0, 0x3030303030303030, 0x0606060606060606
	return ((x & f0) ^ d30) | (((x + d06) & f0) ^ d30)
}

// digitsValue returns the value of the k (1-8) decimal digits in the low
// bytes of x (the first digit in the lowest byte). Bytes above k are
// ignored.
func digitsValue(x uint64, k int) uint64 {
	// Move the k digits to the top, so the bytes below them read as
	// leading zeros, then combine pairs, quads and halves.
	x = (x & 0x0F0F0F0F0F0F0F0F) << ((64 - 8*uint(k)) & 63)
	x = (x * 2561) >> 8
	x = ((x & 0x00FF00FF00FF00FF) * 6553601) >> 16
	return ((x & 0x0000FFFF0000FFFF) * 42949672960001) >> 32
}
