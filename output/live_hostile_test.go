package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/parse"
)

// ownEscapes are the sequences LiveScreen itself writes: CSI cursor,
// erase and colour commands.
var ownEscapes = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// TestLiveScreenHostile renders the live screen and text snapshot of every
// file in testdata/hostile, grouped by dyno, route and code, and checks
// that once the renderer's own CSI sequences are taken out nothing unsafe
// is left: log text (paths, hosts, dynos, descriptions, app lines in the
// error list) reaches the terminal only through Sanitize.
func TestLiveScreenHostile(t *testing.T) {
	files, _ := filepath.Glob("../testdata/hostile/*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range []aggregate.By{aggregate.ByDyno, aggregate.ByRoute, aggregate.ByCode} {
			win := aggregate.NewWindow(aggregate.WindowOptions{By: by, Span: time.Minute})
			since := aggregate.New(aggregate.Options{By: by, MaxGroups: 5})
			slow := aggregate.NewSlowest(8, time.Minute)
			errs := aggregate.NewRecentErrors(8)
			rd := parse.NewReader(bytes.NewReader(data), nil)
			var last int64
			for {
				r, err := rd.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					break // truncated archives: what was read is enough
				}
				tm := last
				if r.HasTime {
					tm, last = r.Time, r.Time
				}
				win.Add(r, tm)
				since.Add(r)
				slow.Add(r, tm)
				errs.Add(r, tm)
			}
			s := NewLiveSnapshot(win.Report(last), since.Report())
			s.Slowest = slow.Report(last)
			s.Errors = errs.Report()
			for _, screen := range []bool{true, false} {
				for _, color := range []bool{true, false} {
					var out bytes.Buffer
					o := LiveOptions{Color: color, Width: 120, Height: 50, Keys: true}
					if screen {
						err = LiveScreen(&out, s, o)
					} else {
						err = LiveText(&out, s, LiveOptions{Color: color})
					}
					if err != nil {
						t.Fatal(err)
					}
					rest := strings.ReplaceAll(ownEscapes.ReplaceAllString(out.String(), ""), "\r\n", "\n")
					if bad := TerminalUnsafe(rest); bad != "" {
						t.Errorf("%s by %s (screen %v, color %v): %s reaches the terminal", filepath.Base(name), by, screen, color, bad)
					}
				}
			}
		}
	}
}
