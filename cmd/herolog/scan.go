package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/input"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// errInterrupted ends a scan early on SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")

// inputFlags are the flags every command that reads logs shares.
type inputFlags struct {
	Files  []string `arg:"" optional:"" name:"file" predictor:"file" help:"Log files: plain, gzip, bzip2 or zstd (detected from content), directories (every file below), or - for standard input. Standard input when none." group:"Input"`
	Strict bool     `help:"Stop at the first line herolog cannot read, instead of counting it and going on." group:"Input"`
	Year   int      `help:"Year for timestamps that carry none (Papertrail's 'Jan 08 10:55:11'); the current year when 0." default:"0" group:"Input"`
}

// scanChunkSize is the size of the chunks a parallel scan cuts
// (parse.DefaultChunkSize when 0); tests make it small.
var scanChunkSize = 0

// scanResult is what a scan read.
type scanResult struct {
	inputs []aggregate.Input
	failed bool // an input could not be opened or read to its end
}

// recordSink consumes records. In a parallel scan each sink receives one
// contiguous stretch of one input (a chunk), in input order; it must copy
// what it keeps of a record (see parse.Record).
type recordSink interface {
	Add(file string, r *parse.Record)
}

// sinkFunc adapts a function to a recordSink.
type sinkFunc func(file string, r *parse.Record)

// Add calls f.
func (f sinkFunc) Add(file string, r *parse.Record) { f(file, r) }

// scan reads every input in order, sequentially, parses each record and
// hands it to add, in input order. Commands that need every record in
// order on one goroutine (writing rows, following a stream) use it; see
// scanParallel for the fast path. An input that cannot be opened or read to
// its end is reported on stderr, marked in the result, and the scan goes on
// with the next one; records read before the failure are kept. The scan
// stops early (errInterrupted) when the context ends, or on the first bad
// record with --strict.
func (e *env) scan(f inputFlags, add func(file string, r *parse.Record)) (scanResult, error) {
	rd := parse.NewReader(nil, newParser(f))
	return e.scanInputs(f, func(name string, src io.Reader) inputResult {
		return e.readSequential(f, name, src, rd, sinkFunc(add))
	})
}

// scanParallel reads every input like scan, but cuts each one into large
// chunks at line boundaries that GOMAXPROCS goroutines parse at once (a
// regular file's chunks read by the workers themselves with ReadAt,
// parse.ChunkerAt; a stream's read ahead by a goroutine of its own,
// parse.ReadAhead), each record going to the sink of its chunk: newSink is called
// once per chunk, from the worker goroutines. merge is called with every
// chunk's sink, one at a time (under a lock, from whichever worker finished
// the chunk that completes the sequence), in input order, so
// merging them into one accumulator gives what a sequential scan would, and
// analyses that depend on order see the chunks in order. Nothing is sent
// per line; a chunk's buffer is reused once its records are parsed.
//
// Octet-counted input (an HTTPS drain body, whose frames need not end at a
// newline) is read sequentially, into a new sink every framedRecords
// records.
func (e *env) scanParallel(f inputFlags, newSink func() recordSink, merge func(recordSink)) (scanResult, error) {
	return e.scanParallelOpts(f, scanOpts{}, newSink, merge)
}

// mappedChunkSize is the size of the chunks of a regular file whose
// chunks are mapped (parse.ChunkerAt.Map) when no size is set, for the
// given number of workers. Each worker has one chunk mapped, counted in
// RSS, at a time: together 16 MiB up to four workers, as much as two
// workers' chunk buffers (8 MiB each for one or two workers, 5.3 MiB for
// three), and 4 MiB each from four workers on (32 MiB for eight). 16 MiB chunks measured 0.03 CPU-s less per GiB (fewer fresh
// aggregators and merges) but 15 MB more peak RSS.
func mappedChunkSize(workers int) int {
	return min(parse.DefaultChunkSize, max(4<<20, (16<<20)/max(workers, 1)))
}

