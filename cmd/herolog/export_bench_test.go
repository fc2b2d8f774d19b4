package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
)

// BenchmarkExport runs herolog export end to end (read, parse, write a
// Parquet file) on a generated CLI log: 20 MB, or about 200 MB with
// HEROLOG_BENCH_BIG=1. It reports input MB/s, requests (rows) per second
// of wall time, and rows per CPU-second (user+sys of the whole process,
// from getrusage): on a shared machine the wall rate depends on the load,
// the CPU rate much less; on n free cores the wall rate is at best n times
// it.
func BenchmarkExport(b *testing.B) {
	size := int64(20 << 20)
	if os.Getenv("HEROLOG_BENCH_BIG") != "" {
		size = 200 << 20
	}
	dir := b.TempDir()
	logPath := filepath.Join(dir, "app.log")
	f, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	g := gen.New(gen.Config{Seed: 1})
	if _, err := g.WriteBytes(f, size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	rows := g.Truth().Requests
	out := filepath.Join(dir, "r.parquet")
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuSeconds(b)
	b.ResetTimer()
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"export", logPath, "-o", out, "--force"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/(cpuSeconds(b)-cpu0), "rows/cpu-s")
}

// cpuSeconds is the user+sys CPU time of this process so far.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
