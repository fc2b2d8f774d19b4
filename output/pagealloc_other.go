//go:build !linux

package output

import "github.com/apache/arrow-go/v18/arrow/memory"

// newPageAllocator returns the Go allocator (see pagealloc_linux.go for
// the Linux one, which keeps large buffers off the Go heap).
func newPageAllocator() memory.Allocator { return memory.NewGoAllocator() }
