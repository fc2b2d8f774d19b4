package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// liveCmd is `herolog live`.
type liveCmd struct {
	inputFlags `embed:""`

	Every     time.Duration `help:"Redraw the screen (or write a snapshot) this often." default:"2s" env:"HEROLOG_EVERY" group:"Live"`
	Window    time.Duration `help:"Length of the rolling window, in log time (cut into 12 slots of at least 1s)." default:"1m" env:"HEROLOG_WINDOW" group:"Live"`
	By        string        `short:"b" help:"Group requests by: ${enum} (keys d, r, c switch on a terminal)." enum:"dyno,route,code" default:"dyno" env:"HEROLOG_LIVE_BY" group:"Analysis"`
	Format    string        `short:"f" help:"Off a terminal: snapshots as a text table, or json (one object per line, the final report last)." enum:"table,json" default:"table" env:"HEROLOG_LIVE_FORMAT" group:"Output"`
	Color     string        `help:"Colour: auto (a terminal without NO_COLOR), always, never." enum:"auto,always,never" default:"auto" env:"HEROLOG_COLOR" group:"Output"`
	MaxGroups int           `help:"Most distinct groups kept since the start; requests of further keys fold into 'other'." default:"500" env:"HEROLOG_MAX_GROUPS" group:"Analysis"`
}

// Help is shown under the command's usage line.
func (c *liveCmd) Help() string {
	return `Reads logs as they arrive and shows, per dyno (or route, or error code),
the last minute and everything since the start. On a terminal the screen is
redrawn every --every; q or Ctrl-C quits and prints the final report. Off a
terminal a snapshot is written every --every. Time comes from the log lines,
so replaying a saved file gives the same windows.

Examples:
  heroku logs --tail -a myapp | herolog live
  heroku logs --tail -a myapp | herolog live --window 5m --by route
  heroku logs --tail -a myapp | herolog live --format json > snapshots.ndjson
  herolog live saved.log                          # replay`
}

// liveHooks let tests drive live: the clock, the ticker, the keyboard and
// the screen size. Zero fields mean the real ones.
type liveHooks struct {
	now    func() time.Time
	ticker func(d time.Duration) (<-chan time.Time, func())
	// openKeys opens the keyboard (the controlling terminal, in raw mode);
	// restore puts the terminal back.
	openKeys func() (keys io.ReadCloser, restore func(), err error)
	size     func() (width, height int)
}

