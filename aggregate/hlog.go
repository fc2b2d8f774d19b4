package aggregate

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/parse"
)

// HdrHistogram interval logs.
//
// With Options.Interval set, an Aggregator also keeps one service-time
// histogram per dyno per interval (intervals aligned on the Unix epoch,
// times from the log lines), which WriteHlog writes as a standard
// HdrHistogram interval log: V2 compressed histograms, tagged with the dyno.
// Values are in nanoseconds (milliseconds × 10⁶), the unit
// HistogramLogAnalyzer and the log writers' max-value ratio assume, so its
// charts read in milliseconds. Closed intervals are kept compressed, so
// memory follows the dynos, not the length of the log.
const (
	// HlogLowestNS, HlogHighestNS and HlogSigFigs are the geometry of the
	// interval histograms: 1 ms to 1 h, in ns, three significant digits.
	HlogLowestNS  = int64(time.Millisecond)
	HlogHighestNS = MaxTrackableMS * int64(time.Millisecond)
	HlogSigFigs   = SigFigs
	// hlogOpen is how many intervals behind the latest one stay open
	// (uncompressed) for records that arrive out of order.
	hlogOpen = 2
)

type ivKey struct {
	idx  int64 // interval number since the epoch
	dyno string
}

// intervals is the state behind Options.Interval.
type intervals struct {
	width  int64 // µs
	open   map[ivKey]*hdrhistogram.Histogram
	done   map[ivKey][]byte // V2-encoded closed intervals
	latest int64
}

func newIntervals(width time.Duration) *intervals {
	return &intervals{width: width.Microseconds(), open: map[ivKey]*hdrhistogram.Histogram{}, done: map[ivKey][]byte{}}
}

func (iv *intervals) add(r *parse.Record) {
	if !r.HasTime || r.Service < 0 {
		return
	}
	dyno := r.Dyno
	if dyno == "" {
		dyno = NoneKey
	}
	k := ivKey{floorDiv(r.Time, iv.width), dyno}
	h := iv.get(k)
	v := r.Service
	if v > MaxTrackableMS {
		v = MaxTrackableMS
	}
	_ = h.RecordValue(v * int64(time.Millisecond)) // within range
	if k.idx > iv.latest {
		iv.latest = k.idx
		iv.compact()
	}
}

// get returns the open histogram of k, reopening a closed one.
func (iv *intervals) get(k ivKey) *hdrhistogram.Histogram {
	if h, ok := iv.open[k]; ok {
		return h
	}
	var h *hdrhistogram.Histogram
	if enc, ok := iv.done[k]; ok {
		h, _ = hdrhistogram.Decode(enc) // we encoded it
		delete(iv.done, k)
	}
	if h == nil {
		h = hdrhistogram.New(HlogLowestNS, HlogHighestNS, HlogSigFigs)
	}
	iv.open[k] = h
	return h
}

// compact encodes the open intervals that are hlogOpen behind the latest.
func (iv *intervals) compact() {
	for k, h := range iv.open {
		if k.idx < iv.latest-hlogOpen {
			if enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
				iv.done[k] = enc
				delete(iv.open, k)
			}
		}
	}
}

func (iv *intervals) merge(o *intervals) {
	for k, h := range o.open {
		iv.get(k).Merge(h)
	}
	for k, enc := range o.done {
		if h, err := hdrhistogram.Decode(enc); err == nil {
			iv.get(k).Merge(h)
		}
	}
	if o.latest > iv.latest {
		iv.latest = o.latest
	}
	iv.compact()
}

// WriteHlog writes the interval histograms (Options.Interval) as an
// HdrHistogram interval log, in time order and by dyno within an interval.
func (a *Aggregator) WriteHlog(w io.Writer) error {
	iv := a.iv
	if iv == nil {
		return fmt.Errorf("aggregate: no interval histograms kept (Options.Interval is 0)")
	}
	keys := make([]ivKey, 0, len(iv.open)+len(iv.done))
	for k := range iv.open {
		keys = append(keys, k)
	}
	for k := range iv.done {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].idx != keys[j].idx {
			return keys[i].idx < keys[j].idx
		}
		return NaturalLess(keys[i].dyno, keys[j].dyno)
	})
	lw := hdrhistogram.NewHistogramLogWriter(w)
	var base int64 // ms
	if len(keys) > 0 {
		base = keys[0].idx * iv.width / 1000
	}
	lw.SetBaseTime(base)
	for _, err := range []error{
		lw.OutputLogFormatVersion(),
		lw.OutputComment("[herolog: Heroku router service time per dyno; values in ns, tag = dyno]"),
		lw.OutputStartTime(base),
		lw.OutputBaseTime(base),
		lw.OutputLegend(),
	} {
		if err != nil {
			return err
		}
	}
	tagger := strings.NewReplacer(",", "_", " ", "_", "\r", "_", "\n", "_")
	for _, k := range keys {
		h, ok := iv.open[k]
		if !ok {
			var err error
			if h, err = hdrhistogram.Decode(iv.done[k]); err != nil {
				return err
			}
		}
		h.SetTag(tagger.Replace(k.dyno))
		h.SetStartTimeMs(k.idx * iv.width / 1000)
		h.SetEndTimeMs((k.idx + 1) * iv.width / 1000)
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return err
		}
	}
	return nil
}
