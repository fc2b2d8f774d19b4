package aggregate

import (
	"math"
	"sort"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/parse"
)

// Rolling-window settings.
const (
	// WindowSigFigs is the precision of the window's histograms: two
	// significant digits, so window quantiles are within 1% of the exact
	// nearest-rank value (the since-start numbers keep SigFigs). A service
	// histogram of this precision over MaxTrackableMS is 16 KB, a connect
	// histogram over MaxConnectMS 10 KB, against 106 KB at three digits.
	WindowSigFigs = 2
	// DefaultWindowSpan is the default length of a rolling window.
	DefaultWindowSpan = time.Minute
	// DefaultWindowSlots is how many slots a window is cut into by default
	// (a 1 min window has 5 s slots).
	DefaultWindowSlots = 12
	// DefaultWindowGroups caps the distinct keys a window tracks at once;
	// requests of further keys go to the OtherKey group. A key no request
	// has used within the window frees its place.
	DefaultWindowGroups = 64
)

// CodeKey is the key of a router record in the ByCode grouping: its Heroku
// error code (H12, H13, ...), else "5xx" for any other 5xx status, else
// "ok".
func CodeKey(r *parse.Record) string {
	switch {
	case r.Code != "":
		return r.Code
	case r.Status >= 500:
		return "5xx"
	}
	return "ok"
}

// WindowOptions configure a Window.
type WindowOptions struct {
	By        By            // ByDyno, ByRoute, ByHost, ByStatus or ByCode; ByDyno when empty
	Sort      Sort          // group order; SortKey for dyno and status, SortRequests otherwise, when empty
	Span      time.Duration // window length; DefaultWindowSpan when 0
	Slot      time.Duration // slot length; Span/DefaultWindowSlots (at least 1 s) when 0
	MaxGroups int           // keys tracked at once; DefaultWindowGroups when 0
}

func (o WindowOptions) withDefaults() WindowOptions {
	if o.By == "" || o.By == ByMinute {
		o.By = ByDyno
	}
	if o.Sort == "" {
		switch o.By {
		case ByDyno, ByStatus:
			o.Sort = SortKey
		default:
			o.Sort = SortRequests
		}
	}
	if o.Span <= 0 {
		o.Span = DefaultWindowSpan
	}
	if o.Slot <= 0 {
		o.Slot = o.Span / DefaultWindowSlots
		if o.Slot < time.Second {
			o.Slot = time.Second
		}
	}
	if o.Slot > o.Span {
		o.Slot = o.Span
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = DefaultWindowGroups
	}
	return o
}

// Window keeps the router requests of the last Span of log time, grouped
// like an Aggregator: a ring of slots, each holding per-key counts and
// small HDR histograms (WindowSigFigs), merged on demand by Report. Time is
// the caller's (normally the record's own timestamp), so replaying a file
// gives the same windows as reading it live, and out-of-order records land
// in their own slot; records older than the ring are counted as late and
// left out. Memory is bounded by slots × MaxGroups whatever the input
// rate, and Add allocates nothing once a key's histograms exist in a slot
// (slots are reset and reused, not freed). A Window is not safe for
// concurrent use.
type Window struct {
	opts   WindowOptions
	slotUS int64
	slots  []wslot

	keys     []string         // key id -> key
	ids      map[string]int32 // key -> key id
	lastSlot []int64          // key id -> newest slot number it was used in
	keyBuf   []byte

	head     int64 // newest slot number seen
	hasHead  bool
	first    int64 // earliest record time, µs
	hasFirst bool
	late     int64 // requests older than the ring

	scratch      []wgroup // per key id, for Report
	scratchTotal wgroup
	scratchOther wgroup
}

// wslot is the requests of one slot of time.
type wslot struct {
	num    int64 // slot number: time / slot length
	used   bool
	total  wgroup
	other  *wgroup
	groups []*wgroup // by key id; nil where the key had no request
}

// NewWindow returns an empty Window.
func NewWindow(opts WindowOptions) *Window {
	opts = opts.withDefaults()
	slotUS := opts.Slot.Microseconds()
	// One slot more than the span holds, so the window always covers at
	// least Span: the current, partial slot plus the Span before it.
	n := int((opts.Span.Microseconds()+slotUS-1)/slotUS) + 1
	w := &Window{
		opts:   opts,
		slotUS: slotUS,
		slots:  make([]wslot, n),
		ids:    make(map[string]int32, 16),
	}
	return w
}

