package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeClock is the injected clock and ticker of a live test.
type fakeClock struct {
	mu   sync.Mutex
	now  time.Time
	tick chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), tick: make(chan time.Time)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Tick advances the clock by d and delivers a tick, failing the test if
// live does not take it within 5 s (its loop must never block; the margin
// is for a loaded CI machine).
func (c *fakeClock) Tick(t *testing.T, d time.Duration) {
	t.Helper()
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	select {
	case c.tick <- now:
	case <-time.After(5 * time.Second):
		t.Fatal("live did not take a tick within 5s")
	}
}

func (c *fakeClock) hooks() liveHooks {
	return liveHooks{
		now:    c.Now,
		ticker: func(time.Duration) (<-chan time.Time, func()) { return c.tick, func() {} },
		size:   func() (int, int) { return 120, 50 },
	}
}

type liveRun struct {
	stdin  *io.PipeWriter
	stdout *syncBuffer
	stderr *syncBuffer
	code   chan int
	cancel context.CancelFunc
}

// startLive runs `herolog args...` in process with stdin a pipe the test
// writes.
func startLive(t *testing.T, hooks liveHooks, terminal bool, args ...string) *liveRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	lr := &liveRun{stdin: pw, stdout: &syncBuffer{}, stderr: &syncBuffer{}, code: make(chan int, 1), cancel: cancel}
	e := &env{ctx: ctx, stdin: pr, stdout: lr.stdout, stderr: lr.stderr,
		isTerminal: func(any) bool { return terminal }, getenv: func(string) string { return "" }, live: hooks}
	go func() { lr.code <- runEnv(e, args) }()
	t.Cleanup(func() { cancel(); pw.Close(); pr.Close() })
	return lr
}

