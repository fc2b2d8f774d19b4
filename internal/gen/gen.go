package gen

import (
	"bufio"
	"errors"
	"io"
	"math"
	"strconv"
	"time"
)

// event kinds
const (
	evRouter       uint8 = iota // router request line (also H12 when h12)
	evStarted                   // app: Rails Started
	evCompleted                 // app: Rails Completed
	evAppLogfmt                 // app: logfmt line containing service=
	evLoad                      // heroku[web.N]: sample#load_avg
	evMem                       // heroku[web.N]: sample#memory
	evProcMem                   // heroku[web.N]: Process running mem=
	evR14                       // heroku[web.N]: Error R14
	evStartingProc              // heroku[web.N]: Starting process with command
	evStateUp                   // heroku[web.N]: State changed from starting to up
	evStopping                  // heroku[web.N]: Cycling / Stopping all processes
	evExited                    // heroku[web.N]: Process exited with status 143
	evL10                       // heroku[logplex]: Error L10
)

// event is one line waiting in the output heap. Times are µs since the
// Unix epoch; durations are ms.
type event struct {
	key     int64 // output order: ts plus jitter
	seq     uint64
	ts      int64
	rid     uint64 // per-request (or per-line) hash seed for rendered details
	kind    uint8
	route   uint8
	h12     bool
	dyno    uint16 // 0-based
	connect int32  // ms
	service int32  // ms: queue wait + app (capped at 30000 for H12)
	wait    int32  // ms queued inside the dyno
	app     int32  // ms of app time
	queue   int32  // requests ahead in the dyno's queue on arrival
	aux     int64  // kind-specific: memory in 0.01 MB, load in 0.01, L10 count
	aux2    int64
}

type dynoState struct {
	free     []int64 // µs when each worker is free
	queued   []int64 // start times (µs) of requests still waiting, FIFO
	qhead    int
	busyUS   int64 // app µs started since the last metrics tick
	load     [3]float64
	stuckCyc int64 // last period in which the stuck request was injected
}

// Generator produces one synthetic log. Make it with New; it is not safe
// for concurrent use and produces its log once (WriteTo or WriteBytes).
type Generator struct {
	cfg      Config
	r        rng // simulation stream
	jr       rng // jitter stream
	weights  []float64
	cum      []float64
	slow     int // index of the slow route or -1
	startUS  int64
	periodUS int64
	endUS    int64

	dynos    []dynoState
	nextArr  int64
	nextTick int64
	nextL10  int64
	lastL10  int64
	cycle    int64 // current period index seen by ticks
	heap     []event
	seq      uint64
	used     bool
	dynoName [][]byte // "web.1"...
	dynoID   [][]byte // "heroku.NNN.<uuid>"

	// output
	bw       *bufio.Writer
	line     []byte
	frame    []byte
	tsSec    int64
	tsPrefix []byte
	ptID     int64
	written  int64
	truth    truthCounters
}

// New returns a generator for cfg, with zero fields filled from the
// scenario's defaults (see Config).
func New(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	g := &Generator{cfg: cfg, r: newRNG(cfg.Seed), jr: newRNG(cfg.Seed ^ 0x6a09e667f3bcc908)}
	g.weights = routeWeights(cfg)
	g.slow = -1
	var c float64
	for i, w := range g.weights {
		c += w
		g.cum = append(g.cum, c)
		if baseRoutes[i].Name == cfg.SlowRoute {
			g.slow = i
		}
	}
	g.startUS = cfg.Start.UnixMicro()
	g.periodUS = cfg.Duration.Microseconds()
	g.endUS = g.startUS + g.periodUS
	g.dynos = make([]dynoState, cfg.Dynos)
	idr := newRNG(cfg.Seed ^ 0xbb67ae8584caa73b)
	for i := range g.dynos {
		g.dynos[i].free = make([]int64, cfg.Workers)
		g.dynos[i].stuckCyc = -1
		g.dynoName = append(g.dynoName, []byte("web."+strconv.Itoa(i+1)))
		id := []byte("heroku.")
		id = strconv.AppendInt(id, int64(1000000+idr.intn(90000000)), 10)
		id = append(id, '.')
		id = appendUUID(id, idr.next(), idr.next())
		g.dynoID = append(g.dynoID, id)
	}
	g.truth.init(cfg, g.dynoName)
	g.ptID = 700000000000 + int64(idr.intn(100000000))*1000
	g.nextArr = g.startUS + g.interarrival(g.startUS)
	g.nextTick = math.MaxInt64
	if cfg.MetricsInterval > 0 && cfg.Format != Legacy {
		g.nextTick = g.startUS + cfg.MetricsInterval.Microseconds()/2
	}
	g.nextL10 = math.MaxInt64
	if cfg.L10Every > 0 {
		g.nextL10 = g.startUS + cfg.L10Every.Microseconds()
		g.lastL10 = g.startUS
	}
	// Boot lines: each dyno starts just before the first request.
	for d := range g.dynos {
		t := g.startUS - 4_000_000 + int64(d)*173_000
		g.push(event{ts: t, kind: evStartingProc, dyno: uint16(d)})
		g.push(event{ts: t + 3_100_000 + int64(idr.intn(900_000)), kind: evStateUp, dyno: uint16(d)})
	}
	return g
}

