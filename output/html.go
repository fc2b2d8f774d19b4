package output

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/herolog/herolog/aggregate"
)

// The page's template, style sheet and script are embedded, so a report is
// one self-contained file: no fonts, scripts or styles are fetched, and it
// opens offline.
//
//go:embed htmlassets/report.html.tmpl htmlassets/report.css htmlassets/report.js
var htmlAssets embed.FS

var htmlTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"commas": commas,
	"itoa":   itoa,
	"mean":   fmtMean,
	"rps":    func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	"clean":  Sanitize,
	"codes":  codeList,
	"slice2": func(a, b spectrumScale) []spectrumScale { return []spectrumScale{a, b} },
	"seriesAt": func(c *spectrumChart, i int) spectrumSeries {
		if i < len(c.Series) {
			return c.Series[i]
		}
		return *c.Total
	},
	"rowOf": func(g aggregate.Group, wait bool) htmlRow { return htmlRow{G: g, Wait: wait} },
	"panelOf": func(c *timelineChart, p timelinePanel, name string) htmlPanel {
		return htmlPanel{C: c, P: p, Name: name}
	},
	"add":     func(a, b float64) float64 { return a + b },
	"pct":     func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"routeID": routeRowID,
	"sub":     func(a, b float64) float64 { return a - b },
}).ParseFS(htmlAssets, "htmlassets/report.html.tmpl"))

var (
	htmlCSS = mustAsset("htmlassets/report.css")
	htmlJS  = mustAsset("htmlassets/report.js")
)

