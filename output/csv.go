package output

import (
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/herolog/herolog/aggregate"
)

// CSVHeader is the header row of CSV output. Durations are milliseconds.
var CSVHeader = []string{
	"key", "requests", "rps",
	"service_p50_ms", "service_p95_ms", "service_p99_ms", "service_p999_ms", "service_max_ms", "service_mean_ms",
	"connect_p99_ms", "connect_max_ms", "wait_p99_ms", "wait_max_ms",
	"status_2xx", "status_3xx", "status_4xx", "status_5xx", "h12", "errors", "codes", "outlier",
}

// CSV writes one row per group and a final row keyed "total", with the
// header CSVHeader. Codes are "H12=3;H13=1". encoding/csv quotes fields as
// needed.
func CSV(w io.Writer, r *aggregate.Report, _ Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	rows := append(append([]aggregate.Group{}, r.Groups...), r.Total)
	for i, g := range rows {
		key := g.Key
		if i == len(rows)-1 {
			key = "total"
		}
		f := strconv.FormatFloat
		waitP99, waitMax := "", ""
		if g.Wait != nil {
			waitP99, waitMax = itoa(g.Wait.P99), itoa(g.Wait.Max)
		}
		codes := make([]string, 0, len(g.Codes))
		for c, n := range g.Codes {
			codes = append(codes, c+"="+itoa(n))
		}
		sort.Strings(codes)
		rec := []string{
			key, itoa(g.Requests), f(g.RPS, 'f', -1, 64),
			itoa(g.Service.P50), itoa(g.Service.P95), itoa(g.Service.P99), itoa(g.Service.P999), itoa(g.Service.Max), f(g.Service.Mean, 'f', -1, 64),
			itoa(g.Connect.P99), itoa(g.Connect.Max), waitP99, waitMax,
			itoa(g.Status.S2xx), itoa(g.Status.S3xx), itoa(g.Status.S4xx), itoa(g.Status.S5xx), itoa(g.H12), itoa(g.Errors),
			strings.Join(codes, ";"), g.Outlier,
		}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe neutralises spreadsheet formula injection (a cell starting with
// = + - @ from an attacker-controlled path or host) by prefixing a quote,
// and escapes control characters.
func csvSafe(s string) string {
	if FormulaLike(s) {
		s = "'" + s
	}
	return Sanitize(s)
}

// FormulaLike reports whether a spreadsheet could read the cell s as a
// formula: it starts with = + @ tab or carriage return, or with - and is
// not a plain number ("-2+3+cmd|' /C calc'!A0" is a formula, "-5" and
// "-0.5" are not). CSV output prefixes such cells with a quote.
func FormulaLike(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return true
	case '-':
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	}
	return false
}
