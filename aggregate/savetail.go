package aggregate

import (
	"container/heap"
	"math"
	"sort"
	"unique"
)

// The tail-analysis state in a summary body (after the groups): the
// timeline's buckets, the slowest requests, the route table, the dynos'
// health and the head-of-line detection's edge buffers and culprits, each
// as the state itself (counts, sums, maxima, two-digit HDR bucket counts,
// kept requests), so a read-back Aggregator merges and reports exactly as
// the one that was saved.

// geoSection is the geometry of the tail sections' histograms (hist2).
var geoSection = geometry{1, MaxTrackableMS, SigFigsSection}

// Bounds of the tail state a summary may hold.
const (
	// maxTimelineStep is the largest timeline widening step read back: past
	// it the bucket width would overflow.
	maxTimelineStep = 60
	// maxWidthUS bounds a timeline bucket's width (about 35 years), so
	// bucket indexes times widths stay within int64.
	maxWidthUS = 1 << 50
)

func (t *tailState) encode(e *encoder) {
	t.timeline.encode(e)
	t.slowest.encode(e)
	t.routes.encode(e)
	t.health.encode(e)
	t.hol.encode(e)
}

func (t *tailState) decode(d *decoder) {
	t.routeCache = nil // the route states are replaced
	t.dynoCache, t.cur = nil, nil
	t.timeline.decode(d)
	t.slowest.decode(d)
	t.routes.decode(d)
	t.health.decode(d)
	t.hol.decode(d)
}

// hist2: count, then (when not 0) sum, max and the buckets. A histogram
// without values is written as none, so a merged empty one and a missing
// one encode alike.
func (h *hist2) encode(e *encoder) {
	e.varint(h.Count)
	if h.Count == 0 {
		return
	}
	e.varint(h.Sum)
	e.varint(h.Max)
	has := h.H != nil && h.H.TotalCount() > 0
	e.bool(has)
	if has {
		encodeHistogram(e, h.H)
	}
}

func (h *hist2) decode(d *decoder) {
	h.Count = d.nonneg("count")
	if h.Count == 0 || d.err != nil {
		return
	}
	h.Sum = d.nonneg("sum")
	h.Max = d.nonneg("max")
	if d.err == nil && h.Max > h.Sum {
		d.fail("maximum %d above the sum %d", h.Max, h.Sum)
	}
	if d.bool() {
		h.H = decodeHistogram(d, geoSection)
		if d.err == nil && h.H.TotalCount() > h.Count {
			d.fail("histogram holds %d values, its count says %d", h.H.TotalCount(), h.Count)
		}
	}
}

// timeline: the widening step, then the buckets in index order (the first
// index, then gaps).
func (t *timeline) encode(e *encoder) {
	e.uvarint(uint64(t.Step))
	idxs := make([]int64, 0, len(t.Buckets))
	for i := range t.Buckets {
		idxs = append(idxs, i)
	}
	slices64(idxs)
	e.uvarint(uint64(len(idxs)))
	for i, idx := range idxs {
		if i == 0 {
			e.varint(idx)
		} else {
			e.uvarint(uint64(idx - idxs[i-1]))
		}
		b := t.Buckets[idx]
		sd, done := b.service()
		sd.encode(e)
		done()
		e.varint(b.Errors)
		e.uvarint(uint64(len(b.Dynos)))
		for _, dy := range b.Dynos {
			e.str(dy.Dyno)
			e.varint(dy.N)
			e.varint(dy.Sum)
			e.varint(dy.Max)
			e.varint(dy.MemErr)
		}
	}
}

func slices64(s []int64) { sort.Slice(s, func(i, j int) bool { return s[i] < s[j] }) }

