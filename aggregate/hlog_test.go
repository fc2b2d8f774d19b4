package aggregate_test

import (
	"bytes"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
)

// TestHlogReadBack reads WriteHlog's output with hdrhistogram-go's own log
// reader: per dyno (tag), the interval histograms add up to the report's
// service-time counts and maxima, and the intervals follow the log's clock.
func TestHlogReadBack(t *testing.T) {
	for _, iv := range []time.Duration{30 * time.Second, 2 * time.Minute} {
		t.Run(iv.String(), func(t *testing.T) {
			a := aggregate.New(aggregate.Options{Interval: iv})
			feed(t, a, genLog(t, 6*time.Minute, gen.StuckDyno))
			rep := a.Report()
			var buf bytes.Buffer
			if err := a.WriteHlog(&buf); err != nil {
				t.Fatal(err)
			}
			rd := hdrhistogram.NewHistogramLogReader(&buf)
			counts, maxes := map[string]int64{}, map[string]int64{}
			intervals := 0
			for {
				h, err := rd.NextIntervalHistogram()
				if err != nil {
					t.Fatal(err)
				}
				if h == nil {
					break
				}
				intervals++
				if got := h.EndTimeMs() - h.StartTimeMs(); got != iv.Milliseconds() {
					t.Errorf("interval of %d ms, want %d", got, iv.Milliseconds())
				}
				counts[h.Tag()] += h.TotalCount()
				if m := h.Max() / 1e6; m > maxes[h.Tag()] {
					maxes[h.Tag()] = m
				}
			}
			if want := int(rep.SpanSeconds / iv.Seconds()); intervals < want {
				t.Errorf("%d interval histograms, want at least %d (one per dyno per interval)", intervals, want)
			}
			if len(rep.Groups) != len(counts) {
				t.Errorf("%d tags, %d dynos", len(counts), len(rep.Groups))
			}
			for _, g := range rep.Groups {
				if counts[g.Key] != g.Service.Count {
					t.Errorf("%s: hlog holds %d values, the report %d", g.Key, counts[g.Key], g.Service.Count)
				}
				// The histogram's max is the top of the max's bucket (0.1%).
				if d := maxes[g.Key] - g.Service.Max; d < 0 || d > g.Service.Max/500+1 {
					t.Errorf("%s: hlog max %d ms, report max %d ms", g.Key, maxes[g.Key], g.Service.Max)
				}
			}
		})
	}
}
