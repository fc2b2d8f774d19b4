package aggregate

import (
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram settings. Every histogram herolog keeps uses one of these
// geometries, so any two can be merged bucket for bucket.
const (
	// SigFigs is the number of significant decimal digits the histograms
	// keep: quantiles are within 0.1% of the exact nearest-rank value.
	SigFigs = 3
	// MaxTrackableMS is the largest duration, in milliseconds, a service or
	// wait histogram records (one hour). Larger values are clamped to it and
	// counted; the exact maximum is kept separately.
	MaxTrackableMS = 3_600_000
	// MaxConnectMS is the largest connect time, in milliseconds, the connect
	// histogram records (one minute; H19 fires at 5 s).
	MaxConnectMS = 60_000
)

// Dist is the distribution of one duration: an HDR histogram for quantiles
// plus exact count, sum, minimum and maximum. The zero value is ready and
// allocates its histogram on the first value.
type Dist struct {
	h       *hdrhistogram.Histogram
	small   []int64 // histogram values kept as a list while h is nil (at most distSmall)
	highest int64   // histogram range; 0 means MaxTrackableMS
	Count   int64   // values recorded
	Sum     int64   // exact sum of the values, in ms (unclamped)
	Min     int64   // exact minimum, ms
	Max     int64   // exact maximum, ms (unclamped)
	Clamped int64   // values above the histogram range, recorded at its top
}

// distSmall is how many values a Dist keeps as a plain list before it
// allocates its HDR histogram (about 100 KB). Groups that see few requests
// — in a parallel scan, a chunk's share of a million distinct paths, or of
// an app's 300 dynos — then cost a few KB at most instead of a histogram
// each, and the histogram built from the list later holds exactly what
// recording the values one by one would have: quantiles are unchanged.
// It was 32: with 300 busy dynos each 8 MiB chunk then built (zeroed, filled
// and merged) 300 service and 300 connect histograms, 48 MB a chunk
// aggregator; at 512 (4 KB a list at most, grown by append from 32) a
// 200 MB log of 300 dynos went from 1.9 to 0.64 s wall, 3.6 to 1.2 CPU-s and
// 164-172 to 117 MB peak RSS, its report identical; the 4-dyno 1 GiB log
// costs 0.4% more instructions (its lists fill and are replayed once per
// chunk and dyno).
const distSmall = 512

// recordHist adds one value (already within range) to the histogram, or to
// the list while it is short.
func (d *Dist) recordHist(hv int64) {
	if d.h == nil {
		if len(d.small) < distSmall {
			if d.small == nil {
				d.small = make([]int64, 0, 32)
			}
			d.small = append(d.small, hv)
			return
		}
		d.materialize()
	}
	if !hdrFast || !countAt(d.h, hdrIndex(layoutOf(d.h), hv)) { // hv is within range
		_ = d.h.RecordValue(hv)
	}
}

// materialize builds the histogram from the list.
func (d *Dist) materialize() {
	if d.h != nil {
		return
	}
	d.h = d.newHist()
	for _, v := range d.small {
		_ = d.h.RecordValue(v)
	}
	d.small = nil
}

// reset empties d, keeping its range and its histogram's buffer.
func (d *Dist) reset() {
	d.small = d.small[:0]
	if d.h != nil {
		d.h.Reset()
	}
	d.Count, d.Sum, d.Min, d.Max, d.Clamped = 0, 0, 0, 0, 0
}

// hist returns the histogram, built from the list if need be; nil when
// nothing was recorded.
func (d *Dist) hist() *hdrhistogram.Histogram {
	if d.h == nil && len(d.small) == 0 {
		return nil
	}
	d.materialize()
	return d.h
}

// newDist returns a Dist whose histogram tracks values up to highest ms.
func newDist(highest int64) Dist { return Dist{highest: highest} }

// newHist returns an empty histogram of d's range (pooled when the range
// is one of the usual two).
func (d *Dist) newHist() *hdrhistogram.Histogram {
	switch d.limit() {
	case MaxTrackableMS:
		return newHist(histService)
	case MaxConnectMS:
		return newHist(histConnect)
	}
	return hdrhistogram.New(1, d.limit(), SigFigs)
}

func (d *Dist) limit() int64 {
	if d.highest == 0 {
		return MaxTrackableMS
	}
	return d.highest
}

// Record adds one value in milliseconds. Negative values are ignored (the
// parser never produces them).
func (d *Dist) Record(v int64) {
	if v < 0 {
		return
	}
	hv := d.count(v)
	if d.h != nil && hdrFast && countAt(d.h, hdrIndex(layoutOf(d.h), hv)) {
		return // the usual case, without a call (hv is within range)
	}
	d.recordHist(hv)
}

// count adds v (not negative) to the exact numbers only and returns the
// value to record in the histogram (v clamped to its range).
func (d *Dist) count(v int64) int64 {
	if d.Count == 0 || v < d.Min {
		d.Min = v
	}
	d.Count++
	if d.Sum < math.MaxInt64-v {
		d.Sum += v
	} else {
		d.Sum = math.MaxInt64
	}
	if v > d.Max {
		d.Max = v
	}
	if v > d.limit() {
		d.Clamped++
		return d.limit()
	}
	return v
}

// Merge adds the values of o into d.
func (d *Dist) Merge(o *Dist) {
	if o.Count == 0 {
		return
	}
	d.mergeCounts(o)
	d.mergeHist(o)
}

// mergeCounts adds o's exact numbers (count, sum, min, max, clamped) into
// d, not its histogram. o.Count must not be 0.
func (d *Dist) mergeCounts(o *Dist) {
	if d.Count == 0 || o.Min < d.Min {
		d.Min = o.Min
	}
	d.Count += o.Count
	if d.Sum < math.MaxInt64-o.Sum {
		d.Sum += o.Sum
	} else {
		d.Sum = math.MaxInt64
	}
	if o.Max > d.Max {
		d.Max = o.Max
	}
	d.Clamped += o.Clamped
}

// mergeHist adds o's histogram into d's.
func (d *Dist) mergeHist(o *Dist) {
	if o.h == nil {
		for _, v := range o.small {
			d.recordHist(v)
		}
		return
	}
	d.materialize()
	if !mergeHist(d.h, o.h) {
		d.h.Merge(o.h)
	}
}

// Quantile returns the value at quantile q (a fraction, 0 to 1) in ms,
// never above the exact maximum; 0 when empty.
func (d *Dist) Quantile(q float64) int64 {
	if d.Count == 0 || d.hist() == nil {
		return 0
	}
	return d.capped(d.h.ValueAtQuantile(q * 100)) // hdrhistogram-go takes percent
}

// capped keeps a histogram value (the top of its bucket) within the exact
// maximum and the histogram's range.
func (d *Dist) capped(v int64) int64 {
	if v > d.Max {
		v = d.Max
	}
	if v > d.limit() {
		v = d.limit()
	}
	return v
}

// Mean returns the exact mean in ms, 0 when empty.
func (d *Dist) Mean() float64 {
	if d.Count == 0 {
		return 0
	}
	return float64(d.Sum) / float64(d.Count)
}

// Histogram returns the underlying HDR histogram (nil when empty). Callers
// must not modify it; use Clone to keep a copy.
func (d *Dist) Histogram() *hdrhistogram.Histogram { return d.hist() }

// Summary is a distribution's numbers as reported. All values are
// milliseconds; quantiles come from the HDR histogram (3 significant
// digits), Count, Mean and Max are exact.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P95   int64   `json:"p95"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p99.9"`
	Max   int64   `json:"max"`
	// Clamped counts values above the histogram's range (MaxTrackableMS,
	// or MaxConnectMS for connect), counted at its top: quantiles that
	// reach the top are lower bounds. Max stays exact.
	Clamped int64 `json:"clamped,omitempty"`
}

// Summary computes the reported numbers.
func (d *Dist) Summary() Summary {
	if d.Count == 0 {
		return Summary{}
	}
	vals := d.hist().ValueAtPercentilesSlice([]float64{50, 95, 99, 99.9})
	for i := range vals {
		vals[i] = d.capped(vals[i])
	}
	return Summary{
		Count: d.Count,
		Mean:  math.Round(d.Mean()*10) / 10,
		P50:   vals[0], P95: vals[1], P99: vals[2], P999: vals[3],
		Max:     d.Max,
		Clamped: d.Clamped,
	}
}