// decode restores the timeline; t was initialised with the summary's
// bucket width (Base).
func (t *timeline) decode(d *decoder) {
	step := d.uvarint()
	if d.err != nil {
		return
	}
	if step > maxTimelineStep || bucketStep(int(step)) > maxWidthUS/t.Base {
		d.fail("timeline step %d is out of range", step)
		return
	}
	t.Step = int(step)
	w := t.width()
	n := d.count("timeline bucket", MaxTimelineBuckets)
	var idx int64
	for i := 0; i < n && d.err == nil; i++ {
		if i == 0 {
			idx = d.varint()
			if idx > math.MaxInt64/2/w || idx < math.MinInt64/2/w {
				d.fail("timeline bucket %d is out of range", idx)
				return
			}
			t.Lo = idx
		} else {
			gap := d.uvarint()
			if d.err == nil && (gap == 0 || gap >= MaxTimelineBuckets || idx+int64(gap)-t.Lo >= MaxTimelineBuckets) {
				d.fail("timeline bucket gap %d is out of range", gap)
				return
			}
			idx += int64(gap)
		}
		t.Hi = idx
		b := &tlBucket{}
		b.Service.decode(d)
		b.Errors = d.nonneg("errors")
		nd := d.count("bucket dyno", maxBucketDynos)
		for j := 0; j < nd && d.err == nil; j++ {
			dy := tlDyno{Dyno: d.str(), N: d.nonneg("requests"), Sum: d.nonneg("sum"), Max: d.nonneg("max"), MemErr: d.nonneg("memory errors")}
			for _, o := range b.Dynos {
				if o.Dyno == dy.Dyno {
					d.fail("dyno %q repeated in a timeline bucket", dy.Dyno)
				}
			}
			b.Dynos = append(b.Dynos, dy)
		}
		t.Buckets[idx] = b
	}
}

// slowest: the kept requests in heap order.
func (s *slowest) encode(e *encoder) {
	e.uvarint(uint64(len(s.Heap)))
	for _, r := range s.Heap {
		e.varint(r.Time)
		e.varint(r.Service)
		e.varint(r.Connect)
		e.varint(r.Status)
		e.str(r.Dyno)
		e.str(r.Method)
		e.str(r.Code)
		e.bytes(r.Path)
		e.bytes(r.Host)
		e.bytes(r.RequestID)
	}
}

func (s *slowest) decode(d *decoder) {
	n := d.count("slowest request", s.limit())
	for i := 0; i < n && d.err == nil; i++ {
		r := &slowReq{Time: d.varint(), Service: d.nonneg("service"), Connect: d.varint(), Status: d.varint(),
			Dyno: d.str(), Method: d.str(), Code: d.str(), Path: d.bytes(), Host: d.bytes(), RequestID: d.bytes()}
		s.Heap = append(s.Heap, r)
	}
	heap.Init(s) // leaves a valid heap as it is; orders a hostile one
}

// routeStats: the next sequence number, the routes in first-seen order,
// then other.
func (rs *routeStats) encode(e *encoder) {
	e.varint(rs.NextSeq)
	list := make([]*routeStat, 0, len(rs.Routes))
	for _, s := range rs.Routes {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Seq < list[j].Seq })
	e.uvarint(uint64(len(list)))
	for _, s := range list {
		e.str(s.Key)
		e.varint(s.Seq)
		s.encodeCounts(e)
	}
	e.bool(rs.Other != nil)
	if rs.Other != nil {
		rs.Other.encodeCounts(e)
	}
}

func (s *routeStat) encodeCounts(e *encoder) {
	s.Service.encode(e)
	e.varint(s.N)
	e.varint(s.H12)
	e.varint(s.Errors)
}

func (s *routeStat) decodeCounts(d *decoder) {
	s.Service.decode(d)
	s.N = d.nonneg("requests")
	s.H12 = d.nonneg("h12")
	s.Errors = d.nonneg("errors")
	if d.err == nil && (s.Service.Count > s.N || s.H12 > s.N || s.Errors > s.N) {
		d.fail("route %q counts more than its %d requests", s.Key, s.N)
	}
}

func (rs *routeStats) decode(d *decoder) {
	rs.NextSeq = d.nonneg("route sequence")
	n := d.count("route", MaxRoutes)
	prev := int64(-1)
	for i := 0; i < n && d.err == nil; i++ {
		s := &routeStat{Key: d.str(), Seq: d.nonneg("route sequence")}
		if d.err != nil {
			return
		}
		if s.Seq <= prev || s.Seq >= rs.NextSeq {
			d.fail("route sequence %d out of order", s.Seq)
			return
		}
		if _, dup := rs.Routes[s.Key]; dup {
			d.fail("route %q repeated", s.Key)
			return
		}
		prev = s.Seq
		s.decodeCounts(d)
		rs.Routes[s.Key] = s
	}
	if d.bool() {
		rs.Other = &routeStat{Key: OtherKey}
		rs.Other.decodeCounts(d)
	}
}

