package sim

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

const ms = 1000 // µs

// refRun is a deliberately naive simulator to check Run against: linear
// scans instead of heaps and trees, in-flight counts recomputed from scratch.
// It returns each request's dyno, start and end (µs), in the order of reqs,
// which must be sorted by arrival.
func refRun(reqs []Request, cfg Config) (dyno []int, start, end []int64) {
	cfg = cfg.normalized()
	N, C := cfg.Dynos, cfg.Workers
	free := make([][]int64, N) // per dyno, per worker
	for d := range free {
		free[d] = make([]int64, C)
		for w := range free[d] {
			free[d][w] = math.MinInt64
		}
	}
	var inflight [][]int64 = make([][]int64, N) // ends of requests sent to each dyno
	rng := rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)
	t0 := int64(0)
	if len(reqs) > 0 {
		t0 = reqs[0].Arrival
	}
	for _, r := range reqs {
		a := t0 + int64(math.Round(float64(r.Arrival-t0)/cfg.Scale))
		app := max(r.App, 0)
		lo, n := 0, N
		if cfg.Policy == SlowFast {
			if r.Slow {
				lo, n = N-cfg.SlowDynos, cfg.SlowDynos
			} else {
				n = N - cfg.SlowDynos
			}
		}
		policy := cfg.Policy
		if policy == SlowFast {
			policy = cfg.Inner
		}
		var d, w int
		switch policy {
		case Random:
			hi, _ := bits.Mul64(rng.Uint64(), uint64(n))
			d = lo + int(hi)
		case LeastConn:
			best := math.MaxInt
			for dd := lo; dd < lo+n; dd++ {
				c := 0
				for _, e := range inflight[dd] {
					if e > a {
						c++
					}
				}
				if c < best {
					best, d = c, dd
				}
			}
		case Pooled:
			for dd := range N {
				for ww := range C {
					if free[dd][ww] < free[d][w] {
						d, w = dd, ww
					}
				}
			}
		}
		if policy != Pooled {
			w = 0
			for ww := range C {
				if free[d][ww] < free[d][w] {
					w = ww
				}
			}
		}
		s := max(a, free[d][w])
		free[d][w] = s + app
		inflight[d] = append(inflight[d], s+app)
		dyno = append(dyno, d)
		start = append(start, s)
		end = append(end, s+app)
	}
	return dyno, start, end
}

// refResult summarises refRun the slow, obvious way.
func refResult(reqs []Request, cfg Config) (queue, total, fast, slow Dist, timeouts int64) {
	_, start, end := refRun(reqs, cfg)
	t0 := reqs[0].Arrival
	var q, tot, qf, qs []int64
	var sq, st, sf, ss int64
	for i, r := range reqs {
		a := t0 + int64(math.Round(float64(r.Arrival-t0)/cfg.normalized().Scale))
		q = append(q, start[i]-a)
		tot = append(tot, end[i]-a)
		sq += start[i] - a
		if r.Slow {
			qs = append(qs, start[i]-a)
			ss += start[i] - a
		} else {
			qf = append(qf, start[i]-a)
			sf += start[i] - a
		}
		st += end[i] - a
		if end[i]-a > cfg.normalized().Timeout {
			timeouts++
		}
	}
	slices.Sort(q)
	slices.Sort(tot)
	slices.Sort(qf)
	slices.Sort(qs)
	return summarise(q, sq), summarise(tot, st), summarise(qf, sf), summarise(qs, ss), timeouts
}

// bursty returns n requests with clumped arrivals (many at the same
// microsecond), heavy-tailed app times and about 10% flagged slow.
func bursty(n int, seed uint64) []Request {
	r := rand.New(rand.NewPCG(seed, 2))
	reqs := make([]Request, n)
	t := int64(0)
	for i := range reqs {
		if r.IntN(4) != 0 {
			t += int64(r.ExpFloat64() * 20 * ms)
		}
		slow := r.IntN(10) == 0
		app := int64(math.Exp(r.NormFloat64()*1.2) * 30 * ms)
		if slow {
			app *= 20
		}
		reqs[i] = Request{Arrival: t, App: app, Slow: slow}
	}
	return reqs
}

