package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
)

var updateHTML = flag.Bool("update-html", false, "rewrite testdata/html/*.html from the current output")

const htmlSample = "../../testdata/sample.log"

// htmlRun runs the CLI in memory and returns stdout, stderr and the status.
func htmlRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// htmlRow finds the group table's row of key and returns its cells by
// data-col, and the requests cell's text.
func htmlRow(t *testing.T, page, key string) map[string]string {
	t.Helper()
	start := strings.Index(page, `data-key="`+html.EscapeString(key)+`"`)
	if start < 0 {
		t.Fatalf("no table row for %q", key)
	}
	end := strings.Index(page[start:], "</tr>")
	row := page[start : start+end]
	cells := map[string]string{}
	for _, m := range regexp.MustCompile(`data-col="([^"]+)">([^<]*)<`).FindAllStringSubmatch(row, -1) {
		cells[m[1]] = m[2]
	}
	if m := regexp.MustCompile(`<td data-v="\d+">([\d,]+)</td>`).FindStringSubmatch(row); m != nil {
		cells["requests"] = strings.ReplaceAll(m[1], ",", "")
	}
	return cells
}

// TestHTMLNumbersMatchJSON checks that the page shows the numbers of
// --format json for the same input: per-dyno requests, p99, p99.9, max,
// mean and 5xx in the table, and the headline cards.
func TestHTMLNumbersMatchJSON(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	stdout, stderr, code := htmlRun(t, "analyze", htmlSample, "--format", "json", "--html", page)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, `"spectrum"`) {
		t.Error("--format json with --html: stdout carries the spectra, want the default shape")
	}
	var rep aggregate.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	if len(rep.Groups) < 2 {
		t.Fatalf("sample has %d dynos, want several", len(rep.Groups))
	}
	groups := append([]aggregate.Group{rep.Total}, rep.Groups...)
	for i, g := range groups {
		key := g.Key
		if i == 0 {
			key = "total"
		}
		cells := htmlRow(t, h, key)
		for _, c := range []struct {
			col  string
			want string
		}{
			{"requests", strconv.FormatInt(g.Requests, 10)},
			{"p99", strconv.FormatInt(g.Service.P99, 10)},
			{"p99.9", strconv.FormatInt(g.Service.P999, 10)},
			{"max", strconv.FormatInt(g.Service.Max, 10)},
			{"mean", fmtMeanForTest(g.Service.Mean)},
			{"5xx", strconv.FormatInt(g.Status.S5xx, 10)},
		} {
			if got := cells[c.col]; got != c.want {
				t.Errorf("%s %s: page shows %q, JSON says %s", key, c.col, got, c.want)
			}
		}
	}
	for _, c := range []struct {
		card string
		want int64
	}{{"p99", rep.Total.Service.P99}, {"p99.9", rep.Total.Service.P999}, {"max", rep.Total.Service.Max}, {"H12 timeouts", rep.Total.H12}} {
		re := regexp.MustCompile(`data-card="` + regexp.QuoteMeta(c.card) + `">([\d,]+)`)
		m := re.FindStringSubmatch(h)
		if m == nil || strings.ReplaceAll(m[1], ",", "") != strconv.FormatInt(c.want, 10) {
			t.Errorf("card %s: page shows %v, JSON says %d", c.card, m, c.want)
		}
	}
	// The tail sections: the routes table and the timeline's numbers.
	if len(rep.Routes) == 0 || rep.Timeline == nil || len(rep.Findings) == 0 {
		t.Fatal("the sample's JSON has no routes, timeline or findings")
	}
	for i, rt := range rep.Routes {
		row := regexp.MustCompile(`<tr id="r` + strconv.Itoa(i) + `"><th scope="row" data-v="([^"]*)">[^<]*</th><td data-v="(\d+)">[^<]*</td><td data-v="(\d+)">[^<]*</td><td data-v="(\d+)">[^<]*</td><td data-v="(\d+)">`).FindStringSubmatch(h)
		want := []string{html.EscapeString(rt.Route), strconv.FormatInt(rt.Requests, 10), strconv.FormatInt(rt.P50MS, 10), strconv.FormatInt(rt.P99MS, 10), strconv.FormatInt(rt.MaxMS, 10)}
		if row == nil || strings.Join(row[1:], " ") != strings.Join(want, " ") {
			t.Errorf("route %d: page %v, JSON %v", i, row, want)
		}
	}
	// The timeline chart reads the embedded report's timeline (checked
	// below to equal the JSON's) from the time its SVG says.
	t0, err := time.Parse(time.RFC3339, rep.Timeline.Buckets[0].Start)
	if err != nil {
		t.Fatal(err)
	}
	attrs := fmt.Sprintf(`data-start="%d" data-step="%g"`, t0.Unix(), rep.Timeline.BucketSeconds)
	if !strings.Contains(h, attrs) {
		t.Errorf("the timeline chart does not start at %s", attrs)
	}
	if n := len(regexp.MustCompile(`<path class="p99" d="([^"]*)"`).FindStringSubmatch(h)[1]); n == 0 {
		t.Error("no p99 line on the timeline")
	}
	for _, f := range rep.Findings {
		if !strings.Contains(h, `data-kind="`+f.Kind+`"`) || !strings.Contains(h, html.EscapeString(f.Summary)) {
			t.Errorf("finding %s (%q) not in the page", f.Kind, f.Summary)
		}
	}
	// The embedded report is the JSON report plus the spectra.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="herolog-report">(.*?)</script>`).FindStringSubmatch(h)
	if m == nil {
		t.Fatal("no embedded report")
	}
	var emb aggregate.Report
	if err := json.Unmarshal([]byte(m[1]), &emb); err != nil {
		t.Fatalf("embedded report: %v", err)
	}
	if a, b := mustJSON(t, emb.Timeline), mustJSON(t, rep.Timeline); a != b {
		t.Errorf("embedded timeline differs from --format json")
	}
	for i, g := range emb.Groups {
		if len(g.Spectrum) == 0 {
			t.Errorf("embedded group %s has no spectrum", g.Key)
		}
		g.Spectrum = nil
		if a, b := mustJSON(t, g), mustJSON(t, rep.Groups[i]); a != b {
			t.Errorf("embedded group %d differs from --format json:\n%s\n%s", i, a, b)
		}
	}
}

