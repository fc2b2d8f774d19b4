package aggregate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// encoder appends the binary encoding of a summary: unsigned and signed
// varints, length-prefixed strings. Nothing in it can fail.
type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.b = append(e.b, b...)
}
func (e *encoder) float(f float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f)) }

// maxString is the longest string a summary may hold (a group key, a
// problem's text, a file name), in bytes.
const maxString = 1 << 20

// ErrCorrupt is wrapped by the errors of a summary that is damaged or
// hostile (as opposed to one written with other settings or version).
var ErrCorrupt = errors.New("corrupt summary")

// decoder reads what encoder wrote from untrusted bytes. The first error
// sticks: later reads return zero values, so callers check err once. Every
// length is checked against the bytes left before anything is allocated.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// nonneg reads a signed number that must be 0 or more; what names it in
// the error.
func (d *decoder) nonneg(what string) int64 {
	v := d.varint()
	if v < 0 {
		d.fail("negative %s (%d)", what, v)
		return 0
	}
	return v
}

// count reads a number of items that follow, each at least one byte long:
// it must not pass max nor the bytes left.
func (d *decoder) count(what string, max int) int {
	v := d.uvarint()
	if d.err != nil {
		return 0
	}
	if v > uint64(max) || v > uint64(len(d.b)) {
		d.fail("%s count %d is out of range", what, v)
		return 0
	}
	return int(v)
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return false
	}
	c := d.b[0]
	d.b = d.b[1:]
	if c > 1 {
		d.fail("bad boolean %d", c)
	}
	return c == 1
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > maxString || n > uint64(len(d.b)) {
		d.fail("string of %d bytes is out of range", n)
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail("bad number %v", f)
		return 0
	}
	return f
}

// bytes reads what encoder.bytes wrote, as a copy (nil when empty).
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > maxString || n > uint64(len(d.b)) {
		d.fail("string of %d bytes is out of range", n)
		return nil
	}
	if n == 0 {
		return nil
	}
	b := bytes.Clone(d.b[:n])
	d.b = d.b[n:]
	return b
}
