package aggregate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/klauspost/compress/zstd"
)

// Saved summaries (.hlsum files).
//
// A summary is the whole state of an Aggregator in mergeable form, so that
// shards of an archive can be analysed anywhere and merged later into the
// report one run over everything would give. The file is
//
//	"HLSUM" (5 bytes) | format version (1 byte) | zstd frame of the body
//
// and the body, in varints and length-prefixed strings, is: the herolog
// version that wrote it; the histogram settings (lowest and highest
// trackable values, significant figures); the inputs with their
// fingerprints; then the Aggregator's state (MarshalBinary): options,
// counters, every group's HDR histograms as sparse bucket counts with exact
// count, sum, minimum and maximum, and, when Options.AllGroupings was set,
// the groups of every other grouping; then the state of the tail-analysis
// sections (savetail.go): timeline buckets, slowest requests, route table,
// dyno health and the head-of-line detection's edge buffers and culprits.
const (
	// SummaryMagic starts every summary file.
	SummaryMagic = "HLSUM"
	// SummaryVersion is the summary format this herolog writes and reads.
	// It changes whenever the body's layout changes. Version 2 added the
	// tail-analysis sections.
	SummaryVersion = 2
	// MaxSummaryBytes caps the decompressed body of a summary read (256
	// MiB), so a hostile file cannot make a reader allocate without bound.
	MaxSummaryBytes = 256 << 20
	// maxCounted caps the number of items (groups, codes, buckets) of one
	// kind in a summary.
	maxCounted = 1 << 24
)

// Saved is a saved run: who wrote it, what it read, and its state.
type Saved struct {
	// Herolog is the version of herolog that wrote the summary.
	Herolog string
	// Inputs are the files the run read, in order, with fingerprints.
	Inputs []SavedInput
	// Agg is the run's state. Reading restores it; writing needs it.
	Agg *Aggregator
}

// SavedInput is one input of a saved run with the fingerprint that tells
// when two summaries read the same data.
type SavedInput struct {
	Input
	// Head is the hex SHA-256 of the input's first 64 KiB, decompressed,
	// "" when unknown. Two inputs with the same Head and the same Bytes
	// (decompressed length) are taken to be the same log.
	Head string `json:"head,omitempty"`
}

// SameData reports whether two inputs are the same log by fingerprint:
// the same first 64 KiB and the same decompressed length.
func (in SavedInput) SameData(o SavedInput) bool {
	return in.Head != "" && in.Head == o.Head && in.Bytes == o.Bytes && in.Error == "" && o.Error == ""
}

// histogram geometries a summary may hold; a summary written with others
// is refused.
type geometry struct {
	lowest, highest int64
	sigFigs         int
}

var (
	geoService = geometry{1, MaxTrackableMS, SigFigs}
	geoConnect = geometry{1, MaxConnectMS, SigFigs}
)

// summaryGeometries are the geometries in a summary's header, in order.
func summaryGeometries() []geometry { return []geometry{geoService, geoConnect, geoSection} }

var countsLens sync.Map // geometry -> int

// countsLen is the number of buckets of a histogram of geometry g.
func (g geometry) countsLen() int {
	if n, ok := countsLens.Load(g); ok {
		return n.(int)
	}
	n := len(hdrhistogram.New(g.lowest, g.highest, g.sigFigs).Export().Counts)
	countsLens.Store(g, n)
	return n
}

func (g geometry) String() string {
	return fmt.Sprintf("range %d–%d ms at %d significant digits", g.lowest, g.highest, g.sigFigs)
}

