package main

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// analyzeMemoryLimit is the soft limit on the Go heap during analyze
// (unless GOMEMLIMIT is set): the project's budget is 150 MiB of peak RSS.
// On an ordinary log the live heap stays far below it and nothing changes;
// on a 200 MB log of an overloaded app (every request queued behind
// another, so the head-of-line state of every chunk in flight is large)
// peak RSS went from 205-215 MB to 141-144 MB for 30% more CPU.
const analyzeMemoryLimit = 120 << 20

// analyzeGCPercent is the collector's GOGC during analyze (unless GOGC is
// set): the heap may grow to 1.5 times what is live, not twice. A scan
// allocates little (chunk aggregators are pooled), so the collections it
// adds cost no measurable CPU; what it saves is the headroom over the live
// heap, the part of peak RSS that grew with the input: 10 GB generated
// and streamed through standard input, 88 MB peak RSS with GOGC=100 (14
// collections), 78 MB with 50 (35 collections), 23.0 CPU-s both.
const analyzeGCPercent = 50

// analyzeCmd is `herolog analyze`.
type analyzeCmd struct {
	inputFlags    `embed:""`
	progressFlags `embed:""`
	saveFlags     `embed:""`

	Format    string `short:"f" help:"Output format: ${enum}." enum:"${formats}" default:"table" env:"HEROLOG_FORMAT" group:"Output"`
	Color     string `help:"Colour: auto (a terminal without NO_COLOR), always, never." enum:"auto,always,never" default:"auto" env:"HEROLOG_COLOR" group:"Output"`
	By        string `short:"b" help:"Group requests by: ${enum}." enum:"${bys}" default:"dyno" env:"HEROLOG_BY" group:"Analysis"`
	Sort      string `help:"Order of groups: ${enum}; auto is max (key for status and minute)." enum:"auto,${sorts}" default:"auto" env:"HEROLOG_SORT" group:"Analysis"`
	MaxGroups int    `help:"Most distinct groups kept; requests of further keys fold into 'other'." default:"500" env:"HEROLOG_MAX_GROUPS" group:"Analysis"`
	Parquet   string `placeholder:"FILE" help:"Also write every request to this Parquet file (as herolog export does), in the same pass." group:"Output"`
	Force     bool   `help:"With --parquet, replace an existing file." group:"Output"`

	htmlFlags `embed:""`
	tailFlags `embed:""`
}

// htmlFlags write the HTML page beside the report; analyze and merge
// share them.
type htmlFlags struct {
	HTML string `name:"html" placeholder:"FILE" help:"Also write a self-contained HTML report (charts, sortable tables) to FILE." type:"path" group:"Output"`
}

// spectrum reports whether the report needs the percentile spectra (for
// the HTML page's charts).
func (h *htmlFlags) spectrum(format string) bool { return h.HTML != "" || format == "html" }

// write writes the HTML page of rep to --html, if given, and returns rep
// without the spectra unless format (the report's) is html.
func (h *htmlFlags) write(rep *aggregate.Report, format string) (*aggregate.Report, error) {
	if h.HTML != "" {
		err := writeFileAtomic(h.HTML, func(w io.Writer) error {
			bw := bufferedOutput(w)
			if err := output.HTML(bw, rep, output.Options{}); err != nil {
				return err
			}
			return bw.Flush()
		})
		if err != nil {
			return nil, &exitError{code: 1, msg: "writing the HTML report: " + err.Error()}
		}
	}
	if format != "html" {
		rep = rep.WithoutSpectra() // the spectra are for the charts
	}
	return rep, nil
}

// sectionFlags choose the tail-analysis sections shown
// (aggregate.Sections); analyze and merge share them.
type sectionFlags struct {
	Section []string `help:"Tail-analysis sections to show (comma list or repeated): ${enum}." enum:"all,timeline,slowest,hol,routes,dynos,findings" default:"all" sep:"," group:"Tail analysis"`
}

// tailFlags configure the tail-analysis sections of analyze.
type tailFlags struct {
	sectionFlags `embed:""`
	Bucket       time.Duration `help:"Timeline bucket width (widened automatically past 1500 buckets)." default:"1m" group:"Tail analysis"`
	Top          int           `help:"How many of the slowest requests to list." default:"10" group:"Tail analysis"`
}

// options checks the flags and sets them on opts.
func (t *tailFlags) options(opts *aggregate.Options) error {
	if t.Bucket < time.Second {
		return &exitError{code: 2, msg: "--bucket must be at least 1s"}
	}
	if t.Top < 1 {
		return &exitError{code: 2, msg: "--top must be at least 1"}
	}
	opts.Bucket, opts.Top = t.Bucket, t.Top
	return nil
}

// Help is shown under the command's usage line.
func (a *analyzeCmd) Help() string {
	return `Examples:
  herolog analyze logs.txt                       # a saved 'heroku logs' capture
  herolog analyze archive/*.tsv.gz drain.log     # several files, mixed formats
  heroku logs -n 1500 | herolog analyze -        # standard input
  herolog analyze logs.txt --by route --format json`
}

