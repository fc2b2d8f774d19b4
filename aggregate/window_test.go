package aggregate

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

const sec = int64(1_000_000) // µs

func req(dyno string, service int64, status int64, code string) *parse.Record {
	return &parse.Record{
		Kind: parse.KindRouter, Dyno: dyno, Method: "GET", Path: []byte("/api/users/42"),
		Service: service, Connect: 1, Status: status, Code: code,
		Bytes: parse.Missing, Queue: parse.Missing, Wait: parse.Missing,
	}
}

type timed struct {
	t int64 // seconds
	r *parse.Record
}

func TestWindowSlots(t *testing.T) {
	// Span 4 s in 1 s slots: the window at now covers the slot of now and
	// the 4 before it.
	opts := WindowOptions{Span: 4 * time.Second, Slot: time.Second}
	tests := []struct {
		name     string
		adds     []timed
		now      int64 // seconds
		want     map[string]int64
		wantMax  map[string]int64
		wantLate int64
	}{
		{
			name:    "in order",
			adds:    []timed{{0, req("web.1", 10, 200, "")}, {1, req("web.1", 20, 200, "")}, {2, req("web.2", 30, 200, "")}},
			now:     2,
			want:    map[string]int64{"web.1": 2, "web.2": 1},
			wantMax: map[string]int64{"web.1": 20, "web.2": 30},
		},
		{
			name: "old slots roll out",
			adds: []timed{{0, req("web.1", 900, 200, "")}, {1, req("web.1", 20, 200, "")}, {6, req("web.2", 30, 200, "")}},
			now:  6,
			// slots 2..6 are live: web.1's requests at 0 and 1 are gone
			want:    map[string]int64{"web.2": 1},
			wantMax: map[string]int64{"web.2": 30},
		},
		{
			name:    "out of order within the ring lands in its slot",
			adds:    []timed{{5, req("web.1", 10, 200, "")}, {2, req("web.2", 700, 200, "")}, {3, req("web.1", 50, 200, "")}},
			now:     5,
			want:    map[string]int64{"web.1": 2, "web.2": 1},
			wantMax: map[string]int64{"web.1": 50, "web.2": 700},
		},
		{
			name:     "older than the ring is late",
			adds:     []timed{{10, req("web.1", 10, 200, "")}, {5, req("web.2", 700, 200, "")}, {6, req("web.3", 5, 200, "")}},
			now:      10,
			want:     map[string]int64{"web.1": 1, "web.3": 1},
			wantMax:  map[string]int64{"web.1": 10, "web.3": 5},
			wantLate: 1,
		},
		{
			name:    "a report later than the data empties the window",
			adds:    []timed{{0, req("web.1", 10, 200, "")}},
			now:     100,
			want:    map[string]int64{},
			wantMax: map[string]int64{},
		},
		{
			name:    "negative times (before 1970) floor correctly",
			adds:    []timed{{-3, req("web.1", 10, 200, "")}, {-1, req("web.1", 12, 200, "")}},
			now:     0,
			want:    map[string]int64{"web.1": 2},
			wantMax: map[string]int64{"web.1": 12},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWindow(opts)
			for _, a := range tc.adds {
				w.Add(a.r, a.t*sec+sec/2)
			}
			rep := w.Report(tc.now*sec + sec/2)
			got := map[string]int64{}
			gotMax := map[string]int64{}
			var total int64
			for _, g := range rep.Groups {
				got[g.Key] = g.Requests
				gotMax[g.Key] = g.Service.Max
				total += g.Requests
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("requests = %v, want %v", got, tc.want)
			}
			if fmt.Sprint(gotMax) != fmt.Sprint(tc.wantMax) {
				t.Errorf("max = %v, want %v", gotMax, tc.wantMax)
			}
			if rep.Total.Requests != total {
				t.Errorf("total %d, groups add to %d", rep.Total.Requests, total)
			}
			if rep.Late != tc.wantLate {
				t.Errorf("late = %d, want %d", rep.Late, tc.wantLate)
			}
		})
	}
}

