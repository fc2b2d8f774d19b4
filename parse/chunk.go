package parse

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"
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
	// uncounted leaves the line counts to the ReadAhead that owns the
	// Chunker: chunks get Line 0 and line stays 0.
	uncounted bool
}

// Chunk is one piece of input: whole lines, the last possibly without its
// newline at the end of input. Keep a Chunk per goroutine and pass it to
// Chunker.Next again: its buffer is reused.
type Chunk struct {
	// Data is the chunk's bytes, valid until the Chunk is passed to Next
	// again or freed (Free).
	Data []byte
	// Seq is the chunk's 0-based position in the input.
	Seq int
	// Line is the number of physical lines before the chunk; Offset the
	// number of bytes before it.
	Line, Offset int64

	buf []byte
	mem *chunkMem // what buf is in, kept alive with the Chunk

	mapped []byte   // the input mapped for the chunk (ChunkerAt.Map), or nil
	mapper MapperAt // what mapped it
}

// Faulted reports whether v, recovered from a panic while ch.Data was
// read with debug.SetPanicOnFault set, is a memory fault inside ch's mapped
// window (ChunkerAt.Map): the file shrank. Any other fault is a bug.
func (ch *Chunk) Faulted(v any) bool {
	f, ok := v.(interface{ Addr() uintptr })
	if !ok || len(ch.mapped) == 0 {
		return false
	}
	return f.Addr()-uintptr(unsafe.Pointer(unsafe.SliceData(ch.mapped))) < uintptr(len(ch.mapped))
}

// unmap releases ch's mapping, if any.
func (ch *Chunk) unmap() {
	if ch.mapped != nil {
		ch.mapper.Unmap(ch.mapped)
		ch.mapped, ch.mapper = nil, nil
	}
}

// chunkMem is a chunk's buffer (see newChunkMem). Data handed out from it
// is valid until the Chunk is passed to Next again or freed, and never
// after the Chunk is garbage.
type chunkMem struct {
	b       []byte
	mapped  bool            // b is an anonymous mapping (chunkmem_unix.go)
	cleanup runtime.Cleanup // unmaps b once the chunkMem is garbage
}

// Free gives ch's buffer back now (an anonymous mapping is unmapped at
// once, and so is the window of a mapped input, see ChunkerAt.Map)
// instead of once ch is garbage and a collection has run: a scan that is
// over frees its chunks before the report is built, so the
// report's memory does not come on top of theirs. ch.Data, and anything
// sliced from it, must not be used afterwards, nor may any goroutine
// still be reading into ch; ch may be passed to Next again (it then gets
// a new buffer).
func (ch *Chunk) Free() {
	ch.unmap()
	if ch.mem != nil {
		ch.mem.free()
	}
	ch.Data, ch.buf, ch.mem = nil, nil, nil
}

// grow gives ch a buffer of at least n bytes, keeping its first keep bytes.
func (ch *Chunk) grow(n, keep int) {
	if cap(ch.buf) >= n {
		ch.buf = ch.buf[:cap(ch.buf)]
		return
	}
	m := newChunkMem(n)
	copy(m.b, ch.buf[:keep])
	ch.buf, ch.mem = m.b, m
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
	ch.grow(c.size, 0)
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
		if c.err == nil { // the buffer is full: cut after its last newline
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 {
				// One line longer than a chunk: hand over its start (which a
				// Reader reports as oversize) and skip the rest.
				c.skip = true
			} else {
				c.carry = append(c.carry, data[i+1:]...)
				data = data[:i+1]
			}
		}
		ch.Data, ch.Seq, ch.Line, ch.Offset = data, c.seq, c.line, c.offset
		c.seq++
		if !c.uncounted {
			c.line += chunkLines(data)
		}
		c.offset += int64(len(data))
		return true
	}
}

var nl = []byte{'\n'}

// chunkLines returns the physical lines in a chunk's data: its newlines,
// and one more when it does not end with one (the last line of the input,
// or the start of a line longer than a chunk).
func chunkLines(data []byte) int64 {
	n := int64(bytes.Count(data, nl))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

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
	r.escAt, r.hashAt = -1, -1
}