// TestAgainstReference runs every policy on bursty traces of various sizes
// and compares with the naive simulator: the results must be identical.
func TestAgainstReference(t *testing.T) {
	for i, size := range []int{1, 7, 300, 5000} {
		reqs := bursty(size, uint64(i))
		for _, cfg := range []Config{
			{Dynos: 1, Workers: 1},
			{Dynos: 5, Workers: 1, Policy: Random, Seed: 9},
			{Dynos: 7, Workers: 3, Policy: Random, Scale: 1.7},
			{Dynos: 5, Workers: 1, Policy: LeastConn},
			{Dynos: 6, Workers: 4, Policy: LeastConn, Scale: 3},
			{Dynos: 3, Workers: 2, Policy: Pooled},
			{Dynos: 5, Workers: 2, Policy: SlowFast, SlowDynos: 2, Seed: 4},
			{Dynos: 9, Workers: 1, Policy: SlowFast, SlowDynos: 1, Inner: LeastConn},
			{Dynos: 4, Workers: 3, Policy: SlowFast, SlowDynos: 3, Inner: LeastConn, Timeout: 500 * ms},
		} {
			t.Run(fmt.Sprintf("n=%d/%v", size, cfg), func(t *testing.T) {
				got, err := Run(reqs, cfg)
				if err != nil {
					t.Fatal(err)
				}
				q, tot, qf, qs, to := refResult(reqs, cfg)
				if got.Queue != q || got.Total != tot || got.Timeouts != to {
					t.Errorf("Run:       queue %+v total %+v timeouts %d\nreference: queue %+v total %+v timeouts %d",
						got.Queue, got.Total, got.Timeouts, q, tot, to)
				}
				if got.FastQueue != qf || got.SlowQueue != qs {
					t.Errorf("Run:       fast %+v slow %+v\nreference: fast %+v slow %+v", got.FastQueue, got.SlowQueue, qf, qs)
				}
			})
		}
	}
}

