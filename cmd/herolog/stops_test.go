package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/gen"
)

// buildBinary builds herolog into a temporary directory once per test
// binary run and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "herolog-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "herolog")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// genStream writes about n bytes of generated logs (CLI format, stuck-dyno
// scenario) to w, then closes it; it stops early when w fails.
func genStream(w io.WriteCloser, n int64) {
	g := gen.New(gen.Config{Seed: 7, Scenario: gen.StuckDyno, Rate: 400, Dynos: 8, Workers: 4})
	g.WriteBytes(w, n)
	w.Close()
}

// waitTimeout waits for cmd and returns how long it took after start, or
// fails the test (killing the process) after limit.
func waitTimeout(t *testing.T, cmd *exec.Cmd, limit time.Duration) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running %v after the signal", limit)
		return 0, nil
	}
}

// TestSignals sends SIGINT or SIGTERM to the built binary while it reads
// standard input (a pipe that stays open and idle, or a generator that
// would never stop in time) and checks that it ends within a second,
// prints the report of what it read, names the interruption on stderr and
// exits with 128+signal.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	sample, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	analyze := []string{"analyze", "--format", "json", "-"}
	// live quits on Ctrl-C by design (it is how a user stops watching):
	// the final report, status 0, nothing on stderr.
	live := []string{"live", "--format", "json", "--every", "200ms", "-"}
	outDir := t.TempDir()
	export := []string{"export", "-o", filepath.Join(outDir, "requests.parquet"), "--events", filepath.Join(outDir, "events.parquet"), "-"}
	lake := []string{"export", "-o", filepath.Join(outDir, "lake"), "--partition", "hour", "-"}
	for _, tc := range []struct {
		name   string
		args   []string
		sig    syscall.Signal
		status int
		busy   bool // stdin is an endless generated stream, not an idle pipe
	}{
		{"export SIGINT idle pipe", export, syscall.SIGINT, 130, false},
		{"export SIGTERM busy stream", export, syscall.SIGTERM, 143, true},
		{"export lake SIGINT busy stream", lake, syscall.SIGINT, 130, true},
		{"export lake SIGTERM idle pipe", lake, syscall.SIGTERM, 143, false},
		{"analyze SIGINT idle pipe", analyze, syscall.SIGINT, 130, false},
		{"analyze SIGTERM idle pipe", analyze, syscall.SIGTERM, 143, false},
		{"analyze SIGINT busy stream", analyze, syscall.SIGINT, 130, true},
		{"analyze SIGTERM busy stream", analyze, syscall.SIGTERM, 143, true},
		{"live SIGINT idle pipe", live, syscall.SIGINT, 0, false},
		{"live SIGTERM idle pipe", live, syscall.SIGTERM, 0, false},
		{"live SIGINT busy stream", live, syscall.SIGINT, 0, true},
		{"live SIGTERM busy stream", live, syscall.SIGTERM, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer pw.Close()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, tc.args...)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = pr, &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			if tc.busy {
				go genStream(pw, 1<<40)
			} else if _, err := pw.Write(sample); err != nil {
				t.Fatal(err)
			}
			// Wait until it has read all it was given (the pipe stays open)
			// or, from an endless stream, a good part of a megabyte (a fixed
			// sleep was not enough on a loaded machine: the process had
			// sometimes read nothing yet): /proc/<pid>/io counts the bytes
			// its reads returned.
			want := int64(len(sample))
			if tc.busy {
				want = 512 << 10
			}
			for deadline := time.Now().Add(10 * time.Second); procIO(cmd.Process.Pid, "rchar:") < want; {
				if time.Now().After(deadline) {
					t.Fatal("the input was not read within 10 s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // and parsed it
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			took, _ := waitTimeout(t, cmd, 5*time.Second)
			if took > time.Second {
				t.Errorf("took %v to stop after %v, want under 1s", took, tc.sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.status {
				t.Errorf("exit status %d, want %d", code, tc.status)
			}
			if tc.status != 0 && !strings.Contains(stderr.String(), "interrupted by "+map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[tc.sig]) {
				t.Errorf("stderr %q does not name the interruption", stderr.String())
			}
			if tc.status == 0 && stderr.Len() > 0 {
				t.Errorf("stderr %q", stderr.String())
			}
			if tc.args[0] == "export" {
				// Nothing half-written: no target, no temporary file.
				if !strings.Contains(stderr.String(), "nothing was written to") || stdout.Len() > 0 {
					t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
				}
				if left, _ := os.ReadDir(outDir); len(left) > 0 {
					t.Errorf("files left after the signal: %v", left)
				}
				t.Logf("stopped in %v", took.Round(time.Millisecond))
				return
			}
			rep := checkJSONReport(t, finalReport(tc.args, stdout.Bytes()))
			if !tc.busy && rep.Lines.Total != physicalLines(sample) {
				t.Errorf("report covers %d lines, %d were sent before the signal", rep.Lines.Total, physicalLines(sample))
			}
			if tc.busy && rep.Lines.Router == 0 {
				t.Errorf("no router line in the partial report: %+v", rep.Lines)
			}
			t.Logf("stopped in %v; %d lines in the partial report", took.Round(time.Millisecond), rep.Lines.Total)
		})
	}
}

// TestBrokenPipeBinary pipes the built binary into a reader that closes
// early, as `herolog analyze big.log | head -3` does: the process must end
// quietly (nothing on stderr, no panic), killed by SIGPIPE or exiting 141.
func TestBrokenPipeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	// 3,000 distinct routes give a report far bigger than a pipe's buffer.
	path := filepath.Join(t.TempDir(), "routes.log")
	var b bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "2026-11-20T14:00:%02d.000000+00:00 heroku[router]: at=info method=GET path=\"/r/%s\" host=a fwd=\"1\" dyno=web.1 connect=1ms service=%dms status=200 bytes=1\n", i%60, letters(i), i%5000)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"table", "json"} {
		for _, readLines := range []int{0, 3} {
			t.Run(fmt.Sprintf("%s-head-%d", format, readLines), func(t *testing.T) {
				var stderr bytes.Buffer
				cmd := exec.Command(bin, "analyze", "--by", "route", "--max-groups", "3000", "--format", format, path)
				cmd.Stderr = &stderr
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				br := bufio.NewReader(out)
				for i := 0; i < readLines; i++ {
					if _, err := br.ReadString('\n'); err != nil {
						t.Fatalf("line %d: %v", i+1, err)
					}
				}
				out.Close()
				waitTimeout(t, cmd, 10*time.Second)
				ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
				quiet := (ws.Signaled() && ws.Signal() == syscall.SIGPIPE) || ws.ExitStatus() == exitSIGPIPE
				if !quiet {
					t.Errorf("status %v, want death by SIGPIPE or exit 141", cmd.ProcessState)
				}
				if stderr.Len() > 0 {
					t.Errorf("stderr %q, want nothing", stderr.String())
				}
			})
		}
	}
}

