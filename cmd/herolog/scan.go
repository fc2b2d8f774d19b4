package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/internal/input"
	"github.com/herolog/herolog/output"
	"github.com/herolog/herolog/parse"
)

// errInterrupted ends a scan early on SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")

// inputFlags are the flags every command that reads logs shares.
type inputFlags struct {
	Files  []string `arg:"" optional:"" name:"file" predictor:"file" help:"Log files: plain, gzip, bzip2 or zstd (detected from content), directories (every file below), or - for standard input. Standard input when none." group:"Input"`
	Strict bool     `help:"Stop at the first line herolog cannot read, instead of counting it and going on." group:"Input"`
	Year   int      `help:"Year for timestamps that carry none (Papertrail's 'Jan 08 10:55:11'); the current year when 0." default:"0" group:"Input"`
}

// scanResult is what a scan read.
type scanResult struct {
	inputs []aggregate.Input
	failed bool // an input could not be opened or read to its end
}

// scan reads every input in order, parses each record and hands it to add.
// An input that cannot be opened or read to its end is reported on stderr,
// marked in the result, and the scan goes on with the next one; records
// read before the failure are kept. The scan stops early (errInterrupted)
// when the context ends, or on the first bad record with --strict.
func (e *env) scan(f inputFlags, add func(file string, r *parse.Record)) (scanResult, error) {
	var res scanResult
	names := f.Files
	if len(names) == 0 {
		names = []string{input.Stdin}
	}
	names, err := input.Expand(names)
	if err != nil {
		return res, &exitError{code: 1, msg: err.Error()}
	}
	p := parse.NewParser()
	if f.Year > 0 {
		p.Year = int64(f.Year)
	}
	rd := parse.NewReader(nil, p)
	for _, name := range names {
		in := aggregate.Input{Name: displayName(name)}
		src, err := input.Open(name, e.stdin)
		if err != nil {
			in.Error = err.Error()
			res.inputs = append(res.inputs, in)
			res.failed = true
			fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(err.Error()))
			continue
		}
		in.Compression = src.Compression
		rd.Reset(src)
		var n int64
		var readErr error
		for {
			rec, err := rd.Next()
			if err != nil {
				if err != io.EOF {
					readErr = err
				}
				break
			}
			n++
			add(in.Name, rec)
			if f.Strict && isBad(rec.Kind) {
				src.Close()
				return res, &exitError{code: 1, msg: fmt.Sprintf("%s:%d: %s: %s (--strict)", in.Name, rec.Line, rec.Kind, reason(rec))}
			}
			if n&4095 == 0 && e.ctx.Err() != nil {
				in.Lines, in.Bytes = n, rd.Offset()
				res.inputs = append(res.inputs, in)
				src.Close()
				return res, errInterrupted
			}
		}
		src.Close()
		in.Lines, in.Bytes = n, rd.Offset()
		if errors.Is(readErr, errInterrupted) {
			res.inputs = append(res.inputs, in)
			return res, errInterrupted
		}
		if readErr != nil {
			in.Error = fmt.Sprintf("%v (after line %d)", readErr, rd.Line())
			res.failed = true
			fmt.Fprintf(e.stderr, "herolog: %s\n", output.Sanitize(in.Error))
		}
		res.inputs = append(res.inputs, in)
		if e.ctx.Err() != nil {
			return res, errInterrupted
		}
	}
	return res, nil
}

func displayName(name string) string {
	if name == input.Stdin {
		return "(stdin)"
	}
	return name
}

func isBad(k parse.Kind) bool {
	return k == parse.KindMalformed || k == parse.KindUnparsed || k == parse.KindOversize
}

func reason(r *parse.Record) string {
	if r.Problem != "" {
		return r.Problem
	}
	return r.Kind.String()
}

// bufferedOutput wraps w in a large buffer; flush reports write errors.
func bufferedOutput(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
