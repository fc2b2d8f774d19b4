package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
)

// writeGenLog writes a small generated log and returns its path.
func writeGenLog(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := gen.New(gen.Config{Seed: 3, Duration: 2 * time.Minute, Rate: 50}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "app.log")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// isParquet reports whether path is a complete Parquet file (PAR1 at both
// ends).
func isParquet(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	return err == nil && len(b) > 8 && string(b[:4]) == "PAR1" && string(b[len(b)-4:]) == "PAR1"
}

// entries lists the names in dir, temporary files included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestExportSafeFiles(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir string) // before the run
		args     func(log, dir string) []string
		cancel   bool // run with the signal context already ended
		code     int
		stderr   string   // substring of stderr
		want     []string // the directory's entries afterwards, sorted
		complete []string // entries that must be complete Parquet files
		keep     string   // an entry whose content must be "old"
	}{
		{name: "writes the file", args: func(l, d string) []string { return []string{"export", l, "-o", d + "/r.parquet"} },
			want: []string{"app.log", "r.parquet"}, complete: []string{"r.parquet"}},
		{name: "refuses to overwrite", setup: old("r.parquet"),
			args: func(l, d string) []string { return []string{"export", l, "-o", d + "/r.parquet"} },
			code: 1, stderr: "exists (use --force", want: []string{"app.log", "r.parquet"}, keep: "r.parquet"},
		{name: "--force replaces", setup: old("r.parquet"),
			args: func(l, d string) []string { return []string{"export", l, "-o", d + "/r.parquet", "--force"} },
			want: []string{"app.log", "r.parquet"}, complete: []string{"r.parquet"}},
		{name: "interrupted leaves nothing", cancel: true,
			args: func(l, d string) []string {
				return []string{"export", l, "-o", d + "/r.parquet", "--events", d + "/e.parquet"}
			},
			code: 130, stderr: "interrupted; nothing was written to", want: []string{"app.log"}},
		{name: "interrupted lake leaves nothing", cancel: true,
			args: func(l, d string) []string { return []string{"export", l, "-o", d + "/lake", "--partition", "day"} },
			code: 130, stderr: "interrupted; nothing was written", want: []string{"app.log"}},
		{name: "unreadable input leaves nothing",
			args: func(l, d string) []string { return []string{"export", l, d + "/missing.log", "-o", d + "/r.parquet"} },
			code: 1, stderr: "not every input could be read", want: []string{"app.log"}},
		{name: "directory target needs --partition", setup: func(t *testing.T, d string) { os.Mkdir(filepath.Join(d, "out"), 0o755) },
			args: func(l, d string) []string { return []string{"export", l, "-o", d + "/out"} },
			code: 1, stderr: "is a directory", want: []string{"app.log", "out"}},
		{name: "lake refuses a foreign directory even with --force",
			setup: func(t *testing.T, d string) { os.Mkdir(filepath.Join(d, "lake"), 0o755); old("lake/notes.txt")(t, d) },
			args: func(l, d string) []string {
				return []string{"export", l, "-o", d + "/lake", "--partition", "day", "--force"}
			},
			code: 1, stderr: "refusing to replace it", want: []string{"app.log", "lake"}, keep: "lake/notes.txt"},
		{name: "lake --force replaces a lake",
			setup: func(t *testing.T, d string) { os.MkdirAll(filepath.Join(d, "lake", "date=2001-01-01"), 0o755) },
			args: func(l, d string) []string {
				return []string{"export", l, "-o", d + "/lake", "--partition", "day", "--force"}
			},
			want: []string{"app.log", "lake"}, complete: []string{"lake/date=2026-11-20/part-0000.parquet"}},
		{name: "same path twice", args: func(l, d string) []string {
			return []string{"export", l, "-o", d + "/r.parquet", "--events", d + "/r.parquet"}
		}, code: 2, stderr: "same path", want: []string{"app.log"}},
		{name: "analyze --parquet", args: func(l, d string) []string {
			return []string{"analyze", l, "--parquet", d + "/a.parquet", "-f", "json"}
		}, want: []string{"a.parquet", "app.log"}, complete: []string{"a.parquet"}},
		{name: "analyze --parquet interrupted", cancel: true, args: func(l, d string) []string {
			return []string{"analyze", l, "--parquet", d + "/a.parquet", "-f", "json"}
		}, code: 130, stderr: "interrupted; nothing was written to", want: []string{"app.log"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := writeGenLog(t, dir)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			var stdout, stderr bytes.Buffer
			e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				isTerminal: func(any) bool { return false }, getenv: func(string) string { return "" }}
			if code := runEnv(e, tc.args(log, dir)); code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tc.stderr)
			}
			if got := strings.Join(entries(t, dir), " "); got != strings.Join(tc.want, " ") {
				t.Errorf("directory holds [%s], want [%s]", got, strings.Join(tc.want, " "))
			}
			for _, c := range tc.complete {
				if !isParquet(t, filepath.Join(dir, c)) {
					t.Errorf("%s is not a complete Parquet file", c)
				}
			}
			if tc.keep != "" {
				if b, _ := os.ReadFile(filepath.Join(dir, tc.keep)); string(b) != "old" {
					t.Errorf("%s was changed: %q", tc.keep, b)
				}
			}
		})
	}
}

// old returns a setup that writes "old" to name.
func old(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
