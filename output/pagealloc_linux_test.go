//go:build linux

package output

import (
	"bytes"
	"testing"
	"unsafe"
)

// TestPageAllocator: large buffers are mappings that keep their bytes when
// grown; a pinned buffer (being written by the sink) is never moved or
// unmapped under its reader: growing it copies, freeing it waits for unpin.
func TestPageAllocator(t *testing.T) {
	a := newPageAllocator().(*pageAllocator)
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(i * 7)
		}
	}
	small := a.Allocate(100)
	if a.mapped(small) != 0 {
		t.Fatal("a small buffer was mapped")
	}
	a.Free(small)

	b := a.Allocate(offHeapMin + 10)
	if a.mapped(b) == 0 {
		t.Fatal("a large buffer is not a mapping")
	}
	fill(b)
	want := append([]byte(nil), b...)
	b = a.Reallocate(4*offHeapMin, b)
	if !bytes.Equal(b[:len(want)], want) {
		t.Fatal("growing lost the bytes")
	}

	if !a.pin(b) {
		t.Fatal("pin refused a mapping")
	}
	if a.pin(b) {
		t.Fatal("a second pin of the same buffer was accepted")
	}
	pinned := b
	grown := a.Reallocate(16*offHeapMin, b)
	if unsafe.SliceData(grown) == unsafe.SliceData(pinned) {
		t.Fatal("a pinned buffer was resized in place")
	}
	if !bytes.Equal(grown[:len(want)], want) || !bytes.Equal(pinned[:len(want)], want) {
		t.Fatal("the copy or the pinned original lost its bytes")
	}
	// Reallocate freed the pinned original: it stays mapped until unpin.
	if a.mapped(pinned) == 0 {
		t.Fatal("a pinned buffer was unmapped by Free")
	}
	a.unpin(pinned)
	if a.mapped(pinned) != 0 {
		t.Fatal("a freed buffer is still mapped after unpin")
	}
	a.Free(grown)
	if len(a.maps) != 0 || len(a.pinned) != 0 {
		t.Fatalf("left %d mappings, %d pins", len(a.maps), len(a.pinned))
	}
}
