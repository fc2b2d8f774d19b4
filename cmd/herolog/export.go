package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
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
// GOMEMLIMIT is set). The writer's live memory is some 60 MB (a row group's
// compressed pages and dictionary indices, three batches in flight); without
// a limit the collector lets the heap grow to twice that before it runs,
// and peak RSS passes 150 MiB. With it the collector runs earlier, for no
// measurable CPU time on a 200 MB log.
const exportMemoryLimit = 100 << 20

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
	var werr error
	stopProgress := e.startProgress(x.progressFlags)
	defer stopProgress()
	res, scanErr := e.scan(x.inputFlags, func(file string, r *parse.Record) {
		if werr != nil {
			return
		}
		switch r.Kind {
		case parse.KindRouter:
			werr = req.add(file, r)
		case parse.KindDyno, parse.KindMetrics, parse.KindLogplex:
			if ev != nil {
				werr = ev.add(file, r)
			}
		}
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
	return &safeFile{f: f, bw: bufio.NewWriterSize(f, 1<<20), target: target}, nil
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

func (s *fileSink) rows() int64    { return s.w.Rows() }
func (s *fileSink) target() string { return s.sf.target }

func (s *fileSink) finish(ok bool) error {
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
func (l *lakeSink) key(r *parse.Record) int64 {
	if !r.HasTime {
		return noTime
	}
	unit := int64(24 * time.Hour / time.Microsecond)
	if l.hourly {
		unit = int64(time.Hour / time.Microsecond)
	}
	k := r.Time / unit
	if r.Time < 0 && r.Time%unit != 0 {
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
	k := l.key(r)
	p := l.last
	if k != l.lastKey || p == nil {
		var err error
		if p, err = l.partFor(k); err != nil {
			return err
		}
		l.last, l.lastKey = p, k
		l.tick++
		p.used = l.tick
	}
	if err := p.w.Add(file, r); err != nil {
		return fmt.Errorf("writing %s: %w", l.root, err)
	}
	l.n++
	return nil
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
	bw := bufio.NewWriterSize(f, 1<<20)
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
