package output

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herolog/herolog/aggregate"
)

// LiveSnapshot is one frame of `herolog live`: the rolling window's groups
// (Total, Groups, with the same shape as a Report's), the since-start
// numbers and the recent slow and failed requests. Durations are ms, rates
// per second, times RFC 3339 UTC.
type LiveSnapshot struct {
	// Type is always "snapshot", so a stream of snapshots followed by the
	// final Report can be told apart line by line.
	Type string `json:"type"`
	By   string `json:"by"`
	// WindowStart and WindowEnd bound the rolling window in log time.
	WindowStart   string            `json:"window_start"`
	WindowEnd     string            `json:"window_end"`
	WindowSeconds float64           `json:"window_seconds"`
	Total         aggregate.Group   `json:"total"`
	Groups        []aggregate.Group `json:"groups"`

	SinceStart LiveSince `json:"since_start"`

	// Lines counts the records read since the start, by kind.
	Lines aggregate.Lines `json:"lines"`
	// LinesPerSecond is records read per wall-clock second since the
	// previous snapshot (that snapshot's rate when this one is taken at
	// the same wall-clock instant).
	LinesPerSecond float64 `json:"lines_per_second"`
	// DroppedLines is what Heroku itself reported as dropped (L10, L11...):
	// when non-zero every number here is incomplete.
	DroppedLines int64 `json:"dropped_lines"`
	// LateRequests arrived after their window had passed and are only in
	// the since-start numbers.
	LateRequests int64                   `json:"late_requests"`
	Slowest      []aggregate.SlowRequest `json:"slowest"`
	Errors       []aggregate.ErrorLine   `json:"errors"`
}

// LiveSince is the since-start part of a snapshot: the same numbers
// `analyze` reports for everything read so far.
type LiveSince struct {
	Start       string            `json:"start"`
	End         string            `json:"end"`
	SpanSeconds float64           `json:"span_seconds"`
	Total       aggregate.Group   `json:"total"`
	Groups      []aggregate.Group `json:"groups"`
}

// NewLiveSnapshot assembles a snapshot from the window and since-start
// reports.
func NewLiveSnapshot(win *aggregate.WindowReport, since *aggregate.Report) *LiveSnapshot {
	return &LiveSnapshot{
		Type: "snapshot", By: win.By,
		WindowStart: win.Start, WindowEnd: win.End, WindowSeconds: win.Seconds,
		Total: win.Total, Groups: win.Groups,
		SinceStart: LiveSince{
			Start: since.Start, End: since.End, SpanSeconds: since.SpanSeconds,
			Total: since.Total, Groups: since.Groups,
		},
		Lines: since.Lines, DroppedLines: since.DroppedLines, LateRequests: win.Late,
		Slowest: []aggregate.SlowRequest{}, Errors: []aggregate.ErrorLine{},
	}
}

// LiveJSON writes s as one line of JSON (NDJSON).
func LiveJSON(w io.Writer, s *LiveSnapshot) error {
	FixUTF8(s)                          // JSON holds only valid UTF-8: keep bad bytes as \xNN
	return json.NewEncoder(w).Encode(s) // Encode ends with a newline
}

// LiveOptions control the text renderings of a snapshot.
type LiveOptions struct {
	Color bool // ANSI colour and emphasis
	// Width and Height bound the screen in cells; 0 means unbounded (the
	// plain-text snapshot).
	Width, Height int
	// Keys adds the key help to the header (only when keys are read).
	Keys bool
}

// sgr codes.
const (
	sgrReset = "\x1b[0m"
	sgrBold  = "\x1b[1m"
	sgrRed   = "\x1b[1;31m"
	sgrWarn  = "\x1b[1;37;41m"
	sgrDim   = "\x1b[2m"
)

// liveLine is one line of a frame: plain text and an optional style.
type liveLine struct {
	text  string
	style string
}

