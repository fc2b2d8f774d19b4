package aggregate

import (
	"strconv"
	"time"

	"github.com/herolog/herolog/parse"
)

// Timeline is the per-bucket (per-minute by default) view of a run.
type Timeline struct {
	// BucketSeconds is the width of a bucket in seconds.
	BucketSeconds float64 `json:"bucket_seconds"`
	// Note says when the bucket was widened to keep at most
	// MaxTimelineBuckets buckets; empty otherwise.
	Note string `json:"note,omitempty"`
	// Buckets are in time order, gaps filled with empty buckets.
	Buckets []TimeBucket `json:"buckets"`
}

// TimeBucket is one bucket of the timeline. Requests are counted in the
// bucket of their router line's timestamp (when they completed).
type TimeBucket struct {
	Start    string  `json:"start"` // RFC 3339 UTC
	Requests int64   `json:"requests"`
	RPS      float64 `json:"rps"`     // requests per second over the part of the bucket the log covers
	MeanMS   float64 `json:"mean_ms"` // exact mean service time
	P99MS    int64   `json:"p99_ms"`  // service p99 (2 significant digits)
	MaxMS    int64   `json:"max_ms"`  // exact maximum service time
	Errors   int64   `json:"errors"`  // requests with a Heroku error code or a 5xx status
	// Busy is the mean number of requests in flight (Little's law: the sum
	// of service times ÷ the bucket's covered length): the busy workers the
	// app needed on average in this bucket, across all dynos.
	Busy float64 `json:"busy"`
	// Outlier is true when the bucket's max is far above its mean (at least
	// TimelineOutlierRatio times and at least TimelineOutlierMinMS).
	Outlier bool `json:"outlier"`
}

// Timeline outlier thresholds.
const (
	TimelineOutlierRatio = 20.0
	TimelineOutlierMinMS = 2000
)

// bucketSteps are the multiples of the configured bucket the timeline
// widens through; each divides the next, so buckets nest and widening is
// exact (after 1440 it doubles).
var bucketSteps = []int64{1, 5, 15, 30, 60, 120, 360, 720, 1440}

func bucketStep(i int) int64 {
	if i < len(bucketSteps) {
		return bucketSteps[i]
	}
	return bucketSteps[len(bucketSteps)-1] << (i - len(bucketSteps) + 1)
}

// timeline keeps per-bucket numbers, bucket index = floor(time / width).
type timeline struct {
	Base    int64 // configured width, µs
	Step    int   // index into bucketSteps: width = Base × bucketStep(Step)
	Buckets map[int64]*tlBucket
	Lo, Hi  int64 // lowest and highest bucket index seen (valid when len(Buckets) > 0)

	last    *tlBucket
	lastIdx int64
	// reopened counts the past buckets expanded since the last
	// compactPast (see bucket).
	reopened int
}

// tlBucket is one bucket's state.
type tlBucket struct {
	Service hist2
	Errors  int64
	Dynos   []tlDyno // per dyno, at most maxBucketDynos
	sp      []byte   // Service's counts while compact (compact.go)
}

// tlDyno is one dyno's numbers in one bucket.
type tlDyno struct {
	Dyno   string
	N, Sum int64 // requests and their summed service, ms
	Max    int64
	MemErr int64 // R14 and R15 errors
}

func (t *timeline) init(bucket time.Duration) {
	if bucket <= 0 {
		bucket = DefaultBucket
	}
	t.Base = bucket.Microseconds()
	if t.Base <= 0 {
		t.Base = 1
	}
	t.Buckets = map[int64]*tlBucket{}
	t.lastIdx = -1 << 62
}

func (t *timeline) width() int64 { return t.Base * bucketStep(t.Step) }

