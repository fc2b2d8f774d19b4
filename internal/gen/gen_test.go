package gen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func generate(t testing.TB, cfg Config) ([]byte, Truth) {
	t.Helper()
	var buf bytes.Buffer
	g := New(cfg)
	n, err := g.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes(), g.Truth()
}

func lines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// field returns the value of key= in a logfmt-ish line ("" if absent).
func field(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+2:]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v
}

type req struct {
	ts      time.Time
	dyno    string
	service int
}

// routerLines parses the CLI router lines of b with plain string checks.
func routerLines(t *testing.T, b []byte) []req {
	t.Helper()
	var out []req
	for _, l := range lines(b) {
		if !strings.Contains(l, " heroku[router]: ") {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, l[:strings.IndexByte(l, ' ')])
		if err != nil {
			t.Fatal(err)
		}
		svc, err := strconv.Atoi(strings.TrimSuffix(field(l, "service"), "ms"))
		if err != nil {
			t.Fatalf("bad service in %q", l)
		}
		out = append(out, req{ts, field(l, "dyno"), svc})
	}
	return out
}

func TestDeterministic(t *testing.T) {
	for f := Format(0); f < numFormats; f++ {
		cfg := Config{Seed: 7, Duration: 2 * time.Minute, Scenario: StuckDyno, Format: f, L10Every: time.Minute, Jitter: 50 * time.Millisecond}
		a, _ := generate(t, cfg)
		b, _ := generate(t, cfg)
		if !bytes.Equal(a, b) {
			t.Errorf("%v: same seed gave different output", f)
		}
		cfg.Seed = 8
		c, _ := generate(t, cfg)
		if bytes.Equal(a, c) {
			t.Errorf("%v: different seeds gave the same output", f)
		}
	}
}

func TestTruthMatchesOutput(t *testing.T) {
	for s := Scenario(0); s < numScenarios; s++ {
		out, tr := generate(t, Config{Seed: 3, Duration: 5 * time.Minute, Scenario: s, L10Every: 2 * time.Minute})
		ls := lines(out)
		if int64(len(ls)) != tr.Lines || int64(len(out)) != tr.Bytes {
			t.Errorf("%v: %d lines %d bytes, truth %d lines %d bytes", s, len(ls), len(out), tr.Lines, tr.Bytes)
		}
		var router, h12, app, svcText, metrics, r14, l10 int64
		perDyno := map[string]int64{}
		var maxSvc int64
		prev := ""
		for _, l := range ls {
			if ts := l[:32]; ts < prev {
				t.Fatalf("%v: out of order without jitter: %q after %q", s, ts, prev)
			} else {
				prev = ts
			}
			switch {
			case strings.Contains(l, " heroku[router]: "):
				router++
				if strings.Contains(l, "code=H12") {
					h12++
				}
				perDyno[field(l, "dyno")]++
				v, _ := strconv.ParseInt(strings.TrimSuffix(field(l, "service"), "ms"), 10, 64)
				maxSvc = max(maxSvc, v)
			case strings.Contains(l, " app[web."):
				app++
				if strings.Contains(l, "service=") {
					svcText++
				}
			case strings.Contains(l, "sample#"):
				metrics++
			case strings.HasSuffix(l, "Error R14 (Memory quota exceeded)"):
				r14++
			case strings.Contains(l, " heroku[logplex]: Error L10 "):
				l10++
			}
		}
		if router != tr.Requests || h12 != tr.H12 || maxSvc != tr.MaxServiceMS || app != tr.AppLines ||
			svcText != tr.ServiceTextAppLines || metrics != tr.MetricsLines || r14 != tr.R14 || l10 != tr.L10 {
			t.Errorf("%v: counted router=%d h12=%d max=%d app=%d svcText=%d metrics=%d r14=%d l10=%d; truth %+v",
				s, router, h12, maxSvc, app, svcText, metrics, r14, l10, tr)
		}
		for d, n := range tr.PerDyno {
			if perDyno[d] != n {
				t.Errorf("%v: %s has %d router lines, truth %d", s, d, perDyno[d], n)
			}
		}
		if router < 1000 || svcText == 0 || metrics == 0 || l10 != 2 {
			t.Errorf("%v: too little of something: router=%d svcText=%d metrics=%d l10=%d", s, router, svcText, metrics, l10)
		}
	}
}

func TestHealthy(t *testing.T) {
	out, tr := generate(t, Config{Seed: 11, Scenario: Healthy})
	if tr.MaxServiceMS > 2000 || tr.H12 > 0 {
		t.Errorf("healthy: max service %d ms, %d H12", tr.MaxServiceMS, tr.H12)
	}
	for _, r := range routerLines(t, out) {
		if r.service > 2000 {
			t.Fatalf("healthy: request of %d ms", r.service)
		}
	}
}

