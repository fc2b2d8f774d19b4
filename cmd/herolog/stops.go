package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"syscall"
)

// Exit statuses for hard stops, as a shell reports a process killed by the
// signal (128 + its number).
const (
	exitSIGINT  = 130
	exitSIGPIPE = 141
	exitSIGTERM = 143
)

// interruptStatus is the exit status for the signal that ended ctx:
// 143 for SIGTERM, 130 otherwise.
func interruptStatus(ctx context.Context) int {
	if c := context.Cause(ctx); c != nil && strings.HasPrefix(c.Error(), "terminated") {
		return exitSIGTERM
	}
	return exitSIGINT
}

// interrupted says what ended ctx, for messages: "interrupted by SIGINT",
// "interrupted by SIGTERM", or "interrupted" when it was cancelled
// without a signal (tests, a quit key).
func interrupted(ctx context.Context) string {
	c := context.Cause(ctx)
	switch {
	case c == nil:
		return "interrupted"
	case strings.HasPrefix(c.Error(), "terminated"):
		return "interrupted by SIGTERM"
	case strings.HasPrefix(c.Error(), "interrupt"):
		return "interrupted by SIGINT"
	}
	return "interrupted"
}

// ctxReader makes a reader that may block for ever (standard input from a
// pipe or a terminal that sends nothing) stop on a signal: each Read is
// done by a helper goroutine into its own buffer, and Read returns
// errInterrupted as soon as ctx ends, leaving the helper blocked (the
// process is about to exit). Bytes are copied once; the cost is one
// channel hand-off per Read of up to a megabyte.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	once sync.Once
	req  chan int
	resp chan ctxRead
	buf  []byte
	busy bool // a read is outstanding in the helper
}

// ctxReadMax is the most a ctxReader reads at once, in bytes.
const ctxReadMax = 1 << 20

type ctxRead struct {
	n   int
	err error
}

// interruptible returns r wrapped in a ctxReader.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, errInterrupted
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > ctxReadMax {
		// A chunked scan asks for a whole chunk; the helper's buffer, in
		// the Go heap for the whole run, stays a megabyte.
		p = p[:ctxReadMax]
	}
	c.once.Do(func() {
		c.req = make(chan int)
		c.resp = make(chan ctxRead, 1)
		go func() {
			for n := range c.req {
				k, err := c.r.Read(c.buf[:n])
				c.resp <- ctxRead{k, err}
			}
		}()
	})
	if !c.busy {
		if cap(c.buf) < len(p) {
			c.buf = make([]byte, len(p))
		}
		c.busy = true
		c.req <- len(p)
	}
	select {
	case res := <-c.resp:
		c.busy = false
		n := copy(p, c.buf[:res.n])
		return n, res.err
	case <-c.ctx.Done():
		return 0, errInterrupted
	}
}

// pipeWatch passes writes through to w and remembers whether one failed
// because the reader went away (EPIPE: `herolog analyze | head -3`), so run
// can end quietly instead of printing "broken pipe".
type pipeWatch struct {
	w      io.Writer
	broken bool
}

func (p *pipeWatch) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil && isBrokenPipe(err) {
		p.broken = true
	}
	return n, err
}

// isBrokenPipe reports whether err means the reader of our output is gone.
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}

// unwrapWriter returns the writer under a pipeWatch (for terminal checks).
func unwrapWriter(w any) any {
	if p, ok := w.(*pipeWatch); ok {
		return p.w
	}
	return w
}
