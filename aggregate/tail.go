package aggregate

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/parse"
)

// The tail-analysis sections of a report, as named by the CLI's --section
// flag and by Report.KeepSections.
const (
	SectionTimeline = "timeline" // Report.Timeline
	SectionSlowest  = "slowest"  // Report.Slowest
	SectionHOL      = "hol"      // Report.HOL
	SectionRoutes   = "routes"   // Report.Routes
	SectionDynos    = "dynos"    // Report.DynosHealth
	SectionFindings = "findings" // Report.Findings
)

// Sections lists the tail-analysis sections in the order they are shown.
var Sections = []string{SectionTimeline, SectionSlowest, SectionHOL, SectionRoutes, SectionDynos, SectionFindings}

// Defaults of the tail-analysis sections.
const (
	// DefaultBucket is the width of a timeline bucket.
	DefaultBucket = time.Minute
	// DefaultTop is how many of the slowest requests are listed.
	DefaultTop = 10
	// MaxTimelineBuckets caps the timeline: when the span of the log needs
	// more buckets than this, the bucket is widened (see Timeline.Note).
	MaxTimelineBuckets = 1500
	// MaxRoutes caps the distinct route templates kept; requests of further
	// routes are folded into the "other" route. Each route costs about 17 KB.
	MaxRoutes = 200
	// MaxHealthDynos caps the dynos whose health is tracked; further dynos
	// are folded into "other".
	MaxHealthDynos = 300
	// maxBucketDynos caps the per-dyno counters kept in one timeline bucket;
	// the requests of further dynos count in the bucket but not per dyno.
	maxBucketDynos = 64
	// SigFigsSection is the precision of the per-bucket, per-route and
	// per-dyno histograms of the tail sections: two significant digits, so
	// their quantiles are within 1% of the exact value (16 KB each).
	SigFigsSection = 2
)

// hist2 is a service-time distribution at SigFigsSection precision with an
// exact count, sum and maximum (ms). The zero value is ready; the histogram
// is allocated on the first value.
type hist2 struct {
	H     *hdrhistogram.Histogram
	Count int64
	Sum   int64
	Max   int64
}

func (d *hist2) record(v int64) {
	if v < 0 {
		return
	}
	d.recordIdx(v, sectionIndex(min(v, MaxTrackableMS)))
}

// recordIdx is record for v >= 0 whose bucket index (sectionIndex of v
// clamped to MaxTrackableMS) is idx, computed once for the sections a
// request is recorded in; -1 when the fast path is off.
func (d *hist2) recordIdx(v int64, idx int) {
	if d.H == nil {
		d.H = newHist(histSection)
	}
	d.Count++
	d.Sum += v
	if v > d.Max {
		d.Max = v
	}
	if v > MaxTrackableMS {
		v = MaxTrackableMS
	}
	if idx < 0 || !countAt(d.H, idx) {
		_ = d.H.RecordValue(v)
	}
}

func (d *hist2) merge(o *hist2) {
	if o.Count == 0 {
		return
	}
	d.addStats(o)
	if o.H != nil && !mergeHist(d.H, o.H) { // nil when o counted requests without service=
		d.H.Merge(o.H)
	}
}

// addStats adds o's count, sum and max into d, and gives d a histogram
// for o's counts to go into (merge, mergeCompact). o.Count is not 0.
func (d *hist2) addStats(o *hist2) {
	if d.H == nil {
		d.H = newHist(histSection)
	}
	d.Count += o.Count
	d.Sum += o.Sum
	if o.Max > d.Max {
		d.Max = o.Max
	}
}

// quantile returns the value at q (a fraction) in ms, never above Max.
func (d *hist2) quantile(q float64) int64 {
	if d.Count == 0 || d.H == nil {
		return 0
	}
	v := d.H.ValueAtQuantile(q * 100)
	if v > d.Max {
		v = d.Max
	}
	return v
}

func (d *hist2) mean() float64 {
	if d.Count == 0 {
		return 0
	}
	return float64(d.Sum) / float64(d.Count)
}

// tailState is the state of the tail-analysis sections. Every part is
// plain data (maps, slices, HDR histograms) and merges exactly.
type tailState struct {
	timeline timeline
	slowest  slowest
	routes   routeStats
	health   health
	hol      hol
	// routeCache maps recent request paths to their template and route
	// state, so most requests skip Route and the routes map; tmpl is the
	// template of the record being added (for grouping by route).
	routeCache *RouteCache[*routeStat]
	tmpl       []byte
	dynoCache  *[dynoCacheSize]dynoEntry
	cur        *dynoEntry // the dyno of the router record being added
}