// Run analyses the inputs and writes the report.
func (a *analyzeCmd) Run(e *env) error {
	opts := aggregate.Options{By: aggregate.By(a.By), MaxGroups: a.MaxGroups, Spectrum: a.spectrum(a.Format)}
	if a.Sort != "auto" {
		opts.Sort = aggregate.Sort(a.Sort)
	}
	opts.AllGroupings = a.Save != ""
	if a.Hlog != "" {
		if a.HlogInterval < time.Second {
			return &exitError{code: 2, msg: "--hlog-interval must be at least 1s"}
		}
		opts.Interval = a.HlogInterval
	}
	var tee *headTee
	if a.Save != "" {
		tee = &headTee{r: e.stdin}
		e.stdin = tee
	}
	if err := a.tailFlags.options(&opts); err != nil {
		return err
	}
	agg := aggregate.New(opts)
	var pq *fileSink // --parquet: requests as Parquet, a second sink in the same pass
	var pqErr error
	if a.Parquet != "" {
		if pq, pqErr = openFileSink(a.Parquet, a.Force, newRequests); pqErr != nil {
			return &exitError{code: 1, msg: pqErr.Error()}
		}
	}
	var res scanResult
	var scanErr, mergeErr error
	if os.Getenv("GOMEMLIMIT") == "" {
		// Chunk aggregators come and go during a parallel scan; without a
		// limit the collector lets the heap reach twice what is live.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(analyzeMemoryLimit))
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(analyzeGCPercent))
	}
	stopProgress := e.startProgress(a.progressFlags)
	if pq != nil {
		// As below, and each chunk's requests are kept as Parquet rows,
		// written in input order as the chunks are merged (see export);
		// the row buffers are reused.
		var (
			mu   sync.Mutex
			free []*output.RequestRows
		)
		res, scanErr = e.scanParallelOpts(a.inputFlags, exportScan(),
			func() recordSink {
				var rows *output.RequestRows
				mu.Lock()
				if n := len(free); n > 0 {
					rows, free = free[n-1], free[:n-1]
				}
				mu.Unlock()
				if rows == nil {
					rows = output.NewRequestRows()
				}
				return &pqAggSink{aggSink{aggregate.New(opts)}, rows}
			},
			func(s recordSink) {
				c := s.(*pqAggSink)
				if err := agg.Merge(c.Aggregator); err != nil && mergeErr == nil {
					mergeErr = err
				}
				c.Aggregator.Release()
				if pqErr == nil && c.rows.Len() > 0 {
					pqErr = pq.addRows(c.rows)
				}
				c.rows.Reset()
				mu.Lock()
				free = append(free, c.rows)
				mu.Unlock()
			})
	} else {
		// One aggregator per chunk, merged into agg in input order.
		res, scanErr = e.scanParallelOpts(a.inputFlags, scanOpts{relLines: true},
			func() recordSink { return &aggSink{aggregate.New(opts)} },
			func(s recordSink) {
				chunk := s.(*aggSink).Aggregator
				if err := agg.Merge(chunk); err != nil && mergeErr == nil {
					mergeErr = err
				}
				chunk.Release() // its histograms and buffers go to the next chunks
			})
	}
	stopProgress()
	if mergeErr != nil {
		return &exitError{code: 1, msg: "internal error: " + mergeErr.Error()}
	}
	var pqFail error // the Parquet file failed (a full disk): still print the report
	if pq != nil {
		pqFail = finishParquet(e, pq, pqErr, scanErr, res.failed)
	}
	var xe *exitError
	if errors.As(scanErr, &xe) && len(res.inputs) == 0 {
		return scanErr
	}
	if a.Save != "" && scanErr == nil {
		if err := saveSummary(a.Save, agg, fingerprints(res.inputs, tee)); err != nil {
			return err
		}
	}
	if a.Hlog != "" && scanErr == nil {
		if err := saveHlog(a.Hlog, agg); err != nil {
			return err
		}
	}
	rep := agg.Report()
	rep.Inputs = res.inputs
	rep.KeepSections(a.Section...)
	rep, err := a.htmlFlags.write(rep, a.Format)
	if err != nil {
		return err
	}
	out := bufferedOutput(e.stdout)
	if err := output.Render(a.Format, out, rep, output.Options{Color: e.useColor(a.Color, e.stdout)}); err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	switch {
	case pqFail != nil:
		return pqFail
	case errors.Is(scanErr, errInterrupted):
		return &exitError{code: interruptStatus(e.ctx), msg: interrupted(e.ctx) + ": the report covers what was read before it"}
	case scanErr != nil:
		return scanErr
	case res.failed:
		return &exitError{code: 1, msg: "not every input could be read to its end; the report covers what was read"}
	}
	return nil
}

// aggSink aggregates one chunk of a parallel scan.
type aggSink struct{ *aggregate.Aggregator }

// Add counts r, labelling problems with file.
func (s *aggSink) Add(file string, r *parse.Record) {
	s.File = file
	s.Aggregator.Add(r)
}

// shiftLines adds n to the line numbers of the problems recorded (see
// lineShifter).
func (s *aggSink) shiftLines(n int64) { s.Aggregator.ShiftLines(n) }

// pqAggSink aggregates one chunk and keeps its requests for --parquet.
type pqAggSink struct {
	aggSink
	rows *output.RequestRows
}

// Add counts r and keeps it if it is a request.
func (s *pqAggSink) Add(file string, r *parse.Record) {
	s.aggSink.Add(file, r)
	s.rows.Add(file, r)
}
