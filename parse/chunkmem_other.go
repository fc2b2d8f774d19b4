//go:build !unix

package parse

// newChunkMem returns n bytes for a chunk buffer (from the Go heap where
// anonymous mappings are not available).
func newChunkMem(n int) *chunkMem { return &chunkMem{b: make([]byte, n)} }

// free drops m's bytes for the collector.
func (m *chunkMem) free() { m.b = nil }
