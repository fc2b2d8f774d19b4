package aggregate

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestHDRFastMatchesRecordValue: recording through the layout mirror
// (Dist.Record, and countAt with sectionIndex for the section geometry)
// leaves each histogram geometry herolog uses exactly as RecordValue
// does. It also fails when the mirror no longer matches the library
// (hdrFast off), so that an upgrade of hdrhistogram-go that changes the
// struct is noticed rather than silently slower.
func TestHDRFastMatchesRecordValue(t *testing.T) {
	if !hdrFast {
		t.Fatal("hdrLayout does not match hdrhistogram.Histogram: update it to the library's struct")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []histKind{histSection, histService, histConnect} {
		want := newHist(k)
		hi := want.HighestTrackableValue()
		var d Dist // histService and histConnect: Dist.Record, past its list
		if k == histConnect {
			d = newDist(MaxConnectMS)
		}
		fast := newHist(k)
		vals := []int64{0, 1, 2, 127, 128, 255, 256, 257, 1023, 1024, 2047, 2048, 4095, 4096, hi - 1, hi}
		for i := 0; i < 200000; i++ {
			vals = append(vals, min(int64(rng.ExpFloat64()*float64(rng.IntN(5000)+1)), hi), rng.Int64N(hi+1))
		}
		for _, v := range vals {
			_ = want.RecordValue(v)
			if k == histSection {
				if !countAt(fast, sectionIndex(v)) {
					t.Fatalf("countAt(%d) refused a value in range", v)
				}
			} else {
				d.Record(v)
			}
		}
		if k != histSection {
			fast = d.hist()
		}
		if !want.Equals(fast) || want.TotalCount() != fast.TotalCount() || want.Max() != fast.Max() {
			t.Fatalf("geometry %d: fast recording differs from RecordValue", k)
		}
		for _, q := range []float64{50, 90, 99, 99.9, 100} {
			if a, b := want.ValueAtQuantile(q), fast.ValueAtQuantile(q); a != b {
				t.Fatalf("geometry %d: p%v %d, want %d", k, q, b, a)
			}
		}
	}
}

// TestSameLayoutRejectsOtherStructs: the layout check that guards the
// fast path says no to a struct that differs in a field.
func TestSameLayoutRejectsOtherStructs(t *testing.T) {
	type other struct {
		lowestDiscernibleValue int64
		counts                 []int32
	}
	_ = other{lowestDiscernibleValue: 1, counts: nil} // (its fields are only compared)
	if sameLayout(reflect.TypeFor[hdrhistogram.Histogram](), reflect.TypeFor[other]()) {
		t.Fatal("a different struct passed the layout check")
	}
	if !sameLayout(reflect.TypeFor[hdrLayout](), reflect.TypeFor[hdrLayout]()) {
		t.Fatal("a struct failed the layout check against itself")
	}
}

// TestMergeHistMatchesMerge: the fast merge leaves each geometry herolog
// uses exactly as the library's Merge does (empty, one-value, clustered
// and spread histograms, into empty and full ones), and declines
// histograms of another geometry and totals that would overflow.
func TestMergeHistMatchesMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, k := range []histKind{histSection, histService, histConnect} {
		hi := newHist(k).HighestTrackableValue()
		fill := func(n int, spread int64) *hdrhistogram.Histogram {
			h := newHist(k)
			for i := 0; i < n; i++ {
				_ = h.RecordValue(min(int64(rng.ExpFloat64()*float64(spread)), hi))
			}
			return h
		}
		one := newHist(k)
		_ = one.RecordValue(hi)
		cases := []*hdrhistogram.Histogram{newHist(k), one, fill(1, 10), fill(1000, 3), fill(50000, 200), fill(50000, hi/4)}
		for i, into := range cases {
			for j, from := range cases {
				want, fast := hdrhistogram.Import(into.Export()), hdrhistogram.Import(into.Export())
				want.Merge(from)
				if !mergeHist(fast, from) {
					t.Fatalf("geometry %d: mergeHist declined histograms of one geometry", k)
				}
				if !want.Equals(fast) || want.TotalCount() != fast.TotalCount() || want.Max() != fast.Max() || want.Min() != fast.Min() {
					t.Fatalf("geometry %d, %d into %d: fast merge differs from Merge", k, j, i)
				}
				for _, q := range []float64{50, 99, 99.9, 100} {
					if a, b := want.ValueAtQuantile(q), fast.ValueAtQuantile(q); a != b {
						t.Fatalf("geometry %d, %d into %d: p%v %d, want %d", k, j, i, q, b, a)
					}
				}
			}
		}
	}
	if mergeHist(newHist(histService), newHist(histConnect)) || mergeHist(newHist(histSection), newHist(histService)) {
		t.Fatal("mergeHist merged histograms of different geometries")
	}
	big := newHist(histSection)
	_ = big.RecordValues(5, math.MaxInt64-1)
	small := newHist(histSection)
	_ = small.RecordValues(5, 2)
	if mergeHist(big, small) {
		t.Fatal("mergeHist merged past the largest total")
	}
}
