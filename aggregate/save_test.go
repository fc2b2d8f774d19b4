package aggregate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// genLog returns a deterministic generated log of d simulated time.
func genLog(t testing.TB, d time.Duration, scenario gen.Scenario) []byte {
	t.Helper()
	var buf bytes.Buffer
	g := gen.New(gen.Config{Seed: 7, Duration: d, Dynos: 4, Rate: 40, Scenario: scenario, L10Every: 3 * time.Minute})
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// feed parses data into agg.
func feed(t testing.TB, agg *aggregate.Aggregator, data []byte) {
	t.Helper()
	rd := parse.NewReader(bytes.NewReader(data), parse.NewParser())
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		agg.Add(r)
	}
}

// splitLines cuts data into n parts at line boundaries.
func splitLines(data []byte, n int) [][]byte {
	var parts [][]byte
	for i := n; i > 1; i-- {
		cut := len(data) / i
		if j := bytes.IndexByte(data[cut:], '\n'); j >= 0 {
			cut += j + 1
		} else {
			cut = len(data)
		}
		parts = append(parts, data[:cut])
		data = data[cut:]
	}
	return append(parts, data)
}

func reportJSON(t testing.TB, a *aggregate.Aggregator) string {
	t.Helper()
	rep := a.Report()
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// roundTrip writes a summary and reads it back.
func roundTrip(t testing.TB, a *aggregate.Aggregator) (*aggregate.Saved, int) {
	t.Helper()
	var buf bytes.Buffer
	if err := aggregate.WriteSummary(&buf, &aggregate.Saved{Herolog: "test", Agg: a}); err != nil {
		t.Fatal(err)
	}
	size := buf.Len()
	s, err := aggregate.ReadSummary(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return s, size
}

// allSections is a generated log in which every tail section has
// something to show: a memory leak (R14, memory readings), a stuck request
// (head-of-line incidents) and a slow route (H12s).
func allSections(d time.Duration) gen.Config {
	return gen.Config{Seed: 5, Duration: d, Dynos: 4, Rate: 30, Scenario: gen.MemoryLeak,
		StuckFor: 20 * time.Second, SlowRoute: "/reports/export", L10Every: time.Minute}
}

func genConfig(t testing.TB, cfg gen.Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := gen.New(cfg).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// populated says which tail section of rep is empty, "" when none is.
func populated(rep *aggregate.Report) string {
	switch {
	case rep.Timeline == nil || len(rep.Timeline.Buckets) == 0:
		return "timeline"
	case len(rep.Slowest) == 0:
		return "slowest"
	case rep.HOL == nil || len(rep.HOL.Incidents) == 0:
		return "hol"
	case len(rep.Routes) == 0:
		return "routes"
	case len(rep.DynosHealth) == 0 || !slices.ContainsFunc(rep.DynosHealth, func(d aggregate.DynoHealth) bool { return d.R14 > 0 && d.MaxMemoryMB > 0 }):
		return "dynos"
	case len(rep.Findings) == 0:
		return "findings"
	}
	return ""
}

// TestSaveMergeEqualsOnePass: shards saved, read back and merged give the
// report of one pass over the whole input, tail sections included, for
// every grouping.
func TestSaveMergeEqualsOnePass(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		shards int
	}{
		{"stuck dyno", genLog(t, 8*time.Minute, gen.StuckDyno), 3},
		{"slow route", genLog(t, 5*time.Minute, gen.SlowRoute), 2},
		{"all sections", genConfig(t, allSections(6*time.Minute)), 3},
	} {
		opts := aggregate.Options{By: aggregate.ByDyno, AllGroupings: true}
		whole := aggregate.New(opts)
		feed(t, whole, tc.data)
		wholeBody, _ := whole.MarshalBinary()
		if tc.name == "all sections" {
			if empty := populated(whole.Report()); empty != "" {
				t.Fatalf("%s: section %s is empty: the test would not test it", tc.name, empty)
			}
		}
		var shards [][]byte
		for _, part := range splitLines(tc.data, tc.shards) {
			shard := aggregate.New(opts)
			feed(t, shard, part)
			var buf bytes.Buffer
			if err := aggregate.WriteSummary(&buf, &aggregate.Saved{Herolog: "test", Agg: shard}); err != nil {
				t.Fatal(err)
			}
			shards = append(shards, buf.Bytes())
		}
		for _, by := range aggregate.Bys {
			t.Run(tc.name+"/"+by, func(t *testing.T) {
				var w aggregate.Aggregator
				if err := w.UnmarshalBinary(wholeBody); err != nil {
					t.Fatal(err)
				}
				if err := w.Regroup(aggregate.By(by)); err != nil {
					t.Fatal(err)
				}
				want := reportJSON(t, &w)
				merged := aggregate.New(aggregate.Options{By: aggregate.By(by), AllGroupings: true})
				for _, raw := range shards {
					s, err := aggregate.ReadSummary(bytes.NewReader(raw))
					if err != nil {
						t.Fatal(err)
					}
					if err := s.Agg.Regroup(aggregate.By(by)); err != nil {
						t.Fatal(err)
					}
					if err := merged.Merge(s.Agg); err != nil {
						t.Fatal(err)
					}
				}
				if got := reportJSON(t, merged); got != want {
					t.Errorf("merged report differs from one pass:\n%s", firstDiff(got, want))
				}
			})
		}
	}
}

// TestRegroupEqualsDirect: grouping directly by a key gives the same
// report as regrouping results kept for all groupings.
func TestRegroupEqualsDirect(t *testing.T) {
	data := genLog(t, 3*time.Minute, gen.StuckDyno)
	all := aggregate.New(aggregate.Options{AllGroupings: true})
	feed(t, all, data)
	body, _ := all.MarshalBinary()
	for _, by := range aggregate.Bys {
		t.Run(by, func(t *testing.T) {
			var w aggregate.Aggregator
			if err := w.UnmarshalBinary(body); err != nil {
				t.Fatal(err)
			}
			if err := w.Regroup(aggregate.By(by)); err != nil {
				t.Fatal(err)
			}
			direct := aggregate.New(aggregate.Options{By: aggregate.By(by)})
			feed(t, direct, data)
			if got, want := reportJSON(t, direct), reportJSON(t, &w); got != want {
				t.Errorf("regrouped report differs from a run grouped by %s:\n%s", by, firstDiff(got, want))
			}
		})
	}
}

// firstDiff shows where two reports first differ.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-300)
	return "got  …" + got[from:min(len(got), i+300)] + "\nwant …" + want[from:min(len(want), i+300)]
}

func TestMarshalRoundTripIsExact(t *testing.T) {
	a := aggregate.New(aggregate.Options{By: aggregate.ByRoute, AllGroupings: true})
	feed(t, a, genLog(t, 3*time.Minute, gen.SlowRoute))
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var c aggregate.Aggregator
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !a.EqualState(&c) {
		t.Error("state differs after MarshalBinary/UnmarshalBinary")
	}
	if reportJSON(t, a) != reportJSON(t, &c) {
		t.Error("report differs after MarshalBinary/UnmarshalBinary")
	}
}

// TestResumeAfterRoundTrip: state saved after part of a log, read back
// and fed the rest gives the report of one pass (so what is encoded is
// the whole state, including what only later records use, such as the
// head-of-line culprits still in flight).
func TestResumeAfterRoundTrip(t *testing.T) {
	data := genConfig(t, allSections(4*time.Minute))
	whole := aggregate.New(aggregate.Options{})
	feed(t, whole, data)
	want := reportJSON(t, whole)
	for _, frac := range []int{3, 5} { // cut at 1/3 and 3/5: the stuck request starts at 4m/3
		t.Run(strconv.Itoa(frac), func(t *testing.T) {
			cut := len(data) * (frac - 2) / frac
			cut += bytes.IndexByte(data[cut:], '\n') + 1
			a := aggregate.New(aggregate.Options{})
			feed(t, a, data[:cut])
			s, _ := roundTrip(t, a)
			feed(t, s.Agg, data[cut:])
			if got := reportJSON(t, s.Agg); got != want {
				t.Errorf("resumed report differs from one pass:\n%s", firstDiff(got, want))
			}
		})
	}
}

// TestAlsoRegroupMidStream: results kept with Options.Also and regrouped
// between records (as live does when a key switches the grouping) give,
// for each grouping kept, the report of a run grouped by it alone, before
// and after a save round trip.
func TestAlsoRegroupMidStream(t *testing.T) {
	data := genConfig(t, allSections(6*time.Minute))
	parts := splitLines(data, 3)
	for _, tc := range []struct {
		name     string
		start    aggregate.By
		also     []aggregate.By
		switches []aggregate.By // after each part but the last
	}{
		{"dyno then route then code", aggregate.ByDyno, []aggregate.By{aggregate.ByRoute, aggregate.ByCode}, []aggregate.By{aggregate.ByRoute, aggregate.ByCode}},
		{"route then dyno twice", aggregate.ByRoute, []aggregate.By{aggregate.ByDyno, aggregate.ByCode}, []aggregate.By{aggregate.ByDyno, aggregate.ByDyno}},
		{"code then host then code", aggregate.ByCode, []aggregate.By{aggregate.ByHost}, []aggregate.By{aggregate.ByHost, aggregate.ByCode}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := aggregate.New(aggregate.Options{By: tc.start, Also: tc.also})
			for i, part := range parts {
				feed(t, a, part)
				if i < len(tc.switches) {
					if err := a.Regroup(tc.switches[i]); err != nil {
						t.Fatal(err)
					}
				}
			}
			kept := append([]aggregate.By{tc.start}, tc.also...)
			if got := a.Groupings(); len(got) != len(kept) {
				t.Fatalf("Groupings() = %v, want %d of them", got, len(kept))
			}
			if err := a.Regroup(aggregate.ByStatus); err == nil {
				t.Error("Regroup to a grouping not kept: no error")
			}
			s, _ := roundTrip(t, a)
			if !a.EqualState(s.Agg) {
				t.Fatal("state differs after a save round trip")
			}
			for _, by := range kept {
				direct := aggregate.New(aggregate.Options{By: by})
				feed(t, direct, data)
				want := reportJSON(t, direct)
				for name, x := range map[string]*aggregate.Aggregator{"kept": a, "saved": s.Agg} {
					if err := x.Regroup(by); err != nil {
						t.Fatal(err)
					}
					if got := reportJSON(t, x); got != want {
						t.Errorf("%s, regrouped by %s: report differs from a run grouped by it:\n%s", name, by, firstDiff(got, want))
					}
				}
			}
			one := aggregate.New(aggregate.Options{By: a.Options().By})
			if err := a.Merge(one); err == nil {
				t.Error("merging results without the other groupings: no error")
			}
		})
	}
}

