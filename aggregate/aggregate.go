package aggregate

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/herolog/herolog/parse"
)

// By names the key requests are grouped by.
type By string

// The groupings.
const (
	ByDyno   By = "dyno"   // dyno=web.1 ... ("(none)" when the router names none)
	ByRoute  By = "route"  // templated path (see Route)
	ByHost   By = "host"   // host=
	ByStatus By = "status" // status= ("none" when absent)
	ByMinute By = "minute" // the minute the request completed, UTC
	ByCode   By = "code"   // Heroku error code (H12, ...), else "5xx" for other 5xx, else "ok"
)

// Bys lists every grouping, in the order help shows them.
var Bys = []string{string(ByDyno), string(ByRoute), string(ByHost), string(ByStatus), string(ByMinute), string(ByCode)}

// Sort names the order of groups in a report.
type Sort string

// Orders.
const (
	SortMax      Sort = "max"      // service max, largest first
	SortP99      Sort = "p99"      // service p99, largest first
	SortRequests Sort = "requests" // request count, largest first
	SortKey      Sort = "key"      // key, in natural order (web.2 before web.10)
)

// Sorts lists every order.
var Sorts = []string{string(SortMax), string(SortP99), string(SortRequests), string(SortKey)}

// Defaults.
const (
	// DefaultMaxGroups caps the distinct groups kept; requests of further
	// keys are folded into one "other" group, so memory stays flat whatever
	// the input (each group holds about 170 KB of histograms).
	DefaultMaxGroups = 500
	// DefaultMaxProblems is how many bad records are kept as examples.
	DefaultMaxProblems = 10
	// OtherKey is the key of the group that collects folded keys.
	OtherKey = "other"
	// NoneKey is the key of requests the grouping field is missing from.
	NoneKey = "(none)"
	// MaxKeyLen is the longest group key kept, in bytes: longer keys (a
	// 5,000-byte path, a hostile host) are cut there and shown with "…", so
	// the group cap bounds memory whatever the input.
	MaxKeyLen = 256
	// MaxCodes caps the distinct error codes counted, in total and per
	// group; further codes are counted under OtherKey. Heroku has about 40.
	MaxCodes = 100
)

// Options configure an Aggregator.
type Options struct {
	By          By   // grouping; ByDyno when empty
	Sort        Sort // order of groups in the report; by grouping when empty
	MaxGroups   int  // cap on distinct groups; DefaultMaxGroups when 0
	MaxProblems int  // bad records kept as examples; DefaultMaxProblems when 0
	Spectrum    bool // Report fills Group.Spectrum (for charts)

	// AllGroupings also keeps the groups of every other grouping, so a
	// saved summary (see WriteSummary) can be reported by any of them. It
	// costs one more group lookup per request and grouping.
	AllGroupings bool
	// Also keeps the groups of these other groupings too, when
	// AllGroupings is unset, so Regroup can switch to them (live switches
	// between dyno, route and code so, with one set of tail sections).
	// Each costs one more group lookup per request.
	Also []By
	// Interval, when positive, also keeps a service-time histogram per dyno
	// per interval of this width, for WriteHlog (hlog.go).
	Interval time.Duration
	Bucket   time.Duration // timeline bucket width; DefaultBucket when 0
	Top      int           // slowest requests listed; DefaultTop when 0
}

func (o Options) withDefaults() Options {
	if o.By == "" {
		o.By = ByDyno
	}
	if o.Sort == "" {
		switch o.By {
		case ByMinute, ByStatus:
			o.Sort = SortKey
		default:
			o.Sort = SortMax
		}
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = DefaultMaxGroups
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = DefaultMaxProblems
	}
	if o.Bucket <= 0 {
		o.Bucket = DefaultBucket
	}
	if o.Top <= 0 {
		o.Top = DefaultTop
	}
	return o
}

// ValidBy reports whether s names a grouping.
func ValidBy(s string) bool {
	for _, b := range Bys {
		if b == s {
			return true
		}
	}
	return false
}

