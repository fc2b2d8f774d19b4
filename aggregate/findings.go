package aggregate

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Finding is one conclusion of the diagnosis, in plain words, with the
// numbers it rests on and the Heroku guidance that fits. Summary may quote
// log text (paths): renderers sanitise it.
type Finding struct {
	// Kind is one of the Finding* kinds.
	Kind string `json:"kind"`
	// Severity is "critical", "warning" or "info".
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	// Evidence holds the numbers behind the summary (durations in ms,
	// shares as fractions from 0 to 1, times RFC 3339 UTC).
	Evidence map[string]any `json:"evidence"`
	Advice   string         `json:"advice"`
}

// Finding kinds.
const (
	FindingSlowRoute    = "slow_route"    // H12s or a slow median concentrated on one route
	FindingH12          = "h12"           // request timeouts not explained by one route
	FindingTooFewDynos  = "too_few_dynos" // latency rises on every dyno together with load
	FindingStuckDyno    = "stuck_dyno"    // one dyno's tail, with requests queued behind a stuck one
	FindingMemory       = "memory"        // R14 / R15, with or without a matching tail
	FindingDroppedLines = "dropped_lines" // Logplex dropped lines: numbers incomplete
)

// Severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Thresholds of the findings.
const (
	// SlowRouteMinH12 and SlowRouteH12Share: a route has the H12 problem when
	// it has at least this many H12s and this share (fraction) of all H12s.
	SlowRouteMinH12   = 2
	SlowRouteH12Share = 0.5
	// SlowRouteMedianMS: a route with at least SlowRouteMinRequests requests
	// and a median service time at least this (ms) is slow by itself.
	SlowRouteMedianMS    = 2000
	SlowRouteMinRequests = 5
	// StuckMinMS, StuckMinDelayed, StuckDelayedShare and StuckRatio: a
	// culprit of at least StuckMinMS makes a stuck_dyno finding when at least StuckMinDelayed of the requests routed
	// to its dyno meanwhile were delayed, they are at least StuckDelayedShare
	// of them, and the dyno's mean service over those buckets is at least
	// StuckRatio times the other dynos' mean.
	StuckMinMS        = 5000
	StuckMinDelayed   = 10
	StuckDelayedShare = 0.5
	StuckRatio        = 5.0
	// Too few dynos: a bucket is overloaded when its mean service is at least
	// LoadMeanRatio times the median bucket's mean (and at least
	// LoadMinMeanMS), its request rate at least LoadRPSRatio times the
	// median bucket's, and at least LoadDynoShare of the dynos have a mean
	// at least LoadDynoRatio times the median bucket's mean.
	LoadMeanRatio = 4.0
	LoadMinMeanMS = 500
	LoadRPSRatio  = 1.2
	LoadDynoShare = 0.75
	LoadDynoRatio = 3.0
	// LoadHeadroom is the spare capacity the advice adds to the busy workers
	// Little's law gives (a fraction: 0.3 = 30%).
	LoadHeadroom = 0.3
)

var severityRank = map[string]int{SeverityCritical: 0, SeverityWarning: 1, SeverityInfo: 2}

// findings derives the diagnosis from a report's sections.
func findings(rep *Report, tl *timeline) []Finding {
	out := []Finding{}
	routes := findRoutes(rep)
	slow := map[string]*Finding{}
	for i := range routes {
		if routes[i].Kind == FindingSlowRoute {
			slow[routes[i].Evidence["route"].(string)] = &routes[i]
		}
	}
	out = append(out, findStuck(rep, slow)...)
	out = append(out, routes...)
	out = append(out, findLoad(rep, tl)...)
	out = append(out, findMemory(rep)...)
	out = append(out, findDropped(rep)...)
	sort.SliceStable(out, func(i, j int) bool { return severityRank[out[i].Severity] < severityRank[out[j].Severity] })
	return out
}

