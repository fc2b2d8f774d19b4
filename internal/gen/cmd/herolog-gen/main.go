// Command herolog-gen writes a synthetic Heroku log (see package gen), for
// benchmarks and manual testing.
//
//	herolog-gen -scenario stuck-dyno -duration 15m -o sample.log
//	herolog-gen -size 1G -format framed > big.log
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/herolog/herolog/internal/gen"
)

func main() {
	var (
		seed     = flag.Uint64("seed", 1, "random seed (same seed, same bytes)")
		duration = flag.Duration("duration", 15*time.Minute, "simulated time span (ignored with -size)")
		rate     = flag.Float64("rate", 0, "arrival rate in requests/s (0: scenario default)")
		dynos    = flag.Int("dynos", 0, "web dynos (0: scenario default)")
		workers  = flag.Int("workers", 0, "concurrent requests per dyno (0: scenario default)")
		scenario = flag.String("scenario", "healthy", "healthy, stuck-dyno, slow-route, too-few-dynos, memory-leak")
		format   = flag.String("format", "cli", "cli, syslog, framed, papertrail-tsv, legacy")
		size     = flag.String("size", "", "write about this many bytes instead of -duration (e.g. 1G, 500M, 64K)")
		out      = flag.String("o", "-", "output file (- for stdout)")
		jitter   = flag.Duration("jitter", 0, "out-of-order jitter of output lines")
		truth    = flag.Bool("truth", false, "print the ground truth to stderr")
	)
	flag.Parse()
	sc, err := gen.ParseScenario(*scenario)
	check(err)
	f, err := gen.ParseFormat(*format)
	check(err)
	g := gen.New(gen.Config{Seed: *seed, Duration: *duration, Rate: *rate, Dynos: *dynos, Workers: *workers,
		Scenario: sc, Format: f, Jitter: *jitter})
	var w io.Writer = os.Stdout
	if *out != "-" {
		file, err := os.Create(*out)
		check(err)
		defer file.Close()
		w = file
	}
	start := time.Now()
	var n int64
	if *size != "" {
		limit, err := parseSize(*size)
		check(err)
		n, err = g.WriteBytes(w, limit)
		check(err)
	} else {
		n, err = g.WriteTo(w)
		check(err)
	}
	el := time.Since(start)
	if *truth {
		t := g.Truth()
		fmt.Fprintf(os.Stderr, "%d bytes, %d lines in %v (%.0f MB/s)\n", n, t.Lines, el.Round(time.Millisecond), float64(n)/1e6/el.Seconds())
		fmt.Fprintf(os.Stderr, "requests=%d h12=%d max_service=%dms per_dyno=%v\nmax_by_dyno=%v sum_by_dyno=%v\nqueued_over_1s=%v h12_by_route=%v\nr14=%d stuck=%s slow=%s leak=%s\n",
			t.Requests, t.H12, t.MaxServiceMS, t.PerDyno, t.MaxServiceByDyno, t.SumServiceByDyno, t.QueuedOver1sByDyno, t.H12ByRoute, t.R14, t.StuckDyno, t.SlowRoute, t.LeakDyno)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s, "B"), "b"))
	switch {
	case strings.HasSuffix(u, "K"):
		mult, u = 1<<10, u[:len(u)-1]
	case strings.HasSuffix(u, "M"):
		mult, u = 1<<20, u[:len(u)-1]
	case strings.HasSuffix(u, "G"):
		mult, u = 1<<30, u[:len(u)-1]
	}
	v, err := strconv.ParseFloat(u, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return int64(v * float64(mult)), nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "herolog-gen:", err)
		os.Exit(1)
	}
}
