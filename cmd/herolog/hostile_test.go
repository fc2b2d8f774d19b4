package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/output"
)

// hostileDir holds the committed dirty inputs.
var hostileDir = filepath.Join("..", "..", "testdata", "hostile")

// runOut runs the program in process with the given stdout.
func runOut(t *testing.T, ctx context.Context, stdin io.Reader, stdout io.Writer, args ...string) (code int, stderr string) {
	t.Helper()
	var errb bytes.Buffer
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: &errb,
		isTerminal: func(any) bool { return false }, getenv: func(string) string { return "" }}
	code = runEnv(e, args)
	return code, errb.String()
}

// reportCommands are the command lines that read logs and print a report,
// one per output format and grouping; each is followed by the input file.
func reportCommands() [][]string {
	var cmds [][]string
	for _, by := range aggregate.Bys {
		for _, f := range output.Formats() {
			cmds = append(cmds, []string{"analyze", "--format", f, "--by", by, "--max-groups", "3"})
		}
	}
	// live off a terminal: snapshots every hour (so none), then the final
	// report, its last line in JSON.
	for _, by := range []string{"dyno", "route", "code"} {
		for _, f := range []string{"json", "table"} {
			cmds = append(cmds, []string{"live", "--format", f, "--by", by, "--max-groups", "3", "--every", "1h"})
		}
	}
	return cmds
}

// finalReport returns the report in a command's JSON output: all of it for
// analyze, the last line for live (which writes one object per line).
func finalReport(args []string, out []byte) []byte {
	if args[0] != "live" {
		return out
	}
	out = bytes.TrimRight(out, "\n")
	return out[bytes.LastIndexByte(out, '\n')+1:]
}

// expectation is what a run over one hostile file must give.
type expectation struct {
	code   int    // exit status
	stderr string // text stderr must contain ("" means stderr must be empty)
	lines  int64  // records, or -1 for the number of physical lines
	kinds  map[string]int64
}

func expectFor(name string) expectation {
	e := expectation{lines: -1}
	switch {
	case strings.HasPrefix(name, "truncated.log."):
		return expectation{code: 1, stderr: "stream is truncated", lines: -2}
	case strings.HasSuffix(name, ".bin"):
		e.lines = -2 // frames or binary: no simple line count
	}
	switch name {
	case "empty.log":
		e.lines = 0
	case "only-newlines.log":
		e.kinds = map[string]int64{"blank": 1000}
	case "app-only.log":
		e.kinds = map[string]int64{"app": 20, "router": 0}
	case "blank-lines.log":
		e.kinds = map[string]int64{"router": 2, "blank": 8}
	case "crlf.log":
		e.kinds = map[string]int64{"router": 6, "app": 1, "blank": 1}
	case "huge-numbers.log":
		e.kinds = map[string]int64{"router": 9}
	}
	return e
}

// physicalLines counts records a line-oriented reader must find in b.
func physicalLines(b []byte) int64 {
	n := int64(bytes.Count(b, []byte{'\n'}))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

// kindCounts returns the report's kinds by name.
func kindCounts(l aggregate.Lines) map[string]int64 {
	return map[string]int64{"router": l.Router, "dyno": l.Dyno, "metrics": l.Metrics, "logplex": l.Logplex,
		"app": l.App, "platform": l.Platform, "blank": l.Blank, "malformed": l.Malformed,
		"oversize": l.Oversize, "unparsed": l.Unparsed}
}

// checkJSONReport decodes a JSON report and checks the invariants that
// hold for every input: it decodes (so no NaN or Inf was written), every
// record is in exactly one kind, the inputs account for every record,
// groups account for every request.
func checkJSONReport(t *testing.T, out []byte) *aggregate.Report {
	t.Helper()
	var rep aggregate.Report
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not a JSON report: %v\n%.2000s", err, out)
	}
	var sum int64
	for _, n := range kindCounts(rep.Lines) {
		sum += n
	}
	if sum != rep.Lines.Total {
		t.Errorf("lines by kind add up to %d, lines.total is %d", sum, rep.Lines.Total)
	}
	var read, reqs int64
	for _, in := range rep.Inputs {
		read += in.Lines
	}
	if read != rep.Lines.Total {
		t.Errorf("inputs hold %d records, lines.total is %d", read, rep.Lines.Total)
	}
	for _, g := range rep.Groups {
		reqs += g.Requests
	}
	if reqs != rep.Total.Requests || reqs != rep.Lines.Router {
		t.Errorf("groups hold %d requests, total.requests %d, router lines %d", reqs, rep.Total.Requests, rep.Lines.Router)
	}
	if rep.SpanSeconds < 0 {
		t.Errorf("negative span %v", rep.SpanSeconds)
	}
	return &rep
}