// group holds the numbers of one key.
type group struct {
	key      string
	requests int64
	service  Dist
	connect  Dist
	wait     *Dist
	queue    int64 // legacy queue depth: max seen
	status   [6]int64
	codes    map[string]int64
	h12      int64
	errors   int64 // requests with a code or a 5xx status
}

func newGroup(key string) *group {
	return &group{key: key, connect: newDist(MaxConnectMS)}
}

func (g *group) add(r *parse.Record) {
	g.requests++
	if r.Service >= 0 {
		g.service.Record(r.Service)
	}
	if r.Connect >= 0 {
		g.connect.Record(r.Connect)
	}
	if r.Wait >= 0 {
		if g.wait == nil {
			g.wait = new(Dist)
		}
		g.wait.Record(r.Wait)
	}
	if r.Queue > g.queue {
		g.queue = r.Queue
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

// countCode adds n to code in m, or to OtherKey once m holds MaxCodes
// codes, so hostile input with a million distinct code= values cannot grow
// memory.
func countCode(m map[string]int64, code string, n int64) {
	if _, ok := m[code]; !ok && len(m) >= MaxCodes {
		code = OtherKey
	}
	m[code] += n
}

func (g *group) merge(o *group) {
	g.mergeCounts(o)
	for c, n := range o.codes {
		if g.codes == nil {
			g.codes = make(map[string]int64, len(o.codes))
		}
		countCode(g.codes, c, n)
	}
}

// mergeCounts adds o into g but for the codes.
func (g *group) mergeCounts(o *group) {
	g.requests += o.requests
	g.service.Merge(&o.service)
	g.connect.Merge(&o.connect)
	if o.wait != nil {
		if g.wait == nil {
			g.wait = new(Dist)
		}
		g.wait.Merge(o.wait)
	}
	if o.queue > g.queue {
		g.queue = o.queue
	}
	for i := range g.status {
		g.status[i] += o.status[i]
	}
	g.h12 += o.h12
	g.errors += o.errors
}

// resetCounts empties g but for its codes, keeping its histograms'
// buffers.
func (g *group) resetCounts() {
	g.requests, g.queue, g.status, g.h12, g.errors = 0, 0, [6]int64{}, 0, 0
	g.service.reset()
	g.connect.reset()
	if g.wait != nil {
		g.wait.reset()
	}
}

// statusClass maps a status to 1..5 for 1xx..5xx, 0 when missing or odd.
func statusClass(s int64) int {
	if s >= 100 && s < 600 {
		return int(s / 100)
	}
	return 0
}

// Aggregator consumes records and keeps, per group and in total, HDR
// histograms of service, connect and legacy wait time, exact counts, sums
// and maxima, status classes and error codes. Add is O(1) per record and
// allocates only when it meets a new key; quantiles are computed once, in
// Report. An Aggregator is not safe for concurrent use: give each worker
// its own and Merge them.
type Aggregator struct {
	opts Options

	// File names the input being read; it labels the problems recorded.
	File string

	lines   [parse.NumKinds]int64
	formats [8]int64
	total   *group
	groups  map[string]*group
	other   *group
	folded  int64 // requests folded into other

	start, end int64 // µs
	hasTime    bool

	codes    map[string]int64 // every code, router and platform
	dropped  int64            // messages Logplex reported dropped or lost
	clamped  int64            // records with a clamped or invalid number
	problems []Problem

	keyBuf        []byte
	lastMinute    int64
	lastMinuteKey []byte

	// totalStale: the total is not kept up to date record by record (two
	// of the seven histogram records a request cost, and its counts) but
	// rebuilt from the groups when read (syncTotal): every router record
	// is counted in exactly one group (or other), so the groups add up to
	// the total, bucket for bucket. Only its codes are counted per record
	// (which codes are kept under MaxCodes depends on their order).
	totalStale bool
	// eagerTotal: the total's histograms are recorded per request after
	// all, because there are too many groups (more than lazyTotalGroups)
	// to rebuild it from at every report (live reports every second).
	eagerTotal bool

	// alts hold the groups of the other groupings, in Bys order, when
	// Options.AllGroupings or Also is set; only their group fields are
	// used.
	alts []*Aggregator
	// iv holds the interval histograms when Options.Interval is set.
	iv   *intervals
	tail tailState // the tail-analysis sections (tail.go)
}

// Problem is one bad record kept as an example.
type Problem struct {
	File   string `json:"file"`
	Line   int64  `json:"line"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	Text   string `json:"text"` // the start of the record, at most 160 bytes, as read (not sanitised) but for invalid UTF-8 bytes, written \xNN
}

// New returns an empty Aggregator.
func New(opts Options) *Aggregator {
	opts = opts.withDefaults()
	a := &Aggregator{
		opts:       opts,
		total:      newGroup("total"),
		groups:     make(map[string]*group, 16),
		codes:      make(map[string]int64, 8),
		lastMinute: -1,
	}
	if opts.AllGroupings || len(opts.Also) > 0 {
		a.alts = newAlts(opts)
	}
	if opts.Interval > 0 {
		a.iv = newIntervals(opts.Interval)
	}
	a.tail.init(opts)
	return a
}

// Options returns the options in force (defaults filled in).
func (a *Aggregator) Options() Options { return a.opts }

// Add counts one record.
func (a *Aggregator) Add(r *parse.Record) {
	a.lines[r.Kind]++
	if int(r.Format) < len(a.formats) {
		a.formats[r.Format]++
	}
	if r.HasTime {
		if !a.hasTime || r.Time < a.start {
			a.start = r.Time
		}
		if !a.hasTime || r.Time > a.end {
			a.end = r.Time
		}
		a.hasTime = true
	}
	if r.Clamped {
		a.clamped++
	}
	a.tail.add(r)
	switch r.Kind {
	case parse.KindRouter:
		if a.eagerTotal {
			a.total.add(r)
		} else {
			if r.Code != "" {
				if a.total.codes == nil {
					a.total.codes = make(map[string]int64, 4)
				}
				countCode(a.total.codes, r.Code, 1)
			}
			a.totalStale = true
		}
		if a.opts.By == ByDyno {
			a.dynoGroup(a.tail.cur).add(r)
		} else {
			a.groupFor(r, a.tail.tmpl).add(r)
		}
		for _, alt := range a.alts {
			alt.groupFor(r, a.tail.tmpl).add(r)
		}
		if a.iv != nil {
			a.iv.add(r)
		}
		if r.Code != "" {
			countCode(a.codes, r.Code, 1)
		}
	case parse.KindDyno:
		if r.Code != "" {
			countCode(a.codes, r.Code, 1)
		}
	case parse.KindLogplex:
		if r.Code != "" {
			countCode(a.codes, r.Code, 1)
		}
		if r.Dropped > 0 {
			a.dropped += r.Dropped
		}
	case parse.KindMalformed, parse.KindUnparsed, parse.KindOversize:
		if len(a.problems) < a.opts.MaxProblems {
			a.problems = append(a.problems, problemOf(a.File, r))
		}
	}
}

func problemOf(file string, r *parse.Record) Problem {
	text := r.Message
	if len(text) > 160 {
		text = text[:160]
	}
	reason := r.Problem
	if reason == "" {
		reason = r.Kind.String()
	}
	return Problem{File: ValidUTF8(file), Line: r.Line, Kind: r.Kind.String(), Reason: reason, Text: ValidUTF8(string(text))}
}

// groupFor returns the group of a router record, creating it (or folding
// into other) as needed. tmpl is the record's templated route (see Route).
func (a *Aggregator) groupFor(r *parse.Record, tmpl []byte) *group {
	switch a.opts.By {
	case ByDyno:
		k := r.Dyno
		if k == "" {
			k = NoneKey
		}
		return a.lookup(k)
	case ByRoute:
		return a.lookupBytes(tmpl)
	case ByHost:
		if len(r.Host) == 0 {
			return a.lookup(NoneKey)
		}
		return a.lookupBytes(r.Host)
	case ByStatus:
		if r.Status < 0 {
			return a.lookup("none")
		}
		a.keyBuf = strconv.AppendInt(a.keyBuf[:0], r.Status, 10)
		return a.lookupBytes(a.keyBuf)
	case ByCode:
		return a.lookup(CodeKey(r))
	case ByMinute:
		if !r.HasTime {
			return a.lookup(NoneKey)
		}
		m := r.Time / 60_000_000
		if m != a.lastMinute {
			a.lastMinute = m
			a.lastMinuteKey = time.UnixMicro(m*60_000_000).UTC().AppendFormat(a.lastMinuteKey[:0], "2006-01-02T15:04Z")
		}
		return a.lookupBytes(a.lastMinuteKey) // no allocation once the minute's group exists
	}
	return a.lookup(NoneKey)
}

// dynoGroup returns the by-dyno group of the dyno of e, looking it up once
// per cache entry.
func (a *Aggregator) dynoGroup(e *dynoEntry) *group {
	if !e.grpSet { // as lookup does
		k := e.name
		if len(k) > MaxKeyLen {
			k = k[:MaxKeyLen]
		}
		e.group, e.grpSet = a.groups[k], true
		if e.group == nil && len(a.groups) < a.opts.MaxGroups {
			e.group = newGroup(displayKey(k))
			a.groups[k] = e.group
		}
	}
	if e.group == nil {
		return a.otherGroup()
	}
	return e.group
}

func (a *Aggregator) lookup(k string) *group {
	if len(k) > MaxKeyLen {
		k = k[:MaxKeyLen]
	}
	if g, ok := a.groups[k]; ok {
		return g
	}
	if len(a.groups) >= a.opts.MaxGroups {
		return a.otherGroup()
	}
	g := newGroup(displayKey(k))
	a.groups[k] = g
	return g
}

func (a *Aggregator) lookupBytes(k []byte) *group {
	if len(k) > MaxKeyLen {
		k = k[:MaxKeyLen]
	}
	if g, ok := a.groups[string(k)]; ok { // no allocation on a hit
		return g
	}
	if len(a.groups) >= a.opts.MaxGroups {
		return a.otherGroup()
	}
	g := newGroup(displayKey(string(k)))
	a.groups[string(k)] = g
	return g
}

// displayKey is how a group's key (as logged, possibly cut at MaxKeyLen)
// is reported: valid UTF-8, with "…" after a cut key.
func displayKey(k string) string {
	k = ValidUTF8(k)
	if len(k) >= MaxKeyLen {
		k += "…"
	}
	return k
}

// ValidUTF8 returns s with each byte that is not part of valid UTF-8
// written as \xNN, so that reports (JSON above all, which can only
// replace such bytes with U+FFFD) keep distinct keys distinct and round
// trip exactly. Valid strings are returned as they are.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, '\\', 'x', hex[s[i]>>4], hex[s[i]&15])
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}

func (a *Aggregator) otherGroup() *group {
	if a.other == nil {
		a.other = newGroup(OtherKey)
	}
	a.folded++
	return a.other
}

// Merge adds everything b counted into a. Both must have the same
// grouping. Groups beyond a's cap are folded into its other group. b is
// not modified, but for its total's histograms, which may be brought up
// to date from its groups.
func (a *Aggregator) Merge(b *Aggregator) error {
	if a.opts.By != b.opts.By {
		return fmt.Errorf("aggregate: cannot merge results grouped by %s into results grouped by %s", b.opts.By, a.opts.By)
	}
	for _, alt := range a.alts {
		if !slices.ContainsFunc(b.alts, func(x *Aggregator) bool { return x.opts.By == alt.opts.By }) {
			if len(b.alts) == 0 {
				return fmt.Errorf("aggregate: cannot merge results kept for one grouping (%s) into results kept for all groupings", b.opts.By)
			}
			return fmt.Errorf("aggregate: cannot merge results without the groups by %s into results that keep them", alt.opts.By)
		}
	}
	for i := range a.lines {
		a.lines[i] += b.lines[i]
	}
	for i := range a.formats {
		a.formats[i] += b.formats[i]
	}
	if b.hasTime {
		if !a.hasTime || b.start < a.start {
			a.start = b.start
		}
		if !a.hasTime || b.end > a.end {
			a.end = b.end
		}
		a.hasTime = true
	}
	if a.eagerTotal {
		b.syncTotal()
		a.total.merge(b.total)
	} else {
		for c, n := range b.total.codes {
			if a.total.codes == nil {
				a.total.codes = make(map[string]int64, len(b.total.codes))
			}
			countCode(a.total.codes, c, n)
		}
		a.totalStale = true
	}
	a.mergeGroups(b)
	a.mergeAlts(b)
	if a.iv != nil && b.iv != nil {
		a.iv.merge(b.iv)
	}
	for c, n := range b.codes {
		countCode(a.codes, c, n)
	}
	a.dropped += b.dropped
	a.clamped += b.clamped
	a.tail.merge(&b.tail)
	for _, p := range b.problems {
		if len(a.problems) >= a.opts.MaxProblems {
			break
		}
		a.problems = append(a.problems, p)
	}
	return nil
}

// ShiftLines adds n to the line number of every problem recorded so far:
// an aggregator fed one chunk of an input whose records were numbered from
// the chunk's start (parse.ChunkerAt.RelativeLines) is given the lines
// before the chunk this way before it is merged.
func (a *Aggregator) ShiftLines(n int64) {
	for i := range a.problems {
		a.problems[i].Line += n
	}
}

// lazyTotalGroups is the most groups the total's histograms are rebuilt
// from (syncTotal); past it they are recorded per request.
const lazyTotalGroups = 32

// syncTotal rebuilds the total (but for its codes) from the groups when
// records or merges have been counted since it last did. Each group's
// histograms are merged once (a few thousand buckets), which costs about
// what recording a few thousand requests in the total would.
//
// Past lazyTotalGroups groups the rebuild would cost too much at every
// report, so the total is then kept up to date per request (eagerTotal).
func (a *Aggregator) syncTotal() {
	if !a.totalStale {
		return
	}
	a.totalStale = false
	a.eagerTotal = len(a.groups) > lazyTotalGroups
	t := a.total
	t.resetCounts()
	for _, g := range a.groups {
		t.mergeCounts(g)
	}
	if a.other != nil {
		t.mergeCounts(a.other)
	}
}

// mergeGroups adds b's groups (and its other group) into a's.
func (a *Aggregator) mergeGroups(b *Aggregator) {
	for k, g := range b.groups {
		if mine, ok := a.groups[k]; ok {
			mine.merge(g)
			continue
		}
		if len(a.groups) >= a.opts.MaxGroups {
			if a.other == nil {
				a.other = newGroup(OtherKey)
			}
			a.other.merge(g)
			a.folded += g.requests
			continue
		}
		ng := newGroup(g.key)
		ng.merge(g)
		a.groups[k] = ng
	}
	if b.other != nil {
		if a.other == nil {
			a.other = newGroup(OtherKey)
		}
		a.other.merge(b.other)
		a.folded += b.folded
	}
}

// Lines returns the number of records of each kind counted so far.
func (a *Aggregator) Lines() [parse.NumKinds]int64 { return a.lines }

// Requests returns the number of router requests counted so far.
func (a *Aggregator) Requests() int64 {
	a.syncTotal()
	return a.total.requests
}