// bucket returns the bucket of time us, creating it and widening the
// timeline as needed.
func (t *timeline) bucket(us int64) *tlBucket {
	idx := floorDiv(us, t.width())
	if idx == t.lastIdx && t.last != nil {
		if t.last.sp != nil {
			t.last.expand()
		}
		return t.last
	}
	b := t.Buckets[idx]
	if b == nil {
		if len(t.Buckets) == 0 {
			t.Lo, t.Hi = idx, idx
		}
		lo, hi := min(t.Lo, idx), max(t.Hi, idx)
		if hi-lo+1 > MaxTimelineBuckets {
			t.widen(lo, hi)
			return t.bucket(us)
		}
		if hi > t.Hi {
			// The latest bucket moves on: the ones now more than two
			// buckets behind it become compact (compact.go), so a long run
			// keeps full histograms for the last three buckets only.
			for k := max(t.Hi-2, t.Lo); k <= t.Hi && k < hi-2; k++ {
				if ob := t.Buckets[k]; ob != nil {
					ob.compact()
				}
			}
		}
		t.Lo, t.Hi = lo, hi
		b = &tlBucket{}
		t.Buckets[idx] = b
		if idx < t.Hi-2 {
			t.reopen()
		}
	}
	if b.sp != nil {
		if idx < t.Hi-2 {
			t.reopen()
		}
		b.expand()
	}
	t.last, t.lastIdx = b, idx
	return b
}

// lateReopen is how many past buckets late records may open (create or
// expand) before the timeline makes every past bucket compact again.
const lateReopen = 8

// reopen counts a past bucket that a late record opens, and makes every
// past bucket compact when lateReopen are open, so that input out of order
// keeps few full histograms too. The bucket being opened is not compact
// yet, so it is left alone.
func (t *timeline) reopen() {
	t.reopened++
	if t.reopened > lateReopen {
		t.compactPast()
	}
}

// widen steps the width up until the span lo..hi (in current indexes)
// fits, and folds the buckets into the wider ones.
func (t *timeline) widen(lo, hi int64) {
	w := t.width()
	for {
		t.Step++
		nw := t.width()
		if floorDiv(hi*w, nw)-floorDiv(lo*w, nw)+1 <= MaxTimelineBuckets {
			break
		}
	}
	t.refold(w)
}

// refold re-indexes the buckets, kept at width old, to the current width.
func (t *timeline) refold(old int64) {
	nw := t.width()
	nb := make(map[int64]*tlBucket, len(t.Buckets))
	first := true
	for idx, b := range t.Buckets {
		ni := floorDiv(idx*old, nw)
		if first || ni < t.Lo {
			t.Lo = ni
		}
		if first || ni > t.Hi {
			t.Hi = ni
		}
		first = false
		if into := nb[ni]; into != nil {
			// Compact again at once: merge expands into, and expanding
			// every merged bucket before compacting any held up to
			// MaxTimelineBuckets/5 full histograms at each widening (a
			// 5-8 MB heap spike and the peak RSS of a long run).
			into.merge(b)
			into.compact()
		} else {
			nb[ni] = b
		}
	}
	t.Buckets = nb
	t.last, t.lastIdx = nil, -1<<62
	t.compactPast() // the merged buckets were expanded
}

func (b *tlBucket) dyno(name string) *tlDyno {
	i := b.dynoIndex(name)
	if i < 0 {
		return nil
	}
	return &b.Dynos[i]
}

// dynoIndex returns the place of a dyno in b.Dynos, adding it as needed;
// -1 when b already counts maxBucketDynos others.
func (b *tlBucket) dynoIndex(name string) int {
	for i := range b.Dynos {
		if b.Dynos[i].Dyno == name {
			return i
		}
	}
	if len(b.Dynos) >= maxBucketDynos {
		return -1
	}
	b.Dynos = append(b.Dynos, tlDyno{Dyno: name})
	return len(b.Dynos) - 1
}

func (b *tlBucket) merge(o *tlBucket) {
	b.expand()
	// o's counts are added straight from their compact form when it has
	// one (mergeCompact), else from its histogram.
	if o.sp == nil || !b.Service.mergeCompact(&o.Service, o.sp) {
		os, done := o.service()
		b.Service.merge(&os)
		done()
	}
	b.Errors += o.Errors
	for _, od := range o.Dynos {
		d := b.dyno(od.Dyno)
		if d == nil {
			continue
		}
		d.N += od.N
		d.Sum += od.Sum
		d.MemErr += od.MemErr
		if od.Max > d.Max {
			d.Max = od.Max
		}
	}
}

