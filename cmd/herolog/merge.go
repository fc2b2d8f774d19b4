package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/output"
)

// mergeCmd is `herolog merge`: the report of several saved summaries, as
// one run over all their inputs would give it.
type mergeCmd struct {
	Files []string `arg:"" name:"summary" predictor:"file" help:"Summaries written by 'herolog analyze --save' (.hlsum), in input order."`

	Format string `short:"f" help:"Output format: ${enum}." enum:"${formats}" default:"table" env:"HEROLOG_FORMAT" group:"Output"`
	Color  string `help:"Colour: auto (a terminal without NO_COLOR), always, never." enum:"auto,always,never" default:"auto" env:"HEROLOG_COLOR" group:"Output"`
	By     string `short:"b" help:"Group requests by: ${enum}." enum:"${bys}" default:"dyno" env:"HEROLOG_BY" group:"Analysis"`
	Sort   string `help:"Order of groups: ${enum}; auto is max (key for status and minute)." enum:"auto,${sorts}" default:"auto" env:"HEROLOG_SORT" group:"Analysis"`
	Strict bool   `help:"Refuse summaries that share an input (same fingerprint) instead of skipping the duplicate shard." group:"Input"`
	Save   string `placeholder:"FILE" predictor:"file" help:"Also write the merged summary to FILE, to merge again later." group:"Save"`

	htmlFlags    `embed:""`
	sectionFlags `embed:""`
	Top          int `help:"How many of the slowest requests to list: at most the --top the summaries were saved with (the default)." group:"Tail analysis"`
}

// Help is shown under the command's usage line.
func (m *mergeCmd) Help() string {
	return `Merging is exact: counts, sums, maxima and the HDR histogram buckets add up,
so the report equals one 'herolog analyze' over all the shards' inputs
(quantiles included, tail sections too) as long as no grouping passes its
--max-groups cap and no shard has 200 routes or more; give the summaries in
input order. Every summary must have been saved with the same --bucket and
--top.

Examples:
  herolog analyze archive/2026-11-20*.gz --save 2026-11-20.hlsum
  herolog analyze archive/2026-11-21*.gz --save 2026-11-21.hlsum
  herolog merge *.hlsum
  herolog merge *.hlsum --by route --format json
  herolog merge *.hlsum --by route --section timeline
  herolog merge *.hlsum --html month.html`
}

// Run reads, checks and merges the summaries and writes the report.
func (m *mergeCmd) Run(e *env) error {
	if m.Top < 0 {
		return &exitError{code: 2, msg: "--top must be at least 1"}
	}
	by := aggregate.By(m.By)
	var (
		acc      *aggregate.Aggregator
		first    string
		inputs   []aggregate.SavedInput
		owner    []string // the summary each accepted input came from
		warnings []string
	)
	warn := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		warnings = append(warnings, msg)
		fmt.Fprintf(e.stderr, "herolog: warning: %s\n", output.Sanitize(msg))
	}
	for _, name := range m.Files {
		s, err := readSummaryFile(name)
		if err != nil {
			return err
		}
		if err := s.Agg.Regroup(by); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("%s: %v; save it again with this herolog", name, err)}
		}
		o := s.Agg.Options()
		if acc == nil {
			if m.Top > o.Top {
				return &exitError{code: 2, msg: fmt.Sprintf("--top %d: %s keeps the %d slowest requests only (analyze --top); give at most %d", m.Top, name, o.Top, o.Top)}
			}
			opts := aggregate.Options{By: by, MaxGroups: o.MaxGroups, MaxProblems: o.MaxProblems, AllGroupings: true, Bucket: o.Bucket, Top: o.Top, Spectrum: m.spectrum(m.Format)}
			if m.Sort != "auto" {
				opts.Sort = aggregate.Sort(m.Sort)
			}
			acc, first = aggregate.New(opts), name
		} else if err := sameSettings(acc.Options(), o, first, name); err != nil {
			return err
		}

		// Inputs already merged from another summary (same fingerprint).
		var dups []string
		for _, in := range s.Inputs {
			for j, seen := range inputs {
				switch {
				case in.SameData(seen):
					dups = append(dups, fmt.Sprintf("%s (also in %s as %s)", in.Name, owner[j], seen.Name))
				case in.Head != "" && in.Head == seen.Head:
					warn("%s: input %s starts like %s in %s but has another length: they may overlap and be counted twice", name, in.Name, seen.Name, owner[j])
				}
			}
		}
		if len(dups) > 0 {
			switch {
			case m.Strict:
				return &exitError{code: 1, msg: fmt.Sprintf("%s: already merged input %s (--strict)", name, dups[0])}
			case len(dups) < len(s.Inputs):
				return &exitError{code: 1, msg: fmt.Sprintf("%s: shares input %s with another summary but also has inputs it does not: cannot merge without counting the shared one twice; analyze the inputs again without overlap", name, dups[0])}
			}
			warn("%s skipped: its inputs were already merged: %s", name, dups[0])
			continue
		}
		if err := acc.Merge(s.Agg); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("%s: %v", name, err)}
		}
		for _, in := range s.Inputs {
			inputs = append(inputs, in)
			owner = append(owner, name)
		}
	}
	rep := acc.Report()
	rep.Inputs = []aggregate.Input{}
	for _, in := range inputs {
		rep.Inputs = append(rep.Inputs, in.Input)
	}
	rep.Warnings = warnings
	if m.Top > 0 && len(rep.Slowest) > m.Top {
		rep.Slowest = rep.Slowest[:m.Top]
	}
	rep.KeepSections(m.Section...)
	if m.Save != "" {
		if err := saveSummary(m.Save, acc, inputs); err != nil {
			return err
		}
	}
	rep, err := m.htmlFlags.write(rep, m.Format)
	if err != nil {
		return err
	}
	out := bufferedOutput(e.stdout)
	if err := output.Render(m.Format, out, rep, output.Options{Color: e.useColor(m.Color, e.stdout)}); err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	return nil
}

// sameSettings refuses a summary saved with settings other than the first
// one's: results capped or bucketed differently do not merge exactly.
func sameSettings(a, o aggregate.Options, first, name string) error {
	var flag, theirs, ours string
	switch {
	case o.MaxGroups != a.MaxGroups:
		flag, theirs, ours = "--max-groups", strconv.Itoa(o.MaxGroups), strconv.Itoa(a.MaxGroups)
	case o.MaxProblems != a.MaxProblems:
		flag, theirs, ours = "max problems", strconv.Itoa(o.MaxProblems), strconv.Itoa(a.MaxProblems)
	case o.Bucket != a.Bucket:
		flag, theirs, ours = "--bucket", o.Bucket.String(), a.Bucket.String()
	case o.Top != a.Top:
		flag, theirs, ours = "--top", strconv.Itoa(o.Top), strconv.Itoa(a.Top)
	default:
		return nil
	}
	return &exitError{code: 1, msg: fmt.Sprintf("%s was saved with %s %s, %s with %s: save every shard with the same settings", name, flag, theirs, first, ours)}
}

// readSummaryFile reads one summary; its errors name the file.
func readSummaryFile(name string) (*aggregate.Saved, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%s: %v", name, unwrapPath(err))}
	}
	defer f.Close()
	s, err := aggregate.ReadSummary(f)
	if err != nil {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%s: %v", name, err)}
	}
	return s, nil
}

// unwrapPath drops the *PathError wrapping so the message names the file
// once.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
