//go:build !linux

package input

import "errors"

// MapAt is not supported here: parse.ChunkerAt falls back to ReadAt.
func (n *namedReaderAt) MapAt(off int64, size int) ([]byte, error) {
	return nil, errors.ErrUnsupported
}

// Unmap releases bytes returned by MapAt.
func (n *namedReaderAt) Unmap(b []byte) error { return nil }
