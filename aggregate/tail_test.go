package aggregate

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// genLog writes a generated log and returns it with its ground truth.
func genLog(t testing.TB, cfg gen.Config) ([]byte, gen.Truth) {
	t.Helper()
	var buf bytes.Buffer
	g := gen.New(cfg)
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), g.Truth()
}

// feed parses b into a new Aggregator.
func feed(t testing.TB, b []byte, opts Options) *Aggregator {
	t.Helper()
	a := New(opts)
	rd := parse.NewReader(bytes.NewReader(b), nil)
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return a
		}
		if err != nil {
			t.Fatal(err)
		}
		a.Add(r)
	}
}

// splitLines cuts b into n chunks at line boundaries near equal sizes.
func splitLines(b []byte, n int) [][]byte {
	var out [][]byte
	for i := n; i > 1; i-- {
		cut := len(b) / i
		nl := bytes.IndexByte(b[cut:], '\n')
		if nl < 0 {
			break
		}
		out = append(out, b[:cut+nl+1])
		b = b[cut+nl+1:]
	}
	return append(out, b)
}

// sections returns the JSON of the tail-analysis sections of r.
func sections(t testing.TB, r *Report) string {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{
		"timeline": r.Timeline, "slowest": r.Slowest, "hol": r.HOL,
		"routes": r.Routes, "dynos_health": r.DynosHealth, "findings": r.Findings,
	}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kinds(fs []Finding) []string {
	var k []string
	for _, f := range fs {
		k = append(k, f.Kind)
	}
	sort.Strings(k)
	return k
}

func findingOf(fs []Finding, kind string) *Finding {
	for i := range fs {
		if fs[i].Kind == kind {
			return &fs[i]
		}
	}
	return nil
}

var scenarioCases = []struct {
	name string
	cfg  gen.Config
	want string // the kind that must fire; "" for none at all
}{
	{"healthy-1", gen.Config{Seed: 1, Scenario: gen.Healthy}, ""},
	{"healthy-2", gen.Config{Seed: 2, Scenario: gen.Healthy}, ""},
	{"healthy-3", gen.Config{Seed: 3, Scenario: gen.Healthy, Dynos: 8, Workers: 2}, ""},
	{"stuck", gen.Config{Seed: 12, Scenario: gen.StuckDyno}, FindingStuckDyno},
	{"stuck-jitter", gen.Config{Seed: 5, Scenario: gen.StuckDyno, Jitter: 2 * time.Second}, FindingStuckDyno},
	{"slow-route", gen.Config{Seed: 13, Scenario: gen.SlowRoute}, FindingSlowRoute},
	{"too-few", gen.Config{Seed: 14, Scenario: gen.TooFewDynos}, FindingTooFewDynos},
	{"too-few-2", gen.Config{Seed: 4, Scenario: gen.TooFewDynos}, FindingTooFewDynos},
	{"memory", gen.Config{Seed: 15, Scenario: gen.MemoryLeak}, FindingMemory},
}

// TestFindingsOnScenarios checks that each scenario's finding fires, names
// the known cause, and that findings of the other causes do not fire; and
// that no finding at all fires on healthy logs.
func TestFindingsOnScenarios(t *testing.T) {
	causes := []string{FindingStuckDyno, FindingSlowRoute, FindingTooFewDynos, FindingMemory}
	for _, tc := range scenarioCases {
		t.Run(tc.name, func(t *testing.T) {
			b, tr := genLog(t, tc.cfg)
			rep := feed(t, b, Options{}).Report()
			fs := rep.Findings
			if tc.want == "" {
				if len(fs) != 0 {
					t.Fatalf("healthy log: findings %v: %+v", kinds(fs), fs)
				}
				return
			}
			f := findingOf(fs, tc.want)
			if f == nil {
				t.Fatalf("%s did not fire; findings %v; hol %+v", tc.want, kinds(fs), rep.HOL)
			}
			for _, k := range causes {
				if k != tc.want && findingOf(fs, k) != nil {
					t.Errorf("%s fired on %s: %+v", k, tc.name, *findingOf(fs, k))
				}
			}
			if f.Summary == "" || f.Advice == "" || len(f.Evidence) == 0 || f.Severity == "" {
				t.Errorf("incomplete finding %+v", f)
			}
			switch tc.want {
			case FindingStuckDyno:
				if f.Evidence["dyno"] != tr.StuckDyno {
					t.Errorf("stuck dyno %v, truth %s", f.Evidence["dyno"], tr.StuckDyno)
				}
				if svc := f.Evidence["service_ms"].(int64); svc < tr.StuckFor.Milliseconds()-100 {
					t.Errorf("stuck request %d ms, truth %v", svc, tr.StuckFor)
				}
				// The delayed victims are the requests that queued behind it.
				q := tr.QueuedOver1sByDyno[tr.StuckDyno]
				if d := f.Evidence["delayed"].(int64); d < q*7/10 || d > q*13/10+5 {
					t.Errorf("delayed victims %d, truth: %d requests queued over 1 s on %s", d, q, tr.StuckDyno)
				}
			case FindingSlowRoute:
				if f.Evidence["route"] != tr.SlowRoute || f.Severity != SeverityCritical {
					t.Errorf("slow route %v (%s), truth %s", f.Evidence["route"], f.Severity, tr.SlowRoute)
				}
				if h := f.Evidence["h12"].(int64); h != tr.H12ByRoute[tr.SlowRoute] {
					t.Errorf("h12 on route %d, truth %d", h, tr.H12ByRoute[tr.SlowRoute])
				}
			case FindingTooFewDynos:
				pt, err := time.Parse(time.RFC3339, f.Evidence["peak_start"].(string))
				if err != nil || pt.Before(tr.SpikeStart.Add(-time.Minute)) || pt.After(tr.SpikeEnd) {
					t.Errorf("peak at %v, spike %v–%v", f.Evidence["peak_start"], tr.SpikeStart, tr.SpikeEnd)
				}
				if f.Evidence["dynos_elevated"] != f.Evidence["dynos"] {
					t.Errorf("not every dyno elevated: %v", f.Evidence)
				}
			case FindingMemory:
				if f.Evidence["dyno"] != tr.LeakDyno || f.Severity != SeverityCritical {
					t.Errorf("memory on %v (%s), truth %s", f.Evidence["dyno"], f.Severity, tr.LeakDyno)
				}
			}
		})
	}
}

// TestMergeExact checks, for every section, that merging the aggregators
// of consecutive chunks of a log (split at line boundaries) gives the same
// report as one pass over the whole.
func TestMergeExact(t *testing.T) {
	cases := []gen.Config{
		{Seed: 12, Scenario: gen.StuckDyno, Duration: 10 * time.Minute, StuckAt: 5 * time.Minute, L10Every: time.Minute},
		{Seed: 13, Scenario: gen.SlowRoute, Duration: 6 * time.Minute},
		{Seed: 14, Scenario: gen.TooFewDynos, Duration: 10 * time.Minute},
		{Seed: 15, Scenario: gen.MemoryLeak, Duration: 10 * time.Minute},
		{Seed: 16, Scenario: gen.StuckDyno, Duration: 6 * time.Minute, StuckAt: 3 * time.Minute, Jitter: time.Second},
	}
	for _, cfg := range cases {
		b, _ := genLog(t, cfg)
		whole := sections(t, feed(t, b, Options{}).Report())
		for _, n := range []int{2, 3, 7} {
			t.Run(cfg.Scenario.String()+"/"+string(rune('0'+n)), func(t *testing.T) {
				merged := New(Options{})
				for _, c := range splitLines(b, n) {
					if err := merged.Merge(feed(t, c, Options{})); err != nil {
						t.Fatal(err)
					}
				}
				if got := sections(t, merged.Report()); got != whole {
					t.Errorf("merged report differs from one pass:\n%s", firstDiff(got, whole))
				}
			})
		}
	}
}

// TestMergeStuckAtBoundary cuts the log in the middle of the stuck
// request's victims: the merge must neither lose nor double-count them.
func TestMergeStuckAtBoundary(t *testing.T) {
	cfg := gen.Config{Seed: 12, Scenario: gen.StuckDyno, Duration: 4 * time.Minute, StuckAt: 2 * time.Minute}
	b, tr := genLog(t, cfg)
	one := feed(t, b, Options{}).Report()
	if len(one.HOL.Incidents) == 0 {
		t.Fatal("no incident in one pass")
	}
	inc := one.HOL.Incidents[0]
	ts := []string{inc.Start[:19], inc.End[:19], tr.StuckAt.Add(20 * time.Second).Format("2006-01-02T15:04:05")}
	for _, cut := range ts {
		i := bytes.Index(b, []byte(cut))
		if i < 0 {
			t.Fatalf("no line at %s", cut)
		}
		i = bytes.LastIndexByte(b[:i], '\n') + 1
		m := feed(t, b[:i], Options{})
		if err := m.Merge(feed(t, b[i:], Options{})); err != nil {
			t.Fatal(err)
		}
		got := m.Report().HOL
		if got.Incidents[0].Victims != inc.Victims || got.Incidents[0].Delayed != inc.Delayed || got.Delayed != one.HOL.Delayed {
			t.Errorf("cut at %s: victims %d delayed %d (total %d), one pass %d %d (%d)", cut,
				got.Incidents[0].Victims, got.Incidents[0].Delayed, got.Delayed, inc.Victims, inc.Delayed, one.HOL.Delayed)
		}
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			lo := max(0, i-3)
			return "line " + itoa(int64(i)) + ":\n merged: " + strings.Join(la[lo:min(i+3, len(la))], "\n         ") +
				"\n one:    " + strings.Join(lb[lo:min(i+3, len(lb))], "\n         ")
		}
	}
	return "lengths differ"
}

