package output

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/herolog/herolog/aggregate"
)

// timelineData is the timeline's numbers, one row per bucket in time
// order with gaps filled; the page's script reads it (as JSON) for the
// hover read-out and the zoomed axis.
//
// When the rows come from Report.Timeline, the page does not repeat them:
// the script reads the embedded report's timeline instead (FromReport).
type timelineData struct {
	Start      int64        `json:"start"` // first bucket, Unix seconds
	Step       int64        `json:"step"`  // bucket width, seconds
	Rows       [][6]float64 `json:"rows"`  // requests/s, mean, p99, max (ms), errors, requests
	Note       string       `json:"note,omitempty"`
	FromReport bool         `json:"-"`
}

// timelineMark is a bucket the chart marks (errors seen).
type timelineMark struct{ X, H float64 }

// Row fields.
const (
	tlRPS = iota
	tlMean
	tlP99
	tlMax
	tlErrors
	tlRequests
)

// maxMinuteRows caps the rows of a timeline drawn from a report grouped
// by minute, gaps included: two weeks of minutes.
const maxMinuteRows = 14 * 24 * 60

// timelineOf returns the per-bucket numbers of r, nil when it has none:
// the tail analysis's Report.Timeline, or else, for a report grouped by
// minute (the timeline section left out), its groups.
func timelineOf(r *aggregate.Report) *timelineData {
	if tl := r.Timeline; tl != nil && len(tl.Buckets) >= 2 {
		if t0, err := time.Parse(time.RFC3339Nano, tl.Buckets[0].Start); err == nil {
			d := &timelineData{Start: t0.Unix(), Step: int64(math.Round(tl.BucketSeconds)), Note: tl.Note, FromReport: true}
			if d.Step < 1 {
				d.Step = 1
			}
			d.Rows = make([][6]float64, len(tl.Buckets))
			for i, b := range tl.Buckets {
				d.Rows[i] = [6]float64{b.RPS, b.MeanMS, float64(b.P99MS), float64(b.MaxMS), float64(b.Errors), float64(b.Requests)}
			}
			return d
		}
	}
	if r.By != string(aggregate.ByMinute) {
		return nil
	}
	type row struct {
		t int64
		g *aggregate.Group
	}
	var rows []row
	for i := range r.Groups {
		g := &r.Groups[i]
		t, err := time.Parse("2006-01-02T15:04Z", g.Key)
		if err != nil { // "(none)", "other"
			continue
		}
		rows = append(rows, row{t.Unix(), g})
	}
	if len(rows) < 2 {
		return nil
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].t < rows[j].t })
	d := &timelineData{Start: rows[0].t, Step: 60}
	n := (rows[len(rows)-1].t-rows[0].t)/60 + 1
	if n > maxMinuteRows {
		// Minutes years apart (a hostile or mixed-up log): filling every
		// gap would take gigabytes; there is no timeline to draw.
		return nil
	}
	d.Rows = make([][6]float64, n)
	for _, rw := range rows {
		g := rw.g
		d.Rows[(rw.t-d.Start)/60] = [6]float64{
			math.Round(float64(g.Requests)/60*100) / 100,
			g.Service.Mean, float64(g.Service.P99), float64(g.Service.Max), float64(g.Errors), float64(g.Requests),
		}
	}
	return d
}

// timelineChart is the timeline drawn: three panels (service time on a log
// axis, requests/s, errors) sharing the time axis. Each panel's plot is a
// nested SVG whose viewBox is in bucket units along x, so the script zooms
// by rewriting the viewBox and lines keep their width
// (vector-effect: non-scaling-stroke).
type timelineChart struct {
	W, H, Left, Right float64
	PlotW             float64
	N                 int // buckets
	Service, RPS, Err timelinePanel
	XTicks            []tick
	Data              *timelineData
	Bucket            string // "minute", "5 minutes"
	Peak              string // the worst bucket, for the hint
}

// timelinePanel is one panel: its box, y ticks and paths.
type timelinePanel struct {
	Top, H float64
	YTicks []tick // positions in the outer SVG
	Paths  []timelinePath
	Bars   []timelineMark
}

type timelinePath struct {
	Class, D string
}

