package plan

import (
	"cmp"
	"slices"
)

// reachRes is how far apart, in µs, two requests must reach a dyno for
// their order to be trusted: service= is in whole milliseconds, so reach
// times (end - service) are each off by less than 1 ms.
const reachRes = 1000

// maxInferred is the largest worker count inferWorkers reports, and
// maxActive the most overlapping requests per dyno it tracks.
const (
	maxInferred = 1024
	maxActive   = 4 * maxInferred
)

// byDyno returns the indexes of the kept requests grouped by dyno.
func (c *Collector) byDyno() [][]int32 {
	counts := make([]int, len(c.dynos))
	for _, d := range c.dyno {
		counts[d]++
	}
	out := make([][]int32, len(c.dynos))
	for d, n := range counts {
		out[d] = make([]int32, 0, n)
	}
	for i, d := range c.dyno {
		out[d] = append(out[d], int32(i))
	}
	return out
}

// reach returns when request i reached its dyno, in µs: its end minus
// its service time.
func (c *Collector) reach(i int32) int64 { return c.end[i] - int64(c.service[i])*1000 }

// span is one request in flight on a dyno: when it reached it and ended.
type span struct{ reach, end int64 }

// inferWorkers estimates how many requests one dyno serves at once from the
// requests' overlaps. If a dyno serves its backlog first come, first served
// with C workers, a request j that reached the dyno after k others which were
// all still running when j finished was in service together with them, so
// C ≥ k+1. "After" must hold beyond doubt: at least 1 ms (the rounding of
// service=) plus j's connect time later, so that j also reached the router
// later. H12 requests are no witnesses: their line is written at 30 s,
// possibly before they started. The estimate is the largest k+1 that at
// least minSeen requests show (1 when no request overlaps another), at most
// maxInferred.
//
// It is a lower bound: a dyno that never had all its workers busy at once
// with the newest finishing first shows fewer. A server that does not take
// requests in order (one backlog per process) can show more.
func (c *Collector) inferWorkers(byDyno [][]int32, minSeen int) int {
	var hist [maxInferred]int // hist[k] = requests showing k+1 at once
	var active []span         // reached before the current request, by end ascending
	var sorted []int32
	for _, idx := range byDyno {
		sorted = append(sorted[:0], idx...)
		slices.SortFunc(sorted, func(a, b int32) int {
			if x := cmp.Compare(c.reach(a), c.reach(b)); x != 0 {
				return x
			}
			return cmp.Compare(c.end[a], c.end[b])
		})
		active = active[:0]
		pending := 0 // sorted[pending:] not yet in active
		for _, j := range sorted {
			r, e := c.reach(j), c.end[j]
			for pending < len(sorted) && c.reach(sorted[pending])+reachRes <= r {
				p := sorted[pending]
				s := span{c.reach(p), c.end[p]}
				at, _ := slices.BinarySearchFunc(active, s.end, func(a span, t int64) int { return cmp.Compare(a.end, t) })
				active = slices.Insert(active, at, s)
				if len(active) > maxActive {
					active = active[1:]
				}
				pending++
			}
			// Requests that ended before j reached its dyno cannot overlap it.
			gone, _ := slices.BinarySearchFunc(active, r+1, func(a span, t int64) int { return cmp.Compare(a.end, t) })
			if gone > 0 {
				active = append(active[:0], active[gone:]...)
			}
			if c.h12[j] {
				continue
			}
			before := r - reachRes - int64(c.connect[j])*1000
			k := 0
			for a := len(active) - 1; a >= 0 && active[a].end > e && k < maxInferred-1; a-- {
				if active[a].reach <= before {
					k++
				}
			}
			hist[k]++
		}
	}
	seen := 0
	for k := len(hist) - 1; k >= 0; k-- {
		seen += hist[k]
		if seen >= minSeen {
			return k + 1
		}
	}
	return 1
}
