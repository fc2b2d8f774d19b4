package parse

import (
	"bytes"
	"io"
	"sync"
)

// DefaultChunkSize is the size of the chunks a Chunker cuts: large enough
// that per-chunk costs (a lock, a fresh aggregate, a merge) vanish next to
// parsing it, small enough that a few per worker keep memory flat.
const DefaultChunkSize = 8 << 20

// Chunker cuts a stream into large chunks that end at line boundaries, so
// that several goroutines can parse one input at once, each with its own
// Reader (see Reader.ResetBytes). Each chunk carries its position in the
// input (sequence number, line and byte offset), so records keep exact line
// numbers and results can be put back in input order.
//
// Next is safe for concurrent use: the read, the cut and the line count of
// one chunk happen under a lock (they are a small part of the work), and the
// chunk's bytes go into the caller's buffer, so the parsing that follows
// runs in parallel with no copying and nothing sent per line.
//
// A Chunker cuts at newlines only, so it must not be used for octet-counted
// frames written back to back without newlines (see LooksFramed).
type Chunker struct {
	mu     sync.Mutex
	rd     io.Reader
	size   int
	carry  []byte // the start of a line cut by the previous chunk's end
	line   int64  // physical lines before the next chunk
	offset int64  // bytes before the next chunk
	seq    int
	err    error // the reader's error (io.EOF at the end)
	skip   bool  // discarding the rest of a line longer than a chunk
}

// Chunk is one piece of input: whole lines, the last possibly without its
// newline at the end of input. Keep a Chunk per goroutine and pass it to
// Chunker.Next again: its buffer is reused.
type Chunk struct {
	// Data is the chunk's bytes, valid until the Chunk is passed to Next
	// again.
	Data []byte
	// Seq is the chunk's 0-based position in the input.
	Seq int
	// Line is the number of physical lines before the chunk; Offset the
	// number of bytes before it.
	Line, Offset int64

	buf []byte
}

// NewChunker returns a Chunker over rd cutting chunks of at most size bytes
// (DefaultChunkSize if size is 0). size is raised to twice DefaultMaxLine
// when smaller, so that a line longer than a chunk is always one that a
// Reader skips as KindOversize.
func NewChunker(rd io.Reader, size int) *Chunker {
	if size <= 0 {
		size = DefaultChunkSize
	}
	if size < 2*DefaultMaxLine {
		size = 2 * DefaultMaxLine
	}
	return &Chunker{rd: rd, size: size}
}

// Next fills ch with the next chunk. It returns false at the end of input
// or after a read error (see Err); every complete line read before an error
// is delivered first, and the incomplete one as a last chunk.
func (c *Chunker) Next(ch *Chunk) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(ch.buf) < c.size {
		ch.buf = make([]byte, c.size)
	}
	buf := ch.buf[:c.size]
	for {
		if c.err != nil && len(c.carry) == 0 {
			return false
		}
		n := copy(buf, c.carry)
		c.carry = c.carry[:0]
		for tries := 0; n < len(buf) && c.err == nil; {
			k, err := c.rd.Read(buf[n:])
			n += k
			if err != nil {
				c.err = err
			} else if k == 0 {
				if tries++; tries == 100 {
					c.err = io.ErrNoProgress
				}
			}
		}
		data := buf[:n]
		if c.skip {
			// The rest of an over-long line: drop it up to its newline.
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				c.offset += int64(n)
				continue
			}
			c.skip = false
			c.offset += int64(i + 1)
			c.carry = append(c.carry, data[i+1:]...)
			continue
		}
		if n == 0 {
			continue // c.err is set: the loop ends above
		}
		var lines int64
		if c.err == nil { // the buffer is full: cut after its last newline
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 {
				// One line longer than a chunk: hand over its start (which a
				// Reader reports as oversize) and skip the rest.
				c.skip = true
				lines = 1
			} else {
				c.carry = append(c.carry, data[i+1:]...)
				data = data[:i+1]
				lines = int64(bytes.Count(data, nl))
			}
		} else {
			lines = int64(bytes.Count(data, nl))
			if data[len(data)-1] != '\n' {
				lines++
			}
		}
		ch.Data, ch.Seq, ch.Line, ch.Offset = data, c.seq, c.line, c.offset
		c.seq++
		c.line += lines
		c.offset += int64(len(data))
		return true
	}
}

var nl = []byte{'\n'}

// Err returns the read error that ended the input, or nil at a clean end.
func (c *Chunker) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == io.EOF {
		return nil
	}
	return c.err
}

// Lines returns the physical lines handed out so far; after Next has
// returned false, the input's line count.
func (c *Chunker) Lines() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.line
}

// LooksFramed reports whether an input starting with head is RFC 6587
// octet-counted frames ("123 <158>1 ..."). Such input may hold frames
// without newlines between them, so it must be read sequentially by a
// Reader, not cut into chunks.
func LooksFramed(head []byte) bool {
	return frameHeader(head) > 0
}

// ResetBytes makes the Reader parse b, which is already in memory (a
// Chunk's Data), without copying it: records' byte fields point into b.
// line and offset are the physical lines and bytes before b in the input,
// so records get their true line numbers and offsets. A later Reset returns
// the Reader to streaming with its own buffer.
func (r *Reader) ResetBytes(b []byte, line, offset int64) {
	if r.own == nil {
		r.own = r.buf
	}
	r.rd, r.buf, r.start, r.end, r.err = nil, b, 0, len(b), io.EOF
	r.line, r.offset = line, offset
}
