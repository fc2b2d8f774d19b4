package aggregate

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/herolog/herolog/parse"
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

// timelineHeld counts the buckets of t holding a full histogram and the
// bytes their compact counts take.
func timelineHeld(t *timeline) (full int, compactBytes int) {
	for _, b := range t.Buckets {
		if b.Service.H != nil {
			full++
		}
		compactBytes += cap(b.sp)
	}
	return full, compactBytes
}

// TestTimelineStaysBounded feeds long streams of requests (in order, and
// with late records reaching back across the whole run) to a timeline and
// checks, as it goes, that it keeps at most MaxTimelineBuckets buckets, and
// full histograms for only the last three buckets and the few past ones
// late records opened (lateReopen): a since-start timeline (live's) keeps
// a bounded size however long the run.
func TestTimelineStaysBounded(t *testing.T) {
	const minutes = 2 * MaxTimelineBuckets // so the timeline widens
	for _, tc := range []struct {
		name string
		late float64 // share of records stamped at a random earlier time
	}{
		{"in order", 0},
		{"one in a hundred late", 0.01},
		{"half late", 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			var a tailState
			a.init(Options{}.withDefaults())
			tl := &a.timeline
			maxFull, maxBuckets := 0, 0
			for m := int64(0); m < minutes; m++ {
				for i := 0; i < 20; i++ {
					us := m*60e6 + rng.Int64N(60e6)
					if rng.Float64() < tc.late {
						us = rng.Int64N(us + 1)
					}
					r := parse.Record{Kind: parse.KindRouter, HasTime: true, Time: us, Dyno: "web." + strconv.Itoa(rng.IntN(8)),
						Service: int64(rng.ExpFloat64() * 300), Status: 200, Path: []byte("/")}
					a.add(&r)
				}
				full, _ := timelineHeld(tl)
				maxFull, maxBuckets = max(maxFull, full), max(maxBuckets, len(tl.Buckets))
			}
			if maxBuckets > MaxTimelineBuckets {
				t.Errorf("%d buckets kept, more than %d", maxBuckets, MaxTimelineBuckets)
			}
			if tl.Step == 0 {
				t.Errorf("the timeline never widened over %d minutes", minutes)
			}
			if limit := 3 + lateReopen + 1; maxFull > limit {
				t.Errorf("up to %d buckets held a full histogram, want at most %d", maxFull, limit)
			}
			_, cb := timelineHeld(tl)
			// The compact counts: these buckets hold a few dozen distinct
			// values, at most 4 bytes each.
			if cb > 4*64*len(tl.Buckets) {
				t.Errorf("compact buckets take %d bytes, %d a bucket", cb, cb/len(tl.Buckets))
			}
			t.Logf("%d buckets of %v, at most %d full histograms at once, compact counts %d KB",
				len(tl.Buckets), time.Duration(tl.width())*time.Microsecond, maxFull, cb>>10)
		})
	}
}

// TestMergeCompactBucket: merging a compact bucket (its counts added
// straight from their compact form) gives what merging it expanded gives.
func TestMergeCompactBucket(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 20; round++ {
		var into, compact, full tlBucket
		for i := 0; i < rng.IntN(3000); i++ {
			into.Service.record(int64(rng.ExpFloat64() * 300))
		}
		for i := 0; i < 1+rng.IntN(5000); i++ {
			v := int64(rng.ExpFloat64() * float64(1+rng.IntN(20000)))
			compact.Service.record(v)
			full.Service.record(v)
		}
		compact.compact()
		if compact.sp == nil {
			t.Fatal("bucket not compact")
		}
		want := into
		if into.Service.H != nil {
			want.Service.H = hdrhistogram.Import(into.Service.H.Export())
		}
		want.merge(&full)
		into.merge(&compact)
		if into.Service.Count != want.Service.Count || into.Service.Sum != want.Service.Sum || into.Service.Max != want.Service.Max ||
			!slices.Equal(into.Service.H.Export().Counts, want.Service.H.Export().Counts) || into.Service.H.TotalCount() != want.Service.H.TotalCount() {
			t.Fatalf("round %d: merging the compact bucket differs from merging it expanded", round)
		}
	}
}

// TestWideningAllocatesLittle: when the timeline widens, folding 1,500
// compact buckets into 300 allocates about their compact counts again (the
// merged buckets' new ones, 1 MB here), not a 16 KB histogram (and
// Export's 16 KB copy of its counts) per merged bucket: those made the
// widenings the peak RSS of a long run (a 5-14 MB spike; 10 MB allocated
// here).
func TestWideningAllocatesLittle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var a tailState
	a.init(Options{}.withDefaults())
	tl := &a.timeline
	add := func(us int64) {
		r := parse.Record{Kind: parse.KindRouter, HasTime: true, Time: us, Dyno: "web." + strconv.Itoa(rng.IntN(4)),
			Service: int64(rng.ExpFloat64() * 300), Status: 200, Path: []byte("/")}
		a.add(&r)
	}
	for m := int64(0); m < MaxTimelineBuckets; m++ {
		for i := 0; i < 200; i++ {
			add(m*60e6 + rng.Int64N(60e6))
		}
	}
	if tl.Step != 0 || len(tl.Buckets) != MaxTimelineBuckets {
		t.Fatalf("before: step %d, %d buckets; want 0 and %d", tl.Step, len(tl.Buckets), MaxTimelineBuckets)
	}
	_, compactBytes := timelineHeld(tl)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	add(MaxTimelineBuckets * 60e6) // one bucket too many: widens to 5 minutes
	runtime.ReadMemStats(&after)
	if tl.Step != 1 {
		t.Fatalf("step %d after the widening, want 1", tl.Step)
	}
	full, _ := timelineHeld(tl)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("widening allocated %d KB; compact counts were %d KB; %d full histograms after", alloc>>10, compactBytes>>10, full)
	if limit := 2*uint64(compactBytes) + 512<<10; alloc > limit {
		t.Errorf("widening allocated %d KB, want at most %d KB (twice the compact counts and a little)", alloc>>10, limit>>10)
	}
	if full > 3 {
		t.Errorf("%d buckets hold a full histogram after the widening, want at most 3", full)
	}
}