// letters writes i in base 20 with the letters g to z, which Route never
// takes for an identifier, so every value is its own route.
func letters(i int) string {
	var b []byte
	for {
		b = append(b, byte('g'+i%20))
		i /= 20
		if i == 0 {
			return string(b)
		}
	}
}

// distinctLines writes to path n router lines where path, host and dyno
// are all different on every line.
func distinctLines(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var b []byte
	for i := 0; i < n; i++ {
		l := letters(i)
		b = append(b[:0], "2026-11-20T14:00:00.000000+00:00 heroku[router]: at=info method=GET path=\"/p/"...)
		b = append(b, l...)
		b = append(b, "\" host="...)
		b = append(b, l...)
		b = append(b, ".example.com fwd=\"1\" dyno=w."...)
		b = append(b, l...)
		b = append(b, " connect=1ms service=5ms status=200 bytes=1\n"...)
		bw.Write(b)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// maxRSS runs the binary and returns its peak RSS in bytes and its stdout.
// The peak is the child's own VmHWM from /proc, sampled until it exits:
// ru_maxrss cannot be used, because Go starts children with a vfork-like
// clone that shares the parent's memory until exec, so a child's
// ru_maxrss is at least the test process's own RSS at that moment.
func maxRSS(t *testing.T, bin string, args ...string) (int64, []byte) {
	t.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2") // the parallel scan's memory grows with the workers
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if v := procStatus(cmd.Process.Pid, "VmHWM:"); v > peak {
			peak = v
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, stderr.String())
			}
			return peak, stdout.Bytes()
		case <-tick.C:
		}
	}
}