// Options returns the options in force (defaults filled in).
func (w *Window) Options() WindowOptions { return w.opts }

// Late returns the number of requests that were older than the window
// when they arrived and so were left out of it.
func (w *Window) Late() int64 { return w.late }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Add counts a router record at time t (µs since the epoch). Records of
// other kinds are ignored.
func (w *Window) Add(r *parse.Record, t int64) {
	if r.Kind != parse.KindRouter {
		return
	}
	n := int64(len(w.slots))
	num := floorDiv(t, w.slotUS)
	if !w.hasHead || num > w.head {
		w.head, w.hasHead = num, true
	}
	if num <= w.head-n {
		w.late++
		return
	}
	if !w.hasFirst || t < w.first {
		w.first, w.hasFirst = t, true
	}
	s := &w.slots[int(((num%n)+n)%n)]
	if !s.used || s.num != num {
		s.reset(num)
	}
	s.total.add(r)
	id := w.keyID(r)
	var g *wgroup
	if id < 0 {
		if s.other == nil {
			s.other = newWGroup()
		}
		g = s.other
	} else {
		for len(s.groups) <= int(id) {
			s.groups = append(s.groups, nil)
		}
		g = s.groups[id]
		if g == nil {
			g = newWGroup()
			s.groups[id] = g
		}
		if num > w.lastSlot[id] {
			w.lastSlot[id] = num
		}
	}
	g.add(r)
}

// keyID returns the id of r's key, -1 for the other group.
func (w *Window) keyID(r *parse.Record) int32 {
	var kb []byte
	switch w.opts.By {
	case ByDyno:
		k := r.Dyno
		if k == "" {
			k = NoneKey
		}
		return w.idOf(k, nil)
	case ByCode:
		return w.idOf(CodeKey(r), nil)
	case ByRoute:
		w.keyBuf = Route(w.keyBuf[:0], r.Path)
		kb = w.keyBuf
	case ByHost:
		if len(r.Host) == 0 {
			return w.idOf(NoneKey, nil)
		}
		kb = r.Host
	case ByStatus:
		if r.Status < 0 {
			return w.idOf("none", nil)
		}
		w.keyBuf = strconv.AppendInt(w.keyBuf[:0], r.Status, 10)
		kb = w.keyBuf
	default:
		return w.idOf(NoneKey, nil)
	}
	return w.idOf("", kb)
}

// idOf looks a key up (k, or kb when k is empty), adding it when there is
// room or a key unused within the window can give up its place.
func (w *Window) idOf(k string, kb []byte) int32 {
	if len(k) > MaxKeyLen {
		k = k[:MaxKeyLen]
	}
	if len(kb) > MaxKeyLen {
		kb = kb[:MaxKeyLen]
	}
	var id int32
	var ok bool
	if k != "" {
		id, ok = w.ids[k]
	} else {
		id, ok = w.ids[string(kb)] // no allocation on a hit
	}
	if ok {
		return id
	}
	if k == "" {
		k = string(kb)
	}
	if len(w.keys) < w.opts.MaxGroups {
		id = int32(len(w.keys))
		w.keys = append(w.keys, k)
		w.lastSlot = append(w.lastSlot, w.head)
		w.ids[k] = id
		return id
	}
	n := int64(len(w.slots))
	for i, last := range w.lastSlot {
		if last <= w.head-n { // in no live slot: reuse its place
			delete(w.ids, w.keys[i])
			w.keys[i] = k
			w.lastSlot[i] = w.head
			w.ids[k] = int32(i)
			w.clearKey(int32(i))
			return int32(i)
		}
	}
	return -1
}

// clearKey empties key id in every slot (they hold only stale data for it).
func (w *Window) clearKey(id int32) {
	for i := range w.slots {
		s := &w.slots[i]
		if int(id) < len(s.groups) && s.groups[id] != nil {
			s.groups[id].reset()
		}
	}
}

func (s *wslot) reset(num int64) {
	s.num, s.used = num, true
	s.total.reset()
	if s.other != nil {
		s.other.reset()
	}
	for _, g := range s.groups {
		if g != nil {
			g.reset()
		}
	}
}

