package plan

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/internal/sim"
	"github.com/herolog/herolog/parse"
)

// collectGen generates a log, parses it and collects its router requests.
func collectGen(t testing.TB, cfg gen.Config) (*Collector, gen.Truth) {
	t.Helper()
	var buf bytes.Buffer
	g := gen.New(cfg)
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	c := NewCollector()
	rd := parse.NewReader(&buf, parse.NewParser())
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Add(r)
	}
	return c, g.Truth()
}

// req is a router line for hand-made collectors: end and service in ms.
type req struct {
	dyno         string
	end, service int64
	connect      int64
	path         string
	code         string
}

func collect(reqs ...req) *Collector {
	c := NewCollector()
	for _, q := range reqs {
		r := parse.Record{Kind: parse.KindRouter, HasTime: true, Time: q.end * 1000, Dyno: q.dyno,
			Service: q.service, Connect: q.connect, Path: []byte(q.path), Code: q.code,
			Status: 200, Bytes: parse.Missing, Queue: parse.Missing, Wait: parse.Missing}
		if r.Path == nil {
			r.Path = []byte("/")
		}
		c.Add(&r)
	}
	return c
}

func TestCollectorSkips(t *testing.T) {
	c := NewCollector()
	ok := parse.Record{Kind: parse.KindRouter, HasTime: true, Time: 5e6, Dyno: "web.1", Service: 20, Connect: parse.Missing, Path: []byte("/users/42?page=2")}
	add := func(edit func(r *parse.Record)) {
		r := ok
		edit(&r)
		c.Add(&r)
	}
	add(func(r *parse.Record) {})
	add(func(r *parse.Record) { r.Dyno = "web.2"; r.Path = []byte("/users/7") })
	add(func(r *parse.Record) { r.Service = parse.Missing })
	add(func(r *parse.Record) { r.Dyno = "" })
	add(func(r *parse.Record) { r.Dyno = "none" })
	add(func(r *parse.Record) { r.HasTime = false })
	add(func(r *parse.Record) { r.Legacy = true })
	add(func(r *parse.Record) { r.Kind = parse.KindApp })
	add(func(r *parse.Record) { r.Service = math.MaxInt64 })

	want := Skipped{NoService: 1, NoDyno: 2, NoTime: 1, Legacy: 1}
	if c.Skipped != want || c.RouterLines != 8 || c.Requests() != 3 {
		t.Errorf("skipped %+v, router lines %d, requests %d; want %+v, 8, 3", c.Skipped, c.RouterLines, c.Requests(), want)
	}
	if c.Skipped.Total() != 5 {
		t.Errorf("Total = %d, want 5", c.Skipped.Total())
	}
	if !slices.Equal(c.Dynos(), []string{"web.1", "web.2"}) || !slices.Equal(c.routes, []string{"/users/:id"}) {
		t.Errorf("dynos %v routes %v", c.Dynos(), c.routes)
	}
	if c.connect[0] != 0 || c.service[2] != math.MaxInt32 {
		t.Errorf("missing connect = %d, huge service = %d; want 0 and saturated", c.connect[0], c.service[2])
	}
}

func TestCollectorRouteCap(t *testing.T) {
	c := NewCollector()
	r := parse.Record{Kind: parse.KindRouter, HasTime: true, Time: 1, Dyno: "web.1", Service: 1}
	for i := range MaxRoutes + 5 {
		r.Path = []byte("/r" + string(rune('a'+i%26)) + "/x" + itoa(i))
		c.Add(&r)
	}
	if len(c.routes) != MaxRoutes || c.routes[MaxRoutes-1] != OtherRoute || c.Requests() != MaxRoutes+5 || c.route[len(c.route)-1] != MaxRoutes-1 {
		t.Errorf("%d routes, last %q, %d requests", len(c.routes), c.routes[len(c.routes)-1], c.Requests())
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('a' + i%10)}, b...) // letters: never templated as ids
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

