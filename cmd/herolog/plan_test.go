package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Goldens are rewritten with `go test ./cmd/herolog -update`. The flag is
// registered here only if another test file of the package has not already
// registered it, so test files written in parallel do not collide.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func planUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const planSample = "../../testdata/sample.log"

func planRun(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func planGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if planUpdate() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestPlanGolden(t *testing.T) {
	code, out, errs := planRun(t, "", "plan", planSample, "--routing", "random,least-conn,slow-fast,pooled",
		"--dynos", "1..6", "--dyno-price", "25", "--color", "never")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	planGolden(t, "plan.golden", out)
}

func TestPlanCLI(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		stdout   []string // substrings
		stderr   string   // substring
		noStdout bool
	}{
		{name: "default", args: []string{"plan", planSample, "--color", "never"}, stdout: []string{
			"on 4 dynos; 2 workers per dyno (inferred from the log)", "Target: p99 queue < 100ms", "Recommendation: ", "current"}},
		{name: "workers flag", args: []string{"plan", planSample, "--workers", "3", "--dynos", "4", "--color", "never"}, stdout: []string{"3 workers per dyno (from --workers)", "Model check, 4 dynos × 3 workers"}},
		{name: "scale", args: []string{"plan", planSample, "--scale", "2x", "--dynos", "4", "--color", "never"}, stdout: []string{"Little's law at 2x the traffic"}},
		{name: "explicit slow route", args: []string{"plan", planSample, "--routing", "slow-fast", "--slow-routes", "/reports/export", "--dynos", "3", "--color", "never"}, stdout: []string{"Slow routes (slow-fast pool): /reports/export", "slow-fast (1 slow)"}},
		{name: "stdin", args: []string{"plan", "-", "--dynos", "2"}, stdin: "2026-11-20T14:00:00.512355+00:00 heroku[router]: at=info method=GET path=\"/\" host=a dyno=web.1 connect=0ms service=10ms status=200 bytes=1\n",
			stdout: []string{"Read 1 requests", "on 1 dynos; 1 workers per dyno"}},
		{name: "bad target", args: []string{"plan", planSample, "--target", "p99 queue > 1s"}, code: 2, stderr: "no '<'", noStdout: true},
		{name: "bad dynos", args: []string{"plan", planSample, "--dynos", "5..2"}, code: 2, stderr: "backwards", noStdout: true},
		{name: "bad scale", args: []string{"plan", planSample, "--scale", "-1x"}, code: 2, stderr: "scale", noStdout: true},
		{name: "bad routing", args: []string{"plan", planSample, "--routing", "random,fastest"}, code: 2, stderr: `"fastest"`, noStdout: true},
		{name: "bad workers", args: []string{"plan", planSample, "--workers", "-1"}, code: 2, stderr: "--workers", noStdout: true},
		{name: "bad price", args: []string{"plan", planSample, "--dyno-price", "-3"}, code: 2, stderr: "--dyno-price", noStdout: true},
		{name: "bad format", args: []string{"plan", planSample, "--format", "csv"}, code: 2, stderr: "--format", noStdout: true},
		{name: "no router lines", args: []string{"plan", "-"}, stdin: "hello\n", code: 1, stderr: "no router requests", noStdout: true},
		{name: "missing file", args: []string{"plan", "does-not-exist.log"}, code: 1, stderr: "does-not-exist.log", noStdout: true},
		{name: "help", args: []string{"plan", "--help"}, stdout: []string{"--workers", "taken out", "--slow-routes", "--dyno-price"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := planRun(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errs)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tt.stderr != "" && !strings.Contains(errs, tt.stderr) {
				t.Errorf("stderr %q lacks %q", errs, tt.stderr)
			}
			if tt.noStdout && out != "" {
				t.Errorf("stdout not empty on failure:\n%s", out)
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	code, out, errs := planRun(t, "", "plan", planSample, "--format", "json", "--dynos", "2..5", "--routing", "random,least-conn", "--dyno-price", "25")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		CurrentDynos  int    `json:"current_dynos"`
		Workers       int    `json:"workers"`
		WorkersSource string `json:"workers_source"`
		Rows          []map[string]any
		Recommended   []struct {
			Routing string `json:"routing"`
			Dynos   int    `json:"dynos"`
		} `json:"recommended"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if doc.CurrentDynos != 4 || doc.Workers != 2 || doc.WorkersSource != "inferred" || len(doc.Rows) != 8 || len(doc.Recommended) != 2 {
		t.Fatalf("dynos %d workers %d (%s), %d rows, %d recommendations", doc.CurrentDynos, doc.Workers, doc.WorkersSource, len(doc.Rows), len(doc.Recommended))
	}
	for _, key := range []string{"dynos", "workers", "routing", "utilisation", "queue_p50_ms", "queue_p99_ms", "queue_p999_ms", "queue_max_ms", "total_p99_ms", "h12", "meets_target", "cost_per_month", "recommended", "current"} {
		if _, ok := doc.Rows[0][key]; !ok {
			t.Errorf("row lacks %q: %v", key, doc.Rows[0])
		}
	}
	// The table shows the same rows and recommendations.
	_, table, _ := planRun(t, "", "plan", planSample, "--dynos", "2..5", "--routing", "random,least-conn", "--dyno-price", "25", "--color", "never")
	for _, rec := range doc.Recommended {
		if rec.Routing == "random" && !strings.Contains(table, "Recommendation: "+strconv.Itoa(rec.Dynos)+" dynos") {
			t.Errorf("table does not recommend %d dynos:\n%s", rec.Dynos, table)
		}
	}
	for _, row := range doc.Rows {
		p99, _ := row["queue_p99_ms"].(float64)
		if row["meets_target"] != (p99 < 100) {
			t.Errorf("row %v: meets_target disagrees with queue_p99_ms", row)
		}
	}
}

func TestPlanColor(t *testing.T) {
	_, plain, _ := planRun(t, "", "plan", planSample, "--dynos", "2..4", "--color", "never")
	_, color, _ := planRun(t, "", "plan", planSample, "--dynos", "2..4", "--color", "always")
	if strings.Contains(plain, "\x1b[") {
		t.Error("--color never wrote escapes")
	}
	green := 0
	for _, line := range strings.Split(color, "\n") {
		if strings.Contains(line, "\x1b[1;32m") && strings.Contains(line, "◀") {
			green++
		}
	}
	if green != 1 {
		t.Errorf("%d green recommended rows, want 1:\n%s", green, color)
	}
}