func TestWindowBoundsAndRate(t *testing.T) {
	w := NewWindow(WindowOptions{Span: 10 * time.Second, Slot: 2 * time.Second})
	base := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC).UnixMicro()
	// 2 requests per second for 30 s.
	for i := int64(0); i < 60; i++ {
		w.Add(req("web.1", 10, 200, ""), base+i*sec/2)
	}
	now := base + 30*sec
	rep := w.Report(now)
	// now is at the start of slot 15; the window covers slots 10..15: 12 s.
	if rep.Start != "2026-11-20T14:00:20Z" || rep.End != "2026-11-20T14:00:30Z" {
		t.Errorf("window = %s .. %s", rep.Start, rep.End)
	}
	if rep.Seconds != 10 || rep.Total.Requests != 20 || rep.Total.RPS != 2 {
		t.Errorf("seconds %v requests %d rps %v, want 10, 20, 2", rep.Seconds, rep.Total.Requests, rep.Total.RPS)
	}
	// At the start the window begins at the first request, not earlier.
	w2 := NewWindow(WindowOptions{Span: time.Minute})
	w2.Add(req("web.1", 10, 200, ""), base+7*sec)
	w2.Add(req("web.1", 10, 200, ""), base+9*sec)
	rep = w2.Report(base + 11*sec)
	if rep.Start != "2026-11-20T14:00:07Z" || rep.Seconds != 4 || rep.Total.RPS != 0.5 {
		t.Errorf("start %s seconds %v rps %v, want 14:00:07, 4, 0.5", rep.Start, rep.Seconds, rep.Total.RPS)
	}
}

func TestWindowCodesAndOutliers(t *testing.T) {
	w := NewWindow(WindowOptions{By: ByCode, Span: time.Minute})
	for i := 0; i < 50; i++ {
		w.Add(req("web.1", 20, 200, ""), int64(i)*sec/10)
	}
	w.Add(req("web.2", 30000, 503, "H12"), 3*sec)
	w.Add(req("web.2", 5, 500, ""), 3*sec)
	rep := w.Report(6 * sec)
	got := map[string]int64{}
	for _, g := range rep.Groups {
		got[g.Key] = g.Requests
	}
	if got["ok"] != 50 || got["H12"] != 1 || got["5xx"] != 1 || len(got) != 3 {
		t.Errorf("by code: %v", got)
	}
	if rep.Groups[0].Key != "ok" { // SortRequests by default
		t.Errorf("first group %q, want ok", rep.Groups[0].Key)
	}
	if rep.Total.Codes["H12"] != 1 || rep.Total.H12 != 1 || rep.Total.Status.S5xx != 2 || rep.Total.Errors != 2 {
		t.Errorf("total codes %v h12 %d 5xx %d errors %d", rep.Total.Codes, rep.Total.H12, rep.Total.Status.S5xx, rep.Total.Errors)
	}

	// By dyno, a dyno whose max is far above its mean is marked.
	w = NewWindow(WindowOptions{Span: time.Minute})
	for i := 0; i < 200; i++ {
		w.Add(req("web.1", 20, 200, ""), int64(i)*sec/10)
		w.Add(req("web.2", 20, 200, ""), int64(i)*sec/10)
	}
	w.Add(req("web.2", 28000, 200, ""), 5*sec)
	rep = w.Report(20 * sec)
	for _, g := range rep.Groups {
		if (g.Key == "web.2") != (g.Outlier != "") {
			t.Errorf("%s outlier %q", g.Key, g.Outlier)
		}
	}
}

func TestWindowKeyCap(t *testing.T) {
	w := NewWindow(WindowOptions{Span: 4 * time.Second, Slot: time.Second, MaxGroups: 2})
	w.Add(req("web.1", 1, 200, ""), 0)
	w.Add(req("web.2", 2, 200, ""), 0)
	w.Add(req("web.3", 3, 200, ""), 0) // no room: other
	rep := w.Report(0)
	if len(rep.Groups) != 3 || rep.Groups[2].Key != OtherKey || rep.Groups[2].Requests != 1 {
		t.Fatalf("groups %+v", keysOf(rep.Groups))
	}
	// After web.1 and web.2 leave the window, new keys take their places.
	w.Add(req("web.4", 4, 200, ""), 10*sec)
	w.Add(req("web.5", 5, 200, ""), 10*sec)
	rep = w.Report(10 * sec)
	if got := keysOf(rep.Groups); got != "web.4 web.5" {
		t.Errorf("groups %s, want web.4 web.5", got)
	}
	// While web.4 and web.5 are live, web.6 folds.
	w.Add(req("web.6", 6, 200, ""), 11*sec)
	rep = w.Report(11 * sec)
	if got := keysOf(rep.Groups); got != "web.4 web.5 other" {
		t.Errorf("groups %s, want web.4 web.5 other", got)
	}
}

func keysOf(gs []Group) string {
	var b bytes.Buffer
	for i, g := range gs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.Key)
	}
	return b.String()
}

// readGen parses a generated log into copies of its router records.
func readGen(t testing.TB, cfg gen.Config) []parse.Record {
	var buf bytes.Buffer
	if _, err := gen.New(cfg).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	rd := parse.NewReader(&buf, nil)
	var out []parse.Record
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *r
		c.Path = append([]byte(nil), r.Path...)
		c.Message, c.Host, c.RequestID, c.Fwd, c.Desc, c.Cause, c.TLSVersion = nil, nil, nil, nil, nil, nil, nil
		out = append(out, c)
	}
	return out
}