func (h liveHooks) withDefaults(e *env) liveHooks {
	if h.now == nil {
		h.now = time.Now
	}
	if h.ticker == nil {
		h.ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if h.openKeys == nil {
		h.openKeys = openTTYKeys
	}
	if h.size == nil {
		h.size = func() (int, int) { return terminalSize(e.stdout) }
	}
	return h
}

// liveBys are the groupings live keeps at once, so a key switches them
// without losing anything.
var liveBys = [...]aggregate.By{aggregate.ByDyno, aggregate.ByRoute, aggregate.ByCode}

func byIndex(b string) int {
	for i, x := range liveBys {
		if string(x) == b {
			return i
		}
	}
	return 0
}

// liveState is everything the reader updates and the ticker reads, under
// mu. The reader holds mu for one record at a time, so a snapshot waits at
// most one record and the reader waits at most one snapshot.
type liveState struct {
	mu      sync.Mutex
	stopped bool

	// since holds everything since the start, grouped by liveBys[by] and
	// keeping the groups of the other liveBys (Options.Also), so one set
	// of tail sections serves every grouping; setBy regroups it.
	since *aggregate.Aggregator
	wins  [len(liveBys)]*aggregate.Window
	slow  *aggregate.Slowest
	errs  *aggregate.RecentErrors
	by    int

	records int64 // records read

	// Log time: the newest record time seen, and the wall clock (µs, as of
	// the last frame that saw new lines) when it was the newest; "now" on
	// the log's clock, for records without a time and for the window's
	// end, is newest + (wall − wallAtNewest), or the wall clock when no
	// record had a time.
	newest       int64
	hasNewest    bool
	wallAtNewest int64
	wall         int64

	prevRecords int64 // records at the last frame
	// The lines/s rate: records and wall clock (µs) when it was last
	// computed, and its value. A frame taken at the same wall-clock
	// instant as the one before (a key right after a tick) shows the last
	// rate rather than none.
	rateRecords int64
	rateWall    int64
	rate        float64
}

func newLiveState(c *liveCmd, wall time.Time) *liveState {
	st := &liveState{
		slow: aggregate.NewSlowest(8, c.Window),
		errs: aggregate.NewRecentErrors(8),
		by:   byIndex(c.By),
		wall: wall.UnixMicro(), rateWall: wall.UnixMicro(),
	}
	var also []aggregate.By
	for i, b := range liveBys {
		if i != st.by {
			also = append(also, b)
		}
		st.wins[i] = aggregate.NewWindow(aggregate.WindowOptions{By: b, Span: c.Window})
	}
	st.since = aggregate.New(aggregate.Options{By: liveBys[st.by], Also: also, MaxGroups: c.MaxGroups})
	return st
}

// add counts one record; it is the scan's callback, on the reader
// goroutine.
func (st *liveState) add(file string, r *parse.Record) {
	st.mu.Lock()
	if st.stopped {
		st.mu.Unlock()
		return
	}
	st.records++
	var t int64
	switch {
	case r.HasTime:
		t = r.Time
		if !st.hasNewest || t > st.newest {
			st.newest, st.hasNewest, st.wallAtNewest = t, true, st.wall
		}
	default:
		t = st.logNowLocked()
	}
	st.since.File = file
	st.since.Add(r)
	for _, w := range st.wins {
		w.Add(r, t)
	}
	st.slow.Add(r, t)
	st.errs.Add(r, t)
	st.mu.Unlock()
}

// logNowLocked is the current time on the log's clock, in µs.
func (st *liveState) logNowLocked() int64 {
	if !st.hasNewest {
		return st.wall
	}
	return st.newest + max(0, st.wall-st.wallAtNewest)
}

// snapshot takes a frame at wall clock now.
func (st *liveState) snapshot(now time.Time) *output.LiveSnapshot {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.wall = now.UnixMicro()
	if st.records != st.prevRecords {
		// Lines arrived since the last frame: the log's clock is its newest
		// line. Only while the input is idle does the window roll on with
		// the wall clock.
		st.wallAtNewest = st.wall
	}
	logNow := st.logNowLocked()
	s := output.NewLiveSnapshot(st.wins[st.by].Report(logNow), st.since.ReportGroups()) // a frame shows no analysis section
	s.Slowest = st.slow.Report(logNow)
	s.Errors = st.errs.Report()
	if dt := float64(st.wall-st.rateWall) / 1e6; dt > 0 {
		st.rate = float64(st.records-st.rateRecords) / dt
		st.rateRecords, st.rateWall = st.records, st.wall
	}
	s.LinesPerSecond = st.rate
	st.prevRecords = st.records
	return s
}

// final stops counting and returns the since-start report of the current
// grouping.
func (st *liveState) final() *aggregate.Report {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stopped = true
	return st.since.Report()
}

func (st *liveState) setBy(i int) {
	st.mu.Lock()
	st.by = i
	_ = st.since.Regroup(liveBys[i]) // kept: newLiveState asked for every one of liveBys
	st.mu.Unlock()
}

func (st *liveState) getBy() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.by
}

type scanOutcome struct {
	res scanResult
	err error
}