// ReadAhead runs a Chunker on a goroutine of its own that fills a bounded
// ring of chunk buffers ahead of the parsers, pgzip-style: reading (and
// decompressing) a stream then goes on while every parser is busy, instead
// of only while one of them waits for its next chunk. Chunks come out of
// Next in input order; each must be given back with Release once parsed.
//
// The reading goroutine only reads and cuts: a chunk's lines are counted
// (for its Line) by the goroutine that takes it with Next, so that the
// one part of the work that cannot be spread over several goroutines
// (reading and decompressing) does no more than it must.
type ReadAhead struct {
	c      *Chunker
	full   chan *Chunk
	free   chan *Chunk
	done   chan struct{}
	exited chan struct{}
	once   sync.Once
	// starved is set while the reading goroutine waits for a buffer to
	// read into (see Release).
	starved atomic.Bool

	mu      sync.Mutex
	turn    *sync.Cond
	counted int   // chunks whose lines are counted, in input order
	line    int64 // physical lines in them
}

// NewReadAhead starts reading c into the given chunks (at least one; their
// buffers are reused) and returns at once. c is the ReadAhead's from then
// on: its own Lines counts nothing (see ReadAhead.Lines).
func NewReadAhead(c *Chunker, chunks []*Chunk) *ReadAhead {
	c.mu.Lock()
	c.uncounted = true
	c.mu.Unlock()
	r := &ReadAhead{
		c:      c,
		full:   make(chan *Chunk, len(chunks)),
		free:   make(chan *Chunk, len(chunks)),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	r.turn = sync.NewCond(&r.mu)
	for _, ch := range chunks {
		r.free <- ch
	}
	go r.run()
	return r
}

func (r *ReadAhead) run() {
	defer close(r.exited)
	defer close(r.full)
	for {
		var ch *Chunk
		select {
		case ch = <-r.free:
		case <-r.done:
			return
		default:
			r.starved.Store(true)
			select {
			case ch = <-r.free:
			case <-r.done:
				return
			}
			r.starved.Store(false)
		}
		if !r.c.Next(ch) {
			return
		}
		select {
		case r.full <- ch:
		case <-r.done:
			return
		}
	}
}

// Next returns the next chunk in input order, waiting for it to be read,
// or nil at the end of input, after a read error (see Err), or once the
// reading goroutine has ended after Stop (chunks read before Stop are still
// returned first). It is safe for concurrent use: the caller counts the
// chunk's lines, then waits for the chunks before it to be counted (by
// other callers, which count theirs at once) to set its Line.
func (r *ReadAhead) Next() *Chunk {
	ch := <-r.full
	if ch == nil {
		return nil
	}
	n := chunkLines(ch.Data)
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.counted != ch.Seq {
		r.turn.Wait()
	}
	ch.Line = r.line
	r.line += n
	r.counted++
	r.turn.Broadcast()
	return ch
}

// Release gives a chunk returned by Next back for reading into; its Data
// must not be used after.
//
// When the reading goroutine was waiting for that buffer, the caller
// yields its processor to it (runtime.Gosched). Reading (decompressing)
// is the one part of the work that cannot be spread over several
// goroutines, so it should never wait for a processor while parsers run:
// without the yield, the woken reader waits until the releasing parser
// blocks or is preempted (up to 10 ms with Go's scheduler) while every
// processor parses, then the parsers run out of chunks and wait for it
// with a processor idle.
func (r *ReadAhead) Release(ch *Chunk) {
	r.free <- ch // never blocks: free holds every chunk
	if r.starved.Load() {
		runtime.Gosched()
	}
}

// Stop ends the reading ahead; with wait, it returns once the reading
// goroutine has, which may take the rest of the chunk it is filling (up to
// a chunk's worth of reads of the stream: do not wait on a stream that may
// block for ever, and do not close the stream before the goroutine ends).
func (r *ReadAhead) Stop(wait bool) {
	r.once.Do(func() { close(r.done) })
	if wait {
		<-r.exited
	}
}

// Err returns the read error that ended the input, or nil at a clean end;
// call it after Next has returned nil and Stop(true).
func (r *ReadAhead) Err() error { return r.c.Err() }

// Lines returns the physical lines in the chunks Next has returned; after
// Next has returned nil, the input's line count (after Stop, the chunks
// read ahead and never returned are not counted).
func (r *ReadAhead) Lines() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.line
}

// Offset returns the bytes read from the input so far, skipped parts of
// over-long lines included; after the chunker has returned its last
// chunk, the input's size.
func (r *ReadAhead) Offset() int64 {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.c.offset
}

