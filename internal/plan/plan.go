package plan

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/sim"
)

// Options say what to plan for. The zero value plans the default dyno
// range for random and least-connections routing against DefaultTarget,
// with the workers per dyno inferred from the log.
type Options struct {
	// Dynos are the dyno counts to simulate; nil means a range from the
	// Little's-law minimum to twice the current count, widened until the
	// first routing policy meets the target (see DefaultDynos).
	Dynos []int
	// Workers is the number of requests one dyno serves at once (processes
	// × threads); 0 means infer it from the log.
	Workers int
	// Routing lists the policies to simulate, in the order shown; nil means
	// random and least-connections. The first one is the recommendation.
	Routing []sim.Policy
	// SlowRoutes are the route templates (see aggregate.Route) the
	// slow-fast policy sends to the slow pool; paths are templated first.
	SlowRoutes []string
	// SlowAuto picks the slow routes from the log (see SlowThresholdMS).
	SlowAuto bool
	// SlowThresholdMS is the median app time in ms from which SlowAuto
	// calls a route slow; 0 means 1000.
	SlowThresholdMS float64
	// Target is the service level to meet; the zero value means
	// DefaultTarget.
	Target Target
	// Scale multiplies the traffic (2 = twice the requests per second in
	// the same pattern); 0 means 1.
	Scale float64
	// PricePerDyno is the cost of one dyno for a month, in dollars; 0
	// leaves costs out.
	PricePerDyno float64
	// Seed seeds the simulated random router.
	Seed uint64
}

// Dist is a distribution of durations in milliseconds.
type Dist struct {
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p999_ms"`
	MaxMS  float64 `json:"max_ms"`
}

func fromSim(d sim.Dist) Dist {
	return Dist{MeanMS: d.Mean, P50MS: d.P50, P99MS: d.P99, P999MS: d.P999, MaxMS: d.Max}
}

// Row is one simulated scenario: a dyno count under a routing policy.
type Row struct {
	// Dynos is the number of dynos and Workers the requests each serves at
	// once.
	Dynos   int `json:"dynos"`
	Workers int `json:"workers"`
	// Routing is random, least-conn, slow-fast or pooled.
	Routing string `json:"routing"`
	// SlowDynos is the size of the slow pool under slow-fast (the best of
	// the sizes tried), else 0.
	SlowDynos int `json:"slow_dynos,omitempty"`
	// Utilisation is the fraction of worker time busy (0 to 1).
	Utilisation float64 `json:"utilisation"`
	// Queued is the number of requests that waited for a worker at all.
	Queued int64 `json:"queued"`
	// Queue is the wait for a worker, in ms.
	QueueMeanMS float64 `json:"queue_mean_ms"`
	QueueP50MS  float64 `json:"queue_p50_ms"`
	QueueP99MS  float64 `json:"queue_p99_ms"`
	QueueP999MS float64 `json:"queue_p999_ms"`
	QueueMaxMS  float64 `json:"queue_max_ms"`
	// Total is queue plus app time (what the router logs as service), ms.
	TotalP99MS float64 `json:"total_p99_ms"`
	TotalMaxMS float64 `json:"total_max_ms"`
	// H12 is the number of requests whose total would pass 30 s.
	H12 int64 `json:"h12"`
	// TargetMS is the target's metric in this scenario, in ms, and
	// MeetsTarget whether it is below the limit.
	TargetMS    float64 `json:"target_ms"`
	MeetsTarget bool    `json:"meets_target"`
	// CostPerMonth is Dynos × Options.PricePerDyno, in dollars (absent
	// without a price).
	CostPerMonth *float64 `json:"cost_per_month,omitempty"`
	// Recommended marks the smallest dyno count meeting the target under
	// this row's policy.
	Recommended bool `json:"recommended"`
	// Current marks the dyno count read from the log under random routing:
	// the app as it runs.
	Current bool `json:"current"`
}

// Recommendation is the smallest dyno count meeting the target under one
// policy.
type Recommendation struct {
	Routing string `json:"routing"`
	// Dynos is 0 when no simulated count met the target.
	Dynos        int      `json:"dynos"`
	CostPerMonth *float64 `json:"cost_per_month,omitempty"`
}

