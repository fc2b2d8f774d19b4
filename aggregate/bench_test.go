package aggregate_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// parsed is a generated CLI log parsed once into records. Each record's
// byte fields point into data, which is kept alive with them.
type parsed struct {
	data  []byte
	recs  []parse.Record
	bytes int64
}

var (
	parsedOnce sync.Once
	parsedLog  parsed
)

func benchLog(tb testing.TB) *parsed {
	tb.Helper()
	parsedOnce.Do(func() {
		var buf bytes.Buffer
		if _, err := gen.New(gen.Config{Seed: 1}).WriteBytes(&buf, 16<<20); err != nil {
			panic(err)
		}
		data := buf.Bytes()
		p := parse.NewParser()
		var recs []parse.Record
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			var r parse.Record
			p.Parse(l, &r)
			recs = append(recs, r)
		}
		parsedLog = parsed{data: data, recs: recs, bytes: int64(len(data))}
	})
	return &parsedLog
}

// BenchmarkAdd feeds already-parsed records to an Aggregator, for each
// grouping. MB/s is relative to the log the records came from, so it
// compares directly with the parser's benchmarks; allocs/op must stay at
// the handful of first-sighting allocations (new groups, histograms).
func BenchmarkAdd(b *testing.B) {
	l := benchLog(b)
	for _, by := range aggregate.Bys {
		b.Run(by, func(b *testing.B) {
			b.SetBytes(l.bytes)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a := aggregate.New(aggregate.Options{By: aggregate.By(by)})
				for j := range l.recs {
					a.Add(&l.recs[j])
				}
			}
		})
	}
}

// BenchmarkAnalyze is parse plus aggregate plus report, single core: the
// per-core speed the parallel scan multiplies (records parsed in place, as
// from a chunk).
func BenchmarkAnalyze(b *testing.B) {
	l := benchLog(b)
	b.SetBytes(l.bytes)
	b.ReportAllocs()
	rd := parse.NewReader(nil, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := aggregate.New(aggregate.Options{})
		rd.ResetBytes(l.data, 0, 0) // as the parallel scan does, chunk by chunk
		for {
			r, err := rd.Next()
			if err != nil {
				break
			}
			a.Add(r)
		}
		_ = a.Report()
	}
}

// BenchmarkMerge merges two full per-worker aggregators, as the parallel
// scan does once per worker at the end.
func BenchmarkMerge(b *testing.B) {
	l := benchLog(b)
	part := aggregate.New(aggregate.Options{})
	for j := range l.recs {
		part.Add(&l.recs[j])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := aggregate.New(aggregate.Options{})
		if err := a.Merge(part); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAddAllocs holds Add to no allocation per record once every group it
// meets exists. The tail sections allocate now and then (a head-of-line
// queue growing, a copy of a request entering the slowest list), so the
// bound is one allocation per thousand records: any per-record allocation
// breaks it.
func TestAddAllocs(t *testing.T) {
	l := benchLog(t)
	recs := l.recs[:20000]
	for _, by := range aggregate.Bys {
		t.Run(by, func(t *testing.T) {
			a := aggregate.New(aggregate.Options{By: aggregate.By(by)})
			add := func() {
				for j := range recs {
					a.Add(&recs[j])
				}
			}
			add() // create the groups
			if got := testing.AllocsPerRun(3, add); got > float64(len(recs)/1000) {
				t.Errorf("by %s: adding %d known records allocated %.0f times, want at most %d", by, len(recs), got, len(recs)/1000)
			}
		})
	}
}