func findRoutes(rep *Report) []Finding {
	var out []Finding
	var h12 int64
	for _, r := range rep.Routes {
		h12 += r.H12
	}
	explained := int64(0)
	for _, r := range rep.Routes {
		if r.Route == OtherKey {
			continue
		}
		ev := map[string]any{
			"route": r.Route, "requests": r.Requests, "p50_ms": r.P50MS, "p99_ms": r.P99MS, "max_ms": r.MaxMS,
			"service_share": r.ServiceShare, "h12": r.H12, "h12_total": h12,
		}
		switch {
		case r.H12 >= SlowRouteMinH12 && float64(r.H12) >= SlowRouteH12Share*float64(h12):
			explained += r.H12
			out = append(out, Finding{
				Kind: FindingSlowRoute, Severity: SeverityCritical, Evidence: ev,
				Summary: fmt.Sprintf("H12 on %s (%d of %d timeouts): slow code; median %s, %s of all service time",
					r.Route, r.H12, h12, ms(r.P50MS), pct(r.ServiceShare)),
				Advice: "The app itself is slow on this route: more dynos will not help. Move the work to a background job " +
					"(return 202 and poll, or email the result), or serve the route from a separate pool of dynos so it cannot hold up fast requests.",
			})
		case r.Requests >= SlowRouteMinRequests && r.P50MS >= SlowRouteMedianMS:
			out = append(out, Finding{
				Kind: FindingSlowRoute, Severity: SeverityWarning, Evidence: ev,
				Summary: fmt.Sprintf("%s is slow by itself: median %s over %d requests, %s of all service time",
					r.Route, ms(r.P50MS), r.Requests, pct(r.ServiceShare)),
				Advice: "Each of these requests holds a worker for seconds, and Heroku's random routing queues other requests behind it. " +
					"Make the route faster, move the work to a background job, or give it its own pool of dynos.",
			})
		}
	}
	if rest := h12 - explained; rest > 0 {
		routes := map[string]int64{}
		for _, r := range rep.Routes {
			if r.H12 > 0 {
				routes[r.Route] = r.H12
			}
		}
		what := "timeouts"
		if explained > 0 {
			what = "other timeouts"
		}
		out = append(out, Finding{
			Kind: FindingH12, Severity: SeverityWarning,
			Evidence: map[string]any{"h12": h12, "not_on_slow_route": rest, "by_route": routes},
			Summary:  fmt.Sprintf("%d %s (H12: no response within 30 s) across %d routes", rest, what, len(routes)),
			Advice: "H12 means the request took more than 30 s: the app is slow, or the request queued behind a slow one on its dyno. " +
				"Set a request timeout below 30 s in the app (rack-timeout, gunicorn --timeout) so stuck requests free their worker, and look at the slowest requests below.",
		})
	}
	return out
}

// findStuck reports dynos with a stuck request and requests queued behind
// it. A culprit on a route the slow-route finding names, or on a dyno whose
// tail is put down to memory, is left to those findings (slow names the
// route's worst queue in its evidence).
func findStuck(rep *Report, slow map[string]*Finding) []Finding {
	if rep.HOL == nil {
		return nil
	}
	memTail := map[string]bool{}
	for _, d := range rep.DynosHealth {
		memTail[d.Dyno] = d.MemoryTail
	}
	var out []Finding
	done := map[string]bool{}
	for _, inc := range rep.HOL.Incidents {
		if inc.Secondary {
			continue
		}
		if f := slow[string(Route(nil, []byte(inc.Path)))]; f != nil {
			if q, _ := f.Evidence["queued_behind_max"].(int64); inc.Delayed > q {
				f.Evidence["queued_behind_max"] = inc.Delayed
				f.Evidence["queued_behind_dyno"] = inc.Dyno
			}
			continue
		}
		if done[inc.Dyno] || inc.Secondary || memTail[inc.Dyno] || inc.ServiceMS < StuckMinMS || inc.OtherDynos == 0 || inc.Delayed < StuckMinDelayed ||
			float64(inc.Delayed) < StuckDelayedShare*float64(inc.Victims) ||
			inc.OthersMeanMS <= 0 || inc.DynoMeanMS < StuckRatio*inc.OthersMeanMS {
			continue
		}
		done[inc.Dyno] = true
		r := inc.DynoMeanMS / inc.OthersMeanMS
		start, _ := time.Parse(time.RFC3339Nano, inc.Start)
		end, _ := time.Parse(time.RFC3339Nano, inc.End)
		out = append(out, Finding{
			Kind: FindingStuckDyno, Severity: SeverityCritical,
			Evidence: map[string]any{
				"dyno": inc.Dyno, "start": inc.Start, "end": inc.End, "service_ms": inc.ServiceMS,
				"request_id": inc.RequestID, "path": inc.Path, "victims": inc.Victims, "delayed": inc.Delayed,
				"excess_ms": inc.ExcessMS, "dyno_mean_ms": inc.DynoMeanMS, "others_mean_ms": inc.OthersMeanMS,
				"ratio": round1(r), "tail_share": rep.HOL.TailShare,
			},
			Summary: fmt.Sprintf("%s tail is %s× the others at %s–%s: a request stuck for %s (%s %s), %d requests queued behind it",
				inc.Dyno, ratio(r), start.UTC().Format("15:04:05"), end.UTC().Format("15:04:05"), ms(inc.ServiceMS),
				inc.Method, inc.Path, inc.Delayed),
			Advice: "Heroku's router picks a dyno at random, even one busy with a stuck request, so fast requests queue behind it. " +
				"Find the stuck request by its request_id in your APM and fix it; set a request timeout below 30 s (rack-timeout) so a stuck request frees its worker; " +
				"run more workers or threads per dyno so one slow request cannot block the dyno.",
		})
	}
	return out
}