func TestEdgeCases(t *testing.T) {
	even := func(n int, gap, app int64) []Request { // n requests gap µs apart
		reqs := make([]Request, n)
		for i := range reqs {
			reqs[i] = Request{Arrival: 1e12 + int64(i)*gap, App: app}
		}
		return reqs
	}
	same := even(10, 0, 100*ms)
	timeouts := []Request{{Arrival: 0, App: 20e6}, {Arrival: 1e6, App: 20e6}}
	isolation := append([]Request{{Arrival: 0, App: 10e6, Slow: true}}, even(20, 100*ms, 50*ms)...)
	for i := range isolation[1:] {
		isolation[1+i].Arrival = 1*ms + int64(i)*100*ms
	}
	for _, tc := range []struct {
		name  string
		reqs  []Request
		cfg   Config
		check func(t *testing.T, r Result)
	}{
		{"empty", nil, Config{Dynos: 3, Workers: 2}, func(t *testing.T, r Result) {
			want := Result{Config: Config{Dynos: 3, Workers: 2, Scale: 1, Timeout: DefaultTimeout}}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("got %+v, want %+v", r, want)
			}
		}},
		{"one request", []Request{{Arrival: 5, App: 40 * ms}}, Config{Dynos: 2, Workers: 1, Policy: LeastConn}, func(t *testing.T, r Result) {
			if r.Requests != 1 || r.Queue != (Dist{}) || r.Total != (Dist{40, 40, 40, 40, 40, 40}) ||
				r.Utilisation != 0.5 || !math.IsInf(r.Load, 1) || r.Span != 40*ms {
				t.Errorf("got %+v", r)
			}
		}},
		{"same instant, pooled", same, Config{Dynos: 2, Workers: 1, Policy: Pooled}, func(t *testing.T, r Result) {
			// waits 0,0,100,100,...,400,400 ms
			if r.Queue != (Dist{Mean: 200, P50: 200, P90: 400, P99: 400, P999: 400, Max: 400}) || r.Queued != 8 || r.Utilisation != 1 {
				t.Errorf("got %+v", r)
			}
		}},
		{"same instant, leastconn = pooled", same, Config{Dynos: 2, Workers: 1, Policy: LeastConn}, func(t *testing.T, r Result) {
			if r.Queue.Mean != 200 || r.Queue.Max != 400 {
				t.Errorf("got %+v", r.Queue)
			}
		}},
		{"same instant, 1x10 no wait", same, Config{Dynos: 1, Workers: 10}, func(t *testing.T, r Result) {
			if r.Queue != (Dist{}) || r.Total.Max != 100 {
				t.Errorf("got %+v", r)
			}
		}},
		{"a completion at the arrival instant frees the dyno", []Request{{0, 200 * ms, false}, {0, 100 * ms, false}, {100 * ms, 50 * ms, false}},
			Config{Dynos: 2, Workers: 1, Policy: LeastConn}, func(t *testing.T, r Result) {
				// dyno 0 busy until 200 ms, dyno 1 until 100 ms: the third
				// request goes to dyno 1 and does not wait.
				if r.Queue.Max != 0 {
					t.Errorf("got %+v", r.Queue)
				}
			}},
		{"negative app is zero", []Request{{0, -5, false}, {0, 10 * ms, false}}, Config{Dynos: 1, Workers: 1}, func(t *testing.T, r Result) {
			if r.Queue.Max != 0 || r.Total.Max != 10 {
				t.Errorf("got %+v", r)
			}
		}},
		{"scale 1: no queue", even(5, 100*ms, 60*ms), Config{Dynos: 1, Workers: 1}, func(t *testing.T, r Result) {
			if r.Queue.Max != 0 || math.Abs(r.Load-0.75) > 1e-9 {
				t.Errorf("got %+v", r)
			}
		}},
		{"scale 2: gaps halve", even(5, 100*ms, 60*ms), Config{Dynos: 1, Workers: 1, Scale: 2}, func(t *testing.T, r Result) {
			// arrivals every 50 ms, 60 ms each: waits 0,10,20,30,40 ms
			if r.Queue.Mean != 20 || r.Queue.Max != 40 || math.Abs(r.Load-1.5) > 1e-9 || r.Span != 300*ms {
				t.Errorf("got %+v", r)
			}
		}},
		{"scale 0.5: gaps double", even(5, 100*ms, 60*ms), Config{Dynos: 1, Workers: 1, Scale: 0.5}, func(t *testing.T, r Result) {
			if r.Span != 4*200*ms+60*ms {
				t.Errorf("got %+v", r)
			}
		}},
		{"timeouts: second waits 19 s", timeouts, Config{Dynos: 1, Workers: 1}, func(t *testing.T, r Result) {
			if r.Timeouts != 1 || r.Total.Max != 39e3 {
				t.Errorf("got %+v", r)
			}
		}},
		{"timeouts: 10 s", timeouts, Config{Dynos: 1, Workers: 1, Timeout: 10e6}, func(t *testing.T, r Result) {
			if r.Timeouts != 2 {
				t.Errorf("got %d timeouts", r.Timeouts)
			}
		}},
		{"timeouts: disabled", timeouts, Config{Dynos: 1, Workers: 1, Timeout: -1}, func(t *testing.T, r Result) {
			if r.Timeouts != 0 {
				t.Errorf("got %d timeouts", r.Timeouts)
			}
		}},
		{"timeouts: exactly at the limit is not one", []Request{{0, 30e6, false}}, Config{Dynos: 1, Workers: 1}, func(t *testing.T, r Result) {
			if r.Timeouts != 0 {
				t.Errorf("got %d timeouts", r.Timeouts)
			}
		}},
		{"slowfast: a slow request never delays a fast one", isolation, Config{Dynos: 2, Workers: 1, Policy: SlowFast, SlowDynos: 1}, func(t *testing.T, r Result) {
			if r.FastQueue != (Dist{}) || r.Slow != 1 || r.SlowQueue != (Dist{}) || r.Queue != (Dist{}) {
				t.Errorf("got %+v", r)
			}
		}},
		{"slowfast, leastconn inside", isolation, Config{Dynos: 3, Workers: 1, Policy: SlowFast, SlowDynos: 1, Inner: LeastConn}, func(t *testing.T, r Result) {
			if r.FastQueue != (Dist{}) {
				t.Errorf("got %+v", r)
			}
		}},
		{"random: the same slow request does delay fast ones", isolation, Config{Dynos: 2, Workers: 1, Seed: 3}, func(t *testing.T, r Result) {
			if r.FastQueue.Max < 5000 || r.SlowQueue != (Dist{}) {
				t.Errorf("got %+v", r)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Run(tc.reqs, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r)
		})
	}
}

