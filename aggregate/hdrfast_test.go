package aggregate

import (
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
