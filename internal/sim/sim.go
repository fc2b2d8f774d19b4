package sim

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Request is one request of a trace: when it reached the router and how long
// a worker is busy with it once it starts.
type Request struct {
	// Arrival is when the router received the request, in microseconds since
	// any fixed epoch. Only differences between arrivals matter.
	Arrival int64
	// App is the worker time the request needs, in microseconds: the time
	// between a worker picking it up and the response being done. A negative
	// App is treated as zero.
	App int64
	// Slow marks a request the SlowFast policy sends to the slow pool. The
	// router must be able to tell before routing (say, by path), so set it
	// from something known up front, not from App.
	Slow bool
}

// Policy is how the router picks a dyno for a request.
type Policy uint8

// The routing policies.
const (
	// Random picks a dyno uniformly at random (seeded, deterministic), as
	// Heroku's router does. The request waits in that dyno's FIFO backlog if
	// all its workers are busy, even when another dyno is idle.
	Random Policy = iota
	// LeastConn picks the dyno with the fewest requests in flight (in
	// service plus queued); ties go to the lowest-numbered dyno.
	LeastConn
	// SlowFast splits the dynos in two pools: requests flagged Slow go to the
	// last Config.SlowDynos dynos, the others to the rest. Within a pool the
	// dyno is picked by Config.Inner (Random or LeastConn).
	SlowFast
	// Pooled is the ideal no router achieves on Heroku: one FIFO queue
	// shared by all Dynos × Workers workers, a request starting as soon as
	// any worker is free. It is the lower bound for every policy (an M/M/c
	// queue under Poisson traffic) and what one big dyno would do.
	Pooled

	numPolicies
)

var policyNames = [numPolicies]string{"random", "leastconn", "slowfast", "pooled"}

