package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poisson returns n requests with Poisson arrivals at rate lambda (per µs)
// and exponential app times of mean meanApp µs, from a fixed seed.
func poisson(n int, lambda, meanApp float64, seed uint64) []Request {
	r := rand.New(rand.NewPCG(seed, 1))
	reqs := make([]Request, n)
	t := 0.0
	for i := range reqs {
		t += r.ExpFloat64() / lambda
		reqs[i] = Request{Arrival: int64(t), App: int64(math.Round(r.ExpFloat64() * meanApp))}
	}
	return reqs
}

// TestQueueingTheory checks simulated queue waits against the M/M/c closed
// forms at utilisation 0.7 with exponential app times (mean 100 ms), 400,000
// Poisson arrivals per case:
//   - Random over N dynos of C workers: each dyno sees Poisson traffic at
//     rate λ/N, so each is an M/M/C queue (M/M/1 when C = 1);
//   - Pooled over N×C workers: one M/M/(N·C) queue.
//
// Checked: the mean wait, the probability of waiting (Erlang C) and the P99
// wait, from P(W > t) = C(c, a)·exp(-(cμ-λ)t).
func TestQueueingTheory(t *testing.T) {
	const (
		n       = 400_000
		meanApp = 100_000.0 // µs
		mu      = 1 / meanApp
		rho     = 0.7
		tolMean = 0.05 // relative
		tolP99  = 0.05 // relative
		tolPW   = 0.02 // absolute, on a probability
	)
	cases := []struct {
		dynos, workers int
		policy         Policy
	}{
		{1, 1, Random},
		{4, 1, Random},
		{3, 4, Random},
		{2, 8, Random},
		{4, 1, Pooled},
		{8, 1, Pooled},
		{2, 4, Pooled},
		{1, 1, LeastConn}, // one dyno: every policy is M/M/C
		{1, 4, LeastConn},
	}
	for i, tc := range cases {
		cfg := Config{Dynos: tc.dynos, Workers: tc.workers, Policy: tc.policy, Seed: 1}
		t.Run(cfg.String(), func(t *testing.T) {
			workers := float64(tc.dynos * tc.workers)
			lambda := rho * workers * mu
			// The queue each request joins: one dyno's share, or all workers.
			ql, qc := lambda/float64(tc.dynos), tc.workers
			if tc.policy == Pooled {
				ql, qc = lambda, tc.dynos*tc.workers
			}
			reqs := poisson(n, lambda, meanApp, uint64(100+i))
			res, err := Run(reqs, cfg)
			if err != nil {
				t.Fatal(err)
			}
			pw := ErlangC(ql, mu, qc)
			wantMean := ErlangCWait(ql, mu, qc) / 1000
			wantP99 := math.Log(pw/0.01) / (float64(qc)*mu - ql) / 1000
			gotPW := float64(res.Queued) / float64(res.Requests)
			t.Logf("mean %.2f ms vs %.2f (%+.1f%%); P99 %.1f ms vs %.1f (%+.1f%%); P(wait) %.3f vs %.3f; util %.3f",
				res.Queue.Mean, wantMean, 100*(res.Queue.Mean/wantMean-1),
				res.Queue.P99, wantP99, 100*(res.Queue.P99/wantP99-1), gotPW, pw, res.Utilisation)
			if math.Abs(res.Queue.Mean/wantMean-1) > tolMean {
				t.Errorf("mean wait %.2f ms, want %.2f ms ± %.0f%%", res.Queue.Mean, wantMean, 100*tolMean)
			}
			if math.Abs(res.Queue.P99/wantP99-1) > tolP99 {
				t.Errorf("P99 wait %.2f ms, want %.2f ms ± %.0f%%", res.Queue.P99, wantP99, 100*tolP99)
			}
			if math.Abs(gotPW-pw) > tolPW {
				t.Errorf("P(wait) %.4f, want %.4f ± %.2f", gotPW, pw, tolPW)
			}
			if math.Abs(res.Utilisation-rho) > 0.01 {
				t.Errorf("utilisation %.3f, want %.2f ± 0.01", res.Utilisation, rho)
			}
		})
	}
}

// TestLeastConnBounds places LeastConn between its bounds. It routes each
// request to the dyno with the fewest in flight, but a request queued there
// cannot move when another dyno frees up (join-the-shortest-queue), so it is
// no better than one shared queue (Pooled, M/M/N) and no worse than Random.
// It is not equal to Erlang C: a queued request waits for its own dyno's
// worker (mean 1/μ when one is ahead) rather than for the first of N
// (1/(Nμ-λ)). The test also pins the gap to Erlang C seen at ρ = 0.7, so a
// change in LeastConn's behaviour shows up.
func TestLeastConnBounds(t *testing.T) {
	const (
		n       = 400_000
		meanApp = 100_000.0
		mu      = 1 / meanApp
	)
	for i, tc := range []struct {
		dynos, workers        int
		rho, ratioLo, ratioHi float64 // LeastConn mean wait / Erlang C mean wait
	}{
		{4, 1, 0.7, 1.3, 1.6},
		{8, 1, 0.7, 1.7, 2.1},
		{2, 4, 0.7, 1.0, 1.2},
		{4, 1, 0.9, 1.0, 1.4},
	} {
		lambda := tc.rho * float64(tc.dynos*tc.workers) * mu
		reqs := poisson(n, lambda, meanApp, uint64(200+i))
		cfg := Config{Dynos: tc.dynos, Workers: tc.workers, Seed: 1}
		t.Run(fmt.Sprintf("%dx%d rho=%g", tc.dynos, tc.workers, tc.rho), func(t *testing.T) {
			var mean [numPolicies]float64
			for _, p := range []Policy{Random, LeastConn, Pooled} {
				cfg.Policy = p
				res, err := Run(reqs, cfg)
				if err != nil {
					t.Fatal(err)
				}
				mean[p] = res.Queue.Mean
			}
			erlang := ErlangCWait(lambda, mu, tc.dynos*tc.workers) / 1000
			ratio := mean[LeastConn] / erlang
			t.Logf("mean wait: pooled %.2f, leastconn %.2f, random %.2f ms; Erlang C %.2f ms; leastconn/ErlangC %.2f",
				mean[Pooled], mean[LeastConn], mean[Random], erlang, ratio)
			if !(mean[Pooled] <= mean[LeastConn] && mean[LeastConn] <= mean[Random]) {
				t.Errorf("want pooled <= leastconn <= random")
			}
			if ratio < tc.ratioLo || ratio > tc.ratioHi {
				t.Errorf("leastconn / Erlang C = %.2f, want %.2f..%.2f", ratio, tc.ratioLo, tc.ratioHi)
			}
		})
	}
}
