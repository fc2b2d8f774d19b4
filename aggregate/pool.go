package aggregate

import (
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Pools of the large buffers an Aggregator allocates (histograms, the
// head-of-line queues), filled by Release. A parallel scan builds one
// aggregator per chunk and drops it once merged; without reuse each chunk
// allocates about 3 MB, and the garbage collector runs every few chunks.
var (
	histPools   [3]sync.Pool // by histKind
	holBufs     [2]sync.Pool // *[]holReq, empty, by holBufKind
	routeCaches sync.Pool    // *RouteCache[*routeStat], its entries empty but for their buffers
)

// newRouteCache returns an empty route cache, from the pool when it holds
// one (whose entries keep their byte buffers for the paths and templates
// of this aggregator).
func newRouteCache() *RouteCache[*routeStat] {
	if c, ok := routeCaches.Get().(*RouteCache[*routeStat]); ok {
		return c
	}
	return new(RouteCache[*routeStat])
}

// putRouteCache empties c (its entries point at the released aggregator's
// routes) and gives it back to the pool, keeping its buffers up to
// maxPooledPath bytes (a hostile log's megabyte-long paths are not kept).
func putRouteCache(c *RouteCache[*routeStat]) {
	if c == nil {
		return
	}
	c.empty(maxPooledPath)
	routeCaches.Put(c)
}

// maxPooledPath is the largest path or template buffer, in bytes, a
// pooled route cache keeps.
const maxPooledPath = 512

// histKind names the histogram geometries kept in pools.
type histKind int

const (
	histSection histKind = iota // SigFigsSection, MaxTrackableMS (hist2)
	histService                 // SigFigs, MaxTrackableMS (Dist)
	histConnect                 // SigFigs, MaxConnectMS (Dist)
)

// newHist returns an empty histogram of the kind, from the pool when it
// holds one.
func newHist(k histKind) *hdrhistogram.Histogram {
	if h, ok := histPools[k].Get().(*hdrhistogram.Histogram); ok {
		return h
	}
	switch k {
	case histSection:
		return hdrhistogram.New(1, MaxTrackableMS, SigFigsSection)
	case histConnect:
		return hdrhistogram.New(1, MaxConnectMS, SigFigs)
	}
	return hdrhistogram.New(1, MaxTrackableMS, SigFigs)
}

// putHist empties h and gives it back to the pool of its kind.
func putHist(k histKind, h *hdrhistogram.Histogram) {
	if h == nil {
		return
	}
	h.Reset()
	histPools[k].Put(h)
}

// holBufKind names the head-of-line buffers, pooled apart: a dyno's
// recent requests (a sliding window with room to slide, about twice the
// requests of HOLWindow+HOLDisorder) and its first ones (the requests of
// that span, once). In one pool every buffer grew, chunk after chunk, to
// the larger of the two needs, so each chunk's first-request buffers took
// about twice the room they use (10 GiB file: 1 MB more peak RSS).
type holBufKind int

const (
	holRecent holBufKind = iota
	holFirst
)

// newHolBuf returns an empty queue for a head-of-line buffer of the kind.
func newHolBuf(k holBufKind) []holReq {
	if p, ok := holBufs[k].Get().(*[]holReq); ok {
		return (*p)[:0]
	}
	return nil
}

func putHolBuf(k holBufKind, b []holReq) {
	if cap(b) < 64 {
		return
	}
	clear(b[:cap(b)]) // drop the route strings
	b = b[:0]
	holBufs[k].Put(&b)
}

// Release gives a's histograms and buffers back for reuse by aggregators
// made later, and empties a: a must not be used afterwards. Merge copies
// what it takes from its argument, so an aggregator merged into another
// can be released.
func (a *Aggregator) Release() {
	rel := func(g *group) {
		if g == nil {
			return
		}
		g.service.release()
		g.connect.release()
		if g.wait != nil {
			g.wait.release()
		}
	}
	rel(a.total)
	rel(a.other)
	for _, g := range a.groups {
		rel(g)
	}
	for _, alt := range a.alts {
		alt.Release()
	}
	a.tail.release()
	*a = Aggregator{}
}

func (d *Dist) release() {
	d.small = nil
	if d.h == nil {
		return
	}
	switch d.limit() {
	case MaxTrackableMS:
		putHist(histService, d.h)
	case MaxConnectMS:
		putHist(histConnect, d.h)
	}
	d.h = nil
}

func (d *hist2) release() {
	putHist(histSection, d.H)
	d.H = nil
}

func (t *tailState) release() {
	for _, b := range t.timeline.Buckets {
		b.Service.release()
	}
	for _, s := range t.routes.Routes {
		s.Service.release()
	}
	if t.routes.Other != nil {
		t.routes.Other.Service.release()
	}
	for _, d := range t.health.Dynos {
		d.Service.release()
	}
	for _, d := range t.hol.Dynos {
		putHolBuf(holRecent, d.Recent)
		putHolBuf(holFirst, d.First)
		d.Recent, d.First = nil, nil
	}
	putRouteCache(t.routeCache)
	*t = tailState{}
}
