package aggregate

import (
	"encoding/binary"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Compact timeline buckets.
//
// A timeline bucket's histogram takes 16 KB however few values it holds,
// and a long log has up to MaxTimelineBuckets buckets: most of the memory
// a long run keeps. Once the merged input has moved past a bucket it is
// kept compact, as its non-zero counts only (typically a few hundred of the
// 2,048, some 3 bytes each), and expanded again when a record or a merge reaches it (the
// timeline compacts the buckets the latest one leaves behind as it moves
// on, whether records are added or merged); the
// report and the summary writer expand one bucket at a time into a scratch
// histogram. The counts are the same either way, so nothing reported or
// saved changes.

// sectionValueAt returns a value the section geometry (1 ms to
// MaxTrackableMS, SigFigsSection digits: 128 half sub-buckets, unit 1)
// counts at index idx.
func sectionValueAt(idx int) int64 {
	if idx < 256 {
		return int64(idx)
	}
	b := idx>>7 - 1
	return int64(idx&127+128) << b
}

// compactHist returns the non-zero counts of h, each as two uvarints:
// the gap from the previous non-zero index (from -1) and the count. With
// gaps of one or two and counts of a few hundred, a count takes some 3
// bytes (8 in an index<<48 | count word, 16 KB for the whole histogram).
// It returns nil when a count is negative.
func compactHist(h *hdrhistogram.Histogram) []byte {
	counts := histCounts(h)
	n, prev := 0, -1
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if c < 0 {
			return nil
		}
		n += uvarintLen(uint64(i-prev)) + uvarintLen(uint64(c))
		prev = i
	}
	sp := make([]byte, 0, n)
	prev = -1
	for i, c := range counts {
		if c == 0 {
			continue
		}
		sp = binary.AppendUvarint(sp, uint64(i-prev))
		sp = binary.AppendUvarint(sp, uint64(c))
		prev = i
	}
	return sp
}

// uvarintLen is the length of x as a uvarint.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// expandHist returns a section histogram holding the counts sp (made by
// compactHist).
func expandHist(sp []byte) *hdrhistogram.Histogram {
	h := newHist(histSection)
	addCompact(h, sp)
	return h
}

// addCompact adds the counts sp (made by compactHist) to the section
// histogram h.
func addCompact(h *hdrhistogram.Histogram, sp []byte) {
	idx := -1
	for len(sp) > 0 {
		gap, k := binary.Uvarint(sp)
		c, m := binary.Uvarint(sp[k:])
		sp = sp[k+m:]
		idx += int(gap)
		if !addAt(h, idx, int64(c)) {
			_ = h.RecordValues(sectionValueAt(idx), int64(c))
		}
	}
}

// mergeCompact is merge for an o whose histogram is held compact, as sp
// (o.H is nil): the counts are added to d's histogram straight from sp,
// without expanding them into a histogram first. It reports false
// (nothing done) when the fast path is off, for the caller to expand.
func (d *hist2) mergeCompact(o *hist2, sp []byte) bool {
	if !hdrFast {
		return false
	}
	if o.Count == 0 {
		return true
	}
	d.addStats(o)
	addCompact(d.H, sp)
	return true
}

// compact makes b compact, when it holds a histogram.
func (b *tlBucket) compact() {
	if b.sp != nil || b.Service.H == nil {
		return
	}
	sp := compactHist(b.Service.H)
	if sp == nil {
		return
	}
	putHist(histSection, b.Service.H)
	b.Service.H, b.sp = nil, sp
}

// expand gives a compact bucket its histogram back.
func (b *tlBucket) expand() {
	if b.sp == nil {
		return
	}
	b.Service.H, b.sp = expandHist(b.sp), nil
}

// service returns b's service distribution as a value to read (quantiles,
// encoding), expanded into a histogram that done gives back.
func (b *tlBucket) service() (d hist2, done func()) {
	if b.sp == nil {
		return b.Service, func() {}
	}
	d = b.Service
	d.H = expandHist(b.sp)
	return d, func() { putHist(histSection, d.H) }
}

// compactPast makes compact the buckets more than two buckets before the
// latest one.
func (t *timeline) compactPast() {
	for idx, b := range t.Buckets {
		if idx < t.Hi-2 && b.sp == nil && b.Service.H != nil {
			b.compact()
		}
	}
	t.reopened = 0
}