// WriteSummary writes s to w in the summary format.
func WriteSummary(w io.Writer, s *Saved) error {
	if s.Agg == nil {
		return errors.New("aggregate: summary without state")
	}
	var e encoder
	e.str(s.Herolog)
	for _, g := range summaryGeometries() {
		e.varint(g.lowest)
		e.varint(g.highest)
		e.varint(int64(g.sigFigs))
	}
	e.uvarint(uint64(len(s.Inputs)))
	for _, in := range s.Inputs {
		e.str(in.Name)
		e.str(in.Compression)
		e.varint(in.Bytes)
		e.varint(in.Lines)
		e.str(in.Error)
		e.str(in.Head)
	}
	s.Agg.encode(&e)
	if _, err := io.WriteString(w, SummaryMagic); err != nil {
		return err
	}
	if _, err := w.Write([]byte{SummaryVersion}); err != nil {
		return err
	}
	zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	if _, err := zw.Write(e.b); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// ReadSummary reads a summary written by WriteSummary. It refuses, with an
// error saying why, files that are not summaries, summaries of another
// format version or with other histogram settings, and corrupt or hostile
// content; it never allocates more than about MaxSummaryBytes for it.
func ReadSummary(r io.Reader) (*Saved, error) {
	var hdr [len(SummaryMagic) + 1]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:len(SummaryMagic)]) != SummaryMagic {
		return nil, errors.New("not a herolog summary (no HLSUM header); write one with herolog analyze --save")
	}
	if v := hdr[len(SummaryMagic)]; v == 1 {
		return nil, fmt.Errorf("summary format version 1, written before summaries held the tail-analysis sections; this herolog reads version %d: save it again with this herolog", SummaryVersion)
	} else if v != SummaryVersion {
		return nil, fmt.Errorf("summary format version %d, but this herolog reads version %d; save it again with this herolog", v, SummaryVersion)
	}
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxSummaryBytes), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	body, err := io.ReadAll(io.LimitReader(zr, MaxSummaryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(body) > MaxSummaryBytes {
		return nil, fmt.Errorf("summary larger than %d MiB decompressed", MaxSummaryBytes>>20)
	}
	return decodeSummary(body)
}

func decodeSummary(body []byte) (*Saved, error) {
	d := &decoder{b: body}
	s := &Saved{Herolog: d.str()}
	for _, want := range summaryGeometries() {
		got := geometry{d.varint(), d.varint(), int(d.varint())}
		if d.err == nil && got != want {
			return nil, fmt.Errorf("summary written with histogram %s, but this herolog uses %s; save it again with this herolog", got, want)
		}
	}
	n := d.count("input", maxCounted)
	for range n {
		in := SavedInput{Input: Input{Name: d.str(), Compression: d.str(), Bytes: d.nonneg("input bytes"), Lines: d.nonneg("input lines"), Error: d.str()}}
		in.Head = d.str()
		s.Inputs = append(s.Inputs, in)
	}
	if d.err != nil {
		return nil, d.err
	}
	a, err := decodeAggregator(d)
	if err != nil {
		return nil, err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the end", ErrCorrupt, len(d.b))
	}
	s.Agg = a
	return s, nil
}

// MarshalBinary encodes the Aggregator's whole state (not File) in the
// body format of a summary; UnmarshalBinary restores it. Most callers want
// WriteSummary, which adds the header and compression.
func (a *Aggregator) MarshalBinary() ([]byte, error) {
	var e encoder
	a.encode(&e)
	return e.b, nil
}

// UnmarshalBinary replaces a's state with the one encoded in data by
// MarshalBinary. Bad data gives an error, never a panic.
func (a *Aggregator) UnmarshalBinary(data []byte) error {
	d := &decoder{b: data}
	b, err := decodeAggregator(d)
	if err != nil {
		return err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d bytes after the end", ErrCorrupt, len(d.b))
	}
	*a = *b
	return nil
}

func (a *Aggregator) encode(e *encoder) {
	a.syncTotal()
	o := a.opts
	e.str(string(o.By))
	e.str(string(o.Sort))
	e.uvarint(uint64(o.MaxGroups))
	e.uvarint(uint64(o.MaxProblems))
	e.bool(o.AllGroupings)
	e.varint(int64(o.Bucket))
	e.uvarint(uint64(o.Top))

	e.uvarint(uint64(len(a.lines)))
	for _, n := range a.lines {
		e.varint(n)
	}
	e.uvarint(uint64(len(a.formats)))
	for _, n := range a.formats {
		e.varint(n)
	}
	e.bool(a.hasTime)
	e.varint(a.start)
	e.varint(a.end)
	encodeCounts(e, a.codes)
	e.varint(a.dropped)
	e.varint(a.clamped)
	e.uvarint(uint64(len(a.problems)))
	for _, p := range a.problems {
		e.str(p.File)
		e.varint(p.Line)
		e.str(p.Kind)
		e.str(p.Reason)
		e.str(p.Text)
	}
	a.total.encode(e)
	a.encodeGroups(e)
	e.uvarint(uint64(len(a.alts)))
	for _, alt := range a.alts {
		e.str(string(alt.opts.By))
		alt.encodeGroups(e)
	}
	a.tail.encode(e)
}

func (a *Aggregator) encodeGroups(e *encoder) {
	keys := make([]string, 0, len(a.groups))
	for k := range a.groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		a.groups[k].encode(e)
	}
	e.bool(a.other != nil)
	if a.other != nil {
		a.other.encode(e)
	}
	e.varint(a.folded)
}