// scanOpts tune a parallel scan for sinks that are large or slow to merge.
type scanOpts struct {
	// chunkSize is the size of the chunks (scanChunkSize, else
	// parse.DefaultChunkSize, when 0; parse.NewChunker raises it to 2 MiB).
	chunkSize int
	// ahead caps the chunks claimed and not yet merged, so the sinks in
	// memory at once (one per worker when 0: a worker that finishes a
	// chunk before the one ahead of it is merged waits; the chunks are of
	// one size, so on free cores it seldom does). Each chunk aggregator
	// holds its groups' histograms and head-of-line buffers (about 1.2 MB
	// on the generated log): with workers + 2, a long scan on a loaded
	// machine sooner or later had all of them in memory at once behind a
	// descheduled worker (10 GiB file at load 5-7: 57.5-58.9 MB, with
	// workers 54.8-54.9; 1.6 MB apart on a quieter machine; a 100 MB file
	// ends before it gets there). A sink whose merge is slow
	// (writing Parquet) would otherwise have every worker parse that many
	// chunks ahead of it.
	ahead int
	// relLines: the sinks are lineShifters, so a regular file's chunks
	// need not have their lines counted before they are parsed
	// (parse.ChunkerAt.RelativeLines): one pass over the bytes less. Not
	// with --strict, whose error names the line.
	relLines bool
}

// lineShifter is a sink that can renumber the lines it keeps: records of
// a chunk read with relative lines are numbered from the chunk's start,
// and shiftLines(n) is called with the lines before the chunk before the
// sink is merged.
type lineShifter interface {
	shiftLines(n int64)
}

// scanParallelOpts is scanParallel with options.
func (e *env) scanParallelOpts(f inputFlags, o scanOpts, newSink func() recordSink, merge func(recordSink)) (scanResult, error) {
	pool := newWorkerPool(f, runtime.GOMAXPROCS(0))
	pool.chunkSize, pool.ahead = scanChunkSize, len(pool.readers)
	pool.relLines = o.relLines && !f.Strict
	if o.chunkSize > 0 && scanChunkSize == 0 {
		pool.chunkSize = o.chunkSize
	}
	if o.ahead > 0 {
		pool.ahead = max(o.ahead, len(pool.readers))
	}
	res, err := e.scanInputs(f, func(name string, src io.Reader) inputResult {
		return e.readParallel(f, name, src, pool, newSink, merge)
	})
	pool.free()
	return res, err
}

// inputResult is what reading one input gave.
type inputResult struct {
	records int64 // records read
	bytes   int64 // decompressed bytes read
	lines   int64 // physical lines read (for a read error's message)
	readErr error // the input could not be read to its end
	err     error // the scan must stop: --strict or interruption
	// detached: a goroutine may still be reading the input (standard
	// input stopped early by --strict, which may block for ever), so the
	// input must not be closed under it.
	detached bool
}

// scanInputs expands and opens every input in turn and reads it with read.
func (e *env) scanInputs(f inputFlags, read func(name string, src io.Reader) inputResult) (scanResult, error) {
	var res scanResult
	names := f.Files
	if len(names) == 0 {
		names = []string{input.Stdin}
	}
	names, err := input.Expand(names)
	if err != nil {
		return res, &exitError{code: 1, msg: err.Error()}
	}
	e.progress.setTotal(input.TotalSize(names))
	for _, name := range names {
		in := aggregate.Input{Name: displayName(name)}
		src, err := input.Open(name, e.stdin)
		if err != nil {
			in.Error = err.Error()
			res.inputs = append(res.inputs, in)
			res.failed = true
			fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(err.Error()))
			continue
		}
		in.Compression = src.Compression
		e.progress.begin(src)
		r := read(in.Name, src)
		e.progress.end(src)
		if !r.detached {
			src.Close()
		}
		in.Lines, in.Bytes = r.records, r.bytes
		var xe *exitError
		if errors.As(r.err, &xe) {
			return res, r.err // --strict: the input is not reported
		}
		if errors.Is(r.readErr, errInterrupted) {
			// A read cut short by a signal (stdin, see ctxReader) is an
			// interruption, not a broken input.
			res.inputs = append(res.inputs, in)
			return res, errInterrupted
		}
		if r.readErr != nil {
			in.Error = fmt.Sprintf("%v (after line %d)", r.readErr, r.lines)
			res.failed = true
			fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(in.Error))
		}
		res.inputs = append(res.inputs, in)
		if r.err != nil {
			return res, r.err
		}
		if e.ctx.Err() != nil {
			return res, errInterrupted
		}
	}
	return res, nil
}

func newParser(f inputFlags) *parse.Parser {
	p := parse.NewParser()
	if f.Year > 0 {
		p.Year = int64(f.Year)
	}
	return p
}

