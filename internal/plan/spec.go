package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herolog/herolog/internal/sim"
)

// Target is the service level a dyno count must meet: Metric of What below
// Limit, e.g. "p99 queue < 100ms".
type Target struct {
	// Metric is one of p50, p90, p99, p999, max, mean.
	Metric string `json:"metric"`
	// Of is "queue" (the time waiting for a worker) or "total" (queue plus
	// app time: what the router logs as service).
	Of string `json:"of"`
	// LimitMS is the bound in milliseconds; the target is met when the value
	// is strictly below it.
	LimitMS float64 `json:"limit_ms"`
}

// DefaultTarget is the target when none is given: p99 queue < 100ms.
var DefaultTarget = Target{Metric: "p99", Of: "queue", LimitMS: 100}

// String returns the target as ParseTarget reads it, e.g. "p99 queue < 100ms".
func (t Target) String() string {
	return fmt.Sprintf("%s %s < %s", t.Metric, t.Of, fmtMS(t.LimitMS))
}

// fmtMS formats a millisecond bound the way a user writes one.
func fmtMS(ms float64) string {
	return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
}

var metrics = []string{"p50", "p90", "p99", "p999", "max", "mean"}

// ParseTarget reads a target such as "p99 queue < 100ms", "p99.9 total<2s"
// or "max queue < 1500" (a bare number is milliseconds). The metric is one
// of p50, p90, p99, p999 (or p99.9), max, mean; the quantity queue or total.
func ParseTarget(s string) (Target, error) {
	bad := func(why string) (Target, error) {
		return Target{}, fmt.Errorf("target %q: %s (want e.g. 'p99 queue < 100ms': p50|p90|p99|p999|max|mean of queue|total, then < and a duration)", s, why)
	}
	lhs, rhs, ok := strings.Cut(s, "<")
	if !ok {
		return bad("no '<'")
	}
	f := strings.Fields(strings.ToLower(lhs))
	if len(f) != 2 {
		return bad("want a metric and a quantity before '<'")
	}
	var t Target
	t.Metric = strings.ReplaceAll(f[0], ".", "")
	if !slices.Contains(metrics, t.Metric) {
		return bad("unknown metric " + strconv.Quote(f[0]))
	}
	t.Of = f[1]
	if t.Of != "queue" && t.Of != "total" {
		return bad("unknown quantity " + strconv.Quote(f[1]))
	}
	v := strings.TrimSpace(rhs)
	if ms, err := strconv.ParseFloat(v, 64); err == nil {
		t.LimitMS = ms
	} else if d, err := time.ParseDuration(v); err == nil {
		t.LimitMS = float64(d) / float64(time.Millisecond)
	} else {
		return bad("bad duration " + strconv.Quote(v))
	}
	if !(t.LimitMS > 0) || math.IsInf(t.LimitMS, 0) {
		return bad("the limit must be above zero")
	}
	return t, nil
}

// value returns the target's metric from a simulation result, in ms.
func (t Target) value(r sim.Result) float64 {
	d := r.Queue
	if t.Of == "total" {
		d = r.Total
	}
	switch t.Metric {
	case "p50":
		return d.P50
	case "p90":
		return d.P90
	case "p999":
		return d.P999
	case "max":
		return d.Max
	case "mean":
		return d.Mean
	}
	return d.P99
}

// MaxDynoCount is the largest dyno count ParseDynos accepts, and
// MaxDynoCounts the most counts in one plan.
const (
	MaxDynoCount  = 1000
	MaxDynoCounts = 100
)

// ParseDynos reads the dyno counts to plan for: a comma-separated list of
// counts and ranges, e.g. "2..12", "4,8,16" or "2..6,10". The result is
// sorted without duplicates, each between 1 and MaxDynoCount, at most
// MaxDynoCounts of them.
func ParseDynos(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "..")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("dynos %q: %q is not a count or a range like 2..12", s, part)
		case a < 1 || b > MaxDynoCount:
			return nil, fmt.Errorf("dynos %q: counts must be between 1 and %d", s, MaxDynoCount)
		case b < a:
			return nil, fmt.Errorf("dynos %q: range %q runs backwards", s, part)
		case b-a+1 > MaxDynoCounts:
			return nil, fmt.Errorf("dynos %q: more than %d counts", s, MaxDynoCounts)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxDynoCounts {
		return nil, fmt.Errorf("dynos %q: more than %d counts", s, MaxDynoCounts)
	}
	return out, nil
}

// MaxScale is the largest traffic scale ParseScale accepts.
const MaxScale = 1000

// ParseScale reads a traffic multiplier: "2x", "2", "0.5x", "150%". It
// must be above zero and at most MaxScale.
func ParseScale(s string) (float64, error) {
	v := strings.TrimSpace(strings.ToLower(s))
	div := 1.0
	switch {
	case strings.HasSuffix(v, "x"):
		v = strings.TrimSuffix(v, "x")
	case strings.HasSuffix(v, "%"):
		v, div = strings.TrimSuffix(v, "%"), 100
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f > 0) || f/div > MaxScale {
		return 0, fmt.Errorf("scale %q: want a multiplier above 0 and at most %d, like 2x or 1.5", s, MaxScale)
	}
	return f / div, nil
}

// Routing names as the plan shows them.
var routingNames = map[sim.Policy]string{
	sim.Random:    "random",
	sim.LeastConn: "least-conn",
	sim.SlowFast:  "slow-fast",
	sim.Pooled:    "pooled",
}

// RoutingName returns the name the plan shows for a policy: random,
// least-conn, slow-fast or pooled.
func RoutingName(p sim.Policy) string {
	if n, ok := routingNames[p]; ok {
		return n
	}
	return p.String()
}

// ParseRouting reads a comma-separated list of routing policies (random,
// least-conn, slow-fast, pooled; "-" and "_" optional), in the order given,
// without duplicates.
func ParseRouting(s string) ([]sim.Policy, error) {
	var out []sim.Policy
	for part := range strings.SplitSeq(s, ",") {
		p, err := sim.ParsePolicy(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("routing %q: unknown policy %q (want random, least-conn, slow-fast or pooled)", s, strings.TrimSpace(part))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}
