package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/parse"
)

func sampleReport() *aggregate.Report {
	a := aggregate.New(aggregate.Options{By: aggregate.ByHost})
	p := parse.NewParser()
	var r parse.Record
	for _, line := range []string{
		`2026-11-20T14:00:00.000001+00:00 heroku[router]: at=info method=GET path="/" host=ok.example.com dyno=web.1 connect=1ms service=20ms status=200 bytes=10`,
		"2026-11-20T14:00:01+00:00 heroku[router]: at=info method=GET path=\"/\" host=evil\x1b]0;pwned\x07.com dyno=web.2 connect=1ms service=30ms status=200 bytes=10",
		`2026-11-20T14:00:02+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/slow" host==cmd|calc dyno=web.1 connect=1ms service=30000ms status=503 bytes=0`,
		"not a log line",
	} {
		p.Parse([]byte(line), &r)
		r.Line++
		a.Add(&r)
	}
	rep := a.Report()
	rep.Inputs = []aggregate.Input{{Name: "in\x1b[31m.log", Compression: "none"}}
	return rep
}

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"plain /path?x=1":  "plain /path?x=1",
		"a\x1b[31mred":     `a\x1b[31mred`,
		"bell\x07 nul\x00": `bell\x07 nul\x00`,
		"line\nbreak\ttab": `line\nbreak\ttab`,
		"bad\xffutf8":      `bad\xffutf8`,
		"c1\u009b31m":      `c1\u009b31m`,
		"bidi\u202eevil":   `bidi\u202eevil`,
		"unicode ☕ µs ok":  "unicode ☕ µs ok",
	}
	for in, want := range cases {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextFormatsHaveNoEscapes(t *testing.T) {
	rep := sampleReport()
	for _, f := range []string{"table", "markdown", "csv"} {
		var buf bytes.Buffer
		if err := Render(f, &buf, rep, Options{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := buf.String()
		for _, c := range out {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f) {
				t.Fatalf("%s output contains control character %q:\n%s", f, c, out)
			}
		}
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	rep := sampleReport()
	var plain, color bytes.Buffer
	Table(&plain, rep, Options{})
	Table(&color, rep, Options{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Fatal("escape codes without Color")
	}
	if !strings.Contains(color.String(), "\x1b[") {
		t.Fatal("no emphasis with Color")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rep := sampleReport()
	var buf bytes.Buffer
	if err := JSON(&buf, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	var back aggregate.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	JSON(&again, &back, Options{})
	if again.String() != buf.String() {
		t.Fatalf("round trip differs")
	}
	// The contract's required keys.
	var m map[string]any
	json.Unmarshal(buf.Bytes(), &m)
	for _, k := range []string{"lines", "start", "end", "total", "groups", "codes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	g := m["groups"].([]any)[0].(map[string]any)
	for _, k := range []string{"key", "requests", "service_ms", "connect_ms", "wait_ms", "status", "codes"} {
		if _, ok := g[k]; !ok {
			t.Errorf("group missing key %q", k)
		}
	}
	svc := g["service_ms"].(map[string]any)
	for _, k := range []string{"count", "mean", "p50", "p95", "p99", "p99.9", "max"} {
		if _, ok := svc[k]; !ok {
			t.Errorf("service_ms missing %q", k)
		}
	}
}

func TestCSVFormulaInjection(t *testing.T) {
	var buf bytes.Buffer
	if err := CSV(&buf, sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][0] != "key" || rows[len(rows)-1][0] != "total" {
		t.Fatalf("rows: %v", rows)
	}
	for _, row := range rows {
		if strings.HasPrefix(row[0], "=") {
			t.Fatalf("formula not neutralised: %q", row[0])
		}
	}
}

func TestFormatsRegistry(t *testing.T) {
	got := strings.Join(Formats(), ",")
	for _, f := range []string{"csv", "json", "markdown", "table"} {
		if !strings.Contains(got, f) {
			t.Errorf("format %s not registered: %s", f, got)
		}
	}
	if err := Render("nope", &bytes.Buffer{}, sampleReport(), Options{}); err == nil {
		t.Fatal("unknown format accepted")
	}
}
