package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// scanFixtures writes the inputs of the scan tests into dir: a generated CLI
// log of several chunks with unreadable lines planted in different chunks,
// the same gzipped and cut short, octet-counted frames, and a Papertrail
// archive.
func scanFixtures(t *testing.T, dir string) (plain, gz, truncated, framed, tsv string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := gen.New(gen.Config{Seed: 7, Scenario: gen.StuckDyno}).WriteBytes(&buf, 7<<20); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	var withBad []byte
	prev := 0
	for i, at := range []int{1 << 20, 3<<20 + 12345, 5 << 20} {
		cut := bytes.IndexByte(data[at:], '\n') + at + 1
		withBad = append(withBad, data[prev:cut]...)
		withBad = append(withBad, fmt.Sprintf("planted garbage %d\n", i)...)
		prev = cut
	}
	withBad = append(withBad, data[prev:]...)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain = write("plain.log", withBad)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(withBad)
	zw.Close()
	gz = write("plain.log.gz", z.Bytes())
	truncated = write("truncated.gz", z.Bytes()[:z.Len()*2/3])
	for _, f := range []struct {
		format gen.Format
		dst    *string
		name   string
	}{{gen.Framed, &framed, "framed.log"}, {gen.PapertrailTSV, &tsv, "archive.tsv"}} {
		buf.Reset()
		if _, err := gen.New(gen.Config{Seed: 3, Format: f.format}).WriteBytes(&buf, 3<<20); err != nil {
			t.Fatal(err)
		}
		*f.dst = write(f.name, buf.Bytes())
	}
	return
}

// runScan analyses files with the sequential or the parallel scan and
// returns the report as JSON, the error and stderr.
func runScan(t *testing.T, files []string, strict, parallel bool) (report, errMsg, stderr string) {
	return runScanStdin(t, files, "", strict, parallel)
}

// runScanOpts are the options of runScan's parallel scans.
var runScanOpts scanOpts

// runScanStdin is runScan with standard input reading stdin (a file's
// contents: "" for none).
func runScanStdin(t *testing.T, files []string, stdin string, strict, parallel bool) (report, errMsg, stderr string) {
	t.Helper()
	var errBuf bytes.Buffer
	in := strings.NewReader("")
	if stdin != "" {
		b, err := os.ReadFile(stdin)
		if err != nil {
			t.Fatal(err)
		}
		in = strings.NewReader(string(b))
	}
	e := &env{ctx: context.Background(), stdin: in, stdout: &bytes.Buffer{}, stderr: &errBuf}
	f := inputFlags{Files: files, Strict: strict}
	agg := aggregate.New(aggregate.Options{})
	var res scanResult
	var err error
	if parallel {
		res, err = e.scanParallelOpts(f, runScanOpts, func() recordSink { return &aggSink{aggregate.New(aggregate.Options{})} },
			func(s recordSink) { agg.Merge(s.(*aggSink).Aggregator) })
	} else {
		res, err = e.scan(f, func(file string, r *parse.Record) {
			agg.File = file
			agg.Add(r)
		})
	}
	rep := agg.Report()
	rep.Inputs = res.inputs
	b, jerr := json.MarshalIndent(rep, "", " ")
	if jerr != nil {
		t.Fatal(jerr)
	}
	if err != nil {
		errMsg = err.Error()
	}
	return string(b), errMsg, errBuf.String()
}