// ChunkerAt cuts a regular file (an io.ReaderAt of known size) into chunks
// that end at line boundaries, like Chunker, but reads each chunk in the
// goroutine that asked for it and outside any lock, so that reading runs
// in parallel. Each chunk holds the lines that start in its range of the
// input, the ranges being size bytes one after the other, except over the
// last 2*size bytes, cut into ranges four times smaller so that workers
// finish closer together. A chunk's reader reads its range and a little
// after it,
// skips the end of a line that began before the range and reads on to the
// end of the last line that begins in it. Only the line counts, needed for
// line numbers, are passed from one chunk to the next, in order, under a
// lock.
//
// A line that reaches more than MaxLine bytes past its chunk's range is
// cut there (a Reader reports it as KindOversize) and its rest is skipped,
// as Chunker does.
type ChunkerAt struct {
	ra      io.ReaderAt
	n       int64    // input size
	size    int      // chunk size
	maxLine int      // bytes read past a range for its last line, at most
	probe   int      // bytes read past a range at first (chunkProbe)
	mapper  MapperAt // chunks are mapped, not read (Map), when not nil
	rel     bool     // lines are not counted (RelativeLines)

	mu        sync.Mutex
	turn      *sync.Cond
	claimed   int   // chunks handed out
	next      int64 // the range of the next chunk handed out starts here
	published int   // chunks whose line count is known
	line      int64 // physical lines before chunk published
	err       error // the first read error, in input order
	end       bool  // no chunk after published is delivered
}

// chunkProbe is how far past its range a chunk is read at first, to find
// the end of its last line; the rest (up to MaxLine) only when that line
// is longer.
const chunkProbe = 16 << 10

// NewChunkerAt returns a ChunkerAt over the n bytes of ra, cutting chunks
// of size bytes (DefaultChunkSize if 0, raised to twice DefaultMaxLine as
// for NewChunker).
func NewChunkerAt(ra io.ReaderAt, n int64, size int) *ChunkerAt {
	if size <= 0 {
		size = DefaultChunkSize
	}
	if size < 2*DefaultMaxLine {
		size = 2 * DefaultMaxLine
	}
	return newChunkerAt(ra, n, size, DefaultMaxLine)
}

func newChunkerAt(ra io.ReaderAt, n int64, size, maxLine int) *ChunkerAt {
	c := &ChunkerAt{ra: ra, n: n, size: size, maxLine: maxLine, probe: chunkProbe}
	c.turn = sync.NewCond(&c.mu)
	return c
}

// MapperAt is an io.ReaderAt that can also map its input into memory
// (input.Source's reader of a regular file, with mmap).
type MapperAt interface {
	io.ReaderAt
	// MapAt maps size bytes of the input from off, a multiple of 4096,
	// read-only; it fails, and the bytes are read with ReadAt instead,
	// where mapping is not supported.
	MapAt(off int64, size int) ([]byte, error)
	// Unmap releases bytes returned by MapAt.
	Unmap(b []byte) error
}

// ErrShrunk is the read error of a mapped input (ChunkerAt.Map) that
// became shorter than its size while it was read.
var ErrShrunk = errors.New("the file shrank while it was read")

// Map makes the ChunkerAt map each chunk's bytes into memory (from the
// page cache, where a regular file's are) instead of copying them into
// the Chunk's buffer, if its input is a MapperAt; it reports whether it
// is. The bytes stay mapped until the Chunk is passed to Next again,
// which unmaps them (and does at the end), or freed (Chunk.Free). The
// caller must then read Chunk.Data with debug.SetPanicOnFault set, and
// treat a fault inside the chunk's window (Chunk.Faulted)
// as the read error ErrShrunk: a file that shrinks while it is mapped
// faults where a read would fail. Call it before the first Next.
func (c *ChunkerAt) Map() bool {
	c.mapper, _ = c.ra.(MapperAt)
	return c.mapper != nil
}

// RelativeLines makes the ChunkerAt skip counting each chunk's lines:
// every Chunk's Line is then 0, so records are numbered from the start of
// their chunk, and Lines returns 0. The caller adds the lines of the
// chunks before (a Reader's Line after parsing a chunk) where it needs
// true line numbers. Call it before the first Next.
func (c *ChunkerAt) RelativeLines() { c.rel = true }

// Next fills ch with the next chunk, reading it into ch's buffer. It
// returns false at the end of input or after a read error (see Err). It is
// safe for concurrent use: chunks are handed out in order, and every chunk
// handed out before a read error is delivered. A chunk may be empty (a
// long line covers its whole range).
func (c *ChunkerAt) Next(ch *Chunk) bool {
	ch.unmap()
	c.mu.Lock()
	if c.end {
		c.mu.Unlock()
		return false
	}
	k := c.claimed
	begin := c.next
	if begin >= c.n {
		c.mu.Unlock()
		return false // empty input, or the previous chunk was the last
	}
	size := int64(c.size)
	if c.n-begin < 2*size {
		// The last two chunks' worth are cut four times finer, so that the
		// workers finish closer together.
		size = max(size/4, min(size, 2*int64(c.maxLine)))
	}
	c.claimed++
	c.next += size
	c.mu.Unlock()

	data, offset, lines, last, err := c.read(ch, begin, begin+size)

	c.mu.Lock()
	defer c.mu.Unlock()
	for c.published != k {
		c.turn.Wait()
	}
	c.published++
	c.turn.Broadcast()
	if c.end {
		ch.unmap()
		return false // an earlier chunk met a read error
	}
	if err != nil {
		ch.unmap()
		c.err, c.end = err, true
		return false
	}
	ch.Data, ch.Seq, ch.Line, ch.Offset = data, k, c.line, offset
	c.line += lines
	c.end = last
	return true
}