// checkOutput checks a rendered report: table and markdown must be safe
// for a terminal; CSV must parse, with safe cells that never start a
// formula; JSON must be a valid report.
func checkOutput(t *testing.T, format string, out []byte) {
	t.Helper()
	switch format {
	case "html":
		// Log text must come out as text: none of the markup that
		// testdata/hostile/html-injection.log puts in paths, hosts,
		// dynos, descriptions and app lines may appear as markup.
		for _, bad := range []string{"<script>alert", "</script><script>", "<img src=x", "<svg/onload", "<iframe", "<b>web.3</b>"} {
			if bytes.Contains(out, []byte(bad)) {
				t.Errorf("html output holds %q unescaped", bad)
			}
		}
	case "json":
		checkJSONReport(t, out)
	case "csv":
		rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v\n%q", err, out)
		}
		for _, row := range rows[1:] {
			for _, cell := range row {
				if bad := output.TerminalUnsafe(cell); bad != "" {
					t.Errorf("CSV cell %q holds %s", cell, bad)
				}
				if output.FormulaLike(cell) {
					t.Errorf("CSV cell %q would run as a formula", cell)
				}
			}
		}
	default:
		if bad := output.TerminalUnsafe(string(out)); bad != "" {
			t.Errorf("%s output lets %s reach the terminal:\n%q", format, bad, out)
		}
	}
	if format == "markdown" {
		checkMarkdownTables(t, string(out))
	}
}

// checkMarkdownTables checks that every row of each Markdown table has as
// many cell separators as its header: a "|" from a path must not add a
// column.
func checkMarkdownTables(t *testing.T, md string) {
	t.Helper()
	want := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if want < 0 {
			want = n
		} else if n != want {
			t.Errorf("markdown row has %d separators, its header %d: %q", n, want, line)
		}
	}
}

// TestHostileCorpus runs every report command over every file of
// testdata/hostile and checks the rules of issue 8: no panic, the expected
// exit status, stderr empty or naming the file, each record in exactly one
// kind, every output terminal-safe or properly escaped.
func TestHostileCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(hostileDir, "*"))
	if err != nil || len(files) < 15 {
		t.Fatalf("hostile corpus missing: %v %v", files, err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := expectFor(name)
		t.Run(name, func(t *testing.T) {
			for _, args := range reportCommands() {
				args := append(append([]string{}, args...), path)
				var out bytes.Buffer
				code, stderr := runOut(t, context.Background(), strings.NewReader(""), &out, args...)
				if code != want.code {
					t.Fatalf("%v: exit %d, want %d; stderr %q", args, code, want.code, stderr)
				}
				if want.stderr == "" && stderr != "" {
					t.Fatalf("%v: stderr %q, want none", args, stderr)
				}
				if want.stderr != "" && (!strings.Contains(stderr, want.stderr) || !strings.Contains(stderr, path)) {
					t.Fatalf("%v: stderr %q does not name %s and say %q", args, stderr, path, want.stderr)
				}
				if bad := output.TerminalUnsafe(stderr); bad != "" {
					t.Fatalf("%v: stderr lets %s through: %q", args, bad, stderr)
				}
				format := args[2]
				// Small input, small output: a 150-byte log whose years
				// are 2,000 apart once drew 730,000 time ticks (58 MB).
				if out.Len() > 4<<20 {
					t.Errorf("%v: %d bytes of output from a %d-byte input", args, out.Len(), len(data))
				}
				checkOutput(t, format, finalReport(args, out.Bytes()))
				if format != "json" {
					continue
				}
				rep := checkJSONReport(t, finalReport(args, out.Bytes()))
				switch want.lines {
				case -1:
					if n := physicalLines(data); rep.Lines.Total != n {
						t.Errorf("%d records, the file has %d lines", rep.Lines.Total, n)
					}
				case -2:
				default:
					if rep.Lines.Total != want.lines {
						t.Errorf("%d records, want %d", rep.Lines.Total, want.lines)
					}
				}
				got := kindCounts(rep.Lines)
				for k, n := range want.kinds {
					if got[k] != n {
						t.Errorf("%s: %d, want %d (%+v)", k, got[k], n, rep.Lines)
					}
				}
				// The first bad records are shown with file and line.
				bad := rep.Lines.Malformed + rep.Lines.Unparsed + rep.Lines.Oversize
				if bad > 0 && (len(rep.Problems) == 0 || rep.Problems[0].File != path || rep.Problems[0].Line < 1) {
					t.Errorf("%d bad records but problems %+v", bad, rep.Problems)
				}
			}
		})
	}
}

