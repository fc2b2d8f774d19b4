//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestLivePTY runs the built binary with stdout on a real pseudo-terminal
// and stdin a pipe: the screen is drawn on the alternate screen and
// redrawn, keys come from the terminal (not from the log pipe), q quits
// with exit 0, the final report follows on the normal screen, and the
// terminal's mode is restored.
func TestLivePTY(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "herolog")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 140}); err != nil {
		t.Fatal(err)
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "live", "--every", "100ms")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = logR, tty, tty
	cmd.Env = append(os.Environ(), "NO_COLOR=", "TERM=xterm-256color", "HEROLOG_COLOR=auto")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1} // the pty (fd 1) becomes /dev/tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logR.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()

	screen := &syncBuffer{}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(buf)
			screen.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	log := sampleLog(t)
	go func() { logW.Write(firstLines(log, 2000)) }() // the pipe stays open

	waitFor := func(what string, cond func(string) bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cond(screen.String()) {
				return
			}
		}
		t.Fatalf("timed out waiting for %s; screen so far:\n%q", what, screen.String())
	}
	waitFor("the alternate screen", func(s string) bool { return strings.Contains(s, "\x1b[?1049h") })
	waitFor("a frame of 2000 lines, redrawn", func(s string) bool {
		return strings.Count(s, "herolog live · by dyno") >= 2 && strings.Contains(s, "lines 2000 ")
	})
	// Raw mode: no echo of keys, and a key switches the grouping.
	ptmx.Write([]byte("r"))
	waitFor("the route grouping", func(s string) bool { return strings.Contains(s, "herolog live · by route") })
	ptmx.Write([]byte("q"))
	select {
	case err := <-exited:
		if err != nil {
			var xe *exec.ExitError
			if errors.As(err, &xe) {
				t.Fatalf("exit %d; screen:\n%q", xe.ExitCode(), screen.String())
			}
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("q did not quit; screen:\n%q", screen.String())
	}
	waitFor("the final report", func(s string) bool { return strings.Contains(s, "lines:  2,000 total") })
	s := screen.String()
	i := strings.LastIndex(s, "\x1b[?1049l")
	if i < 0 || !strings.Contains(s[i:], "Service time by route") {
		t.Errorf("the final report is not on the normal screen after the live view:\n%q", s[max(0, i):])
	}
	if strings.Contains(s, "\x1b[?25l") && !strings.Contains(s, "\x1b[?25h") {
		t.Error("cursor left hidden")
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 || tio.Lflag&unix.ICANON == 0 {
		t.Errorf("terminal left in raw mode (lflag %#x)", tio.Lflag)
	}
	logW.Close()
	tty.Close()
}
