package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// exportCmd is `herolog export`.
type exportCmd struct {
	inputFlags    `embed:""`
	progressFlags `embed:""`

	Output    string `short:"o" required:"" placeholder:"PATH" help:"Requests table: a .parquet file, or a directory with --partition." group:"Output"`
	Events    string `placeholder:"PATH" help:"Also write the events table (dyno state changes, R-codes, memory, runtime metrics, logplex L-codes) to this file or, with --partition, directory." group:"Output"`
	Partition string `enum:"none,day,hour" default:"none" help:"Write a Hive-style directory: PATH/date=YYYY-MM-DD/[hour=HH/]part-NNNN.parquet (none, day, hour)." group:"Output"`
	Force     bool   `help:"Replace an existing output file (or a directory herolog partitioned before)." group:"Output"`
}

// Help is shown under the command's usage line.
func (x *exportCmd) Help() string {
	return `Writes one row per router request (errors included) as Parquet, for pandas,
polars, DuckDB or Spark. Files appear only when complete: they are written
under a temporary name and renamed at the end.

Examples:
  herolog export logs.txt -o requests.parquet
  herolog export archive/*.tsv.gz -o requests.parquet --events events.parquet
  herolog export archive/ -o lake/ --partition day
  duckdb -c "select dyno, quantile_cont(service_ms, 0.99) from 'requests.parquet' group by 1"`
}

// exportMemoryLimit is the Go heap's soft limit during an export (unless
// GOMEMLIMIT is set), a backstop: the heap's live memory is some 37 MB
// (zstd encoders, the batches in flight, the parallel scan's chunks and
// rows), and the row group's compressed pages, some 40 MB for 2^20 rows,
// are allocated off the Go heap (output's pageAllocator), so the limit is
// rarely reached. Before the pages moved off the heap it set the pace of
// the collector (205-328 collections for a 1 GB log instead of 10).
const exportMemoryLimit = 110 << 20

// exportGCPercent is GOGC during an export (unless GOGC is set): the heap
// may grow by 30% of its live memory between collections instead of
// doubling. With the row group's pages off the heap the live heap is small
// (some 40-50 MB), so collections stay few. 1 GB log (3.6M rows), peak RSS
// after merging main's scan: 114-120 MiB at 30 against 125-130 at 50;
// with --events 134-136 MiB against 140-146 at 50 (34 against 23
// collections, CPU time within noise).
const exportGCPercent = 30

// exportScan is how export's parallel scan cuts its input: chunks of 2
// MiB (some 7,000 requests, about 1.5 MB of rows), and at most one per
// worker, plus one, claimed ahead of the writer. The writer is slower than
// the parsing, so with the defaults (8 MiB, 4 per worker) eight chunks'
// rows would wait for it, some 80 MB, and the heap would reach
// exportMemoryLimit, where the collector runs all the time.
func exportScan() scanOpts {
	return scanOpts{chunkSize: 2 << 20, ahead: runtime.GOMAXPROCS(0) + 1}
}

// rowWriter is a Parquet table writer (output.RequestWriter or
// output.EventWriter).
type rowWriter interface {
	Add(file string, r *parse.Record) error
	Rows() int64
	Close() error
}

// newRowWriter starts a table on w.
type newRowWriter func(w io.Writer) (rowWriter, error)

func newRequests(w io.Writer) (rowWriter, error) {
	return output.NewRequestWriter(w, output.ParquetOptions{})
}

func newEvents(w io.Writer) (rowWriter, error) {
	return output.NewEventWriter(w, output.ParquetOptions{})
}

// sink is where one table goes: a single file or a partitioned directory.
// finish(true) completes it and moves it into place; finish(false)
// removes everything it wrote.
type sink interface {
	add(file string, r *parse.Record) error
	// addRows writes a buffer of requests (the requests sink only).
	addRows(b *output.RequestRows) error
	finish(ok bool) error
	rows() int64
	target() string
}