func TestStuckDyno(t *testing.T) {
	out, tr := generate(t, Config{Seed: 12, Scenario: StuckDyno})
	if tr.StuckDyno != "web.3" || tr.MaxServiceByDyno["web.3"] < 25000 {
		t.Fatalf("stuck dyno %q, max %v", tr.StuckDyno, tr.MaxServiceByDyno)
	}
	// Requests routed to web.3 while it was stuck waited behind it.
	var delayed, delayedOther int
	for _, r := range routerLines(t, out) {
		if r.service >= 1000 && r.ts.After(tr.StuckAt) && r.ts.Before(tr.StuckAt.Add(2*time.Minute)) {
			if r.dyno == "web.3" {
				delayed++
			} else {
				delayedOther++
			}
		}
	}
	if delayed < 20 || delayed < 5*delayedOther {
		t.Errorf("stuck: %d delayed requests on web.3, %d on others", delayed, delayedOther)
	}
}

func TestSlowRoute(t *testing.T) {
	_, tr := generate(t, Config{Seed: 13, Scenario: SlowRoute})
	slow := tr.H12ByRoute["/reports/export"]
	if tr.H12 < 3 || slow*10 < tr.H12*8 {
		t.Errorf("slow route: %d H12, %d on /reports/export (%v)", tr.H12, slow, tr.H12ByRoute)
	}
}

func TestTooFewDynos(t *testing.T) {
	out, tr := generate(t, Config{Seed: 14, Scenario: TooFewDynos})
	sum := map[string][2]float64{}
	for _, r := range routerLines(t, out) {
		i := -1
		switch {
		case r.ts.Before(tr.SpikeStart):
			i = 0
		case r.ts.After(tr.SpikeStart.Add(tr.SpikeEnd.Sub(tr.SpikeStart)/2)) && r.ts.Before(tr.SpikeEnd):
			i = 1
		}
		if i >= 0 {
			s := sum[r.dyno+strconv.Itoa(i)]
			s[0] += float64(r.service)
			s[1]++
			sum[r.dyno+strconv.Itoa(i)] = s
		}
	}
	for d := range tr.PerDyno {
		before, during := sum[d+"0"], sum[d+"1"]
		mb, md := before[0]/before[1], during[0]/during[1]
		if md < 10*mb {
			t.Errorf("too few dynos: %s mean %.0f ms before the spike, %.0f ms in it", d, mb, md)
		}
	}
}

func TestMemoryLeak(t *testing.T) {
	out, tr := generate(t, Config{Seed: 15, Scenario: MemoryLeak})
	q := tr.Config.MemoryQuotaMB
	if tr.R14 == 0 || tr.MaxMemoryMBByDyno[tr.LeakDyno] < 1.5*q {
		t.Fatalf("leak: R14=%d max memory %v", tr.R14, tr.MaxMemoryMBByDyno)
	}
	for d, m := range tr.MaxMemoryMBByDyno {
		if d != tr.LeakDyno && m > q/2 {
			t.Errorf("leak: %s also used %.0f MB", d, m)
		}
	}
	third := tr.Config.Duration / 3
	var early, late [2]float64
	for _, r := range routerLines(t, out) {
		if r.dyno != tr.LeakDyno {
			continue
		}
		switch off := r.ts.Sub(tr.Config.Start); {
		case off < third:
			early[0] += float64(r.service)
			early[1]++
		case off > 2*third && off < 3*third:
			late[0] += float64(r.service)
			late[1]++
		}
	}
	if e, l := early[0]/early[1], late[0]/late[1]; l < 2*e {
		t.Errorf("leak: %s mean %.0f ms early, %.0f ms late", tr.LeakDyno, e, l)
	}
}

