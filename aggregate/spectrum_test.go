package aggregate

import (
	"testing"

	"github.com/herolog/herolog/parse"
)

func TestDistSpectrum(t *testing.T) {
	seq := func(n int64) []int64 { // 1..n
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(i) + 1
		}
		return v
	}
	tests := []struct {
		name   string
		values []int64
		want   map[float64]int64 // percentile -> ms (checked within 0.1%)
	}{
		{"empty", nil, nil},
		{"one value", []int64{42}, map[float64]int64{0: 42, 50: 42, 99.999: 42, 100: 42}},
		{"1..10000", seq(10000), map[float64]int64{0: 1, 50: 5000, 90: 9000, 99: 9900, 99.9: 9990, 99.99: 9999, 100: 10000}},
		{"one stuck request", append(seq(999), 30000), map[float64]int64{0: 1, 50: 500, 99: 990, 99.9: 999, 99.95: 30000, 100: 30000}},
		{"past the histogram", []int64{5, MaxTrackableMS * 2}, map[float64]int64{0: 5, 100: MaxTrackableMS * 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Dist
			for _, v := range tt.values {
				d.Record(v)
			}
			sp := d.Spectrum()
			if len(tt.values) == 0 {
				if sp != nil {
					t.Fatalf("empty dist: spectrum %v, want nil", sp)
				}
				return
			}
			if len(sp) != len(SpectrumPercentiles) {
				t.Fatalf("%d points, want %d", len(sp), len(SpectrumPercentiles))
			}
			for i, p := range sp {
				if p.Percentile != SpectrumPercentiles[i] {
					t.Errorf("point %d at %v%%, want %v%%", i, p.Percentile, SpectrumPercentiles[i])
				}
				if i > 0 && p.MS < sp[i-1].MS {
					t.Errorf("spectrum decreases at %v%%: %d < %d", p.Percentile, p.MS, sp[i-1].MS)
				}
				if p.MS > d.Max {
					t.Errorf("%v%% = %d above the max %d", p.Percentile, p.MS, d.Max)
				}
				want, ok := tt.want[p.Percentile]
				if !ok {
					continue
				}
				if diff := p.MS - want; diff*1000 > want || -diff*1000 > want {
					t.Errorf("%v%% = %d, want %d (±0.1%%)", p.Percentile, p.MS, want)
				}
			}
		})
	}
}

func TestReportSpectrumOnlyWhenAsked(t *testing.T) {
	recs := []parse.Record{
		{Kind: parse.KindRouter, Dyno: "web.1", Service: 10, Connect: 1, Wait: parse.Missing, Queue: parse.Missing, Status: 200},
		{Kind: parse.KindRouter, Dyno: "web.1", Service: 30, Connect: 1, Wait: parse.Missing, Queue: parse.Missing, Status: 200},
		{Kind: parse.KindRouter, Dyno: "web.2", Service: 5000, Connect: 1, Wait: parse.Missing, Queue: parse.Missing, Status: 503, Code: "H12"},
		{Kind: parse.KindRouter, Dyno: "web.3", Service: 7, Connect: 1, Wait: parse.Missing, Queue: parse.Missing, Status: 200},
	}
	for _, tt := range []struct {
		name string
		opts Options
		want bool
	}{
		{"default", Options{}, false},
		{"asked", Options{Spectrum: true}, true},
		{"asked, with other", Options{Spectrum: true, MaxGroups: 2}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := New(tt.opts)
			for i := range recs {
				a.Add(&recs[i])
			}
			rep := a.Report()
			groups := append([]Group{rep.Total}, rep.Groups...)
			for _, g := range groups {
				if got := g.Spectrum != nil; got != tt.want {
					t.Fatalf("group %s: spectrum present %v, want %v", g.Key, got, tt.want)
				}
				if !tt.want {
					continue
				}
				first, last := g.Spectrum[0], g.Spectrum[len(g.Spectrum)-1]
				if last.MS != g.Service.Max {
					t.Errorf("group %s: spectrum ends at %d, want the max %d", g.Key, last.MS, g.Service.Max)
				}
				if first.MS > g.Service.P50 {
					t.Errorf("group %s: spectrum starts at %d above the p50 %d", g.Key, first.MS, g.Service.P50)
				}
			}
			if tt.want {
				lean := rep.WithoutSpectra()
				if lean.Total.Spectrum != nil || lean.Groups[0].Spectrum != nil {
					t.Error("WithoutSpectra kept a spectrum")
				}
				if rep.Groups[0].Spectrum == nil {
					t.Error("WithoutSpectra modified its receiver")
				}
			}
		})
	}
}
