package aggregate

import (
	"math"
	"sort"
	"time"

	"github.com/herolog/herolog/parse"
)

// ReportVersion is the version of the JSON report's shape. It changes only
// when a field is removed or changes meaning; new fields may appear in any
// version.
const ReportVersion = 1

// Report is the plain-data result of a run: every renderer (table, JSON,
// CSV, ...) and every golden file sees the same values. Durations are in
// milliseconds, rates in requests per second, times in RFC 3339 (UTC).
type Report struct {
	Version int    `json:"version"`
	By      string `json:"by"`
	Sort    string `json:"sort"`

	// Inputs are the files read, in order (filled in by the caller).
	Inputs []Input `json:"inputs"`
	// Warnings are things the reader must know about how the report was
	// made (herolog merge: a shard skipped as a duplicate, inputs that may
	// overlap); absent when none.
	Warnings []string `json:"warnings,omitempty"`

	// Start and End are the earliest and latest timestamps seen, RFC 3339
	// UTC; empty when no record had a timestamp. SpanSeconds is End − Start.
	Start       string  `json:"start"`
	End         string  `json:"end"`
	SpanSeconds float64 `json:"span_seconds"`

	Lines   Lines            `json:"lines"`
	Formats map[string]int64 `json:"formats"`

	Total  Group   `json:"total"`
	Groups []Group `json:"groups"`
	// FoldedRequests counts requests whose key was past the group cap and
	// went to the "other" group.
	FoldedRequests int64 `json:"folded_requests"`

	Codes map[string]CodeCount `json:"codes"`

	// DroppedLines is the number of log messages Heroku itself reported as
	// dropped or lost (L10–L13): when non-zero the numbers are incomplete.
	DroppedLines int64 `json:"dropped_lines"`
	// ClampedValues counts records with a number out of range or invalid
	// (service=99999999999999999999ms, service=-5ms).
	ClampedValues int64 `json:"clamped_values"`

	// Problems are the first few bad records, with file and line.
	Problems []Problem `json:"problems"`

	// The tail-analysis sections (see tail.go); each is null when not
	// asked for (KeepSections).
	Timeline    *Timeline        `json:"timeline"`
	Slowest     []SlowestRequest `json:"slowest"`
	HOL         *HOL             `json:"hol"`
	Routes      []RouteStat      `json:"routes"`
	DynosHealth []DynoHealth     `json:"dynos_health"`
	Findings    []Finding        `json:"findings"`
}

// Input describes one input file of a run.
type Input struct {
	Name        string `json:"name"`
	Compression string `json:"compression"` // "none", "gzip", "bzip2", "zstd"
	Bytes       int64  `json:"bytes"`       // bytes read (decompressed)
	Lines       int64  `json:"lines"`       // records read
	Error       string `json:"error,omitempty"`
}

// Lines counts records by kind; the kinds add up to Total.
type Lines struct {
	Total     int64 `json:"total"`
	Router    int64 `json:"router"`
	Dyno      int64 `json:"dyno"`
	Metrics   int64 `json:"metrics"`
	Logplex   int64 `json:"logplex"`
	App       int64 `json:"app"`
	Platform  int64 `json:"platform"`
	Blank     int64 `json:"blank"`
	Malformed int64 `json:"malformed"`
	Oversize  int64 `json:"oversize"`
	Unparsed  int64 `json:"unparsed"`
}

// Group is the numbers of one key (or of all requests, in Report.Total).
type Group struct {
	Key      string  `json:"key"`
	Requests int64   `json:"requests"`
	RPS      float64 `json:"rps"` // requests ÷ the run's span in seconds; 0 when the span is 0
	Service  Summary `json:"service_ms"`
	Connect  Summary `json:"connect_ms"`
	// Wait is the legacy (pre-2013) router queue wait; null on modern logs.
	Wait *Summary `json:"wait_ms"`
	// QueueMax is the deepest legacy router queue seen (a count), 0 on modern logs.
	QueueMax int64            `json:"queue_max,omitempty"`
	Status   StatusCounts     `json:"status"`
	Codes    map[string]int64 `json:"codes"`
	H12      int64            `json:"h12"`
	Errors   int64            `json:"errors"` // requests with a code or a 5xx status
	// Outlier explains why this group's tail stands out from the others
	// ("max 28004 ms is 310× the mean"), empty when it does not.
	Outlier string `json:"outlier,omitempty"`
	// Spectrum is the service-time percentile spectrum (see
	// SpectrumPercentiles), only with Options.Spectrum.
	Spectrum []SpectrumPoint `json:"spectrum,omitempty"`
}

// StatusCounts counts requests by status class. None counts requests
// logged without a status (H24, empty status=).
type StatusCounts struct {
	S1xx int64 `json:"1xx"`
	S2xx int64 `json:"2xx"`
	S3xx int64 `json:"3xx"`
	S4xx int64 `json:"4xx"`
	S5xx int64 `json:"5xx"`
	None int64 `json:"none"`
}

// CodeCount is the total of one Heroku error code and its title.
type CodeCount struct {
	Count int64  `json:"count"`
	Desc  string `json:"desc"`
}

// Report computes the report. It may be called more than once; later Adds
// show in later reports.
func (a *Aggregator) Report() *Report {
	rep := a.ReportGroups()
	a.tail.report(rep, a)
	return rep
}

