package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
)

// duckDir is the npm package of the independent Parquet reader.
const duckDir = "../../test/duckdb"

// duckdb runs SQL statements with DuckDB through node and returns one
// result (rows as JSON objects) per statement. Without node or the npm
// package it skips the test, except in CI (CI set), where it fails.
func duckdb(t *testing.T, sql ...string) [][]map[string]any {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		msg := why + ": the DuckDB check of the Parquet files needs node and `npm ci` in test/duckdb"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set, so this is a failure, not a skip)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join(duckDir, "node_modules", "@duckdb", "node-api")); err != nil {
		missing("@duckdb/node-api is not installed")
	}
	cmd := exec.Command(node, append([]string{"query.mjs"}, sql...)...)
	cmd.Dir = duckDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v\n%s", err, stderr.String())
	}
	var res [][]map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var rows []map[string]any
		if err := json.Unmarshal([]byte(line), &rows); err != nil {
			t.Fatalf("duckdb output %q: %v", line, err)
		}
		res = append(res, rows)
	}
	if len(res) != len(sql) {
		t.Fatalf("duckdb: %d results for %d statements", len(res), len(sql))
	}
	return res
}

// num reads a DuckDB JSON number (BIGINTs come as strings).
func num(t *testing.T, v any) int64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			t.Fatalf("not a number: %q", x)
		}
		return n
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