// String returns the policy's name: "random", "leastconn" or "slowfast".
func (p Policy) String() string {
	if p < numPolicies {
		return policyNames[p]
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// ParsePolicy returns the policy named s. Case, '-' and '_' are ignored, so
// "least-conn", "LeastConn" and "least_conn" all name LeastConn.
func ParsePolicy(s string) (Policy, error) {
	k := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(s))
	for i, name := range policyNames {
		if k == name {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("sim: unknown routing policy %q (want random, leastconn, slowfast or pooled)", s)
}

// DefaultTimeout is the router timeout used when Config.Timeout is zero: 30
// seconds in microseconds, after which Heroku's router gives up (H12).
const DefaultTimeout int64 = 30_000_000

// Config is one scenario to simulate.
type Config struct {
	// Dynos is the number of dynos (at least 1).
	Dynos int
	// Workers is the number of requests one dyno serves at once (processes
	// or threads; at least 1).
	Workers int
	// Policy is the routing policy.
	Policy Policy
	// Inner is the policy used within each pool under SlowFast: Random (the
	// zero value) or LeastConn. Ignored by the other policies.
	Inner Policy
	// SlowDynos is the size of the slow pool under SlowFast, between 1 and
	// Dynos-1. Ignored by the other policies.
	SlowDynos int
	// Seed seeds the router's random choices. The same trace, Config and
	// Seed always give the same Result.
	Seed uint64
	// Scale multiplies the arrival rate: 2 means "twice the traffic", done
	// by dividing every gap between arrivals by 2 while app times stay as
	// they are. Zero means 1.
	Scale float64
	// Timeout is the router timeout in microseconds: a request whose queue
	// wait plus app time exceeds it counts in Result.Timeouts (it still
	// keeps its worker busy, as on Heroku, where the dyno is not told). Zero
	// means DefaultTimeout; negative disables the count.
	Timeout int64
}

// Validate reports whether c describes a scenario Run can simulate.
func (c Config) Validate() error {
	switch {
	case c.Dynos < 1:
		return fmt.Errorf("sim: need at least one dyno, have %d", c.Dynos)
	case c.Workers < 1:
		return fmt.Errorf("sim: need at least one worker per dyno, have %d", c.Workers)
	case c.Policy >= numPolicies:
		return fmt.Errorf("sim: unknown routing policy %d", c.Policy)
	case c.Scale < 0 || math.IsNaN(c.Scale) || math.IsInf(c.Scale, 0):
		return fmt.Errorf("sim: scale must be a positive number, have %v", c.Scale)
	case int64(c.Dynos)*int64(c.Workers) > 1<<28:
		return errors.New("sim: too many workers")
	}
	if c.Policy == SlowFast {
		if c.Inner != Random && c.Inner != LeastConn {
			return fmt.Errorf("sim: slowfast inner policy must be random or leastconn, have %v", c.Inner)
		}
		if c.SlowDynos < 1 || c.SlowDynos >= c.Dynos {
			return fmt.Errorf("sim: slowfast needs 1 to %d slow dynos, have %d", c.Dynos-1, c.SlowDynos)
		}
	}
	return nil
}

// normalized returns c with the defaults filled in.
func (c Config) normalized() Config {
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Policy != SlowFast {
		c.Inner, c.SlowDynos = 0, 0
	}
	return c
}

// String describes c in one line, e.g. "4x2 slowfast(leastconn, 1 slow)
// scale=2 seed=7".
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%dx%d %v", c.Dynos, c.Workers, c.Policy)
	if c.Policy == SlowFast {
		fmt.Fprintf(&b, "(%v, %d slow)", c.Inner, c.SlowDynos)
	}
	if c.Scale != 0 && c.Scale != 1 {
		fmt.Fprintf(&b, " scale=%g", c.Scale)
	}
	fmt.Fprintf(&b, " seed=%d", c.Seed)
	return b.String()
}

// Dist summarises a distribution of durations, all in milliseconds.
// Quantiles are exact nearest-rank values: P99 is the smallest observed value
// that at least 99% of the requests do not exceed.
type Dist struct {
	Mean, P50, P90, P99, P999, Max float64
}

// Result is what one simulation run measured.
type Result struct {
	// Config is the scenario, with defaults filled in (Scale, Timeout).
	Config Config
	// Requests is the number of requests simulated; Slow how many of them
	// were flagged Slow.
	Requests, Slow int64
	// Queued is the number of requests that waited at all before a worker
	// picked them up.
	Queued int64
	// Queue is the time requests waited in a dyno's backlog, in ms.
	Queue Dist
	// Total is queue wait plus app time, what the router sees as service,
	// in ms.
	Total Dist
	// FastQueue and SlowQueue are Queue for the requests not flagged and
	// flagged Slow; zero when the class has no requests.
	FastQueue, SlowQueue Dist
	// Timeouts counts requests whose queue wait plus app time exceeded
	// Config.Timeout (Heroku would log H12 for them).
	Timeouts int64
	// Utilisation is busy worker time / (Dynos × Workers × Span), between 0
	// and 1.
	Utilisation float64
	// Load is the offered load per worker: total app time / (Dynos ×
	// Workers × the span of the arrivals). Above 1 the backlog grows without
	// bound; queueing gets steep well before. +Inf when all requests arrive
	// at the same instant.
	Load float64
	// Span is the time from the first arrival to the last completion, in
	// microseconds, after scaling.
	Span int64
}

// Run simulates the trace reqs under cfg. reqs need not be sorted (a sorted
// copy is made if they are not; reqs is never modified). Requests arriving at
// the same instant are routed in their order in reqs.
func Run(reqs []Request, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	return run(ordered(reqs), cfg.normalized()), nil
}

// RunAll runs every configuration on the same trace, in parallel over
// GOMAXPROCS goroutines. Results are in the order of cfgs and identical to
// what Run returns for each; the first invalid Config fails the whole call.
func RunAll(reqs []Request, cfgs []Config) ([]Result, error) {
	for i, c := range cfgs {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("config %d: %w", i, err)
		}
	}
	reqs = ordered(reqs)
	out := make([]Result, len(cfgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(cfgs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cfgs) {
					return
				}
				out[i] = run(reqs, cfgs[i].normalized())
			}
		})
	}
	wg.Wait()
	return out, nil
}

// ordered returns reqs if sorted by arrival, else a stably sorted copy.
func ordered(reqs []Request) []Request {
	cmp := func(a, b Request) int {
		switch {
		case a.Arrival < b.Arrival:
			return -1
		case a.Arrival > b.Arrival:
			return 1
		}
		return 0
	}
	if slices.IsSortedFunc(reqs, cmp) {
		return reqs
	}
	s := slices.Clone(reqs)
	slices.SortStableFunc(s, cmp)
	return s
}