// strictError is the error --strict stops with, naming file and line.
func strictError(file string, r *parse.Record) error {
	return &exitError{code: 1, msg: fmt.Sprintf("%s:%d: %s: %s (--strict)", file, r.Line, r.Kind, reason(r))}
}

// readSequential reads one input record by record into s.
func (e *env) readSequential(f inputFlags, name string, src io.Reader, rd *parse.Reader, s recordSink) (res inputResult) {
	rd.Reset(src)
	defer func() { res.bytes, res.lines = rd.Offset(), rd.Line() }()
	for {
		rec, err := rd.Next()
		if err != nil {
			if err != io.EOF {
				res.readErr = err
			}
			break
		}
		res.records++
		s.Add(name, rec)
		if f.Strict && isBad(rec.Kind) {
			res.err = strictError(name, rec)
			break
		}
		if res.records&4095 == 0 {
			e.progress.addLines(4096)
			if e.ctx.Err() != nil {
				res.err = errInterrupted
				break
			}
		}
	}
	return res
}

// workerPool is the per-goroutine state of a parallel scan, reused from one
// input to the next: a Reader (with its Parser and interned strings) per
// worker, and the chunk buffers: one per worker for a regular file, which
// each worker reads itself (parse.ChunkerAt); for a stream, the ring the
// read-ahead goroutine fills (parse.ReadAhead), readAheadExtra more.
type workerPool struct {
	chunks    []*parse.Chunk
	readers   []*parse.Reader
	chunkSize int // see scanOpts
	ahead     int
	relLines  bool
	// detached: a read-ahead goroutine may still be filling a chunk (see
	// inputResult.detached), so the chunks must not be freed.
	detached bool
}

// free unmaps the chunk buffers once the scan is over, so that the report
// built next does not add to them (they would otherwise stay mapped until
// a collection finds them garbage: 16-24 MB under the report's memory).
func (w *workerPool) free() {
	if w.detached {
		return
	}
	for _, ch := range w.chunks {
		ch.Free()
	}
}

// readAheadExtra is how many chunk buffers a stream's read-ahead has
// beyond one per worker: one being filled while every worker parses.
const readAheadExtra = 1

func newWorkerPool(f inputFlags, n int) *workerPool {
	if n < 1 {
		n = 1
	}
	w := &workerPool{chunks: make([]*parse.Chunk, n+readAheadExtra), readers: make([]*parse.Reader, n), ahead: n}
	for i := range w.readers {
		w.readers[i] = parse.NewReader(nil, newParser(f))
	}
	for i := range w.chunks {
		w.chunks[i] = new(parse.Chunk)
	}
	return w
}

// framedRecords is how many records of a sequentially read (octet-counted)
// input go to one sink; tests make it small.
var framedRecords = 1 << 15

// rollingSink hands a sequential read on to a new sink every framedRecords
// records, merging the previous one, so sinks that keep records (export's
// rows) stay as small as a chunk's whatever the input's size.
type rollingSink struct {
	newSink func() recordSink
	merge   func(recordSink)
	cur     recordSink
	n       int
}

func (r *rollingSink) Add(file string, rec *parse.Record) {
	if r.n == framedRecords {
		r.merge(r.cur)
		r.cur, r.n = r.newSink(), 0
	}
	r.cur.Add(file, rec)
	r.n++
}

// chunkResult is what a worker made of one chunk.
type chunkResult struct {
	seq     int
	s       recordSink
	records int64
	bytes   int64
	lines   int64 // physical lines in the chunk
	err     error // --strict stopped at a bad record, or the scan was interrupted
	readErr error // a mapped chunk faulted (the file shrank): its sink is not merged
}

// chunkFeed hands chunks to the workers of a parallel scan: a regular
// file's workers read their own chunks (parse.ChunkerAt); a stream's
// chunks are read ahead on a goroutine of their own (parse.ReadAhead).
type chunkFeed struct {
	at     *parse.ChunkerAt
	ra     *parse.ReadAhead
	mapped bool // at maps the file: chunks are read with a fault guard
}

// next returns worker w's next chunk, or nil at the end.
func (c *chunkFeed) next(pool *workerPool, w int) *parse.Chunk {
	if c.at != nil {
		if ch := pool.chunks[w]; c.at.Next(ch) {
			return ch
		}
		return nil
	}
	return c.ra.Next()
}

