package parse_test

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// benchSize is the size of each generated benchmark log: large enough for
// the parser's caches to reach steady state, small enough to sit in memory.
const benchSize = 16 << 20

var (
	genMu    sync.Mutex
	genCache = map[gen.Format][]byte{}
)

// genLog returns a deterministic synthetic log of about benchSize bytes in
// format f (the project's own generator; healthy scenario, seed 1).
func genLog(tb testing.TB, f gen.Format) []byte {
	tb.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	if b, ok := genCache[f]; ok {
		return b
	}
	var buf bytes.Buffer
	g := gen.New(gen.Config{Seed: 1, Format: f})
	if _, err := g.WriteBytes(&buf, benchSize); err != nil {
		tb.Fatal(err)
	}
	genCache[f] = buf.Bytes()
	return buf.Bytes()
}

// routerLines returns only the router lines of a generated CLI log.
func routerLines(tb testing.TB) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(genLog(tb, gen.CLI), []byte("\n")) {
		if bytes.Contains(l, []byte("heroku[router]: ")) {
			out = append(out, l)
		}
	}
	return out
}

// BenchmarkReader is the whole sequential parse path (Reader.Next, which
// frames and calls Parser.Parse) over generated logs in every format; MB/s
// is the single-core parse speed, allocs/op must stay 0 in steady state.
func BenchmarkReader(b *testing.B) {
	for _, f := range []gen.Format{gen.CLI, gen.Syslog, gen.Framed, gen.PapertrailTSV, gen.Legacy} {
		b.Run(f.String(), func(b *testing.B) {
			data := genLog(b, f)
			rd := parse.NewReader(nil, nil)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rd.Reset(bytes.NewReader(data))
				for {
					if _, err := rd.Next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
	}
}

// BenchmarkParseRouter parses router lines only (Parser.Parse, no framing):
// the hot path of every analysis. Target: ≥ 400 MB/s, 0 allocs.
func BenchmarkParseRouter(b *testing.B) {
	benchParse(b, routerLines(b))
}

// benchParse parses lines b.N times with one Parser, counting each line's
// bytes and its newline.
func benchParse(b *testing.B, lines [][]byte) {
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	p := parse.NewParser()
	var r parse.Record
	b.SetBytes(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			p.Parse(l, &r)
		}
	}
}

// BenchmarkParseApp parses the non-router lines (app, dyno, metrics), which
// should be rejected or classified cheaply.
func BenchmarkParseApp(b *testing.B) {
	var lines [][]byte
	for _, l := range bytes.Split(genLog(b, gen.CLI), []byte("\n")) {
		if len(l) > 0 && !bytes.Contains(l, []byte("heroku[router]: ")) {
			lines = append(lines, l)
		}
	}
	benchParse(b, lines)
}

// TestParseAllocs holds the zero-allocation contract: once the interner has
// seen a log's dynos, methods and codes, parsing its lines allocates nothing.
func TestParseAllocs(t *testing.T) {
	tests := []struct {
		name string
		f    gen.Format
	}{
		{"cli", gen.CLI},
		{"syslog", gen.Syslog},
		{"framed", gen.Framed},
		{"tsv", gen.PapertrailTSV},
		{"legacy", gen.Legacy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := genLog(t, tc.f)[:1<<20]
			rd := parse.NewReader(nil, nil)
			read := func() {
				rd.Reset(bytes.NewReader(data))
				for {
					if _, err := rd.Next(); err != nil {
						break
					}
				}
			}
			read() // warm the interner
			// bytes.NewReader itself is one allocation per run.
			if got := testing.AllocsPerRun(3, read); got > 1 {
				t.Errorf("reading 1 MiB of %s allocated %.0f times per run, want at most 1", tc.name, got)
			}
		})
	}
}