// TestWindowAgainstBruteForce feeds a generated log, slightly out of order,
// and at every 20 s of log time compares the window with an exact count of
// the requests whose time falls in it.
func TestWindowAgainstBruteForce(t *testing.T) {
	cfg := gen.Config{Seed: 7, Duration: 4 * time.Minute, Dynos: 3, Workers: 2, Rate: 20,
		Scenario: gen.StuckDyno, StuckFor: 25 * time.Second, Jitter: 3 * time.Second}
	recs := readGen(t, cfg)
	w := NewWindow(WindowOptions{Span: 30 * time.Second, Slot: 5 * time.Second})
	var newest int64
	checks := 0
	var next int64
	for i := range recs {
		r := &recs[i]
		if !r.HasTime {
			continue
		}
		w.Add(r, r.Time)
		newest = max(newest, r.Time)
		if next == 0 {
			next = r.Time + 20*sec
		}
		if r.Time < next {
			continue
		}
		next += 20 * sec
		checks++
		rep := w.Report(newest)
		slot := 5 * sec
		from := (newest/slot - 6) * slot // 7 slots: 6 full + the current
		type exact struct{ n, max int64 }
		want := map[string]*exact{}
		for j := 0; j <= i; j++ {
			x := &recs[j]
			if x.Kind != parse.KindRouter || !x.HasTime || x.Time < from || x.Time > newest {
				continue
			}
			e := want[x.Dyno]
			if e == nil {
				e = &exact{}
				want[x.Dyno] = e
			}
			e.n++
			e.max = max(e.max, x.Service)
		}
		if len(rep.Groups) != len(want) {
			t.Fatalf("at %s: %d groups, want %d", FormatTime(newest), len(rep.Groups), len(want))
		}
		for _, g := range rep.Groups {
			e := want[g.Key]
			if e == nil || g.Requests != e.n || g.Service.Max != e.max {
				t.Fatalf("at %s: %s requests %d max %d, want %+v", FormatTime(newest), g.Key, g.Requests, g.Service.Max, e)
			}
		}
	}
	if checks < 10 {
		t.Fatalf("only %d checks", checks)
	}
}

// TestWindowMatchesAggregator: a window longer than the log holds every
// request, with the same counts and maxima as the Aggregator and quantiles
// within 1%.
func TestWindowMatchesAggregator(t *testing.T) {
	recs := readGen(t, gen.SampleConfig())
	for _, by := range []By{ByDyno, ByRoute, ByCode} {
		t.Run(string(by), func(t *testing.T) {
			w := NewWindow(WindowOptions{By: by, Span: time.Hour, Sort: SortKey})
			a := New(Options{By: by, Sort: SortKey})
			var newest int64
			for i := range recs {
				a.Add(&recs[i])
				w.Add(&recs[i], recs[i].Time)
				newest = max(newest, recs[i].Time)
			}
			wr, ar := w.Report(newest), a.Report()
			if len(wr.Groups) != len(ar.Groups) {
				t.Fatalf("%d groups, aggregator %d", len(wr.Groups), len(ar.Groups))
			}
			for i := range ar.Groups {
				wg, ag := wr.Groups[i], ar.Groups[i]
				if wg.Key != ag.Key || wg.Requests != ag.Requests || wg.Service.Max != ag.Service.Max ||
					wg.Service.Count != ag.Service.Count || wg.Service.Mean != ag.Service.Mean ||
					wg.Status != ag.Status || wg.Errors != ag.Errors || fmt.Sprint(wg.Codes) != fmt.Sprint(ag.Codes) {
					t.Errorf("window %+v\naggregator %+v", wg, ag)
				}
				for _, q := range [][2]int64{{wg.Service.P50, ag.Service.P50}, {wg.Service.P99, ag.Service.P99}, {wg.Service.P999, ag.Service.P999}} {
					if math.Abs(float64(q[0]-q[1])) > 0.01*float64(q[1])+1 {
						t.Errorf("%s: window quantile %d, aggregator %d (more than 1%% apart)", wg.Key, q[0], q[1])
					}
				}
			}
		})
	}
}

// TestWindowAddAllocs: once every slot has been used, Add allocates
// nothing, however long it runs (memory stays flat).
func TestWindowAddAllocs(t *testing.T) {
	w := NewWindow(WindowOptions{By: ByRoute, Span: 10 * time.Second, Slot: time.Second})
	dynos := []string{"web.1", "web.2", "web.3"}
	recs := make([]*parse.Record, 0, 6)
	for i, d := range dynos {
		recs = append(recs, req(d, int64(10+i), 200, ""), req(d, 30000, 503, "H12"))
	}
	var t0 int64
	feed := func() {
		for _, r := range recs {
			w.Add(r, t0)
		}
		t0 += sec / 3
	}
	for i := 0; i < 200; i++ { // warm every slot
		feed()
	}
	if n := testing.AllocsPerRun(500, feed); n != 0 {
		t.Errorf("Add allocates %v per run of %d records", n, len(recs))
	}
}

