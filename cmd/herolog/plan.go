package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/herolog/herolog/internal/plan"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// planCmd is `herolog plan`.
type planCmd struct {
	inputFlags    `embed:""`
	progressFlags `embed:""`

	Dynos      string  `help:"Dyno counts to simulate: a range (2..12), a list (2,4,8) or both; default from the Little's-law minimum to twice the current count." placeholder:"N..M" group:"Plan"`
	Workers    int     `help:"Requests one dyno serves at once: processes × threads (WEB_CONCURRENCY × RAILS_MAX_THREADS); 0 infers it from the log." default:"0" env:"HEROLOG_WORKERS" group:"Plan"`
	Routing    string  `help:"Routing policies to compare, the first is the recommendation: random (Heroku's router), least-conn, slow-fast, pooled (one shared queue, the bound no router beats)." default:"random,least-conn" group:"Plan"`
	SlowRoutes string  `help:"Routes the slow-fast policy sends to their own pool: 'auto' (median app time at least --slow-threshold, or most of the H12s) or a comma-separated list of routes such as /reports/export,/api/users/:id." default:"auto" group:"Plan"`
	SlowMS     float64 `name:"slow-threshold" help:"Median app time in ms from which --slow-routes auto calls a route slow." default:"1000" group:"Plan"`
	Target     string  `help:"Service level to meet: p50|p90|p99|p999|max|mean of queue|total, '<', a duration." default:"p99 queue < 100ms" env:"HEROLOG_TARGET" group:"Plan"`
	Scale      string  `help:"Traffic multiplier, 'what if traffic doubles': 2x, 1.5, 150%." default:"1x" group:"Plan"`
	DynoPrice  float64 `help:"Price of one dyno in dollars per month, to show the monthly cost (e.g. 25 for Standard-1X)." default:"0" env:"HEROLOG_DYNO_PRICE" group:"Plan"`
	Seed       uint64  `help:"Seed of the simulated random router; the same seed gives the same plan." default:"1" group:"Plan"`

	Format string `short:"f" help:"Output format: ${enum}." enum:"table,json" default:"table" group:"Output"`
	Color  string `help:"Colour: auto (a terminal without NO_COLOR), always, never." enum:"auto,always,never" default:"auto" env:"HEROLOG_COLOR" group:"Output"`
}

// Help is shown under the command's usage line.
func (p *planCmd) Help() string {
	return `How many dynos does this traffic need? herolog replays the requests in the
log - their real arrival times and each one's own app time - through a
simulation of N dynos with C workers and a first-in, first-out backlog per
dyno, under Heroku's random routing and smarter routers, and reports the
queueing each would give.

The app time of a request is its service= with the time it queued inside its
dyno taken out: per dyno, the requests are replayed in the order they reached
it (the line's time minus service) through C workers, each free again when
its last request ended; a request starts when it reached the dyno or when a
worker came free, whichever is later, and its app time runs from that start
to its end. The estimate is exact for a dyno that really is one queue in
front of C workers; give the real C with --workers (inferred otherwise).

Examples:
  herolog plan logs.txt
  herolog plan logs.txt --dynos 2..12 --workers 5
  herolog plan logs.txt --target 'p99 queue < 100ms' --dyno-price 25
  herolog plan logs.txt --routing random,least-conn,slow-fast --slow-routes auto
  herolog plan logs.txt --scale 2x --format json`
}

// options turns the flags into plan options; an error is a usage error.
func (p *planCmd) options() (plan.Options, error) {
	var o plan.Options
	var err error
	if p.Dynos != "" {
		if o.Dynos, err = plan.ParseDynos(p.Dynos); err != nil {
			return o, err
		}
	}
	if p.Workers < 0 {
		return o, fmt.Errorf("--workers %d: want 0 (infer) or more", p.Workers)
	}
	o.Workers = p.Workers
	if o.Routing, err = plan.ParseRouting(p.Routing); err != nil {
		return o, err
	}
	switch s := strings.TrimSpace(p.SlowRoutes); s {
	case "auto":
		o.SlowAuto = true
	case "", "none":
	default:
		for r := range strings.SplitSeq(s, ",") {
			if r = strings.TrimSpace(r); r != "" {
				o.SlowRoutes = append(o.SlowRoutes, r)
			}
		}
	}
	if !(p.SlowMS > 0) {
		return o, fmt.Errorf("--slow-threshold %v: want a number of ms above 0", p.SlowMS)
	}
	o.SlowThresholdMS = p.SlowMS
	if o.Target, err = plan.ParseTarget(p.Target); err != nil {
		return o, err
	}
	if o.Scale, err = plan.ParseScale(p.Scale); err != nil {
		return o, err
	}
	if p.DynoPrice < 0 {
		return o, fmt.Errorf("--dyno-price %v: want dollars per dyno per month, 0 or more", p.DynoPrice)
	}
	o.PricePerDyno = p.DynoPrice
	o.Seed = p.Seed
	return o, nil
}

// Run reads the inputs, plans and writes the plan.
func (p *planCmd) Run(e *env) error {
	opts, err := p.options()
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	col := plan.NewCollector()
	stopProgress := e.startProgress(p.progressFlags)
	res, scanErr := e.scan(p.inputFlags, func(_ string, r *parse.Record) { col.Add(r) })
	stopProgress()
	var xe *exitError
	if errors.As(scanErr, &xe) && len(res.inputs) == 0 {
		return scanErr
	}
	if errors.Is(scanErr, errInterrupted) {
		return &exitError{code: 130, msg: "interrupted"}
	}
	rep, err := plan.Plan(col, opts)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	out := bufferedOutput(e.stdout)
	if err := output.PlanRender(p.Format, out, rep, output.Options{Color: e.useColor(p.Color, e.stdout)}); err != nil {
		return &exitError{code: 1, msg: "writing the plan: " + err.Error()}
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: 1, msg: "writing the plan: " + err.Error()}
	}
	switch {
	case scanErr != nil:
		return scanErr
	case res.failed:
		return &exitError{code: 1, msg: "not every input could be read to its end; the plan covers what was read"}
	}
	return nil
}