// pool is a range of dynos [lo, lo+n) the router chooses among.
type pool struct {
	lo, n int
	least *tourney // nil: random choice
}

// run is Run on sorted requests and a valid, normalized config.
func run(reqs []Request, cfg Config) Result {
	res := Result{Config: cfg, Requests: int64(len(reqs))}
	n := len(reqs)
	if n == 0 {
		return res
	}
	N, C := cfg.Dynos, cfg.Workers

	var pools [2]pool
	newPool := func(lo, n int, p Policy) pool {
		if p == LeastConn {
			return pool{lo, n, newTourney(n)}
		}
		return pool{lo: lo, n: n}
	}
	switch cfg.Policy {
	case Random, LeastConn, Pooled:
		pools[0] = newPool(0, N, cfg.Policy)
		pools[1] = pools[0]
	case SlowFast:
		pools[0] = newPool(0, N-cfg.SlowDynos, cfg.Inner)
		pools[1] = newPool(N-cfg.SlowDynos, cfg.SlowDynos, cfg.Inner)
	}
	least := pools[0].least != nil
	// Dynos below split are in pools[0], the rest in pools[1].
	split := N
	if cfg.Policy == SlowFast {
		split = N - cfg.SlowDynos
	}

	// free holds each dyno's worker free times as a min-heap of C entries:
	// free[d*C] is when dyno d's first worker comes free. A FIFO backlog in
	// front of C identical workers starts each request at the later of its
	// arrival and that time, which is exact.
	free := make([]int64, N*C)
	for i := range free {
		free[i] = math.MinInt64
	}
	var done evHeap // completions not yet seen by the router (LeastConn)
	rng := rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)

	waits := make([]int64, n)
	totals := make([]int64, n)
	t0 := reqs[0].Arrival
	scale := cfg.Scale
	var busy, sumWait, sumTotal, slow, queued, timeouts int64
	lastArr, lastEnd := t0, t0
	for i := range reqs {
		r := &reqs[i]
		a := r.Arrival
		if scale != 1 {
			a = t0 + int64(math.Round(float64(a-t0)/scale))
		}
		app := max(r.App, 0)
		p := &pools[0]
		if r.Slow {
			slow++
			p = &pools[1]
		}
		var d int // the dyno; stays 0 under Pooled, where all workers form one heap
		switch {
		case least:
			for len(done) > 0 && done[0].end <= a {
				e := done.pop()
				if int(e.dyno) < split {
					pools[0].least.add(int(e.dyno), -1)
				} else {
					pools[1].least.add(int(e.dyno)-split, -1)
				}
			}
			d = p.least.min()
			p.least.add(d, 1)
			d += p.lo
		case cfg.Policy != Pooled:
			hi, _ := bits.Mul64(rng.Uint64(), uint64(p.n))
			d = p.lo + int(hi)
		}

		h := free
		if cfg.Policy != Pooled {
			h = free[d*C : d*C+C]
		}
		start := max(a, h[0])
		end := start + app
		h[0] = end
		if len(h) > 1 {
			siftDown(h)
		}
		if least {
			done.push(event{end, int32(d)})
		}

		w := start - a
		waits[i] = w
		totals[i] = w + app
		sumWait += w
		sumTotal += w + app
		busy += app
		if w > 0 {
			queued++
		}
		if cfg.Timeout > 0 && w+app > cfg.Timeout {
			timeouts++
		}
		lastArr = a
		lastEnd = max(lastEnd, end)
	}

	res.Slow, res.Queued, res.Timeouts = slow, queued, timeouts
	res.Span = lastEnd - t0
	workers := float64(N) * float64(C)
	if res.Span > 0 {
		res.Utilisation = float64(busy) / (workers * float64(res.Span))
	}
	if lastArr > t0 {
		res.Load = float64(busy) / (workers * float64(lastArr-t0))
	} else if busy > 0 {
		res.Load = math.Inf(1)
	}

	tmp := make([]int64, n) // scratch for sorting
	if slow > 0 && slow < int64(n) {
		// Split the waits by class, summarise each, then merge the two
		// sorted halves back for the overall distribution.
		f, s := 0, n
		var sumFast int64
		for i := range reqs {
			if reqs[i].Slow {
				s--
				tmp[s] = waits[i]
			} else {
				tmp[f] = waits[i]
				sumFast += waits[i]
				f++
			}
		}
		fast, slw := tmp[:f], tmp[f:]
		sortInt64s(fast, waits[:f])
		sortInt64s(slw, waits[f:])
		res.FastQueue = summarise(fast, sumFast)
		res.SlowQueue = summarise(slw, sumWait-sumFast)
		mergeInto(waits, fast, slw)
	} else {
		sortInt64s(waits, tmp)
		if slow > 0 {
			res.SlowQueue = summarise(waits, sumWait)
		} else {
			res.FastQueue = summarise(waits, sumWait)
		}
	}
	res.Queue = summarise(waits, sumWait)
	sortInt64s(totals, tmp)
	res.Total = summarise(totals, sumTotal)
	return res
}

