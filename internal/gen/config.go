package gen

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Scenario selects the traffic pattern and its single known cause of
// slowness. It sets the defaults of the Config fields left at zero.
type Scenario uint8

const (
	// Healthy is load well under capacity (about 20%) with every app time
	// capped at 1.5 s: no request has a service time over 2 s.
	Healthy Scenario = iota
	// StuckDyno: once per Duration, at StuckAt, the next request routed to
	// dyno StuckDyno takes StuckFor (default 28 s) in the app; requests routed
	// to that dyno queue behind it when all its workers are busy (defaults:
	// 4 dynos x 1 worker, so the queue is stark).
	StuckDyno
	// SlowRoute: route SlowRoute (default /reports/export) has a median app
	// time of SlowRouteMedian (default 8 s) and gets SlowRouteShare of the
	// requests (default 1.5%); it produces most H12s.
	SlowRoute
	// TooFewDynos: during [SpikeAt, SpikeAt+SpikeFor) the arrival rate is
	// SpikeRate, above the app's capacity, so queue waits rise on every dyno
	// together (defaults: 2 dynos x 2 workers, base rate 55% of capacity,
	// spike 115%).
	TooFewDynos
	// MemoryLeak: dyno LeakDyno's memory climbs from about 300 MB to
	// 1.8 x MemoryQuotaMB over Duration, with "Process running mem=" and R14
	// lines at each metrics sample over quota, and its app times grow with
	// the excess (swapping).
	MemoryLeak

	numScenarios
)

var scenarioNames = [numScenarios]string{"healthy", "stuck-dyno", "slow-route", "too-few-dynos", "memory-leak"}

// String returns the scenario's name as accepted by ParseScenario.
func (s Scenario) String() string {
	if s < numScenarios {
		return scenarioNames[s]
	}
	return fmt.Sprintf("Scenario(%d)", uint8(s))
}

// ParseScenario returns the scenario named s ("healthy", "stuck-dyno",
// "slow-route", "too-few-dynos", "memory-leak"; case and "-"/"_" ignored).
func ParseScenario(s string) (Scenario, error) {
	n := normName(s)
	for i, name := range scenarioNames {
		if normName(name) == n {
			return Scenario(i), nil
		}
	}
	return 0, fmt.Errorf("gen: unknown scenario %q (want one of %s)", s, strings.Join(scenarioNames[:], ", "))
}

// Format is the outer layer the log is written in. The message bodies are
// the same in every format except Legacy.
type Format uint8

const (
	// CLI is `heroku logs` text: "TS source[dyno]: message".
	CLI Format = iota
	// Syslog is newline-separated RFC 5424 as Logplex sends to drains:
	// "<158>1 TS host heroku router - message" (no structured data).
	Syslog
	// Framed is octet-counted syslog (RFC 6587): "LEN <158>1 ...\n", where
	// LEN counts the bytes after the space including the newline. With
	// Config.FramedNoNewline the frames carry no newline and are concatenated.
	Framed
	// PapertrailTSV is Papertrail archive rows: id, generated_at, received_at,
	// source_id, source_name, source_ip, facility_name, severity_name,
	// program (heroku/router, app/web.1), message, tab separated.
	PapertrailTSV
	// Legacy is pre-2013 CLI text: timestamps without fraction, router lines
	// "GET host/path dyno=web.1 queue=N wait=Wms service=Sms status=200
	// bytes=B" where queue is the number of requests ahead in the dyno's
	// queue, wait the queue wait and service the app time. No runtime
	// metrics (they did not exist).
	Legacy

	numFormats
)

var formatNames = [numFormats]string{"cli", "syslog", "framed", "papertrail-tsv", "legacy"}