func (lr *liveRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case c := <-lr.code:
		return c
	case <-time.After(10 * time.Second):
		t.Fatalf("live did not end; stdout:\n%s\nstderr:\n%s", lr.stdout.String(), lr.stderr.String())
	}
	return -1
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func sampleLog(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/sample.log")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstLines returns the first n lines of b.
func firstLines(b []byte, n int) []byte {
	off := 0
	for i := 0; i < n; i++ {
		off += bytes.IndexByte(b[off:], '\n') + 1
	}
	return b[:off]
}

// analyzeAsMap runs `herolog analyze --format json` over log.
func analyzeAsMap(t *testing.T, log []byte, by string) map[string]any {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{ctx: context.Background(), stdin: bytes.NewReader(log), stdout: &out, stderr: &errb,
		isTerminal: func(any) bool { return false }, getenv: func(string) string { return "" }}
	if code := runEnv(e, []string{"analyze", "--format", "json", "--by", by}); code != 0 {
		t.Fatalf("analyze exit %d: %s", code, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLiveJSONSnapshots drives live off a terminal with an injected clock:
// a snapshot of the first half of the sample appears while stdin is still
// open, with the window computed from log time; after end of input the
// last line is the same report analyze gives for the whole input.
func TestLiveJSONSnapshots(t *testing.T) {
	log := sampleLog(t)
	half := firstLines(log, 2000)
	for _, by := range []string{"dyno", "route", "code"} {
		t.Run(by, func(t *testing.T) {
			clk := newFakeClock()
			lr := startLive(t, clk.hooks(), false, "live", "--format", "json", "--by", by, "--every", "2s")
			go lr.stdin.Write(half)

			// Tick until a snapshot shows all 2000 lines: stdin stays open.
			var snap output.LiveSnapshot
			// The renderer writes asynchronously, so several frames may be
			// out by the time the test looks: take the first one that shows
			// all 2000 lines (later ones have seen the input idle, and their
			// window has rolled on with the wall clock).
			eventually(t, "a snapshot of 2000 lines", func() bool {
				clk.Tick(t, 2*time.Second)
				for _, line := range strings.Split(strings.TrimSpace(lr.stdout.String()), "\n") {
					if !strings.HasPrefix(line, `{"type":"snapshot"`) {
						continue
					}
					snap = output.LiveSnapshot{}
					if err := json.Unmarshal([]byte(line), &snap); err != nil {
						t.Fatal(err)
					}
					if snap.Lines.Total == 2000 {
						return true
					}
				}
				return false
			})
			// The window, recomputed from the lines themselves: it ends at the
			// newest timestamp (the fake wall clock has not moved since) and
			// starts 12 five-second slots before the slot of that time.
			var newest int64
			var recs []parse.Record
			rd := parse.NewReader(bytes.NewReader(half), nil)
			for r, err := rd.Next(); err == nil; r, err = rd.Next() {
				newest = max(newest, r.Time)
				recs = append(recs, parse.Record{Kind: r.Kind, Time: r.Time})
			}
			// If the renderer was slow, the frame that first saw every line
			// may have been dropped; a later one has seen the input idle,
			// and its window has rolled on by whole ticks of the wall clock.
			slot := int64(5_000_000)
			end := newest
			if snap.WindowEnd != aggregate.FormatTime(newest) {
				found := false
				for k := int64(1); k <= 10 && !found; k++ {
					if snap.WindowEnd == aggregate.FormatTime(newest+k*2_000_000) {
						end, found = newest+k*2_000_000, true
					}
				}
				if !found {
					t.Errorf("window ends %s, want %s (or whole 2 s ticks after it)", snap.WindowEnd, aggregate.FormatTime(newest))
				}
			}
			start := (end/slot - 12) * slot
			if snap.WindowStart != aggregate.FormatTime(start) {
				t.Errorf("window starts %s, want %s", snap.WindowStart, aggregate.FormatTime(start))
			}
			var inWindow int64
			for _, r := range recs {
				if r.Kind == parse.KindRouter && r.Time >= start {
					inWindow++
				}
			}
			var sum int64
			for _, g := range snap.Groups {
				sum += g.Requests
			}
			if snap.Total.Requests != inWindow || sum != inWindow || snap.By != by {
				t.Errorf("window total %d, groups %d, want %d (by %s)", snap.Total.Requests, sum, inWindow, snap.By)
			}
			if snap.SinceStart.Total.Requests != 1348 || snap.DroppedLines != 295 {
				t.Errorf("since start %d requests, %d dropped; want 1348, 295", snap.SinceStart.Total.Requests, snap.DroppedLines)
			}
			if end == newest && snap.LinesPerSecond <= 0 {
				t.Errorf("lines per second %v", snap.LinesPerSecond)
			}

			lr.stdin.Write(log[len(half):])
			lr.stdin.Close()
			if code := lr.wait(t); code != 0 {
				t.Fatalf("exit %d: %s", code, lr.stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(lr.stdout.String()), "\n")
			var final map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &final); err != nil {
				t.Fatal(err)
			}
			if want := analyzeAsMap(t, log, by); !reflect.DeepEqual(final, want) {
				g, _ := json.Marshal(final)
				w, _ := json.Marshal(want)
				t.Errorf("final report differs from analyze:\n live:    %.600s\n analyze: %.600s", g, w)
			}
		})
	}
}

// TestLiveTable: the text snapshot off a terminal, and the final report
// in analyze's table form; no escape sequences without colour.
func TestLiveTable(t *testing.T) {
	log := sampleLog(t)
	clk := newFakeClock()
	lr := startLive(t, clk.hooks(), false, "live")
	go lr.stdin.Write(log)
	eventually(t, "a snapshot of every line", func() bool {
		clk.Tick(t, time.Second)
		return strings.Contains(lr.stdout.String(), "lines 3983 ")
	})
	lr.stdin.Close()
	if code := lr.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	out := lr.stdout.String()
	for _, want := range []string{"herolog live · by dyno · window 1m", "HEROKU DROPPED 633 LOG LINES", "web.3▲", "Slowest requests, last 1m", "Recent errors", "Service time by dyno (ms)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape sequence in non-terminal output")
	}
}

// TestLiveTerminalKeys runs the screen mode in process: frames are drawn
// on the alternate screen, d/r/c switch the grouping, q quits and the
// final report lands on the normal screen.
func TestLiveTerminalKeys(t *testing.T) {
	clk := newFakeClock()
	kr, kw := io.Pipe()
	restored := make(chan struct{})
	h := clk.hooks()
	h.openKeys = func() (io.ReadCloser, func(), error) {
		return kr, func() { close(restored) }, nil
	}
	lr := startLive(t, h, true, "live", "--window", "30s")
	go lr.stdin.Write(sampleLog(t))
	eventually(t, "a frame of every line", func() bool {
		clk.Tick(t, time.Second)
		return strings.Contains(lr.stdout.String(), "lines 3983 ")
	})
	for _, k := range []struct{ key, want string }{{"r", "by route"}, {"c", "by code"}, {"\t", "by dyno"}, {"r", "by route"}} {
		kw.Write([]byte(k.key))
		eventually(t, k.want, func() bool {
			s := lr.stdout.String()
			return strings.Contains(s[strings.LastIndex(s, "\x1b[H"):], k.want)
		})
	}
	kw.Write([]byte("q"))
	if code := lr.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	select {
	case <-restored:
	default:
		t.Error("terminal mode not restored")
	}
	out := lr.stdout.String()
	if !strings.HasPrefix(out, "\x1b[?1049h\x1b[?25l") {
		t.Errorf("did not enter the alternate screen: %q", out[:min(40, len(out))])
	}
	i := strings.Index(out, "\x1b[?25h\x1b[?1049l")
	if i < 0 {
		t.Fatal("did not leave the alternate screen")
	}
	if rest := out[i:]; !strings.Contains(rest, "by route") || strings.Contains(rest, "herolog live ·") {
		t.Errorf("after the screen, want the final report by route only:\n%.300s", rest)
	}
	if strings.Contains(out[:i], "\n") && strings.Contains(strings.ReplaceAll(out[:i], "\r\n", ""), "\n") {
		t.Error("a frame has a bare newline (raw mode needs \\r\\n)")
	}
}

// TestLiveSignal: cancelling the context (SIGINT, SIGTERM) with the pipe
// still open and idle prints the final report and exits 0.
func TestLiveSignal(t *testing.T) {
	log := sampleLog(t)
	half := firstLines(log, 1000)
	clk := newFakeClock()
	lr := startLive(t, clk.hooks(), false, "live")
	lr.stdin.Write(half) // returns once live has read it all
	eventually(t, "1000 lines", func() bool {
		clk.Tick(t, time.Second)
		return strings.Contains(lr.stdout.String(), "lines 1000 ")
	})
	lr.cancel()
	if code := lr.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, lr.stderr.String())
	}
	if out := lr.stdout.String(); !strings.Contains(out, "lines:  1,000 total") {
		t.Errorf("final report does not cover the 1000 lines:\n%s", out[strings.LastIndex(out, "input:"):])
	}
}

// blockingWriter blocks every write until released, like a frozen
// terminal.
type blockingWriter struct {
	release chan struct{}
	syncBuffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	return b.syncBuffer.Write(p)
}

// TestLiveSlowOutputDropsFrames: with the output stuck, ticks are still
// taken (frames dropped) and the whole input is read.
func TestLiveSlowOutputDropsFrames(t *testing.T) {
	log := sampleLog(t)
	clk := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &blockingWriter{release: make(chan struct{})}
	done := make(chan int, 1)
	read := make(chan struct{})
	pr, pw := io.Pipe()
	e := &env{ctx: ctx, stdin: pr, stdout: out, stderr: io.Discard,
		isTerminal: func(any) bool { return false }, getenv: func(string) string { return "" }, live: clk.hooks()}
	go func() { pw.Write(log); close(read) }()
	go func() { done <- runEnv(e, []string{"live", "--format", "json"}) }()
	for i := 0; i < 50; i++ {
		clk.Tick(t, time.Second) // fails if the loop blocks on the output
	}
	select {
	case <-read:
	case <-time.After(20 * time.Second):
		t.Fatal("input not read while the output was stuck")
	}
	pw.Close()
	close(out.release)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("live did not end")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// One frame in the renderer and one waiting when the output was
	// released, possibly one more from the last tick if the loop was still
	// taking its snapshot then, then the report: of 50 frames, at most 3
	// are written.
	if len(lines) < 2 || len(lines) > 4 {
		for _, l := range lines {
			t.Logf("line: %.150s", l)
		}
		t.Errorf("%d lines written, want 2 to 4 (frames dropped)", len(lines))
	}
	var rep aggregate.Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil || rep.Lines.Total != 3983 {
		t.Errorf("final report: %d lines, err %v", rep.Lines.Total, err)
	}
}

func TestLiveUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"live", "--every", "0s"}, "--every must be positive"},
		{[]string{"live", "--window", "500ms"}, "--window must be at least 1s"},
		{[]string{"live", "--by", "host"}, "--by must be one of"},
		{[]string{"live", "--format", "csv"}, "--format must be one of"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
				isTerminal: func(any) bool { return false }, getenv: func(string) string { return "" }}
			if code := runEnv(e, tc.args); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.want)
			}
		})
	}
}

