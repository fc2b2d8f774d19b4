package output

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// TestAddRowsMatchesAdd: rows buffered in RequestRows of uneven sizes and
// added in uneven ranges (crossing batches and row groups, one range
// after another, some of them to a second writer as a partitioned export
// does) give byte for byte the file that Add gives.
func TestAddRowsMatchesAdd(t *testing.T) {
	log, _ := genLog(t, gen.Config{Seed: 5, Duration: 3 * time.Minute, Rate: 40})
	o := ParquetOptions{BatchRows: 100, RowGroupRows: 700}
	var want, got, other bytes.Buffer
	ww, err := NewRequestWriter(&want, o)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := NewRequestWriter(&got, o)
	if err != nil {
		t.Fatal(err)
	}
	ow, err := NewRequestWriter(&other, o)
	if err != nil {
		t.Fatal(err)
	}
	var otherRows [][2]int // ranges written to ow: [chunk number, row count]
	rnd := rand.New(rand.NewPCG(1, 2))
	b := NewRequestRows()
	chunk := 0
	flush := func() {
		for lo := 0; lo < b.Len(); {
			hi := min(b.Len(), lo+1+rnd.IntN(400))
			w := gw
			if rnd.IntN(5) == 0 {
				w = ow
				otherRows = append(otherRows, [2]int{chunk, hi - lo})
			}
			if err := w.AddRows(b, lo, hi); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		b.Reset()
		chunk++
	}
	size := 1 + rnd.IntN(3000)
	n := 0
	eachRecord(t, log, func(r *parse.Record) {
		if err := ww.Add("gen.log", r); err != nil {
			t.Fatal(err)
		}
		b.Add("gen.log", r)
		if n++; n == size {
			flush()
			n, size = 0, 1+rnd.IntN(3000)
		}
	})
	flush()
	if gw.Rows()+ow.Rows() != ww.Rows() {
		t.Fatalf("rows %d + %d, want %d", gw.Rows(), ow.Rows(), ww.Rows())
	}
	for _, w := range []*RequestWriter{ww, gw, ow} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(otherRows) == 0 {
		t.Fatal("no range went to the second writer")
	}
	// Both writers' rows, interleaved back in order, are the whole table.
	wt, gt, ot := readTable(t, want.Bytes()), readTable(t, got.Bytes()), readTable(t, other.Bytes())
	if gt.NumRows()+ot.NumRows() != wt.NumRows() {
		t.Fatalf("tables of %d + %d rows, want %d", gt.NumRows(), ot.NumRows(), wt.NumRows())
	}
	wl, gl, ol := column(t, wt, "line"), column(t, gt, "line"), column(t, ot, "line")
	wr, gr, or := column(t, wt, "route"), column(t, gt, "route"), column(t, ot, "route")
	gi, oi := 0, 0
	for i := 0; i < int(wt.NumRows()); i++ {
		want := wl.ValueStr(i)
		wroute, _ := dictStr(wr, i)
		var got, route string
		if gi < gl.Len() && gl.ValueStr(gi) == want {
			got, route = gl.ValueStr(gi), must(dictStr(gr, gi))
			gi++
		} else if oi < ol.Len() {
			got, route = ol.ValueStr(oi), must(dictStr(or, oi))
			oi++
		}
		if got != want || route != wroute {
			t.Fatalf("row %d: line %s route %q, want line %s route %q", i, got, route, want, wroute)
		}
	}

	// All in one writer, the file is the one Add writes.
	var one bytes.Buffer
	w1, err := NewRequestWriter(&one, o)
	if err != nil {
		t.Fatal(err)
	}
	n, size = 0, 1+rnd.IntN(3000)
	eachRecord(t, log, func(r *parse.Record) {
		b.Add("gen.log", r)
		if n++; n == size {
			for lo := 0; lo < b.Len(); {
				hi := min(b.Len(), lo+rnd.IntN(400))
				if rnd.IntN(3) == 0 {
					b.seek(lo) // as AddRows does for a range out of order
				}
				if err := w1.AddRows(b, lo, hi); err != nil {
					t.Fatal(err)
				}
				lo = hi
			}
			b.Reset()
			n, size = 0, 1+rnd.IntN(3000)
		}
	})
	if err := w1.AddRows(b, 0, b.Len()); err != nil {
		t.Fatal(err)
	}
	if err := w1.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), want.Bytes()) {
		t.Fatalf("AddRows wrote %d bytes, Add %d; they differ", one.Len(), want.Len())
	}
	if err := w1.AddRows(b, 0, 0); err != ErrWriterClosed {
		t.Fatalf("AddRows after Close: %v, want ErrWriterClosed", err)
	}
}

