package aggregate

import (
	"bytes"
	"cmp"
	"container/heap"
	"slices"
	"sort"
	"unique"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/parse"
)

// Head-of-line detection.
//
// Heroku's router stamps a line when the response completes, so a request
// started at about time − service − connect. A culprit is a request whose
// service is at least HOLMinMS; its victims are the other requests routed
// to the same dyno while it was in flight (started in [start, end) of the
// culprit). A victim is delayed when its service exceeds its route's median
// by at least HOLDelayMS and is at least twice that median.
//
// The detection streams with bounded state. Per dyno it keeps the recent
// requests (those that completed within HOLWindow plus HOLDisorder of the
// latest time seen, at most HOLMaxRecent) and the first ones (completed
// within the same span of the earliest time seen, at most HOLMaxRecent),
// and the culprits (the HOLMaxCulprits slowest, each with its first
// HOLMaxVictims victims by start time kept one by one; further victims are
// counted, and not told apart from those of other culprits).
// A culprit and a victim are matched when their completion times are at
// most HOLWindow apart, whichever line arrives first, so lines out of order
// by up to HOLDisorder are matched as if sorted, and Merge matches the
// culprits of each side with the first and recent requests of the other:
// two halves of a log merged give the same result as one pass, within those
// bounds. Beyond them (a dyno serving more than HOLMaxRecent requests in
// HOLWindow + HOLDisorder, a victim completing more than HOLWindow after
// its culprit) victims are missed, never counted twice.
const (
	// HOLMinMS is the service time, in ms, from which a request is examined
	// as a possible cause of head-of-line blocking.
	HOLMinMS = 3000
	// HOLDelayMS is how much slower than its route's median a victim must be
	// to count as delayed, in ms.
	HOLDelayMS = 1000
	// HOLWindow is the largest gap between the completion times of a culprit
	// and its victims, in µs (it also bounds the culprits fully handled:
	// service up to HOLWindow).
	HOLWindow = 90_000_000
	// HOLDisorder is how far out of order lines may arrive, in µs.
	HOLDisorder = 30_000_000
	// HOLMaxRecent caps the requests kept per dyno at each edge.
	HOLMaxRecent = 16384
	// HOLMaxCulprits caps the culprits kept (the slowest).
	HOLMaxCulprits = 200
	// HOLMaxVictims caps the victims kept one by one per culprit.
	HOLMaxVictims = 2000
	// holMaxDynos caps the dynos tracked.
	holMaxDynos = 500
)

// HOL is the head-of-line section of a report.
type HOL struct {
	// ThresholdMS is HOLMinMS: requests at least this slow are culprits.
	ThresholdMS int64 `json:"threshold_ms"`
	// Culprits is the number of requests that slow; Examined how many of the
	// slowest of them were analysed (at most HOLMaxCulprits).
	Culprits int64 `json:"culprits"`
	Examined int   `json:"examined"`
	// Victims counts distinct requests routed to a dyno while an examined
	// culprit was in flight on it; Delayed those of them that were delayed
	// (see HOLDelayMS).
	Victims int64 `json:"victims"`
	Delayed int64 `json:"delayed"`
	// TailRequests is the number of requests over the run's service p99
	// (TailP99MS); TailExplained how many of them were delayed victims;
	// TailShare is TailExplained ÷ TailRequests (a fraction, 0 to 1).
	TailP99MS     int64   `json:"tail_p99_ms"`
	TailRequests  int64   `json:"tail_requests"`
	TailExplained int64   `json:"tail_explained"`
	TailShare     float64 `json:"tail_share"`
	// Incidents are the culprits with delayed victims, most delayed first
	// (at most 20).
	Incidents []HOLIncident `json:"incidents"`
}

