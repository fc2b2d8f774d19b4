package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
)

// shardFiles writes a generated log, whole and cut at line boundaries into
// n files, and returns the whole file's name and the shards' names.
func shardFiles(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	// Every tail section has something to show: a memory leak (R14s,
	// memory readings), a stuck request (head-of-line incidents) and a slow
	// route (H12s).
	g := gen.New(gen.Config{Seed: 11, Duration: 6 * time.Minute, Dynos: 4, Rate: 30, Scenario: gen.MemoryLeak,
		StuckFor: 20 * time.Second, SlowRoute: "/reports/export", L10Every: 2 * time.Minute})
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	whole := filepath.Join(dir, "whole.log")
	if err := os.WriteFile(whole, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var shards []string
	for i := n; i > 0; i-- {
		cut := len(data)
		if i > 1 {
			cut = len(data) / i
			cut += bytes.IndexByte(data[cut:], '\n') + 1
		}
		name := filepath.Join(dir, "part"+string(rune('0'+n-i))+".log")
		if err := os.WriteFile(name, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, name)
		data = data[cut:]
	}
	return whole, shards
}

// withoutInputs is a report's JSON with the inputs list emptied.
func withoutInputs(t *testing.T, out string) string {
	t.Helper()
	var rep aggregate.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	rep.Inputs = nil
	b, _ := json.MarshalIndent(&rep, "", " ")
	return string(b)
}

// firstDiff shows where two outputs first differ.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-300)
	return "got  …" + got[from:min(len(got), i+300)] + "\nwant …" + want[from:min(len(want), i+300)]
}

// saveShards runs analyze --save (with extra flags) on each part and
// returns the summaries' names.
func saveShards(t *testing.T, parts []string, suffix string, flags ...string) []string {
	t.Helper()
	var sums []string
	for _, p := range parts {
		sum := p + suffix + ".hlsum"
		if code, _, errs := runCLI(t, "", append([]string{"analyze", p, "--save", sum}, flags...)...); code != 0 {
			t.Fatalf("analyze --save: exit %d: %s", code, errs)
		}
		sums = append(sums, sum)
	}
	return sums
}

// TestMergeEqualsAnalyzeOfWhole: analyze --save of each shard, merged,
// gives byte for byte the JSON report of one analyze over the whole log
// (inputs aside), tail sections included, for every grouping, and for 2
// and 3 shards.
func TestMergeEqualsAnalyzeOfWhole(t *testing.T) {
	whole, parts := shardFiles(t, 3)
	sums := saveShards(t, parts, "")
	_, halves := shardFiles(t, 2)
	sums2 := saveShards(t, halves, "")
	for _, tc := range []struct {
		sums  []string
		flags []string
	}{
		{sums, []string{"--by", "dyno"}},
		{sums, []string{"--by", "route", "--sort", "p99"}},
		{sums, []string{"--by", "minute"}},
		{sums, []string{"--by", "status"}},
		{sums, []string{"--by", "host"}},
		{sums, []string{"--by", "code"}},
		{sums2, []string{"--by", "dyno"}},
		{sums2, []string{"--by", "route", "--section", "timeline"}},
		{sums2, []string{"--section", "hol,dynos", "--top", "10"}},
	} {
		t.Run(fmt.Sprintf("%d shards %s", len(tc.sums), strings.Join(tc.flags, " ")), func(t *testing.T) {
			_, want, _ := runCLI(t, "", append([]string{"analyze", whole, "--format", "json"}, tc.flags...)...)
			code, got, errs := runCLI(t, "", append(append([]string{"merge", "--format", "json"}, tc.sums...), tc.flags...)...)
			if code != 0 || errs != "" {
				t.Fatalf("merge: exit %d, stderr %q", code, errs)
			}
			if w, g := withoutInputs(t, want), withoutInputs(t, got); w != g {
				t.Errorf("merge differs from analyze of the whole:\n%s", firstDiff(g, w))
			}
			var rep aggregate.Report
			_ = json.Unmarshal([]byte(got), &rep)
			if len(rep.Inputs) != len(tc.sums) || rep.Inputs[0].Name != strings.TrimSuffix(tc.sums[0], ".hlsum") {
				t.Errorf("inputs %+v, want the shards in order", rep.Inputs)
			}
			if slices.Contains(tc.flags, "--section") {
				return
			}
			switch {
			case rep.Timeline == nil || len(rep.Timeline.Buckets) < 6:
				t.Error("no timeline")
			case rep.HOL == nil || len(rep.HOL.Incidents) == 0:
				t.Error("no head-of-line incident: the stuck request is not seen")
			case len(rep.Slowest) != 10 || len(rep.Routes) == 0 || len(rep.Findings) == 0:
				t.Errorf("%d slowest, %d routes, %d findings", len(rep.Slowest), len(rep.Routes), len(rep.Findings))
			case !slices.ContainsFunc(rep.DynosHealth, func(d aggregate.DynoHealth) bool { return d.R14 > 0 }):
				t.Error("no R14 in dyno health: the memory leak is not seen")
			}
		})
	}
	// A merged summary saved and merged again is the same report.
	all := filepath.Join(filepath.Dir(whole), "all.hlsum")
	_, first, _ := runCLI(t, "", append([]string{"merge", "--format", "json", "--save", all}, sums...)...)
	code, again, errs := runCLI(t, "", "merge", "--format", "json", all)
	if code != 0 || again != first {
		t.Errorf("merge of a merged summary: exit %d, %s; differs: %v", code, errs, again != first)
	}
}

