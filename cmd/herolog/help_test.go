package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpGolden keeps every command's help page in a golden file
// (testdata/help/*.txt; rerun with -update after an intended change), and
// checks what a finished CLI's help must have: examples, grouped flags,
// defaults and the environment variables.
func TestHelpGolden(t *testing.T) {
	for _, cmd := range []string{"", "analyze", "live", "export", "plan", "merge", "completion"} {
		name := cmd
		if name == "" {
			name = "herolog"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"--help"}
			if cmd != "" {
				args = []string{cmd, "--help"}
			}
			code, out, errs := runCLI(t, "", args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if !strings.Contains(out, "Examples:") {
				t.Errorf("no examples in the help")
			}
			if cmd == "analyze" {
				for _, want := range []string{"Input", "Output", "Analysis", `--format="table"`, "$HEROLOG_FORMAT", "$HEROLOG_BY", "$NO_COLOR"} {
					if want == "$NO_COLOR" {
						want = "NO_COLOR"
					}
					if !strings.Contains(out, want) {
						t.Errorf("help lacks %q", want)
					}
				}
			}
			path := filepath.Join("testdata", "help", name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/herolog -run Help -update)", err)
			}
			if string(want) != out {
				t.Errorf("help differs from %s (rerun with -update and review):\n%s", path, out)
			}
		})
	}
}