// runOK runs herolog in process and fails the test on a non-zero exit.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("herolog %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// TestExportDuckDB reads herolog's Parquet files back with DuckDB and checks
// them against herolog analyze --format json on the same input: schema,
// row count, max(service_ms) and per-dyno counts, for a single file, the
// events table and a partitioned directory.
func TestExportDuckDB(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	g := gen.New(gen.Config{Seed: 11, Duration: 3 * time.Hour, Rate: 4, Scenario: gen.StuckDyno,
		Start: time.Date(2026, 11, 20, 22, 30, 0, 0, time.UTC), L10Every: 10 * time.Minute})
	var log bytes.Buffer
	if _, err := g.WriteTo(&log); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	truth := g.Truth()

	req, ev, lake := filepath.Join(dir, "requests.parquet"), filepath.Join(dir, "events.parquet"), filepath.Join(dir, "lake")
	runOK(t, "export", logPath, "-o", req, "--events", ev)
	runOK(t, "export", logPath, "-o", lake, "--partition", "hour")
	var rep aggregate.Report
	inPass := filepath.Join(dir, "analyze.parquet") // analyze --parquet: the same rows in the same pass
	if err := json.Unmarshal([]byte(runOK(t, "analyze", logPath, "--format", "json", "--parquet", inPass)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests == 0 || rep.Total.Requests != truth.Requests {
		t.Fatalf("analyze saw %d requests, truth %d", rep.Total.Requests, truth.Requests)
	}

	lakeGlob := fmt.Sprintf("read_parquet('%s/**/*.parquet', hive_partitioning=true)", lake)
	res := duckdb(t,
		fmt.Sprintf("select column_name, column_type from (describe select * from '%s')", req),
		fmt.Sprintf("select count(*) n, max(service_ms) mx, count(service_ms) ns from '%s'", req),
		fmt.Sprintf("select coalesce(dyno, '(none)') k, count(*) n, max(service_ms) mx from '%s' group by 1", req),
		fmt.Sprintf("select kind, count(*) n, sum(dropped) dropped from '%s' group by 1", ev),
		fmt.Sprintf("select count(*) n, max(service_ms) mx, count(distinct \"date\") as days, count(distinct (\"date\", \"hour\")) as hours from %s", lakeGlob),
		fmt.Sprintf("select coalesce(dyno, '(none)') k, count(*) n from %s group by 1", lakeGlob),
		fmt.Sprintf("select count(*) n, max(service_ms) mx from '%s'", inPass),
		fmt.Sprintf("select count(*) n from %s where cast(timezone('UTC', \"time\") as date) <> \"date\" or hour(timezone('UTC', \"time\")) <> \"hour\"", lakeGlob),
	)

	want := map[string]string{
		"time": "TIMESTAMP WITH TIME ZONE", "source_file": "VARCHAR", "dyno": "VARCHAR", "method": "VARCHAR",
		"path": "VARCHAR", "route": "VARCHAR", "status": "SMALLINT", "connect_ms": "INTEGER", "service_ms": "INTEGER",
		"queue": "INTEGER", "wait_ms": "INTEGER", "bytes": "BIGINT", "code": "VARCHAR", "request_id": "VARCHAR",
	}
	got := map[string]string{}
	for _, r := range res[0] {
		got[r["column_name"].(string)] = r["column_type"].(string)
	}
	for c, typ := range want {
		if got[c] != typ {
			t.Errorf("column %s: DuckDB type %q, want %q", c, got[c], typ)
		}
	}

	check := func(what string, row map[string]any) {
		t.Helper()
		if n := num(t, row["n"]); n != rep.Total.Requests {
			t.Errorf("%s: count(*) = %d, analyze %d", what, n, rep.Total.Requests)
		}
		if mx := num(t, row["mx"]); mx != rep.Total.Service.Max {
			t.Errorf("%s: max(service_ms) = %d, analyze %d", what, mx, rep.Total.Service.Max)
		}
	}
	check("requests.parquet", res[1][0])
	if ns := num(t, res[1][0]["ns"]); ns != rep.Total.Service.Count {
		t.Errorf("count(service_ms) = %d, analyze %d", ns, rep.Total.Service.Count)
	}
	check("lake", res[4][0])

	byDyno := map[string]aggregate.Group{}
	for _, g := range rep.Groups {
		byDyno[g.Key] = g
	}
	for i, name := range map[int]string{2: "requests.parquet", 5: "lake"} {
		if len(res[i]) != len(byDyno) {
			t.Errorf("%s: %d dynos, analyze %d", name, len(res[i]), len(byDyno))
		}
		for _, r := range res[i] {
			k := r["k"].(string)
			if k == "(none)" {
				k = aggregate.NoneKey
			}
			g, ok := byDyno[k]
			if !ok || num(t, r["n"]) != g.Requests {
				t.Errorf("%s: dyno %s has %v rows, analyze %d", name, k, r["n"], g.Requests)
			}
			if mx, ok := r["mx"]; ok && num(t, mx) != g.Service.Max {
				t.Errorf("%s: dyno %s max(service_ms) %v, analyze %d", name, k, mx, g.Service.Max)
			}
		}
	}

	// 22:30 + 3 h crosses midnight: two dates, four hours.
	if d, h := num(t, res[4][0]["days"]), num(t, res[4][0]["hours"]); d != 2 || h != 4 {
		t.Errorf("lake: %d dates and %d hours, want 2 and 4", d, h)
	}
	check("analyze --parquet", res[6][0])
	if n := num(t, res[7][0]["n"]); n != 0 {
		t.Errorf("lake: %d rows in the wrong partition", n)
	}

	kinds := map[string]int64{}
	var dropped int64
	for _, r := range res[3] {
		kinds[r["kind"].(string)] = num(t, r["n"])
		if r["kind"] == "logplex" {
			dropped = num(t, r["dropped"])
		}
	}
	if kinds["metrics"] != truth.MetricsLines {
		t.Errorf("events: %d metrics rows, truth %d", kinds["metrics"], truth.MetricsLines)
	}
	if kinds["logplex"] != truth.L10 || truth.L10 == 0 || dropped != rep.DroppedLines {
		t.Errorf("events: %d logplex rows dropping %d, truth %d L10, analyze dropped_lines %d", kinds["logplex"], dropped, truth.L10, rep.DroppedLines)
	}
	var dyno int64
	for k, n := range kinds {
		if k != "metrics" && k != "logplex" {
			dyno += n
		}
	}
	if dyno != rep.Lines.Dyno {
		t.Errorf("events: %d dyno rows, analyze counted %d dyno lines", dyno, rep.Lines.Dyno)
	}
}
