package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herolog/herolog/internal/input"
)

// progressFlags is the flag of the commands that show a progress bar.
type progressFlags struct {
	Quiet bool `short:"q" help:"No progress bar on stderr (it is only ever shown on a terminal)." env:"HEROLOG_QUIET" group:"Output"`
}

// Progress settings; tests shorten them.
var (
	progressDelay    = 700 * time.Millisecond // nothing is drawn for runs shorter than this
	progressInterval = 200 * time.Millisecond
)

// progress draws a one-line progress bar on stderr while inputs are read:
// bytes read of the total (compressed size for compressed inputs), MB/s,
// lines/s and the time left. The scan only bumps counters (one atomic add
// per chunk, or per 4096 records on the sequential path); a goroutine
// reads them on a ticker, so the bar costs no measurable throughput. A nil
// *progress does nothing.
type progress struct {
	w        io.Writer
	start    time.Time
	total    atomic.Int64 // bytes of all inputs on disk, -1 when unknown (stdin)
	done     atomic.Int64 // bytes of the inputs finished
	lines    atomic.Int64
	cur      atomic.Pointer[input.Source]
	stop     chan struct{}
	finished sync.WaitGroup
	drawn    bool
}

// startProgress starts the bar when stderr is a terminal and --quiet is
// not given, and returns the function that stops and clears it.
func (e *env) startProgress(f progressFlags) func() {
	if f.Quiet || !e.isTerminal(e.stderr) {
		return func() {}
	}
	p := &progress{w: e.stderr, start: time.Now(), stop: make(chan struct{})}
	p.total.Store(-1)
	e.progress = p
	p.finished.Add(1)
	go p.run()
	return func() {
		close(p.stop)
		p.finished.Wait()
		e.progress = nil
	}
}

func (p *progress) run() {
	defer p.finished.Done()
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			if p.drawn {
				fmt.Fprint(p.w, "\r\x1b[K") // clear the bar
			}
			return
		case now := <-t.C:
			if now.Sub(p.start) >= progressDelay {
				fmt.Fprint(p.w, "\r\x1b[K"+p.line(now))
				p.drawn = true
			}
		}
	}
}

// setTotal records the size of every input (-1 when one is unknown).
func (p *progress) setTotal(n int64) {
	if p != nil {
		p.total.Store(n)
	}
}

// begin and end bracket the reading of one input.
func (p *progress) begin(src *input.Source) {
	if p != nil {
		p.cur.Store(src)
	}
}

func (p *progress) end(src *input.Source) {
	if p != nil {
		p.done.Add(src.RawBytes())
		p.cur.Store(nil)
	}
}

// addLines counts records read.
func (p *progress) addLines(n int64) {
	if p != nil {
		p.lines.Add(n)
	}
}

// line renders the bar's text at time now.
func (p *progress) line(now time.Time) string {
	read := p.done.Load()
	if src := p.cur.Load(); src != nil {
		read += src.RawBytes()
	}
	secs := now.Sub(p.start).Seconds()
	rate := float64(read) / secs
	lps := float64(p.lines.Load()) / secs
	total := p.total.Load()
	var b strings.Builder
	b.WriteString("herolog ")
	if total > 0 {
		frac := min(float64(read)/float64(total), 1)
		const width = 24
		fill := int(frac * width)
		b.WriteString("[" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "] ")
		fmt.Fprintf(&b, "%3.0f%% %s/%s", frac*100, humanBytes(read), humanBytes(total))
	} else {
		b.WriteString(humanBytes(read))
	}
	fmt.Fprintf(&b, " · %s/s · %s lines/s", humanBytes(int64(rate)), humanCount(lps))
	if total > 0 && rate > 0 && read < total {
		eta := time.Duration(float64(total-read) / rate * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(&b, " · ETA %s", eta)
	}
	return b.String()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func humanCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