// Check compares the queueing estimated from the log with the simulation
// of the current configuration (current dynos, random routing, unscaled),
// so a reader can judge whether the model fits.
type Check struct {
	Dynos   int `json:"dynos"`
	Workers int `json:"workers"`
	// Observed is each request's service time minus its estimated app time.
	Observed Dist `json:"observed_queue"`
	// Simulated is the simulated queue wait.
	Simulated Dist `json:"simulated_queue"`
}

// Report is a capacity plan: what was read, the model's inputs and one Row
// per scenario. Durations are in ms unless the name says otherwise.
type Report struct {
	// RouterLines is the number of router lines read; Requests how many
	// were used; Skipped the rest by reason.
	RouterLines int64   `json:"router_lines"`
	Requests    int64   `json:"requests"`
	Skipped     Skipped `json:"skipped"`
	// SpanSeconds is from the first request's arrival to the last line, in
	// seconds; RPS is Requests / SpanSeconds.
	SpanSeconds float64 `json:"span_seconds"`
	RPS         float64 `json:"rps"`
	// CurrentDynos is the number of distinct dynos the router sent requests
	// to.
	CurrentDynos int `json:"current_dynos"`
	// Workers is the requests per dyno at once used; WorkersSource says
	// where it came from: "flag" or "inferred".
	Workers       int    `json:"workers"`
	WorkersSource string `json:"workers_source"`
	// Scale is the traffic multiplier simulated.
	Scale  float64 `json:"scale"`
	Seed   uint64  `json:"seed"`
	Target Target  `json:"target"`
	// App is the estimated app time per request (service minus queueing).
	App Dist `json:"app"`
	// OfferedLoad is the average number of busy workers the (scaled)
	// traffic needs: requests per second × mean app time.
	OfferedLoad float64 `json:"offered_load"`
	// LittlesLawDynos is OfferedLoad / Workers: the dynos kept busy on
	// average, the least that could ever cope; LittlesLawDynos70 keeps 30%
	// headroom (workers 70% busy), the classic rule of thumb.
	LittlesLawDynos   float64 `json:"littles_law_dynos"`
	LittlesLawDynos70 float64 `json:"littles_law_dynos_70"`
	// SlowRoutes are the route templates sent to the slow pool under
	// slow-fast; SlowRequests how many requests they had.
	SlowRoutes   []string `json:"slow_routes"`
	SlowRequests int64    `json:"slow_requests"`
	// Check is the model against the log at the current configuration.
	Check Check `json:"check"`
	// PricePerDyno is the dollars per dyno-month given, 0 when none.
	PricePerDyno float64 `json:"price_per_dyno,omitempty"`
	// Rows are the scenarios, by dyno count, then policy in Routing order.
	Rows []Row `json:"rows"`
	// Recommended has one entry per policy, in Routing order; the first is
	// the plan's recommendation.
	Recommended []Recommendation `json:"recommended"`
	// Notes are caveats in plain words.
	Notes []string `json:"notes"`
}

// ErrNoRequests is returned by Plan when the log has no usable router
// request.
var ErrNoRequests = errors.New("no router requests with a dyno and a service time to plan from")

// h12Slack is the rounding allowed, in µs, when telling an H12 request
// that did not queue: its app time is then taken as 30 s plus h12Slack.
const h12Slack = 1000

// defaultSlowMS is the default Options.SlowThresholdMS.
const defaultSlowMS = 1000

// minOverlaps is how many requests must show a concurrency before
// InferWorkers believes it.
const minOverlaps = 2