func mustAsset(name string) string {
	b, err := htmlAssets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func init() { Register("html", HTML) }

// HTML writes the report as one self-contained HTML page for people and
// incident tickets: the headline numbers, the findings with links to their
// evidence, a percentile-spectrum chart of every group (all on one chart,
// so the odd one out shows), a per-minute timeline when the report has
// one, and the sortable group and error-code tables with the numbers of
// Table. Charts are inline SVG computed here, so they render with no
// script; a little embedded script sorts tables, zooms the timeline and
// switches the spectrum's scale. All log-derived text is escaped by
// html/template; the report itself is embedded as JSON in a
// <script type="application/json" id="herolog-report"> block. The
// spectrum chart needs Group.Spectrum (aggregate.Options.Spectrum).
func HTML(w io.Writer, r *aggregate.Report, _ Options) error {
	FixUTF8(r) // JSON holds only valid UTF-8: keep bad bytes as \xNN
	return htmlTemplate.Execute(w, newHTMLView(r))
}

// scriptJSON is r as JSON for a <script> element: encoding/json escapes
// < > & (so no "</script>"), and here DEL, C1 controls, bidi overrides and
// line separators from log text are written as \uXXXX too, so none reaches
// the page (or a terminal the page is printed on) raw. It decodes to the
// same report.
func scriptJSON(r *aggregate.Report) template.JS {
	b, err := json.Marshal(r)
	if err != nil {
		return template.JS("null")
	}
	var out strings.Builder
	const hex = "0123456789abcdef"
	for _, c := range string(b) {
		switch {
		case c == 0x7f, c >= 0x80 && c <= 0x9f, c >= 0x202a && c <= 0x202e, c >= 0x2066 && c <= 0x2069,
			c == 0x200e, c == 0x200f, c == 0x2028, c == 0x2029:
			out.WriteString(`\u`)
			for sh := 12; sh >= 0; sh -= 4 {
				out.WriteByte(hex[(c>>uint(sh))&15])
			}
		default:
			out.WriteRune(c)
		}
	}
	return template.JS(out.String())
}

// htmlView is everything the template shows.
type htmlView struct {
	R         *aggregate.Report
	CSS       template.CSS
	JS        template.JS
	Title     string
	Inputs    []string
	MoreIn    int
	Span      string
	Lines     string
	Warnings  []string
	Cards     []htmlCard
	Findings  []htmlFinding
	GroupBy   string // "dyno", "route", ...
	HasWait   bool
	Spectrum  *spectrumChart
	Timeline  *timelineChart
	Codes     []htmlCode
	BadLines  int64
	JSONModel template.JS // the report as JSON (scriptJSON), embedded
}

// htmlPanel is one timeline panel with its chart, for the template.
type htmlPanel struct {
	C    *timelineChart
	P    timelinePanel
	Name string
}

// htmlRow is one row of the group table.
type htmlRow struct {
	G    aggregate.Group
	Wait bool // the table has legacy wait columns
}

type htmlCard struct {
	Label, Value, Unit, Note string
	Bad                      bool
}

// htmlFinding is one finding with a link to its evidence (an element id
// in the page).
type htmlFinding struct {
	Severity string // "critical", "warning", "info"
	Kind     string
	Summary  string
	Evidence string // element id, without '#'
	Link     string // text of the link
	Advice   string
	Facts    []htmlFact // the numbers the finding rests on
}

// htmlFact is one number behind a finding.
type htmlFact struct{ Key, Value string }

type htmlCode struct {
	Code  string
	Count int64
	Desc  string
}

func newHTMLView(r *aggregate.Report) *htmlView {
	v := &htmlView{
		R:         r,
		CSS:       template.CSS(htmlCSS),
		JS:        template.JS(htmlJS),
		GroupBy:   r.By,
		HasWait:   r.Total.Wait != nil,
		JSONModel: scriptJSON(r),
	}
	if v.GroupBy == "" {
		v.GroupBy = string(aggregate.ByDyno)
	}
	for i, in := range r.Inputs {
		if i == 4 {
			v.MoreIn = len(r.Inputs) - 4
			break
		}
		v.Inputs = append(v.Inputs, Sanitize(in.Name))
	}
	v.Title = "herolog report"
	if len(v.Inputs) > 0 {
		v.Title += ": " + v.Inputs[0]
	}
	if r.Start != "" {
		v.Span = fmt.Sprintf("%s → %s (%s)", r.Start, r.End, humanSpan(r.SpanSeconds))
	} else {
		v.Span = "no timestamps seen"
	}
	l := r.Lines
	v.Lines = fmt.Sprintf("%s lines, %s router requests", commas(l.Total), commas(l.Router))
	if r.DroppedLines > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("Heroku reported %s log lines dropped or lost (L10–L13): the numbers below are incomplete.", commas(r.DroppedLines)))
	}
	if r.ClampedValues > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%s lines had a number out of range or invalid (clamped or ignored).", commas(r.ClampedValues)))
	}
	if r.FoldedRequests > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("Too many distinct %ss: %s requests folded into %q.", v.GroupBy, commas(r.FoldedRequests), aggregate.OtherKey))
	}
	for _, in := range r.Inputs {
		if in.Error != "" {
			v.Warnings = append(v.Warnings, Sanitize(in.Name)+": "+Sanitize(in.Error))
		}
	}
	v.BadLines = l.Malformed + l.Unparsed + l.Oversize

	t := r.Total
	v.Cards = []htmlCard{
		{Label: "requests", Value: commas(t.Requests), Note: rpsNote(t.RPS)},
		{Label: "p50", Value: itoa(t.Service.P50), Unit: "ms"},
		{Label: "p99", Value: itoa(t.Service.P99), Unit: "ms"},
		{Label: "p99.9", Value: itoa(t.Service.P999), Unit: "ms"},
		{Label: "max", Value: itoa(t.Service.Max), Unit: "ms", Bad: t.Service.Max >= 30000},
		{Label: "mean", Value: fmtMean(t.Service.Mean), Unit: "ms"},
		{Label: "5xx", Value: commas(t.Status.S5xx), Note: percentNote(t.Status.S5xx, t.Requests), Bad: t.Status.S5xx > 0},
		{Label: "H12 timeouts", Value: commas(t.H12), Bad: t.H12 > 0},
	}

	for c, cc := range r.Codes {
		v.Codes = append(v.Codes, htmlCode{Code: Sanitize(c), Count: cc.Count, Desc: cc.Desc})
	}
	sort.Slice(v.Codes, func(i, j int) bool {
		if v.Codes[i].Count != v.Codes[j].Count {
			return v.Codes[i].Count > v.Codes[j].Count
		}
		return v.Codes[i].Code < v.Codes[j].Code
	})

	v.Spectrum = newSpectrumChart(r)
	v.Timeline = newTimelineChart(r)
	v.Findings = findingsOf(r)
	return v
}

