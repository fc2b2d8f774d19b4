package sim

import (
	"fmt"
	"sync"
	"testing"
)

// benchTrace is 1,000,000 Poisson arrivals, 100 ms exponential app times,
// about 10% flagged slow, at utilisation 0.7 on 40 workers.
var benchTrace = sync.OnceValue(func() []Request {
	const workers = 40
	reqs := poisson(1_000_000, 0.7*workers/100_000.0, 100_000, 42)
	for i := range reqs {
		reqs[i].Slow = i%10 == 0
	}
	return reqs
})

// BenchmarkRun simulates the 1M-request trace once per iteration and reports
// ns per request and requests per second.
func BenchmarkRun(b *testing.B) {
	for _, cfg := range []Config{
		{Dynos: 10, Workers: 4, Policy: Random},
		{Dynos: 10, Workers: 4, Policy: LeastConn},
		{Dynos: 10, Workers: 4, Policy: SlowFast, SlowDynos: 2},
		{Dynos: 10, Workers: 4, Policy: SlowFast, SlowDynos: 2, Inner: LeastConn},
		{Dynos: 10, Workers: 4, Policy: Pooled},
		{Dynos: 40, Workers: 1, Policy: LeastConn},
		{Dynos: 1000, Workers: 1, Policy: LeastConn, Scale: 0.04},
	} {
		name := fmt.Sprintf("%dx%d-%v", cfg.Dynos, cfg.Workers, cfg.Policy)
		if cfg.Policy == SlowFast {
			name += "-" + cfg.Inner.String()
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(benchTrace(), cfg); err != nil {
					b.Fatal(err)
				}
			}
			perReq := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(len(benchTrace()))
			b.ReportMetric(perReq, "ns/req")
			b.ReportMetric(1e9/perReq, "req/s")
		})
	}
}

// BenchmarkRunAll runs 8 configurations of the 1M-request trace in parallel.
func BenchmarkRunAll(b *testing.B) {
	var cfgs []Config
	for d := 8; d <= 15; d++ {
		cfgs = append(cfgs, Config{Dynos: d, Workers: 4, Policy: Random, Seed: uint64(d)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RunAll(benchTrace(), cfgs); err != nil {
			b.Fatal(err)
		}
	}
	perReq := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(len(benchTrace())*len(cfgs))
	b.ReportMetric(perReq, "ns/req")
	b.ReportMetric(1e9/perReq, "req/s")
}

// BenchmarkDeQueue estimates app times for the 1M-request trace on 10 dynos.
func BenchmarkDeQueue(b *testing.B) {
	cfg := Config{Dynos: 10, Workers: 4}
	dyno, _, end := refRun(benchTrace(), cfg)
	obs := make([]Observed, len(benchTrace()))
	names := make([]string, cfg.Dynos)
	for d := range names {
		names[d] = fmt.Sprintf("web.%d", d+1)
	}
	for i, r := range benchTrace() {
		obs[i] = Observed{Dyno: names[dyno[i]], End: end[i], Service: end[i] - r.Arrival}
	}
	b.ReportAllocs()
	for b.Loop() {
		DeQueue(obs, DeQueueConfig{Workers: cfg.Workers, MinApp: 1000})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(obs)), "ns/req")
}