// Config returns the generator's configuration after defaults.
func (g *Generator) Config() Config { return g.cfg }

func (g *Generator) phase(t int64) (cycle, off int64) {
	d := t - g.startUS
	if d < 0 {
		return 0, d
	}
	return d / g.periodUS, d % g.periodUS
}

func (g *Generator) rateAt(t int64) float64 {
	if g.cfg.SpikeRate > 0 {
		_, off := g.phase(t)
		at := g.cfg.SpikeAt.Microseconds()
		if off >= at && off < at+g.cfg.SpikeFor.Microseconds() {
			return g.cfg.SpikeRate
		}
	}
	return g.cfg.Rate
}

func (g *Generator) interarrival(t int64) int64 {
	d := int64(g.r.exp() / g.rateAt(t) * 1e6)
	if d < 1 {
		d = 1
	}
	return d
}

// memAt returns dyno d's memory in MB at t.
func (g *Generator) memAt(d int, t int64) float64 {
	base := 180 + float64(d%7)*13
	if d+1 == g.cfg.LeakDyno {
		_, off := g.phase(t)
		f := float64(off) / float64(g.periodUS)
		return 300 + f*(1.8*g.cfg.MemoryQuotaMB-300)
	}
	return base
}

// push adds e to the output heap.
func (g *Generator) push(e event) {
	e.key = e.ts
	if g.cfg.Jitter > 0 {
		e.key += int64(g.jr.float() * float64(g.cfg.Jitter.Microseconds()))
	}
	e.seq = g.seq
	g.seq++
	h := append(g.heap, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(&h[i], &h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	g.heap = h
}

func less(a, b *event) bool {
	return a.key < b.key || (a.key == b.key && a.seq < b.seq)
}

// pop removes the heap's first event into *out.
func (g *Generator) pop(out *event) {
	h := g.heap
	*out = h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(&h[r], &h[l]) {
			m = r
		}
		if !less(&h[m], &h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	g.heap = h
}

const timeoutUS = 30_000_000

// arrive simulates the request arriving at the router at g.nextArr.
func (g *Generator) arrive() {
	t := g.nextArr
	r := &g.r
	u := r.float() * g.cum[len(g.cum)-1]
	route := 0
	for route < len(g.cum)-1 && u >= g.cum[route] {
		route++
	}
	d := r.intn(len(g.dynos))
	ds := &g.dynos[d]
	var connect int64
	switch cu := r.float(); {
	case cu < 0.55:
		connect = 0
	case cu < 0.93:
		connect = 1
	case cu < 0.99:
		connect = 2
	default:
		connect = 3 + int64(r.intn(12))
	}
	arrD := t + connect*1000

	// app time, µs
	rt := &baseRoutes[route]
	med, sigma := rt.MedianMS, rt.Sigma
	if route == g.slow {
		med, sigma = float64(g.cfg.SlowRouteMedian)/float64(time.Millisecond), slowSigma
	}
	appMS := med * math.Exp(sigma*r.norm())
	if g.cfg.Scenario == Healthy && appMS > 1500 {
		appMS = 1500
	}
	if appMS > 120_000 {
		appMS = 120_000
	}
	if d+1 == g.cfg.LeakDyno {
		if over := g.memAt(d, t)/g.cfg.MemoryQuotaMB - 1; over > 0 {
			appMS *= 1 + 2*over
		}
	}
	if g.cfg.StuckFor > 0 && d+1 == g.cfg.StuckDyno {
		cyc, off := g.phase(t)
		if cyc != ds.stuckCyc && off >= g.cfg.StuckAt.Microseconds() {
			ds.stuckCyc = cyc
			appMS = float64(g.cfg.StuckFor)/float64(time.Millisecond) + r.float()*400
			g.truth.stuckRoute = route
		}
	}
	app := int64(appMS*1000) + 200 // at least 0.2 ms
	// FIFO over the dyno's workers: the earliest free worker takes it.
	k := 0
	for i, f := range ds.free {
		if f < ds.free[k] {
			k = i
		}
	}
	start := arrD
	if ds.free[k] > start {
		start = ds.free[k]
	}
	ds.free[k] = start + app
	ds.busyUS += app
	// queue depth: requests on this dyno that are still waiting at arrD
	for ds.qhead < len(ds.queued) && ds.queued[ds.qhead] <= arrD {
		ds.qhead++
	}
	if ds.qhead > 1024 && ds.qhead*2 > len(ds.queued) {
		n := copy(ds.queued, ds.queued[ds.qhead:])
		ds.queued = ds.queued[:n]
		ds.qhead = 0
	}
	queue := len(ds.queued) - ds.qhead
	if start > arrD {
		ds.queued = append(ds.queued, start)
	}
	wait := start - arrD
	svc := wait + app
	rid := r.next()
	e := event{
		rid: rid, kind: evRouter, route: uint8(route), dyno: uint16(d),
		connect: int32(connect), wait: int32(wait / 1000), app: int32(app / 1000), queue: int32(queue),
	}
	if svc > timeoutUS {
		e.h12 = true
		e.ts = arrD + timeoutUS
		e.service = 30000
	} else {
		e.ts = start + app
		e.service = int32((svc + 500) / 1000)
	}
	g.push(e)
	if g.cfg.AppLineRatio > 0 && r.float() < g.cfg.AppLineRatio {
		a := event{rid: rid, route: uint8(route), dyno: uint16(d), app: e.app, wait: e.wait, ts: start + 150}
		a.kind = evStarted
		g.push(a)
		a.ts = start + app - 100
		a.kind = evCompleted
		g.push(a)
		if r.float() < 0.25 {
			a.ts = start + app - 50
			a.kind = evAppLogfmt
			g.push(a)
		}
	}
	g.nextArr = t + g.interarrival(t)
}

// tick emits the metrics samples due at g.nextTick.
func (g *Generator) tick() {
	t := g.nextTick
	iv := g.cfg.MetricsInterval.Microseconds()
	cyc, _ := g.phase(t)
	if cyc > g.cycle {
		// A new period: the platform cycles every dyno (this also resets a leak).
		g.cycle = cyc
		for d := range g.dynos {
			s := t - iv/2 + int64(d)*211_000
			g.push(event{ts: s, kind: evStopping, dyno: uint16(d)})
			g.push(event{ts: s + 500_000, kind: evStartingProc, dyno: uint16(d)})
			g.push(event{ts: s + 2_900_000, kind: evExited, dyno: uint16(d)})
			g.push(event{ts: s + 3_700_000, kind: evStateUp, dyno: uint16(d)})
		}
	}
	secs := float64(iv) / 1e6
	for d := range g.dynos {
		ds := &g.dynos[d]
		util := float64(ds.busyUS) / float64(iv)
		ds.busyUS = 0
		for i, tau := range [3]float64{60, 300, 900} {
			a := math.Exp(-secs / tau)
			ds.load[i] = ds.load[i]*a + util*(1-a)
		}
		ts := t + int64(d)*7_919 + int64(g.r.intn(5000))
		e := event{ts: ts, kind: evLoad, dyno: uint16(d), rid: g.r.next()}
		g.push(e)
		mem := g.memAt(d, t) + g.r.float()*6
		e.ts++
		e.kind = evMem
		e.aux = int64(mem * 100)
		g.push(e)
		if mem > g.cfg.MemoryQuotaMB {
			e.ts += 1200
			e.kind = evProcMem
			g.push(e)
			e.ts++
			e.kind = evR14
			g.push(e)
		}
	}
	g.nextTick = t + iv
}

func (g *Generator) l10() {
	t := g.nextL10
	g.push(event{ts: t, kind: evL10, aux: 1 + int64(g.r.intn(500)), aux2: g.lastL10 + int64(g.r.intn(int(t-g.lastL10+1)))})
	g.lastL10 = t
	g.nextL10 = t + g.cfg.L10Every.Microseconds()
}

// ErrUsed is returned when a Generator is asked to write a second time.
var ErrUsed = errors.New("gen: generator already used")

// WriteTo writes the whole log, Duration of traffic plus the completion of
// every request that arrived in it, to w. It returns the bytes written.
func (g *Generator) WriteTo(w io.Writer) (int64, error) {
	return g.run(w, -1)
}

// WriteBytes writes about n bytes of log to w (at least n unless w fails),
// running the simulation past Duration as needed: the scenario's timeline
// repeats every Duration, each new period starting with a dyno cycling. It
// returns the bytes written.
func (g *Generator) WriteBytes(w io.Writer, n int64) (int64, error) {
	return g.run(w, n)
}

func (g *Generator) run(w io.Writer, limit int64) (int64, error) {
	if g.used {
		return 0, ErrUsed
	}
	g.used = true
	g.bw = bufio.NewWriterSize(w, 256<<10)
	var e event
	for {
		now := g.nextArr
		if g.nextTick < now {
			now = g.nextTick
		}
		if g.nextL10 < now {
			now = g.nextL10
		}
		if limit < 0 && now >= g.endUS {
			break
		}
		for len(g.heap) > 0 && g.heap[0].key <= now {
			g.pop(&e)
			g.emit(&e)
		}
		if limit >= 0 && g.written >= limit {
			break
		}
		switch now {
		case g.nextTick:
			g.tick()
		case g.nextL10:
			g.l10()
		default:
			g.arrive()
		}
	}
	if limit < 0 {
		for len(g.heap) > 0 {
			g.pop(&e)
			g.emit(&e)
		}
	}
	err := g.bw.Flush()
	return g.written, err
}