func TestMergeRefusesMissingGroupings(t *testing.T) {
	all := aggregate.New(aggregate.Options{AllGroupings: true})
	one := aggregate.New(aggregate.Options{})
	if err := all.Merge(one); err == nil {
		t.Error("merging results without other groupings into all groupings: no error")
	}
	if err := one.Regroup(aggregate.ByRoute); err == nil || !strings.Contains(err.Error(), "not by route") {
		t.Errorf("Regroup without the grouping kept: %v", err)
	}
}

func TestReadSummaryRefuses(t *testing.T) {
	a := aggregate.New(aggregate.Options{AllGroupings: true})
	feed(t, a, genLog(t, time.Minute, gen.Healthy))
	var good bytes.Buffer
	if err := aggregate.WriteSummary(&good, &aggregate.Saved{Herolog: "test", Agg: a}); err != nil {
		t.Fatal(err)
	}
	raw := good.Bytes()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a herolog summary"},
		{"text", []byte("2026-11-20T14:00:00Z heroku[router]: at=info"), "not a herolog summary"},
		{"version", append([]byte("HLSUM\x07"), raw[6:]...), "format version 7"},
		{"truncated", raw[:len(raw)/2], "corrupt summary"},
		{"version 1", append([]byte("HLSUM\x01"), raw[6:]...), "version 1, written before summaries held the tail-analysis sections"},
		{"not zstd", []byte("HLSUM\x02garbage garbage"), "corrupt summary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := aggregate.ReadSummary(bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestSummaryBodyCorruption flips and truncates the decompressed body:
// every damaged body is refused or decodes to a consistent state, never a
// panic.
func TestSummaryBodyCorruption(t *testing.T) {
	body, _ := smallAllSections(t).MarshalBinary()
	refused := 0
	for i := 0; i < len(body); i += 1 + len(body)/150 {
		var c aggregate.Aggregator
		if c.UnmarshalBinary(body[:i]) != nil {
			refused++
		}
		mut := bytes.Clone(body)
		mut[i] ^= 0xff
		if err := c.UnmarshalBinary(mut); err == nil {
			_ = c.Report()
			if m := aggregate.New(c.Options()); m.Merge(&c) == nil {
				_ = m.Report()
			}
		} else if !errors.Is(err, aggregate.ErrCorrupt) && !strings.Contains(err.Error(), "unknown grouping") {
			t.Errorf("flip at %d: error %v does not say corrupt", i, err)
		}
	}
	if refused == 0 {
		t.Error("no truncated body was refused")
	}
}

// smallAllSections is the state of a short log with every tail section
// populated.
func smallAllSections(t testing.TB) *aggregate.Aggregator {
	t.Helper()
	cfg := allSections(90 * time.Second)
	cfg.Rate, cfg.StuckAt, cfg.StuckFor = 10, 30*time.Second, 8*time.Second
	a := aggregate.New(aggregate.Options{AllGroupings: true, MaxGroups: 20})
	feed(t, a, genConfig(t, cfg))
	if empty := populated(a.Report()); empty != "" {
		t.Fatalf("section %s is empty", empty)
	}
	return a
}

func FuzzReadSummary(f *testing.F) {
	a := aggregate.New(aggregate.Options{AllGroupings: true})
	feed(f, a, genLog(f, 5*time.Second, gen.Healthy))
	body, _ := a.MarshalBinary()
	f.Add(body)
	f.Add([]byte{})
	// Every tail section populated: timeline, slowest, head-of-line
	// culprits and victims, routes with H12s, dynos with R14 and memory.
	body, _ = smallAllSections(f).MarshalBinary()
	f.Add(body)
	if seed, err := os.ReadFile("../testdata/sample.log"); err == nil {
		b := aggregate.New(aggregate.Options{})
		feed(f, b, seed[:min(len(seed), 20000)])
		body, _ := b.MarshalBinary()
		f.Add(body)
		// Some other groupings kept (Options.Also), as live keeps them.
		c := aggregate.New(aggregate.Options{By: aggregate.ByRoute, Also: []aggregate.By{aggregate.ByDyno, aggregate.ByCode}})
		feed(f, c, seed[:min(len(seed), 20000)])
		body, _ = c.MarshalBinary()
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c aggregate.Aggregator
		if err := c.UnmarshalBinary(data); err != nil {
			return
		}
		rep := c.Report()
		// What decodes encodes to bytes that decode to the same state.
		again, _ := c.MarshalBinary()
		var d aggregate.Aggregator
		if err := d.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if third, _ := d.MarshalBinary(); !bytes.Equal(third, again) {
			t.Fatal("re-decoded state encodes differently")
		}
		if rep.Total.Requests != d.Report().Total.Requests {
			t.Fatal("re-decoded total differs")
		}
		// It merges (as herolog merge does) without a panic.
		m := aggregate.New(c.Options())
		if err := m.Merge(&c); err == nil {
			_ = m.Merge(&d)
			_ = m.Report()
		}
	})
}