func rpsNote(rps float64) string {
	if rps <= 0 {
		return ""
	}
	return strconv.FormatFloat(rps, 'f', 2, 64) + " req/s"
}

func percentNote(n, of int64) string {
	if of == 0 || n == 0 {
		return ""
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 2, 64) + "% of requests"
}

// findingsOf lists what the page leads with, each pointing at its
// evidence: the tail analysis's findings (Report.Findings) when the report
// has them, else the H12 timeouts and dropped lines seen; then the groups
// whose tail stands out (Group.Outlier).
func findingsOf(r *aggregate.Report) []htmlFinding {
	var out []htmlFinding
	for _, f := range r.Findings {
		id, link := findingEvidence(r, f)
		out = append(out, htmlFinding{
			Severity: f.Severity, Kind: f.Kind, Summary: Sanitize(f.Summary), Advice: Sanitize(f.Advice),
			Evidence: id, Link: link, Facts: factsOf(f.Evidence),
		})
	}
	if r.Findings == nil {
		if t := r.Total; t.H12 > 0 {
			out = append(out, htmlFinding{
				Severity: "critical",
				Kind:     "timeouts",
				Summary:  fmt.Sprintf("%s requests hit Heroku's 30 s router timeout (H12): their real service time is unknown and the max is a floor.", commas(t.H12)),
				Evidence: "codes",
				Link:     "codes",
			})
		}
		if r.DroppedLines > 0 {
			out = append(out, htmlFinding{
				Severity: "critical",
				Kind:     "dropped",
				Summary:  fmt.Sprintf("Heroku dropped %s log lines: every number here undercounts.", commas(r.DroppedLines)),
				Evidence: "codes",
				Link:     "codes",
			})
		}
	}
	for i, g := range r.Groups {
		if g.Outlier == "" {
			continue
		}
		out = append(out, htmlFinding{
			Severity: "warning",
			Kind:     "outlier",
			Summary:  fmt.Sprintf("%s %s: %s", r.By, Sanitize(g.Key), g.Outlier),
			Evidence: groupRowID(i),
			Link:     "row",
		})
	}
	return out
}

// findingEvidence picks the part of the page a finding rests on: the row
// of its route or dyno when the page has one, else its section.
func findingEvidence(r *aggregate.Report, f aggregate.Finding) (id, link string) {
	str := func(k string) string { s, _ := f.Evidence[k].(string); return s }
	switch f.Kind {
	case aggregate.FindingSlowRoute:
		for i, rt := range r.Routes {
			if rt.Route == str("route") && str("route") != "" {
				return routeRowID(i), "route"
			}
		}
		if r.Routes != nil {
			return "routes", "routes"
		}
	case aggregate.FindingStuckDyno:
		if r.By == string(aggregate.ByDyno) {
			for i, g := range r.Groups {
				if g.Key == str("dyno") && g.Key != "" {
					return groupRowID(i), "dyno"
				}
			}
		}
		if r.HOL != nil {
			return "hol", "head-of-line blocking"
		}
	case aggregate.FindingTooFewDynos:
		if r.Timeline != nil {
			return "timeline", "timeline"
		}
	case aggregate.FindingMemory:
		if r.DynosHealth != nil {
			return "dynos", "dynos"
		}
	case aggregate.FindingH12:
		if r.Slowest != nil {
			return "slowest", "slowest requests"
		}
	}
	return "codes", "codes"
}

// factsOf formats a finding's evidence, keys sorted; log-derived strings
// are sanitised.
func factsOf(ev map[string]any) []htmlFact {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]htmlFact, 0, len(keys))
	for _, k := range keys {
		out = append(out, htmlFact{Key: Sanitize(strings.ReplaceAll(k, "_", " ")), Value: factValue(ev[k])})
	}
	return out
}

func factValue(v any) string {
	if s, ok := v.(string); ok {
		return Sanitize(s)
	}
	b, err := json.Marshal(v) // numbers as JSON writes them, maps as {"L10":2}
	if err != nil {
		return Sanitize(fmt.Sprint(v))
	}
	return Sanitize(string(b))
}

func routeRowID(i int) string { return "r" + strconv.Itoa(i) }

