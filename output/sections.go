package output

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/herolog/herolog/aggregate"
)

// Table rows shown at most for the long sections (JSON has them all).
const (
	maxRouteRows  = 15
	sparkWidth    = 100
	maxPathColumn = 60
)

// bucketLabel names a bucket width: "1 min", "15 s", "2 h".
func bucketLabel(sec float64) string {
	switch {
	case sec >= 3600 && math.Mod(sec, 3600) == 0:
		return strconv.FormatFloat(sec/3600, 'f', -1, 64) + " h"
	case sec >= 60 && math.Mod(sec, 60) == 0:
		return strconv.FormatFloat(sec/60, 'f', -1, 64) + " min"
	}
	return strconv.FormatFloat(sec, 'f', -1, 64) + " s"
}

// writeSections writes the tail-analysis sections present in r (those
// not set to nil by Report.KeepSections), in the order of
// aggregate.Sections. Log-derived text is sanitised.
func writeSections(w io.Writer, r *aggregate.Report, o Options, md bool) error {
	ew := &errWriter{w: w}
	head := func(s string) { ew.heading(s, o, md) }
	if tl := r.Timeline; tl != nil && len(tl.Buckets) > 0 {
		title := "Timeline (per " + bucketLabel(tl.BucketSeconds) + ", ms; ! = max far above mean)"
		head(title)
		if tl.Note != "" {
			ew.printf("note: %s\n", tl.Note)
		}
		if o.Color && !md {
			spark(ew, tl.Buckets)
		}
		if ew.err != nil {
			return ew.err
		}
		if err := timelineTable(w, tl, o, md); err != nil {
			return err
		}
	}
	if len(r.Slowest) > 0 {
		head(fmt.Sprintf("Slowest requests (top %d)", len(r.Slowest)))
		if err := slowestTable(w, r.Slowest, md); err != nil {
			return err
		}
	}
	if h := r.HOL; h != nil {
		head("Head-of-line blocking (requests queued behind a slow one on the same dyno)")
		writeHOLSummary(ew, h)
		if ew.err != nil {
			return ew.err
		}
		if len(h.Incidents) > 0 {
			if err := holTable(w, h.Incidents, md); err != nil {
				return err
			}
		}
	}
	if len(r.Routes) > 0 {
		head("Routes (ms; share = of all service time)")
		if err := routesTable(w, r.Routes, md); err != nil {
			return err
		}
		if n := len(r.Routes) - maxRouteRows; n > 0 {
			ew.printf("and %d more routes (see --format json)\n", n)
		}
	}
	if len(r.DynosHealth) > 0 {
		head("Dynos and memory")
		if err := dynosTable(w, r.DynosHealth, md); err != nil {
			return err
		}
		for _, d := range r.DynosHealth {
			if d.Flag != "" {
				ew.printf("%s %s: %s\n", paint(o.Color, ansiRed, "!"), Sanitize(d.Dyno), Sanitize(d.Flag))
			}
		}
	}
	if r.Findings != nil {
		head("Diagnosis")
		writeFindings(ew, r.Findings, o, md)
	}
	return ew.err
}