func findLoad(rep *Report, tl *timeline) []Finding {
	if rep.Timeline == nil || len(tl.Buckets) < 5 {
		return nil
	}
	var means, rpss []float64
	for _, b := range rep.Timeline.Buckets {
		if b.Requests >= 10 {
			means = append(means, b.MeanMS)
			rpss = append(rpss, b.RPS)
		}
	}
	if len(means) < 5 {
		return nil
	}
	medMean, medRPS := median(means), median(rpss)
	if medMean <= 0 {
		return nil
	}
	w := tl.width()
	type hot struct {
		b              TimeBucket
		elevated, seen int
	}
	var hots []hot
	for i, b := range rep.Timeline.Buckets {
		if b.Requests < 10 || b.MeanMS < LoadMinMeanMS || b.MeanMS < LoadMeanRatio*medMean || b.RPS < LoadRPSRatio*medRPS {
			continue
		}
		tb := tl.Buckets[tl.Lo+int64(i)]
		if tb == nil {
			continue
		}
		var elevated, seen int
		for _, d := range tb.Dynos {
			if d.N < 3 {
				continue
			}
			seen++
			if float64(d.Sum)/float64(d.N) >= LoadDynoRatio*medMean {
				elevated++
			}
		}
		if seen >= 2 && float64(elevated) >= LoadDynoShare*float64(seen) {
			hots = append(hots, hot{b, elevated, seen})
		}
	}
	if len(hots) == 0 {
		return nil
	}
	peak := hots[0]
	for _, h := range hots[1:] {
		if h.b.RPS > peak.b.RPS {
			peak = h
		}
	}
	// Little's law with the calm mean service (the usual time a request
	// holds a worker, without the queueing of the overload).
	var busyAvg float64
	if rep.SpanSeconds > 0 {
		busyAvg = float64(rep.Total.Requests) / rep.SpanSeconds * medMean / 1000
	}
	// Little's law at the peak rate with the calm mean service: the busy
	// workers the peak needs when nothing queues.
	need := peak.b.RPS * medMean / 1000
	workers := int64(math.Ceil(need * (1 + LoadHeadroom)))
	pt, _ := time.Parse(time.RFC3339, peak.b.Start)
	return []Finding{{
		Kind: FindingTooFewDynos, Severity: SeverityCritical,
		Evidence: map[string]any{
			"peak_start": peak.b.Start, "bucket_seconds": w / 1_000_000, "overloaded_buckets": len(hots),
			"peak_rps": peak.b.RPS, "median_rps": round3(medRPS), "peak_mean_ms": peak.b.MeanMS, "median_mean_ms": round1(medMean),
			"dynos_elevated": peak.elevated, "dynos": peak.seen,
			"busy_avg": round2(busyAvg), "in_flight_peak": peak.b.Busy, "busy_needed_peak": round2(need), "workers_needed": workers,
		},
		Summary: fmt.Sprintf("service time rises on every dyno together (%d of %d, mean %s vs %s usually) while requests/s peaks at %s (%.1f/s vs %.1f/s): too few dynos; observed load %.1f busy workers on average, %.1f at peak (requests/s × the usual mean service)",
			peak.elevated, peak.seen, ms(int64(peak.b.MeanMS)), ms(int64(medMean)), pt.UTC().Format("15:04"),
			peak.b.RPS, medRPS, busyAvg, need),
		Advice: fmt.Sprintf("Requests queue in the dynos because all workers are busy. By Little's law the peak needs about %.1f busy workers "+
			"(requests/s × mean service); with %d%% headroom plan for %d workers in total (dynos × workers per dyno), or autoscale on the peak.",
			need, int(LoadHeadroom*100), workers),
	}}
}