func groupRowID(i int) string { return "g" + strconv.Itoa(i) }

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartW     = 800.0
	chartH     = 380.0
	chartLeft  = 64.0
	chartRight = 16.0
	chartTop   = 14.0
	chartBot   = 40.0
	// maxSeries is how many groups the spectrum draws: those with the
	// highest p99.9 (then max), so the odd ones out are always on it.
	maxSeries = 12
	// spectrumNines is the right end of the x axis (99.999%); the max is
	// drawn half a nine further right.
	spectrumNines = 5.0
)

// seriesColors is a categorical palette readable on light and dark
// backgrounds (Tableau 10 and two more).
var seriesColors = []string{
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#17becf", "#bcbd22",
}

type spectrumChart struct {
	W, H, Left, Right, Top, Bottom float64
	XTicks                         []tick
	Log, Lin                       spectrumScale
	Series                         []spectrumSeries
	Total                          *spectrumSeries
	Shown, Of                      int
}

// spectrumScale is the chart drawn with one y scale.
type spectrumScale struct {
	Name   string // "log" or "linear"
	YTicks []tick
	Paths  []string // per series, then the total last when present
	Points [][]point
}

type tick struct {
	Pos   float64
	Label string
}

type point struct {
	X, Y  float64
	Title string
}

type spectrumSeries struct {
	Key     string
	Color   string
	Outlier bool
	Dashed  bool
	Row     string // id of its table row
	P99     int64
	P999    int64
	Max     int64
	Count   int64
}

// nines maps a percentile (0–100) to the spectrum's x value:
// −log10(1 − p/100), so 90% is 1, 99% is 2, 99.9% is 3.
func nines(p float64) float64 {
	if p >= 100 {
		return spectrumNines + 0.5
	}
	n := -math.Log10(1 - p/100)
	return math.Min(n, spectrumNines)
}

func newSpectrumChart(r *aggregate.Report) *spectrumChart {
	type src struct {
		g   *aggregate.Group
		row int
	}
	var srcs []src
	for i := range r.Groups {
		if len(r.Groups[i].Spectrum) > 0 {
			srcs = append(srcs, src{&r.Groups[i], i})
		}
	}
	if len(srcs) == 0 && len(r.Total.Spectrum) == 0 {
		return nil
	}
	c := &spectrumChart{W: chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight, Top: chartTop, Bottom: chartH - chartBot, Of: len(srcs)}
	sort.SliceStable(srcs, func(i, j int) bool {
		a, b := srcs[i].g.Service, srcs[j].g.Service
		if a.P999 != b.P999 {
			return a.P999 > b.P999
		}
		return a.Max > b.Max
	})
	if len(srcs) > maxSeries {
		srcs = srcs[:maxSeries]
	}
	// Draw in the report's order (by key, max, ...), colours stable by it.
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].row < srcs[j].row })
	c.Shown = len(srcs)

	var lo, hi int64 = math.MaxInt64, 1
	spectra := make([][]aggregate.SpectrumPoint, 0, len(srcs)+1)
	for i, s := range srcs {
		c.Series = append(c.Series, spectrumSeries{
			Key: Sanitize(s.g.Key), Color: seriesColors[i%len(seriesColors)], Outlier: s.g.Outlier != "",
			Row: groupRowID(s.row), P99: s.g.Service.P99, P999: s.g.Service.P999, Max: s.g.Service.Max, Count: s.g.Service.Count,
		})
		spectra = append(spectra, s.g.Spectrum)
	}
	if sp := r.Total.Spectrum; len(sp) > 0 && len(srcs) != 1 {
		t := r.Total.Service
		c.Total = &spectrumSeries{Key: "all requests", Dashed: true, P99: t.P99, P999: t.P999, Max: t.Max, Count: t.Count}
		spectra = append(spectra, sp)
	}
	for _, sp := range spectra {
		for _, p := range sp {
			lo = min(lo, p.MS)
			hi = max(hi, p.MS)
		}
	}
	xs := func(n float64) float64 { return c.Left + (c.Right-c.Left)*n/(spectrumNines+0.5) }
	for _, n := range []struct {
		n float64
		l string
	}{{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}, {5.5, "max"}} {
		c.XTicks = append(c.XTicks, tick{Pos: round1(xs(n.n)), Label: n.l})
	}
	logY, logTicks := logScale(lo, hi, c.Bottom, c.Top)
	linY, linTicks := linScale(hi, c.Bottom, c.Top)
	c.Log = spectrumScale{Name: "log", YTicks: logTicks}
	c.Lin = spectrumScale{Name: "linear", YTicks: linTicks}
	for i, sp := range spectra {
		key := "all requests"
		if i < len(c.Series) {
			key = c.Series[i].Key
		}
		for _, sc := range []*spectrumScale{&c.Log, &c.Lin} {
			y := logY
			if sc == &c.Lin {
				y = linY
			}
			var d strings.Builder
			pts := make([]point, 0, len(sp))
			for j, p := range sp {
				px, py := xs(nines(p.Percentile)), y(p.MS)
				if j == 0 {
					d.WriteString("M")
				} else {
					d.WriteString("L")
				}
				d.WriteString(fnum(px) + " " + fnum(py))
				label := strconv.FormatFloat(p.Percentile, 'f', -1, 64) + "%"
				switch p.Percentile {
				case 0:
					label = "min"
				case 100:
					label = "max"
				}
				pts = append(pts, point{X: round1(px), Y: round1(py), Title: fmt.Sprintf("%s %s: %s ms", key, label, itoa(p.MS))})
			}
			sc.Paths = append(sc.Paths, d.String())
			sc.Points = append(sc.Points, pts)
		}
	}
	return c
}