func must(s string, _ bool) string { return s }

// TestRequestRowsRoute: the route column of RequestRows (templates from
// its path cache) is aggregate.Route of the path for every one-byte
// mutation of paths of each kind, each added twice (a miss, then a hit)
// in an order that makes cache entries collide and be replaced, across a
// Reset.
func TestRequestRowsRoute(t *testing.T) {
	paths := []string{
		"/api/users/42?x=1", "/api/orders/7aaa855c-a3f2-4aa5-953d-9710b801c4d6", "/a/deadbeef1/b#frag?q",
		"/assets/app-3f2a9c8e7d6b5a4f3e2d1c0b9a8f7e6d.js", "/tok/abcdefghij0123456789xyz/", "//x//", "", "?only", "/123",
	}
	var all []string
	for _, p := range paths {
		all = append(all, p)
		for i := 0; i < len(p); i++ {
			for _, c := range []byte{'/', '?', '#', '0', 'a', '-', 0xff} {
				all = append(all, p[:i]+string(c)+p[i+1:])
			}
			all = append(all, p[:i]+p[i+1:])
		}
	}
	b := NewRequestRows()
	for round := 0; round < 3; round++ {
		b.Reset()
		for _, p := range all {
			b.Add("f", &parse.Record{Kind: parse.KindRouter, Path: []byte(p), Status: -1, Connect: -1, Service: -1, Queue: -1, Wait: -1, Bytes: -1})
		}
		d := b.dicts[rqRoute]
		for i, p := range all {
			want := string(aggregate.Route(nil, []byte(p)))
			if got := d.keys[d.idx[i]]; got != want {
				t.Fatalf("round %d: route of %q is %q, want %q", round, p, got, want)
			}
		}
	}
}

// TestRequestWriterAbort: Abort stops a writer in the middle of a row
// group without finishing the file (no footer reaches the destination), and
// the writer refuses rows after it.
func TestRequestWriterAbort(t *testing.T) {
	log, _ := genLog(t, gen.Config{Seed: 6, Duration: time.Minute, Rate: 40})
	var out bytes.Buffer
	w, err := NewRequestWriter(&out, ParquetOptions{BatchRows: 100, RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var last *parse.Record
	eachRecord(t, log, func(r *parse.Record) {
		if err := w.Add("gen.log", r); err != nil {
			t.Fatal(err)
		}
		c := *r
		last = &c
	})
	if w.Rows() < 1500 {
		t.Fatalf("only %d rows; the test wants a row group written and one open", w.Rows())
	}
	w.Abort()
	if b := out.Bytes(); len(b) >= 8 && string(b[len(b)-4:]) == "PAR1" {
		t.Errorf("an aborted file of %d bytes ends with a footer", len(b))
	}
	if err := w.Add("gen.log", last); err == nil {
		t.Error("Add after Abort succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort returned no error")
	}
}

// BenchmarkRequestRowsAdd measures filling the row buffers alone (what a
// parallel export's parsers do per request, records already parsed), in
// buffers of 7,000 rows like export's 2 MiB chunks.
func BenchmarkRequestRowsAdd(b *testing.B) {
	recs, size, rows := benchRequestRecords(b)
	rr := NewRequestRows()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range recs {
			rr.Add("bench.log", &recs[i])
			if rr.Len() == 7000 {
				rr.Reset()
			}
		}
		rr.Reset()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
