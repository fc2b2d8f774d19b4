package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var keepScreenshot = flag.String("screenshot", "", "TestHTMLInBrowser copies its screenshot of the report to this file (for docs/report.png)")

// chromiumPath finds a Chromium-family browser, "" when there is none.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// headless runs the browser headless on a closed network (no background
// requests, no QUIC, a throwaway profile) with extra arguments and
// returns stdout and stderr.
func headless(t *testing.T, browser string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
		"--enable-logging=stderr", "--v=0",
	}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", browser, args, err, errb.String())
	}
	return out.String(), errb.String()
}

// consoleLine matches what Chromium logs for console messages and
// uncaught exceptions with --enable-logging=stderr.
var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

// TestHTMLInBrowser opens the report for the sample in headless Chromium
// and checks that it rendered: no script error or console message, the
// script's success marker set, the spectrum SVG with one drawn line per
// dyno, and a screenshot that is not blank. It runs in CI (which installs
// Debian's chromium) and skips only outside CI when no browser is found.
func TestHTMLInBrowser(t *testing.T) {
	browser := chromiumPath()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but no chromium is installed (.ci/steps/30-chromium.sh installs it)")
		}
		t.Skip("no chromium on PATH: install it (apt-get install chromium) to run the browser test")
	}
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		fragment string // appended to the page's address
		lines    int    // spectrum lines drawn: 2 scales × (groups + all requests)
		viewBox  string // the timeline plots' viewBox starts so after load
		zoomed   string // the timeline's data-view, "" when not zoomed
	}{
		{name: "by dyno, the tail sections' timeline", lines: 2 * (4 + 1), viewBox: "0 0 15 "},
		{name: "by minute without the sections, zoomed by the address", args: []string{"--by", "minute", "--section", "routes"},
			fragment: "#zoom=3-7", lines: 2 * (12 + 1), viewBox: "3 0 4 ", zoomed: "3-7"},
	}
	var page string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("report%d.html", i))
			if _, stderr, code := htmlRun(t, append([]string{"analyze", htmlSample, "--html", p}, tt.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if i == 0 {
				page = p
			}
			dom, logs := headless(t, browser, "--dump-dom", "file://"+p+tt.fragment)
			checkRendered(t, dom, logs, tt.lines)
			view := regexp.MustCompile(`<svg id="timeline-chart"[^>]*data-view="([^"]*)"`).FindStringSubmatch(dom)
			if (view == nil) != (tt.zoomed == "") || (view != nil && view[1] != tt.zoomed) {
				t.Errorf("timeline view %v, want %q", view, tt.zoomed)
			}
			plots := regexp.MustCompile(`<svg class="tl-plot"[^>]*viewBox="([^"]*)"`).FindAllStringSubmatch(dom, -1)
			if len(plots) != 3 {
				t.Fatalf("%d timeline plots, want 3", len(plots))
			}
			for _, m := range plots {
				if !strings.HasPrefix(m[1], tt.viewBox) {
					t.Errorf("timeline plot viewBox %q, want it to start %q", m[1], tt.viewBox)
				}
			}
			if ticks := regexp.MustCompile(`(?s)<g class="axis x tl-xticks">(.*?)</g>`).FindStringSubmatch(dom); ticks == nil || !strings.Contains(ticks[1], ">14:05</text>") {
				t.Errorf("the time axis has no 14:05 tick: %v", ticks)
			}
			if !regexp.MustCompile(`<path class="p99" d="M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){3,}"`).MatchString(dom) {
				t.Error("the timeline has no p99 line")
			}
		})
	}
	if page == "" {
		t.FailNow()
	}
	url := "file://" + page
	shot := filepath.Join(dir, "report.png")
	headless(t, browser, "--screenshot="+shot, "--window-size=1000,2150", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 2150 {
		t.Errorf("screenshot is %v, want 1000×2150", b)
	}
	if n := colours(img); n < 8 {
		t.Errorf("screenshot has %d colours: blank or unstyled", n)
	}
	if *keepScreenshot != "" {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*keepScreenshot, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRendered checks a dumped DOM and the browser's log: no console
// message or caught script error, the page's rendered marker, the
// spectrum's lines and the group table.
func checkRendered(t *testing.T, dom, logs string, lines int) {
	t.Helper()
	if m := consoleLine.FindAllString(logs, -1); len(m) > 0 {
		t.Errorf("console messages while loading the report:\n%s", strings.Join(m, "\n"))
	}
	if regexp.MustCompile(`<html[^>]*data-script-error`).MatchString(dom) {
		t.Errorf("the page caught a script error: %s", regexp.MustCompile(`(?s)<pre id="script-errors"[^>]*>(.*?)</pre>`).FindString(dom))
	}
	if !strings.Contains(dom, `<body data-rendered="ok">`) {
		t.Errorf("the page did not mark itself rendered: %.300s", regexp.MustCompile(`<body[^>]*>`).FindString(dom))
	}
	svg := regexp.MustCompile(`(?s)<svg id="spectrum-chart".*?</svg>`).FindString(dom)
	if svg == "" {
		t.Fatal("no spectrum chart in the DOM")
	}
	// Each line has one point per spectrum percentile.
	paths := regexp.MustCompile(`<path d="M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){11}"`).FindAllString(svg, -1)
	if len(paths) != lines {
		t.Errorf("spectrum chart has %d drawn lines, want %d", len(paths), lines)
	}
	if n := strings.Count(svg, "<circle"); n != lines*12 {
		t.Errorf("spectrum chart has %d points, want %d", n, lines*12)
	}
	if !strings.Contains(dom, `class="sortable" id="group-table"`) {
		t.Error("no group table in the DOM")
	}
}

// colours counts the distinct colours of a sample of an image's pixels
// (up to 64 is enough to tell a drawn page from a blank one).
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 64 {
				return len(seen)
			}
		}
	}
	return len(seen)
}