// HOLIncident is one culprit and what queued behind it.
type HOLIncident struct {
	Dyno      string `json:"dyno"`
	Start     string `json:"start"` // ≈ time − service − connect, RFC 3339 UTC
	End       string `json:"end"`   // the router line's time
	ServiceMS int64  `json:"service_ms"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	// Victims and Delayed count the requests routed to the dyno while it
	// was in flight and those of them delayed.
	Victims int64 `json:"victims"`
	Delayed int64 `json:"delayed"`
	// VictimMeanMS is the mean service of the victims; ExcessMS the sum,
	// over the victims, of how much their service exceeded their route's
	// median (ms).
	VictimMeanMS float64 `json:"victim_mean_ms"`
	ExcessMS     int64   `json:"excess_ms"`
	// DynoMeanMS is the dyno's mean service over the timeline buckets the
	// incident spans, OthersMeanMS the other dynos' over the same buckets;
	// OthersMaxMS their largest.
	DynoMeanMS   float64 `json:"dyno_mean_ms"`
	OthersMeanMS float64 `json:"others_mean_ms"`
	DynoMaxMS    int64   `json:"dyno_max_ms"`
	OthersMaxMS  int64   `json:"others_max_ms"`
	OtherDynos   int     `json:"other_dynos"`
	// Secondary is true when this request was itself delayed behind
	// another culprit (its service includes that wait).
	Secondary bool `json:"secondary"`
}

// holReq is one request as the detection keeps it: 32 bytes (the route
// as a unique.Handle, a pointer, rather than a 16-byte string header: the
// dynos' recent and first requests, of every chunk in flight, and the
// culprits' victims, up to HOLMaxCulprits × HOLMaxVictims, are most of
// the section's memory).
type holReq struct {
	Start, End int64 // µs
	Service    int64 // ms
	Route      unique.Handle[string]
}

// culprit is a slow request and its victims.
type culprit struct {
	holReq
	Dyno, Method, Code string
	Path, RequestID    []byte
	Victims            []holReq
	More               int64 // victims beyond HOLMaxVictims
	MoreSum            int64 // their summed service, ms
	Dead               bool  // evicted from the kept culprits
}

// holDyno is one dyno's edge buffers.
type holDyno struct {
	Recent []holReq
	RHead  int // Recent[RHead:] are live
	First  []holReq
	Active []*culprit
}

type hol struct {
	Dynos    map[string]*holDyno
	Culprits culpritHeap
	NCulprit int64
	MinEnd   int64
	MaxEnd   int64
	Seen     bool
	scratch  []holReq    // Merge's buffer
	refs     []victimRef // report's buffer
}

type culpritHeap []*culprit

func culpritLess(a, b *culprit) bool { // a is slower than b
	if a.Service != b.Service {
		return a.Service > b.Service
	}
	if a.End != b.End {
		return a.End < b.End
	}
	if a.Dyno != b.Dyno {
		return a.Dyno < b.Dyno
	}
	return bytes.Compare(a.RequestID, b.RequestID) < 0
}

func (h culpritHeap) Len() int           { return len(h) }
func (h culpritHeap) Less(i, j int) bool { return culpritLess(h[j], h[i]) }
func (h culpritHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *culpritHeap) Push(x any)        { *h = append(*h, x.(*culprit)) }
func (h *culpritHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *hol) init() { h.Dynos = map[string]*holDyno{} }

// victimOf reports whether v was routed to the dyno while c was in flight.
func victimOf(c, v *holReq) bool {
	if v.Start < c.Start || v.Start >= c.End {
		return false
	}
	d := v.End - c.End
	return d <= HOLWindow && d >= -HOLWindow
}

// reqBefore is the total order of victims: the HOLMaxVictims first in it
// are kept one by one, so the kept set does not depend on arrival order
// or on how the log was split.
func reqBefore(a, b *holReq) bool {
	if a.Start != b.Start {
		return a.Start < b.Start
	}
	if a.End != b.End {
		return a.End < b.End
	}
	if a.Service != b.Service {
		return a.Service < b.Service
	}
	if a.Route == b.Route {
		return false
	}
	return a.Route.Value() < b.Route.Value()
}

// victimHeap is a max-heap in reqBefore order (the last kept at the root).
type victimHeap []holReq

func (h victimHeap) Len() int           { return len(h) }
func (h victimHeap) Less(i, j int) bool { return reqBefore(&h[j], &h[i]) }
func (h victimHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *victimHeap) Push(x any)        { *h = append(*h, x.(holReq)) }
func (h *victimHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (c *culprit) addVictim(v *holReq) {
	if len(c.Victims) < HOLMaxVictims {
		c.Victims = append(c.Victims, *v)
		if len(c.Victims) == HOLMaxVictims {
			heap.Init((*victimHeap)(&c.Victims))
		}
		return
	}
	out := *v
	if reqBefore(v, &c.Victims[0]) {
		out = c.Victims[0]
		c.Victims[0] = *v
		heap.Fix((*victimHeap)(&c.Victims), 0)
	}
	c.More++
	c.MoreSum += out.Service
}

func (h *hol) dyno(name string) *holDyno {
	if d, ok := h.Dynos[name]; ok {
		return d
	}
	if len(h.Dynos) >= holMaxDynos {
		return nil
	}
	d := &holDyno{Recent: newHolBuf(holRecent), First: newHolBuf(holFirst)}
	h.Dynos[name] = d
	return d
}

// add examines r, routed to the dyno d (h.dyno(r.Dyno)).
func (h *hol) add(r *parse.Record, route unique.Handle[string], d *holDyno) {
	if r.Service < 0 || r.Dyno == "" {
		return
	}
	conn := max(r.Connect, 0)
	q := holReq{Start: r.Time - (r.Service+conn)*1000, End: r.Time, Service: r.Service, Route: route}
	if !h.Seen || q.End < h.MinEnd {
		h.MinEnd = q.End
	}
	if !h.Seen || q.End > h.MaxEnd {
		h.MaxEnd = q.End
	}
	h.Seen = true
	// A victim of culprits already seen.
	live := d.Active[:0]
	for _, c := range d.Active {
		if c.Dead || c.End+HOLWindow+HOLDisorder < h.MaxEnd {
			continue // evicted or no longer active
		}
		live = append(live, c)
		if victimOf(&c.holReq, &q) {
			c.addVictim(&q)
		}
	}
	clear(d.Active[len(live):])
	d.Active = live
	// A culprit of requests already seen.
	if r.Service >= HOLMinMS {
		h.NCulprit++
		probe := culprit{holReq: q, Dyno: r.Dyno, RequestID: r.RequestID}
		if len(h.Culprits) >= HOLMaxCulprits && !culpritLess(&probe, h.Culprits[0]) {
			d.push(q, h.MinEnd, h.MaxEnd)
			return // not among the slowest: nothing to copy
		}
		c := &culprit{holReq: q, Dyno: r.Dyno, Method: r.Method, Code: r.Code,
			Path: bytes.Clone(r.Path), RequestID: bytes.Clone(r.RequestID)}
		if h.keep(c) {
			for i := d.RHead; i < len(d.Recent); i++ {
				if victimOf(&c.holReq, &d.Recent[i]) {
					c.addVictim(&d.Recent[i])
				}
			}
			d.Active = append(d.Active, c)
		}
	}
	d.push(q, h.MinEnd, h.MaxEnd)
}

// keep adds c to the culprit heap when it is among the slowest.
func (h *hol) keep(c *culprit) bool {
	if len(h.Culprits) < HOLMaxCulprits {
		heap.Push(&h.Culprits, c)
		return true
	}
	if !culpritLess(c, h.Culprits[0]) {
		return false
	}
	h.Culprits[0].Victims, h.Culprits[0].Dead = nil, true // dropped from Active lists as they are next walked
	h.Culprits[0] = c
	heap.Fix(&h.Culprits, 0)
	return true
}

// push records q in the dyno's edge buffers.
func (d *holDyno) push(q holReq, minEnd, maxEnd int64) {
	if q.End <= minEnd+HOLWindow+HOLDisorder && len(d.First) < HOLMaxRecent {
		d.First = append(d.First, q)
	}
	// Drop expired requests from the front (the buffer is nearly sorted).
	for d.RHead < len(d.Recent) && d.Recent[d.RHead].End+HOLWindow+HOLDisorder < maxEnd {
		d.RHead++
	}
	if len(d.Recent)-d.RHead >= HOLMaxRecent {
		d.RHead++ // full: drop the oldest
	}
	if d.RHead > 0 && d.RHead >= len(d.Recent)/2 && len(d.Recent) == cap(d.Recent) {
		n := copy(d.Recent, d.Recent[d.RHead:])
		d.Recent = d.Recent[:n]
		d.RHead = 0
	}
	d.Recent = append(d.Recent, q)
}

func (d *holDyno) live() []holReq { return d.Recent[d.RHead:] }

// merge adds o into h: the culprits of each side are matched with the
// first and recent requests of the other, then the buffers are joined.
func (h *hol) merge(o *hol) {
	if !o.Seen {
		return
	}
	// Copy o's culprits so o is not modified.
	oc := make([]*culprit, len(o.Culprits))
	for i, c := range o.Culprits {
		cc := *c
		cc.Victims = append([]holReq(nil), c.Victims...)
		oc[i] = &cc
	}
	byDyno := func(cs []*culprit) map[string][]*culprit {
		m := map[string][]*culprit{}
		for _, c := range cs {
			m[c.Dyno] = append(m[c.Dyno], c)
		}
		return m
	}
	mine, theirs := byDyno(h.Culprits), byDyno(oc)
	for name, od := range o.Dynos {
		if cs := mine[name]; len(cs) > 0 {
			matchSide(cs, sideRequests(od))
		}
	}
	for name, d := range h.Dynos {
		if cs := theirs[name]; len(cs) > 0 {
			matchSide(cs, sideRequests(d))
		}
	}
	h.NCulprit += o.NCulprit
	for _, c := range oc {
		h.keep(c)
	}
	if !h.Seen || o.MinEnd < h.MinEnd {
		h.MinEnd = o.MinEnd
	}
	if !h.Seen || o.MaxEnd > h.MaxEnd {
		h.MaxEnd = o.MaxEnd
	}
	h.Seen = true
	names := make([]string, 0, len(o.Dynos))
	for n := range o.Dynos {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		od := o.Dynos[name]
		d := h.dyno(name)
		if d == nil {
			continue
		}
		// d.First then od.First, filtered (d.First in place: no copy).
		n := 0
		for _, q := range d.First {
			if q.End <= h.MinEnd+HOLWindow+HOLDisorder && n < HOLMaxRecent {
				d.First[n] = q
				n++
			}
		}
		clear(d.First[n:])
		d.First = d.First[:n]
		for _, q := range od.First {
			if q.End <= h.MinEnd+HOLWindow+HOLDisorder && len(d.First) < HOLMaxRecent {
				d.First = append(d.First, q)
			}
		}
		recent := append(append(h.scratch[:0], d.live()...), od.live()...)
		slices.SortStableFunc(recent, func(a, b holReq) int { return cmp.Compare(a.End, b.End) })
		h.scratch = recent[:0]
		d.Recent, d.RHead = d.Recent[:0], 0
		for _, q := range recent {
			if q.End+HOLWindow+HOLDisorder >= h.MaxEnd {
				d.Recent = append(d.Recent, q)
			}
		}
		if n := len(d.Recent); n > HOLMaxRecent {
			d.Recent = append(d.Recent[:0], d.Recent[n-HOLMaxRecent:]...)
		}
	}
	// Rebuild the active lists from the kept culprits.
	for _, d := range h.Dynos {
		clear(d.Active)
		d.Active = d.Active[:0]
	}
	for _, c := range h.Culprits {
		if c.End+HOLWindow+HOLDisorder >= h.MaxEnd {
			if d := h.Dynos[c.Dyno]; d != nil {
				d.Active = append(d.Active, c)
			}
		}
	}
}

// sideRequests returns the requests of one side's dyno that the other
// side's culprits may pair with: the first ones and the recent ones, each
// once (a request can be in both buffers).
func sideRequests(od *holDyno) []holReq {
	out := append([]holReq(nil), od.First...)
	live := od.live()
	if len(od.First) == 0 {
		return append(out, live...)
	}
	var firstMax int64 = -1 << 62
	for i := range od.First {
		firstMax = max(firstMax, od.First[i].End)
	}
	var inFirst map[holReq]bool
	for _, q := range live {
		if q.End <= firstMax {
			if inFirst == nil {
				inFirst = make(map[holReq]bool, len(od.First))
				for _, f := range od.First {
					inFirst[f] = true
				}
			}
			if inFirst[q] {
				continue
			}
		}
		out = append(out, q)
	}
	return out
}

// matchSide adds to each culprit its victims among reqs.
func matchSide(cs []*culprit, reqs []holReq) {
	for _, c := range cs {
		for i := range reqs {
			if victimOf(&c.holReq, &reqs[i]) {
				c.addVictim(&reqs[i])
			}
		}
	}
}

// victimRef is one culprit's victim in the report's scratch list: the
// request (its dyno's number, start, end, service) and whether it was
// delayed. 32 bytes.
type victimRef struct {
	start, end int64
	service    int64
	dyno       int32
	delayed    bool
}

func victimCmp(a, b victimRef) int {
	if c := cmp.Compare(a.dyno, b.dyno); c != 0 {
		return c
	}
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	if c := cmp.Compare(a.end, b.end); c != 0 {
		return c
	}
	return cmp.Compare(a.service, b.service)
}

// report computes the section. p50 gives each route's median; p99 is the
// run's service p99 and all its histogram (to count the tail); tl gives
// the per-dyno context of each incident.
//
// A request can be the victim of several culprits of its dyno: the totals
// count it once. The victims of every culprit are listed in one scratch
// slice, kept between reports (live reports every frame), sorted and
// walked, rather than put in sets: at the caps (HOLMaxCulprits ×
// HOLMaxVictims) sets took some 60 MB per report.
func (h *hol) report(p50 map[string]int64, p99 int64, all *hdrhistogram.Histogram, tl *timeline) *HOL {
	out := &HOL{ThresholdMS: HOLMinMS, Culprits: h.NCulprit, Examined: len(h.Culprits), TailP99MS: p99, Incidents: []HOLIncident{}}
	if all != nil {
		for _, bar := range all.Distribution() {
			if bar.From > p99 {
				out.TailRequests += bar.Count
			}
		}
	}
	dynos := make(map[string]int32, len(h.Dynos))
	dynoOf := func(c *culprit) int32 {
		n, ok := dynos[c.Dyno]
		if !ok {
			n = int32(len(dynos))
			dynos[c.Dyno] = n
		}
		return n
	}
	refs := h.refs[:0]
	for _, c := range h.Culprits {
		d := dynoOf(c)
		for i := range c.Victims {
			v := &c.Victims[i]
			med := p50[v.Route.Value()]
			refs = append(refs, victimRef{v.Start, v.End, v.Service, d, v.Service >= med+HOLDelayMS && v.Service >= 2*med})
		}
	}
	slices.SortFunc(refs, victimCmp)
	for i := 0; i < len(refs); {
		j, delayed := i+1, refs[i].delayed
		for j < len(refs) && victimCmp(refs[i], refs[j]) == 0 {
			delayed = delayed || refs[j].delayed
			j++
		}
		out.Victims++
		if delayed {
			out.Delayed++
			if refs[i].service > p99 {
				out.TailExplained++
			}
		}
		refs[i].delayed = delayed // the first of a request's refs says for all
		i = j
	}
	h.refs = refs
	// delayedVictim reports whether c was itself a delayed victim of a
	// culprit (then its incident is secondary).
	delayedVictim := func(c *culprit) bool {
		i, found := slices.BinarySearchFunc(refs, victimRef{start: c.Start, end: c.End, service: c.Service, dyno: dynoOf(c)}, victimCmp)
		return found && refs[i].delayed
	}
	var incs []HOLIncident
	for _, c := range h.Culprits {
		inc := HOLIncident{
			Dyno: c.Dyno, Start: FormatTime(c.Start), End: FormatTime(c.End), ServiceMS: c.Service,
			Method: c.Method, Path: string(c.Path), Code: c.Code, RequestID: string(c.RequestID),
			Victims:   int64(len(c.Victims)) + c.More,
			Secondary: delayedVictim(c),
		}
		sum := c.MoreSum
		for i := range c.Victims {
			v := &c.Victims[i]
			sum += v.Service
			med := p50[v.Route.Value()]
			if v.Service > med {
				inc.ExcessMS += v.Service - med
			}
			if v.Service >= med+HOLDelayMS && v.Service >= 2*med {
				inc.Delayed++
			}
		}
		out.Victims += c.More
		if inc.Victims > 0 {
			inc.VictimMeanMS = round1(float64(sum) / float64(inc.Victims))
		}
		if inc.Delayed == 0 {
			continue
		}
		w := tl.window(c.Dyno, c.Start, c.End+HOLWindow/3)
		if w.N > 0 {
			inc.DynoMeanMS = round1(float64(w.Sum) / float64(w.N))
		}
		if w.OthersN > 0 {
			inc.OthersMeanMS = round1(float64(w.OthersSum) / float64(w.OthersN))
		}
		inc.DynoMaxMS, inc.OthersMaxMS, inc.OtherDynos = w.Max, w.OthersMax, w.OtherDynos
		incs = append(incs, inc)
	}
	sort.Slice(incs, func(i, j int) bool {
		a, b := &incs[i], &incs[j]
		if a.Secondary != b.Secondary {
			return !a.Secondary // the causes first, the requests that were themselves queued after
		}
		if a.Delayed != b.Delayed {
			return a.Delayed > b.Delayed
		}
		if a.ServiceMS != b.ServiceMS {
			return a.ServiceMS > b.ServiceMS
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return a.Dyno < b.Dyno
	})
	if len(incs) > 20 {
		incs = incs[:20]
	}
	if incs != nil {
		out.Incidents = incs
	}
	if out.TailRequests > 0 {
		out.TailShare = round3(float64(out.TailExplained) / float64(out.TailRequests))
	}
	return out
}
