package aggregate

import (
	"math"
	"math/bits"
	"reflect"
	"unsafe"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Recording into an HDR histogram without the library's call chain.
//
// A request is recorded in five histograms (its group's service and
// connect, its timeline bucket's, its route's and its dyno's service), and
// hdrhistogram-go's RecordValue (bounds, sign, overflow checks, an error
// return, three small calls for the index) was the largest single cost of
// the aggregation. The three section histograms share one geometry, so
// their bucket index is computed once per request (sectionIndex) and each
// record is then an increment (countAt); Dist.recordHist computes its
// index inline (hdrIndex).
//
// The library keeps its counts private, so hdrLayout mirrors its
// Histogram struct (v1.4.0, pinned in go.mod) and the increments go
// through that mirror. hdrFast is set at start-up only when reflection
// finds the library's struct laid out exactly as the mirror (every field's
// name, type and offset); otherwise every record takes RecordValue, as
// before. TestHDRFastMatchesRecordValue checks, for each geometry herolog
// uses, that the fast record leaves a histogram equal to RecordValue's.
//
// Merges of two histograms of one geometry (mergeHist) and the timeline's
// compaction (histCounts, addAt) go through the same mirror:
// TestMergeHistMatchesMerge, TestCompactBucket and TestMergeCompactBucket
// check them against the library.

// hdrLayout is hdrhistogram.Histogram's layout (v1.4.0).
type hdrLayout struct {
	lowestDiscernibleValue      int64
	highestTrackableValue       int64
	unitMagnitude               int64
	significantFigures          int64
	subBucketHalfCountMagnitude int32
	subBucketHalfCount          int32
	subBucketMask               int64
	subBucketCount              int32
	bucketCount                 int32
	countsLen                   int32
	totalCount                  int64
	counts                      []int64
	startTimeMs                 int64
	endTimeMs                   int64
	tag                         string
	conversionRatio             float64
}

// hdrFast reports whether hdrLayout matches the library's struct.
var hdrFast = sameLayout(reflect.TypeFor[hdrhistogram.Histogram](), reflect.TypeFor[hdrLayout]())

func sameLayout(lib, mine reflect.Type) bool {
	if lib.Kind() != reflect.Struct || lib.Size() != mine.Size() || lib.NumField() != mine.NumField() {
		return false
	}
	for i := 0; i < lib.NumField(); i++ {
		a, b := lib.Field(i), mine.Field(i)
		if a.Name != b.Name || a.Offset != b.Offset || a.Type.Kind() != b.Type.Kind() || a.Type.Size() != b.Type.Size() {
			return false
		}
		if a.Type.Kind() == reflect.Slice && a.Type.Elem().Kind() != b.Type.Elem().Kind() {
			return false
		}
	}
	return true
}

func layoutOf(h *hdrhistogram.Histogram) *hdrLayout { return (*hdrLayout)(unsafe.Pointer(h)) }

// hdrIndex is the library's countsIndexFor: the index of the bucket
// that counts v (v >= 0) in h.
func hdrIndex(h *hdrLayout, v int64) int {
	// (The shift counts are below 64; "& 63" tells the compiler so.)
	bucket := int64(64-bits.LeadingZeros64(uint64(v|h.subBucketMask))) - h.unitMagnitude - int64(h.subBucketHalfCountMagnitude+1)
	sub := v >> (uint(bucket+h.unitMagnitude) & 63)
	return int((bucket+1)<<(uint(h.subBucketHalfCountMagnitude)&63) + sub - int64(h.subBucketHalfCount))
}

// countAt counts one value in bucket idx of h (hdrIndex of the value), as
// RecordValue would, and reports true; false (nothing done) when idx is
// out of range or the total would overflow, for the caller to call
// RecordValue. It is small enough to be inlined.
func countAt(h *hdrhistogram.Histogram, idx int) bool {
	l := layoutOf(h)
	if uint(idx) >= uint(len(l.counts)) || l.totalCount == math.MaxInt64 {
		return false
	}
	l.counts[idx]++
	l.totalCount++
	return true
}

// sectionGeo is the geometry of the section histograms (histSection),
// for sectionIndex.
var sectionGeo = func() hdrLayout {
	h := hdrhistogram.New(1, MaxTrackableMS, SigFigsSection)
	if !hdrFast {
		return hdrLayout{}
	}
	g := *layoutOf(h)
	g.counts = nil
	return g
}()

// sectionIndex returns the bucket index of v (within range, not negative)
// in every section histogram, or -1 when the fast path is off.
func sectionIndex(v int64) int {
	if !hdrFast {
		return -1
	}
	return hdrIndex(&sectionGeo, v)
}

// mergeHist adds from's counts into h, leaving h as h.Merge(from) would,
// and reports true; false (nothing done) when the fast path is off, the
// two histograms differ in geometry, or the total would overflow (Merge
// then decides what to drop). The library's Merge walks from's buckets
// with its iterator and records each non-empty one with RecordValues
// (about 35 instructions a bucket); this adds counts index by index and,
// like the iterator, stops once from's total is reached.
func mergeHist(h, from *hdrhistogram.Histogram) bool {
	if !hdrFast {
		return false
	}
	a, b := layoutOf(h), layoutOf(from)
	if a.lowestDiscernibleValue != b.lowestDiscernibleValue || a.highestTrackableValue != b.highestTrackableValue ||
		a.significantFigures != b.significantFigures || len(a.counts) != len(b.counts) ||
		b.totalCount < 0 || a.totalCount > math.MaxInt64-b.totalCount {
		return false
	}
	dst, src := a.counts, b.counts[:len(a.counts)]
	left := b.totalCount
	for i := 0; left > 0 && i < len(src); i++ {
		c := src[i]
		dst[i] += c
		left -= c
	}
	a.totalCount += b.totalCount
	return true
}

// histCounts returns h's counts to read, without the copy Export makes:
// when the mirror matches, the library's own slice (callers must not
// modify it) cut after its last non-zero count.
func histCounts(h *hdrhistogram.Histogram) []int64 {
	if !hdrFast {
		return h.Export().Counts
	}
	l := layoutOf(h)
	// Up to the last non-zero count, found as the counts reach the total
	// (all of them if they never do, or when one is negative).
	left := l.totalCount
	for i, c := range l.counts {
		if c < 0 {
			break
		}
		if left -= c; left <= 0 {
			return l.counts[:i+1]
		}
	}
	return l.counts
}

// addAt adds n (> 0) to bucket idx of h, as RecordValues of a value of
// that bucket would, and reports true; false (nothing done) when the fast
// path is off, idx is out of range, n is not positive or the total would
// overflow.
func addAt(h *hdrhistogram.Histogram, idx int, n int64) bool {
	if !hdrFast || n <= 0 {
		return false
	}
	l := layoutOf(h)
	if uint(idx) >= uint(len(l.counts)) || l.totalCount > math.MaxInt64-n {
		return false
	}
	l.counts[idx] += n
	l.totalCount += n
	return true
}
