//go:build unix

package parse

import (
	"runtime"
	"syscall"
)

// newChunkMem returns n bytes for a chunk buffer, mapped outside the Go
// heap (anonymous memory) and unmapped by free or, failing that, once the
// returned chunkMem is garbage. Chunk buffers are most of what a scan
// holds for its whole length; in the Go heap the collector's goal (twice
// the live heap, GOGC) would double them in peak RSS. Falls back to the
// heap if mapping fails.
func newChunkMem(n int) *chunkMem {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return &chunkMem{b: make([]byte, n)}
	}
	m := &chunkMem{b: b, mapped: true}
	m.cleanup = runtime.AddCleanup(m, func(b []byte) { syscall.Munmap(b) }, b)
	return m
}

// free unmaps m's bytes now rather than after the next collection.
func (m *chunkMem) free() {
	if m.mapped {
		m.cleanup.Stop()
		syscall.Munmap(m.b)
		m.mapped = false
	}
	m.b = nil
}