// fnum formats a coordinate with one decimal: small files, enough precision.
func fnum(v float64) string { return strconv.FormatFloat(round1(v), 'f', -1, 64) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// logScale maps ms to y on a log axis from bottom (at lo, at least 1 ms)
// to top (at hi, rounded up to a decade), with a tick per decade (and at
// 2 and 5 when the axis spans at most two decades).
func logScale(lo, hi int64, bottom, top float64) (func(int64) float64, []tick) {
	if lo < 1 {
		lo = 1
	}
	d0 := math.Floor(math.Log10(float64(lo)))
	d1 := math.Log10(niceStep(float64(hi))) // the top: 1, 2 or 5 × 10^k
	if d1 < d0+1 {
		d1 = d0 + 1
	}
	y := func(v int64) float64 {
		f := math.Log10(math.Max(float64(v), 1))
		f = math.Max(f, d0)
		return bottom - (bottom-top)*(f-d0)/(d1-d0)
	}
	var ticks []tick
	limit := math.Pow(10, d1) * 1.0001
	for d := d0; d <= d1; d++ {
		base := math.Pow(10, d)
		for _, m := range []float64{1, 2, 5} {
			if base*m > limit || (m > 1 && d1-d0 > 2.5) {
				continue
			}
			ticks = append(ticks, tick{Pos: y(int64(math.Round(base * m))), Label: msLabel(base * m)})
		}
	}
	if last := ticks[len(ticks)-1]; last.Pos > top+1 { // label the top too
		v := math.Round(math.Pow(10, d1))
		ticks = append(ticks, tick{Pos: y(int64(v)), Label: msLabel(v)})
	}
	for i := range ticks {
		ticks[i].Pos = round1(ticks[i].Pos)
	}
	return y, ticks
}

// linScale maps ms to y on a linear axis from 0 to hi rounded up to a
// "nice" number, with five ticks.
func linScale(hi int64, bottom, top float64) (func(int64) float64, []tick) {
	step := niceStep(float64(hi) / 5)
	end := step * math.Ceil(float64(hi)/step)
	if end <= 0 {
		end = 1
	}
	y := func(v int64) float64 { return bottom - (bottom-top)*float64(v)/end }
	var ticks []tick
	for v := 0.0; v <= end+step/2; v += step {
		ticks = append(ticks, tick{Pos: round1(y(int64(v))), Label: msLabel(v)})
	}
	return y, ticks
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// msLabel labels a duration axis: "50 ms", "1 s", "1.5 s", "2 min".
func msLabel(ms float64) string {
	switch {
	case ms >= 60000 && math.Mod(ms, 60000) == 0:
		return strconv.FormatFloat(ms/60000, 'f', -1, 64) + " min"
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'f', -1, 64) + " ms"
}
