package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/herolog/herolog/aggregate"
)

// htmlReport builds a report with one group per key, the first with a
// long tail, and their spectra.
func htmlReport(keys ...string) *aggregate.Report {
	r := &aggregate.Report{Version: 1, By: "route", Codes: map[string]aggregate.CodeCount{}}
	for i, k := range keys {
		g := aggregate.Group{Key: k, Requests: 100, Service: aggregate.Summary{Count: 100, Mean: 20, P50: 10, P95: 30, P99: 50, P999: int64(60 + i), Max: int64(70 + i)}}
		g.Spectrum = []aggregate.SpectrumPoint{{Percentile: 0, MS: 1}, {Percentile: 50, MS: 10}, {Percentile: 99, MS: 50}, {Percentile: 99.9, MS: g.Service.P999}, {Percentile: 100, MS: g.Service.Max}}
		if i == 0 {
			g.Service.P999, g.Service.Max = 20000, 30000
			g.Spectrum[3].MS, g.Spectrum[4].MS = 20000, 30000
			g.Outlier = "max 30000 ms is 1500× the mean"
		}
		r.Groups = append(r.Groups, g)
		r.Total.Requests += g.Requests
	}
	r.Total.Service = aggregate.Summary{Count: r.Total.Requests, P99: 50, Max: 30000}
	r.Total.Spectrum = []aggregate.SpectrumPoint{{Percentile: 0, MS: 1}, {Percentile: 100, MS: 30000}}
	return r
}

// TestHTMLEscapesLogText renders groups, codes, problems and input names
// taken from hostile log lines and checks that none of it becomes markup
// or script, and that the embedded JSON still holds it exactly.
func TestHTMLEscapesLogText(t *testing.T) {
	tests := []struct {
		name string
		text string
		safe bool // the text may appear as is (nothing to escape)
	}{
		{"script tag", "/<script>alert(1)</script>", false},
		{"closing the JSON block", "/</script><script>alert(2)</script>", false},
		{"attribute break-out", `/x" onmouseover="alert(3)`, false},
		{"img onerror", `/'><img src=x onerror=alert(4)>`, false},
		{"comment and CDATA", "/<!--<![CDATA[x]]>-->", false},
		{"terminal escape", "/\x1b[31mred\x1b[0m", false},
		{"bidi override", "/admin\u202egnp.exe", false},
		{"template braces", "/{{.R}}", true},
	}
	render := func(t *testing.T, text string) string {
		t.Helper()
		r := htmlReport(text, "/ok")
		r.Inputs = []aggregate.Input{{Name: text, Error: text}}
		r.Codes[text] = aggregate.CodeCount{Count: 1, Desc: "unknown code"}
		r.Groups[1].Codes = map[string]int64{text: 1}
		r.Problems = []aggregate.Problem{{File: text, Line: 1, Kind: "unparsed", Reason: "unparsed", Text: text}}
		r.Lines.Unparsed = 1
		var b bytes.Buffer
		if err := HTML(&b, r, Options{}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	// skeleton is the page's markup with attribute values and the JSON
	// block's content blanked: injected markup or attributes change it.
	jsonBlock := regexp.MustCompile(`(?s)(<script type="application/json" id="herolog-report">).*?(</script>)`)
	tag := regexp.MustCompile(`<[^>]*>`)
	value := regexp.MustCompile(`"[^"]*"`)
	skeleton := func(page string) string {
		page = jsonBlock.ReplaceAllString(page, "$1$2")
		var tags []string
		for _, m := range tag.FindAllString(page, -1) {
			tags = append(tags, value.ReplaceAllString(m, `""`))
		}
		return strings.Join(tags, "\n")
	}
	want := skeleton(render(t, "/plain"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := render(t, tt.text)
			if got := skeleton(page); got != want {
				a, b := strings.Split(got, "\n"), strings.Split(want, "\n")
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Fatalf("log text changed the markup: tag %d is %s, want %s", i, a[i], b[i])
					}
				}
				t.Fatalf("log text changed the markup: %d tags, want %d", len(a), len(b))
			}
			outside := jsonBlock.ReplaceAllString(page, "$1$2")
			if !tt.safe && strings.Contains(outside, tt.text) {
				i := strings.Index(outside, tt.text)
				t.Errorf("log text appears raw in the page: …%s…", outside[max(0, i-80):min(len(outside), i+80)])
			}
			if strings.ContainsAny(page, "\x1b") || strings.ContainsAny(outside, "\u202e") {
				t.Error("a control or bidi character reached the page")
			}
			if n := strings.Count(page, "<script"); n != 3 {
				t.Errorf("%d <script> elements, want 3 (error catcher, data, code)", n)
			}
			m := regexp.MustCompile(`(?s)<script type="application/json" id="herolog-report">(.*?)</script>`).FindStringSubmatch(page)
			if m == nil {
				t.Fatal("no embedded report")
			}
			var back aggregate.Report
			if err := json.Unmarshal([]byte(m[1]), &back); err != nil {
				t.Fatalf("embedded report: %v", err)
			}
			if back.Groups[0].Key != tt.text || back.Problems[0].Text != tt.text {
				t.Errorf("embedded report changed the text: %q, %q", back.Groups[0].Key, back.Problems[0].Text)
			}
		})
	}
}

