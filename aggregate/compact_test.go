package aggregate

import (
	"math/rand/v2"
	"slices"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestSectionValueAt: every index of the section geometry gets the value
// sectionValueAt gives it back.
func TestSectionValueAt(t *testing.T) {
	n := len(hdrhistogram.New(1, MaxTrackableMS, SigFigsSection).Export().Counts)
	for i := 0; i < n; i++ {
		h := hdrhistogram.New(1, MaxTrackableMS, SigFigsSection)
		if err := h.RecordValue(sectionValueAt(i)); err != nil {
			t.Fatalf("index %d: value %d: %v", i, sectionValueAt(i), err)
		}
		if c := h.Export().Counts; c[i] != 1 {
			t.Fatalf("index %d: value %d counted elsewhere", i, sectionValueAt(i))
		}
	}
}

// TestCompactBucket: a bucket made compact and expanded again holds the
// same counts, and reads the same while compact.
func TestCompactBucket(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		var b tlBucket
		for i := 0; i < 1+rng.IntN(5000); i++ {
			b.Service.record(int64(rng.ExpFloat64() * float64(1+rng.IntN(20000))))
		}
		want := b.Service.H.Export().Counts
		q99, total := b.Service.quantile(0.99), b.Service.H.TotalCount()
		b.compact()
		if b.Service.H != nil || b.sp == nil {
			t.Fatal("bucket not compact")
		}
		d, done := b.service()
		if got := d.quantile(0.99); got != q99 {
			t.Fatalf("compact p99 %d, want %d", got, q99)
		}
		done()
		b.expand()
		if got := b.Service.H.Export().Counts; !slices.Equal(got, want) || b.Service.H.TotalCount() != total {
			t.Fatal("counts differ after compact and expand")
		}
	}
}
