package input

import (
	"io"
	"sync/atomic"
)

// countReader counts the bytes read through it; the count may be read from
// another goroutine (a progress display).
type countReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}