// Run exports the inputs.
func (x *exportCmd) Run(e *env) error {
	if x.Events != "" && filepath.Clean(x.Events) == filepath.Clean(x.Output) {
		return &exitError{code: 2, msg: "--events and -o name the same path"}
	}
	part := x.Partition
	if part == "none" {
		part = ""
	}
	start := time.Now()
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(exportMemoryLimit))
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(exportGCPercent))
	}
	req, err := openSink(x.Output, part, x.Force, newRequests)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	sinks := []sink{req}
	var ev sink
	if x.Events != "" {
		ev, err = openSink(x.Events, part, x.Force, newEvents)
		if err != nil {
			req.finish(false)
			return &exitError{code: 1, msg: err.Error()}
		}
		sinks = append(sinks, ev)
	}
	stopProgress := e.startProgress(x.progressFlags)
	defer stopProgress()
	// Workers parse chunks of the input in parallel, each into its own
	// exportChunk; the chunks are written in input order (see scanParallel).
	var werr error
	chunks := newChunkPool(ev != nil)
	res, scanErr := e.scanParallelOpts(x.inputFlags, exportScan(), chunks.get, func(s recordSink) {
		c := s.(*exportChunk)
		if werr == nil {
			werr = c.writeTo(req, ev)
		}
		chunks.put(c)
	})
	abort := func(code int, why string) error {
		var names []string
		for _, s := range sinks {
			s.finish(false)
			names = append(names, s.target())
		}
		return &exitError{code: code, msg: fmt.Sprintf("%s; nothing was written to %s", why, strings.Join(names, " or "))}
	}
	var xe *exitError
	switch {
	case werr != nil:
		return abort(1, werr.Error())
	case errors.Is(scanErr, errInterrupted):
		return abort(interruptStatus(e.ctx), interrupted(e.ctx))
	case errors.As(scanErr, &xe):
		return abort(xe.code, xe.msg)
	case scanErr != nil:
		return abort(1, scanErr.Error())
	case res.failed:
		return abort(1, "not every input could be read to its end")
	}
	for i, s := range sinks {
		if err := s.finish(true); err != nil {
			names := []string{s.target()}
			for _, rest := range sinks[i+1:] {
				rest.finish(false)
				names = append(names, rest.target())
			}
			// A full disk most often fails here, at the last flush.
			return &exitError{code: 1, msg: fmt.Sprintf("%v; nothing was written to %s", err, strings.Join(names, " or "))}
		}
	}
	out := bufferedOutput(e.stdout)
	fmt.Fprintf(out, "%s: %d requests\n", output.Sanitize(req.target()), req.rows())
	if ev != nil {
		fmt.Fprintf(out, "%s: %d events\n", output.Sanitize(ev.target()), ev.rows())
	}
	var lines int64
	for _, in := range res.inputs {
		lines += in.Lines
	}
	fmt.Fprintf(out, "%d lines read from %d inputs in %.2f s\n", lines, len(res.inputs), time.Since(start).Seconds())
	if err := out.Flush(); err != nil {
		return &exitError{code: 1, msg: "writing the summary: " + err.Error()}
	}
	return nil
}

// openSink opens a single-file sink, or a partitioned one when part is
// "day" or "hour".
func openSink(path, part string, force bool, nw newRowWriter) (sink, error) {
	if part != "" {
		return openLake(path, part, force, nw)
	}
	return openFileSink(path, force, nw)
}

// safeFile is a file written under a temporary name in its target's
// directory and renamed to the target only when complete.
type safeFile struct {
	f      *os.File
	bw     *bufio.Writer
	target string
}

// createSafe starts a safe file. It refuses an existing target unless
// force, and never replaces a directory.
func createSafe(target string, force bool) (*safeFile, error) {
	if fi, err := os.Stat(target); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory (did you mean --partition?)", target)
		}
		if !force {
			return nil, fmt.Errorf("%s exists (use --force to replace it)", target)
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", target, err)
	}
	f.Chmod(0o644) // CreateTemp makes 0600; a result file is as readable as os.Create's
	return &safeFile{f: f, bw: bufio.NewWriterSize(&writeback{f: f}, 1<<20), target: target}, nil
}

// commit flushes, syncs and renames the file into place.
func (s *safeFile) commit() error {
	err := s.bw.Flush()
	if err == nil {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.f.Name(), s.target)
	}
	if err != nil {
		os.Remove(s.f.Name())
		return fmt.Errorf("writing %s: %w", s.target, err)
	}
	return nil
}

// abort removes the temporary file.
func (s *safeFile) abort() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// fileSink writes one table to one safe file.
type fileSink struct {
	sf *safeFile
	w  rowWriter
}