// TestMergeHTML: merge --html writes the page analyze --html writes for
// the whole log (inputs aside), spectra included, and --format html gives
// the same page on standard output.
func TestMergeHTML(t *testing.T) {
	whole, halves := shardFiles(t, 2)
	sums := saveShards(t, halves, "")
	dir := filepath.Dir(whole)
	page, wholePage := filepath.Join(dir, "merged.html"), filepath.Join(dir, "whole.html")
	if code, out, errs := runCLI(t, "", append([]string{"merge", "--html", page}, sums...)...); code != 0 || !strings.Contains(out, "Service time by dyno") {
		t.Fatalf("merge --html: exit %d, %s", code, errs)
	}
	code, stdout, errs := runCLI(t, "", append([]string{"merge", "--format", "html"}, sums...)...)
	if code != 0 {
		t.Fatalf("merge --format html: exit %d, %s", code, errs)
	}
	if code, _, errs := runCLI(t, "", "analyze", whole, "--html", wholePage); code != 0 {
		t.Fatalf("analyze --html: exit %d, %s", code, errs)
	}
	got, _ := os.ReadFile(page)
	want, _ := os.ReadFile(wholePage)
	if string(got) != stdout {
		t.Error("merge --html and --format html differ")
	}
	if !strings.Contains(string(got), `id="spectrum-chart"`) {
		t.Errorf("no spectrum chart: %.200s", got)
	}
	if g, w := pageWithoutInputs(string(got), dir), pageWithoutInputs(string(want), dir); g != w {
		t.Errorf("merge --html differs from analyze --html of the whole:\n%s", firstDiff(g, w))
	}
}

var inputsJSON = regexp.MustCompile(`"inputs":\[.*?\],"start"`)

// pageWithoutInputs drops from an HTML page the lines that name inputs in
// dir (the title, the inputs list) and the embedded report's inputs.
func pageWithoutInputs(page, dir string) string {
	var keep []string
	for _, line := range strings.Split(page, "\n") {
		if strings.Contains(line, dir) && !strings.Contains(line, `id="herolog-report"`) {
			continue
		}
		keep = append(keep, line)
	}
	return inputsJSON.ReplaceAllString(strings.Join(keep, "\n"), `"inputs":[],"start"`)
}

