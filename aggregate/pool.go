package aggregate

import (
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Free lists of the large buffers an Aggregator allocates (histograms,
// the head-of-line queues), filled by Release. A parallel scan builds one
// aggregator per chunk and drops it once merged; without reuse each chunk
// allocates about 3 MB, and the garbage collector runs every few chunks.
//
// They are plain bounded stacks, not sync.Pools: a sync.Pool hands what
// it holds to its victim cache at each collection and drops it at the
// next, so over a long scan buffers were dropped and made again, the
// dropped ones garbage on top of the live heap until collected. A free
// list holds at most what was once in use at the same time and not in use
// now, up to its cap (10 GiB file: 0.4 MB less peak RSS; a log of 300
// busy dynos, whose chunks each fill 300 groups' histograms: 202-231 ->
// 193-197 MB).
var (
	histPools = [3]freeList[*hdrhistogram.Histogram]{ // by histKind
		{max: 256}, // histSection, 16 KB each
		{max: 96},  // histService, 104 KB each
		{max: 96},  // histConnect, 56 KB each
	}
	holBufs     = [2]freeList[[]holReq]{{max: 128}, {max: 128}} // empty, by holBufKind
	routeCaches = freeList[*RouteCache[*routeStat]]{max: 16}    // entries empty but for their buffers
)

// freeList is a stack of reusable values, at most max of them; the zero
// value keeps none.
type freeList[T any] struct {
	mu    sync.Mutex
	items []T
	max   int
}

// get pops a value; ok is false when the list is empty.
func (f *freeList[T]) get() (v T, ok bool) {
	f.mu.Lock()
	if n := len(f.items); n > 0 {
		v, ok = f.items[n-1], true
		var zero T
		f.items[n-1] = zero
		f.items = f.items[:n-1]
	}
	f.mu.Unlock()
	return v, ok
}

// put pushes v, or leaves it to the collector when the list is full.
func (f *freeList[T]) put(v T) {
	f.mu.Lock()
	if len(f.items) < f.max {
		f.items = append(f.items, v)
	}
	f.mu.Unlock()
}

// newRouteCache returns an empty route cache, from the pool when it holds
// one (whose entries keep their byte buffers for the paths and templates
// of this aggregator).
func newRouteCache() *RouteCache[*routeStat] {
	if c, ok := routeCaches.get(); ok {
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
	routeCaches.put(c)
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
	if h, ok := histPools[k].get(); ok {
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
	histPools[k].put(h)
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
	if b, ok := holBufs[k].get(); ok {
		return b[:0]
	}
	return nil
}

func putHolBuf(k holBufKind, b []holReq) {
	if cap(b) < 64 {
		return
	}
	clear(b[:cap(b)]) // drop the route strings
	holBufs[k].put(b[:0])
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