// String returns the format's name as accepted by ParseFormat.
func (f Format) String() string {
	if f < numFormats {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format named s ("cli", "syslog", "framed",
// "papertrail-tsv" or "tsv", "legacy"; case and "-"/"_" ignored).
func ParseFormat(s string) (Format, error) {
	n := normName(s)
	if n == "tsv" || n == "papertrail" {
		return PapertrailTSV, nil
	}
	for i, name := range formatNames {
		if normName(name) == n {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("gen: unknown format %q (want one of %s)", s, strings.Join(formatNames[:], ", "))
}

func normName(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "-", "")
	return strings.ReplaceAll(s, "_", "")
}

// Config describes one generated log. Zero fields take the Scenario's
// defaults; see each field.
type Config struct {
	// Seed selects the random stream; the same Config gives the same bytes.
	Seed uint64
	// Start is the time of the first arrival (default 2026-11-20T14:00:00Z).
	// It is written in UTC.
	Start time.Time
	// Duration is the simulated time span for WriteTo (default 15 min). It is
	// also the period of the scenario's timeline when WriteBytes runs past it.
	Duration time.Duration
	// Dynos is the number of web dynos, web.1 to web.N (1 to 999).
	Dynos int
	// Workers is the number of concurrent requests per dyno (Puma threads x
	// processes).
	Workers int
	// Rate is the mean arrival rate in requests per second outside a spike.
	Rate float64
	// Scenario selects the pattern and the defaults.
	Scenario Scenario
	// Format is the output format (default CLI).
	Format Format
	// FramedNoNewline writes Framed frames without a trailing newline,
	// back to back.
	FramedNoNewline bool
	// AppName is the Heroku app name; host is AppName.herokuapp.com (default
	// "myapp").
	AppName string
	// AppLineRatio is the probability that a request also logs Rails
	// "Started"/"Completed" app lines (default 0.1; negative means none).
	// A quarter of those requests also log a logfmt app line with service=.
	AppLineRatio float64
	// MetricsInterval is the period of runtime-metrics samples per dyno
	// (default 20 s; negative means none; always none in Legacy).
	MetricsInterval time.Duration
	// MemoryQuotaMB is the dyno memory quota in MB (default 512).
	MemoryQuotaMB float64
	// L10Every, when positive, emits a logplex L10 line at this period.
	L10Every time.Duration
	// Jitter, when positive, shuffles output order by up to this much: each
	// line is written as if its time were up to Jitter later, like the
	// slight disorder of real `heroku logs` output. Timestamps are unchanged.
	Jitter time.Duration

	// StuckDyno is the 1-based dyno number of the stuck request (default 3,
	// or the last dyno when there are fewer). Used by the StuckDyno scenario,
	// or by any scenario when StuckFor > 0.
	StuckDyno int
	// StuckAt is the offset from Start (and from each later Duration period)
	// after which the stuck request arrives (default Duration/3).
	StuckAt time.Duration
	// StuckFor is the app time of the stuck request (default 28 s in
	// StuckDyno; zero elsewhere means no stuck request).
	StuckFor time.Duration

	// SlowRoute is the route template made slow, e.g. "/reports/export"
	// (default that in SlowRoute; empty elsewhere means none). See Routes.
	SlowRoute string
	// SlowRouteMedian is the slow route's median app time (default 8 s).
	SlowRouteMedian time.Duration
	// SlowRouteShare is the fraction of requests sent to the slow route
	// (default 0.015).
	SlowRouteShare float64

	// SpikeRate, when positive, is the arrival rate in requests per second
	// during [SpikeAt, SpikeAt+SpikeFor) of each Duration period. Default in
	// TooFewDynos: 1.15 x capacity.
	SpikeRate float64
	// SpikeAt is the spike's offset from Start (default Duration/3).
	SpikeAt time.Duration
	// SpikeFor is the spike's length (default Duration/5).
	SpikeFor time.Duration

	// LeakDyno is the 1-based dyno number whose memory leaks (default 2 in
	// MemoryLeak; zero elsewhere means none).
	LeakDyno int
}

// Route is one request template of the simulated app.
type Route struct {
	// Name is the template, e.g. "/api/users/:id"; Truth is keyed by it.
	Name string
	// Method is the HTTP method.
	Method string
	// Weight is the relative share of requests.
	Weight float64
	// MedianMS and Sigma give the lognormal app time: median in ms and the
	// standard deviation of its log.
	MedianMS, Sigma float64
	// Bytes is the typical response size in bytes.
	Bytes int64
}

// Routes returns the route templates of the simulated app. Paths are
// rendered with numeric ids, UUIDs, hex digests and search words.
func Routes() []Route {
	return append([]Route(nil), baseRoutes...)
}

var baseRoutes = []Route{
	{"/", "GET", 18, 45, 0.5, 12000},
	{"/api/users/:id", "GET", 30, 22, 0.6, 900},
	{"/api/orders/:uuid", "GET", 14, 55, 0.7, 2100},
	{"/api/orders", "POST", 5, 110, 0.6, 400},
	{"/assets/app-:hex.js", "GET", 18, 3, 0.5, 180000},
	{"/search?q=", "GET", 12, 140, 0.8, 6000},
	{"/reports/export", "GET", 3, 450, 0.6, 250000},
}

const (
	routeRoot = iota
	routeUser
	routeOrder
	routeOrderPost
	routeAsset
	routeSearch
	routeExport
)

var defaultStart = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)

// withDefaults returns cfg with zero fields filled from its scenario.
func (cfg Config) withDefaults() Config {
	if cfg.Start.IsZero() {
		cfg.Start = defaultStart
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 15 * time.Minute
	}
	if cfg.AppName == "" {
		cfg.AppName = "myapp"
	}
	if cfg.AppLineRatio == 0 {
		cfg.AppLineRatio = 0.1
	}
	if cfg.MetricsInterval == 0 {
		cfg.MetricsInterval = 20 * time.Second
	}
	if cfg.MemoryQuotaMB <= 0 {
		cfg.MemoryQuotaMB = 512
	}
	dynos, workers, load := 4, 4, 0.2
	switch cfg.Scenario {
	case StuckDyno:
		dynos, workers, load = 4, 1, 0.2
		if cfg.StuckFor == 0 {
			cfg.StuckFor = 28 * time.Second
		}
	case SlowRoute:
		dynos, workers, load = 4, 4, 0.0
		if cfg.SlowRoute == "" {
			cfg.SlowRoute = "/reports/export"
		}
	case TooFewDynos:
		dynos, workers, load = 2, 2, 0.55
	case MemoryLeak:
		dynos, workers, load = 4, 2, 0.35
		if cfg.LeakDyno == 0 {
			cfg.LeakDyno = 2
		}
	}
	if cfg.Dynos <= 0 {
		cfg.Dynos = dynos
	}
	if cfg.Dynos > 999 {
		cfg.Dynos = 999
	}
	if cfg.Workers <= 0 {
		cfg.Workers = workers
	}
	if cfg.SlowRoute != "" {
		if cfg.SlowRouteMedian <= 0 {
			cfg.SlowRouteMedian = 8 * time.Second
		}
		if cfg.SlowRouteShare <= 0 {
			cfg.SlowRouteShare = 0.015
		}
	}
	capacity := Capacity(cfg)
	if cfg.Rate <= 0 {
		if load > 0 {
			cfg.Rate = load * capacity
		} else {
			cfg.Rate = 30
		}
	}
	if cfg.Scenario == TooFewDynos && cfg.SpikeRate <= 0 {
		cfg.SpikeRate = 1.15 * capacity
	}
	if cfg.SpikeAt <= 0 {
		cfg.SpikeAt = cfg.Duration / 3
	}
	if cfg.SpikeFor <= 0 {
		cfg.SpikeFor = cfg.Duration / 5
	}
	if cfg.StuckFor > 0 {
		if cfg.StuckDyno <= 0 {
			cfg.StuckDyno = 3
		}
		if cfg.StuckDyno > cfg.Dynos {
			cfg.StuckDyno = cfg.Dynos
		}
		if cfg.StuckAt <= 0 {
			cfg.StuckAt = cfg.Duration / 3
		}
	}
	if cfg.LeakDyno > cfg.Dynos {
		cfg.LeakDyno = cfg.Dynos
	}
	return cfg
}

// routeWeights returns the route weights after the slow-route share.
func routeWeights(cfg Config) []float64 {
	w := make([]float64, len(baseRoutes))
	slow := -1
	var other float64
	for i, r := range baseRoutes {
		w[i] = r.Weight
		if r.Name == cfg.SlowRoute {
			slow = i
		} else {
			other += r.Weight
		}
	}
	if slow >= 0 && cfg.SlowRouteShare > 0 && cfg.SlowRouteShare < 1 {
		w[slow] = other * cfg.SlowRouteShare / (1 - cfg.SlowRouteShare)
	}
	return w
}

// Capacity returns the app's approximate capacity in requests per second
// for cfg (after defaults for Dynos, Workers and the slow route): workers
// divided by the mean app time of the route mix.
func Capacity(cfg Config) float64 {
	w := routeWeights(cfg)
	var sum, tot float64
	for i, r := range baseRoutes {
		med, sigma := r.MedianMS, r.Sigma
		if r.Name == cfg.SlowRoute && cfg.SlowRouteMedian > 0 {
			med, sigma = float64(cfg.SlowRouteMedian)/float64(time.Millisecond), slowSigma
		}
		sum += w[i] * med * math.Exp(sigma*sigma/2)
		tot += w[i]
	}
	d, c := cfg.Dynos, cfg.Workers
	if d <= 0 {
		d = 1
	}
	if c <= 0 {
		c = 1
	}
	return float64(d*c) * 1000 / (sum / tot)
}

// slowSigma is the log standard deviation of the slow route's app time.
const slowSigma = 0.8