func TestMergeDuplicatesAndErrors(t *testing.T) {
	_, parts := shardFiles(t, 2)
	dir := filepath.Dir(parts[0])
	a, b, ab := filepath.Join(dir, "a.hlsum"), filepath.Join(dir, "b.hlsum"), filepath.Join(dir, "ab.hlsum")
	bucket, top := filepath.Join(dir, "bucket.hlsum"), filepath.Join(dir, "top.hlsum")
	for _, args := range [][]string{
		{"analyze", parts[0], "--save", a},
		{"analyze", parts[1], "--save", b},
		{"analyze", parts[0], parts[1], "--save", ab},
		{"analyze", parts[1], "--save", bucket, "--bucket", "30s"},
		{"analyze", parts[1], "--save", top, "--top", "5"},
	} {
		if code, _, errs := runCLI(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
	}
	// The same shard read from stdin has the same fingerprint.
	data, _ := os.ReadFile(parts[0])
	stdinSum := filepath.Join(dir, "stdin.hlsum")
	if code, _, errs := runCLI(t, string(data), "analyze", "-", "--save", stdinSum); code != 0 {
		t.Fatalf("analyze - --save: %s", errs)
	}
	notSum := filepath.Join(dir, "x.hlsum")
	os.WriteFile(notSum, []byte("not a summary\n"), 0o644)
	badVersion := filepath.Join(dir, "v.hlsum")
	raw, _ := os.ReadFile(a)
	os.WriteFile(badVersion, append([]byte("HLSUM\x09"), raw[6:]...), 0o644)
	version1 := filepath.Join(dir, "v1.hlsum")
	os.WriteFile(version1, append([]byte("HLSUM\x01"), raw[6:]...), 0o644)
	truncated := filepath.Join(dir, "t.hlsum")
	os.WriteFile(truncated, raw[:len(raw)-40], 0o644)

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stderr   string
		warnings int
	}{
		{"duplicate shard skipped", []string{a, b, a}, 0, "a.hlsum skipped: its inputs were already merged", 1},
		{"stdin copy skipped", []string{a, stdinSum, b}, 0, "stdin.hlsum skipped", 1},
		{"strict refuses", []string{a, b, a, "--strict"}, 1, "already merged input", 0},
		{"partial overlap refused", []string{a, ab}, 1, "cannot merge without counting the shared one twice", 0},
		{"not a summary", []string{a, notSum}, 1, "x.hlsum: not a herolog summary", 0},
		{"other version", []string{badVersion}, 1, "v.hlsum: summary format version 9", 0},
		{"version 1", []string{version1}, 1, "v1.hlsum: summary format version 1, written before summaries held the tail-analysis sections", 0},
		{"truncated", []string{truncated}, 1, "t.hlsum: corrupt summary", 0},
		{"other bucket", []string{a, bucket}, 1, "bucket.hlsum was saved with --bucket 30s, " + a + " with 1m0s: save every shard with the same settings", 0},
		{"other top", []string{a, top}, 1, "top.hlsum was saved with --top 5, " + a + " with 10", 0},
		{"top above saved", []string{a, b, "--top", "11"}, 2, "--top 11: " + a + " keeps the 10 slowest requests only", 0},
		{"top below saved", []string{a, b, "--top", "3", "--section", "slowest"}, 0, "", 0},
		{"missing", []string{filepath.Join(dir, "nope.hlsum")}, 1, "nope.hlsum: no such file", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"merge", "--format", "json"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.stderr)
			}
			if code != 0 {
				return
			}
			var rep aggregate.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Warnings) != tc.warnings || len(rep.Inputs) != 2 {
				t.Errorf("warnings %q, inputs %d; want %d warnings, 2 inputs", rep.Warnings, len(rep.Inputs), tc.warnings)
			}
			if want := 10; slices.Contains(tc.args, "--top") {
				want, _ = strconv.Atoi(tc.args[slices.Index(tc.args, "--top")+1])
				if rep.Timeline != nil || rep.HOL != nil {
					t.Error("--section slowest kept other sections")
				}
				if len(rep.Slowest) != want {
					t.Errorf("%d slowest requests, want %d", len(rep.Slowest), want)
				}
			} else if len(rep.Slowest) != want {
				t.Errorf("%d slowest requests, want %d", len(rep.Slowest), want)
			}
		})
	}
}

// TestHlogFlag: analyze --hlog writes an HdrHistogram interval log with
// one tagged histogram line per dyno per interval (aggregate's
// TestHlogReadBack reads the format back with hdrhistogram-go).
func TestHlogFlag(t *testing.T) {
	whole, _ := shardFiles(t, 1)
	hlog := filepath.Join(filepath.Dir(whole), "service.hlog")
	code, out, errs := runCLI(t, "", "analyze", whole, "--format", "json", "--hlog", hlog, "--hlog-interval", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep aggregate.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(hlog)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasPrefix(text, "#[Histogram log format version") {
		t.Errorf("no hlog header: %.80q", text)
	}
	intervals := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "Tag=web.") {
			intervals++
		}
	}
	if want := len(rep.Groups) * int(rep.SpanSeconds/30); intervals < want {
		t.Errorf("%d tagged interval histograms, want at least %d", intervals, want)
	}
	code, _, errs = runCLI(t, "", "analyze", whole, "--hlog", hlog, "--hlog-interval", "10ms")
	if code != 2 || !strings.Contains(errs, "--hlog-interval must be at least 1s") {
		t.Errorf("--hlog-interval 10ms: exit %d, %q", code, errs)
	}
}