// TestHostileValues checks what the dirty values become, file by file.
func TestHostileValues(t *testing.T) {
	report := func(t *testing.T, file string, args ...string) *aggregate.Report {
		t.Helper()
		var out bytes.Buffer
		code, stderr := runOut(t, context.Background(), nil, &out, append(append([]string{"analyze", "--format", "json"}, args...), filepath.Join(hostileDir, file))...)
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		return checkJSONReport(t, out.Bytes())
	}
	t.Run("huge numbers are clamped and counted", func(t *testing.T) {
		rep := report(t, "huge-numbers.log")
		if rep.ClampedValues < 6 {
			t.Errorf("clamped_values %d, want at least 6", rep.ClampedValues)
		}
		if rep.Total.Service.Clamped < 4 || rep.Total.Connect.Clamped < 1 {
			t.Errorf("histogram clamps not reported: service %d connect %d", rep.Total.Service.Clamped, rep.Total.Connect.Clamped)
		}
		if rep.Total.Service.Max != 1<<53 {
			t.Errorf("service max %d, want the saturation value %d", rep.Total.Service.Max, int64(1<<53))
		}
	})
	t.Run("negative numbers are invalid, not durations", func(t *testing.T) {
		rep := report(t, "negative-numbers.log")
		if rep.ClampedValues < 9 {
			t.Errorf("clamped_values %d, want at least 9", rep.ClampedValues)
		}
		// Only the three lines whose bad number is another field keep
		// their service=20ms; every other service= here is invalid.
		if rep.Total.Service.Count != 3 || rep.Total.Service.Max != 20 {
			t.Errorf("service %+v, want 3 values of 20 ms", rep.Total.Service)
		}
	})
	t.Run("years apart", func(t *testing.T) {
		rep := report(t, "time-disorder.log", "--by", "minute")
		if rep.Start[:4] != "0000" && rep.Start[:4] != "0001" || rep.End[:4] != "9999" && rep.End[:5] != "10000" {
			t.Errorf("span %s .. %s", rep.Start, rep.End)
		}
		var tbl bytes.Buffer
		runOut(t, context.Background(), nil, &tbl, "analyze", filepath.Join(hostileDir, "time-disorder.log"))
		if strings.Contains(tbl.String(), "span:   ") && strings.Contains(tbl.String(), "(-") {
			t.Errorf("negative span printed:\n%s", tbl.String())
		}
	})
	t.Run("one timestamp: no rate from a zero span", func(t *testing.T) {
		rep := report(t, "crlf.log")
		if rep.SpanSeconds != 0 && rep.Total.RPS == 0 {
			t.Skip("crlf.log spans time")
		}
		line := "2026-11-20T14:00:01.000000+00:00 heroku[router]: at=info method=GET path=\"/\" host=a fwd=\"1\" dyno=web.1 connect=1ms service=5ms status=200 bytes=1\n"
		var out bytes.Buffer
		code, _ := runOut(t, context.Background(), strings.NewReader(strings.Repeat(line, 3)), &out, "analyze", "--format", "json", "-")
		r := checkJSONReport(t, out.Bytes())
		if code != 0 || r.SpanSeconds != 0 || r.Total.RPS != 0 {
			t.Errorf("zero span: exit %d span %v rps %v", code, r.SpanSeconds, r.Total.RPS)
		}
	})
	t.Run("unknown codes are counted and escaped", func(t *testing.T) {
		rep := report(t, "unknown-codes.log")
		if rep.Codes["ZZZ"].Count != 1 || rep.Codes["H00"].Desc != "unknown code" {
			t.Errorf("codes %+v", rep.Codes)
		}
	})
	t.Run("invalid UTF-8 keys stay distinct", func(t *testing.T) {
		rep := report(t, "invalid-utf8.log", "--by", "host")
		var keys []string
		for _, g := range rep.Groups {
			keys = append(keys, g.Key)
		}
		if !strings.Contains(strings.Join(keys, " "), `my\xc0\xafapp`) {
			t.Errorf("host with invalid UTF-8 not shown as \\xNN: %q", keys)
		}
	})
	t.Run("long keys are cut", func(t *testing.T) {
		rep := report(t, "hostile-fields.log", "--by", "host")
		for _, g := range rep.Groups {
			if len(g.Key) > aggregate.MaxKeyLen+len("…") {
				t.Errorf("key of %d bytes kept", len(g.Key))
			}
		}
	})
}