// WindowReport is a window's numbers: the groups and total have the same
// shape as a Report's, over the requests of [Start, End] only; RPS is
// requests ÷ Seconds.
type WindowReport struct {
	By string `json:"by"`
	// Start and End bound the window, RFC 3339 UTC. The window starts at
	// the start of its oldest slot (or at the first request seen, when
	// later) and ends at the time Report was asked for.
	Start   string  `json:"window_start"`
	End     string  `json:"window_end"`
	Seconds float64 `json:"window_seconds"`
	Total   Group   `json:"total"`
	Groups  []Group `json:"groups"`
	// Late counts requests, since the start, that arrived after their
	// window had passed (out of order by more than the window's length).
	Late int64 `json:"late_requests"`
}

// Report merges the live slots into the window ending at now (µs since the
// epoch; a time before the newest record seen is taken as that record's
// slot) and computes its numbers. Quantiles are within 1% (WindowSigFigs).
func (w *Window) Report(now int64) *WindowReport {
	n := int64(len(w.slots))
	nowNum := floorDiv(now, w.slotUS)
	if w.hasHead && nowNum < w.head {
		nowNum = w.head
	}
	start := (nowNum - n + 1) * w.slotUS // between Span and Span+Slot before now
	if w.hasFirst && w.first > start {
		start = w.first
	}
	end := now
	if end < start {
		end = start
	}
	secs := float64(end-start) / 1e6
	if secs < 1 {
		secs = 1
	}
	rep := &WindowReport{
		By: string(w.opts.By), Start: FormatTime(start), End: FormatTime(end),
		Seconds: math.Round(secs*1000) / 1000, Groups: []Group{}, Late: w.late,
	}
	for len(w.scratch) < len(w.keys) {
		w.scratch = append(w.scratch, wgroup{})
	}
	for i := range w.scratch {
		w.scratch[i].reset()
	}
	w.scratchTotal.reset()
	w.scratchOther.reset()
	for i := range w.slots {
		s := &w.slots[i]
		if !s.used || s.num <= nowNum-n || s.num > nowNum {
			continue
		}
		w.scratchTotal.merge(&s.total)
		if s.other != nil {
			w.scratchOther.merge(s.other)
		}
		for id, g := range s.groups {
			if g != nil && g.requests > 0 {
				w.scratch[id].merge(g)
			}
		}
	}
	rep.Total = w.scratchTotal.report("total", secs)
	for id := range w.keys {
		if w.scratch[id].requests > 0 {
			rep.Groups = append(rep.Groups, w.scratch[id].report(displayKey(w.keys[id]), secs))
		}
	}
	SortGroups(rep.Groups, w.opts.Sort)
	if w.scratchOther.requests > 0 {
		rep.Groups = append(rep.Groups, w.scratchOther.report(OtherKey, secs))
	}
	markOutliers(rep.Groups)
	return rep
}

// wgroup is the window's counterpart of group, with smaller histograms.
type wgroup struct {
	requests int64
	service  wdist
	connect  wdist
	status   [6]int64
	codes    map[string]int64
	h12      int64
	errors   int64
}

func newWGroup() *wgroup { return &wgroup{} }

func (g *wgroup) reset() {
	g.requests, g.h12, g.errors = 0, 0, 0
	g.service.reset()
	g.connect.reset()
	g.status = [6]int64{}
	clear(g.codes)
}

func (g *wgroup) add(r *parse.Record) {
	g.requests++
	if r.Service >= 0 {
		g.service.record(r.Service, MaxTrackableMS)
	}
	if r.Connect >= 0 {
		g.connect.record(r.Connect, MaxConnectMS)
	}
	g.status[statusClass(r.Status)]++
	if r.IsError() {
		g.errors++
	}
	if r.Code != "" {
		if g.codes == nil {
			g.codes = make(map[string]int64, 4)
		}
		countCode(g.codes, r.Code, 1)
		if r.Code == "H12" {
			g.h12++
		}
	}
}

func (g *wgroup) merge(o *wgroup) {
	g.requests += o.requests
	g.service.merge(&o.service, MaxTrackableMS)
	g.connect.merge(&o.connect, MaxConnectMS)
	for i := range g.status {
		g.status[i] += o.status[i]
	}
	for c, n := range o.codes {
		if n == 0 {
			continue
		}
		if g.codes == nil {
			g.codes = make(map[string]int64, len(o.codes))
		}
		countCode(g.codes, c, n)
	}
	g.h12 += o.h12
	g.errors += o.errors
}