// dynoEntry is one dyno name's state in the sections keyed by dyno, found
// once per record (dynoCache) instead of once per section.
type dynoEntry struct {
	name   string
	health *dynoHealth
	hol    *holDyno // nil when past holMaxDynos
	group  *group   // the by-dyno group; nil when folded into other
	grpSet bool     // group was looked up
	// tlBucket is the timeline bucket the dyno was last counted in and
	// tlIndex its place in the bucket's Dynos (-1: not kept there). A
	// dyno's place never changes: Dynos are only appended to.
	tlBucket *tlBucket
	tlIndex  int
}

// dynoCacheSize is the number of entries of the dyno cache (direct-mapped).
const dynoCacheSize = 64

// dynoFor returns the cache entry of a router record's dyno (NoneKey when
// it names none). Entries are dropped when anything is merged or decoded
// into the aggregator, since a merge may add the dyno to a section.
func (t *tailState) dynoFor(name string) *dynoEntry {
	if name == "" {
		name = NoneKey
	}
	if t.dynoCache == nil {
		t.dynoCache = new([dynoCacheSize]dynoEntry)
	}
	n := len(name)
	h := uint32(n)*31 + uint32(name[n-1])
	h = h*31 + uint32(name[n/2])
	e := &t.dynoCache[(h*2654435761)>>26]
	if e.health != nil && e.name == name {
		return e
	}
	*e = dynoEntry{name: name, health: t.health.get(name)}
	if name != NoneKey {
		e.hol = t.hol.dyno(name)
	}
	return e
}

// route returns the cache entry of path, templating it on a miss.
func (t *tailState) route(path []byte) *RouteEntry[*routeStat] {
	if t.routeCache == nil {
		t.routeCache = newRouteCache()
	}
	return t.routeCache.Get(path, t.routes.lookup)
}

func (t *tailState) init(o Options) {
	t.timeline.init(o.Bucket)
	t.slowest.n = o.Top
	t.routes.init()
	t.health.init()
	t.hol.init()
}

// add counts one record in every section. It allocates only when it meets
// a new key (route, dyno, bucket) or keeps a new slow request.
func (t *tailState) add(r *parse.Record) {
	switch r.Kind {
	case parse.KindRouter:
		// The bucket of the service time in the three section histograms
		// (route, timeline bucket, dyno), computed once.
		idx := -1
		if r.Service >= 0 {
			idx = sectionIndex(min(r.Service, MaxTrackableMS))
		}
		e := t.route(r.Path)
		t.tmpl = e.Tmpl
		e.Val.add(r, idx)
		d := t.dynoFor(r.Dyno)
		t.cur = d
		if r.HasTime {
			t.timeline.addRequest(r, d, idx)
			if d.hol != nil {
				t.hol.add(r, e.Val.handle(), d.hol)
			}
		}
		t.slowest.add(r)
		d.health.addRequest(r, idx)
	case parse.KindDyno:
		t.health.addDyno(r)
		if r.HasTime && (r.Code == "R14" || r.Code == "R15") {
			t.timeline.addMemoryError(r)
		}
	case parse.KindMetrics:
		t.health.addMetrics(r)
	}
}

func (t *tailState) merge(o *tailState) {
	t.dynoCache, t.cur = nil, nil
	t.timeline.merge(&o.timeline)
	t.slowest.merge(&o.slowest)
	t.routes.merge(&o.routes)
	t.health.merge(&o.health)
	t.hol.merge(&o.hol)
}

// report fills the sections of rep; rep.Total must already be computed.
func (t *tailState) report(rep *Report, a *Aggregator) {
	rep.Timeline = t.timeline.report(a)
	rep.Slowest = t.slowest.report()
	rep.Routes = t.routes.report()
	p50 := t.routes.p50s()
	rep.HOL = t.hol.report(p50, rep.Total.Service.P99, a.total.service.Histogram(), &t.timeline)
	rep.DynosHealth = t.health.report(&t.timeline)
	rep.Findings = findings(rep, &t.timeline)
}

// KeepSections sets the tail-analysis sections not named in names to nil,
// so renderers skip them and JSON shows null. "all" or no names keeps all.
func (r *Report) KeepSections(names ...string) {
	if len(names) == 0 {
		return
	}
	keep := map[string]bool{}
	for _, n := range names {
		if n == "all" {
			return
		}
		keep[n] = true
	}
	if !keep[SectionTimeline] {
		r.Timeline = nil
	}
	if !keep[SectionSlowest] {
		r.Slowest = nil
	}
	if !keep[SectionHOL] {
		r.HOL = nil
	}
	if !keep[SectionRoutes] {
		r.Routes = nil
	}
	if !keep[SectionDynos] {
		r.DynosHealth = nil
	}
	if !keep[SectionFindings] {
		r.Findings = nil
	}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