// Run reads the inputs until they end, a signal, or q, showing snapshots
// every --every, then writes the final report of everything read.
func (c *liveCmd) Run(e *env) error {
	if c.Every <= 0 {
		return &exitError{code: 2, msg: "--every must be positive"}
	}
	if c.Window < time.Second {
		return &exitError{code: 2, msg: "--window must be at least 1s"}
	}
	h := e.live.withDefaults(e)
	screen := e.isTerminal(e.stdout)
	color := e.useColor(c.Color, e.stdout)
	st := newLiveState(c, h.now())

	var keys <-chan byte
	restore := func() {}
	if screen {
		kr, undo, err := h.openKeys()
		if err != nil {
			fmt.Fprintf(e.stderr, "herolog: no keyboard (%s): stop with Ctrl-C\n", output.Sanitize(err.Error()))
			undo = func() {}
		} else {
			keys = readKeys(kr)
		}
		io.WriteString(e.stdout, "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J") // alternate screen, hide cursor
		var once sync.Once
		restore = func() {
			once.Do(func() {
				io.WriteString(e.stdout, "\x1b[?25h\x1b[?1049l") // show cursor, normal screen
				undo()
				if kr != nil {
					kr.Close()
				}
			})
		}
	}
	defer restore()
	guard := func() {
		if r := recover(); r != nil {
			restore()
			panic(r)
		}
	}

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	se := *e
	se.ctx = ctx
	done := make(chan scanOutcome, 1)
	go func() {
		defer guard()
		res, err := se.scan(c.inputFlags, st.add)
		done <- scanOutcome{res, err}
	}()

	// The renderer: frames come through a one-slot channel; when the
	// output is slow the older frame is dropped, never input.
	frames := make(chan *output.LiveSnapshot, 1)
	rendered := make(chan error, 1)
	go func() {
		defer guard()
		var firstErr error
		for s := range frames {
			var err error
			switch {
			case screen:
				w, ht := h.size()
				err = output.LiveScreen(e.stdout, s, output.LiveOptions{Color: color, Width: w, Height: ht, Keys: keys != nil})
			case c.Format == "json":
				err = output.LiveJSON(e.stdout, s)
			default:
				err = output.LiveText(e.stdout, s, output.LiveOptions{Color: color})
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		rendered <- firstErr
	}()
	offer := func(s *output.LiveSnapshot) {
		select {
		case frames <- s:
			return
		default:
		}
		select { // the renderer is busy: replace the waiting frame
		case <-frames:
		default:
		}
		select {
		case frames <- s:
		default:
		}
	}

	tick, stopTick := h.ticker(c.Every)
	defer stopTick()
	if screen {
		offer(st.snapshot(h.now()))
	}
	var out scanOutcome
	finished := false
loop:
	for {
		select {
		case <-tick:
			offer(st.snapshot(h.now()))
		case out = <-done:
			finished = true
			break loop
		case <-e.ctx.Done():
			break loop
		case k, ok := <-keys:
			if !ok {
				keys = nil
				continue
			}
			switch k {
			case 'q', 'Q', 3, 4: // q, Ctrl-C, Ctrl-D
				break loop
			case 'd', 'D':
				st.setBy(0)
			case 'r', 'R':
				st.setBy(1)
			case 'c', 'C':
				st.setBy(2)
			case '\t', 'g', 'G':
				st.setBy((st.getBy() + 1) % len(liveBys))
			default:
				continue
			}
			offer(st.snapshot(h.now()))
		}
	}
	cancel()
	if !finished {
		// The reader notices the cancel within a few thousand lines, unless
		// it is blocked on an idle pipe: then the inputs stay unknown.
		// Wait for it before the final report, so that the report and the
		// inputs' line counts agree.
		select {
		case out = <-done:
			finished = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	rep := st.final()
	close(frames)
	renderErr := <-rendered
	restore()

	rep.Inputs = []aggregate.Input{}
	if finished {
		rep.Inputs = out.res.inputs
	}
	var xe *exitError
	if errors.As(out.err, &xe) && len(out.res.inputs) == 0 {
		return out.err
	}
	bw := bufferedOutput(e.stdout)
	var err error
	if c.Format == "json" && !screen {
		output.FixUTF8(rep)
		err = json.NewEncoder(bw).Encode(rep) // one line, like the snapshots
	} else {
		err = output.Render("table", bw, rep, output.Options{Color: color})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	if renderErr != nil {
		return &exitError{code: 1, msg: "writing a snapshot: " + renderErr.Error()}
	}
	switch {
	case finished && out.err != nil && !errors.Is(out.err, errInterrupted):
		return out.err
	case finished && out.res.failed:
		return &exitError{code: 1, msg: "not every input could be read to its end; the report covers what was read"}
	}
	return nil
}

// readKeys delivers key bytes from r until it fails.
func readKeys(r io.Reader) <-chan byte {
	ch := make(chan byte, 16)
	go func() {
		defer close(ch)
		var b [16]byte
		for {
			n, err := r.Read(b[:])
			for _, k := range b[:n] {
				select {
				case ch <- k:
				default: // nobody is keeping up with the keys: drop
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}