// Plan turns the collected requests into a capacity plan: it infers the
// current configuration, estimates each request's app time (sim.DeQueue),
// and simulates every dyno count under every routing policy (sim.RunAll).
func Plan(c *Collector, o Options) (*Report, error) {
	n := c.Requests()
	if n == 0 {
		return nil, ErrNoRequests
	}
	if o.Target == (Target{}) {
		o.Target = DefaultTarget
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.SlowThresholdMS == 0 {
		o.SlowThresholdMS = defaultSlowMS
	}
	if len(o.Routing) == 0 {
		o.Routing = []sim.Policy{sim.Random, sim.LeastConn}
	}
	rep := &Report{
		RouterLines: c.RouterLines, Requests: int64(n), Skipped: c.Skipped,
		CurrentDynos: len(c.dynos), Scale: o.Scale, Seed: o.Seed, Target: o.Target,
		PricePerDyno: o.PricePerDyno, SlowRoutes: []string{}, Notes: []string{},
	}
	groups := c.byDyno()
	rep.Workers, rep.WorkersSource = o.Workers, "flag"
	if o.Workers <= 0 {
		rep.Workers, rep.WorkersSource = c.inferWorkers(groups, minOverlaps), "inferred"
		rep.Notes = append(rep.Notes, fmt.Sprintf(
			"workers per dyno inferred as %d from requests in service together on one dyno; it is a lower bound, pass --workers (processes × threads) if you know it", rep.Workers))
	}

	reqs, queued := c.deQueue(groups, rep.Workers)
	rep.App = summarise(appTimes(reqs))
	rep.Check.Observed = summarise(queued)
	first, last := reqs[0].Arrival, c.end[0]
	for i := range reqs {
		first = min(first, reqs[i].Arrival)
		last = max(last, c.end[i])
	}
	if last > first {
		rep.SpanSeconds = float64(last-first) / 1e6
		rep.RPS = float64(n) / rep.SpanSeconds
	}

	// Slow routes.
	slow := c.slowRoutes(reqs, o)
	var slowWork, work float64
	for i := range reqs {
		reqs[i].Slow = slow[c.route[i]]
		if c.h12[i] && reqs[i].App >= sim.DefaultTimeout-h12Slack {
			// It timed out without queueing: its app time passed 30 s,
			// by how much the log cannot say.
			reqs[i].App = sim.DefaultTimeout + h12Slack
		}
		work += float64(reqs[i].App)
		if reqs[i].Slow {
			rep.SlowRequests++
			slowWork += float64(reqs[i].App)
		}
	}
	for r, s := range slow {
		if s {
			rep.SlowRoutes = append(rep.SlowRoutes, c.routes[r])
		}
	}
	slices.Sort(rep.SlowRoutes)
	slowShare := 0.0
	if work > 0 {
		slowShare = slowWork / work
	}
	useSlowFast := slices.Contains(o.Routing, sim.SlowFast)
	if useSlowFast && (rep.SlowRequests == 0 || rep.SlowRequests == int64(n)) {
		why := "no route is marked slow"
		if rep.SlowRequests > 0 {
			why = "every request is on a slow route"
		}
		rep.Notes = append(rep.Notes, "slow-fast left out: "+why+" (see --slow-routes)")
		o.Routing = slices.DeleteFunc(slices.Clone(o.Routing), func(p sim.Policy) bool { return p == sim.SlowFast })
		useSlowFast = false
		if len(o.Routing) == 0 {
			return nil, errors.New("slow-fast was the only routing asked for and " + why)
		}
	}

	var h12 int64
	for _, b := range c.h12 {
		if b {
			h12++
		}
	}
	// Sorted by arrival, RunAll uses reqs as they are instead of copying.
	slices.SortStableFunc(reqs, func(a, b sim.Request) int { return cmp.Compare(a.Arrival, b.Arrival) })

	rep.OfferedLoad = sim.OfferedLoad(reqs) * o.Scale
	rep.LittlesLawDynos = rep.OfferedLoad / float64(rep.Workers)
	rep.LittlesLawDynos70 = rep.LittlesLawDynos / 0.7

	base := sim.Config{Workers: rep.Workers, Scale: o.Scale, Seed: o.Seed}
	check := base
	check.Dynos, check.Policy, check.Scale = rep.CurrentDynos, sim.Random, 1

	counts := o.Dynos
	auto := len(counts) == 0
	if auto {
		counts = DefaultDynos(rep.CurrentDynos, o.Scale, rep.LittlesLawDynos)
	}
	var rows []Row
	for round := 0; ; round++ {
		var cfgs []sim.Config
		if round == 0 {
			cfgs = append(cfgs, check)
		}
		for _, d := range counts {
			for _, p := range o.Routing {
				cfg := base
				cfg.Dynos, cfg.Policy = d, p
				if p != sim.SlowFast {
					cfgs = append(cfgs, cfg)
					continue
				}
				for _, k := range slowPoolSizes(d, slowShare) {
					cfg.SlowDynos = k
					cfgs = append(cfgs, cfg)
				}
			}
		}
		res, err := sim.RunAll(reqs, cfgs)
		if err != nil {
			return nil, err
		}
		if round == 0 {
			rep.Check.Dynos, rep.Check.Workers = check.Dynos, check.Workers
			rep.Check.Simulated = fromSim(res[0].Queue)
			res = res[1:]
		}
		rows = append(rows, c.rows(res, o, rep.CurrentDynos)...)
		// Widen a default range until the first policy meets the target.
		if !auto || round >= 3 || slices.ContainsFunc(rows, func(r Row) bool { return r.MeetsTarget && r.Routing == RoutingName(o.Routing[0]) }) {
			break
		}
		hi := counts[len(counts)-1]
		if hi >= MaxDynoCount {
			break
		}
		counts = spread(hi+1, min(MaxDynoCount, hi*2), 12)
	}
	if useSlowFast && slices.ContainsFunc(rows, func(r Row) bool { return r.Dynos == 1 }) {
		rep.Notes = append(rep.Notes, "slow-fast needs at least 2 dynos (one per pool)")
	}
	rep.Rows = rows
	for _, p := range o.Routing {
		name := RoutingName(p)
		rec := Recommendation{Routing: name}
		for i := range rows {
			if rows[i].Routing == name && rows[i].MeetsTarget {
				rows[i].Recommended = true
				rec.Dynos = rows[i].Dynos
				rec.CostPerMonth = rows[i].CostPerMonth
				break
			}
		}
		rep.Recommended = append(rep.Recommended, rec)
	}
	if rep.Skipped.Total() > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d router lines not used (no service time, no dyno, no timestamp or legacy format)", rep.Skipped.Total()))
	}
	if h12 > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d requests timed out (H12) in the log: the router stopped timing them at 30 s, so their app time is understated", h12))
	}
	return rep, nil
}