func TestDeterminism(t *testing.T) {
	reqs := bursty(20000, 5)
	cfgs := []Config{
		{Dynos: 8, Workers: 2, Seed: 1},
		{Dynos: 8, Workers: 2, Seed: 2},
		{Dynos: 8, Workers: 2, Policy: LeastConn},
		{Dynos: 8, Workers: 2, Policy: SlowFast, SlowDynos: 2, Seed: 1},
		{Dynos: 8, Workers: 2, Policy: SlowFast, SlowDynos: 2, Inner: LeastConn},
		{Dynos: 8, Workers: 2, Policy: Pooled, Scale: 1.5},
	}
	all, err := RunAll(reqs, cfgs)
	if err != nil {
		t.Fatal(err)
	}
	// Unsorted input gives the same answer as sorted (arrivals here are
	// distinct or, when tied, identical apart from order among equals... so
	// use a trace with distinct arrivals).
	distinct := slices.Clone(reqs)
	for i := range distinct {
		distinct[i].Arrival = int64(i) * 7 * ms
	}
	shuffled := slices.Clone(distinct)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i, cfg := range cfgs {
		a, _ := Run(reqs, cfg)
		b, _ := Run(reqs, cfg)
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(a, all[i]) {
			t.Errorf("%v: Run twice and RunAll differ:\n%+v\n%+v\n%+v", cfg, a, b, all[i])
		}
		s, _ := Run(distinct, cfg)
		u, _ := Run(shuffled, cfg)
		if !reflect.DeepEqual(s, u) {
			t.Errorf("%v: shuffled input changes the result", cfg)
		}
	}
	if reflect.DeepEqual(all[0].Queue, all[1].Queue) {
		t.Errorf("seeds 1 and 2 gave the same queue: %+v", all[0].Queue)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{Dynos: 0, Workers: 1},
		{Dynos: 1, Workers: 0},
		{Dynos: 1, Workers: 1, Policy: numPolicies},
		{Dynos: 1, Workers: 1, Scale: -1},
		{Dynos: 1, Workers: 1, Scale: math.NaN()},
		{Dynos: 1, Workers: 1, Scale: math.Inf(1)},
		{Dynos: 2, Workers: 1, Policy: SlowFast},
		{Dynos: 2, Workers: 1, Policy: SlowFast, SlowDynos: 2},
		{Dynos: 2, Workers: 1, Policy: SlowFast, SlowDynos: 1, Inner: SlowFast},
		{Dynos: 1 << 20, Workers: 1 << 10},
	} {
		if _, err := Run(nil, c); err == nil {
			t.Errorf("%+v: no error", c)
		}
		if _, err := RunAll(nil, []Config{{Dynos: 1, Workers: 1}, c}); err == nil {
			t.Errorf("RunAll %+v: no error", c)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	for p := range numPolicies {
		for _, s := range []string{p.String(), "  "[:0] + fmt.Sprint(p)} {
			got, err := ParsePolicy(s)
			if err != nil || got != p {
				t.Errorf("ParsePolicy(%q) = %v, %v", s, got, err)
			}
		}
	}
	for s, want := range map[string]Policy{"Least-Conn": LeastConn, "slow_fast": SlowFast, "RANDOM": Random} {
		if got, err := ParsePolicy(s); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParsePolicy("roundrobin"); err == nil {
		t.Error("ParsePolicy(roundrobin): no error")
	}
	if s := Policy(42).String(); s != "policy(42)" {
		t.Errorf("Policy(42) = %q", s)
	}
}

// TestDeQueue replays a trace through the reference simulator, writes what
// the router would log, and checks that DeQueue recovers the app times.
func TestDeQueue(t *testing.T) {
	reqs := bursty(20000, 8)
	for _, c := range []int{1, 3} {
		cfg := Config{Dynos: 4, Workers: c, Seed: 2}
		dyno, _, end := refRun(reqs, cfg)
		obs := make([]Observed, len(reqs))
		for i, r := range reqs {
			// The simulated arrival is when the dyno got the request; the
			// router got it connect earlier.
			connect := int64(i % 3 * ms)
			obs[i] = Observed{
				Dyno: fmt.Sprintf("web.%d", dyno[i]+1), End: end[i],
				Connect: connect, Service: end[i] - r.Arrival, Slow: r.Slow,
			}
		}
		got := DeQueue(obs, DeQueueConfig{Workers: c, Resolution: -1})
		queued := 0
		for i, r := range reqs {
			if obs[i].Service != r.App {
				queued++
			}
			want := r
			want.Arrival -= obs[i].Connect
			if got[i] != want {
				t.Fatalf("workers=%d: request %d: got %+v, want %+v (observed %+v)", c, i, got[i], r, obs[i])
			}
		}
		if queued < len(reqs)/10 {
			t.Errorf("workers=%d: only %d requests queued; the test proves little", c, queued)
		}
		// Claiming more workers than there are finds less queueing: app
		// times are larger, never above service.
		over := DeQueue(obs, DeQueueConfig{Workers: c + 8, Resolution: -1})
		var sumGot, sumOver int64
		for i := range over {
			if over[i].App < got[i].App || over[i].App > obs[i].Service {
				t.Fatalf("workers=%d+8: request %d app %d, outside [%d, %d]", c, i, over[i].App, got[i].App, obs[i].Service)
			}
			sumGot += got[i].App
			sumOver += over[i].App
		}
		if sumOver <= sumGot {
			t.Errorf("overstating workers did not raise app times")
		}
		// Real logs have service= in whole ms, so requests reaching a dyno
		// less than 1 ms apart are in doubt. With one worker the estimate
		// stays within a millisecond of the truth; with more, single
		// requests can swap app times but the distribution, which is what
		// the simulation uses, stays put.
		for i := range obs {
			obs[i].Service = (obs[i].Service + ms/2) / ms * ms
		}
		rounded := DeQueue(obs, DeQueueConfig{Workers: c})
		var worst int64
		truth, est, svc := make([]int64, len(reqs)), make([]int64, len(reqs)), make([]int64, len(reqs))
		for i, r := range reqs {
			e := rounded[i].App - r.App
			worst = max(worst, e, -e)
			truth[i], est[i], svc[i] = r.App, rounded[i].App, obs[i].Service
		}
		if c == 1 && worst > ms {
			t.Errorf("workers=1, service in ms: worst error %d µs, want <= 1 ms", worst)
		}
		dist := func(s []int64) Dist {
			slices.Sort(s)
			var sum int64
			for _, v := range s {
				sum += v
			}
			return summarise(s, sum)
		}
		close := func(got, want Dist) bool {
			near := func(g, w float64) bool { return math.Abs(g-w) <= max(0.02*w, 1) }
			return math.Abs(got.Mean/want.Mean-1) < 0.01 && near(got.P50, want.P50) && near(got.P90, want.P90) && near(got.P99, want.P99)
		}
		wantD, gotD := dist(truth), dist(est)
		t.Logf("workers=%d, service in ms: app %+v, estimate %+v, worst single error %d µs", c, wantD, gotD, worst)
		if !close(gotD, wantD) {
			t.Errorf("workers=%d, service in ms: estimated app %+v, want %+v (mean ±1%%, quantiles ±2%% or 1 ms)", c, gotD, wantD)
		}
		if close(dist(svc), wantD) {
			t.Errorf("workers=%d: service alone passes as app time; the trace has too little queueing to test DeQueue", c)
		}
	}
}

func TestDeQueueFloor(t *testing.T) {
	// Two requests reach web.1 at 0 and 10 ms and both end at 100 ms: with
	// one FIFO worker the second started at 100 ms, app 0: raised to the
	// floor. On web.2 the second request started at 50 ms, app 1 ms: raised
	// to the floor but not above its service, 2 ms.
	obs := []Observed{
		{Dyno: "web.1", End: 100 * ms, Service: 100 * ms},
		{Dyno: "web.1", End: 100 * ms, Service: 90 * ms},
		{Dyno: "web.1", End: 150 * ms, Service: 50 * ms},
		{Dyno: "web.2", End: 50 * ms, Service: 2 * ms, Connect: 1 * ms},
		{Dyno: "web.2", End: 51 * ms, Service: 2 * ms},
	}
	got := DeQueue(obs, DeQueueConfig{Workers: 1, MinApp: 5 * ms})
	want := []Request{
		{Arrival: 0, App: 100 * ms},
		{Arrival: 10 * ms, App: 5 * ms},
		{Arrival: 100 * ms, App: 50 * ms}, // the worker came free at the observed 100 ms
		{Arrival: 47 * ms, App: 2 * ms},
		{Arrival: 49 * ms, App: 2 * ms},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestLittlesLaw(t *testing.T) {
	// 11 requests over 1 s, 200 ms each: 2.2 workers busy on average.
	reqs := make([]Request, 11)
	for i := range reqs {
		reqs[i] = Request{Arrival: int64(i) * 100 * ms, App: 200 * ms}
	}
	if got := OfferedLoad(reqs); math.Abs(got-2.2) > 1e-12 {
		t.Errorf("OfferedLoad = %v, want 2.2", got)
	}
	if got := LittlesLaw(reqs, 2, 0.45); math.Abs(got-2) > 1e-12 {
		t.Errorf("LittlesLaw = %v, want 2", got)
	}
	if got := OfferedLoad(nil); got != 0 {
		t.Errorf("OfferedLoad(nil) = %v", got)
	}
	if got := OfferedLoad(reqs[:1]); !math.IsInf(got, 1) {
		t.Errorf("OfferedLoad(one) = %v, want +Inf", got)
	}
	if got := LittlesLaw(reqs, 0, 0); !math.IsNaN(got) {
		t.Errorf("LittlesLaw(workers 0) = %v, want NaN", got)
	}
}

func TestErlangC(t *testing.T) {
	// Textbook values: M/M/1 P(wait) = rho; M/M/2 at a = 1: C = 1/3.
	for _, tc := range []struct {
		lambda, mu float64
		c          int
		pw, wait   float64
	}{
		{0.7, 1, 1, 0.7, 0.7 / 0.3},
		{1, 1, 2, 1.0 / 3, 1.0 / 3},
		{2, 1, 2, 1, math.Inf(1)},
	} {
		if pw := ErlangC(tc.lambda, tc.mu, tc.c); math.Abs(pw-tc.pw) > 1e-12 {
			t.Errorf("ErlangC(%v, %v, %d) = %v, want %v", tc.lambda, tc.mu, tc.c, pw, tc.pw)
		}
		if w := ErlangCWait(tc.lambda, tc.mu, tc.c); w != tc.wait && math.Abs(w-tc.wait) > 1e-12 {
			t.Errorf("ErlangCWait(%v, %v, %d) = %v, want %v", tc.lambda, tc.mu, tc.c, w, tc.wait)
		}
	}
	// Large c must not overflow: 1000 servers at 95%.
	if pw := ErlangC(950, 1, 1000); !(pw > 0 && pw < 1) {
		t.Errorf("ErlangC(950, 1, 1000) = %v", pw)
	}
}

// TestSummarise pins the quantile definition (nearest rank) and the sort,
// including values too large for the sort's usual number of passes.
func TestSummarise(t *testing.T) {
	s := make([]int64, 1000)
	var sum int64
	for i := range s {
		s[i] = int64(1000-i) * ms // 1000 ms down to 1 ms
		sum += s[i]
	}
	sortInt64s(s, make([]int64, len(s)))
	want := Dist{Mean: 500.5, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}
	if got := summarise(s, sum); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := summarise([]int64{7000}, 7000); got != (Dist{7, 7, 7, 7, 7, 7}) {
		t.Errorf("one value: got %+v", got)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{0, 1, 511, 512, 513, 100_000} {
		for _, limit := range []int64{1, 1 << 11, 1 << 22, 1 << 40, math.MaxInt64} {
			v := make([]int64, n)
			for i := range v {
				v[i] = r.Int64N(limit)
			}
			want := slices.Sorted(slices.Values(v))
			sortInt64s(v, make([]int64, n))
			if !slices.Equal(v, want) {
				t.Fatalf("n=%d limit=%d: sortInt64s wrong", n, limit)
			}
		}
	}
}