func openFileSink(path string, force bool, nw newRowWriter) (*fileSink, error) {
	sf, err := createSafe(path, force)
	if err != nil {
		return nil, err
	}
	w, err := nw(sf.bw)
	if err != nil {
		sf.abort()
		return nil, err
	}
	return &fileSink{sf: sf, w: w}, nil
}

func (s *fileSink) add(file string, r *parse.Record) error {
	if err := s.w.Add(file, r); err != nil {
		return fmt.Errorf("writing %s: %w", s.sf.target, err)
	}
	return nil
}

func (s *fileSink) addRows(b *output.RequestRows) error {
	if err := s.w.(*output.RequestWriter).AddRows(b, 0, b.Len()); err != nil {
		return fmt.Errorf("writing %s: %w", s.sf.target, err)
	}
	return nil
}

func (s *fileSink) rows() int64    { return s.w.Rows() }
func (s *fileSink) target() string { return s.sf.target }

// aborter is a rowWriter that can stop without finishing its file
// (output.RequestWriter: a file being thrown away need not have its last
// row group, up to a million rows, encoded and written).
type aborter interface{ Abort() }

// discard stops w, for a file that is to be removed.
func discard(w rowWriter) {
	if a, ok := w.(aborter); ok {
		a.Abort()
		return
	}
	w.Close()
}

func (s *fileSink) finish(ok bool) error {
	if !ok {
		discard(s.w)
		s.sf.abort()
		return nil
	}
	err := s.w.Close()
	if !ok || err != nil {
		s.sf.abort()
		if err != nil {
			return fmt.Errorf("writing %s: %w", s.sf.target, err)
		}
		return nil
	}
	return s.sf.commit()
}

// maxOpenParts caps the partition files open at once in a lake. Archives
// are mostly in time order, so a partition whose writer was closed rarely
// comes back; when it does, it gets a new part file.
const maxOpenParts = 8

// lakeSink writes a Hive-partitioned directory: root/date=YYYY-MM-DD/
// [hour=HH/]part-NNNN.parquet. The whole tree is built in a temporary
// directory next to root and renamed to root when complete.
type lakeSink struct {
	root, tmp string
	hourly    bool
	force     bool
	nw        newRowWriter
	open      map[int64]*lakePart // by day or hour number
	parts     map[int64]int       // next part number per partition
	last      *lakePart
	lastKey   int64
	tick      int64
	n         int64
	keys      []int64 // addRows: each row's partition
}

type lakePart struct {
	f    *os.File
	bw   *bufio.Writer
	w    rowWriter
	used int64
}

// noTime is the partition key of records without a timestamp.
const noTime = int64(-1 << 62)

// openLake starts a partitioned sink. An existing root is replaced only
// with force and only when it looks like a lake herolog wrote (nothing but
// date=... entries), so a typo cannot wipe an unrelated directory.
func openLake(root, part string, force bool, nw newRowWriter) (*lakeSink, error) {
	root = filepath.Clean(root)
	if fi, err := os.Stat(root); err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s exists and is not a directory", root)
		}
		if !force {
			return nil, fmt.Errorf("%s exists (use --force to replace a directory herolog partitioned)", root)
		}
		ents, err := os.ReadDir(root)
		if err != nil {
			return nil, err
		}
		for _, de := range ents {
			if !strings.HasPrefix(de.Name(), "date=") {
				return nil, fmt.Errorf("%s holds %s, not only date=... partitions; refusing to replace it", root, de.Name())
			}
		}
	}
	parent, base := filepath.Split(root)
	if parent == "" {
		parent = "."
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", root, err)
	}
	os.Chmod(tmp, 0o755) // MkdirTemp makes 0700
	return &lakeSink{root: root, tmp: tmp, hourly: part == "hour", force: force, nw: nw,
		open: map[int64]*lakePart{}, parts: map[int64]int{}, lastKey: noTime - 1}, nil
}

func (l *lakeSink) target() string { return l.root + string(filepath.Separator) }
func (l *lakeSink) rows() int64    { return l.n }

// key is the record's day or hour number since the epoch (UTC).
func (l *lakeSink) key(r *parse.Record) int64 { return l.timeKey(r.Time, r.HasTime) }