func decodeAggregator(d *decoder) (*Aggregator, error) {
	var o Options
	o.By = By(d.str())
	o.Sort = Sort(d.str())
	mg, mp := d.uvarint(), d.uvarint()
	if d.err == nil && (mg < 1 || mg > maxCounted || mp < 1 || mp > maxCounted) {
		d.fail("bad limits (max groups %d, max problems %d)", mg, mp)
	}
	o.MaxGroups, o.MaxProblems = int(mg), int(mp)
	o.AllGroupings = d.bool()
	bucket, top := d.varint(), d.uvarint()
	if d.err == nil && (bucket < int64(time.Microsecond) || bucket > maxWidthUS*int64(time.Microsecond) || top < 1 || top > maxCounted) {
		d.fail("bad tail settings (bucket %d ns, top %d)", bucket, top)
	}
	o.Bucket, o.Top = time.Duration(bucket), int(top)
	if d.err != nil {
		return nil, d.err
	}
	if !ValidBy(string(o.By)) || !slices.Contains(Sorts, string(o.Sort)) {
		return nil, fmt.Errorf("%w: unknown grouping %q or order %q", ErrCorrupt, o.By, o.Sort)
	}
	a := New(o)
	if n := d.count("kind", maxCounted); n != len(a.lines) {
		d.fail("%d record kinds, want %d", n, len(a.lines))
	}
	for i := range a.lines {
		a.lines[i] = d.nonneg("line count")
	}
	if n := d.count("format", maxCounted); n != len(a.formats) {
		d.fail("%d formats, want %d", n, len(a.formats))
	}
	for i := range a.formats {
		a.formats[i] = d.nonneg("format count")
	}
	a.hasTime = d.bool()
	a.start = d.varint()
	a.end = d.varint()
	if a.hasTime && a.start > a.end {
		d.fail("start after end")
	}
	a.codes = decodeCounts(d)
	a.dropped = d.nonneg("dropped")
	a.clamped = d.nonneg("clamped")
	np := d.count("problem", o.MaxProblems)
	for range np {
		a.problems = append(a.problems, Problem{File: d.str(), Line: d.nonneg("line"), Kind: d.str(), Reason: d.str(), Text: d.str()})
	}
	a.total = decodeGroup(d)
	if d.err == nil && a.total.key != "total" {
		d.fail("total group named %q", a.total.key)
	}
	a.decodeGroups(d)
	nalt := d.count("grouping", len(Bys))
	if d.err == nil && o.AllGroupings && nalt != len(a.alts) {
		d.fail("%d other groupings, want %d", nalt, len(a.alts))
	}
	for i := 0; i < nalt && d.err == nil; i++ {
		by := By(d.str())
		if d.err != nil {
			break
		}
		if !o.AllGroupings {
			// Saved with Options.Also: the groupings are those listed,
			// each once, in Bys order.
			if !ValidBy(string(by)) || by == o.By || i > 0 && slices.Index(Bys, string(by)) <= slices.Index(Bys, string(a.alts[i-1].opts.By)) {
				d.fail("grouping %q out of place", by)
				break
			}
			a.alts = append(a.alts, newAlt(a.opts, by))
			a.opts.Also = append(a.opts.Also, by)
		}
		if by != a.alts[i].opts.By {
			d.fail("grouping %q where %q was expected", by, a.alts[i].opts.By)
			break
		}
		a.alts[i].decodeGroups(d)
	}
	a.tail.decode(d)
	if d.err != nil {
		return nil, d.err
	}
	return a, nil
}

func (a *Aggregator) decodeGroups(d *decoder) {
	n := d.count("group", a.opts.MaxGroups)
	var prev string
	for i := 0; i < n && d.err == nil; i++ {
		g := decodeGroup(d)
		if d.err != nil {
			return
		}
		if i > 0 && g.key <= prev {
			d.fail("groups out of order or repeated (%q)", g.key)
			return
		}
		prev = g.key
		a.groups[g.key] = g
	}
	if d.bool() {
		a.other = decodeGroup(d)
	}
	a.folded = d.nonneg("folded")
}