// newTimelineChart draws the per-bucket timeline of requests/s, mean, p99
// and max service time with the buckets that saw errors marked; nil when
// the report has no timeline.
func newTimelineChart(r *aggregate.Report) *timelineChart {
	d := timelineOf(r)
	if d == nil {
		return nil
	}
	n := len(d.Rows)
	c := &timelineChart{W: chartW, H: 400, Left: chartLeft, Right: chartW - chartRight, N: n, Data: d}
	c.PlotW = c.Right - c.Left
	c.Service = timelinePanel{Top: 12, H: 200}
	c.RPS = timelinePanel{Top: 236, H: 80}
	c.Err = timelinePanel{Top: 332, H: 36}
	c.Bucket = "minute"
	if d.Step != 60 {
		c.Bucket = humanSpan(float64(d.Step))
	}

	var lo, hi int64 = math.MaxInt64, 1
	var peakRPS, peakErr float64
	worst := -1
	for i, rw := range d.Rows {
		if rw[tlRequests] == 0 {
			continue
		}
		lo = min(lo, int64(rw[tlMean]))
		hi = max(hi, int64(rw[tlMax]))
		peakRPS = math.Max(peakRPS, rw[tlRPS])
		peakErr = math.Max(peakErr, rw[tlErrors])
		if worst < 0 || rw[tlMax] > d.Rows[worst][tlMax] {
			worst = i
		}
	}
	if worst >= 0 {
		c.Peak = time.Unix(d.Start+int64(worst)*d.Step, 0).UTC().Format("15:04") + " UTC (max " + itoa(int64(d.Rows[worst][tlMax])) + " ms)"
	}
	// Service time: log axis; y in panel coordinates (0 at the top).
	sy, sticks := logScale(lo, hi, c.Service.H, 0)
	for _, tk := range sticks {
		c.Service.YTicks = append(c.Service.YTicks, tick{Pos: round1(c.Service.Top + tk.Pos), Label: tk.Label})
	}
	for _, s := range []struct {
		class string
		col   int
	}{{"max", tlMax}, {"p99", tlP99}, {"mean", tlMean}} {
		c.Service.Paths = append(c.Service.Paths, timelinePath{Class: s.class, D: linePath(d.Rows, s.col, func(v float64) float64 { return sy(int64(math.Round(v))) })})
	}
	// Requests/s: linear from 0, as an area.
	top := niceStep(peakRPS)
	if top < peakRPS {
		top *= 2
	}
	if top <= 0 {
		top = 1
	}
	ry := func(v float64) float64 { return c.RPS.H - c.RPS.H*v/top }
	c.RPS.YTicks = []tick{{Pos: c.RPS.Top + c.RPS.H, Label: "0"}, {Pos: c.RPS.Top, Label: strconv.FormatFloat(top, 'f', -1, 64) + "/s"}}
	var area strings.Builder
	area.WriteString("M0 " + ynum(c.RPS.H) + "L0 " + ynum(ry(d.Rows[0][tlRPS])))
	for i, rw := range d.Rows {
		area.WriteString("L" + fnum(float64(i)+0.5) + " " + ynum(ry(rw[tlRPS])))
	}
	area.WriteString("L" + strconv.Itoa(n) + " " + ynum(ry(d.Rows[n-1][tlRPS])) + "L" + strconv.Itoa(n) + " " + ynum(c.RPS.H) + "Z")
	c.RPS.Paths = []timelinePath{{Class: "rps", D: area.String()}}
	// Errors: a bar per bucket that saw any, height by count.
	etop := math.Max(1, peakErr)
	c.Err.YTicks = []tick{{Pos: c.Err.Top + c.Err.H, Label: "0"}, {Pos: c.Err.Top, Label: strconv.FormatFloat(etop, 'f', -1, 64)}}
	for i, rw := range d.Rows {
		if rw[tlErrors] > 0 {
			h := math.Max(3, c.Err.H*rw[tlErrors]/etop)
			c.Err.Bars = append(c.Err.Bars, timelineMark{X: float64(i), H: round1(h)})
		}
	}
	c.XTicks = timeTicks(d.Start, d.Step, 0, float64(n), c.Left, c.PlotW)
	return c
}

// linePath draws column col of rows as a line through the bucket centres,
// broken where a bucket saw no request.
func linePath(rows [][6]float64, col int, y func(float64) float64) string {
	var b strings.Builder
	pen := false
	for i, rw := range rows {
		if rw[tlRequests] == 0 {
			pen = false
			continue
		}
		if pen {
			b.WriteByte('L')
		} else {
			b.WriteByte('M')
		}
		pen = true
		b.WriteString(fnum(float64(i)+0.5) + " " + ynum(y(rw[col])))
	}
	return b.String()
}

// ynum formats a timeline y coordinate: whole units are enough (a panel
// is at most 200 units high) and keep a day's paths small.
func ynum(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', -1, 64) }

// tickSteps are the time axis's tick spacings, in seconds.
var tickSteps = []int64{60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// timeTicks labels the time axis between buckets from and to (possibly
// fractional) with at most eight ticks at round times; the page's script
// does the same when it zooms.
func timeTicks(start, step int64, from, to, left, width float64) []tick {
	t0 := float64(start) + from*float64(step)
	t1 := float64(start) + to*float64(step)
	span := t1 - t0
	st := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/float64(s) <= 8 {
			st = s
			break
		}
	}
	if span/float64(st) > 8 {
		// More than 8 days: whole days, still at most eight ticks (a log
		// whose timestamps are 2,000 years apart drew 730,000 ticks).
		st = int64(math.Ceil(span/8/86400)) * 86400
	}
	layout := "15:04"
	if st >= 86400 || span > 86400 {
		layout = "Jan 2 15:04"
	}
	var ticks []tick
	for t := math.Ceil(t0/float64(st)) * float64(st); t <= t1; t += float64(st) {
		x := left + width*(t-t0)/span
		ticks = append(ticks, tick{Pos: round1(x), Label: time.Unix(int64(t), 0).UTC().Format(layout)})
	}
	return ticks
}