// done gives a parsed chunk's buffer back.
func (c *chunkFeed) done(ch *parse.Chunk) {
	if c.ra != nil {
		c.ra.Release(ch)
	}
}

// readParallel reads one input in chunks on the pool's workers and merges
// the chunks' sinks in input order.
func (e *env) readParallel(f inputFlags, name string, src io.Reader, pool *workerPool, newSink func() recordSink, merge func(recordSink)) inputResult {
	var feed chunkFeed
	var ra io.ReaderAt
	var size int64
	if s, ok := src.(*input.Source); ok {
		ra, size, ok = s.ReaderAt()
		if !ok {
			ra = nil
		}
	}
	var head []byte
	if ra != nil {
		head = make([]byte, min(16, size))
		n, _ := ra.ReadAt(head, 0)
		head = head[:n]
	} else {
		head, src = peek(src, 16)
	}
	if parse.LooksFramed(head) {
		rs := &rollingSink{newSink: newSink, merge: merge, cur: newSink()}
		res := e.readSequential(f, name, src, pool.readers[0], rs)
		merge(rs.cur)
		return res
	}
	if ra != nil {
		cs := pool.chunkSize
		if _, ok := ra.(parse.MapperAt); ok && cs == 0 {
			cs = mappedChunkSize(len(pool.readers))
		}
		feed.at = parse.NewChunkerAt(ra, size, cs)
		feed.mapped = feed.at.Map()
		if pool.relLines {
			feed.at.RelativeLines()
		}
	} else {
		feed.ra = parse.NewReadAhead(parse.NewChunker(src, pool.chunkSize), pool.chunks)
	}
	workers := len(pool.readers)
	// The workers merge too: whoever finishes the next chunk in input order
	// merges it and every finished chunk after it, under mu. No chunk waits
	// for a separate merging goroutine to be scheduled, which on a busy
	// machine can take milliseconds per wake-up.
	var (
		mu         sync.Mutex
		room       = sync.NewCond(&mu)
		pending    = make(map[int]chunkResult)
		next       int   // the next chunk to merge
		lines      int64 // physical lines in the chunks merged
		inflight   int   // chunks claimed and not yet merged
		res        inputResult
		strictStop bool
		stop       atomic.Bool
		wg         sync.WaitGroup
	)
	// At most this many chunks are claimed ahead of the merge, so a worker
	// that falls behind cannot make the others pile up unmerged sinks.
	limit := pool.ahead
	deliver := func(r chunkResult) {
		mu.Lock()
		defer mu.Unlock()
		pending[r.seq] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			inflight--
			room.Broadcast()
			if strictStop {
				continue // after --strict's record nothing counts, as in a sequential scan
			}
			if r.readErr != nil {
				// The sink may hold half a record: it is dropped, and
				// nothing after it counts.
				res.readErr, strictStop = r.readErr, true
				continue
			}
			if feed.at != nil && pool.relLines {
				r.s.(lineShifter).shiftLines(lines)
			}
			merge(r.s)
			res.records += r.records
			res.bytes += r.bytes
			lines += r.lines
			switch {
			case r.err == errInterrupted:
				if res.err == nil {
					res.err = r.err
				}
			case r.err != nil:
				res.err, strictStop = r.err, true
			}
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int, rd *parse.Reader) {
			defer wg.Done()
			for {
				mu.Lock()
				for inflight >= limit {
					room.Wait()
				}
				inflight++
				mu.Unlock()
				var ch *parse.Chunk
				if !stop.Load() {
					ch = feed.next(pool, w)
				}
				if ch == nil {
					mu.Lock()
					inflight--
					room.Broadcast()
					mu.Unlock()
					return
				}
				r := e.parseChunk(f, name, ch, rd, newSink(), &stop, feed.mapped)
				feed.done(ch)
				deliver(r)
			}
		}(w, pool.readers[w])
	}
	wg.Wait()
	if feed.at != nil {
		if feed.mapped {
			for _, ch := range pool.chunks[:workers] {
				ch.Free() // unmaps the window of a worker stopped early (no Next again)
			}
		}
		if res.readErr == nil {
			res.readErr = feed.at.Err()
		}
		if feed.mapped && res.readErr == nil && size > 0 {
			// A shrink within the last page does not fault: the bytes
			// past the new end read as zeros. The file must still reach
			// its size now that every chunk is parsed.
			var b [1]byte
			if n, _ := ra.ReadAt(b[:], size-1); n < 1 {
				res.readErr = parse.ErrShrunk
			}
		}
		if errors.Is(res.readErr, parse.ErrShrunk) {
			res.readErr = fmt.Errorf("%s: %w", name, res.readErr)
		}
		if res.readErr == nil && res.err == nil && !stop.Load() {
			// Read to the end: the chunks' bytes leave out the part of a
			// line longer than a chunk that was skipped.
			res.bytes = size
		}
		res.lines = feed.at.Lines()
		if pool.relLines {
			res.lines = lines
		}
		return res
	}
	if stop.Load() && e.ctx.Err() == nil && name == displayName(input.Stdin) {
		// Stopped early by --strict on standard input, which may block for
		// ever: the reading goroutine is not waited for, and the input is
		// left open (closing a decompressor under it would be a data race;
		// with zstd, a panic). It ends after at most one more chunk, or
		// with the process.
		feed.ra.Stop(false)
		res.detached = true
		pool.detached = true
		return res
	}
	// At the end, or stopped early by an interruption (whose context also
	// ends any blocked read of standard input, see ctxReader) or by --strict
	// on another input: wait for the reading goroutine before the input is
	// closed.
	feed.ra.Stop(true)
	res.readErr, res.lines = feed.ra.Err(), feed.ra.Lines()
	if res.readErr == nil && res.err == nil && !stop.Load() {
		// Read to the end: the chunks' bytes leave out the part of a line
		// longer than a chunk that was skipped.
		res.bytes = feed.ra.Offset()
	}
	return res
}

