package plan

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

func collectGen(t testing.TB, cfg gen.Config) (*Collector, gen.Truth) {
	t.Helper()
	var buf bytes.Buffer
	g := gen.New(cfg)
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	c := NewCollector()
	rd := parse.NewReader(&buf, parse.NewParser())
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Add(r)
	}
	return c, g.Truth()
}

func TestExplore(t *testing.T) {
	for _, sc := range []gen.Scenario{gen.Healthy, gen.StuckDyno, gen.SlowRoute, gen.TooFewDynos, gen.MemoryLeak} {
		c, tr := collectGen(t, gen.Config{Seed: 3, Scenario: sc, Duration: 5 * time.Minute})
		g := c.byDyno()
		for _, m := range []int{1, 2, 3} {
			t.Logf("%v truth %dx%d: dynos %d inferred(min %d) %d", sc, tr.Config.Dynos, tr.Config.Workers, len(c.dynos), m, c.inferWorkers(g, m))
		}
		rep, err := Plan(c, Options{Workers: tr.Config.Workers, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("  reqs %d obs %+v sim %+v", rep.Requests, rep.Check.Observed, rep.Check.Simulated)
	}
}
