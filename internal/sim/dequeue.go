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

// DefaultResolution is the DeQueueConfig.Resolution used when it is zero:
// 1 ms in microseconds, the resolution of Heroku's service= values.
const DefaultResolution int64 = 1000

// DeQueueConfig says how DeQueue reads the log.
type DeQueueConfig struct {
	// Workers is how many requests one dyno serves at once (at least 1).
	Workers int
	// MinApp is the floor in microseconds for an estimate that came out
	// lower (the model did not fit); never raised above Service.
	MinApp int64
	// Resolution in microseconds is how far apart two requests must reach
	// a dyno for their order to be trusted; closer ones are put in the
	// order they finished. Zero means DefaultResolution; negative means the
	// times are exact.
	Resolution int64
}

// DeQueue estimates each observed request's app time by taking out the time
// it queued inside its dyno, which Heroku's service= includes. It returns one
// Request per Observed, in the same order: Arrival = End - Service - Connect
// (when the router got it) and App the estimate, in µs.
//
// For each dyno it replays the dyno's requests in the order they reached it
// (at End - Service; requests within cfg.Resolution of each other in the
// order they finished, then in the order of obs) through cfg.Workers FIFO
// workers whose free times are the observed ends. A request starts at the
// later of reaching the dyno and the earliest moment one of the workers came
// free, and its app time is End minus that start. With one worker the order
// of finishing is the FIFO order, so the replay is exact whatever the
// rounding. An estimate below cfg.MinApp is raised to it, but never above
// Service, the upper bound. With Workers too small the queue is overstated
// and app times understated; with Workers too large no queue is found and
// App = Service. See the package documentation.
func DeQueue(obs []Observed, cfg DeQueueConfig) []Request {
	out := make([]Request, len(obs))
	workers := max(cfg.Workers, 1)
	minApp := max(cfg.MinApp, 0)
	res := cfg.Resolution
	if res == 0 {
		res = DefaultResolution
	}
	byDyno := make(map[string][]int32)
	for i, o := range obs {
		byDyno[o.Dyno] = append(byDyno[o.Dyno], int32(i))
	}
	reach := func(i int32) int64 { return obs[i].End - max(obs[i].Service, 0) }
	free := make([]int64, workers)
	// Dynos are independent, so map order does not matter.
	for _, idx := range byDyno {
		slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(reach(a), reach(b)) })
		if res > 0 {
			// Within the resolution, finishing order: move each request
			// back past those that reached less than res before it and
			// finished after it.
			for k := 1; k < len(idx); k++ {
				i := idx[k]
				j := k
				for j > 0 && reach(i)-reach(idx[j-1]) < res && obs[idx[j-1]].End > obs[i].End {
					idx[j] = idx[j-1]
					j--
				}
				idx[j] = i
			}
		}
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