// TestScanParallelMatchesSequential: the parallel scan gives exactly the
// report, error and messages of the sequential one: counts, histograms,
// problems with their file:line, --strict's first bad line, a truncated
// gzip's "after line N", framed input, several inputs in order; with the
// lines of a regular file's chunks counted before they are parsed, and
// with analyze's relative line numbers shifted at merge (relLines).
func TestScanParallelMatchesSequential(t *testing.T) {
	old := scanChunkSize
	scanChunkSize = 2 << 20 // several chunks per input
	defer func() { scanChunkSize = old }()
	plain, gz, truncated, framed, tsv := scanFixtures(t, t.TempDir())
	tests := []struct {
		name      string
		files     []string
		stdin     string // a file read as standard input
		strict    bool
		wantErr   string // part of the error, "" for none
		wantInErr string // part of stderr
	}{
		{name: "plain", files: []string{plain}},
		{name: "gzip", files: []string{gz}},
		// Read ahead as a stream, not with ReadAt.
		{name: "plain on stdin", files: []string{"-"}, stdin: plain},
		{name: "gzip on stdin", files: []string{"-"}, stdin: gz},
		{name: "truncated gzip on stdin", files: []string{"-"}, stdin: truncated, wantInErr: "truncated (unexpected end of data) (after line"},
		{name: "strict on stdin", files: []string{"-"}, stdin: plain, strict: true, wantErr: ":" + fmt.Sprint(linesBefore(t, plain, "planted garbage 0")) + ": unparsed"},
		{name: "truncated gzip", files: []string{truncated}, wantInErr: "truncated (unexpected end of data) (after line"},
		{name: "framed", files: []string{framed}},
		{name: "papertrail archive", files: []string{tsv}},
		// Not the same log twice (plain then gz): the head-of-line section
		// then counts one victim more in the parallel scan, where the second
		// copy starts from fresh state instead of state left at the end of
		// the first copy, an hour later (reported to the tail section).
		{name: "several inputs", files: []string{tsv, plain, framed}},
		{name: "missing input", files: []string{plain, filepath.Join(t.TempDir(), "nope.log")}, wantInErr: "no such file"},
		{name: "strict", files: []string{plain}, strict: true, wantErr: ":" + fmt.Sprint(linesBefore(t, plain, "planted garbage 0")) + ": unparsed"},
		{name: "strict second input", files: []string{framed, gz}, strict: true, wantErr: "plain.log.gz:"},
	}
	defer func() { runScanOpts = scanOpts{} }()
	for _, rel := range []bool{false, true} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/relLines=%v", tc.name, rel), func(t *testing.T) {
				runScanOpts = scanOpts{relLines: rel}
				seqRep, seqErr, seqStderr := runScanStdin(t, tc.files, tc.stdin, tc.strict, false)
				parRep, parErr, parStderr := runScanStdin(t, tc.files, tc.stdin, tc.strict, true)
				if parRep != seqRep {
					t.Errorf("reports differ:\n%s", firstDiff(parRep, seqRep))
				}
				if parErr != seqErr {
					t.Errorf("error %q, sequential %q", parErr, seqErr)
				}
				if parStderr != seqStderr {
					t.Errorf("stderr %q, sequential %q", parStderr, seqStderr)
				}
				if !strings.Contains(parErr, tc.wantErr) || (tc.wantErr == "") != (parErr == "") {
					t.Errorf("error %q, want one containing %q", parErr, tc.wantErr)
				}
				if !strings.Contains(parStderr, tc.wantInErr) {
					t.Errorf("stderr %q, want %q in it", parStderr, tc.wantInErr)
				}
				if !tc.strict && !strings.Contains(parRep, `"reason"`) && (tc.files[0] == plain || tc.stdin == plain) {
					t.Errorf("the planted lines are not among the problems")
				}
			})
		}
	}
}

// linesBefore returns the 1-based line number of the line containing s.
func linesBefore(t *testing.T, file, s string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in %s", s, file)
	}
	return bytes.Count(b[:i], []byte("\n")) + 1
}