func TestInferWorkers(t *testing.T) {
	// nest returns n requests on dyno d reaching 10 ms apart from t0 (ms),
	// each ending 1 ms before the one before it: all n in service at once,
	// the newest finishing first.
	nest := func(d string, t0 int64, n int) []req {
		var out []req
		for i := range int64(n) {
			reach, end := t0+10*i, t0+1000-i
			out = append(out, req{dyno: d, end: end, service: end - reach})
		}
		return out
	}
	tests := []struct {
		name string
		reqs []req
		min  int
		want int
	}{
		{"none", nil, 1, 1},
		{"in turn", []req{{dyno: "web.1", end: 100, service: 100}, {dyno: "web.1", end: 200, service: 100}, {dyno: "web.1", end: 300, service: 100}}, 1, 1},
		{"FIFO on one worker", []req{{dyno: "web.1", end: 100, service: 100}, {dyno: "web.1", end: 200, service: 190}, {dyno: "web.1", end: 300, service: 280}}, 1, 1},
		{"three at once", nest("web.1", 0, 3), 1, 3},
		{"three at once, seen once, min 2", nest("web.1", 0, 3), 2, 2},
		{"three at once twice", append(nest("web.1", 0, 3), nest("web.1", 5000, 3)...), 2, 3},
		{"per dyno, not summed", append(nest("web.1", 0, 3), nest("web.2", 0, 3)...), 1, 3},
		{"under the rounding", []req{{dyno: "web.1", end: 1000, service: 1000}, {dyno: "web.1", end: 500, service: 500}}, 1, 1},
		{"connect makes the order doubtful", []req{{dyno: "web.1", end: 1000, service: 1000}, {dyno: "web.1", end: 500, service: 495, connect: 10}}, 1, 1},
		{"order beyond doubt", []req{{dyno: "web.1", end: 1000, service: 1000}, {dyno: "web.1", end: 500, service: 495, connect: 2}}, 1, 2},
		{"an H12 is no witness", []req{{dyno: "web.1", end: 40000, service: 40000}, {dyno: "web.1", end: 30500, service: 30000, code: "H12"}}, 1, 1},
	}
	for _, tt := range tests {
		c := collect(tt.reqs...)
		if got := c.inferWorkers(c.byDyno(), tt.min); got != tt.want {
			t.Errorf("%s: inferWorkers = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPlanNoRequests(t *testing.T) {
	if _, err := Plan(NewCollector(), Options{}); !errors.Is(err, ErrNoRequests) {
		t.Errorf("Plan(empty) error = %v, want ErrNoRequests", err)
	}
}

// TestPlanGenerated plans generated logs whose dyno count, workers and
// routing (random) are known: the plan must read the dyno count and the
// workers from the log, and replaying at that configuration must give about
// the queueing the log shows.
func TestPlanGenerated(t *testing.T) {
	tests := []struct {
		sc gen.Scenario
		// compare says whether to compare simulated and observed queueing:
		// not for a stuck dyno or a memory leak, where one dyno is slow,
		// which random routing in the replay spreads over all dynos.
		compare bool
	}{
		{gen.Healthy, true},
		{gen.TooFewDynos, true},
		{gen.SlowRoute, true},
		{gen.StuckDyno, false},
		{gen.MemoryLeak, false},
	}
	for _, tt := range tests {
		t.Run(tt.sc.String(), func(t *testing.T) {
			c, truth := collectGen(t, gen.Config{Seed: 3, Scenario: tt.sc, Duration: 5 * time.Minute})
			rep, err := Plan(c, Options{Dynos: []int{truth.Config.Dynos}, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.CurrentDynos != truth.Config.Dynos || rep.Workers != truth.Config.Workers || rep.WorkersSource != "inferred" {
				t.Errorf("read %d dynos × %d workers (%s), truth %d × %d", rep.CurrentDynos, rep.Workers, rep.WorkersSource, truth.Config.Dynos, truth.Config.Workers)
			}
			if rep.Requests != truth.Requests || rep.RouterLines != truth.Requests {
				t.Errorf("requests %d of %d router lines, truth %d", rep.Requests, rep.RouterLines, truth.Requests)
			}
			// The queueing estimate against what the generator knows.
			var over1s int64
			for _, n := range truth.QueuedOver1sByDyno {
				over1s += n
			}
			_, queued := c.deQueue(c.byDyno(), rep.Workers)
			var est int64
			for _, q := range queued {
				if q >= 1_000_000-reachRes {
					est++
				}
			}
			if d := math.Abs(float64(est - over1s)); d > 0.02*float64(over1s)+2 {
				t.Errorf("estimated %d requests queued over 1 s, truth %d", est, over1s)
			}
			if !tt.compare {
				return
			}
			obs, simd := rep.Check.Observed, rep.Check.Simulated
			t.Logf("queue mean %.1f / %.1f ms, p99 %.1f / %.1f ms (log / simulated)", obs.MeanMS, simd.MeanMS, obs.P99MS, simd.P99MS)
			if !near(simd.MeanMS, obs.MeanMS, 0.15, 0.5) || !near(simd.P99MS, obs.P99MS, 0.35, 5) {
				t.Errorf("simulated queue mean %.1f p99 %.1f ms, log %.1f and %.1f ms", simd.MeanMS, simd.P99MS, obs.MeanMS, obs.P99MS)
			}
			// The row at the current count is the check's configuration.
			row := rep.Rows[0]
			if !row.Current || row.Routing != "random" || row.QueueP99MS != simd.P99MS {
				t.Errorf("current row %+v does not match the check %+v", row, simd)
			}
		})
	}
}

// near reports whether got is within rel (relative) or abs (ms) of want.
func near(got, want, rel, abs float64) bool {
	d := math.Abs(got - want)
	return d <= abs || d <= rel*math.Abs(want)
}

// TestPlanPolicies checks the plan's shape and the order the theory
// predicts on a log with too few dynos: at each count the pooled queue is
// no worse than least-connections, which is no worse than random, so the
// recommended counts come in the same order.
func TestPlanPolicies(t *testing.T) {
	c, _ := collectGen(t, gen.Config{Seed: 5, Scenario: gen.TooFewDynos, Duration: 5 * time.Minute})
	o := Options{Dynos: []int{2, 3, 4, 6, 9}, Workers: 2, Routing: []sim.Policy{sim.Random, sim.LeastConn, sim.Pooled}, PricePerDyno: 25, Seed: 1,
		Target: Target{"p99", "queue", 250}}
	rep, err := Plan(c, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.WorkersSource != "flag" || len(rep.Rows) != 15 || len(rep.Recommended) != 3 {
		t.Fatalf("workers from %q, %d rows, %d recommendations", rep.WorkersSource, len(rep.Rows), len(rep.Recommended))
	}
	for i := 0; i < len(rep.Rows); i += 3 {
		r, l, p := rep.Rows[i], rep.Rows[i+1], rep.Rows[i+2]
		if r.Routing != "random" || l.Routing != "least-conn" || p.Routing != "pooled" || r.Dynos != o.Dynos[i/3] || l.Dynos != r.Dynos || p.Dynos != r.Dynos {
			t.Fatalf("rows %d..%d out of order: %s %s %s", i, i+2, r.Routing, l.Routing, p.Routing)
		}
		// One shared queue is not always best for the mean when app times
		// vary (short requests can pass long ones between dynos), so allow
		// 2%.
		if p.QueueMeanMS > 1.02*l.QueueMeanMS+0.01 || l.QueueMeanMS > r.QueueMeanMS+0.01 {
			t.Errorf("%d dynos: queue mean pooled %.2f, least-conn %.2f, random %.2f ms", r.Dynos, p.QueueMeanMS, l.QueueMeanMS, r.QueueMeanMS)
		}
	}
	for i, row := range rep.Rows {
		if row.MeetsTarget != (row.TargetMS < rep.Target.LimitMS) || row.TargetMS != row.QueueP99MS {
			t.Errorf("row %d: target %v ms, p99 %v, meets %v", i, row.TargetMS, row.QueueP99MS, row.MeetsTarget)
		}
		if row.CostPerMonth == nil || *row.CostPerMonth != 25*float64(row.Dynos) {
			t.Errorf("row %d: cost %v for %d dynos at $25", i, row.CostPerMonth, row.Dynos)
		}
	}
	// Each recommendation is the first row of its policy meeting the target.
	for _, rec := range rep.Recommended {
		first := 0
		for _, row := range rep.Rows {
			if row.Routing == rec.Routing && row.MeetsTarget {
				first = row.Dynos
				break
			}
		}
		if rec.Dynos != first {
			t.Errorf("%s: recommended %d, first meeting %d", rec.Routing, rec.Dynos, first)
		}
		marked := 0
		for _, row := range rep.Rows {
			if row.Recommended && row.Routing == rec.Routing {
				marked++
			}
		}
		if marked != min(first, 1) {
			t.Errorf("%s: %d rows marked recommended", rec.Routing, marked)
		}
	}
	rnd, lc, pooled := rep.Recommended[0].Dynos, rep.Recommended[1].Dynos, rep.Recommended[2].Dynos
	if rnd == 0 || lc == 0 || pooled > lc || lc > rnd {
		t.Errorf("recommended random %d, least-conn %d, pooled %d", rnd, lc, pooled)
	}

}

func TestPlanScaleAndSeed(t *testing.T) {
	c, _ := collectGen(t, gen.Config{Seed: 8, Scenario: gen.Healthy, Duration: 3 * time.Minute})
	o := Options{Dynos: []int{2, 4}, Workers: 4, Seed: 1}
	base, err := Plan(c, o)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Plan(c, o)
	if !reflect.DeepEqual(base, again) {
		t.Error("the same options gave different plans")
	}
	o.Seed = 2
	other, _ := Plan(c, o)
	if reflect.DeepEqual(base.Rows[0], other.Rows[0]) {
		t.Error("another seed gave the same random-routing row")
	}
	if other.Rows[1] != base.Rows[1] {
		t.Error("the seed changed a least-conn row, which makes no random choice")
	}
	o.Seed, o.Scale = 1, 3
	scaled, _ := Plan(c, o)
	if !near(scaled.OfferedLoad, 3*base.OfferedLoad, 1e-9, 0) || !near(scaled.LittlesLawDynos, 3*base.LittlesLawDynos, 1e-9, 0) {
		t.Errorf("at 3x: offered load %v, Little's law %v; at 1x %v, %v", scaled.OfferedLoad, scaled.LittlesLawDynos, base.OfferedLoad, base.LittlesLawDynos)
	}
	if !near(base.LittlesLawDynos70*0.7, base.LittlesLawDynos, 1e-9, 0) || !near(base.LittlesLawDynos*float64(base.Workers), base.OfferedLoad, 1e-9, 0) {
		t.Errorf("Little's law %v at 100%%, %v at 70%%, load %v", base.LittlesLawDynos, base.LittlesLawDynos70, base.OfferedLoad)
	}
	for i := range base.Rows {
		if scaled.Rows[i].Utilisation <= base.Rows[i].Utilisation || scaled.Rows[i].QueueMeanMS <= base.Rows[i].QueueMeanMS {
			t.Errorf("row %d at 3x: utilisation %v, queue mean %v; at 1x %v, %v", i,
				scaled.Rows[i].Utilisation, scaled.Rows[i].QueueMeanMS, base.Rows[i].Utilisation, base.Rows[i].QueueMeanMS)
		}
	}
	// The model check replays the log as it was, whatever the scale.
	if scaled.Check != base.Check {
		t.Errorf("check at 3x %+v, at 1x %+v", scaled.Check, base.Check)
	}
}

func TestPlanSlowRoutes(t *testing.T) {
	c, truth := collectGen(t, gen.Config{Seed: 4, Scenario: gen.SlowRoute, Duration: 5 * time.Minute})
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"auto", Options{SlowAuto: true}, []string{truth.SlowRoute}},
		{"auto, high threshold", Options{SlowAuto: true, SlowThresholdMS: 1e9}, []string{truth.SlowRoute}}, // it has most H12s
		{"named", Options{SlowRoutes: []string{"/reports/export"}}, []string{"/reports/export"}},
		{"a path, templated", Options{SlowRoutes: []string{"/api/users/1234?x=1", "/nowhere"}}, []string{"/api/users/:id"}},
		{"none", Options{}, []string{}},
	}
	for _, tt := range tests {
		tt.o.Dynos, tt.o.Routing = []int{1, 4}, []sim.Policy{sim.SlowFast, sim.Random}
		rep, err := Plan(c, tt.o)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(rep.SlowRoutes, tt.want) {
			t.Errorf("%s: slow routes %v, want %v", tt.name, rep.SlowRoutes, tt.want)
		}
		var want int64
		for _, r := range tt.want {
			want += truth.PerRoute[r]
		}
		if rep.SlowRequests != want {
			t.Errorf("%s: %d slow requests, want %d", tt.name, rep.SlowRequests, want)
		}
		var routings []string
		for _, row := range rep.Rows {
			routings = append(routings, row.Routing)
			if row.Routing == "slow-fast" && (row.SlowDynos < 1 || row.SlowDynos >= row.Dynos) {
				t.Errorf("%s: slow-fast row with %d of %d dynos slow", tt.name, row.SlowDynos, row.Dynos)
			}
		}
		wantRoutings := []string{"random", "slow-fast", "random"} // no slow-fast on one dyno
		if len(tt.want) == 0 {
			wantRoutings = []string{"random", "random"}
		}
		if !slices.Equal(routings, wantRoutings) {
			t.Errorf("%s: rows %v, want %v", tt.name, routings, wantRoutings)
		}
	}
	if _, err := Plan(c, Options{Routing: []sim.Policy{sim.SlowFast}}); err == nil {
		t.Error("slow-fast alone without slow routes: no error")
	}
}