// TestGeneratedHostileInputs covers the inputs too big to commit: a 50 MB
// line with no newline, binary noise from crypto/rand, a million distinct
// codes. Memory must stay bounded: the run may not allocate anything like
// the size of its input.
func TestGeneratedHostileInputs(t *testing.T) {
	dir := t.TempDir()
	router := "2026-11-20T14:00:01.000000+00:00 heroku[router]: at=info method=GET path=\"/\" host=a fwd=\"1\" dyno=web.1 connect=1ms service=5ms status=200 bytes=1\n"
	bigLine := func(w io.Writer) error {
		chunk := bytes.Repeat([]byte("x\x1b[31m\x00\xff"), 1<<16)
		for n := 0; n < 50<<20; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name     string
		write    func(w io.Writer) error
		maxAlloc uint64
		check    func(t *testing.T, r *aggregate.Report)
	}{
		{"50MB-line-no-newline.log", bigLine, 48 << 20, func(t *testing.T, r *aggregate.Report) {
			if r.Lines.Total != 1 || r.Lines.Oversize != 1 {
				t.Errorf("lines %+v, want one oversize", r.Lines)
			}
		}},
		{"50MB-line-then-router.log", func(w io.Writer) error {
			if _, err := io.WriteString(w, router); err != nil {
				return err
			}
			if err := bigLine(w); err != nil {
				return err
			}
			_, err := io.WriteString(w, "\n"+router)
			return err
		}, 48 << 20, func(t *testing.T, r *aggregate.Report) {
			if r.Lines.Total != 3 || r.Lines.Oversize != 1 || r.Lines.Router != 2 {
				t.Errorf("lines %+v, want 2 router and 1 oversize", r.Lines)
			}
			if len(r.Problems) != 1 || r.Problems[0].Line != 2 {
				t.Errorf("problems %+v, want line 2", r.Problems)
			}
		}},
		{"urandom.bin", func(w io.Writer) error {
			_, err := io.CopyN(w, rand.Reader, 8<<20)
			return err
		}, 24 << 20, nil},
		{"million-codes.log", func(w io.Writer) error {
			var b []byte
			for i := 0; i < 300_000; i++ {
				b = fmt.Appendf(b[:0], "2026-11-20T14:00:01.000000+00:00 heroku[router]: at=error code=X%d desc=\"x\" method=GET path=\"/\" host=a fwd=\"1\" dyno=web.%d connect=1ms service=5ms status=503 bytes=1\n", i, i%7)
				if _, err := w.Write(b); err != nil {
					return err
				}
			}
			return nil
		}, 512 << 20, func(t *testing.T, r *aggregate.Report) {
			if len(r.Codes) > aggregate.MaxCodes+1 || r.Codes[aggregate.OtherKey].Count < 300_000-aggregate.MaxCodes {
				t.Errorf("%d codes kept, other %+v", len(r.Codes), r.Codes[aggregate.OtherKey])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.write(f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"json", "table"} {
				var out bytes.Buffer
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				code, stderr := runOut(t, context.Background(), nil, &out, "analyze", "--format", format, path)
				runtime.ReadMemStats(&after)
				defer os.Remove(path)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > tc.maxAlloc {
					t.Errorf("%s: allocated %d MB over the run, want under %d MB", format, alloc>>20, tc.maxAlloc>>20)
				}
				checkOutput(t, format, out.Bytes())
				if format == "json" && tc.check != nil {
					tc.check(t, checkJSONReport(t, out.Bytes()))
				}
			}
		})
	}
}

// gzipped and zstded return b compressed.
func compress(t *testing.T, kind string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch kind {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<17))
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBrokenInputs gives one broken input between two good ones: the
// message names the broken file and what went wrong, the report still
// covers both good files and what was read of the broken one, and the exit
// status is 1.
func TestBrokenInputs(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	sampleLines := physicalLines(sample)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	if err := os.WriteFile(good, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gz := compress(t, "gzip", sample)
	zs := compress(t, "zstd", sample)
	unreadable := write("unreadable.log", sample)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	emptyDir := filepath.Join(dir, "empty-dir")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name    string
		path    string
		say     string // what stderr must say after the file name
		partial bool   // some lines of the broken file are read
	}
	cases := []tc{
		{"gzip cut in the middle", write("cut.log.gz", gz[:len(gz)/2]), "gzip stream is truncated", true},
		{"zstd cut in the middle", write("cut.log.zst", zs[:len(zs)*2/3]), "zstd stream is truncated", true},
		{"bzip2 cut in the middle", filepath.Join(hostileDir, "truncated.log.bz2"), "bzip2 stream is truncated", false},
		{"gzip header only", write("header.gz", gz[:12]), "gzip", false},
		{"vanished file", filepath.Join(dir, "gone.log"), "no such file", false},
		{"not a directory", filepath.Join(good, "x.log"), "not a directory", false},
		{"empty directory", emptyDir, "is a directory with no files", false},
		{"name with escapes", filepath.Join(dir, "evil\x1b]0;owned\x07\n.log"), "no such file", false},
	}
	if os.Geteuid() != 0 {
		cases = append(cases, tc{"unreadable file", unreadable, "permission denied", false})
	} else {
		t.Log("running as root: the permission case cannot fail, skipped")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			code, stderr := runOut(t, context.Background(), nil, &out, "analyze", "--format", "json", good, c.path, good)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(stderr, output.Sanitize(c.path)+": "+c.say) {
				t.Errorf("stderr %q does not say %q", stderr, output.Sanitize(c.path)+": "+c.say)
			}
			if bad := output.TerminalUnsafe(stderr); bad != "" {
				t.Errorf("stderr lets %s through: %q", bad, stderr)
			}
			rep := checkJSONReport(t, out.Bytes())
			if len(rep.Inputs) < 2 || rep.Inputs[0].Lines != sampleLines || rep.Inputs[len(rep.Inputs)-1].Lines != sampleLines {
				t.Fatalf("the good files were not both read: %+v", rep.Inputs)
			}
			got := rep.Lines.Total - 2*sampleLines
			if c.partial && got <= 0 {
				t.Errorf("nothing kept from the broken file before the break (%d lines)", got)
			}
			if !c.partial && got != 0 {
				t.Errorf("%d lines from a file that could not be read", got)
			}
			// The table names the failed input too.
			var tbl bytes.Buffer
			runOut(t, context.Background(), nil, &tbl, "analyze", good, c.path)
			if !strings.Contains(tbl.String(), "ERROR: "+output.Sanitize(c.path)) && c.name != "empty directory" {
				t.Errorf("table does not show the failed input:\n%s", tbl.String())
			}
			if bad := output.TerminalUnsafe(tbl.String()); bad != "" {
				t.Errorf("table lets %s through", bad)
			}
		})
	}
}

