package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/parse"
)

// seedLogs adds every file of testdata/corpus and testdata/hostile (the
// first 4 KiB of each, so that mutations stay fast), with each grouping.
func seedLogs(f *testing.F) {
	var files []string
	for _, dir := range []string{"../testdata/corpus/*", "../testdata/hostile/*", "../testdata/sample.log"} {
		m, _ := filepath.Glob(dir)
		files = append(files, m...)
	}
	for i, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 4<<10 {
			b = b[:4<<10]
		}
		f.Add(b, uint8(i))
	}
}

// reportOf parses data and aggregates it grouped by aggregate.Bys[by%5],
// with a small group cap so folding into "other" is exercised.
func reportOf(t *testing.T, data []byte, by uint8) *aggregate.Report {
	agg := aggregate.New(aggregate.Options{By: aggregate.By(aggregate.Bys[int(by)%len(aggregate.Bys)]), MaxGroups: 4})
	agg.File = "fuzz\x1b[31m.log"
	rd := parse.NewReader(bytes.NewReader(data), nil)
	rd.MaxLine = 4096
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		agg.Add(r)
	}
	rep := agg.Report()
	rep.Inputs = []aggregate.Input{{Name: "fuzz\x1b[31m.log", Compression: "none", Bytes: int64(len(data)), Lines: rep.Lines.Total}}
	return rep
}

// FuzzReportJSON parses arbitrary log bytes into a report and checks the
// JSON round trip: the report always encodes (no NaN or Inf anywhere),
// decodes back to a report that encodes to the same bytes, and keeps its
// invariants (every line in exactly one kind; folded requests counted).
// It renders nothing else, so it runs fast enough for millions of inputs;
// FuzzRender checks the other formats.
func FuzzReportJSON(f *testing.F) {
	seedLogs(f)
	f.Fuzz(func(t *testing.T, data []byte, by uint8) {
		rep := reportOf(t, data, by)
		var first bytes.Buffer
		if err := JSON(&first, rep, Options{}); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		var back aggregate.Report
		if err := json.Unmarshal(first.Bytes(), &back); err != nil {
			t.Fatalf("decoding our own JSON: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := JSON(&second, &back, Options{}); err != nil {
			t.Fatalf("JSON of the decoded report: %v", err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("JSON round trip differs:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
		checkReport(t, &back)
	})
}

// FuzzRender parses arbitrary log bytes into a report, renders it in every
// format but JSON (FuzzReportJSON's) and checks that none fails or lets a
// control character or invalid UTF-8 through, and that CSV cells parse
// back and never start a spreadsheet formula. The seeds are those of
// FuzzReportJSON.
func FuzzRender(f *testing.F) {
	seedLogs(f)
	f.Fuzz(func(t *testing.T, data []byte, by uint8) {
		rep := reportOf(t, data, by)
		for _, format := range Formats() {
			if format == "json" {
				continue
			}
			var out bytes.Buffer
			if err := Render(format, &out, rep, Options{}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format == "csv" {
				checkCSV(t, out.Bytes())
				continue
			}
			if bad := TerminalUnsafe(out.String()); bad != "" {
				t.Fatalf("%s output lets %s through:\n%q", format, bad, out.String())
			}
		}
	})
}

// checkReport asserts the invariants of a report.
func checkReport(t *testing.T, r *aggregate.Report) {
	t.Helper()
	l := r.Lines
	if sum := l.Router + l.Dyno + l.Metrics + l.Logplex + l.App + l.Platform + l.Blank + l.Malformed + l.Oversize + l.Unparsed; sum != l.Total {
		t.Fatalf("lines by kind add up to %d, total %d", sum, l.Total)
	}
	var reqs int64
	for _, g := range r.Groups {
		reqs += g.Requests
	}
	if reqs != r.Total.Requests || reqs != l.Router {
		t.Fatalf("groups hold %d requests, total %d, router lines %d", reqs, r.Total.Requests, l.Router)
	}
	if r.SpanSeconds < 0 {
		t.Fatalf("negative span %v", r.SpanSeconds)
	}
}

// checkCSV parses CSV output and checks every cell.
func checkCSV(t *testing.T, b []byte) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse back: %v\n%q", err, b)
	}
	for _, row := range rows {
		for _, cell := range row {
			if bad := TerminalUnsafe(cell); bad != "" {
				t.Fatalf("CSV cell %q holds %s", cell, bad)
			}
			if FormulaLike(cell) {
				t.Fatalf("CSV cell %q would run as a spreadsheet formula", cell)
			}
		}
	}
}

// FuzzSanitize checks that Sanitize's output is always safe for a
// terminal, that it leaves safe text alone, and that it is idempotent.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "web.1", "/caf\u00e9", "\x1b[2J", "\x1b]0;t\x07", "\x9b31m", "\u202eexe.txt", "\xff\xfe", "a\x00b", "\r\n\t", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if bad := TerminalUnsafe(out); bad != "" {
			t.Fatalf("Sanitize(%q) = %q holds %s", s, out, bad)
		}
		if TerminalUnsafe(s) == "" && !strings.Contains(s, "\n") && out != s { // TerminalUnsafe allows newlines, Sanitize escapes them
			t.Fatalf("Sanitize changed safe text %q to %q", s, out)
		}
		if again := Sanitize(out); again != out {
			t.Fatalf("Sanitize is not idempotent: %q -> %q -> %q", s, out, again)
		}
		if strings.Contains(s, "\x1b") && strings.Contains(out, "\x1b") {
			t.Fatalf("escape kept")
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of Sanitize: %q", out)
		}
	})
}

// TestFixUTF8 checks that FixUTF8 reaches strings in nested structs,
// slices, pointers, map keys and values, and values behind interfaces.
func TestFixUTF8(t *testing.T) {
	type inner struct {
		S      string
		P      *string
		hidden string
	}
	bad := "a\xffb"
	p := bad
	v := struct {
		S     string
		In    inner
		List  []inner
		M     map[string]int64
		Any   map[string]any
		Named aggregate.By
	}{
		S: bad, In: inner{S: bad, P: &p, hidden: bad}, List: []inner{{S: bad}},
		M:     map[string]int64{bad: 1, "ok": 2},
		Any:   map[string]any{"x": bad, "y": inner{S: bad}, "z": 3},
		Named: aggregate.By(bad),
	}
	FixUTF8(&v)
	want := `a\xffb`
	for name, got := range map[string]string{"S": v.S, "In.S": v.In.S, "In.P": *v.In.P, "List[0].S": v.List[0].S,
		"Any[x]": v.Any["x"].(string), "Any[y].S": v.Any["y"].(inner).S, "Named": string(v.Named)} {
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if v.M[want] != 1 || v.M["ok"] != 2 || len(v.M) != 2 {
		t.Errorf("map keys: %v", v.M)
	}
	if v.In.hidden != bad || v.Any["z"] != 3 {
		t.Errorf("touched what it should not: %q %v", v.In.hidden, v.Any["z"])
	}
}
