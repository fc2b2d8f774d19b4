package sim

import (
	"cmp"
	"math"
	"slices"
)

// Observed is one request as Heroku's router logged it, the input to DeQueue.
// Leave out requests that never reached a dyno (no dyno=, H13 before a
// connection, ...).
type Observed struct {
	// Dyno is the router's dyno= value ("web.1"); requests are replayed per
	// dyno.
	Dyno string
	// End is the router line's timestamp in microseconds: the router writes
	// the line when the request is done.
	End int64
	// Connect and Service are the router's connect= and service= values, in
	// microseconds (the log has milliseconds: multiply by 1000).
	Connect, Service int64
	// Slow is copied to the Request.
	Slow bool
}

// DeQueue estimates each observed request's app time by taking out the time
// it queued inside its dyno, which Heroku's service= includes. It returns one
// Request per Observed, in the same order: Arrival = End - Service - Connect
// (when the router got it) and App the estimate, in µs.
//
// For each dyno it replays the dyno's requests in order of reaching the dyno
// (End - Service; ties in the order of obs) through workers FIFO workers whose free times are the
// observed ends: a request starts at the later of reaching the dyno and the
// earliest moment one of the workers that served earlier requests came free,
// and its app time is End minus that start. An estimate below minApp µs (the
// model did not fit: the dyno is not FIFO, has more workers than said, or the
// millisecond rounding of service=) is raised to minApp, but never above
// Service, the upper bound. With workers too small the queue is overstated and
// app times understated; with workers too large no queue is found and
// App = Service. See the package documentation.
func DeQueue(obs []Observed, workers int, minApp int64) []Request {
	out := make([]Request, len(obs))
	if workers < 1 {
		workers = 1
	}
	minApp = max(minApp, 0)
	byDyno := make(map[string][]int32)
	for i, o := range obs {
		byDyno[o.Dyno] = append(byDyno[o.Dyno], int32(i))
	}
	free := make([]int64, workers)
	// Dynos are independent, so map order does not matter.
	for _, idx := range byDyno {
		reach := func(i int32) int64 { return obs[i].End - max(obs[i].Service, 0) }
		slices.SortStableFunc(idx, func(a, b int32) int {
			return cmp.Compare(reach(a), reach(b))
		})
		for k := range free {
			free[k] = math.MinInt64
		}
		for _, i := range idx {
			o := &obs[i]
			svc := max(o.Service, 0)
			start := max(o.End-svc, free[0])
			app := o.End - start
			if app < minApp {
				app = min(minApp, svc)
			}
			out[i] = Request{Arrival: o.End - svc - max(o.Connect, 0), App: app, Slow: o.Slow}
			free[0] = o.End
			siftDown(free)
		}
	}
	return out
}
