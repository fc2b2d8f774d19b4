//go:build linux

package output

import (
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sys/unix"
)

// pageAllocator is the memory allocator of the requests writer: buffers
// of at least offHeapMin bytes are anonymous memory mappings outside the
// Go heap, grown in place with mremap; smaller ones come from the Go heap.
//
// The large buffers are the row group's column chunks, which the Parquet
// writer keeps in memory (compressed) until the row group ends, growing
// each by doubling. On the Go heap every doubling would leave the old
// buffer as garbage and the chunks would count against export's soft heap
// limit, so the collector would run some ten times as often with row
// groups of 2^20 rows (328 against 36 collections for a 1 GB log). Mapped
// pages cost memory only once written and are unmapped when the buffer is
// freed.
type pageAllocator struct {
	small  memory.Allocator
	mu     sync.Mutex
	maps   map[uintptr]uintptr // start of a mapping -> its length
	pinned map[uintptr]bool    // mappings being written by an asyncSink -> freed meanwhile
}

// offHeapMin is the smallest buffer the pageAllocator maps.
const offHeapMin = 1 << 20

func newPageAllocator() memory.Allocator {
	return &pageAllocator{small: memory.NewGoAllocator(), maps: map[uintptr]uintptr{}, pinned: map[uintptr]bool{}}
}

func pageRound(n int) uintptr {
	const page = 4096
	return uintptr((n + page - 1) &^ (page - 1))
}

// Allocate returns a zeroed buffer of size bytes.
func (a *pageAllocator) Allocate(size int) []byte {
	if size < offHeapMin {
		return a.small.Allocate(size)
	}
	n := pageRound(size)
	p, err := unix.MmapPtr(-1, 0, nil, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return a.small.Allocate(size)
	}
	a.mu.Lock()
	a.maps[uintptr(p)] = n
	a.mu.Unlock()
	return unsafe.Slice((*byte)(p), size)
}

// mapped returns the length of the mapping b starts, or 0.
func (a *pageAllocator) mapped(b []byte) uintptr {
	if cap(b) == 0 {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.maps[uintptr(unsafe.Pointer(unsafe.SliceData(b)))]
}

// Reallocate returns a buffer of size bytes holding b's bytes; b is not
// to be used after.
func (a *pageAllocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		return b[:size]
	}
	if n := a.mapped(b); n != 0 && !a.isPinned(b) {
		if size <= int(n) {
			return unsafe.Slice(unsafe.SliceData(b), size)
		}
		old := unsafe.Pointer(unsafe.SliceData(b))
		nn := pageRound(size)
		p, err := unix.MremapPtr(old, n, nil, nn, unix.MREMAP_MAYMOVE)
		if err == nil {
			a.mu.Lock()
			delete(a.maps, uintptr(old))
			a.maps[uintptr(p)] = nn
			a.mu.Unlock()
			return unsafe.Slice((*byte)(p), size)
		}
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

// isPinned reports whether b is being written by an asyncSink: such a
// buffer is never resized or moved, only copied from (arrow-go does not
// reallocate a buffer it has handed to the sink; this keeps it so).
func (a *pageAllocator) isPinned(b []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.pinned[uintptr(unsafe.Pointer(unsafe.SliceData(b)))]
	return ok
}

// Free releases b (once unpinned, if pinned).
func (a *pageAllocator) Free(b []byte) {
	n := a.mapped(b)
	if n == 0 {
		a.small.Free(b)
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	a.mu.Lock()
	if _, ok := a.pinned[uintptr(p)]; ok {
		a.pinned[uintptr(p)] = true
		a.mu.Unlock()
		return
	}
	delete(a.maps, uintptr(p))
	a.mu.Unlock()
	unix.MunmapPtr(p, n)
}

// pin keeps b mapped through Free until unpin, if b starts a mapping.
func (a *pageAllocator) pin(b []byte) bool {
	if cap(b) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.maps[p]; !ok {
		return false
	}
	if _, ok := a.pinned[p]; ok {
		return false // pinned already: the caller copies
	}
	a.pinned[p] = false
	return true
}

// unpin ends a pin, unmapping b if it was freed meanwhile.
func (a *pageAllocator) unpin(b []byte) {
	p := unsafe.Pointer(unsafe.SliceData(b))
	a.mu.Lock()
	freed := a.pinned[uintptr(p)]
	delete(a.pinned, uintptr(p))
	n := a.maps[uintptr(p)]
	if freed {
		delete(a.maps, uintptr(p))
	}
	a.mu.Unlock()
	if freed {
		unix.MunmapPtr(p, n)
	}
}