func (g *wgroup) report(key string, secs float64) Group {
	out := Group{
		Key: key, Requests: g.requests,
		Service: g.service.summary(), Connect: g.connect.summary(),
		H12: g.h12, Errors: g.errors, Codes: map[string]int64{},
		Status: StatusCounts{
			None: g.status[0], S1xx: g.status[1], S2xx: g.status[2],
			S3xx: g.status[3], S4xx: g.status[4], S5xx: g.status[5],
		},
	}
	if secs > 0 {
		out.RPS = math.Round(float64(g.requests)/secs*1000) / 1000
	}
	for c, n := range g.codes {
		if n > 0 {
			out.Codes[ValidUTF8(c)] += n
		}
	}
	return out
}

// wdist is a duration distribution with a WindowSigFigs histogram.
type wdist struct {
	h                   *hdrhistogram.Histogram
	count, sum, min, mx int64
}

func (d *wdist) reset() {
	d.count, d.sum, d.min, d.mx = 0, 0, 0, 0
	if d.h != nil {
		d.h.Reset()
	}
}

func (d *wdist) record(v, highest int64) {
	if d.h == nil {
		d.h = hdrhistogram.New(1, highest, WindowSigFigs)
	}
	if d.count == 0 || v < d.min {
		d.min = v
	}
	d.count++
	if d.sum < math.MaxInt64-v {
		d.sum += v
	} else {
		d.sum = math.MaxInt64
	}
	if v > d.mx {
		d.mx = v
	}
	if v > highest {
		v = highest
	}
	_ = d.h.RecordValue(v) // within range
}

func (d *wdist) merge(o *wdist, highest int64) {
	if o.count == 0 {
		return
	}
	if d.h == nil {
		d.h = hdrhistogram.New(1, highest, WindowSigFigs)
	}
	if d.count == 0 || o.min < d.min {
		d.min = o.min
	}
	d.count += o.count
	if d.sum < math.MaxInt64-o.sum {
		d.sum += o.sum
	} else {
		d.sum = math.MaxInt64
	}
	if o.mx > d.mx {
		d.mx = o.mx
	}
	if !mergeHist(d.h, o.h) {
		d.h.Merge(o.h)
	}
}

func (d *wdist) summary() Summary {
	if d.count == 0 {
		return Summary{}
	}
	vals := d.h.ValueAtPercentilesSlice([]float64{50, 95, 99, 99.9})
	for i := range vals {
		if vals[i] > d.mx {
			vals[i] = d.mx
		}
	}
	return Summary{
		Count: d.count,
		Mean:  math.Round(float64(d.sum)/float64(d.count)*10) / 10,
		P50:   vals[0], P95: vals[1], P99: vals[2], P999: vals[3],
		Max: d.mx,
	}
}

