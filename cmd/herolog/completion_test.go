package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"herolog an", []string{"analyze"}},
		{"herolog analyze --format ", []string{"csv", "json", "markdown", "table"}},
		{"herolog analyze --by ", []string{"dyno", "route", "host", "status", "minute"}},
		{"herolog analyze --for", []string{"--format"}},
		{"herolog analyze testdata/sam", []string{"testdata/sample.log"}},
		{"herolog completion ", []string{"bash", "zsh", "fish"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			t.Chdir(filepath.Join("..", ".."))
			t.Setenv("COMP_LINE", tc.line)
			t.Setenv("COMP_POINT", "")
			code, out, _ := runCLI(t, "")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			got := strings.Fields(out)
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || g == w
				}
				if !found {
					t.Errorf("completion of %q = %v, missing %q", tc.line, got, w)
				}
			}
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	os.Unsetenv("COMP_LINE")
	for shell, want := range map[string]string{"bash": "complete -o default -C ", "zsh": "bashcompinit", "fish": "complete -c herolog"} {
		code, out, _ := runCLI(t, "", "completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, script %q", shell, code, out)
		}
	}
	if code, _, _ := runCLI(t, "", "completion", "powershell"); code != 2 {
		t.Errorf("unknown shell: exit %d, want 2", code)
	}
}

func TestEnvironmentDefaults(t *testing.T) {
	t.Setenv("HEROLOG_FORMAT", "csv")
	t.Setenv("HEROLOG_BY", "status")
	code, out, errs := runCLI(t, "", "analyze", filepath.Join("..", "..", "testdata", "sample.log"))
	if code != 0 || !strings.HasPrefix(out, "key,requests,") || !strings.Contains(out, "\n200,") {
		t.Fatalf("exit %d stderr %q output:\n%s", code, errs, out)
	}
	// A flag beats the environment.
	code, out, _ = runCLI(t, "", "analyze", "--format", "json", filepath.Join("..", "..", "testdata", "sample.log"))
	if code != 0 || !strings.HasPrefix(out, "{") {
		t.Fatalf("flag did not override HEROLOG_FORMAT: %q", out[:min(len(out), 40)])
	}
}