// failWriter accepts n bytes, then fails every write with err.
type failWriter struct {
	n   int
	err error
}

func (f *failWriter) Write(b []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(b) > f.n {
		k := f.n
		f.n = 0
		return k, f.err
	}
	f.n -= len(b)
	return len(b), nil
}

// TestBrokenPipeInProcess: when stdout's reader goes away, run ends quietly
// (no message, no panic) with status 141, as a process killed by SIGPIPE;
// any other write error is reported.
func TestBrokenPipeInProcess(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.log")
	for _, format := range output.Formats() {
		for _, after := range []int{0, 100} {
			for _, err := range []error{syscall.EPIPE, fmt.Errorf("write |1: %w", syscall.EPIPE), io.ErrClosedPipe} {
				code, stderr := runOut(t, context.Background(), nil, &failWriter{n: after, err: err}, "analyze", "--format", format, "--by", "route", sample)
				if code != exitSIGPIPE || stderr != "" {
					t.Errorf("%s after %d bytes, %v: exit %d, stderr %q; want 141 and nothing", format, after, err, code, stderr)
				}
			}
		}
	}
	code, stderr := runOut(t, context.Background(), nil, &failWriter{n: 10, err: syscall.ENOSPC}, "analyze", sample)
	if code != 1 || !strings.Contains(stderr, "no space left") {
		t.Errorf("a full disk on stdout: exit %d, stderr %q; want 1 and the reason", code, stderr)
	}
}

