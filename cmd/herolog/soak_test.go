package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// byteCounter counts the bytes written through it.
type byteCounter struct {
	w io.WriteCloser
	n atomic.Int64
}

func (c *byteCounter) Write(b []byte) (int, error) {
	k, err := c.w.Write(b)
	c.n.Add(int64(k))
	return k, err
}

func (c *byteCounter) Close() error { return c.w.Close() }

// procStatus reads a field in kB ("VmRSS:", "VmHWM:") from a process's
// /proc status, in bytes (0 when it cannot).
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// soakCommands are the commands the soak test streams logs through, each
// reading standard input.
var soakCommands = [][]string{
	{"analyze", "--format", "json", "-"},
	{"live", "--format", "json", "--every", "1s", "-"},
}

// TestSoak streams HEROLOG_SOAK_GB (default 5) gigabytes of generated logs
// through each command of soakCommands and checks that memory stays flat:
// the peak RSS over the second half of the input may not exceed the peak
// over the first half by more than 16 MB. (The first half may grow: the
// bounded structures, such as the 1,500 timeline buckets, fill as log
// time goes by; a leak keeps growing.) It runs only with HEROLOG_SOAK=1 and never with
// -short:
//
//	HEROLOG_SOAK=1 go test -run TestSoak -v -timeout 1h ./cmd/herolog
func TestSoak(t *testing.T) {
	if testing.Short() || os.Getenv("HEROLOG_SOAK") == "" {
		t.Skip("set HEROLOG_SOAK=1 to stream gigabytes through the commands")
	}
	gb := 5.0
	if s := os.Getenv("HEROLOG_SOAK_GB"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 {
			t.Fatalf("HEROLOG_SOAK_GB=%q", s)
		}
		gb = v
	}
	size := int64(gb * (1 << 30))
	bin := buildBinary(t)
	for _, args := range soakCommands {
		t.Run(args[0], func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cw := &byteCounter{w: in}
			go genStream(flushCloser{bufio.NewWriterSize(cw, 1<<20), cw}, size)
			var mu sync.Mutex
			var tenths [10]int64 // peak RSS in each tenth of the input
			var overall int64    // peak RSS, the final report included
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(200 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					rss := procStatus(cmd.Process.Pid, "VmRSS:")
					mu.Lock()
					if rss > overall {
						overall = rss
					}
					// While input streams in; the report at the end is
					// built once, whatever the input's size.
					if fed := cw.n.Load(); fed < size {
						if i := int(fed * 10 / size); rss > tenths[i] {
							tenths[i] = rss
						}
					}
					mu.Unlock()
				}
			}()
			err = cmd.Wait()
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, stderr.String())
			}
			took := time.Since(start)
			rep := checkJSONReport(t, finalReport(args, stdout.Bytes()))
			fed := cw.n.Load()
			var first, second int64
			var mbs []string
			for i, v := range tenths {
				if i < 5 {
					first = max(first, v)
				} else {
					second = max(second, v)
				}
				mbs = append(mbs, strconv.FormatInt(v>>20, 10))
			}
			t.Logf("%s: %.2f GB (%d lines, %d router) in %v, %.0f MB/s; peak RSS %d MB; peak per tenth of the input while it streams (MB): %s",
				args[0], float64(fed)/(1<<30), rep.Lines.Total, rep.Lines.Router, took.Round(time.Second),
				float64(fed)/(1<<20)/took.Seconds(), overall>>20, strings.Join(mbs, " "))
			if fed < size {
				t.Errorf("only %d of %d bytes streamed", fed, size)
			}
			if rep.Inputs[0].Bytes != fed {
				t.Errorf("read %d bytes of %d", rep.Inputs[0].Bytes, fed)
			}
			if first == 0 || second > first+16<<20 {
				t.Errorf("memory grew: %d MB over the first half, %d MB over the second", first>>20, second>>20)
			}
		})
	}
}

// flushCloser flushes a buffered writer before closing the stream under it.
type flushCloser struct {
	w *bufio.Writer
	c io.Closer
}

func (n flushCloser) Write(b []byte) (int, error) { return n.w.Write(b) }

func (n flushCloser) Close() error {
	n.w.Flush()
	return n.c.Close()
}