func findMemory(rep *Report) []Finding {
	var out []Finding
	for _, d := range rep.DynosHealth {
		if d.R14+d.R15 == 0 {
			continue
		}
		ev := map[string]any{
			"dyno": d.Dyno, "r14": d.R14, "r15": d.R15, "max_memory_mb": d.MaxMemoryMB,
			"pressure_mean_ms": d.MemoryPressureMeanMS, "calm_mean_ms": d.CalmMeanMS, "restarts": d.Restarts, "crashes": d.Crashes,
		}
		mem := ""
		if d.MaxMemoryMB > 0 {
			mem = fmt.Sprintf(", up to %.0f MB", d.MaxMemoryMB)
		}
		f := Finding{
			Kind: FindingMemory, Severity: SeverityWarning, Evidence: ev,
			Summary: fmt.Sprintf("%s exceeded its memory quota (R14 ×%d, R15 ×%d%s)", d.Dyno, d.R14, d.R15, mem),
			Advice: "Over its quota a dyno swaps to disk and every request on it slows down; R15 kills it. " +
				"Look for a leak (memory that only grows), restart the dyno to recover now, lower the number of workers per dyno, or use a larger dyno size.",
		}
		if d.MemoryTail {
			f.Severity = SeverityCritical
			f.Summary += fmt.Sprintf(" and its latency tail lines up with it: mean service %s while it logged memory errors, %s otherwise",
				ms(int64(d.MemoryPressureMeanMS)), ms(int64(d.CalmMeanMS)))
		}
		out = append(out, f)
	}
	return out
}

func findDropped(rep *Report) []Finding {
	codes := map[string]int64{}
	var parts []string
	for _, c := range []string{"L10", "L11", "L12", "L13"} {
		if n := rep.Codes[c].Count; n > 0 {
			codes[c] = n
			parts = append(parts, c)
		}
	}
	if rep.DroppedLines == 0 && len(codes) == 0 {
		return nil
	}
	ev := map[string]any{"dropped_lines": rep.DroppedLines, "codes": codes, "lines_read": rep.Lines.Total}
	what := "lines"
	if rep.DroppedLines > 0 {
		what = commas(rep.DroppedLines) + " lines"
	}
	return []Finding{{
		Kind: FindingDroppedLines, Severity: SeverityWarning, Evidence: ev,
		Summary: fmt.Sprintf("logplex dropped %s (%s): numbers are incomplete", what, strings.Join(parts, ", ")),
		Advice: "Heroku's log router could not deliver every line (the drain or the reader was too slow). " +
			"Counts in this report are lower bounds; quantiles are of the lines that arrived. Use a drain that keeps up, or log less.",
	}}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ms formats milliseconds for people: "850 ms", "28.0 s".
func ms(v int64) string {
	if v >= 10_000 {
		return fmt.Sprintf("%.0f s", float64(v)/1000)
	}
	if v >= 1000 {
		return fmt.Sprintf("%.1f s", float64(v)/1000)
	}
	return fmt.Sprintf("%d ms", v)
}

// pct formats a fraction as a percentage.
func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// commas formats n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
