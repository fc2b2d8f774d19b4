package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herolog/herolog/aggregate"
)

// TestAnalyzeTailGolden runs `herolog analyze` on the shipped sample,
// which has a 28 s request on web.3, two H12s on /reports/export and L10
// lines, with the section flags, and compares with goldens (the default
// table and JSON, all sections on, are TestAnalyzeGolden's).
func TestAnalyzeTailGolden(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "sample.log")
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"sections", []string{"analyze", "-f", "markdown", "--section", "slowest,findings", "--section", "dynos", "--top", "3", sample}, "analyze-sample-tail-sections.md"},
		{"color", []string{"analyze", "--color", "always", "--section", "timeline", "--bucket", "5m", sample}, "analyze-sample-tail-color.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, tc.golden, out)
		})
	}
}

// TestAnalyzeTailJSON checks the JSON contract of the sections on the
// sample: every section present, and the findings the sample must give.
func TestAnalyzeTailJSON(t *testing.T) {
	code, out, errs := runCLI(t, "", "analyze", "-f", "json", "--section", "findings,slowest", filepath.Join("..", "..", "testdata", "sample.log"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
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
		code, _, errs := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
	// The enum of --section must list exactly aggregate.Sections.
	_, out, _ := runCLI(t, "", "analyze", "--help")
	if !strings.Contains(out, "all,"+strings.Join(aggregate.Sections, ",")) {
		t.Errorf("--section help does not list %v:\n%s", aggregate.Sections, out)
	}
}
