package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herolog/herolog/aggregate"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runCLI runs the whole program in process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{ctx: context.Background(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		isTerminal: func(any) bool { return false }, getenv: func(string) string { return "" }}
	code = runEnv(e, args)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/herolog -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden (rerun with -update and review the diff):\n%s", name, got)
	}
}

func TestAnalyzeGolden(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.log")
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"analyze-sample.txt", []string{"analyze", sample}},
		{"analyze-sample.json", []string{"analyze", sample, "--format", "json"}},
		{"analyze-sample-route.md", []string{"analyze", sample, "--by", "route", "--format", "markdown"}},
		{"analyze-sample-status.csv", []string{"analyze", sample, "--by", "status", "--format", "csv"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tc.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			golden(t, tc.golden, out)
		})
	}
}

func analyzeJSON(t *testing.T, stdin string, args ...string) (*aggregate.Report, int, string) {
	t.Helper()
	code, out, errs := runCLI(t, stdin, append([]string{"analyze", "--format", "json"}, args...)...)
	var rep aggregate.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, stderr %q, output not JSON: %v\n%s", code, errs, err, out)
	}
	return &rep, code, errs
}

func TestAnalyzeStdinAndGzipAgree(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	fromStdin, code, _ := analyzeJSON(t, string(data), "-")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	gz := filepath.Join(t.TempDir(), "sample.log.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	os.WriteFile(gz, buf.Bytes(), 0o644)
	fromGz, code, _ := analyzeJSON(t, "", gz)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if fromGz.Inputs[0].Compression != "gzip" {
		t.Fatalf("compression %q", fromGz.Inputs[0].Compression)
	}
	a, _ := json.Marshal(fromStdin.Groups)
	b, _ := json.Marshal(fromGz.Groups)
	if string(a) != string(b) || fromStdin.Lines != fromGz.Lines {
		t.Fatal("stdin and gzip reports differ")
	}
}

func TestAnalyzeTruncatedGzipKeepsResults(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "sample.log"))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut.log.gz")
	os.WriteFile(cut, buf.Bytes()[:buf.Len()/2], 0o644)
	good := filepath.Join(dir, "good.log")
	os.WriteFile(good, data[:len(data)/4], 0o644)
	rep, code, errs := analyzeJSON(t, "", cut, filepath.Join(dir, "missing.log"), good)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errs, "cut.log.gz") || !strings.Contains(errs, "truncated") || !strings.Contains(errs, "missing.log: no such file") {
		t.Fatalf("stderr does not name the problems: %q", errs)
	}
	if rep.Total.Requests == 0 || len(rep.Inputs) != 3 || rep.Inputs[0].Error == "" || rep.Inputs[2].Error != "" || rep.Inputs[2].Lines == 0 {
		t.Fatalf("partial results lost: requests %d inputs %+v", rep.Total.Requests, rep.Inputs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "--format", "xml"},
		{"analyse"},
		{"analyze", "--by", "planet"},
		{"--nope"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if out != "" || !strings.Contains(errs, "--help") || strings.Count(errs, "\n") > 4 {
			t.Errorf("%v: want a short error with a hint, got stdout %q stderr %q", args, out, errs)
		}
	}
}

func TestStrict(t *testing.T) {
	in := "2026-11-20T14:00:00+00:00 heroku[router]: at=info method=GET path=\"/\" host=h dyno=web.1 connect=1ms service=2ms status=200 bytes=3\nthis is junk\n"
	code, _, errs := runCLI(t, in, "analyze", "--strict", "-")
	if code != 1 || !strings.Contains(errs, "(stdin):2: unparsed") {
		t.Fatalf("exit %d stderr %q", code, errs)
	}
	code, out, _ := runCLI(t, in, "analyze", "-")
	if code != 0 || !strings.Contains(out, "(stdin):2") {
		t.Fatalf("exit %d, problems not shown with file:line:\n%s", code, out)
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "analyze", "--help")
	if code != 0 || !strings.Contains(out, "herolog analyze logs.txt") || !strings.Contains(out, "HEROLOG_FORMAT") {
		t.Fatalf("exit %d help:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "--version")
	if code != 0 || !strings.HasPrefix(out, "herolog ") {
		t.Fatalf("exit %d version %q", code, out)
	}
}
