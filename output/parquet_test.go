package output

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// genLog returns a generated log and its ground truth.
func genLog(t testing.TB, cfg gen.Config) ([]byte, gen.Truth) {
	t.Helper()
	g := gen.New(cfg)
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), g.Truth()
}

// eachRecord parses log and calls fn for every record.
func eachRecord(t testing.TB, log []byte, fn func(r *parse.Record)) {
	t.Helper()
	rd := parse.NewReader(bytes.NewReader(log), nil)
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(r)
	}
}

// readTable reads a whole Parquet file back with arrow-go's reader.
func readTable(t testing.TB, data []byte) arrow.Table {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// column returns the named column of tbl as one concatenated array.
func column(t testing.TB, tbl arrow.Table, name string) arrow.Array {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %q in %s", name, tbl.Schema())
	}
	chunks := tbl.Column(idx[0]).Data().Chunks()
	a, err := array.Concatenate(chunks, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sameFields checks that a schema read back has the fields of want (names,
// types, nullability); metadata may differ.
func sameFields(t testing.TB, got, want *arrow.Schema) {
	t.Helper()
	if got.NumFields() != want.NumFields() {
		t.Fatalf("%d fields, want %d:\n%s", got.NumFields(), want.NumFields(), got)
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) || g.Nullable != f.Nullable {
			t.Errorf("field %d: got %s %s nullable=%v, want %s %s nullable=%v", i, g.Name, g.Type, g.Nullable, f.Name, f.Type, f.Nullable)
		}
	}
}

// dictStr returns value i of a dictionary-encoded or plain string column,
// and whether it is non-null.
func dictStr(a arrow.Array, i int) (string, bool) {
	if a.IsNull(i) {
		return "", false
	}
	switch c := a.(type) {
	case *array.Dictionary:
		return c.Dictionary().(*array.String).Value(c.GetValueIndex(i)), true
	case *array.String:
		return c.Value(i), true
	}
	panic("not a string column: " + a.DataType().String())
}

func TestRequestWriterMatchesTruth(t *testing.T) {
	tests := []struct {
		name string
		cfg  gen.Config
		opts ParquetOptions
	}{
		{"cli stuck dyno, small batches and row groups", gen.Config{Seed: 7, Duration: 2 * time.Minute, Scenario: gen.StuckDyno},
			ParquetOptions{BatchRows: 1000, RowGroupRows: 5000}},
		{"syslog slow route, defaults", gen.Config{Seed: 8, Duration: 2 * time.Minute, Scenario: gen.SlowRoute, Format: gen.Syslog}, ParquetOptions{}},
		{"legacy router lines", gen.Config{Seed: 9, Duration: time.Minute, Format: gen.Legacy}, ParquetOptions{BatchRows: 777}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log, truth := genLog(t, tc.cfg)
			var out bytes.Buffer
			w, err := NewRequestWriter(&out, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			eachRecord(t, log, func(r *parse.Record) {
				if err := w.Add("gen.log", r); err != nil {
					t.Fatal(err)
				}
			})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if w.Rows() != truth.Requests {
				t.Fatalf("Rows() = %d, truth %d requests", w.Rows(), truth.Requests)
			}
			tbl := readTable(t, out.Bytes())
			defer tbl.Release()
			if tbl.NumRows() != truth.Requests {
				t.Fatalf("file has %d rows, truth %d", tbl.NumRows(), truth.Requests)
			}
			sameFields(t, tbl.Schema(), RequestSchema)
			dyno, service, route := column(t, tbl, "dyno"), column(t, tbl, "service_ms").(*array.Int32), column(t, tbl, "route")
			tm, file := column(t, tbl, "time").(*array.Timestamp), column(t, tbl, "source_file")
			perDyno, perRoute, maxByDyno := map[string]int64{}, map[string]int64{}, map[string]int64{}
			var maxService int64
			for i := 0; i < int(tbl.NumRows()); i++ {
				d, _ := dictStr(dyno, i)
				rt, ok := dictStr(route, i)
				if !ok {
					t.Fatalf("row %d: null route", i)
				}
				if f, _ := dictStr(file, i); f != "gen.log" {
					t.Fatalf("row %d: source_file %q", i, f)
				}
				perDyno[d]++
				perRoute[rt]++
				if service.IsNull(i) {
					t.Fatalf("row %d: service_ms null; the generator always writes it", i)
				}
				s := int64(service.Value(i))
				maxService = max(maxService, s)
				maxByDyno[d] = max(maxByDyno[d], s)
				at := time.UnixMicro(int64(tm.Value(i))).UTC()
				if at.Before(truth.First) || at.After(truth.Last) {
					t.Fatalf("row %d: time %v outside [%v, %v]", i, at, truth.First, truth.Last)
				}
			}
			if maxService != truth.MaxServiceMS {
				t.Errorf("max service_ms = %d, truth %d", maxService, truth.MaxServiceMS)
			}
			for d, n := range truth.PerDyno {
				if perDyno[d] != n || maxByDyno[d] != truth.MaxServiceByDyno[d] {
					t.Errorf("dyno %s: %d rows max %d, truth %d max %d", d, perDyno[d], maxByDyno[d], n, truth.MaxServiceByDyno[d])
				}
			}
			if len(perDyno) != len(truth.PerDyno) {
				t.Errorf("dynos %v, truth %v", perDyno, truth.PerDyno)
			}
			// The route column must group exactly as analyze --by route does.
			agg := aggregate.New(aggregate.Options{By: aggregate.ByRoute, MaxGroups: 1 << 20})
			eachRecord(t, log, agg.Add)
			rep := agg.Report()
			if len(rep.Groups) != len(perRoute) {
				t.Errorf("%d routes in the file, analyze --by route has %d", len(perRoute), len(rep.Groups))
			}
			for _, g := range rep.Groups {
				if perRoute[g.Key] != g.Requests {
					t.Errorf("route %s: %d rows, analyze --by route %d", g.Key, perRoute[g.Key], g.Requests)
				}
			}
		})
	}
}

// TestRequestWriterFields checks each column of hand-written lines, nulls
// included: absent is null, never 0.
func TestRequestWriterFields(t *testing.T) {
	lines := []string{
		`2024-05-01T10:00:00.123456+00:00 heroku[router]: at=info method=GET path="/api/users/42?x=1" host=app.herokuapp.com request_id=abc fwd="1.2.3.4" dyno=web.1 connect=1ms service=25ms status=200 bytes=512 protocol=https`,
		`2024-05-01T10:00:01+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=POST path="/upload" host=app.herokuapp.com request_id=def fwd="5.6.7.8" dyno=web.2 connect=0ms service=30000ms status=503 bytes=0 protocol=https`,
		`2024-05-01T10:00:02+00:00 heroku[router]: sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET path="/x" host=app.herokuapp.com request_id=ghi fwd="9.9.9.9" dyno=web.1 connect=0ms service= status=499 bytes= protocol=http`,
		`2011-10-13T01:28:42+00:00 heroku[router]: GET radiant-stone-9315.herokuapp.com/favicon.ico dyno=web.1 queue=3 wait=7ms service=6ms status=404 bytes=465`,
		"2024-05-01T10:00:03+00:00 heroku[router]: at=info method=GET path=\"/caf\xe9\" host=app.herokuapp.com request_id=jkl fwd=\"1.1.1.1\" dyno= connect= service=5ms status= bytes=1",
		`2024-05-01T10:00:04+00:00 app[web.1]: not a request service=5ms`,
	}
	type row struct {
		dyno, method, path, route, code, sock, at, desc, protocol string
		status, connect, service, queue, wait, bytes              string
	}
	want := []row{
		{"web.1", "GET", "/api/users/42?x=1", "/api/users/:id", "∅", "∅", "info", "∅", "https", "200", "1", "25", "∅", "∅", "512"},
		{"web.2", "POST", "/upload", "/upload", "H12", "∅", "error", "Request timeout", "https", "503", "0", "30000", "∅", "∅", "0"},
		{"web.1", "GET", "/x", "/x", "H27", "client", "warning", "Client Request Interrupted", "http", "499", "0", "∅", "∅", "∅", "∅"},
		{"web.1", "GET", "/favicon.ico", "/favicon.ico", "∅", "∅", "∅", "∅", "∅", "404", "∅", "6", "3", "7", "465"},
		{"∅", "GET", "/caf\uFFFD", "/caf\uFFFD", "∅", "∅", "info", "∅", "∅", "∅", "∅", "5", "∅", "∅", "1"},
	}
	var out bytes.Buffer
	w, err := NewRequestWriter(&out, ParquetOptions{BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := parse.NewParser()
	var r parse.Record
	for _, l := range lines {
		p.Parse([]byte(l), &r)
		if err := w.Add("x.log", &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("x.log", &r); err != ErrWriterClosed {
		t.Errorf("Add after Close: %v, want ErrWriterClosed", err)
	}
	tbl := readTable(t, out.Bytes())
	defer tbl.Release()
	if int(tbl.NumRows()) != len(want) {
		t.Fatalf("%d rows, want %d", tbl.NumRows(), len(want))
	}
	str := func(name string, i int) string {
		a := column(t, tbl, name)
		if a.IsNull(i) {
			return "∅"
		}
		switch c := a.(type) {
		case *array.Int16, *array.Int32, *array.Int64, *array.Timestamp:
			return c.ValueStr(i)
		}
		s, _ := dictStr(a, i)
		return s
	}
	for i, wr := range want {
		got := row{str("dyno", i), str("method", i), str("path", i), str("route", i), str("code", i), str("sock", i),
			str("at", i), str("desc", i), str("protocol", i), str("status", i), str("connect_ms", i), str("service_ms", i),
			str("queue", i), str("wait_ms", i), str("bytes", i)}
		if got != wr {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, wr)
		}
	}
	if got := str("time", 0); got == "∅" {
		t.Errorf("time is null")
	}
	tm := column(t, tbl, "time").(*array.Timestamp)
	if got := time.UnixMicro(int64(tm.Value(0))).UTC().Format(time.RFC3339Nano); got != "2024-05-01T10:00:00.123456Z" {
		t.Errorf("time[0] = %s", got)
	}
}

// benchRecords parses a generated log once and returns deep copies of its
// records, so a benchmark measures the writer and not the parser.
func benchRecords(b *testing.B, cfg gen.Config) ([]parse.Record, int64) {
	log, _ := genLog(b, cfg)
	var recs []parse.Record
	eachRecord(b, log, func(r *parse.Record) {
		c := *r
		for _, f := range []*[]byte{&c.Message, &c.Desc, &c.Cause, &c.Path, &c.Host, &c.RequestID, &c.Fwd, &c.TLSVersion} {
			if *f != nil {
				*f = bytes.Clone(*f)
			}
		}
		recs = append(recs, c)
	})
	return recs, int64(len(log))
}

// benchRequestRecords is benchRecords of the requests benchmarks' log (5
// minutes at 1,000 requests/s) with its router records counted: the rows
// a requests table gets.
func benchRequestRecords(b *testing.B) (recs []parse.Record, size, rows int64) {
	recs, size = benchRecords(b, gen.Config{Seed: 1, Duration: 5 * time.Minute, Rate: 1000})
	for i := range recs {
		if recs[i].Kind == parse.KindRouter {
			rows++
		}
	}
	return recs, size, rows
}

// BenchmarkRequestWriter measures the requests writer alone (records
// already parsed) on a generated CLI log, output discarded.
func BenchmarkRequestWriter(b *testing.B) {
	recs, size, rows := benchRequestRecords(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w, err := NewRequestWriter(io.Discard, ParquetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range recs {
			if err := w.Add("bench.log", &recs[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows), "rows/op")
}

func ExampleRequestWriter() {
	var out bytes.Buffer
	w, err := NewRequestWriter(&out, ParquetOptions{})
	if err != nil {
		panic(err)
	}
	p := parse.NewParser()
	var r parse.Record
	for _, line := range []string{
		`2024-05-01T10:00:00.123456+00:00 heroku[router]: at=info method=GET path="/api/users/42" host=app.herokuapp.com request_id=abc fwd="1.2.3.4" dyno=web.1 connect=1ms service=25ms status=200 bytes=512 protocol=https`,
		`2024-05-01T10:00:01+00:00 heroku[web.1]: Error R14 (Memory quota exceeded)`, // not a request: ignored
	} {
		p.Parse([]byte(line), &r)
		if err := w.Add("logs.txt", &r); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	b := out.Bytes()
	fmt.Println(w.Rows(), "row;", string(b[:4]), string(b[len(b)-4:]))
	// Output: 1 row; PAR1 PAR1
}

// TestRequestWriterDictionaryEdges covers the dictionary columns' rare
// paths: two raw values repaired to the same string (the row group's
// dictionary would hold a duplicate, so the column is written plain), a
// row group where a column is all null, and row groups ending mid-batch.
func TestRequestWriterDictionaryEdges(t *testing.T) {
	descs := []string{"", "", "", "bad \xff", "bad \xfe", "", "ok", "bad \xff", ""}
	var out bytes.Buffer
	w, err := NewRequestWriter(&out, ParquetOptions{BatchRows: 2, RowGroupRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := parse.NewParser()
	var r parse.Record
	for i, d := range descs {
		l := fmt.Sprintf(`2024-05-01T10:00:0%d+00:00 heroku[router]: at=error code=H12 desc="%s" method=GET path="/" host=h dyno=web.1 connect=0ms service=1ms status=503 bytes=0`, i, d)
		p.Parse([]byte(l), &r)
		if err := w.Add("x.log", &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tbl := readTable(t, out.Bytes())
	defer tbl.Release()
	a := column(t, tbl, "desc")
	if a.Len() != len(descs) {
		t.Fatalf("%d rows, want %d", a.Len(), len(descs))
	}
	for i, d := range descs {
		want := strings.ToValidUTF8(d, "\uFFFD")
		got, ok := dictStr(a, i)
		if ok != (d != "") || got != want {
			t.Errorf("desc[%d] = %q (non-null %v), want %q", i, got, ok, want)
		}
	}
}

// TestRequestWriterDictionaryLimit: dictionary columns whose dictionary
// passes the size limit within a row group (the writer falls back to plain
// in the middle of a batch, then the filling side stops interning) keep
// every value, nulls and repaired UTF-8 included, in every row group.
func TestRequestWriterDictionaryLimit(t *testing.T) {
	defer func(n int) { maxDictBytes = n }(maxDictBytes)
	maxDictBytes = 60
	tests := []struct {
		name string
		opts ParquetOptions
	}{
		{"batches of 7, row groups of 49", ParquetOptions{BatchRows: 7, RowGroupRows: 49}},
		{"one row group", ParquetOptions{BatchRows: 16, RowGroupRows: 1 << 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewRequestWriter(&out, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			p := parse.NewParser()
			var r parse.Record
			var hosts, descs []string
			for i := 0; i < 300; i++ {
				host := fmt.Sprintf("h%d.example.com", (i*7)%40)
				if i%11 == 0 {
					host = "" // null
				}
				desc := []string{"", "bad \xff", "bad \xfe", "ok", fmt.Sprintf("d%d", i%23)}[i%5]
				l := fmt.Sprintf(`2024-05-01T10:00:00+00:00 heroku[router]: at=error code=H12 desc="%s" method=GET path="/" host=%s dyno=web.1 connect=0ms service=1ms status=503 bytes=0`, desc, host)
				p.Parse([]byte(l), &r)
				if err := w.Add("x.log", &r); err != nil {
					t.Fatal(err)
				}
				hosts, descs = append(hosts, host), append(descs, desc)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			tbl := readTable(t, out.Bytes())
			defer tbl.Release()
			for _, col := range []struct {
				name string
				want []string
			}{{"host", hosts}, {"desc", descs}} {
				a := column(t, tbl, col.name)
				if a.Len() != len(col.want) {
					t.Fatalf("%s: %d rows, want %d", col.name, a.Len(), len(col.want))
				}
				for i, v := range col.want {
					want := strings.ToValidUTF8(v, "\uFFFD")
					got, ok := dictStr(a, i)
					if ok != (v != "") || got != want {
						t.Errorf("%s[%d] = %q (non-null %v), want %q", col.name, i, got, ok, want)
					}
				}
			}
		})
	}
}

// TestRequestWriterIntDictionary: the int32 dictionary columns (status,
// queue, wait_ms), numbered by the encoder (writeDictInt32), read back
// with every value and null, with min/max statistics per row group that
// are those of the values, whether the dictionary stays within its limit
// (dictionary-encoded chunks) or passes it mid-row-group (plain after);
// values new to the row group in the middle of batches, values in the
// small table and past it (above intDictSmall).
func TestRequestWriterIntDictionary(t *testing.T) {
	tests := []struct {
		name     string
		opts     ParquetOptions
		dictSize int
		dict     bool // every chunk of status dictionary-encoded
	}{
		{"batches of 7, row groups of 49", ParquetOptions{BatchRows: 7, RowGroupRows: 49}, maxDictBytes, true},
		{"past the limit", ParquetOptions{BatchRows: 16, RowGroupRows: 1 << 20}, 60, false},
		{"past the limit, batches of 5", ParquetOptions{BatchRows: 5, RowGroupRows: 100}, 40, false},
	}
	rnd := rand.New(rand.NewPCG(9, 10))
	statuses := []int{200, 200, 200, 404, 500, 503, 301, -1, 200, 1023, 1024, 32767, 201}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func(n int) { maxDictBytes = n }(maxDictBytes)
			maxDictBytes = tc.dictSize
			var out bytes.Buffer
			w, err := NewRequestWriter(&out, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			type row struct{ status, queue, wait int64 }
			var rows []row
			for i := 0; i < 400; i++ {
				r := row{int64(statuses[rnd.IntN(len(statuses))]), -1, -1}
				if i%3 == 0 {
					r.queue, r.wait = int64(rnd.IntN(5)), int64(rnd.IntN(3000))
				}
				if i > 200 && i%7 == 0 {
					r.status = int64(100 + i) // a new value now and then
				}
				rows = append(rows, r)
				rec := parse.Record{Kind: parse.KindRouter, Status: r.status, Queue: r.queue, Wait: r.wait,
					Connect: 1, Service: 2, Bytes: 3, Path: []byte("/")}
				if err := w.Add("x.log", &rec); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			tbl := readTable(t, out.Bytes())
			defer tbl.Release()
			st := column(t, tbl, "status").(*array.Int16)
			qu := column(t, tbl, "queue").(*array.Int32)
			wa := column(t, tbl, "wait_ms").(*array.Int32)
			for i, r := range rows {
				if got, ok := int64(st.Value(i)), st.IsValid(i); ok != (r.status >= 0) || ok && got != r.status {
					t.Fatalf("status[%d] = %d (non-null %v), want %d", i, got, ok, r.status)
				}
				if got, ok := int64(qu.Value(i)), qu.IsValid(i); ok != (r.queue >= 0) || ok && got != r.queue {
					t.Fatalf("queue[%d] = %d (non-null %v), want %d", i, got, ok, r.queue)
				}
				if got, ok := int64(wa.Value(i)), wa.IsValid(i); ok != (r.wait >= 0) || ok && got != r.wait {
					t.Fatalf("wait_ms[%d] = %d (non-null %v), want %d", i, got, ok, r.wait)
				}
			}
			pf, err := file.NewParquetReader(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			md := pf.MetaData()
			start := 0
			for g := range md.NumRowGroups() {
				rg := md.RowGroup(g)
				n := int(rg.NumRows())
				for _, col := range []struct {
					name string
					val  func(row) int64
					null func(row) bool
				}{
					{"status", func(r row) int64 { return r.status }, func(r row) bool { return r.status < 0 }},
					{"queue", func(r row) int64 { return r.queue }, func(r row) bool { return r.queue < 0 }},
					{"wait_ms", func(r row) int64 { return r.wait }, func(r row) bool { return r.wait < 0 }},
				} {
					cc, err := rg.ColumnChunk(md.Schema.ColumnIndexByName(col.name))
					if err != nil {
						t.Fatal(err)
					}
					s, err := cc.Statistics()
					if err != nil || s == nil {
						t.Fatalf("row group %d %s: no statistics (%v)", g, col.name, err)
					}
					nulls, lo, hi := int64(0), int64(math.MaxInt64), int64(math.MinInt64)
					for _, r := range rows[start : start+n] {
						if col.null(r) {
							nulls++
							continue
						}
						lo, hi = min(lo, col.val(r)), max(hi, col.val(r))
					}
					is := s.(*metadata.Int32Statistics)
					if is.NullCount() != nulls || is.NumValues() != int64(n)-nulls {
						t.Errorf("row group %d %s: %d nulls, %d values; want %d, %d", g, col.name, is.NullCount(), is.NumValues(), nulls, int64(n)-nulls)
					}
					if is.HasMinMax() != (nulls < int64(n)) || is.HasMinMax() && (int64(is.Min()) != lo || int64(is.Max()) != hi) {
						t.Errorf("row group %d %s: min %d max %d (set %v), want %d %d", g, col.name, is.Min(), is.Max(), is.HasMinMax(), lo, hi)
					}
					if col.name == "status" && tc.dict && !slices.Contains(cc.Encodings(), parquet.Encodings.RLEDict) {
						t.Errorf("row group %d status: encodings %v, want a dictionary", g, cc.Encodings())
					}
				}
				start += n
			}
		})
	}
}