// TestHostileArguments: command-line arguments reach stderr in usage
// errors and file messages; escapes in them must not reach the terminal.
func TestHostileArguments(t *testing.T) {
	evil := "\x1b]0;owned\x07\x1b[2J\u202e\xff"
	for _, args := range [][]string{
		{evil},
		{"analyze", "--format", evil},
		{"analyze", "--by", evil, "x"},
		{"analyze", "--" + evil},
		{"analyze", evil},
		{"live", "--every", evil},
		{"live", evil},
	} {
		var out bytes.Buffer
		code, stderr := runOut(t, context.Background(), strings.NewReader(""), &out, args...)
		if code == 0 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want an error", args, code, stderr)
		}
		if bad := output.TerminalUnsafe(stderr); bad != "" {
			t.Errorf("%q: stderr lets %s through: %q", args, bad, stderr)
		}
		if bad := output.TerminalUnsafe(out.String()); bad != "" {
			t.Errorf("%q: stdout lets %s through: %q", args, bad, out.String())
		}
	}
}

// TestHostilePlan runs plan over every hostile file: it either plans (exit
// 0, valid JSON, a terminal-safe table) or says why not (exit 1 and a
// terminal-safe message); it never panics.
func TestHostilePlan(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(hostileDir, "*"))
	for _, path := range files {
		for _, format := range []string{"json", "table"} {
			var out bytes.Buffer
			code, stderr := runOut(t, context.Background(), strings.NewReader(""), &out, "plan", "--format", format, path)
			name := filepath.Base(path) + " " + format
			switch {
			case code == 0:
				if format == "json" && !json.Valid(out.Bytes()) {
					t.Errorf("%s: invalid JSON:\n%.500s", name, out.String())
				}
			case code == 1:
				if stderr == "" {
					t.Errorf("%s: exit 1 and no message", name)
				}
			default:
				t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
			}
			if bad := output.TerminalUnsafe(stderr); bad != "" {
				t.Errorf("%s: stderr lets %s through", name, bad)
			}
			if format == "table" {
				if bad := output.TerminalUnsafe(out.String()); bad != "" {
					t.Errorf("%s: output lets %s through", name, bad)
				}
			}
		}
	}
}

// TestHostileExport exports every hostile file to Parquet (requests and
// events): a readable input gives a complete file (Parquet's magic at both
// ends) and exit 0; a broken one gives exit 1, a message naming it, and no
// file at all.
func TestHostileExport(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(hostileDir, "*"))
	for _, path := range files {
		name := filepath.Base(path)
		want := expectFor(name)
		dir := t.TempDir()
		req, ev := filepath.Join(dir, "requests.parquet"), filepath.Join(dir, "events.parquet")
		var out bytes.Buffer
		code, stderr := runOut(t, context.Background(), strings.NewReader(""), &out, "export", path, "-o", req, "--events", ev)
		if code != want.code {
			t.Errorf("%s: exit %d, want %d; stderr %q", name, code, want.code, stderr)
			continue
		}
		if bad := output.TerminalUnsafe(stderr + out.String()); bad != "" {
			t.Errorf("%s: output lets %s through", name, bad)
		}
		left, _ := os.ReadDir(dir)
		if code != 0 {
			if !strings.Contains(stderr, "nothing was written") || len(left) > 0 {
				t.Errorf("%s: stderr %q, files left %v", name, stderr, left)
			}
			continue
		}
		for _, p := range []string{req, ev} {
			b, err := os.ReadFile(p)
			if err != nil || len(b) < 8 || string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" {
				t.Errorf("%s: %s is not a whole Parquet file (%d bytes, %v)", name, filepath.Base(p), len(b), err)
			}
		}
		if len(left) != 2 {
			t.Errorf("%s: files %v, want the two tables only", name, left)
		}
	}
}