// summarise returns the distribution of the sorted µs values s with sum sum,
// in ms.
func summarise(s []int64, sum int64) Dist {
	if len(s) == 0 {
		return Dist{}
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		i = max(0, min(i, len(s)-1))
		return float64(s[i]) / 1000
	}
	return Dist{
		Mean: float64(sum) / float64(len(s)) / 1000,
		P50:  q(0.50),
		P90:  q(0.90),
		P99:  q(0.99),
		P999: q(0.999),
		Max:  float64(s[len(s)-1]) / 1000,
	}
}

// mergeInto merges the sorted a and b into dst (len(a)+len(b) long).
func mergeInto(dst, a, b []int64) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			dst[k] = a[i]
			i++
		} else {
			dst[k] = b[j]
			j++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

// sortInt64s sorts the non-negative values s, using scratch (as long as s)
// as working space: an LSD radix sort on 11-bit digits, a few linear passes
// for the µs values seen here.
func sortInt64s(s, scratch []int64) {
	if len(s) < 512 {
		slices.Sort(s)
		return
	}
	var hi int64
	for _, v := range s {
		hi |= v
	}
	if hi < 0 {
		slices.Sort(s)
		return
	}
	const digit = 11
	src, dst := s, scratch[:len(s)]
	for shift := 0; shift < 64 && hi>>shift != 0; shift += digit {
		var count [1 << digit]int
		for _, v := range src {
			count[(v>>shift)&(1<<digit-1)]++
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, v := range src {
			k := (v >> shift) & (1<<digit - 1)
			dst[count[k]] = v
			count[k]++
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}

// siftDown restores the min-heap h after h[0] grew.
func siftDown(h []int64) {
	i, n := 0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && h[r] < h[l] {
			c = r
		}
		if h[i] <= h[c] {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// event is a request completion on a dyno.
type event struct {
	end  int64
	dyno int32
}

// evHeap is a min-heap of completions by end time.
type evHeap []event

func (h *evHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].end <= e.end {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = e
}

func (h *evHeap) pop() event {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	n := len(s)
	if n == 0 {
		return top
	}
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && s[r].end < s[l].end {
			c = r
		}
		if last.end <= s[c].end {
			break
		}
		s[i] = s[c]
		i = c
	}
	s[i] = last
	return top
}

// tourney is a tournament tree over per-dyno in-flight counts: min returns
// the dyno with the smallest count, the lowest index among ties, in O(1);
// add updates a count in O(log n).
type tourney struct {
	size int
	cnt  []int32 // per leaf; padding leaves hold MaxInt32
	win  []int32 // win[j] is the winning leaf of node j; leaves at size+i
}

func newTourney(n int) *tourney {
	size := 1
	for size < n {
		size *= 2
	}
	t := &tourney{size: size, cnt: make([]int32, size), win: make([]int32, 2*size)}
	for i := range size {
		if i >= n {
			t.cnt[i] = math.MaxInt32
		}
		t.win[size+i] = int32(i)
	}
	for j := size - 1; j >= 1; j-- {
		t.play(j)
	}
	return t
}

func (t *tourney) play(j int) {
	l, r := t.win[2*j], t.win[2*j+1]
	if t.cnt[r] < t.cnt[l] {
		t.win[j] = r
	} else {
		t.win[j] = l
	}
}

func (t *tourney) min() int { return int(t.win[1]) }

func (t *tourney) add(i int, delta int32) {
	t.cnt[i] += delta
	for j := (t.size + i) / 2; j >= 1; j /= 2 {
		t.play(j)
	}
}