// TestSpectrumChart checks the chart's choices: which groups are drawn,
// in what order, and that the lines go the right way.
func TestSpectrumChart(t *testing.T) {
	many := make([]string, 20)
	for i := range many {
		many[i] = fmt.Sprintf("web.%d", i+1)
	}
	tests := []struct {
		name      string
		rep       *aggregate.Report
		series    int
		total     bool
		mustDraw  []string
		noSpectra bool
	}{
		{name: "one group: no total line", rep: htmlReport("web.1"), series: 1, total: false, mustDraw: []string{"web.1"}},
		{name: "four groups", rep: htmlReport("web.1", "web.2", "web.3", "web.4"), series: 4, total: true, mustDraw: []string{"web.1", "web.4"}},
		// web.1 has the long tail; web.20 .. web.10 the next highest p99.9.
		{name: "twenty groups: the worst twelve", rep: htmlReport(many...), series: maxSeries, total: true, mustDraw: []string{"web.1", "web.20", "web.10"}},
		{name: "no spectra", rep: func() *aggregate.Report { r := htmlReport("a"); return r.WithoutSpectra() }(), noSpectra: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newSpectrumChart(tt.rep)
			if tt.noSpectra {
				if c != nil {
					t.Fatal("a chart without spectra")
				}
				return
			}
			if len(c.Series) != tt.series || (c.Total != nil) != tt.total {
				t.Fatalf("%d series (total %v), want %d (total %v)", len(c.Series), c.Total != nil, tt.series, tt.total)
			}
			drawn := map[string]bool{}
			for _, s := range c.Series {
				drawn[s.Key] = true
			}
			for _, k := range tt.mustDraw {
				if !drawn[k] {
					t.Errorf("%s not drawn", k)
				}
			}
			if !c.Series[0].Outlier || c.Series[0].Key != "web.1" {
				t.Errorf("first series %+v, want the outlier web.1 first (report order)", c.Series[0])
			}
			for _, sc := range []spectrumScale{c.Log, c.Lin} {
				if len(sc.Paths) != tt.series+btoi(tt.total) {
					t.Fatalf("%s: %d paths", sc.Name, len(sc.Paths))
				}
				for i, pts := range sc.Points {
					for j := 1; j < len(pts); j++ {
						if pts[j].X <= pts[j-1].X {
							t.Errorf("%s series %d: x goes back at point %d", sc.Name, i, j)
						}
						if pts[j].Y > pts[j-1].Y { // SVG y grows downwards
							t.Errorf("%s series %d: line goes down at point %d", sc.Name, i, j)
						}
						if pts[j].Y < c.Top-0.01 || pts[j].Y > c.Bottom+0.01 {
							t.Errorf("%s series %d: point %d at y %v outside the plot", sc.Name, i, j, pts[j].Y)
						}
					}
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAxes(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi int64
		labels []string
	}{
		{"ms to minutes", 0, 30000, []string{"1 ms", "10 ms", "100 ms", "1 s", "10 s", "50 s"}},
		{"one decade", 12, 80, []string{"10 ms", "20 ms", "50 ms", "100 ms"}},
		{"all zero", 0, 0, []string{"1 ms", "2 ms", "5 ms", "10 ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, ticks := logScale(tt.lo, tt.hi, 300, 10)
			var got []string
			for i, tk := range ticks {
				got = append(got, tk.Label)
				if i > 0 && tk.Pos >= ticks[i-1].Pos {
					t.Errorf("tick %s not above %s", tk.Label, ticks[i-1].Label)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.labels, ",") {
				t.Errorf("log ticks %v, want %v", got, tt.labels)
			}
			if y(tt.hi) < 10-0.01 || y(tt.lo) > 300+0.01 {
				t.Errorf("data outside the axis: y(hi)=%v y(lo)=%v", y(tt.hi), y(tt.lo))
			}
		})
	}
	for _, c := range []struct {
		ms   float64
		want string
	}{{0, "0 ms"}, {250, "250 ms"}, {1000, "1 s"}, {1500, "1.5 s"}, {60000, "1 min"}, {90000, "90 s"}} {
		if got := msLabel(c.ms); got != c.want {
			t.Errorf("msLabel(%v) = %q, want %q", c.ms, got, c.want)
		}
	}
}

// TestTimeline checks the per-minute rows taken from a report grouped by
// minute (gaps filled, keys that are not minutes left out) and the chart
// drawn from them.
func TestTimeline(t *testing.T) {
	minute := func(key string, reqs, p99, max, errs int64) aggregate.Group {
		return aggregate.Group{Key: key, Requests: reqs, Errors: errs, Service: aggregate.Summary{Count: reqs, Mean: 20, P99: p99, Max: max}}
	}
	tests := []struct {
		name   string
		by     string
		groups []aggregate.Group
		rows   int   // 0: no timeline
		maxes  []int // bucket -> max, for the rows given
		errBar []float64
	}{
		{name: "by dyno: none", by: "dyno", groups: []aggregate.Group{minute("web.1", 5, 10, 20, 0)}},
		{name: "one minute: none", by: "minute", groups: []aggregate.Group{minute("2026-11-20T14:00Z", 5, 10, 20, 0)}},
		{
			name: "gap filled, other and none left out", by: "minute",
			groups: []aggregate.Group{
				minute("2026-11-20T14:03Z", 60, 40, 30000, 2), minute("2026-11-20T14:00Z", 120, 30, 50, 0),
				minute(aggregate.NoneKey, 7, 1, 1, 0), minute(aggregate.OtherKey, 7, 1, 1, 0),
			},
			rows: 4, maxes: []int{50, 0, 0, 30000}, errBar: []float64{3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &aggregate.Report{By: tt.by, Groups: tt.groups}
			c := newTimelineChart(r)
			if tt.rows == 0 {
				if c != nil {
					t.Fatalf("a timeline of %d rows, want none", len(c.Data.Rows))
				}
				return
			}
			if c == nil || len(c.Data.Rows) != tt.rows {
				t.Fatalf("timeline %+v, want %d rows", c, tt.rows)
			}
			for i, want := range tt.maxes {
				if got := c.Data.Rows[i][tlMax]; got != float64(want) {
					t.Errorf("row %d max %v, want %d", i, got, want)
				}
			}
			if c.Data.Rows[0][tlRPS] != 2 {
				t.Errorf("row 0: %v req/s, want 2", c.Data.Rows[0][tlRPS])
			}
			var bars []float64
			for _, b := range c.Err.Bars {
				bars = append(bars, b.X)
			}
			if fmt.Sprint(bars) != fmt.Sprint(tt.errBar) {
				t.Errorf("error bars at %v, want %v", bars, tt.errBar)
			}
			// The lines break over the empty minutes: two pieces each.
			for _, p := range c.Service.Paths {
				if strings.Count(p.D, "M") != 2 {
					t.Errorf("%s line %q: want it broken over the gap", p.Class, p.D)
				}
			}
			if c.XTicks[0].Label != "14:00" || c.XTicks[0].Pos != c.Left {
				t.Errorf("first time tick %+v, want 14:00 at the left edge", c.XTicks[0])
			}
		})
	}
}

func TestTimeTicks(t *testing.T) {
	start := int64(1795269600) // 2026-11-21T14:00Z
	tests := []struct {
		name     string
		from, to float64 // buckets of 60 s
		first    string
		n        int
	}{
		{"fifteen minutes", 0, 15, "14:00", 4},
		{"a day", 0, 1440, "15:00", 8},
		{"two days", 0, 2880, "Nov 21 18:00", 8},
		{"zoomed into four minutes", 3, 7, "14:03", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticks := timeTicks(start, 60, tt.from, tt.to, 0, 100)
			if len(ticks) == 0 || ticks[0].Label != tt.first || len(ticks) > 8 || len(ticks) != tt.n {
				t.Errorf("ticks %v, want %d starting at %s", ticks, tt.n, tt.first)
			}
			for i := 1; i < len(ticks); i++ {
				if ticks[i].Pos <= ticks[i-1].Pos || ticks[i].Pos > 100 {
					t.Errorf("tick %d at %v", i, ticks[i].Pos)
				}
			}
		})
	}
}

// TestFindingsLinkToEvidence checks where each finding of the tail
// analysis points, and that the page's own findings join them.
func TestFindingsLinkToEvidence(t *testing.T) {
	r := htmlReport("web.1", "web.2")
	r.By = "dyno"
	r.Routes = []aggregate.RouteStat{{Route: "/a"}, {Route: "/reports/\x1b[2J"}}
	r.Timeline = &aggregate.Timeline{}
	r.Findings = []aggregate.Finding{
		{Kind: aggregate.FindingSlowRoute, Severity: "critical", Summary: "H12 on /reports/\x1b[2J", Evidence: map[string]any{"route": "/reports/\x1b[2J", "p50_ms": 21119, "codes": map[string]int64{"L10": 2}}},
		{Kind: aggregate.FindingStuckDyno, Severity: "critical", Evidence: map[string]any{"dyno": "web.2"}},
		{Kind: aggregate.FindingStuckDyno, Severity: "warning", Evidence: map[string]any{"dyno": "web.9"}},
		{Kind: aggregate.FindingTooFewDynos, Severity: "warning"},
		{Kind: aggregate.FindingMemory, Severity: "info"},
	}
	r.Total.H12 = 3 // the tail analysis speaks for it: no finding of the page's own
	got := findingsOf(r)
	want := []struct{ kind, evidence string }{
		{aggregate.FindingSlowRoute, "r1"},
		{aggregate.FindingStuckDyno, "g1"},
		{aggregate.FindingStuckDyno, "codes"}, // no such dyno, no HOL section
		{aggregate.FindingTooFewDynos, "timeline"},
		{aggregate.FindingMemory, "codes"}, // no dyno health section
		{"outlier", "g0"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Kind != w.kind || got[i].Evidence != w.evidence {
			t.Errorf("finding %d: %s → #%s, want %s → #%s", i, got[i].Kind, got[i].Evidence, w.kind, w.evidence)
		}
	}
	if s := got[0].Summary; strings.Contains(s, "\x1b") {
		t.Errorf("summary not sanitised: %q", s)
	}
	facts := fmt.Sprint(got[0].Facts)
	if !strings.Contains(facts, `{codes {"L10":2}}`) || !strings.Contains(facts, "{p50 ms 21119}") || strings.Contains(facts, "\x1b") {
		t.Errorf("facts %s", facts)
	}
}
