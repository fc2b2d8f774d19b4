package main

import (
	"errors"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// analyzeCmd is `herolog analyze`.
type analyzeCmd struct {
	inputFlags `embed:""`

	Format    string `short:"f" help:"Output format: ${enum}." enum:"${formats}" default:"table" env:"HEROLOG_FORMAT" group:"Output"`
	Color     string `help:"Colour: auto (a terminal without NO_COLOR), always, never." enum:"auto,always,never" default:"auto" env:"HEROLOG_COLOR" group:"Output"`
	By        string `short:"b" help:"Group requests by: ${enum}." enum:"${bys}" default:"dyno" env:"HEROLOG_BY" group:"Analysis"`
	Sort      string `help:"Order of groups: ${enum}; auto is max (key for status and minute)." enum:"auto,${sorts}" default:"auto" env:"HEROLOG_SORT" group:"Analysis"`
	MaxGroups int    `help:"Most distinct groups kept; requests of further keys fold into 'other'." default:"500" env:"HEROLOG_MAX_GROUPS" group:"Analysis"`
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
	opts := aggregate.Options{By: aggregate.By(a.By), MaxGroups: a.MaxGroups}
	if a.Sort != "auto" {
		opts.Sort = aggregate.Sort(a.Sort)
	}
	agg := aggregate.New(opts)
	res, scanErr := e.scan(a.inputFlags, func(file string, r *parse.Record) {
		agg.File = file
		agg.Add(r)
	})
	var xe *exitError
	if errors.As(scanErr, &xe) && len(res.inputs) == 0 {
		return scanErr
	}
	rep := agg.Report()
	rep.Inputs = res.inputs
	out := bufferedOutput(e.stdout)
	if err := output.Render(a.Format, out, rep, output.Options{Color: e.useColor(a.Color, e.stdout)}); err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	if err := out.Flush(); err != nil {
		return &exitError{code: 1, msg: "writing the report: " + err.Error()}
	}
	switch {
	case errors.Is(scanErr, errInterrupted):
		return &exitError{code: interruptStatus(e.ctx), msg: "interrupted by " + interruptName(e.ctx) + ": the report covers what was read before it"}
	case scanErr != nil:
		return scanErr
	case res.failed:
		return &exitError{code: 1, msg: "not every input could be read to its end; the report covers what was read"}
	}
	return nil
}
