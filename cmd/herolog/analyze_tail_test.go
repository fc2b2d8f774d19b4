package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herolog/herolog/aggregate"
)

// The -update flag rewrites golden files. It is declared here only if no
// other test file of the package declared it first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/herolog -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

// TestAnalyzeTailGolden runs `herolog analyze` on the shipped sample,
// which has a 28 s request on web.3, two H12s on /reports/export and L10
// lines, and compares the table, markdown and JSON with goldens.
func TestAnalyzeTailGolden(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.log")
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"table", []string{"analyze", sample}, "analyze-sample.txt"},
		{"json", []string{"analyze", "-f", "json", sample}, "analyze-sample.json"},
		{"sections", []string{"analyze", "-f", "markdown", "--section", "slowest,findings", "--section", "dynos", "--top", "3", sample}, "analyze-sample-sections.md"},
		{"color", []string{"analyze", "--color", "always", "--section", "timeline", "--bucket", "5m", sample}, "analyze-sample-color.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, strings.NewReader(""), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			golden(t, tc.golden, out.Bytes())
		})
	}
}

// TestAnalyzeTailJSON checks the JSON contract of the sections on the
// sample: every section present, and the findings the sample must give.
func TestAnalyzeTailJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"analyze", "-f", "json", "--section", "findings,slowest", filepath.Join("..", "..", "testdata", "sample.log")}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"timeline", "slowest", "hol", "routes", "dynos_health", "findings"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON has no %q", k)
		}
	}
	if rep["timeline"] != nil || rep["hol"] != nil || rep["slowest"] == nil {
		t.Errorf("--section findings,slowest: timeline %v hol %v", rep["timeline"] != nil, rep["hol"] != nil)
	}
	var kinds []string
	for _, f := range rep["findings"].([]any) {
		m := f.(map[string]any)
		kinds = append(kinds, m["kind"].(string))
		if m["severity"] == "" || m["summary"] == "" || m["evidence"] == nil {
			t.Errorf("incomplete finding %v", m)
		}
	}
	if strings.Join(kinds, ",") != aggregate.FindingSlowRoute+","+aggregate.FindingDroppedLines {
		t.Errorf("findings %v, want slow_route (H12 on /reports/export) and dropped_lines (L10)", kinds)
	}
	slow := rep["slowest"].([]any)
	if len(slow) != 10 || slow[2].(map[string]any)["dyno"] != "web.3" || slow[2].(map[string]any)["service_ms"].(float64) < 28000 {
		t.Errorf("slowest: %v", slow)
	}
}

func TestAnalyzeTailFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"analyze", "--section", "bogus"}, 2, "--section must be one of"},
		{[]string{"analyze", "--bucket", "0s"}, 2, "--bucket must be at least 1s"},
		{[]string{"analyze", "--top", "0"}, 2, "--top must be at least 1"},
		{[]string{"analyze", "--bucket", "soon"}, 2, "--bucket"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
	// The enum of --section must list exactly aggregate.Sections.
	var out, errb bytes.Buffer
	run([]string{"analyze", "--help"}, nil, &out, &errb)
	if !strings.Contains(out.String(), "all,"+strings.Join(aggregate.Sections, ",")) {
		t.Errorf("--section help does not list %v:\n%s", aggregate.Sections, out.String())
	}
}