// timeKey is key for a time.
func (l *lakeSink) timeKey(t int64, ok bool) int64 {
	if !ok {
		return noTime
	}
	unit := int64(24 * time.Hour / time.Microsecond)
	if l.hourly {
		unit = int64(time.Hour / time.Microsecond)
	}
	k := t / unit
	if t < 0 && t%unit != 0 {
		k--
	}
	return k
}

// dir is the partition's directory below the root.
func (l *lakeSink) dir(k int64) string {
	if k == noTime {
		if l.hourly {
			return filepath.Join("date=__HIVE_DEFAULT_PARTITION__", "hour=__HIVE_DEFAULT_PARTITION__")
		}
		return "date=__HIVE_DEFAULT_PARTITION__"
	}
	if l.hourly {
		t := time.Unix(k*3600, 0).UTC()
		return filepath.Join("date="+t.Format("2006-01-02"), "hour="+t.Format("15"))
	}
	return "date=" + time.Unix(k*86400, 0).UTC().Format("2006-01-02")
}

func (l *lakeSink) add(file string, r *parse.Record) error {
	p, err := l.partAt(l.key(r))
	if err != nil {
		return err
	}
	if err := p.w.Add(file, r); err != nil {
		return fmt.Errorf("writing %s: %w", l.root, err)
	}
	l.n++
	return nil
}

func (l *lakeSink) addRows(b *output.RequestRows) error {
	// Rows go to their partitions in order, a run of rows of the same
	// partition at a time.
	l.keys = l.keys[:0]
	for t, ok := range b.Times() {
		l.keys = append(l.keys, l.timeKey(t, ok))
	}
	for lo := 0; lo < len(l.keys); {
		k := l.keys[lo]
		hi := lo + 1
		for hi < len(l.keys) && l.keys[hi] == k {
			hi++
		}
		p, err := l.partAt(k)
		if err != nil {
			return err
		}
		if err := p.w.(*output.RequestWriter).AddRows(b, lo, hi); err != nil {
			return fmt.Errorf("writing %s: %w", l.root, err)
		}
		l.n += int64(hi - lo)
		lo = hi
	}
	return nil
}

// partAt returns partition k's writer, remembering it as the last used.
func (l *lakeSink) partAt(k int64) (*lakePart, error) {
	p := l.last
	if k != l.lastKey || p == nil {
		var err error
		if p, err = l.partFor(k); err != nil {
			return nil, err
		}
		l.last, l.lastKey = p, k
		l.tick++
		p.used = l.tick
	}
	return p, nil
}

// partFor returns the open writer of partition k, opening a new part file
// (and closing the least recently used writer past maxOpenParts).
func (l *lakeSink) partFor(k int64) (*lakePart, error) {
	if p := l.open[k]; p != nil {
		return p, nil
	}
	if len(l.open) >= maxOpenParts {
		var oldK int64
		var old *lakePart
		for ok, op := range l.open {
			if old == nil || op.used < old.used {
				oldK, old = ok, op
			}
		}
		delete(l.open, oldK)
		if old == l.last {
			l.last = nil
		}
		if err := old.close(); err != nil {
			return nil, fmt.Errorf("writing %s: %w", l.root, err)
		}
	}
	dir := filepath.Join(l.tmp, l.dir(k))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	n := l.parts[k]
	l.parts[k] = n + 1
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%04d.parquet", n)))
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(&writeback{f: f}, 1<<20)
	w, err := l.nw(bw)
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &lakePart{f: f, bw: bw, w: w}
	l.open[k] = p
	return p, nil
}

