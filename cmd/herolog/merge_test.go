package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
)

// shardFiles writes a generated log, whole and cut at line boundaries into
// n files, and returns the whole file's name and the shards' names.
func shardFiles(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	g := gen.New(gen.Config{Seed: 11, Duration: 6 * time.Minute, Dynos: 3, Rate: 30, Scenario: gen.StuckDyno, L10Every: 2 * time.Minute})
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
	// Not saved in summaries yet (see merge.go).
	rep.Timeline, rep.Slowest, rep.HOL, rep.Routes, rep.DynosHealth, rep.Findings = nil, nil, nil, nil, nil, nil
	b, _ := json.MarshalIndent(&rep, "", " ")
	return string(b)
}

// TestMergeEqualsAnalyzeOfWhole: analyze --save of each shard, merged,
// gives the JSON report of one analyze over the whole log (inputs aside),
// for the grouping of the run and for others.
func TestMergeEqualsAnalyzeOfWhole(t *testing.T) {
	whole, parts := shardFiles(t, 3)
	var sums []string
	for _, p := range parts {
		sum := p + ".hlsum"
		if code, _, errs := runCLI(t, "", "analyze", p, "--save", sum); code != 0 {
			t.Fatalf("analyze --save: exit %d: %s", code, errs)
		}
		sums = append(sums, sum)
	}
	for _, tc := range [][]string{
		{"--by", "dyno"},
		{"--by", "route", "--sort", "p99"},
		{"--by", "minute"},
		{"--by", "status"},
		{"--by", "host"},
	} {
		t.Run(strings.Join(tc, " "), func(t *testing.T) {
			_, want, _ := runCLI(t, "", append([]string{"analyze", whole, "--format", "json"}, tc...)...)
			code, got, errs := runCLI(t, "", append(append([]string{"merge", "--format", "json"}, sums...), tc...)...)
			if code != 0 || errs != "" {
				t.Fatalf("merge: exit %d, stderr %q", code, errs)
			}
			if w, g := withoutInputs(t, want), withoutInputs(t, got); w != g {
				t.Errorf("merge differs from analyze of the whole:\n got %.1500s\nwant %.1500s", g, w)
			}
			var rep aggregate.Report
			_ = json.Unmarshal([]byte(got), &rep)
			if len(rep.Inputs) != 3 || rep.Inputs[0].Name != parts[0] || rep.Inputs[2].Name != parts[2] {
				t.Errorf("inputs %+v, want the three shards in order", rep.Inputs)
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

func TestMergeDuplicatesAndErrors(t *testing.T) {
	_, parts := shardFiles(t, 2)
	dir := filepath.Dir(parts[0])
	a, b, ab := filepath.Join(dir, "a.hlsum"), filepath.Join(dir, "b.hlsum"), filepath.Join(dir, "ab.hlsum")
	for _, args := range [][]string{
		{"analyze", parts[0], "--save", a},
		{"analyze", parts[1], "--save", b},
		{"analyze", parts[0], parts[1], "--save", ab},
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
		{"truncated", []string{truncated}, 1, "t.hlsum: corrupt summary", 0},
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
		})
	}
}

// TestHlogReadBack reads the --hlog file with hdrhistogram-go's own log
// reader: per dyno (tag), the interval histograms add up to the report's
// service-time counts and maxima, and the intervals follow the log's clock.
func TestHlogReadBack(t *testing.T) {
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
	f, err := os.Open(hlog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := hdrhistogram.NewHistogramLogReader(f)
	counts, maxes := map[string]int64{}, map[string]int64{}
	intervals := 0
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		intervals++
		if got := h.EndTimeMs() - h.StartTimeMs(); got != 30_000 {
			t.Errorf("interval of %d ms, want 30000", got)
		}
		counts[h.Tag()] += h.TotalCount()
		if m := h.Max() / 1e6; m > maxes[h.Tag()] {
			maxes[h.Tag()] = m
		}
	}
	if want := int(rep.SpanSeconds/30) + 1; intervals < want {
		t.Errorf("%d interval histograms, want at least %d (one per dyno per 30 s)", intervals, want)
	}
	if len(rep.Groups) != len(counts) {
		t.Errorf("%d tags, %d dynos", len(counts), len(rep.Groups))
	}
	for _, g := range rep.Groups {
		if counts[g.Key] != g.Service.Count {
			t.Errorf("%s: hlog holds %d values, the report %d", g.Key, counts[g.Key], g.Service.Count)
		}
		// The histogram's max is the top of the max's bucket (0.1%).
		if d := maxes[g.Key] - g.Service.Max; d < 0 || d > g.Service.Max/500+1 {
			t.Errorf("%s: hlog max %d ms, report max %d ms", g.Key, maxes[g.Key], g.Service.Max)
		}
	}
}
