package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/herolog/herolog/internal/plan"
)

// planGreen marks the recommended row on a terminal.
const planGreen = "\x1b[1;32m"

// PlanFormats lists the formats PlanRender writes; the CLI's --format enum
// for plan comes from here.
var PlanFormats = []string{"table", "json"}

// PlanRender writes a capacity plan in the named format: "table" or
// "json".
func PlanRender(format string, w io.Writer, r *plan.Report, o Options) error {
	switch format {
	case "table":
		return PlanTable(w, r, o)
	case "json":
		return PlanJSON(w, r)
	}
	return fmt.Errorf("unknown plan format %q (want one of %v)", format, PlanFormats)
}

// PlanJSON writes the plan as one indented JSON document, the same rows as
// the table with units in the field names (queue_p99_ms).
func PlanJSON(w io.Writer, r *plan.Report) error {
	FixUTF8(r) // JSON holds only valid UTF-8: keep bad bytes as \xNN
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// PlanTable writes the plan for people: what was read and inferred, the
// Little's-law figure and the model check, one row per dyno count and
// routing policy, the recommendation and the caveats. The smallest dyno
// count meeting the target under each policy is marked "◀"; with colour
// the recommendation (the first policy's) is green and the others bold.
func PlanTable(w io.Writer, r *plan.Report, o Options) error {
	ew := &errWriter{w: w}
	src := "inferred from the log"
	if r.WorkersSource == "flag" {
		src = "from --workers"
	}
	ew.printf("%s\n", paint(o.Color, ansiBold, "Capacity plan"))
	ew.printf("Read %s requests over %s (%.1f req/s) on %d dynos; %d workers per dyno (%s).\n",
		commas(r.Requests), humanSpan(r.SpanSeconds), r.RPS, r.CurrentDynos, r.Workers, src)
	ew.printf("App time per request, queueing taken out: p50 %s ms, p99 %s ms, max %s ms.\n",
		fmtMean(r.App.P50MS), fmtMean(r.App.P99MS), fmtMean(r.App.MaxMS))
	scale := ""
	if r.Scale != 1 {
		scale = fmt.Sprintf(" at %gx the traffic", r.Scale)
	}
	ew.printf("Little's law%s: %.2f workers busy on average = %.2f dynos at 100%% busy, %.2f at 70%%.\n",
		scale, r.OfferedLoad, r.LittlesLawDynos, r.LittlesLawDynos70)
	ew.printf("Model check, %d dynos × %d workers, random routing: queue p99 %s ms in the log, %s ms simulated (mean %s / %s ms).\n",
		r.Check.Dynos, r.Check.Workers, fmtMean(r.Check.Observed.P99MS), fmtMean(r.Check.Simulated.P99MS),
		fmtMean(r.Check.Observed.MeanMS), fmtMean(r.Check.Simulated.MeanMS))
	if len(r.SlowRoutes) > 0 {
		names := make([]string, len(r.SlowRoutes))
		for i, s := range r.SlowRoutes {
			names[i] = Sanitize(s)
		}
		ew.printf("Slow routes (slow-fast pool): %s (%s requests).\n", strings.Join(names, ", "), commas(r.SlowRequests))
	}
	ew.printf("Target: %s. Queue and total times in ms; H12 = requests over 30 s.\n\n", r.Target)
	if ew.err != nil {
		return ew.err
	}
	price := r.PricePerDyno > 0
	header := []string{"DYNOS", "ROUTING", "UTIL", "QUEUE P50", "QUEUE P99", "QUEUE P99.9", "QUEUE MAX", "TOTAL P99", "H12"}
	if price {
		header = append(header, "$/MONTH")
	}
	header = append(header, strings.ToUpper(r.Target.Metric+" "+r.Target.Of), "")
	t := planTable(w, len(header))
	t.Header(header)
	first := ""
	if len(r.Recommended) > 0 {
		first = r.Recommended[0].Routing
	}
	for _, row := range r.Rows {
		routing := row.Routing
		if row.SlowDynos > 0 {
			routing = fmt.Sprintf("%s (%d slow)", routing, row.SlowDynos)
		}
		cells := []string{strconv.Itoa(row.Dynos), routing,
			strconv.FormatFloat(100*row.Utilisation, 'f', 0, 64) + "%",
			fmtMean(row.QueueP50MS), fmtMean(row.QueueP99MS), fmtMean(row.QueueP999MS), fmtMean(row.QueueMaxMS),
			fmtMean(row.TotalP99MS), commas(row.H12)}
		if price {
			cost := "-"
			if row.CostPerMonth != nil {
				cost = fmtDollars(*row.CostPerMonth)
			}
			cells = append(cells, cost)
		}
		ok := "✗"
		if row.MeetsTarget {
			ok = "✓"
		}
		cells = append(cells, ok)
		var marks []string
		if row.Recommended {
			marks = append(marks, "◀ smallest")
		}
		if row.Current {
			marks = append(marks, "current")
		}
		cells = append(cells, strings.Join(marks, ", "))
		if row.Recommended && o.Color {
			code := ansiBold
			if row.Routing == first {
				code = planGreen
			}
			for i := range cells {
				cells[i] = paint(true, code, cells[i])
			}
		}
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	ew.printf("\n")
	var others []string
	for i, rec := range r.Recommended {
		cost := ""
		if rec.CostPerMonth != nil {
			cost = ", " + fmtDollars(*rec.CostPerMonth) + "/month"
		}
		if i > 0 {
			if rec.Dynos == 0 {
				others = append(others, rec.Routing+" none simulated")
			} else {
				others = append(others, fmt.Sprintf("%s %d%s", rec.Routing, rec.Dynos, cost))
			}
			continue
		}
		routing := rec.Routing + " routing"
		if rec.Routing == "random" {
			routing = "random routing (Heroku's router)"
		}
		line := fmt.Sprintf("Recommendation: %d dynos × %d workers with %s%s.", rec.Dynos, r.Workers, routing, cost)
		if rec.Dynos == 0 {
			line = fmt.Sprintf("Recommendation: none; no dyno count simulated meets the target with %s (try --dynos with more).", routing)
		}
		ew.printf("%s\n", paint(o.Color, planGreen, line))
	}
	if len(others) > 0 {
		ew.printf("Smallest dyno count meeting the target with other routing: %s.\n", strings.Join(others, "; "))
	}
	for _, n := range r.Notes {
		ew.printf("Note: %s\n", Sanitize(n))
	}
	return ew.err
}

// planTable returns a table like newTable's, with the routing column
// aligned left.
func planTable(w io.Writer, ncols int) *tablewriter.Table {
	align := make(tw.Alignment, ncols)
	for i := range align {
		align[i] = tw.AlignRight
	}
	align[1], align[ncols-1] = tw.AlignLeft, tw.AlignLeft
	return tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.Border{Left: tw.Off, Right: tw.Off, Top: tw.Off, Bottom: tw.Off},
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
			Symbols: tw.NewSymbols(tw.StyleLight),
		})),
	)
}

// fmtDollars formats dollars with cents only when there are any: "$75",
// "$87.50".
func fmtDollars(v float64) string {
	if v == float64(int64(v)) {
		return "$" + commas(int64(v))
	}
	return "$" + strconv.FormatFloat(v, 'f', 2, 64)
}
