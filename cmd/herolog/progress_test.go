package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowReader hands out data a little at a time, so a run lasts long
// enough for the progress bar to draw.
type slowReader struct {
	data []byte
	step int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(2 * time.Millisecond)
	n := copy(p[:min(len(p), s.step)], s.data)
	s.data = s.data[n:]
	return n, nil
}

func runProgress(t *testing.T, stderrTerminal bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer func(d, i time.Duration) { progressDelay, progressInterval = d, i }(progressDelay, progressInterval)
	progressDelay, progressInterval = 0, 5*time.Millisecond
	var out, errb bytes.Buffer
	e := &env{ctx: context.Background(), stdin: &slowReader{data: data, step: 16 << 10}, stdout: &out, stderr: &errb,
		isTerminal: func(w any) bool { return stderrTerminal && w == any(&errb) },
		getenv:     func(string) string { return "" }}
	code = runEnv(e, args)
	return code, out.String(), errb.String()
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	for _, cmd := range [][]string{{"analyze", "--format", "json", "-"}, {"plan", "-"}} {
		code, _, errs := runProgress(t, false, cmd...)
		if code != 0 || errs != "" {
			t.Errorf("%v, stderr not a terminal: exit %d, stderr %q", cmd, code, errs)
		}
		code, _, errs = runProgress(t, true, append(cmd, "--quiet")...)
		if code != 0 || errs != "" {
			t.Errorf("%v --quiet: exit %d, stderr %q", cmd, code, errs)
		}
		code, out, errs := runProgress(t, true, cmd...)
		if code != 0 || !strings.Contains(errs, "lines/s") || !strings.HasSuffix(errs, "\r\x1b[K") {
			t.Errorf("%v on a terminal: exit %d, want a bar that is cleared at the end, stderr %q", cmd, code, errs)
		}
		if strings.Contains(out, "lines/s") {
			t.Errorf("%v: progress leaked onto stdout", cmd)
		}
	}
}

func TestProgressLine(t *testing.T) {
	p := &progress{start: time.Unix(0, 0)}
	p.total.Store(200 << 20)
	p.done.Store(50 << 20)
	p.lines.Store(2_000_000)
	got := p.line(time.Unix(2, 0))
	want := "herolog [######..................]  25% 50 MB/200 MB · 25 MB/s · 1.0M lines/s · ETA 6s"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	p.total.Store(-1) // stdin: no total, no bar, no ETA
	if got := p.line(time.Unix(2, 0)); got != "herolog 50 MB · 25 MB/s · 1.0M lines/s" {
		t.Fatalf("unknown total: %q", got)
	}
}