func encodeCounts(e *encoder, m map[string]int64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.varint(m[k])
	}
}

func decodeCounts(d *decoder) map[string]int64 {
	n := d.count("code", maxCounted)
	m := make(map[string]int64, min(n, 64))
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		if _, dup := m[k]; dup {
			d.fail("code %q repeated", k)
		}
		m[k] = d.nonneg("code count")
	}
	return m
}

func (g *group) encode(e *encoder) {
	e.str(g.key)
	e.varint(g.requests)
	g.service.encode(e)
	g.connect.encode(e)
	e.bool(g.wait != nil)
	if g.wait != nil {
		g.wait.encode(e)
	}
	e.varint(g.queue)
	for _, n := range g.status {
		e.varint(n)
	}
	encodeCounts(e, g.codes)
	e.varint(g.h12)
	e.varint(g.errors)
}

func decodeGroup(d *decoder) *group {
	g := newGroup(d.str())
	g.requests = d.nonneg("requests")
	g.service.decode(d, geoService)
	g.connect.decode(d, geoConnect)
	if d.bool() {
		g.wait = new(Dist)
		g.wait.decode(d, geoService)
	}
	g.queue = d.nonneg("queue")
	for i := range g.status {
		g.status[i] = d.nonneg("status count")
	}
	if codes := decodeCounts(d); len(codes) > 0 {
		g.codes = codes
	}
	g.h12 = d.nonneg("h12")
	g.errors = d.nonneg("errors")
	if d.err == nil && (g.service.Count > g.requests || g.connect.Count > g.requests) {
		d.fail("group %q has more times than requests", g.key)
	}
	return g
}

func (dist *Dist) encode(e *encoder) {
	e.varint(dist.Count)
	if dist.Count == 0 {
		return
	}
	e.varint(dist.Sum)
	e.varint(dist.Min)
	e.varint(dist.Max)
	e.varint(dist.Clamped)
	encodeHistogram(e, dist.hist())
}

// decode restores a Dist whose histogram must have geometry geo.
func (dist *Dist) decode(d *decoder, geo geometry) {
	dist.Count = d.nonneg("count")
	if dist.Count == 0 || d.err != nil {
		return
	}
	dist.Sum = d.nonneg("sum")
	dist.Min = d.nonneg("min")
	dist.Max = d.nonneg("max")
	dist.Clamped = d.nonneg("clamped")
	if d.err == nil && (dist.Min > dist.Max || dist.Clamped > dist.Count) {
		d.fail("inconsistent distribution (min %d, max %d, clamped %d of %d)", dist.Min, dist.Max, dist.Clamped, dist.Count)
	}
	dist.h = decodeHistogram(d, geo)
	if d.err == nil && dist.h.TotalCount() != dist.Count {
		d.fail("histogram holds %d values, its count says %d", dist.h.TotalCount(), dist.Count)
	}
}

// encodeHistogram writes a histogram's geometry and its non-zero buckets
// as (index gap, count) pairs: the bucket counts themselves, so a decoded
// histogram gives the very same quantiles.
func encodeHistogram(e *encoder, h *hdrhistogram.Histogram) {
	e.varint(h.LowestTrackableValue())
	e.varint(h.HighestTrackableValue())
	e.varint(h.SignificantFigures())
	counts := h.Export().Counts
	nz := 0
	for _, c := range counts {
		if c != 0 {
			nz++
		}
	}
	e.uvarint(uint64(nz))
	last := -1
	for i, c := range counts {
		if c != 0 {
			e.uvarint(uint64(i - last))
			e.varint(c)
			last = i
		}
	}
}