// addRequest counts r, routed to the dyno of e (see dynoFor), which
// remembers where the dyno is in the bucket last used for it; idx is r's
// service time's section bucket index (hist2.recordIdx).
func (t *timeline) addRequest(r *parse.Record, e *dynoEntry, idx int) {
	b := t.bucket(r.Time)
	svc := r.Service
	if svc < 0 {
		svc = 0
	}
	if r.Service >= 0 {
		b.Service.recordIdx(r.Service, idx)
	} else {
		b.Service.Count++ // a request without service= still counts
	}
	if r.IsError() {
		b.Errors++
	}
	if e.tlBucket != b {
		e.tlBucket, e.tlIndex = b, b.dynoIndex(e.name)
	}
	if e.tlIndex >= 0 {
		d := &b.Dynos[e.tlIndex]
		d.N++
		d.Sum += svc
		if svc > d.Max {
			d.Max = svc
		}
	}
}

func (t *timeline) addMemoryError(r *parse.Record) {
	if r.Process == "" {
		return
	}
	if d := t.bucket(r.Time).dyno(r.Process); d != nil {
		d.MemErr++
	}
}

func (t *timeline) merge(o *timeline) {
	if len(o.Buckets) == 0 {
		return
	}
	if o.Base != t.Base {
		// Different configured widths cannot nest in general: keep ours and
		// fold the other's buckets by their start time.
		for idx, b := range o.Buckets {
			t.bucket(idx * o.width()).merge(b)
		}
		return
	}
	if o.Step > t.Step {
		old := t.width()
		t.Step = o.Step
		t.refold(old)
	}
	ow := o.width()
	for idx, b := range o.Buckets {
		us := idx * ow
		nb := t.bucket(us)
		nb.merge(b)
	}
	t.compactPast()
}

func (t *timeline) report(a *Aggregator) *Timeline {
	w := t.width()
	tl := &Timeline{BucketSeconds: float64(w) / 1e6, Buckets: []TimeBucket{}}
	if t.Step > 0 {
		tl.Note = "bucket widened from " + time.Duration(t.Base*1000).String() + " to " +
			time.Duration(w*1000).String() + " to keep at most " + strconv.Itoa(MaxTimelineBuckets) + " buckets"
	}
	if len(t.Buckets) == 0 {
		return tl
	}
	for idx := t.Lo; idx <= t.Hi; idx++ {
		start := idx * w
		tb := TimeBucket{Start: FormatTime(start)}
		b := t.Buckets[idx]
		if b != nil {
			cover := float64(min(start+w, a.end+1)-max(start, a.start)) / 1e6
			if cover < 1 {
				cover = 1
			}
			sd, done := b.service()
			s := &sd
			tb.Requests = s.Count
			tb.RPS = round3(float64(s.Count) / cover)
			tb.MeanMS = round1(s.mean())
			tb.P99MS = s.quantile(0.99)
			tb.MaxMS = s.Max
			tb.Errors = b.Errors
			tb.Busy = round2(float64(s.Sum) / 1000 / cover)
			tb.Outlier = s.Max >= TimelineOutlierMinMS && float64(s.Max) >= TimelineOutlierRatio*s.mean()
			done()
		}
		tl.Buckets = append(tl.Buckets, tb)
	}
	return tl
}

// dynoWindow sums one dyno's and the other dynos' requests over the
// buckets that overlap [from, to] (µs).
type dynoWindow struct {
	N, Sum, Max, OthersN, OthersSum, OthersMax int64
	OtherDynos                                 int
}

func (t *timeline) window(dyno string, from, to int64) dynoWindow {
	var dw dynoWindow
	w := t.width()
	others := map[string]bool{}
	// Only buckets that exist: a request logged with service=2^53 ms
	// starts 285,000 years before it ends, and walking every index of
	// such a range never ends.
	lo, hi := max(floorDiv(from, w), t.Lo), min(floorDiv(to, w), t.Hi)
	if len(t.Buckets) == 0 {
		hi = lo - 1
	}
	for idx := lo; idx <= hi; idx++ {
		b := t.Buckets[idx]
		if b == nil {
			continue
		}
		for _, d := range b.Dynos {
			if d.Dyno == dyno {
				dw.N += d.N
				dw.Sum += d.Sum
				dw.Max = max(dw.Max, d.Max)
			} else if d.N > 0 {
				dw.OthersN += d.N
				dw.OthersSum += d.Sum
				dw.OthersMax = max(dw.OthersMax, d.Max)
				others[d.Dyno] = true
			}
		}
	}
	dw.OtherDynos = len(others)
	return dw
}