func fmtMeanForTest(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHTMLFlag covers --html and --format html: the same page either way,
// written whole or not at all.
func TestHTMLFlag(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		args      []string
		file      string // the page written, "" for none
		code      int
		stderr    string
		pageOnStd bool
	}{
		{name: "html to a file", args: []string{"analyze", htmlSample, "--html", filepath.Join(dir, "a.html")}, file: filepath.Join(dir, "a.html")},
		{name: "html on stdout", args: []string{"analyze", htmlSample, "--format", "html"}, pageOnStd: true},
		{name: "no such directory", args: []string{"analyze", htmlSample, "--html", filepath.Join(dir, "nope", "a.html")}, code: 1, stderr: "writing the HTML report"},
	}
	var pages []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := htmlRun(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.stderr)
			}
			switch {
			case tt.file != "":
				b, err := os.ReadFile(tt.file)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(stdout, "Service time by dyno") {
					t.Errorf("stdout is not the table report: %.200s", stdout)
				}
				pages = append(pages, string(b))
			case tt.pageOnStd:
				pages = append(pages, stdout)
			}
			left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
			if len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
	if len(pages) != 2 || pages[0] != pages[1] {
		t.Errorf("--html and --format html differ (or one is missing: %d pages)", len(pages))
	}
	for _, p := range pages {
		if !strings.HasPrefix(p, "<!DOCTYPE html>") || !strings.Contains(p, `id="spectrum-chart"`) {
			t.Errorf("not a report page with a spectrum: %.200s", p)
		}
	}
}

// TestHTMLGolden pins the page for the sample; rewrite it with
// go test ./cmd/herolog -run TestHTMLGolden -update-html.
func TestHTMLGolden(t *testing.T) {
	stdout, stderr, code := htmlRun(t, "analyze", htmlSample, "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden := filepath.Join("testdata", "html", "sample.html")
	if *updateHTML {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-html to create it)", err)
	}
	if stdout != string(want) {
		a, b := strings.Split(stdout, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				t.Fatalf("page differs from %s at line %d:\n got: %.300s\nwant: %.300s\n(run with -update-html if the change is intended)", golden, i+1, a[i], b[i])
			}
		}
		t.Fatalf("page differs from %s in length: %d lines, want %d", golden, len(a), len(b))
	}
}

// TestHTMLSizeOfADay keeps the page for a day of logs (one request a
// second, four dynos, a stuck one) within a few hundred KB (400 KB).
func TestHTMLSizeOfADay(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates a day of logs")
	}
	var logs bytes.Buffer
	g := gen.New(gen.Config{Seed: 1, Duration: 24 * time.Hour, Rate: 1, Scenario: gen.StuckDyno})
	if _, err := g.WriteTo(&logs); err != nil {
		t.Fatal(err)
	}
	const budget = 400 << 10
	for _, by := range []string{"dyno", "route"} {
		t.Run(by, func(t *testing.T) {
			var out, errb bytes.Buffer
			page := filepath.Join(t.TempDir(), "day.html")
			if code := run([]string{"analyze", "-", "--by", by, "--html", page}, bytes.NewReader(logs.Bytes()), &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			fi, err := os.Stat(page)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("a day of logs (%d MB) by %s: %d KB of HTML", logs.Len()>>20, by, fi.Size()>>10)
			if fi.Size() > budget {
				t.Errorf("the page for a day is %d KB, over the %d KB budget", fi.Size()>>10, budget>>10)
			}
		})
	}
}