func TestSlowest(t *testing.T) {
	s := NewSlowest(3, 10*time.Second)
	adds := []timed{
		{0, req("web.1", 5000, 200, "")}, // expires
		{8, req("web.2", 100, 200, "")},
		{9, req("web.3", 300, 200, "")},
		{10, req("web.1", 200, 200, "")}, // pushes out 100 (5000 is still live)
		{11, req("web.4", 50, 200, "")},  // 5000 has expired: takes its place
		{12, req("web.2", 10, 200, "")},  // slower than nothing kept: dropped
	}
	for _, a := range adds {
		s.Add(a.r, a.t*sec)
	}
	s.Add(&parse.Record{Kind: parse.KindApp, Service: 9999}, 12*sec) // not a request
	got := s.Report(12 * sec)
	var services []int64
	for _, r := range got {
		services = append(services, r.ServiceMS)
	}
	if fmt.Sprint(services) != "[300 200 50]" {
		t.Errorf("slowest %v, want [300 200 50]", services)
	}
	if got[0].Dyno != "web.3" || got[0].Path != "/api/users/42" || got[0].Time != "1970-01-01T00:00:09Z" {
		t.Errorf("first %+v", got[0])
	}
	if n := len(s.Report(30 * sec)); n != 0 {
		t.Errorf("%d kept 30 s later, want 0", n)
	}
	long := req("web.1", 1, 200, "")
	long.Path = bytes.Repeat([]byte("x"), 500)
	s.Add(long, 40*sec)
	if p := s.Report(40 * sec)[0].Path; len(p) != slowPathMax {
		t.Errorf("long path kept as %d bytes, want %d", len(p), slowPathMax)
	}
	if n := testing.AllocsPerRun(100, func() { s.Add(long, 40*sec) }); n != 0 {
		t.Errorf("Slowest.Add allocates %v", n)
	}
}

func TestRecentErrors(t *testing.T) {
	e := NewRecentErrors(2)
	ok := req("web.1", 10, 200, "")
	h12 := req("web.2", 30000, 503, "H12")
	h12.Message = []byte("at=error code=H12")
	s500 := req("web.3", 10, 500, "")
	l10 := &parse.Record{Kind: parse.KindLogplex, Process: "logplex", Code: "L10", Message: []byte("Error L10"), Status: parse.Missing}
	e.Add(ok, 1)
	e.Add(h12, 2*sec)
	e.Add(s500, 3*sec)
	e.Add(l10, 4*sec)
	got := e.Report()
	if len(got) != 2 || got[0].Code != "500" || got[0].Process != "web.3" || got[1].Code != "L10" || got[1].Process != "logplex" || got[1].Message != "Error L10" {
		t.Errorf("recent errors %+v", got)
	}
	if n := testing.AllocsPerRun(100, func() { e.Add(h12, 5*sec) }); n != 0 {
		t.Errorf("RecentErrors.Add allocates %v", n)
	}
}

func BenchmarkWindowAdd(b *testing.B) {
	recs := readGen(b, gen.SampleConfig())
	w := NewWindow(WindowOptions{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &recs[i%len(recs)]
		w.Add(r, r.Time)
	}
}

// ExampleWindow shows a rolling minute of two dynos.
func ExampleWindow() {
	w := NewWindow(WindowOptions{Span: time.Minute})
	t0 := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC).UnixMicro()
	for i := int64(0); i < 120; i++ {
		r := &parse.Record{Kind: parse.KindRouter, Dyno: "web.1", Service: 40, Connect: 1, Status: 200}
		if i%2 == 1 {
			r.Dyno, r.Service = "web.2", 40+i*10
		}
		w.Add(r, t0+i*1_000_000) // one request a second
	}
	rep := w.Report(t0 + 119*1_000_000)
	fmt.Println(rep.Start, "to", rep.End)
	for _, g := range rep.Groups {
		fmt.Printf("%s: %d requests, %.2f/s, max %d ms\n", g.Key, g.Requests, g.RPS, g.Service.Max)
	}
	// Output:
	// 2026-11-20T14:00:55Z to 2026-11-20T14:01:59Z
	// web.1: 32 requests, 0.50/s, max 40 ms
	// web.2: 33 requests, 0.52/s, max 1230 ms
}