func (p *lakePart) close() error {
	err := p.w.Close()
	if err == nil {
		err = p.bw.Flush()
	}
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *lakeSink) finish(ok bool) error {
	if !ok {
		for k, p := range l.open {
			discard(p.w)
			p.f.Close()
			delete(l.open, k)
		}
		os.RemoveAll(l.tmp)
		return nil
	}
	var err error
	for k, p := range l.open {
		if cerr := p.close(); err == nil {
			err = cerr
		}
		delete(l.open, k)
	}
	if !ok || err != nil {
		os.RemoveAll(l.tmp)
		if err != nil {
			return fmt.Errorf("writing %s: %w", l.root, err)
		}
		return nil
	}
	// Move the finished tree into place; an old lake (checked in openLake)
	// is moved aside first and removed only once the new one is in.
	var old string
	if _, serr := os.Stat(l.root); serr == nil {
		old = l.tmp + ".old"
		if err := os.Rename(l.root, old); err != nil {
			os.RemoveAll(l.tmp)
			return fmt.Errorf("replacing %s: %w", l.root, err)
		}
	}
	if err := os.Rename(l.tmp, l.root); err != nil {
		if old != "" {
			os.Rename(old, l.root)
		}
		os.RemoveAll(l.tmp)
		return fmt.Errorf("writing %s: %w", l.root, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// finishParquet completes analyze's --parquet file when the scan ended
// well. Otherwise it removes the temporary file and says so on stderr; a
// Parquet write error is returned, while an interrupted or incomplete scan
// is left to analyze to report.
func finishParquet(e *env, s *fileSink, werr, scanErr error, failed bool) error {
	why := ""
	switch {
	case werr != nil:
		why = werr.Error()
	case errors.Is(scanErr, errInterrupted):
		why = "interrupted"
	case scanErr != nil:
		why = "the scan stopped early"
	case failed:
		why = "not every input could be read to its end"
	}
	if why == "" {
		if err := s.finish(true); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("%v; nothing was written to %s", err, s.target())}
		}
		return nil
	}
	s.finish(false)
	msg := fmt.Sprintf("%s; nothing was written to %s", why, s.target())
	if werr != nil {
		return &exitError{code: 1, msg: msg}
	}
	fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(msg))
	return nil
}

// exportChunk is what a parallel export keeps of one chunk of the input
// until its turn to be written comes: its requests as rows, and with
// --events its event records, copied.
type exportChunk struct {
	file   string
	rows   *output.RequestRows
	events bool
	evs    []parse.Record // byte fields cleared; see spans
	spans  []eventSpan
	arena  []byte // the events' Message and Desc bytes
}

// eventSpan locates an event's Message and Desc in the arena.
type eventSpan struct{ msg, msgEnd, desc, descEnd int }

// Add keeps r if it is a request, or an event when events are kept.
func (c *exportChunk) Add(file string, r *parse.Record) {
	c.file = file
	switch r.Kind {
	case parse.KindRouter:
		c.rows.Add(file, r)
	case parse.KindDyno, parse.KindMetrics, parse.KindLogplex:
		if !c.events {
			return
		}
		// The event writer reads Message and Desc of the byte fields.
		sp := eventSpan{msg: len(c.arena)}
		c.arena = append(c.arena, r.Message...)
		sp.msgEnd, sp.desc = len(c.arena), len(c.arena)
		c.arena = append(c.arena, r.Desc...)
		sp.descEnd = len(c.arena)
		c.evs = append(c.evs, *r)
		ev := &c.evs[len(c.evs)-1]
		ev.Message, ev.Desc, ev.Cause, ev.Path, ev.Host = nil, nil, nil, nil, nil
		ev.RequestID, ev.Fwd, ev.TLSVersion = nil, nil, nil
		c.spans = append(c.spans, sp)
	}
}

// writeTo writes the chunk's requests to req and its events to ev.
func (c *exportChunk) writeTo(req, ev sink) error {
	if c.rows.Len() > 0 {
		if err := req.addRows(c.rows); err != nil {
			return err
		}
	}
	for i := range c.evs {
		r, sp := &c.evs[i], c.spans[i]
		r.Message, r.Desc = c.arena[sp.msg:sp.msgEnd], c.arena[sp.desc:sp.descEnd]
		if err := ev.add(c.file, r); err != nil {
			return err
		}
	}
	return nil
}

func (c *exportChunk) reset() {
	c.file = ""
	c.rows.Reset()
	clear(c.evs)
	c.evs, c.spans, c.arena = c.evs[:0], c.spans[:0], c.arena[:0]
}

// chunkPool recycles exportChunks: a parallel scan has only a few chunks
// in flight (see readParallel), so only a few are ever allocated.
type chunkPool struct {
	events bool
	mu     sync.Mutex
	free   []*exportChunk
}

func newChunkPool(events bool) *chunkPool { return &chunkPool{events: events} }

// get returns an empty chunk (a newSink for scanParallel).
func (p *chunkPool) get() recordSink {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		return c
	}
	return &exportChunk{rows: output.NewRequestRows(), events: p.events}
}

// put returns a written chunk to the pool.
func (p *chunkPool) put(c *exportChunk) {
	c.reset()
	p.mu.Lock()
	p.free = append(p.free, c)
	p.mu.Unlock()
}
