package sim

import "math"

// ErlangC returns the probability that a request has to wait in an M/M/c
// queue: Poisson arrivals at rate lambda, exponential service at rate mu per
// server, c servers sharing one FIFO queue. lambda and mu are in the same
// unit (say requests per second). It returns 1 when the queue is unstable
// (lambda >= c·mu).
func ErlangC(lambda, mu float64, c int) float64 {
	if c < 1 || mu <= 0 || lambda < 0 {
		return math.NaN()
	}
	a := lambda / mu // offered load in servers
	rho := a / float64(c)
	if rho >= 1 {
		return 1
	}
	// Erlang B by the stable recurrence B(k) = a·B(k-1) / (k + a·B(k-1)),
	// then C = B / (1 - rho·(1 - B)).
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b / (1 - rho*(1-b))
}

// ErlangCWait returns the mean time a request waits before service in an
// M/M/c queue (see ErlangC), in the reciprocal of the rates' unit: with rates
// per second, seconds. It returns +Inf when lambda >= c·mu.
func ErlangCWait(lambda, mu float64, c int) float64 {
	if float64(c)*mu <= lambda {
		return math.Inf(1)
	}
	return ErlangC(lambda, mu, c) / (float64(c)*mu - lambda)
}

// OfferedLoad returns the average number of workers the trace keeps busy:
// arrival rate × mean app time, computed as total app time / the span from
// the first to the last arrival. It is 0 for an empty trace and +Inf when
// all requests arrive at the same instant with some app time.
func OfferedLoad(reqs []Request) float64 {
	if len(reqs) == 0 {
		return 0
	}
	first, last := reqs[0].Arrival, reqs[0].Arrival
	var work float64
	for _, r := range reqs {
		first = min(first, r.Arrival)
		last = max(last, r.Arrival)
		work += float64(max(r.App, 0))
	}
	switch {
	case work == 0:
		return 0
	case last == first:
		return math.Inf(1)
	}
	return work / float64(last-first)
}

// LittlesLaw returns how many dynos of the given number of workers the trace
// needs on average, keeping the fraction headroom (0 <= headroom < 1) of the
// capacity free: OfferedLoad / (workers × (1 - headroom)). With headroom 0.3
// the workers are 70% busy. The result is a fraction; round it up. It is a
// floor, not a plan: it says nothing about queueing in bursts or behind slow
// requests, which is what Run measures. Multiply by Config.Scale for grown
// traffic.
func LittlesLaw(reqs []Request, workers int, headroom float64) (dynos float64) {
	if workers < 1 || headroom < 0 || headroom >= 1 {
		return math.NaN()
	}
	return OfferedLoad(reqs) / (float64(workers) * (1 - headroom))
}
