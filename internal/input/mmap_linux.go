package input

import (
	"errors"
	"os"
	"syscall"
)

// MapAt maps n bytes of the file from off (a multiple of the page size)
// into memory, read-only and shared with the page cache, so that they are
// parsed where the kernel keeps them instead of being copied into a
// buffer (see parse.MapperAt). Pages come in as they are first touched
// (no MAP_POPULATE, which measured slower), and those touched count in the
// process's resident memory until Unmap. The size bytes count as read for
// progress (a window mapped again for a line longer than a chunk counts
// again there; the report's byte count is the scan's own). If the file
// shrinks while mapped, touching a page past its new end faults (SIGBUS):
// read mapped bytes only with debug.SetPanicOnFault set.
func (n *namedReaderAt) MapAt(off int64, size int) ([]byte, error) {
	f, ok := n.r.(*os.File)
	if !ok || size <= 0 {
		return nil, errors.ErrUnsupported
	}
	b, err := syscall.Mmap(int(f.Fd()), off, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	n.counted.n.Add(int64(size))
	return b, nil
}

// Unmap releases bytes returned by MapAt.
func (n *namedReaderAt) Unmap(b []byte) error { return syscall.Munmap(b) }