// TestSectionsMatchTruth checks the sections' counts against what the
// generator wrote.
func TestSectionsMatchTruth(t *testing.T) {
	b, tr := genLog(t, gen.Config{Seed: 15, Scenario: gen.MemoryLeak, Duration: 5 * time.Minute, StuckFor: 20 * time.Second})
	rep := feed(t, b, Options{Top: 3}).Report()
	var n int64
	for _, bk := range rep.Timeline.Buckets {
		n += bk.Requests
	}
	if n != tr.Requests || len(rep.Timeline.Buckets) != 5 && len(rep.Timeline.Buckets) != 6 {
		t.Errorf("timeline: %d requests in %d buckets, truth %d", n, len(rep.Timeline.Buckets), tr.Requests)
	}
	if len(rep.Slowest) != 3 || rep.Slowest[0].ServiceMS != tr.MaxServiceMS || rep.Slowest[0].Dyno != tr.StuckDyno {
		t.Errorf("slowest: %+v, truth max %d on %s", rep.Slowest, tr.MaxServiceMS, tr.StuckDyno)
	}
	for i := 1; i < len(rep.Slowest); i++ {
		if rep.Slowest[i].ServiceMS > rep.Slowest[i-1].ServiceMS {
			t.Errorf("slowest not in order: %+v", rep.Slowest)
		}
	}
	// Route templates: the generator names ids by kind, herolog says :id.
	want := map[string]int64{}
	for r, c := range tr.PerRoute {
		r = strings.NewReplacer(":uuid", ":id", "?q=", "").Replace(r)
		want[r] += c
	}
	got := map[string]int64{}
	var share float64
	for _, r := range rep.Routes {
		share += r.ServiceShare
		if strings.HasPrefix(r.Route, "/assets/app-") { // Route keeps file names with a digest
			r.Route = "/assets/app-:hex.js"
		}
		got[r.Route] += r.Requests
	}
	if len(got) != len(want) {
		t.Errorf("routes %v, truth %v", got, want)
	}
	for r, c := range want {
		if got[r] != c {
			t.Errorf("route %s: %d requests, truth %d", r, got[r], c)
		}
	}
	if share < 0.99 || share > 1.01 {
		t.Errorf("service shares add up to %v", share)
	}
	for _, d := range rep.DynosHealth {
		if d.Requests != tr.PerDyno[d.Dyno] || d.MaxMS != tr.MaxServiceByDyno[d.Dyno] {
			t.Errorf("%s: %d requests max %d, truth %d max %d", d.Dyno, d.Requests, d.MaxMS, tr.PerDyno[d.Dyno], tr.MaxServiceByDyno[d.Dyno])
		}
		if m := tr.MaxMemoryMBByDyno[d.Dyno]; d.MaxMemoryMB < m-0.1 || d.MaxMemoryMB > m+0.1 && d.MaxMemoryMB != round1(m) {
			t.Errorf("%s: max memory %v, truth %v", d.Dyno, d.MaxMemoryMB, m)
		}
	}
	var r14 int64
	for _, d := range rep.DynosHealth {
		r14 += d.R14
	}
	if r14 != tr.R14 {
		t.Errorf("R14 %d, truth %d", r14, tr.R14)
	}
}

