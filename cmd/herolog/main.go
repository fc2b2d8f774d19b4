// Command herolog tells a Heroku user the truth about their app's latency:
// per-dyno, per-route, per-minute p99 / p99.9 / max, error codes, and where
// the tail comes from.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/output"
)

func main() {
	stop := startCPUProfile(os.Getenv("HEROLOG_CPUPROFILE"), os.Stderr)
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// startCPUProfile writes a Go CPU profile of the whole run to path (for
// go tool pprof; nothing when path is empty) until the returned function
// is called. A profile that cannot be started is reported on stderr and
// the run goes on without it.
func startCPUProfile(path string, stderr io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "herolog: HEROLOG_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "herolog: HEROLOG_CPUPROFILE: %v\n", err)
		}
	}
}

// cli is the command line. Each command is a struct with a Run method.
type cli struct {
	Version versionFlag `help:"Print the version and exit." short:"V"`

	Analyze    analyzeCmd    `cmd:"" help:"Per-dyno (or route, host, status, minute) latency tails and Heroku error codes from log files."`
	Live       liveCmd       `cmd:"" help:"Watch a live log stream (heroku logs --tail | herolog live): rolling per-dyno tails, redrawn."`
	Export     exportCmd     `cmd:"" help:"Every request (and, with --events, every dyno event) as Parquet for pandas, polars, DuckDB or Spark."`
	Merge      mergeCmd      `cmd:"" help:"Merge summaries saved by 'analyze --save' into the report of one run over all their inputs."`
	Plan       planCmd       `cmd:"" help:"How many dynos the traffic in the logs needs, under Heroku's random routing and smarter routers (a simulation)."`
	Completion completionCmd `cmd:"" help:"Print the shell code that enables tab completion (bash, zsh, fish)."`
}

const description = `The truth about a Heroku app's latency: not the average, the tail.

Examples:
  herolog analyze logs.txt                       # per-dyno p50/p99/p99.9/max, error codes
  heroku logs -n 1500 | herolog analyze - --by route
  herolog analyze archive/*.tsv.gz --format json > report.json
  heroku logs --tail -a myapp | herolog live
  herolog plan logs.txt --dynos 2..12`

// env is what commands get from run: the streams and the context that
// ends on SIGINT or SIGTERM.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether a stream is an interactive terminal.
	isTerminal func(w any) bool
	getenv     func(string) string
	live       liveHooks // clock, ticker, keyboard and screen size of live; zero means the real ones
	progress   *progress // the progress bar of the running command, nil when none
}

// exitError carries an exit status with its message. An empty message
// prints nothing.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// kongExit is thrown (as a panic) by kong's Exit hook so run can return
// the status instead of ending the process.
type kongExit int

// run is the whole program with injected streams: it parses args, runs
// the command and returns the exit status (0 ok, 1 an input or output
// failed, 2 a usage error).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	e := &env{ctx: ctx, stdin: interruptible(ctx, stdin), stdout: stdout, stderr: stderr, isTerminal: isTerminal, getenv: os.Getenv}
	return runEnv(e, args)
}

// runEnv runs the command line args in e. A write to stdout that fails
// because its reader went away ends the run quietly with status 141, as if
// killed by SIGPIPE, whatever the command made of the error.
func runEnv(e *env, args []string) (code int) {
	pw := &pipeWatch{w: e.stdout}
	e.stdout = pw
	defer func() {
		if pw.broken {
			code = exitSIGPIPE
		}
	}()
	var c cli
	parser, err := kong.New(&c,
		kong.Name("herolog"),
		kong.Description(description),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { panic(kongExit(code)) }),
		kong.Vars{
			"formats": strings.Join(output.Formats(), ","),
			"bys":     strings.Join(aggregate.Bys, ","),
			"sorts":   strings.Join(aggregate.Sorts, ","),
		},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Bind(e),
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "herolog: internal error: %s\n", output.Sanitize(err.Error()))
		return 2
	}
	defer func() {
		if r := recover(); r != nil {
			if k, ok := r.(kongExit); ok {
				code = int(k)
				return
			}
			panic(r)
		}
	}()
	completeIfAsked(parser)
	kctx, err := parser.Parse(args)
	if err != nil {
		var pe *kong.ParseError
		fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(err.Error())) // arguments may hold escapes
		if errors.As(err, &pe) && pe.Context != nil {
			cmd := "herolog"
			if sel := pe.Context.Selected(); sel != nil {
				cmd = "herolog " + sel.Path()
			}
			fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd)
		}
		return 2
	}
	if err := kctx.Run(e); err != nil {
		if pw.broken {
			return exitSIGPIPE
		}
		var xe *exitError
		if errors.As(err, &xe) {
			if xe.msg != "" {
				fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(xe.msg))
			}
			return xe.code
		}
		fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(err.Error()))
		return 1
	}
	return 0
}

// isTerminal reports whether w is an *os.File on a terminal.
func isTerminal(w any) bool {
	f, ok := unwrapWriter(w).(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// useColor decides colour: --color always/never win; auto means a
// terminal and no NO_COLOR.
func (e *env) useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb" {
		return false
	}
	return e.isTerminal(w)
}