// TestScanParallelInterrupted: a scan whose context has ended stops early,
// reports errInterrupted with what it read, and does not hang waiting for
// chunks nobody will parse.
func TestScanParallelInterrupted(t *testing.T) {
	old := scanChunkSize
	scanChunkSize = 2 << 20
	defer func() { scanChunkSize = old }()
	plain, _, _, _, _ := scanFixtures(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	agg := aggregate.New(aggregate.Options{})
	res, err := e.scanParallel(inputFlags{Files: []string{plain, plain}},
		func() recordSink { return &aggSink{aggregate.New(aggregate.Options{})} },
		func(s recordSink) { agg.Merge(s.(*aggSink).Aggregator) })
	if err != errInterrupted {
		t.Fatalf("error %v, want errInterrupted", err)
	}
	if len(res.inputs) != 1 {
		t.Fatalf("%d inputs reported, want the first only", len(res.inputs))
	}
	st, _ := os.Stat(plain)
	if in := res.inputs[0]; in.Lines == 0 || in.Bytes >= st.Size() {
		t.Fatalf("read %d records, %d of %d bytes: want some, not all", in.Lines, in.Bytes, st.Size())
	}
	if agg.Requests() == 0 {
		t.Fatal("nothing merged")
	}
}

// TestScanStdinCompressedStopsEarly: a scan of compressed standard input
// stopped early (--strict at a bad first line, or an interruption) while the
// read-ahead goroutine is still decompressing must neither close the
// decompressor under that goroutine (a data race; with zstd, a panic that
// lost the report) nor lose the result.
func TestScanStdinCompressedStopsEarly(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString("planted garbage first\n")
	if _, err := gen.New(gen.Config{Seed: 5}).WriteBytes(&buf, 48<<20); err != nil {
		t.Fatal(err)
	}
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(buf.Bytes())
	gw.Close()
	zw, err := zstd.NewWriter(&zs, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(buf.Bytes())
	zw.Close()
	for _, c := range []struct {
		name string
		data []byte
	}{{"gzip", gz.Bytes()}, {"zstd", zs.Bytes()}} {
		for i := 0; i < 3; i++ {
			t.Run(c.name+" strict", func(t *testing.T) {
				e := &env{ctx: context.Background(), stdin: bytes.NewReader(c.data), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
				_, err := e.scanParallel(inputFlags{Strict: true}, func() recordSink { return &aggSink{aggregate.New(aggregate.Options{})} }, func(recordSink) {})
				if err == nil || !strings.Contains(err.Error(), ":1: unparsed") {
					t.Fatalf("error %v, want the first line named", err)
				}
			})
			t.Run(c.name+" interrupted", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				e := &env{ctx: ctx, stdin: interruptible(ctx, bytes.NewReader(c.data)), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
				agg := aggregate.New(aggregate.Options{})
				var merged int
				res, err := e.scanParallel(inputFlags{}, func() recordSink { return &aggSink{aggregate.New(aggregate.Options{})} }, func(s recordSink) {
					if merged++; merged == 2 {
						cancel() // mid-stream, the read-ahead busy decompressing
					}
					agg.Merge(s.(*aggSink).Aggregator)
				})
				if !errors.Is(err, errInterrupted) {
					t.Fatalf("error %v, want the interruption", err)
				}
				if rep := agg.Report(); rep.Lines.Router == 0 || len(res.inputs) != 1 {
					t.Fatalf("lost what was read: %+v, inputs %+v", rep.Lines, res.inputs)
				}
			})
		}
	}
}

// TestScanParallelFileShrinks: a regular file cut short while its mapped
// chunks are parsed (a log rotated with copytruncate) is a read error
// naming the file, not a crash, and the chunks before are kept.
func TestScanParallelFileShrinks(t *testing.T) {
	old := scanChunkSize
	scanChunkSize = 2 << 20
	defer func() { scanChunkSize = old }()
	// To 4096 bytes: later chunks fault or fail to read. By 50 bytes: the
	// new end is within the last mapped page, which reads as zeros
	// without a fault.
	for _, cut := range []func(size int64) int64{
		func(int64) int64 { return 4096 },
		func(size int64) int64 { return size - 50 },
	} {
		plain, _, _, _, _ := scanFixtures(t, t.TempDir())
		st, err := os.Stat(plain)
		if err != nil {
			t.Fatal(err)
		}
		to := cut(st.Size())
		e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		var once sync.Once
		res, err := e.scanParallel(inputFlags{Files: []string{plain}},
			func() recordSink {
				return sinkFunc(func(string, *parse.Record) {
					once.Do(func() {
						if err := os.Truncate(plain, to); err != nil {
							t.Error(err)
						}
					})
				})
			},
			func(recordSink) {})
		if err != nil {
			t.Fatalf("to %d: error %v, want a read error in the result", to, err)
		}
		if !res.failed || len(res.inputs) != 1 || !strings.Contains(res.inputs[0].Error, "shrank") || !strings.Contains(res.inputs[0].Error, plain) {
			t.Fatalf("to %d of %d bytes: failed %v, inputs %+v: want the file reported as shrunk", to, st.Size(), res.failed, res.inputs)
		}
		if !strings.Contains(e.stderr.(*bytes.Buffer).String(), "shrank") {
			t.Fatalf("to %d: stderr %q: want the read error", to, e.stderr)
		}
	}
}

// TestMappedChunkSize: the workers' mapped chunks add up to 16 MiB up to
// four workers, each between 4 and 8 MiB.
func TestMappedChunkSize(t *testing.T) {
	for _, tc := range []struct{ workers, want int }{
		{0, 8 << 20}, {1, 8 << 20}, {2, 8 << 20}, {3, 16 << 20 / 3}, {4, 4 << 20}, {8, 4 << 20}, {64, 4 << 20},
	} {
		if got := mappedChunkSize(tc.workers); got != tc.want {
			t.Errorf("mappedChunkSize(%d) = %d, want %d", tc.workers, got, tc.want)
		}
	}
}