// rows turns results into rows: slow-fast results for one dyno count are
// folded into the best pool size (lowest target value, then fewer slow
// dynos).
func (c *Collector) rows(res []sim.Result, o Options, current int) []Row {
	var rows []Row
	for i := 0; i < len(res); {
		r := res[i]
		j := i + 1
		if r.Config.Policy == sim.SlowFast {
			for ; j < len(res) && res[j].Config.Policy == sim.SlowFast && res[j].Config.Dynos == r.Config.Dynos; j++ {
				if o.Target.value(res[j]) < o.Target.value(r) {
					r = res[j]
				}
			}
		}
		i = j
		v := o.Target.value(r)
		row := Row{
			Dynos: r.Config.Dynos, Workers: r.Config.Workers, Routing: RoutingName(r.Config.Policy),
			SlowDynos: r.Config.SlowDynos, Utilisation: r.Utilisation, Queued: r.Queued,
			QueueMeanMS: r.Queue.Mean, QueueP50MS: r.Queue.P50, QueueP99MS: r.Queue.P99,
			QueueP999MS: r.Queue.P999, QueueMaxMS: r.Queue.Max,
			TotalP99MS: r.Total.P99, TotalMaxMS: r.Total.Max, H12: r.Timeouts,
			TargetMS: v, MeetsTarget: v < o.Target.LimitMS,
			Current: r.Config.Dynos == current && r.Config.Policy == sim.Random,
		}
		if o.PricePerDyno > 0 {
			cost := float64(row.Dynos) * o.PricePerDyno
			row.CostPerMonth = &cost
		}
		rows = append(rows, row)
	}
	// Slow-fast with one dyno cannot run; show nothing for it.
	return rows
}

// slowPoolSizes returns the slow-pool sizes to try for d dynos when the slow
// routes take the fraction share of the app time: the proportional size
// and one either side, within 1..d-1. It is empty when d < 2.
func slowPoolSizes(d int, share float64) []int {
	if d < 2 {
		return nil
	}
	k := int(math.Round(float64(d) * share))
	var out []int
	for s := k - 1; s <= k+1; s++ {
		if s >= 1 && s <= d-1 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = []int{min(max(k, 1), d-1)}
	}
	return out
}