// RSSBudget is the most memory (peak RSS) herolog analyze may use on any
// input, here a million distinct keys: the project's budget is 150 MiB;
// the margin is for a loaded machine's garbage collector. Measured with
// GOMAXPROCS=2: 108-116 MB since a distribution keeps its first 32 values
// as a list instead of a 100 KB histogram (364-614 MB before, when every
// chunk's aggregator held a histogram per distinct key).
const RSSBudget = 200 << 20

// TestMemoryCaps streams a million router lines whose path, host and dyno
// are all distinct through the built binary grouped by each of them: the
// groups fold into "other" past the cap, the report says how many, and
// the peak RSS stays under RSSBudget, about what a small input costs.
func TestMemoryCaps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reads 150 MB per grouping")
	}
	bin := buildBinary(t)
	const n = 1_000_000
	dir := t.TempDir()
	smallPath, bigPath := filepath.Join(dir, "small.log"), filepath.Join(dir, "distinct.log")
	distinctLines(t, smallPath, 1000)
	distinctLines(t, bigPath, n)
	small, _ := maxRSS(t, bin, "analyze", "--format", "json", "--by", "route", smallPath)
	t.Logf("peak RSS for 1,000 lines: %d MB", small>>20)
	for _, by := range []string{"route", "host", "dyno"} {
		t.Run(by, func(t *testing.T) {
			rss, out := maxRSS(t, bin, "analyze", "--format", "json", "--by", by, bigPath)
			var rep aggregate.Report
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Lines.Router != n || len(rep.Groups) != aggregate.DefaultMaxGroups+1 || rep.FoldedRequests != n-aggregate.DefaultMaxGroups {
				t.Errorf("router %d, %d groups, %d folded; want %d, %d, %d", rep.Lines.Router, len(rep.Groups), rep.FoldedRequests, n, aggregate.DefaultMaxGroups+1, n-aggregate.DefaultMaxGroups)
			}
			t.Logf("--by %s: peak RSS %d MB for %d distinct keys", by, rss>>20, n)
			if rss > RSSBudget {
				t.Errorf("peak RSS %d MB, budget %d MB", rss>>20, RSSBudget>>20)
			}
		})
	}
}

// TestFullDisk makes every write past 200 KB fail (RLIMIT_FSIZE through
// the shell's ulimit -f; the Go runtime ignores SIGXFSZ, so the write
// returns EFBIG as a full disk returns ENOSPC) while export, a partitioned
// export and analyze --parquet write Parquet: each must exit 1, name the
// target and the error, say that nothing was written, and leave no file,
// temporary or not.
func TestFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash for ulimit -f")
	}
	bin := buildBinary(t)
	in := filepath.Join(t.TempDir(), "in.log")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	g := gen.New(gen.Config{Seed: 3, Scenario: gen.StuckDyno, Rate: 400, Dynos: 8, Workers: 4})
	if _, err := g.WriteBytes(f, 20<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		name   string
		args   func(dir string) []string
		target string
	}{
		{"export", func(d string) []string { return []string{"export", in, "-o", filepath.Join(d, "r.parquet")} }, "r.parquet"},
		{"export with events", func(d string) []string {
			return []string{"export", in, "-o", filepath.Join(d, "r.parquet"), "--events", filepath.Join(d, "e.parquet")}
		}, "r.parquet"},
		{"export lake", func(d string) []string {
			return []string{"export", in, "-o", filepath.Join(d, "lake"), "--partition", "hour"}
		}, "lake"},
		{"analyze --parquet", func(d string) []string {
			return []string{"analyze", in, "--format", "json", "--parquet", filepath.Join(d, "r.parquet")}
		}, "r.parquet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bash, append([]string{"-c", `ulimit -f 200 && exec "$@"`, "bash", bin}, tc.args(dir)...)...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Fatalf("exit %d (%v), want 1; stderr %q", code, err, stderr.String())
			}
			msg := stderr.String()
			for _, want := range []string{"file too large", "nothing was written to", tc.target} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr %q does not say %q", msg, want)
				}
			}
			if tc.args(dir)[0] == "analyze" {
				checkJSONReport(t, stdout.Bytes()) // the analysis itself is still printed
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				var names []string
				for _, e := range left {
					names = append(names, e.Name())
				}
				t.Errorf("left behind after the failed write: %v", names)
			}
		})
	}
}

// procIO reads a counter ("rchar:") from /proc/<pid>/io, or -1 when it
// cannot (then the caller waits for ever: the test needs /proc).
func procIO(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			return n
		}
	}
	return -1
}
