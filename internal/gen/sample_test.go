package gen

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ../../testdata/sample.log")

const samplePath = "../../testdata/sample.log"

// TestSample checks that testdata/sample.log is exactly what SampleConfig
// generates (run with -update to rewrite it).
func TestSample(t *testing.T) {
	var buf bytes.Buffer
	g := New(SampleConfig())
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	tr := g.Truth()
	t.Logf("sample: %d bytes, %d lines, %d requests, %d H12 %v, max %v, sum %v, per dyno %v, R14 %d, L10 %d, stuck route %s",
		buf.Len(), tr.Lines, tr.Requests, tr.H12, tr.H12ByRoute, tr.MaxServiceByDyno, tr.SumServiceByDyno, tr.PerDyno, tr.R14, tr.L10, tr.StuckRoute)
	if *update {
		if err := os.WriteFile(samplePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s differs from SampleConfig output (%d vs %d bytes); run go test ./internal/gen -run TestSample -update", samplePath, len(want), buf.Len())
	}
	if buf.Len() > 1_500_000 {
		t.Errorf("sample is %d bytes, want < 1.5 MB", buf.Len())
	}
	st := tr.StuckDyno
	mean := float64(tr.SumServiceByDyno[st]) / float64(tr.PerDyno[st])
	if r := float64(tr.MaxServiceByDyno[st]) / mean; r < 100 {
		t.Errorf("stuck dyno %s max/mean = %.0f, want a stark outlier", st, r)
	}
	if tr.H12ByRoute["/reports/export"] == 0 {
		t.Errorf("no H12 on /reports/export")
	}
}