func TestTimelineWidens(t *testing.T) {
	b, tr := genLog(t, gen.Config{Seed: 3, Scenario: gen.Healthy, Duration: 15 * time.Minute, Rate: 2})
	tests := []struct {
		bucket   time.Duration
		wantSecs float64
		note     bool
	}{
		{time.Minute, 60, false},
		{time.Second, 1, false},             // 900 buckets fit
		{100 * time.Millisecond, 1.5, true}, // 9000 → ×5 still 1800 → ×15
	}
	for _, tc := range tests {
		rep := feed(t, b, Options{Bucket: tc.bucket}).Report()
		tl := rep.Timeline
		if tl.BucketSeconds != tc.wantSecs || (tl.Note != "") != tc.note || len(tl.Buckets) > MaxTimelineBuckets {
			t.Errorf("bucket %v: width %v s, %d buckets, note %q", tc.bucket, tl.BucketSeconds, len(tl.Buckets), tl.Note)
		}
		var n int64
		for _, bk := range tl.Buckets {
			n += bk.Requests
		}
		if n != tr.Requests {
			t.Errorf("bucket %v: %d requests, truth %d", tc.bucket, n, tr.Requests)
		}
	}
}

func TestKeepSections(t *testing.T) {
	b, _ := genLog(t, gen.Config{Seed: 1, Duration: time.Minute})
	rep := feed(t, b, Options{}).Report()
	rep.KeepSections(SectionSlowest, SectionFindings)
	if rep.Timeline != nil || rep.HOL != nil || rep.Routes != nil || rep.DynosHealth != nil || rep.Slowest == nil || rep.Findings == nil {
		t.Errorf("KeepSections(slowest, findings) left %+v", rep)
	}
}