// decodeHistogram reads what encodeHistogram wrote; the geometry must be
// geo, and every bucket within it.
func decodeHistogram(d *decoder, geo geometry) *hdrhistogram.Histogram {
	got := geometry{d.varint(), d.varint(), int(d.varint())}
	if d.err != nil {
		return nil
	}
	if got != geo {
		d.fail("histogram %s, want %s", got, geo)
		return nil
	}
	snap := &hdrhistogram.Snapshot{
		LowestTrackableValue: geo.lowest, HighestTrackableValue: geo.highest,
		SignificantFigures: int64(geo.sigFigs), Counts: make([]int64, geo.countsLen()),
	}
	n := d.count("bucket", len(snap.Counts))
	idx := -1
	for i := 0; i < n && d.err == nil; i++ {
		gap := d.uvarint()
		if gap == 0 || gap > uint64(len(snap.Counts)) {
			d.fail("bucket gap %d", gap)
			break
		}
		idx += int(gap)
		if idx >= len(snap.Counts) {
			d.fail("bucket %d beyond the histogram's %d", idx, len(snap.Counts))
			break
		}
		c := d.varint()
		if c <= 0 {
			d.fail("bucket count %d", c)
			break
		}
		snap.Counts[idx] = c
	}
	if d.err != nil {
		return nil
	}
	if err := snap.Validate(); err != nil {
		d.fail("histogram: %v", err)
		return nil
	}
	return hdrhistogram.Import(snap)
}

// newAlts returns empty group sets for every grouping other than o.By.
func newAlts(o Options) []*Aggregator {
	var alts []*Aggregator
	for _, b := range Bys {
		if By(b) == o.By || !o.AllGroupings && !slices.Contains(o.Also, By(b)) {
			continue
		}
		alts = append(alts, newAlt(o, By(b)))
	}
	return alts
}

// newAlt returns the holder of the groups by by for an Aggregator made
// with o.
func newAlt(o Options, by By) *Aggregator {
	ao := o
	ao.By = by
	ao.AllGroupings, ao.Also = false, nil
	return &Aggregator{opts: ao, groups: make(map[string]*group, 16), lastMinute: -1}
}

// mergeAlts merges b's other groupings into a's, grouping by grouping.
// Merge has checked that b has them when a does.
func (a *Aggregator) mergeAlts(b *Aggregator) {
	for _, alt := range a.alts {
		for _, balt := range b.alts {
			if balt.opts.By == alt.opts.By {
				alt.mergeGroups(balt)
			}
		}
	}
}

// Groupings returns the groupings a report can be asked for from these
// results: the Aggregator's own, and every other one when it was made with
// Options.AllGroupings (or those of Options.Also).
func (a *Aggregator) Groupings() []By {
	out := []By{a.opts.By}
	for _, alt := range a.alts {
		out = append(out, alt.opts.By)
	}
	return out
}

// Regroup makes by the Aggregator's grouping, so its report (and later
// Merges) use the groups of by. The old grouping's groups are kept among
// the others. It fails when by was not kept (neither Options.AllGroupings
// nor Options.Also asked for it).
// The sort order becomes the default of by (as for New with no Sort).
func (a *Aggregator) Regroup(by By) error {
	if by == a.opts.By {
		return nil
	}
	i := slices.IndexFunc(a.alts, func(x *Aggregator) bool { return x.opts.By == by })
	if i < 0 {
		return fmt.Errorf("these results keep groups by %s only, not by %s", a.opts.By, by)
	}
	alt := a.alts[i]
	old := newAlt(a.opts, a.opts.By)
	old.groups, old.other, old.folded = a.groups, a.other, a.folded
	if !a.opts.AllGroupings {
		also := []By{a.opts.By}
		for _, x := range a.opts.Also {
			if x != by {
				also = append(also, x)
			}
		}
		a.opts.Also = also
	}
	a.groups, a.other, a.folded = alt.groups, alt.other, alt.folded
	a.opts.By, a.opts.Sort = by, ""
	a.opts = a.opts.withDefaults()
	a.lastMinute, a.lastMinuteKey, a.keyBuf = -1, nil, nil
	a.tail.dynoCache, a.tail.cur = nil, nil // it holds by-dyno groups
	a.alts[i] = old
	sort.Slice(a.alts, func(x, y int) bool {
		return slices.Index(Bys, string(a.alts[x].opts.By)) < slices.Index(Bys, string(a.alts[y].opts.By))
	})
	return nil
}

// EqualState reports whether a and b hold the same state (options,
// counters, groups, histogram buckets), by comparing their encodings.
func (a *Aggregator) EqualState(b *Aggregator) bool {
	x, _ := a.MarshalBinary()
	y, _ := b.MarshalBinary()
	return bytes.Equal(x, y)
}
