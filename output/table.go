package output

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/herolog/herolog/aggregate"
)

// ANSI emphasis used on terminals.
const (
	ansiRed   = "\x1b[1;31m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

func paint(on bool, code, s string) string {
	if !on || s == "" {
		return s
	}
	return code + s + ansiReset
}

// Table writes the report for people: a header (inputs, time span, lines by
// kind, warnings), the per-group table with a total row, the error codes,
// and the first problems. Outlier groups are marked "!" and, with colour,
// shown in red.
func Table(w io.Writer, r *aggregate.Report, o Options) error {
	return writeText(w, r, o, false)
}

// Markdown writes the same content as Table with GitHub-flavoured Markdown
// tables, for pasting into an incident ticket.
func Markdown(w io.Writer, r *aggregate.Report, o Options) error {
	o.Color = false
	return writeText(w, r, o, true)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// heading writes a section title: a Markdown heading, or a bold line.
func (e *errWriter) heading(s string, o Options, md bool) {
	if md {
		e.printf("\n### %s\n\n", s)
	} else {
		e.printf("\n%s\n", paint(o.Color, ansiBold, s))
	}
}

func writeText(w io.Writer, r *aggregate.Report, o Options, md bool) error {
	ew := &errWriter{w: w}
	head := func(s string) { ew.heading(s, o, md) }
	if md {
		ew.printf("## herolog report\n\n")
	}
	writeSummary(ew, r, o, md)
	if ew.err != nil {
		return ew.err
	}
	head(groupTitle(r))
	if err := groupTable(w, r, o, md); err != nil {
		return err
	}
	if len(r.Codes) > 0 {
		head("Heroku error codes")
		if err := codeTable(w, r, md); err != nil {
			return err
		}
	}
	if err := writeSections(w, r, o, md); err != nil {
		return err
	}
	if len(r.Problems) > 0 {
		bad := r.Lines.Malformed + r.Lines.Unparsed + r.Lines.Oversize
		head(fmt.Sprintf("Lines herolog could not read (first %d of %d)", len(r.Problems), bad))
		for _, p := range r.Problems {
			text := p.Text
			if len(text) > 100 {
				text = text[:100] + "…"
			}
			if md {
				ew.printf("- `%s:%d` %s: %s — `%s`\n", Sanitize(p.File), p.Line, p.Kind, p.Reason, strings.ReplaceAll(Sanitize(text), "`", "'"))
			} else {
				ew.printf("  %s:%d  %s: %s  %s\n", Sanitize(p.File), p.Line, p.Kind, p.Reason, paint(o.Color, ansiDim, `"`+Sanitize(text)+`"`))
			}
		}
	}
	return ew.err
}

func groupTitle(r *aggregate.Report) string {
	switch r.By {
	case "route":
		return "Service time by route (ms)"
	case "host":
		return "Service time by host (ms)"
	case "status":
		return "Service time by status (ms)"
	case "minute":
		return "Service time by minute (ms)"
	}
	return "Service time by dyno (ms)"
}

func writeSummary(ew *errWriter, r *aggregate.Report, o Options, md bool) {
	bullet := ""
	if md {
		bullet = "- "
	}
	var names []string
	for _, in := range r.Inputs {
		names = append(names, Sanitize(in.Name))
	}
	if len(names) > 0 {
		if len(names) > 4 {
			names = append(names[:4], fmt.Sprintf("and %d more", len(r.Inputs)-4))
		}
		ew.printf("%sinput:  %s\n", bullet, strings.Join(names, ", "))
	}
	if r.Start != "" {
		ew.printf("%sspan:   %s → %s (%s)\n", bullet, r.Start, r.End, humanSpan(r.SpanSeconds))
	} else {
		ew.printf("%sspan:   no timestamps seen\n", bullet)
	}
	l := r.Lines
	parts := []string{fmt.Sprintf("%s router", commas(l.Router))}
	for _, kv := range []struct {
		n    int64
		name string
	}{{l.App, "app"}, {l.Dyno, "dyno"}, {l.Metrics, "metrics"}, {l.Logplex, "logplex"}, {l.Platform, "platform"},
		{l.Blank, "blank"}, {l.Malformed, "malformed"}, {l.Oversize, "oversize"}, {l.Unparsed, "unparsed"}} {
		if kv.n > 0 {
			parts = append(parts, commas(kv.n)+" "+kv.name)
		}
	}
	ew.printf("%slines:  %s total: %s\n", bullet, commas(l.Total), strings.Join(parts, ", "))
	if r.DroppedLines > 0 {
		msg := fmt.Sprintf("WARNING: Heroku reported %s log lines dropped or lost (L10–L13): the numbers below are incomplete", commas(r.DroppedLines))
		ew.printf("%s%s\n", bullet, paint(o.Color, ansiRed, msg))
	}
	if r.ClampedValues > 0 {
		ew.printf("%snote:   %s lines had a number out of range or invalid (clamped or ignored)\n", bullet, commas(r.ClampedValues))
	}
	if n := r.Total.Service.Clamped + r.Total.Connect.Clamped; n > 0 || (r.Total.Wait != nil && r.Total.Wait.Clamped > 0) {
		if r.Total.Wait != nil {
			n += r.Total.Wait.Clamped
		}
		ew.printf("%snote:   %s durations above the histogram range (1 h; connect 1 min) were counted at its top: quantiles there are lower bounds, MAX is exact\n", bullet, commas(n))
	}
	if r.FoldedRequests > 0 {
		ew.printf("%snote:   too many distinct %ss: %s requests folded into %q\n", bullet, r.By, commas(r.FoldedRequests), aggregate.OtherKey)
	}
	for _, in := range r.Inputs {
		if in.Error != "" {
			msg := in.Error
			if !strings.HasPrefix(msg, in.Name+": ") { // input errors usually name the file already
				msg = in.Name + ": " + msg
			}
			ew.printf("%s%s\n", bullet, paint(o.Color, ansiRed, "ERROR: "+Sanitize(msg)))
		}
	}
}

func humanSpan(sec float64) string {
	if sec >= 100*24*3600 || sec != sec { // past time.Duration's range soon; years apart
		return strconv.FormatFloat(sec/(24*3600), 'f', 0, 64) + " days"
	}
	d := time.Duration(sec * float64(time.Second))
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	return d.String()
}

// commas formats n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtMean(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func codeList(codes map[string]int64) string {
	keys := make([]string, 0, len(codes))
	for c := range codes {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	var parts []string
	for _, c := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", Sanitize(c), codes[c]))
	}
	return strings.Join(parts, " ")
}

// newTable returns a table with the first column and the columns listed
// in left aligned left, the others (numbers) right.
func newTable(w io.Writer, md bool, ncols int, left ...int) *tablewriter.Table {
	align := make(tw.Alignment, ncols)
	for i := range align {
		align[i] = tw.AlignRight
	}
	align[0] = tw.AlignLeft
	for _, c := range left {
		align[c] = tw.AlignLeft
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithFooterAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	}
	if md {
		// A | in a cell (from a path, a host, a description) would split it.
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()),
			tablewriter.WithRowFilter(tw.CellFilter{Global: escapePipes}))
	} else {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.Border{Left: tw.Off, Right: tw.Off, Top: tw.Off, Bottom: tw.Off},
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On, ShowFooterLine: tw.On},
			},
			Symbols: tw.NewSymbols(tw.StyleLight),
		})))
	}
	return tablewriter.NewTable(w, opts...)
}