// parseChunk parses one chunk into s. It stops at a bad record with
// --strict, or when the scan is interrupted, and then tells the other
// workers to stop claiming chunks. With mapped, ch.Data is a mapped file
// (parse.ChunkerAt.Map), which faults if the file shrank: the fault is
// caught and ends the chunk and the scan with parse.ErrShrunk.
func (e *env) parseChunk(f inputFlags, name string, ch *parse.Chunk, rd *parse.Reader, s recordSink, stop *atomic.Bool, mapped bool) (res chunkResult) {
	res = chunkResult{seq: ch.Seq, s: s}
	if mapped {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if v := recover(); v != nil {
				if !ch.Faulted(v) {
					panic(v)
				}
				res.readErr = parse.ErrShrunk
				stop.Store(true)
			}
		}()
	}
	rd.ResetBytes(ch.Data, ch.Line, ch.Offset)
	for {
		rec, err := rd.Next()
		if err != nil {
			break
		}
		res.records++
		s.Add(name, rec)
		if f.Strict && isBad(rec.Kind) {
			res.err = strictError(name, rec)
			stop.Store(true)
			break
		}
		if res.records&4095 == 0 && e.ctx.Err() != nil {
			res.err = errInterrupted
			stop.Store(true)
			break
		}
	}
	res.bytes, res.lines = rd.Offset()-ch.Offset, rd.Line()-ch.Line
	e.progress.addLines(res.records)
	return res
}

// peek reads up to n bytes from r and returns them with a reader that
// yields them again followed by the rest of r (and r's error, if reading
// the first bytes met one).
func peek(r io.Reader, n int) ([]byte, io.Reader) {
	head := make([]byte, n)
	k := 0
	var err error
	for k < n && err == nil {
		var m int
		m, err = r.Read(head[k:])
		k += m
		if m == 0 && err == nil {
			break
		}
	}
	return head[:k], &prefixReader{head: head[:k], err: err, r: r}
}

// prefixReader reads head, then err if not nil, then r.
type prefixReader struct {
	head []byte
	err  error
	r    io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.r.Read(b)
}

func displayName(name string) string {
	if name == input.Stdin {
		return "(stdin)"
	}
	return name
}

func isBad(k parse.Kind) bool {
	return k == parse.KindMalformed || k == parse.KindUnparsed || k == parse.KindOversize
}

func reason(r *parse.Record) string {
	if r.Problem != "" {
		return r.Problem
	}
	return r.Kind.String()
}

// bufferedOutput wraps w in a large buffer; flush reports write errors.
func bufferedOutput(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