// health: the dynos by name.
func (h *health) encode(e *encoder) {
	names := make([]string, 0, len(h.Dynos))
	for n := range h.Dynos {
		names = append(names, n)
	}
	sort.Strings(names)
	e.uvarint(uint64(len(names)))
	for _, n := range names {
		dh := h.Dynos[n]
		e.str(n)
		dh.Service.encode(e)
		e.varint(dh.R14)
		e.varint(dh.R15)
		e.float(dh.MaxMem)
		e.varint(dh.MaxMemAt)
		e.varint(dh.Restarts)
		e.varint(dh.Crash)
	}
}

func (h *health) decode(d *decoder) {
	n := d.count("health dyno", MaxHealthDynos+1)
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		dh := &dynoHealth{Dyno: d.str()}
		if d.err == nil && i > 0 && dh.Dyno <= prev {
			d.fail("dynos out of order or repeated (%q)", dh.Dyno)
			return
		}
		prev = dh.Dyno
		dh.Service.decode(d)
		dh.R14, dh.R15 = d.nonneg("r14"), d.nonneg("r15")
		dh.MaxMem = d.float()
		dh.MaxMemAt = d.varint()
		dh.Restarts, dh.Crash = d.nonneg("restarts"), d.nonneg("crashes")
		if d.err == nil && dh.MaxMem < 0 {
			d.fail("negative memory %v", dh.MaxMem)
		}
		h.Dynos[dh.Dyno] = dh
	}
}

// routeRefs writes the route names of the head-of-line requests once: a
// reference is the index of a name already written, or the next index
// followed by the name.
type routeRefs map[string]uint64

func (rr routeRefs) put(e *encoder, route string) {
	if i, ok := rr[route]; ok {
		e.uvarint(i)
		return
	}
	i := uint64(len(rr))
	rr[route] = i
	e.uvarint(i)
	e.str(route)
}

type routeTable []string

func (rt *routeTable) get(d *decoder) string {
	i := d.uvarint()
	switch {
	case d.err != nil:
		return ""
	case i < uint64(len(*rt)):
		return (*rt)[i]
	case i == uint64(len(*rt)):
		s := d.str()
		*rt = append(*rt, s)
		return s
	}
	d.fail("route reference %d is out of range", i)
	return ""
}

// holReqs writes requests as end (a delta from the previous one), service,
// the start's distance before the end beyond the service (the connect
// time: whole ms, shifted left one bit, in the common case; else the µs
// zigzagged, shifted and tagged with 1) and route.
func encodeHolReqs(e *encoder, rr routeRefs, qs []holReq) {
	e.uvarint(uint64(len(qs)))
	var prev int64
	for i := range qs {
		q := &qs[i]
		e.varint(q.End - prev)
		e.varint(q.Service)
		if x := q.End - q.Start - q.Service*1000; x >= 0 && x%1000 == 0 && x < 1<<60 {
			e.uvarint(uint64(x/1000) << 1)
		} else {
			e.uvarint(uint64(x<<1^x>>63)<<1 | 1)
		}
		rr.put(e, q.Route.Value())
		prev = q.End
	}
}

func decodeHolReqs(d *decoder, rt *routeTable, max int) []holReq {
	n := d.count("head-of-line request", max)
	if n == 0 {
		return nil
	}
	qs := make([]holReq, 0, n)
	var prev int64
	for i := 0; i < n && d.err == nil; i++ {
		end, service, c := prev+d.varint(), d.nonneg("service"), d.uvarint()
		var conn int64 // µs
		if c&1 == 0 {
			conn = int64(c>>1) * 1000
		} else {
			z := c >> 1
			conn = int64(z>>1) ^ -int64(z&1)
		}
		if d.err == nil && (end < -maxTimeUS || end > maxTimeUS || service > maxTimeUS/1000 ||
			c>>1 > maxTimeUS || conn < -maxTimeUS || conn > maxTimeUS) {
			d.fail("head-of-line request time out of range")
		}
		qs = append(qs, holReq{End: end, Start: end - service*1000 - conn, Service: service, Route: unique.Make(rt.get(d))})
		prev = end
	}
	return qs
}