// LiveText writes s as a plain-text block (one snapshot of a non-terminal
// `herolog live`), ended by a blank line.
func LiveText(w io.Writer, s *LiveSnapshot, o LiveOptions) error {
	bw := bufio.NewWriter(w)
	for _, l := range liveLines(s, o) {
		writeStyled(bw, l, o.Color)
		bw.WriteByte('\n')
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// LiveScreen writes s as a full-screen frame for a terminal in raw mode:
// cursor home, each line cut to o.Width and cleared to its end, at most
// o.Height lines, then the rest of the screen cleared. Lines end in
// "\r\n" because raw mode turns off output newline translation.
func LiveScreen(w io.Writer, s *LiveSnapshot, o LiveOptions) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("\x1b[H")
	lines := liveLines(s, o)
	if o.Height > 0 && len(lines) > o.Height {
		lines = lines[:o.Height]
	}
	for i, l := range lines {
		writeStyled(bw, l, o.Color)
		bw.WriteString("\x1b[K")
		if i < len(lines)-1 {
			bw.WriteString("\r\n")
		}
	}
	bw.WriteString("\x1b[J")
	return bw.Flush()
}

func writeStyled(w *bufio.Writer, l liveLine, color bool) {
	if color && l.style != "" {
		w.WriteString(l.style)
		w.WriteString(l.text)
		w.WriteString(sgrReset)
		return
	}
	w.WriteString(l.text)
}

// liveLines lays a snapshot out as lines of at most o.Width cells.
func liveLines(s *LiveSnapshot, o LiveOptions) []liveLine {
	var out []liveLine
	add := func(style, format string, args ...any) {
		t := fmt.Sprintf(format, args...)
		if o.Width > 0 {
			t = liveCut(t, o.Width)
		}
		out = append(out, liveLine{text: t, style: style})
	}
	span := liveSpan(s.WindowSeconds)
	head := fmt.Sprintf("herolog live · by %s · window %s ending %s", s.By, span, liveClock(s.WindowEnd))
	if o.Keys {
		head += " · keys: d dyno, r route, c code, q quit"
	}
	add(sgrBold, "%s", head)
	add("", "lines %d (%s/s) · unparsed %d · requests %d · late %d",
		s.Lines.Total, liveRate(s.LinesPerSecond), s.Lines.Unparsed+s.Lines.Malformed+s.Lines.Oversize,
		s.SinceStart.Total.Requests, s.LateRequests)
	if s.DroppedLines > 0 {
		add(sgrWarn, "!! HEROKU DROPPED %d LOG LINES (logplex L10/L11): every number here is incomplete !!", s.DroppedLines)
	}
	add("", "")

	keyW := len(s.By)
	since := make(map[string]*aggregate.Group, len(s.SinceStart.Groups))
	for i := range s.SinceStart.Groups {
		g := &s.SinceStart.Groups[i]
		since[g.Key] = g
	}
	type row struct {
		key string
		win *aggregate.Group
		all *aggregate.Group
	}
	var rows []row
	seen := make(map[string]bool, len(s.Groups))
	for i := range s.Groups {
		g := &s.Groups[i]
		rows = append(rows, row{g.Key, g, since[g.Key]})
		seen[g.Key] = true
	}
	for i := range s.SinceStart.Groups {
		g := &s.SinceStart.Groups[i]
		if !seen[g.Key] {
			rows = append(rows, row{g.Key, nil, g})
		}
	}
	const maxKeyW = 40
	for _, r := range rows {
		if n := utf8.RuneCountInString(Sanitize(r.key)); n > keyW {
			keyW = n
		}
	}
	if keyW > maxKeyW {
		keyW = maxKeyW
	}
	// Leave room on a screen for the slow and error lists.
	maxRows := len(rows)
	if o.Height > 0 {
		budget := o.Height - len(out) - 4 - 12
		if budget < 3 {
			budget = 3
		}
		if maxRows > budget {
			maxRows = budget
		}
	}
	winHdr := "last " + span
	sinceHdr := "since start (" + liveSpan(s.SinceStart.SpanSeconds) + ")"
	add(sgrDim, "%-*s  %-46s  %s", keyW, "", "── "+winHdr+" "+strings.Repeat("─", max(0, 42-len(winHdr))), "── "+sinceHdr+" ──")
	add(sgrBold, "%-*s  %7s %6s %6s %7s %5s %4s %-10s  %7s %6s %7s %4s %s",
		keyW, strings.ToUpper(s.By), "req/s", "p50", "p99", "max", "conn", "5xx", "H-codes",
		"req/s", "p99", "max", "5xx", "H-codes")
	var notes []liveLine
	for i, r := range rows {
		if i == maxRows {
			add(sgrDim, "… %d more", len(rows)-maxRows)
			break
		}
		key := liveCut(Sanitize(r.key), keyW)
		win, all := "", ""
		style := ""
		if g := r.win; g != nil {
			win = fmt.Sprintf("%7s %6d %6d %7d %5d %4d %-10s", liveRate(g.RPS), g.Service.P50, g.Service.P99, g.Service.Max,
				g.Connect.Max, g.Status.S5xx, liveCut(liveCodes(g.Codes), 10))
			if g.Outlier != "" {
				style = sgrRed
				notes = append(notes, liveLine{text: "  ▲ " + Sanitize(r.key) + " (last " + span + "): " + g.Outlier, style: sgrRed})
			}
		} else {
			win = fmt.Sprintf("%7s %6s %6s %7s %5s %4s %-10s", "-", "", "", "", "", "", "")
		}
		if g := r.all; g != nil {
			all = fmt.Sprintf("%7s %6d %7d %4d %s", liveRate(g.RPS), g.Service.P99, g.Service.Max, g.Status.S5xx, liveCodes(g.Codes))
			if g.Outlier != "" && r.key != aggregate.OtherKey {
				if style == "" {
					style = sgrBold
				}
				notes = append(notes, liveLine{text: "  ▲ " + Sanitize(r.key) + " (since start): " + g.Outlier, style: sgrBold})
			}
		}
		mark := " "
		if style != "" {
			mark = "▲"
		}
		add(style, "%-*s%s %s  %s", keyW, key, mark, win, all)
	}
	t, a := &s.Total, &s.SinceStart.Total
	add(sgrBold, "%-*s  %7s %6d %6d %7d %5d %4d %-10s  %7s %6d %7d %4d %s", keyW, "total",
		liveRate(t.RPS), t.Service.P50, t.Service.P99, t.Service.Max, t.Connect.Max, t.Status.S5xx, liveCut(liveCodes(t.Codes), 10),
		liveRate(a.RPS), a.Service.P99, a.Service.Max, a.Status.S5xx, liveCodes(a.Codes))
	for _, n := range notes {
		if o.Width > 0 {
			n.text = liveCut(n.text, o.Width)
		}
		out = append(out, n)
	}

	listMax := len(s.Slowest)
	errMax := len(s.Errors)
	if o.Height > 0 {
		left := o.Height - len(out) - 4
		if left < 0 {
			left = 0
		}
		listMax = min(listMax, left/2)
		errMax = min(errMax, left-listMax)
	}
	add("", "")
	add(sgrBold, "Slowest requests, last %s", span)
	if len(s.Slowest) == 0 {
		add(sgrDim, "  (none)")
	}
	for _, r := range s.Slowest[:listMax] {
		add("", "  %s  %-8s %7d ms  %s %s  %s", liveClock(r.Time), Sanitize(r.Dyno), r.ServiceMS, Sanitize(r.Method),
			Sanitize(r.Path), Sanitize(r.RequestID))
	}
	add("", "")
	add(sgrBold, "Recent errors")
	if len(s.Errors) == 0 {
		add(sgrDim, "  (none)")
	}
	// Newest last, so keep the tail when there is no room for all.
	for _, e := range s.Errors[len(s.Errors)-errMax:] {
		add("", "  %s  %-8s %-4s %s", liveClock(e.Time), Sanitize(e.Process), Sanitize(e.Code), Sanitize(e.Message))
	}
	return out
}

// liveCodes renders codes as "H12:2 H13:1", sorted; "-" when none.
func liveCodes(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Sanitize(k))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(m[k], 10))
	}
	return b.String()
}

// liveCut shortens s to at most n runes, ending in "…" when cut.
func liveCut(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n == 1 {
		return "…"
	}
	return string(r[:n-1]) + "…"
}

// liveRate formats a rate with one decimal below 100, none above.
func liveRate(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// liveSpan renders seconds as "45s", "1m", "1m30s", "2h5m".
func liveSpan(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		m, sec := int(d/time.Minute), int(d%time.Minute/time.Second)
		if sec == 0 {
			return strconv.Itoa(m) + "m"
		}
		return strconv.Itoa(m) + "m" + strconv.Itoa(sec) + "s"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
}

// liveClock shows the time of day (UTC) of an RFC 3339 time, or the input
// when it does not parse.
func liveClock(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Sanitize(ts)
	}
	return t.UTC().Format("15:04:05Z")
}
