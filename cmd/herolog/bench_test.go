package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/herolog/herolog/internal/gen"
)

// BenchmarkAnalyzeFile is the whole command, `herolog analyze --format json
// FILE`, over a 128 MiB generated CLI log on disk (in the page cache after
// the first run): reading, chunking, parsing and aggregating on every core,
// merging, rendering. MB/s is the number the 1.5 GB/s target is
// about; compare it with BenchmarkAnalyze in aggregate (one core).
func BenchmarkAnalyzeFile(b *testing.B) {
	for _, tc := range []struct {
		name   string
		format gen.Format
	}{{"cli", gen.CLI}, {"framed", gen.Framed}} {
		b.Run(tc.name, func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "bench.log")
			f, err := os.Create(file)
			if err != nil {
				b.Fatal(err)
			}
			n, err := gen.New(gen.Config{Seed: 1, Format: tc.format}).WriteBytes(f, 128<<20)
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var errBuf bytes.Buffer
				if code := run([]string{"analyze", "--format", "json", file}, nil, io.Discard, &errBuf); code != 0 {
					b.Fatalf("exit %d: %s", code, errBuf.String())
				}
			}
		})
	}
}