// TestReportGroups: ReportGroups is Report with every analysis section
// nil, for every grouping, and does not change what Report gives later.
func TestReportGroups(t *testing.T) {
	b, _ := genLog(t, gen.Config{Seed: 2, Scenario: gen.StuckDyno, Duration: 3 * time.Minute})
	for _, by := range Bys {
		t.Run(by, func(t *testing.T) {
			a := feed(t, b, Options{By: By(by)})
			got := a.ReportGroups()
			if got.Timeline != nil || got.Slowest != nil || got.HOL != nil || got.Routes != nil || got.DynosHealth != nil || got.Findings != nil {
				t.Fatal("ReportGroups filled an analysis section")
			}
			full := a.Report()
			if full.Timeline == nil || full.HOL == nil {
				t.Fatal("Report after ReportGroups lacks its sections")
			}
			full.KeepSections("none")
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(full)
			if string(g) != string(w) {
				t.Errorf("ReportGroups differs from Report without sections:\n%s", firstDiff(string(g), string(w)))
			}
		})
	}
}

// BenchmarkAddTail measures Add (all sections on) over a parsed log of the
// stuck-dyno scenario; it must not allocate per record.
func BenchmarkAddTail(b *testing.B) {
	data, _ := genLog(b, gen.Config{Seed: 1, Scenario: gen.StuckDyno, Duration: 5 * time.Minute, Rate: 50, Workers: 4})
	p := parse.NewParser()
	var recs []parse.Record
	for _, line := range bytes.Split(data, []byte("\n")) {
		var r parse.Record
		p.Parse(line, &r)
		recs = append(recs, r) // views into data, which stays alive
	}
	a := New(Options{})
	for i := range recs {
		a.Add(&recs[i])
	}
	// Each round replays the log shifted to the following minutes, as a
	// longer log would be, so the same requests are not matched twice.
	span := recs[len(recs)-2].Time - recs[0].Time + 60_000_000
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range recs {
			recs[i].Time += span
			a.Add(&recs[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// TestOddRecords feeds records with missing fields (no service, no time,
// no dyno, no path) alone and among normal ones: they are counted, and
// no section panics or invents numbers.
func TestOddRecords(t *testing.T) {
	lines := []string{
		`2026-11-20T14:00:01+00:00 heroku[router]: at=error code=H13 desc="Connection closed without response" method=GET path="/x" host=a dyno=web.1 connect=1ms service= status=503 bytes=0`,
		`heroku[router]: at=info method=GET path="/nots" host=a dyno=web.1 connect=1ms service=5000ms status=200 bytes=1`,
		`2026-11-20T14:00:02+00:00 heroku[router]: at=info method=GET path= host=a dyno= connect= service=40000ms status= bytes=`,
		`2026-11-20T14:00:03+00:00 heroku[web.9]: Error R14 (Memory quota exceeded)`,
		`2026-11-20T14:00:04+00:00 heroku[web.9]: Process running mem=9999999999999999999M(100.0%)`,
	}
	for i := range lines {
		a := feed(t, []byte(strings.Join(lines[i:], "\n")+"\n"), Options{})
		rep := a.Report()
		var n int64
		for _, r := range rep.Routes {
			n += r.Requests
		}
		if n != rep.Lines.Router {
			t.Errorf("from line %d: routes count %d requests, %d router lines", i, n, rep.Lines.Router)
		}
		sections(t, rep) // must marshal (no NaN)
	}
}