func groupTable(w io.Writer, r *aggregate.Report, o Options, md bool) error {
	hasWait := r.Total.Wait != nil
	header := []string{strings.ToUpper(r.By), "REQS", "REQ/S", "P50", "P95", "P99", "P99.9", "MAX", "MEAN", "CONN P99", "CONN MAX"}
	if hasWait {
		header = append(header, "WAIT P99", "WAIT MAX", "QUEUE MAX")
	}
	header = append(header, "5XX", "CODES", "")
	t := newTable(w, md, len(header), len(header)-2)
	t.Header(header)
	row := func(g aggregate.Group, total bool) []string {
		key := Sanitize(g.Key)
		cells := []string{key, commas(g.Requests), strconv.FormatFloat(g.RPS, 'f', 2, 64),
			itoa(g.Service.P50), itoa(g.Service.P95), itoa(g.Service.P99), itoa(g.Service.P999), itoa(g.Service.Max), fmtMean(g.Service.Mean),
			itoa(g.Connect.P99), itoa(g.Connect.Max)}
		if hasWait {
			if g.Wait != nil {
				cells = append(cells, itoa(g.Wait.P99), itoa(g.Wait.Max), itoa(g.QueueMax))
			} else {
				cells = append(cells, "-", "-", "-")
			}
		}
		mark := ""
		if g.Outlier != "" && !total {
			mark = "!"
		}
		cells = append(cells, commas(g.Status.S5xx), codeList(g.Codes), mark)
		if g.Outlier != "" && o.Color && !total {
			for i := range cells {
				cells[i] = paint(true, ansiRed, cells[i])
			}
		}
		return cells
	}
	for _, g := range r.Groups {
		if err := t.Append(row(g, false)); err != nil {
			return err
		}
	}
	if md {
		tot := row(r.Total, true)
		tot[0] = "**TOTAL**"
		if err := t.Append(tot); err != nil {
			return err
		}
	} else {
		tot := row(r.Total, true)
		tot[0] = "TOTAL"
		t.Footer(tot)
	}
	if err := t.Render(); err != nil {
		return err
	}
	// Explain the outliers under the table.
	var notes []string
	for _, g := range r.Groups {
		if g.Outlier != "" {
			notes = append(notes, fmt.Sprintf("! %s: %s", Sanitize(g.Key), g.Outlier))
		}
	}
	if len(notes) > 0 {
		_, err := fmt.Fprintln(w, strings.Join(notes, "\n"))
		return err
	}
	return nil
}

func codeTable(w io.Writer, r *aggregate.Report, md bool) error {
	t := newTable(w, md, 3, 2)
	t.Header([]string{"CODE", "COUNT", "DESCRIPTION"})
	codes := make([]string, 0, len(r.Codes))
	for c := range r.Codes {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if r.Codes[codes[i]].Count != r.Codes[codes[j]].Count {
			return r.Codes[codes[i]].Count > r.Codes[codes[j]].Count
		}
		return codes[i] < codes[j]
	})
	for _, c := range codes {
		cc := r.Codes[c]
		if err := t.Append([]string{Sanitize(c), commas(cc.Count), cc.Desc}); err != nil {
			return err
		}
	}
	return t.Render()
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// escapePipes escapes | in Markdown table cells.
func escapePipes(row []string) []string {
	for i, c := range row {
		row[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return row
}