// maxTimeUS bounds the times (µs) read back for head-of-line requests,
// about ±140 years around 1970, so their differences cannot overflow.
const maxTimeUS = 1 << 62 / 1000

// hol: counters, the culprits in heap order (each with its victims and
// whether it is still active), then the dynos' edge buffers by name.
func (h *hol) encode(e *encoder) {
	e.varint(h.NCulprit)
	e.bool(h.Seen)
	e.varint(h.MinEnd)
	e.varint(h.MaxEnd)
	rr := routeRefs{}
	active := map[*culprit]bool{}
	for _, d := range h.Dynos {
		for _, c := range d.Active {
			if !c.Dead {
				active[c] = true
			}
		}
	}
	e.uvarint(uint64(len(h.Culprits)))
	for _, c := range h.Culprits {
		encodeHolReqs(e, rr, []holReq{c.holReq})
		e.str(c.Dyno)
		e.str(c.Method)
		e.str(c.Code)
		e.bytes(c.Path)
		e.bytes(c.RequestID)
		encodeHolReqs(e, rr, c.Victims)
		e.varint(c.More)
		e.varint(c.MoreSum)
		e.bool(active[c])
	}
	names := make([]string, 0, len(h.Dynos))
	for n := range h.Dynos {
		names = append(names, n)
	}
	sort.Strings(names)
	e.uvarint(uint64(len(names)))
	for _, n := range names {
		d := h.Dynos[n]
		e.str(n)
		encodeHolReqs(e, rr, d.live())
		encodeHolReqs(e, rr, d.First)
	}
}

func (h *hol) decode(d *decoder) {
	h.NCulprit = d.nonneg("culprits")
	h.Seen = d.bool()
	h.MinEnd, h.MaxEnd = d.varint(), d.varint()
	if d.err == nil && (h.MinEnd < -maxTimeUS || h.MinEnd > maxTimeUS || h.MaxEnd < -maxTimeUS || h.MaxEnd > maxTimeUS) {
		d.fail("head-of-line times out of range")
	}
	var rt routeTable
	n := d.count("culprit", HOLMaxCulprits)
	if d.err == nil && int64(n) > h.NCulprit {
		d.fail("%d culprits kept of %d", n, h.NCulprit)
	}
	var active []*culprit
	for i := 0; i < n && d.err == nil; i++ {
		qs := decodeHolReqs(d, &rt, 1)
		if d.err == nil && len(qs) != 1 {
			d.fail("culprit without its request")
		}
		if d.err != nil {
			return
		}
		c := &culprit{holReq: qs[0], Dyno: d.str(), Method: d.str(), Code: d.str(), Path: d.bytes(), RequestID: d.bytes()}
		c.Victims = decodeHolReqs(d, &rt, HOLMaxVictims)
		c.More, c.MoreSum = d.nonneg("more victims"), d.nonneg("their service")
		if len(c.Victims) == HOLMaxVictims {
			heap.Init((*victimHeap)(&c.Victims))
		} else if d.err == nil && c.More > 0 {
			d.fail("culprit with victims beyond the cap but room to keep them")
		}
		if d.bool() {
			active = append(active, c)
		}
		h.Culprits = append(h.Culprits, c)
	}
	heap.Init(&h.Culprits)
	nd := d.count("head-of-line dyno", holMaxDynos)
	prev := ""
	for i := 0; i < nd && d.err == nil; i++ {
		name := d.str()
		if d.err == nil && i > 0 && name <= prev {
			d.fail("dynos out of order or repeated (%q)", name)
			return
		}
		prev = name
		hd := &holDyno{Recent: decodeHolReqs(d, &rt, HOLMaxRecent), First: decodeHolReqs(d, &rt, HOLMaxRecent)}
		h.Dynos[name] = hd
	}
	for _, c := range active {
		hd := h.Dynos[c.Dyno]
		if hd == nil {
			d.fail("active culprit on dyno %q, which has no requests", c.Dyno)
			return
		}
		hd.Active = append(hd.Active, c)
	}
}