func TestFormats(t *testing.T) {
	base := Config{Seed: 21, Duration: 3 * time.Minute, Scenario: SlowRoute, L10Every: time.Minute}
	t.Run("syslog", func(t *testing.T) {
		cfg := base
		cfg.Format = Syslog
		out, tr := generate(t, cfg)
		var router int64
		for _, l := range lines(out) {
			if !strings.HasPrefix(l, "<") || !strings.Contains(l, ">1 2026-11-20T") {
				t.Fatalf("bad syslog line %q", l)
			}
			if strings.HasPrefix(l, "<158>1 ") && strings.Contains(l, " host heroku router - at=") {
				router++
			}
		}
		if router != tr.Requests {
			t.Errorf("%d router lines, truth %d", router, tr.Requests)
		}
	})
	for _, nonl := range []bool{false, true} {
		t.Run("framed/nonewline="+strconv.FormatBool(nonl), func(t *testing.T) {
			cfg := base
			cfg.Format, cfg.FramedNoNewline = Framed, nonl
			out, tr := generate(t, cfg)
			var frames, router int64
			for len(out) > 0 {
				sp := bytes.IndexByte(out, ' ')
				n, err := strconv.Atoi(string(out[:sp]))
				if err != nil || sp+1+n > len(out) {
					t.Fatalf("bad frame at %q", out[:min(len(out), 80)])
				}
				f := out[sp+1 : sp+1+n]
				out = out[sp+1+n:]
				if !bytes.HasPrefix(f, []byte("<")) || bytes.HasSuffix(f, []byte("\n")) == nonl {
					t.Fatalf("bad frame %q", f)
				}
				if bytes.Contains(f, []byte(" host heroku router - ")) {
					router++
				}
				frames++
			}
			if frames != tr.Lines || router != tr.Requests {
				t.Errorf("%d frames %d router, truth %d lines %d requests", frames, router, tr.Lines, tr.Requests)
			}
		})
	}
	t.Run("papertrail", func(t *testing.T) {
		cfg := base
		cfg.Format = PapertrailTSV
		out, tr := generate(t, cfg)
		var router int64
		for _, l := range lines(out) {
			c := strings.Split(l, "\t")
			if len(c) != 10 {
				t.Fatalf("%d columns in %q", len(c), l)
			}
			if _, err := time.Parse(time.RFC3339, c[1]); err != nil {
				t.Fatal(err)
			}
			if c[8] == "heroku/router" && strings.HasPrefix(c[9], "at=") {
				router++
			}
		}
		if router != tr.Requests {
			t.Errorf("%d router rows, truth %d", router, tr.Requests)
		}
	})
	t.Run("legacy", func(t *testing.T) {
		cfg := base
		cfg.Format = Legacy
		cfg.Scenario = StuckDyno
		cfg.StuckAt = time.Minute
		out, tr := generate(t, cfg)
		var router, queued, h12 int64
		for _, l := range lines(out) {
			if l[19:25] != "+00:00" || strings.Contains(l, "sample#") {
				t.Fatalf("not a legacy line: %q", l)
			}
			if i := strings.Index(l, " heroku[router]: "); i >= 0 {
				m := l[i+len(" heroku[router]: "):]
				if strings.HasPrefix(m, "Error H12 (Request timeout) -> ") {
					h12++
					m = strings.TrimPrefix(m, "Error H12 (Request timeout) -> ")
				}
				if !strings.Contains(m, " myapp.herokuapp.com/") || field(m, "queue") == "" || !strings.HasSuffix(field(m, "wait"), "ms") {
					t.Fatalf("bad legacy router line %q", l)
				}
				if field(m, "queue") != "0" {
					queued++
				}
				router++
			}
		}
		if router != tr.Requests || h12 != tr.H12 || queued < 10 {
			t.Errorf("%d router (truth %d), %d H12 (truth %d), %d queued", router, tr.Requests, h12, tr.H12, queued)
		}
	})
}

func TestJitter(t *testing.T) {
	cfg := Config{Seed: 5, Duration: 2 * time.Minute}
	a, _ := generate(t, cfg)
	cfg.Jitter = 200 * time.Millisecond
	b, _ := generate(t, cfg)
	la, lb := lines(a), lines(b)
	var disorder int
	for i := 1; i < len(lb); i++ {
		if lb[i][:32] < lb[i-1][:32] {
			disorder++
		}
	}
	if disorder == 0 {
		t.Error("jitter: output is in order")
	}
	slices.Sort(la)
	slices.Sort(lb)
	if !slices.Equal(la, lb) {
		t.Error("jitter changed the lines, not just their order")
	}
}

func TestWriteBytes(t *testing.T) {
	for f := Format(0); f < numFormats; f++ {
		g := New(Config{Seed: 9, Duration: time.Minute, Scenario: MemoryLeak, Format: f})
		var cw countWriter
		const n = 8 << 20
		got, err := g.WriteBytes(&cw, n)
		if err != nil || got != cw.n || got < n || got > n+4096 {
			t.Errorf("%v: WriteBytes = %d, %v; wrote %d", f, got, err, cw.n)
		}
		if tr := g.Truth(); tr.Last.Sub(tr.First) < 5*time.Minute {
			t.Errorf("%v: WriteBytes did not run past Duration: %v..%v", f, tr.First, tr.Last)
		}
		if _, err := g.WriteTo(io.Discard); !errors.Is(err, ErrUsed) {
			t.Errorf("second write: %v", err)
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func TestParseNames(t *testing.T) {
	for s := Scenario(0); s < numScenarios; s++ {
		if got, err := ParseScenario(strings.ToUpper(s.String())); err != nil || got != s {
			t.Errorf("ParseScenario(%v) = %v, %v", s, got, err)
		}
	}
	for f := Format(0); f < numFormats; f++ {
		if got, err := ParseFormat(f.String()); err != nil || got != f {
			t.Errorf("ParseFormat(%v) = %v, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) did not fail")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, f := range []Format{CLI, Framed, PapertrailTSV} {
		b.Run(f.String(), func(b *testing.B) {
			const n = 64 << 20
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				g := New(Config{Seed: 1, Scenario: StuckDyno, Format: f, Rate: 200, Dynos: 8, Workers: 4})
				w := bufio.NewWriterSize(io.Discard, 1<<16)
				if _, err := g.WriteBytes(w, n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