// read reads the chunk whose range is [begin, rangeEnd) into ch's buffer
// and returns its lines (data, a sub-slice of ch.buf), their offset in the
// input, their count, and whether it is the last chunk.
func (c *ChunkerAt) read(ch *Chunk, begin, rangeEnd int64) (data []byte, offset, lines int64, last bool, err error) {
	if c.mapper != nil {
		// A mapped file that shrank faults where a read would fail.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if v := recover(); v != nil {
				if !ch.Faulted(v) {
					panic(v)
				}
				ch.unmap()
				data, offset, lines, last, err = nil, 0, 0, false, ErrShrunk
			}
		}()
	}
	// The byte before the range tells whether a line starts at begin. The
	// read starts a page earlier, not one byte: the kernel copies from the
	// page cache about four times slower from an unaligned offset (and a
	// mapping starts at a page).
	lo := max(begin-1, 0) &^ 4095 // a page boundary, whatever the chunk size
	lead := begin - lo
	hi := min(rangeEnd+int64(c.probe), c.n)
	buf, err := c.fetch(ch, lo, int(hi-lo), 0)
	if err != nil {
		return nil, 0, 0, false, err
	}
	// The chunk starts after the first newline at or after begin-1.
	start := 0
	if begin > 0 {
		i := bytes.IndexByte(buf[lead-1:], '\n')
		if i < 0 || begin+int64(i) >= rangeEnd {
			// No line starts in the range.
			return nil, begin, 0, rangeEnd >= c.n, nil
		}
		start = int(lead) + i
	}
	if rangeEnd >= c.n {
		last = true
		data = buf[start:]
	} else {
		// It ends after the first newline at or after rangeEnd-1.
		from := int(rangeEnd - 1 - lo)
		from = max(from, start)
		j := bytes.IndexByte(buf[from:], '\n')
		for j < 0 && hi < c.n && hi < rangeEnd+int64(c.maxLine) {
			// A long last line: read on, up to MaxLine past the range.
			old := len(buf)
			hi = min(rangeEnd+int64(c.maxLine), c.n)
			if buf, err = c.fetch(ch, lo, int(hi-lo), old); err != nil {
				return nil, 0, 0, false, err
			}
			if j = bytes.IndexByte(buf[old:], '\n'); j >= 0 {
				j += old - from
			}
		}
		switch {
		case j >= 0:
			data = buf[start : from+j+1]
		case hi >= c.n:
			data, last = buf[start:], true // the last line runs to the end of input
		default:
			data = buf[start:] // cut: a Reader skips it as oversize
		}
	}
	if !c.rel {
		lines = chunkLines(data)
	}
	return data, lo + int64(start), lines, last, nil
}

// fetch returns n bytes of the input from lo (a multiple of 4096): mapped
// (see Map), or read into ch's buffer, whose first have bytes already hold
// the input from lo.
func (c *ChunkerAt) fetch(ch *Chunk, lo int64, n, have int) ([]byte, error) {
	if c.mapper != nil {
		ch.unmap()
		if b, err := c.mapper.MapAt(lo, n); err == nil {
			ch.mapped, ch.mapper = b, c.mapper
			return b, nil
		}
		have = 0 // read it instead
	}
	if have == 0 {
		ch.grow(max(n, c.size+4096+c.probe), 0) // the same for every chunk
	} else {
		ch.grow(n, have)
	}
	buf := ch.buf[:n]
	if k, err := c.ra.ReadAt(buf[have:], lo+int64(have)); k < n-have {
		// The file is shorter than its size said (io.ReaderAt returns an
		// error whenever k < len(p)); what is left in the reused buffer
		// must not be read as data.
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// Err returns the read error that ended the input, or nil at a clean end.
func (c *ChunkerAt) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Lines returns the physical lines handed out so far; after Next has
// returned false in every goroutine, the input's line count.
func (c *ChunkerAt) Lines() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.line
}
