package sim_test

import (
	"fmt"

	"github.com/herolog/herolog/internal/sim"
)

// A slow report request (2 s) arrives just before a stream of fast ones
// (50 ms, every 100 ms). With random routing over two dynos some fast
// requests land behind it; a separate slow pool keeps them clear.
func Example() {
	reqs := []sim.Request{{Arrival: 0, App: 2_000_000, Slow: true}}
	for i := range 20 {
		reqs = append(reqs, sim.Request{Arrival: 1000 + int64(i)*100_000, App: 50_000})
	}
	for _, cfg := range []sim.Config{
		{Dynos: 2, Workers: 1, Policy: sim.Random, Seed: 1},
		{Dynos: 2, Workers: 1, Policy: sim.SlowFast, SlowDynos: 1},
	} {
		r, err := sim.Run(reqs, cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-36v fast requests: mean wait %6.1f ms, worst %6.1f ms\n", cfg, r.FastQueue.Mean, r.FastQueue.Max)
	}
	// Output:
	// 2x1 random seed=1                    fast requests: mean wait  862.0 ms, worst 1999.0 ms
	// 2x1 slowfast(random, 1 slow) seed=0  fast requests: mean wait    0.0 ms, worst    0.0 ms
}

// Doubling the traffic on one single-worker dyno: requests every 100 ms that
// take 60 ms start to queue when they come every 50 ms.
func ExampleRun_scale() {
	var reqs []sim.Request
	for i := range 5 {
		reqs = append(reqs, sim.Request{Arrival: int64(i) * 100_000, App: 60_000})
	}
	for _, scale := range []float64{1, 2} {
		r, _ := sim.Run(reqs, sim.Config{Dynos: 1, Workers: 1, Scale: scale})
		fmt.Printf("scale %g: load %.2f, queue mean %.0f ms, max %.0f ms\n", scale, r.Load, r.Queue.Mean, r.Queue.Max)
	}
	// Output:
	// scale 1: load 0.75, queue mean 0 ms, max 0 ms
	// scale 2: load 1.50, queue mean 20 ms, max 40 ms
}

// Heroku's service= includes time queued in the dyno. Two requests reach a
// one-worker dyno 10 ms apart and each needs 100 ms: the router logs 100 ms
// and 190 ms, and DeQueue recovers 100 ms for both.
func ExampleDeQueue() {
	obs := []sim.Observed{
		{Dyno: "web.1", End: 100_000, Service: 100_000},
		{Dyno: "web.1", End: 200_000, Service: 190_000},
	}
	for _, r := range sim.DeQueue(obs, sim.DeQueueConfig{Workers: 1, MinApp: 1000}) {
		fmt.Printf("arrived %3d ms, app %3d ms\n", r.Arrival/1000, r.App/1000)
	}
	// Output:
	// arrived   0 ms, app 100 ms
	// arrived  10 ms, app 100 ms
}

func ExampleErlangCWait() {
	// 4 workers, 28 requests/s of 100 ms each (70% busy), one shared queue.
	fmt.Printf("P(wait) %.3f, mean wait %.1f ms\n", sim.ErlangC(28, 10, 4), 1000*sim.ErlangCWait(28, 10, 4))
	// Output:
	// P(wait) 0.429, mean wait 35.7 ms
}

func ExampleLittlesLaw() {
	// 100 requests/s for 10 s, 150 ms each: 15 workers busy on average; with
	// 4 workers per dyno and 25% headroom that is 5 dynos.
	var reqs []sim.Request
	for i := range 1001 {
		reqs = append(reqs, sim.Request{Arrival: int64(i) * 10_000, App: 150_000})
	}
	fmt.Printf("%.2f dynos\n", sim.LittlesLaw(reqs, 4, 0.25))
	// Output:
	// 5.00 dynos
}