// BenchmarkLiveIngest measures the live ingest path (parse, three
// aggregators, three windows, slow and error lists) while the screen is
// redrawn every 10 ms (200 times more often than the default).
func BenchmarkLiveIngest(b *testing.B) {
	cfg := gen.SampleConfig()
	cfg.Rate = 200
	cfg.Duration = 5 * time.Minute
	var buf bytes.Buffer
	if _, err := gen.New(cfg).WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	log := buf.Bytes()
	nlines := bytes.Count(log, []byte{'\n'})
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	var frames int
	for i := 0; i < b.N; i++ {
		out := &countingWriter{}
		e := &env{ctx: context.Background(), stdin: bytes.NewReader(log), stdout: out, stderr: io.Discard,
			isTerminal: func(any) bool { return true }, getenv: func(string) string { return "" },
			live: liveHooks{
				openKeys: func() (io.ReadCloser, func(), error) { return nil, nil, os.ErrNotExist },
				size:     func() (int, int) { return 160, 50 },
			}}
		if code := runEnv(e, []string{"live", "--every", "10ms"}); code != 0 {
			b.Fatalf("exit %d", code)
		}
		frames += out.frames
	}
	b.ReportMetric(float64(nlines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
}

// countingWriter counts frames (cursor-home sequences) and discards.
type countingWriter struct{ frames int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.frames += bytes.Count(p, []byte("\x1b[H"))
	return len(p), nil
}
