package gen

import "time"

// Truth is the ground truth of what a Generator wrote, for tests of the
// analysis code. Counts are of lines actually written; service times are
// as written on router lines (ms; H12 lines count as 30000).
type Truth struct {
	// Config is the configuration after defaults.
	Config Config
	// Lines and Bytes are the totals written.
	Lines, Bytes int64
	// First and Last are the earliest and latest timestamps written.
	First, Last time.Time

	// Requests is the number of router request lines (H12 included).
	Requests int64
	// PerDyno is the number of router lines per dyno ("web.1": n).
	PerDyno map[string]int64
	// PerRoute is the number of router lines per route template
	// ("/api/users/:id": n).
	PerRoute map[string]int64
	// MaxServiceMS is the largest service= written, in ms.
	MaxServiceMS int64
	// MaxServiceByDyno and SumServiceByDyno are per dyno, in ms
	// (mean = Sum/PerDyno).
	MaxServiceByDyno, SumServiceByDyno map[string]int64
	// QueuedOver1sByDyno counts requests that waited at least 1 s in the
	// dyno's queue before a worker took them.
	QueuedOver1sByDyno map[string]int64
	// H12 is the number of H12 lines; H12ByRoute splits them by route.
	H12        int64
	H12ByRoute map[string]int64

	// AppLines is the number of app[web.N] lines; ServiceTextAppLines of
	// them contain "service=...ms" and must not be read as router lines.
	AppLines, ServiceTextAppLines int64
	// MetricsLines is the number of sample# lines (load and memory).
	MetricsLines int64
	// DynoManagerLines is the number of other heroku[web.N] lines (state
	// changes, Process running mem=, R14, cycling); R14 counts the R14 lines.
	DynoManagerLines, R14 int64
	// MaxMemoryMBByDyno is the largest sample#memory_total per dyno, in MB.
	MaxMemoryMBByDyno map[string]float64
	// L10 is the number of logplex L10 lines.
	L10 int64

	// StuckDyno is the dyno with the stuck request ("" if none); StuckAt is
	// when it arrives in the first period, StuckFor its app time, and
	// StuckRoute the route it happened to be (set once it arrived).
	StuckDyno  string
	StuckAt    time.Time
	StuckFor   time.Duration
	StuckRoute string
	// SlowRoute is the slow route template ("" if none).
	SlowRoute string
	// SpikeStart and SpikeEnd bound the first rate spike (zero if none).
	SpikeStart, SpikeEnd time.Time
	// LeakDyno is the dyno whose memory leaks ("" if none).
	LeakDyno string
}

type truthCounters struct {
	cfg                            Config
	names                          [][]byte
	lines                          int64
	first, lastTS                  int64
	seen                           bool
	requests, maxSvc, h12          int64
	perDyno, maxByDyno, sumByDyno  []int64
	queued                         []int64
	maxMem                         []int64
	perRoute, h12Route             [8]int64
	appLines, serviceText, metrics int64
	dynoLines, r14, l10            int64
	stuckRoute                     int
}

func (t *truthCounters) init(cfg Config, names [][]byte) {
	t.cfg = cfg
	t.names = names
	n := len(names)
	t.perDyno = make([]int64, n)
	t.maxByDyno = make([]int64, n)
	t.sumByDyno = make([]int64, n)
	t.queued = make([]int64, n)
	t.maxMem = make([]int64, n)
	t.stuckRoute = -1
}

func (t *truthCounters) router(e *event) {
	d := int(e.dyno)
	s := int64(e.service)
	t.requests++
	t.perDyno[d]++
	t.sumByDyno[d] += s
	if s > t.maxByDyno[d] {
		t.maxByDyno[d] = s
	}
	if s > t.maxSvc {
		t.maxSvc = s
	}
	if e.wait >= 1000 {
		t.queued[d]++
	}
	t.perRoute[e.route]++
	if e.h12 {
		t.h12++
		t.h12Route[e.route]++
	}
}

func (t *truthCounters) mem(d int, centiMB int64) {
	if centiMB > t.maxMem[d] {
		t.maxMem[d] = centiMB
	}
}

func (t *truthCounters) last(ts int64) {
	if !t.seen || ts < t.first {
		t.first = ts
	}
	if !t.seen || ts > t.lastTS {
		t.lastTS = ts
	}
	t.seen = true
}

// Truth returns the ground truth of what has been written so far.
func (g *Generator) Truth() Truth {
	t := &g.truth
	cfg := g.cfg
	tr := Truth{
		Config: cfg, Lines: t.lines, Bytes: g.written,
		Requests: t.requests, MaxServiceMS: t.maxSvc, H12: t.h12,
		AppLines: t.appLines, ServiceTextAppLines: t.serviceText, MetricsLines: t.metrics,
		DynoManagerLines: t.dynoLines, R14: t.r14, L10: t.l10,
		PerDyno: map[string]int64{}, PerRoute: map[string]int64{},
		MaxServiceByDyno: map[string]int64{}, SumServiceByDyno: map[string]int64{},
		QueuedOver1sByDyno: map[string]int64{}, H12ByRoute: map[string]int64{},
		MaxMemoryMBByDyno: map[string]float64{},
		SlowRoute:         cfg.SlowRoute,
	}
	if t.seen {
		tr.First, tr.Last = time.UnixMicro(t.first).UTC(), time.UnixMicro(t.lastTS).UTC()
	}
	for d, name := range t.names {
		n := string(name)
		tr.PerDyno[n] = t.perDyno[d]
		tr.MaxServiceByDyno[n] = t.maxByDyno[d]
		tr.SumServiceByDyno[n] = t.sumByDyno[d]
		tr.QueuedOver1sByDyno[n] = t.queued[d]
		if t.maxMem[d] > 0 {
			tr.MaxMemoryMBByDyno[n] = float64(t.maxMem[d]) / 100
		}
	}
	for i, r := range baseRoutes {
		if t.perRoute[i] > 0 {
			tr.PerRoute[r.Name] = t.perRoute[i]
		}
		if t.h12Route[i] > 0 {
			tr.H12ByRoute[r.Name] = t.h12Route[i]
		}
	}
	if cfg.StuckFor > 0 {
		tr.StuckDyno = string(t.names[cfg.StuckDyno-1])
		tr.StuckAt = cfg.Start.Add(cfg.StuckAt)
		tr.StuckFor = cfg.StuckFor
		if t.stuckRoute >= 0 {
			tr.StuckRoute = baseRoutes[t.stuckRoute].Name
		}
	}
	if cfg.SpikeRate > 0 {
		tr.SpikeStart = cfg.Start.Add(cfg.SpikeAt)
		tr.SpikeEnd = tr.SpikeStart.Add(cfg.SpikeFor)
	}
	if cfg.LeakDyno > 0 {
		tr.LeakDyno = string(t.names[cfg.LeakDyno-1])
	}
	return tr
}
