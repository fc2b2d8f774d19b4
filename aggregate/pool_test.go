package aggregate

import "testing"

// TestFreeList checks the free lists' bound: a put beyond max is dropped,
// and get returns the values put, last first, then reports empty.
func TestFreeList(t *testing.T) {
	tests := []struct {
		name string
		max  int
		put  []int
		want []int // what successive gets return, in order
	}{
		{"empty", 3, nil, nil},
		{"under the cap", 3, []int{1, 2}, []int{2, 1}},
		{"at the cap", 3, []int{1, 2, 3}, []int{3, 2, 1}},
		{"over the cap", 2, []int{1, 2, 3, 4}, []int{2, 1}},
		{"zero keeps none", 0, []int{1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := freeList[int]{max: tt.max}
			for _, v := range tt.put {
				f.put(v)
			}
			for i, w := range tt.want {
				v, ok := f.get()
				if !ok || v != w {
					t.Fatalf("get %d = %d, %v; want %d, true", i, v, ok, w)
				}
			}
			if v, ok := f.get(); ok {
				t.Fatalf("get after %d values = %d, true; want empty", len(tt.want), v)
			}
		})
	}
}

// TestReleaseReuses checks that a released aggregator's histograms go to
// the next one: a chunk aggregator made after another was released
// allocates no new histogram for the same groups.
func TestReleaseReuses(t *testing.T) {
	for k := range histPools {
		histPools[k].mu.Lock()
		histPools[k].items = nil
		histPools[k].mu.Unlock()
	}
	fill := func() *Aggregator {
		a := New(Options{})
		for i := range distSmall + 1 { // past the list: a histogram
			a.total.service.Record(int64(i))
		}
		return a
	}
	a := fill()
	a.Release()
	if n := len(histPools[histService].items); n == 0 {
		t.Fatalf("after Release the service free list holds %d histograms; want at least 1", n)
	}
	before := len(histPools[histService].items)
	b := fill()
	if after := len(histPools[histService].items); after != before-1 {
		t.Errorf("a new aggregator took %d service histograms from the free list; want 1", before-after)
	}
	b.Release()
}