// spark draws sparklines of the buckets' p99 and max on a log scale.
func spark(ew *errWriter, bs []aggregate.TimeBucket) {
	p99 := make([]float64, len(bs))
	mx := make([]float64, len(bs))
	for i, b := range bs {
		p99[i], mx[i] = float64(b.P99MS), float64(b.MaxMS)
	}
	hi := 1.0
	for _, v := range mx {
		hi = math.Max(hi, v)
	}
	ew.printf("p99 %s\nmax %s\n", sparkline(p99, hi), sparkline(mx, hi))
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline renders vs (folded to at most sparkWidth columns by their max)
// on a log scale from 1 to hi.
func sparkline(vs []float64, hi float64) string {
	per := (len(vs) + sparkWidth - 1) / sparkWidth
	var b strings.Builder
	for i := 0; i < len(vs); i += per {
		v := 0.0
		for _, x := range vs[i:min(i+per, len(vs))] {
			v = math.Max(v, x)
		}
		if v < 1 {
			b.WriteRune(' ')
			continue
		}
		k := int(math.Log(v) / math.Log(math.Max(hi, 2)) * float64(len(sparkRunes)-1))
		b.WriteRune(sparkRunes[max(0, min(k, len(sparkRunes)-1))])
	}
	return b.String()
}

func timelineTable(w io.Writer, tl *aggregate.Timeline, o Options, md bool) error {
	t := newTable(w, md, 9, 8)
	t.Header([]string{"START", "REQS", "REQ/S", "MEAN", "P99", "MAX", "ERRORS", "BUSY", ""})
	layout := "15:04"
	if tl.BucketSeconds < 60 || math.Mod(tl.BucketSeconds, 60) != 0 {
		layout = "15:04:05"
	}
	if len(tl.Buckets) > 0 && tl.Buckets[0].Start[:10] != tl.Buckets[len(tl.Buckets)-1].Start[:10] {
		layout = "01-02 " + layout
	}
	for _, b := range tl.Buckets {
		st, _ := time.Parse(time.RFC3339, b.Start)
		mark, mx := "", itoa(b.MaxMS)
		if b.Outlier {
			mark = "!"
			mx = paint(o.Color, ansiRed, mx)
		}
		row := []string{st.UTC().Format(layout), commas(b.Requests), strconv.FormatFloat(b.RPS, 'f', 1, 64),
			fmtMean(b.MeanMS), itoa(b.P99MS), mx, commas(b.Errors), strconv.FormatFloat(b.Busy, 'f', 1, 64), mark}
		if b.Requests == 0 {
			row = []string{st.UTC().Format(layout), "0", "", "", "", "", "", "", ""}
		}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func slowestTable(w io.Writer, rs []aggregate.SlowestRequest, md bool) error {
	t := newTable(w, md, 8, 1, 4, 5, 6, 7)
	t.Header([]string{"TIME", "DYNO", "SERVICE", "STATUS", "CODE", "METHOD", "PATH", "REQUEST_ID"})
	for _, s := range rs {
		status := ""
		if s.Status >= 0 {
			status = itoa(s.Status)
		}
		row := []string{shortTime(s.Time), Sanitize(s.Dyno), commas(s.ServiceMS), status, Sanitize(s.Code),
			Sanitize(s.Method), clip(Sanitize(s.Path), maxPathColumn), Sanitize(s.RequestID)}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// shortTime renders an RFC 3339 time as "2006-01-02 15:04:05.000".
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Sanitize(s)
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

func writeHOLSummary(ew *errWriter, h *aggregate.HOL) {
	if h.Culprits == 0 {
		ew.printf("no request took %s ms or more: nothing to queue behind\n", commas(h.ThresholdMS))
		return
	}
	ew.printf("%s requests took %s ms or more (%d examined); %s other requests were routed to their dynos meanwhile, %s of them delayed.\n",
		commas(h.Culprits), commas(h.ThresholdMS), h.Examined, commas(h.Victims), commas(h.Delayed))
	ew.printf("%s of the %s requests over p99 (%s ms) were delayed victims: %.1f%% of the tail is head-of-line blocking.\n",
		commas(h.TailExplained), commas(h.TailRequests), commas(h.TailP99MS), h.TailShare*100)
}

func holTable(w io.Writer, is []aggregate.HOLIncident, md bool) error {
	t := newTable(w, md, 10, 8, 9)
	t.Header([]string{"DYNO", "START", "SERVICE", "VICTIMS", "DELAYED", "VICTIM MEAN", "DYNO MEAN", "OTHERS MEAN", "REQUEST", "REQUEST_ID"})
	for _, i := range is {
		req := clip(Sanitize(i.Method+" "+i.Path), maxPathColumn)
		if i.Secondary {
			req += " (itself queued)"
		}
		row := []string{Sanitize(i.Dyno), shortTime(i.Start), commas(i.ServiceMS), commas(i.Victims), commas(i.Delayed),
			fmtMean(i.VictimMeanMS), fmtMean(i.DynoMeanMS), fmtMean(i.OthersMeanMS), req, Sanitize(i.RequestID)}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

func routesTable(w io.Writer, rs []aggregate.RouteStat, md bool) error {
	t := newTable(w, md, 8)
	t.Header([]string{"ROUTE", "REQS", "P50", "P99", "MAX", "MEAN", "SHARE", "H12"})
	for _, r := range rs[:min(len(rs), maxRouteRows)] {
		row := []string{clip(Sanitize(r.Route), maxPathColumn), commas(r.Requests), itoa(r.P50MS), itoa(r.P99MS), itoa(r.MaxMS),
			fmtMean(r.MeanMS), strconv.FormatFloat(r.ServiceShare*100, 'f', 1, 64) + "%", commas(r.H12)}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

func dynosTable(w io.Writer, ds []aggregate.DynoHealth, md bool) error {
	t := newTable(w, md, 9)
	t.Header([]string{"DYNO", "REQS", "P99", "MAX", "R14", "R15", "MAX MEM MB", "RESTARTS", "CRASHES"})
	for _, d := range ds {
		mem := ""
		if d.MaxMemoryMB > 0 {
			mem = strconv.FormatFloat(d.MaxMemoryMB, 'f', 0, 64)
		}
		row := []string{Sanitize(d.Dyno), commas(d.Requests), itoa(d.P99MS), itoa(d.MaxMS), commas(d.R14), commas(d.R15), mem,
			commas(d.Restarts), commas(d.Crashes)}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

func writeFindings(ew *errWriter, fs []aggregate.Finding, o Options, md bool) {
	if len(fs) == 0 {
		ew.printf("nothing stands out: no finding\n")
		return
	}
	for i, f := range fs {
		sev := strings.ToUpper(f.Severity)
		if f.Severity == aggregate.SeverityCritical {
			sev = paint(o.Color, ansiRed, sev)
		}
		if md {
			ew.printf("%d. **%s** %s  \n   evidence: `%s`  \n   advice: %s\n", i+1, sev, Sanitize(f.Summary), evidence(f.Evidence), f.Advice)
			continue
		}
		ew.printf("%d. %s %s\n   evidence: %s\n   advice: %s\n", i+1, sev, Sanitize(f.Summary), evidence(f.Evidence), f.Advice)
	}
}

// evidence renders a finding's evidence as sorted key=value pairs.
func evidence(ev map[string]any) string {
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := ev[k]
		var s string
		switch x := v.(type) {
		case map[string]int64:
			ks := make([]string, 0, len(x))
			for kk := range x {
				ks = append(ks, kk)
			}
			sort.Strings(ks)
			var sub []string
			for _, kk := range ks {
				sub = append(sub, kk+":"+itoa(x[kk]))
			}
			s = "{" + strings.Join(sub, " ") + "}"
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			s = fmt.Sprint(x)
		}
		parts = append(parts, k+"="+Sanitize(s))
	}
	return strings.Join(parts, " ")
}
