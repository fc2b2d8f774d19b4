package aggregate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/herolog/herolog/parse"
)

func routerRec(dyno string, service int64, status int64, code string, t int64) *parse.Record {
	return &parse.Record{
		Kind: parse.KindRouter, Format: parse.FormatCLI, HasTime: true, Time: t,
		Dyno: dyno, Method: "GET", Path: []byte("/users/42?x=1"), Host: []byte("a.herokuapp.com"),
		Service: service, Connect: 1, Status: status, Code: code, Bytes: 10, Queue: parse.Missing, Wait: parse.Missing,
		Dropped: parse.Missing, MemMB: -1,
	}
}

// exactQuantile is the nearest-rank quantile of sorted values.
func exactQuantile(sorted []int64, q float64) int64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func TestDistQuantilesWithinHDRPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var d Dist
	var vals []int64
	for i := 0; i < 200000; i++ {
		v := int64(math.Exp(rng.NormFloat64()*1.5 + 4)) // lognormal ms
		if i%5000 == 0 {
			v = 30000 + int64(i%7) // H12-like
		}
		vals = append(vals, v)
		d.Record(v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	var sum int64
	for _, v := range vals {
		sum += v
	}
	s := d.Summary()
	if s.Count != int64(len(vals)) || s.Max != vals[len(vals)-1] {
		t.Fatalf("count/max = %d/%d, want %d/%d", s.Count, s.Max, len(vals), vals[len(vals)-1])
	}
	if want := float64(sum) / float64(len(vals)); math.Abs(d.Mean()-want) > 1e-9 {
		t.Fatalf("mean %v, want exact %v", d.Mean(), want)
	}
	for _, c := range []struct {
		q   float64
		got int64
	}{{0.5, s.P50}, {0.95, s.P95}, {0.99, s.P99}, {0.999, s.P999}} {
		want := exactQuantile(vals, c.q)
		if diff := math.Abs(float64(c.got-want)) / float64(want); diff > 0.001 && c.got-want > 1 {
			t.Errorf("q%.3f = %d, exact %d (%.4f off)", c.q, c.got, want, diff)
		}
	}
}

func TestDistClampsAndCounts(t *testing.T) {
	var d Dist
	d.Record(parse.MaxValue)
	d.Record(5)
	d.Record(-1) // ignored
	if d.Count != 2 || d.Clamped != 1 || d.Max != parse.MaxValue {
		t.Fatalf("count %d clamped %d max %d", d.Count, d.Clamped, d.Max)
	}
	if q := d.Quantile(1); q != MaxTrackableMS {
		t.Fatalf("top quantile %d, want the histogram's top %d", q, MaxTrackableMS)
	}
}

func TestMergeEqualsOnePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var recs []*parse.Record
	for i := 0; i < 20000; i++ {
		dyno := fmt.Sprintf("web.%d", rng.IntN(5)+1)
		svc := int64(rng.ExpFloat64() * 80)
		code := ""
		status := int64(200)
		if i%997 == 0 {
			code, status, svc = "H12", 503, 30000
		}
		recs = append(recs, routerRec(dyno, svc, status, code, int64(i)*1000))
	}
	for _, by := range []By{ByDyno, ByRoute, ByHost, ByStatus, ByMinute} {
		whole := New(Options{By: by})
		a, b := New(Options{By: by}), New(Options{By: by})
		for i, r := range recs {
			whole.Add(r)
			if i < len(recs)/3 {
				a.Add(r)
			} else {
				b.Add(r)
			}
		}
		if err := a.Merge(b); err != nil {
			t.Fatal(err)
		}
		w, m := mustJSON(t, whole.Report()), mustJSON(t, a.Report())
		if w != m {
			t.Errorf("by %s: merged report differs from one pass", by)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGroupCapFoldsIntoOther(t *testing.T) {
	a := New(Options{By: ByHost, MaxGroups: 3})
	for i := 0; i < 100; i++ {
		r := routerRec("web.1", 10, 200, "", 0)
		r.Host = []byte(fmt.Sprintf("h%d.example.com", i))
		a.Add(r)
	}
	rep := a.Report()
	if len(rep.Groups) != 4 || rep.Groups[3].Key != OtherKey || rep.Groups[3].Requests != 97 || rep.FoldedRequests != 97 {
		t.Fatalf("groups %d, last %+v, folded %d", len(rep.Groups), rep.Groups[len(rep.Groups)-1].Key, rep.FoldedRequests)
	}
}

func TestLinesAddUp(t *testing.T) {
	a := New(Options{})
	kinds := []parse.Kind{parse.KindRouter, parse.KindApp, parse.KindBlank, parse.KindUnparsed, parse.KindMalformed, parse.KindOversize, parse.KindDyno, parse.KindMetrics, parse.KindLogplex, parse.KindPlatform}
	for i, k := range kinds {
		r := routerRec("web.1", 5, 200, "", 0)
		r.Kind = k
		r.Line = int64(i + 1)
		a.Add(r)
	}
	rep := a.Report()
	l := rep.Lines
	sum := l.Router + l.Dyno + l.Metrics + l.Logplex + l.App + l.Platform + l.Blank + l.Malformed + l.Oversize + l.Unparsed
	if l.Total != int64(len(kinds)) || sum != l.Total {
		t.Fatalf("total %d, sum %d, want %d", l.Total, sum, len(kinds))
	}
	if len(rep.Problems) != 3 {
		t.Fatalf("problems %d, want 3", len(rep.Problems))
	}
}

func TestNoNaNOnZeroSpan(t *testing.T) {
	a := New(Options{})
	a.Add(routerRec("web.1", 5, 200, "", 42))
	rep := a.Report()
	if rep.SpanSeconds != 0 || rep.Total.RPS != 0 {
		t.Fatalf("span %v rps %v", rep.SpanSeconds, rep.Total.RPS)
	}
	if _, err := json.Marshal(New(Options{}).Report()); err != nil {
		t.Fatalf("empty report does not encode: %v", err)
	}
}

func TestOutlierMarked(t *testing.T) {
	a := New(Options{})
	for i := 0; i < 300; i++ {
		for d := 1; d <= 4; d++ {
			a.Add(routerRec(fmt.Sprintf("web.%d", d), 40, 200, "", int64(i)*1e6))
		}
	}
	a.Add(routerRec("web.3", 28000, 200, "", 301e6))
	rep := a.Report()
	if rep.Groups[0].Key != "web.3" || !strings.Contains(rep.Groups[0].Outlier, "× the mean") {
		t.Fatalf("first group %q outlier %q", rep.Groups[0].Key, rep.Groups[0].Outlier)
	}
	for _, g := range rep.Groups[1:] {
		if g.Outlier != "" {
			t.Errorf("%s marked: %s", g.Key, g.Outlier)
		}
	}
}

func TestRoute(t *testing.T) {
	cases := map[string]string{
		"/api/users/42?x=1": "/api/users/:id",
		"/api/orders/2388ebb8-fe62-4834-aa01-d1aca2f210ff/items": "/api/orders/:id/items",
		"/assets/a1b2c3d4e5f6":      "/assets/:id",
		"/":                         "/",
		"":                          "/",
		"/search?q=red+dress":       "/search",
		"/about/team":               "/about/team",
		"/t/AbCdEf0123456789XyZq12": "/t/:id",
		"/deadbeef":                 "/deadbeef",
	}
	for in, want := range cases {
		if got := string(Route(nil, []byte(in))); got != want {
			t.Errorf("Route(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNaturalLess(t *testing.T) {
	keys := []string{"web.10", "web.2", "worker.1", "web.1", "(none)", "web.02"}
	sort.Slice(keys, func(i, j int) bool { return NaturalLess(keys[i], keys[j]) })
	if got := strings.Join(keys, " "); got != "(none) web.1 web.2 web.02 web.10 worker.1" && got != "(none) web.1 web.02 web.2 web.10 worker.1" {
		t.Fatalf("order %s", got)
	}
}

func TestAddAllocs(t *testing.T) {
	for _, by := range []By{ByDyno, ByRoute, ByHost, ByStatus, ByMinute} {
		a := New(Options{By: by})
		r := routerRec("web.1", 50, 200, "", 1e12)
		a.Add(r)
		if n := testing.AllocsPerRun(1000, func() { a.Add(r) }); n != 0 {
			t.Errorf("by %s: %v allocs per Add", by, n)
		}
	}
}

func ExampleRoute() {
	fmt.Println(string(Route(nil, []byte("/api/users/42/orders/9f0c1e2d-aaaa-bbbb-cccc-0123456789ab?page=2"))))
	// Output: /api/users/:id/orders/:id
}

func ExampleAggregator() {
	a := New(Options{By: ByDyno})
	for i, svc := range []int64{20, 30, 25, 28000} {
		a.Add(routerRec("web.1", svc, 200, "", int64(i)*1e6))
	}
	rep := a.Report()
	g := rep.Groups[0]
	fmt.Println(g.Key, g.Requests, g.Service.P50, g.Service.Max, g.Service.Mean)
	// Output: web.1 4 25 28000 7018.8
}

// TestTotalFromGroupsMatchesRecording: the total's service and connect
// histograms, rebuilt from the groups' (syncTotal) instead of recorded per
// request, hold exactly what recording every value would, with groups
// folded into other, after merges, and after more records follow a report.
func TestTotalFromGroupsMatchesRecording(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		by              By
		maxGroups, keys int
	}{{ByDyno, 7, 12}, {ByRoute, 7, 12}, {ByStatus, 7, 12}, {ByDyno, 100, 60}, {ByRoute, 100, 60}} {
		by := c.by
		// Recorded one by one: the values added to a, and all of them.
		var svcA, svc Dist
		connA, conn := newDist(MaxConnectMS), newDist(MaxConnectMS)
		opts := Options{By: by, MaxGroups: c.maxGroups}
		a, b := New(opts), New(opts)
		// The same records counted the way every aggregator did before:
		// the total recorded per request.
		refA, refB := New(opts), New(opts)
		refA.eagerTotal, refB.eagerTotal = true, true
		check := func(stage string, svc, conn *Dist, ref *Aggregator) {
			t.Helper()
			if got, want := mustJSON(t, a.Report()), mustJSON(t, ref.Report()); got != want {
				t.Fatalf("by %s, %s: report differs from one with the total recorded per request", by, stage)
			}
			a.syncTotal()
			for _, c := range []struct {
				name      string
				got, want *Dist
			}{{"service", &a.total.service, svc}, {"connect", &a.total.connect, conn}} {
				g, w := c.got, c.want
				if g.Count != w.Count || g.Sum != w.Sum || g.Min != w.Min || g.Max != w.Max || g.Clamped != w.Clamped {
					t.Fatalf("by %s, %s: %s numbers %+v, want %+v", by, stage, c.name, *g, *w)
				}
				gh, wh := g.hist(), w.hist()
				if (gh == nil) != (wh == nil) || gh != nil && !gh.Equals(wh) {
					t.Fatalf("by %s, %s: %s histogram differs", by, stage, c.name)
				}
			}
		}
		check("empty", &svcA, &connA, refA)
		for i := 0; i < 30000; i++ {
			r := routerRec(fmt.Sprintf("web.%d", rng.IntN(c.keys)), int64(rng.ExpFloat64()*200), int64(200+rng.IntN(4)*100), "", int64(i)*1000)
			r.Connect = int64(rng.IntN(70000))
			if i%5 == 0 {
				r.Service = parse.Missing
			}
			if i%1000 == 1 {
				r.Service = 5_000_000 // above the histogram's range: clamped
			}
			k := rng.IntN(c.keys)
			r.Path = []byte(fmt.Sprintf("/p/k%c%c/x", 'a'+k%26, 'a'+k/26)) // not an identifier: one route each
			if i%7 == 0 {
				// Fewer codes than MaxCodes: past it, which codes a merge keeps
				// depends on the order of a map.
				r.Code, r.Status = fmt.Sprintf("X%d", rng.IntN(90)), 503
			}
			if i%11 == 0 {
				r.Wait = int64(rng.IntN(100)) // legacy wait=
			}
			if r.Service >= 0 {
				svc.Record(r.Service)
			}
			conn.Record(r.Connect)
			if i%2 == 0 {
				if r.Service >= 0 {
					svcA.Record(r.Service)
				}
				connA.Record(r.Connect)
				refA.Add(r)
				a.Add(r)
			} else {
				refB.Add(r)
				b.Add(r)
			}
			if i == 10 || i == 20000 {
				check(fmt.Sprintf("after %d records", i), &svcA, &connA, refA)
			}
		}
		if err := a.Merge(b); err != nil {
			t.Fatal(err)
		}
		if err := refA.Merge(refB); err != nil {
			t.Fatal(err)
		}
		check("after the merge", &svc, &conn, refA)
		if wantEager := c.keys > lazyTotalGroups && c.maxGroups > lazyTotalGroups; a.eagerTotal != wantEager {
			t.Fatalf("by %s, %d groups: eagerTotal %v", by, len(a.groups), a.eagerTotal)
		}
	}
}