// SlowRequest is one of the slowest requests of a window. Path and
// RequestID are as logged (not sanitised): escape them before printing.
type SlowRequest struct {
	Time      string `json:"time"` // RFC 3339 UTC
	Dyno      string `json:"dyno"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	ServiceMS int64  `json:"service_ms"`
	Status    int64  `json:"status"` // -1 when absent
	Code      string `json:"code,omitempty"`
	RequestID string `json:"request_id"`
}

// Longest path and request id a Slowest entry keeps, in bytes; longer
// ones are cut.
const (
	slowPathMax = 160
	slowIDMax   = 64
)

type slowEntry struct {
	used               bool
	t, service, status int64
	dyno, method, code string
	path               [slowPathMax]byte
	pathLen            int
	rid                [slowIDMax]byte
	ridLen             int
}

// Slowest keeps the K slowest router requests (by service time) of the
// last Span of log time, in fixed buffers: Add allocates nothing. It is a
// streaming top-K: a request pushed out by a slower one is not brought
// back when that one leaves the window, so after such an expiry the list
// may miss a request that is still in the window.
type Slowest struct {
	span    int64 // µs
	entries []slowEntry
	newest  int64
}

// NewSlowest returns a tracker of the k slowest requests within span.
func NewSlowest(k int, span time.Duration) *Slowest {
	if k < 1 {
		k = 1
	}
	return &Slowest{span: span.Microseconds(), entries: make([]slowEntry, k)}
}

// Add offers a record at time t (µs); only router records with a service
// time are kept.
func (s *Slowest) Add(r *parse.Record, t int64) {
	if r.Kind != parse.KindRouter || r.Service < 0 {
		return
	}
	if t > s.newest {
		s.newest = t
	}
	cutoff := s.newest - s.span
	if t < cutoff {
		return
	}
	victim := -1
	for i := range s.entries {
		e := &s.entries[i]
		if !e.used || e.t < cutoff {
			victim = i
			break
		}
		if e.service < r.Service && (victim < 0 || e.service < s.entries[victim].service) {
			victim = i
		}
	}
	if victim < 0 {
		return
	}
	e := &s.entries[victim]
	e.used, e.t, e.service, e.status = true, t, r.Service, r.Status
	e.dyno, e.method, e.code = r.Dyno, r.Method, r.Code
	e.pathLen = copy(e.path[:], r.Path)
	e.ridLen = copy(e.rid[:], r.RequestID)
}

// Report returns the kept requests within Span before now (µs), slowest
// first.
func (s *Slowest) Report(now int64) []SlowRequest {
	if s.newest > now {
		now = s.newest
	}
	cutoff := now - s.span
	out := []SlowRequest{}
	for i := range s.entries {
		e := &s.entries[i]
		if !e.used || e.t < cutoff {
			continue
		}
		out = append(out, SlowRequest{
			Time: FormatTime(e.t), Dyno: e.dyno, Method: e.method,
			Path: string(e.path[:e.pathLen]), ServiceMS: e.service, Status: e.status,
			Code: e.code, RequestID: string(e.rid[:e.ridLen]),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ServiceMS > out[j].ServiceMS })
	return out
}

// ErrorLine is one recent error record. Message is as logged (not
// sanitised), cut to 200 bytes.
type ErrorLine struct {
	Time    string `json:"time"`    // RFC 3339 UTC
	Process string `json:"process"` // the dyno for router lines, else the process (logplex, web.1, ...)
	Code    string `json:"code"`    // H12, R14, L10, ... or the status ("503") of a 5xx without a code
	Message string `json:"message"`
}

const errTextMax = 200

type errEntry struct {
	t          int64
	proc, code string
	status     int64
	text       [errTextMax]byte
	n          int
}

// RecentErrors keeps the last K error records in arrival order, in fixed
// buffers: router requests with a code or a 5xx status, and dyno and
// logplex records with a code (R14, L10, ...). Add allocates nothing.
type RecentErrors struct {
	ring  []errEntry
	next  int
	count int
}

// NewRecentErrors returns a tracker of the last k error records.
func NewRecentErrors(k int) *RecentErrors {
	if k < 1 {
		k = 1
	}
	return &RecentErrors{ring: make([]errEntry, k)}
}

// Add offers a record at time t (µs).
func (e *RecentErrors) Add(r *parse.Record, t int64) {
	switch r.Kind {
	case parse.KindRouter:
		if !r.IsError() {
			return
		}
	case parse.KindDyno, parse.KindLogplex:
		if r.Code == "" {
			return
		}
	default:
		return
	}
	x := &e.ring[e.next]
	e.next = (e.next + 1) % len(e.ring)
	if e.count < len(e.ring) {
		e.count++
	}
	x.t, x.code, x.status = t, r.Code, r.Status
	x.proc = r.Process
	if r.Kind == parse.KindRouter && r.Dyno != "" {
		x.proc = r.Dyno
	}
	x.n = copy(x.text[:], r.Message)
}

// Report returns the kept records, oldest first.
func (e *RecentErrors) Report() []ErrorLine {
	out := make([]ErrorLine, 0, e.count)
	for i := 0; i < e.count; i++ {
		x := &e.ring[(e.next-e.count+i+len(e.ring))%len(e.ring)]
		code := x.code
		if code == "" {
			code = strconv.FormatInt(x.status, 10)
		}
		out = append(out, ErrorLine{Time: FormatTime(x.t), Process: x.proc, Code: code, Message: string(x.text[:x.n])})
	}
	return out
}