// DefaultDynos returns the dyno counts planned when none are given: from
// the Little's-law minimum (littles, rounded up, at least 1) to the larger
// of twice the current count scaled and a few above the minimum, at most
// 16 counts spread evenly (always including the current count when it is
// in range).
func DefaultDynos(current int, scale, littles float64) []int {
	lo := 1
	if littles > 0 && !math.IsInf(littles, 0) && !math.IsNaN(littles) {
		lo = int(min(math.Ceil(littles), MaxDynoCount))
	}
	lo = max(lo, 1)
	scaled := int(min(math.Ceil(float64(current)*scale), MaxDynoCount))
	hi := min(max(2*scaled, 2*lo, lo+5), MaxDynoCount)
	out := spread(lo, hi, 16)
	if current >= lo && current <= hi && !slices.Contains(out, current) {
		out = append(out, current)
		slices.Sort(out)
	}
	return out
}

// spread returns up to n counts from lo to hi inclusive, evenly spaced,
// always including both ends.
func spread(lo, hi, n int) []int {
	if hi < lo {
		return nil
	}
	if hi-lo+1 <= n {
		out := make([]int, 0, hi-lo+1)
		for d := lo; d <= hi; d++ {
			out = append(out, d)
		}
		return out
	}
	out := make([]int, 0, n)
	for i := range n {
		out = append(out, lo+int(math.Round(float64(i)*float64(hi-lo)/float64(n-1))))
	}
	return slices.Compact(out)
}

// deQueue estimates every request's app time, one dyno at a time so the
// sim.Observed copies stay small. It returns the requests, in collection
// order, and each one's estimated queueing (service - app) in µs.
func (c *Collector) deQueue(groups [][]int32, workers int) ([]sim.Request, []int64) {
	reqs := make([]sim.Request, len(c.end))
	queued := make([]int64, len(c.end))
	var obs []sim.Observed
	cfg := sim.DeQueueConfig{Workers: workers, MinApp: 1000}
	for d, idx := range groups {
		obs = obs[:0]
		for _, i := range idx {
			obs = append(obs, sim.Observed{
				Dyno: c.dynos[d], End: c.end[i],
				Connect: int64(c.connect[i]) * 1000, Service: int64(c.service[i]) * 1000,
			})
		}
		for k, r := range sim.DeQueue(obs, cfg) {
			i := idx[k]
			reqs[i] = r
			queued[i] = obs[k].Service - r.App
		}
	}
	return reqs, queued
}

// slowRoutes returns, per route index, whether the route goes to the slow
// pool: the routes named in o.SlowRoutes (templated) and, with o.SlowAuto,
// routes whose median estimated app time is at least o.SlowThresholdMS and
// the route with at least half the H12s.
func (c *Collector) slowRoutes(reqs []sim.Request, o Options) []bool {
	slow := make([]bool, len(c.routes))
	var buf []byte
	for _, name := range o.SlowRoutes {
		buf = aggregate.Route(buf[:0], []byte(name))
		if r, ok := c.routeIdx[string(buf)]; ok {
			slow[r] = true
		}
		if r, ok := c.routeIdx[name]; ok {
			slow[r] = true
		}
	}
	if !o.SlowAuto {
		return slow
	}
	apps := make([][]int64, len(c.routes))
	h12 := make([]int64, len(c.routes))
	var allH12 int64
	for i := range reqs {
		r := c.route[i]
		apps[r] = append(apps[r], reqs[i].App)
		if c.h12[i] {
			h12[r]++
			allH12++
		}
	}
	for r, a := range apps {
		slices.Sort(a)
		med := float64(a[(len(a)-1)/2]) / 1000
		if med >= o.SlowThresholdMS || (allH12 > 0 && 2*h12[r] >= allH12) {
			slow[r] = true
		}
	}
	return slow
}

// appTimes returns the requests' app times in µs.
func appTimes(reqs []sim.Request) []int64 {
	out := make([]int64, len(reqs))
	for i, r := range reqs {
		out[i] = r.App
	}
	return out
}

// summarise returns the distribution of µs values in ms, with
// nearest-rank quantiles like sim's. It sorts v.
func summarise(v []int64) Dist {
	if len(v) == 0 {
		return Dist{}
	}
	slices.Sort(v)
	var sum float64
	for _, x := range v {
		sum += float64(x)
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(v)))) - 1
		return float64(v[min(max(i, 0), len(v)-1)]) / 1000
	}
	return Dist{
		MeanMS: sum / float64(len(v)) / 1000,
		P50MS:  q(0.50), P99MS: q(0.99), P999MS: q(0.999),
		MaxMS: float64(v[len(v)-1]) / 1000,
	}
}
