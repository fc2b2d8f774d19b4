package output

import (
	"fmt"
	"io"
	"sort"

	"github.com/herolog/herolog/aggregate"
)

// Options control rendering.
type Options struct {
	// Color allows ANSI colour and emphasis (only ever true on a terminal
	// without NO_COLOR).
	Color bool
}

// Renderer writes a report in one format.
type Renderer func(w io.Writer, r *aggregate.Report, o Options) error

var renderers = map[string]Renderer{
	"table":    Table,
	"json":     JSON,
	"csv":      CSV,
	"markdown": Markdown,
}

// Register adds a report format. It panics on a duplicate name (a
// programming error, caught by any test that renders).
func Register(name string, fn Renderer) {
	if _, dup := renderers[name]; dup {
		panic("output: format registered twice: " + name)
	}
	renderers[name] = fn
}

// Formats lists the names of the report formats, sorted; the CLI's
// --format enum comes from here, so help and validation never drift.
func Formats() []string {
	names := make([]string, 0, len(renderers))
	for n := range renderers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Render writes r in the named format.
func Render(format string, w io.Writer, r *aggregate.Report, o Options) error {
	fn, ok := renderers[format]
	if !ok {
		return fmt.Errorf("unknown format %q (want one of %v)", format, Formats())
	}
	return fn(w, r, o)
}