// ReportGroups is Report without the tail-analysis sections (Timeline,
// Slowest, HOL, Routes, DynosHealth and Findings are left nil): line
// counts, totals, groups and codes, for a caller that shows no more (live's
// frames, several a second), at a fraction of Report's cost in time and
// garbage.
func (a *Aggregator) ReportGroups() *Report {
	a.syncTotal()
	rep := &Report{
		Version:  ReportVersion,
		By:       string(a.opts.By),
		Sort:     string(a.opts.Sort),
		Inputs:   []Input{},
		Formats:  map[string]int64{},
		Codes:    map[string]CodeCount{},
		Problems: append([]Problem{}, a.problems...),
	}
	if a.hasTime {
		rep.Start = FormatTime(a.start)
		rep.End = FormatTime(a.end)
		rep.SpanSeconds = float64(a.end-a.start) / 1e6
	}
	l := a.lines
	rep.Lines = Lines{
		Router: l[parse.KindRouter], Dyno: l[parse.KindDyno], Metrics: l[parse.KindMetrics],
		Logplex: l[parse.KindLogplex], App: l[parse.KindApp], Platform: l[parse.KindPlatform],
		Blank: l[parse.KindBlank], Malformed: l[parse.KindMalformed], Oversize: l[parse.KindOversize],
		Unparsed: l[parse.KindUnparsed],
	}
	for _, n := range l {
		rep.Lines.Total += n
	}
	for f, n := range a.formats {
		if n > 0 {
			rep.Formats[parse.Format(f).String()] = n
		}
	}
	rep.Total = a.total.report(rep.SpanSeconds)
	for _, g := range a.groups {
		rep.Groups = append(rep.Groups, g.report(rep.SpanSeconds))
	}
	if rep.Groups == nil {
		rep.Groups = []Group{}
	}
	SortGroups(rep.Groups, a.opts.Sort)
	if a.other != nil {
		rep.Groups = append(rep.Groups, a.other.report(rep.SpanSeconds))
		rep.FoldedRequests = a.folded
	}
	markOutliers(rep.Groups)
	if a.opts.Spectrum {
		a.fillSpectra(rep)
	}
	for c, n := range a.codes {
		k := ValidUTF8(c)
		cc := rep.Codes[k]
		cc.Count += n
		cc.Desc = CodeDescription(c)
		if c == OtherKey {
			cc.Desc = "codes past the first " + itoa(MaxCodes)
		}
		rep.Codes[k] = cc
	}
	rep.DroppedLines = a.dropped
	rep.ClampedValues = a.clamped
	return rep
}

// FormatTime renders µs since the epoch as RFC 3339 UTC with up to six
// fraction digits.
func FormatTime(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}

func (g *group) report(span float64) Group {
	out := Group{
		Key:      g.key,
		Requests: g.requests,
		Service:  g.service.Summary(),
		Connect:  g.connect.Summary(),
		QueueMax: g.queue,
		H12:      g.h12,
		Codes:    map[string]int64{},
		Status: StatusCounts{
			None: g.status[0], S1xx: g.status[1], S2xx: g.status[2],
			S3xx: g.status[3], S4xx: g.status[4], S5xx: g.status[5],
		},
	}
	if span > 0 {
		out.RPS = math.Round(float64(g.requests)/span*1000) / 1000
	}
	if g.wait != nil {
		w := g.wait.Summary()
		out.Wait = &w
	}
	for c, n := range g.codes {
		out.Codes[ValidUTF8(c)] += n
	}
	out.Errors = g.errors
	return out
}

// SortGroups orders groups in place by s; ties break by key in natural order.
func SortGroups(gs []Group, s Sort) {
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := &gs[i], &gs[j]
		switch s {
		case SortMax:
			if a.Service.Max != b.Service.Max {
				return a.Service.Max > b.Service.Max
			}
		case SortP99:
			if a.Service.P99 != b.Service.P99 {
				return a.Service.P99 > b.Service.P99
			}
		case SortRequests:
			if a.Requests != b.Requests {
				return a.Requests > b.Requests
			}
		}
		return NaturalLess(a.Key, b.Key)
	})
}

// NaturalLess compares strings with digit runs compared as numbers, so
// "web.2" < "web.10".
func NaturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := trimZeros(a[si:i]), trimZeros(b[sj:j])
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			continue
		}
		if ca != cb {
			return ca < cb
		}
		i++
		j++
	}
	return len(a)-i < len(b)-j
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// Outlier thresholds: a group's tail stands out when its max is at least
// OutlierMaxRatio times its own mean (and at least OutlierMinMS), or its
// p99 is OutlierP99Ratio times the median p99 of the groups (and at least
// OutlierMinMS).
const (
	OutlierMaxRatio = 100.0
	OutlierP99Ratio = 3.0
	OutlierMinMS    = 1000
)

// markOutliers sets Group.Outlier on groups whose tail stands out.
func markOutliers(gs []Group) {
	var p99s []int64
	for _, g := range gs {
		if g.Service.Count > 0 && g.Key != OtherKey {
			p99s = append(p99s, g.Service.P99)
		}
	}
	var medP99 int64
	if len(p99s) > 0 {
		sort.Slice(p99s, func(i, j int) bool { return p99s[i] < p99s[j] })
		medP99 = p99s[len(p99s)/2]
	}
	for i := range gs {
		g := &gs[i]
		s := g.Service
		if s.Count == 0 {
			continue
		}
		switch {
		case len(p99s) >= 3 && medP99 > 0 && s.P99 >= OutlierMinMS && float64(s.P99) >= OutlierP99Ratio*float64(medP99):
			g.Outlier = "p99 " + itoa(s.P99) + " ms is " + ratio(float64(s.P99)/float64(medP99)) + "× the median p99 of the groups"
		case s.Max >= OutlierMinMS && s.Mean > 0 && float64(s.Max) >= OutlierMaxRatio*s.Mean:
			g.Outlier = "max " + itoa(s.Max) + " ms is " + ratio(float64(s.Max)/s.Mean) + "× the mean"
		}
	}
}
