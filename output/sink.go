package output

import (
	"io"
	"sync/atomic"
)

// asyncSink writes a Parquet file to its destination on a goroutine of its
// own. The writer hands over each finished row group as one write per
// column chunk, tens of megabytes for a row group of 2^20 rows; written
// synchronously, copying them into the kernel held up the encoding of the
// next row group (every column waits for the row group to close), some
// 35 ms of one core per million rows with both cores otherwise busy.
//
// Buffers from the writer's pageAllocator are written in place: the
// allocator keeps them mapped until written (pin, unpin), even when the
// writer frees them as soon as Write returns. Other bytes (headers, the
// footer) are copied. A write error is returned by the next Write and by
// wait; the writes after it are dropped.
type asyncSink struct {
	w    io.Writer
	pins pinner // nil: copy everything
	ch   chan sinkWrite
	done chan struct{}
	err  atomic.Pointer[error]
}

type sinkWrite struct {
	b      []byte
	pinned bool
}

// pinner is implemented by allocators whose buffers can outlive Free.
type pinner interface {
	// pin reports whether b is one of the allocator's buffers that Free
	// leaves mapped until unpin; otherwise b is not pinned.
	pin(b []byte) bool
	unpin(b []byte)
}

func newAsyncSink(w io.Writer, alloc any) *asyncSink {
	s := &asyncSink{w: w, ch: make(chan sinkWrite, 64), done: make(chan struct{})}
	s.pins, _ = alloc.(pinner)
	go s.run()
	return s
}

func (s *asyncSink) run() {
	defer close(s.done)
	for it := range s.ch {
		if s.err.Load() == nil {
			if _, err := s.w.Write(it.b); err != nil {
				s.err.Store(&err)
			}
		}
		if it.pinned {
			s.pins.unpin(it.b)
		}
	}
}

// Write queues p; p may be reused when Write returns.
func (s *asyncSink) Write(p []byte) (int, error) {
	if e := s.err.Load(); e != nil {
		return 0, *e
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.pins != nil && s.pins.pin(p) {
		s.ch <- sinkWrite{b: p, pinned: true}
	} else {
		s.ch <- sinkWrite{b: append([]byte(nil), p...)}
	}
	return len(p), nil
}

// wait waits for the queued writes and returns the first error (not Close:
// the Parquet writer would call it, and the destination is not ours to
// close). The sink
// must not be written after.
func (s *asyncSink) wait() error {
	close(s.ch)
	<-s.done
	if e := s.err.Load(); e != nil {
		return *e
	}
	return nil
}
