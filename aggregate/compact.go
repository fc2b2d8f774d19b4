package aggregate

import hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

// Compact timeline buckets.
//
// A timeline bucket's histogram takes 16 KB however few values it holds,
// and a long log has up to MaxTimelineBuckets buckets: most of the memory
// a long run keeps. Once the merged input has moved past a bucket it is
// kept compact, as its non-zero counts only (typically a few hundred of the
// 2,048), and expanded again when a record or a merge reaches it (the
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

// compactHist returns the non-zero counts of h as index<<48 | count, or
// nil when a count does not fit in 48 bits.
func compactHist(h *hdrhistogram.Histogram) []uint64 {
	counts := h.Export().Counts
	n := 0
	for _, c := range counts {
		if c != 0 {
			n++
		}
	}
	sp := make([]uint64, 0, n)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if c < 0 || c >= 1<<48 {
			return nil
		}
		sp = append(sp, uint64(i)<<48|uint64(c))
	}
	return sp
}

// expandHist returns a section histogram holding the counts sp.
func expandHist(sp []uint64) *hdrhistogram.Histogram {
	h := newHist(histSection)
	for _, e := range sp {
		_ = h.RecordValues(sectionValueAt(int(e>>48)), int64(e&(1<<48-1)))
	}
	return h
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
