package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herolog/herolog/internal/gen"
	"github.com/herolog/herolog/parse"
)

// TestExportParallelMatchesSequential: export parses a log of several
// chunks in parallel and writes the same files, byte for byte, as feeding
// every record in order to the sinks on one goroutine: the requests file,
// the events file, and every part file of an hourly lake.
func TestExportParallelMatchesSequential(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// Some 7 MB, so four 2 MiB chunks, over three hours.
	if _, err := gen.New(gen.Config{Seed: 7, Duration: 3 * time.Hour, Rate: 3}).WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, err := os.Stat(logPath); err != nil {
		t.Fatal(err)
	} else if fi.Size() < 3*2<<20 {
		t.Fatalf("the log has %d bytes, too few for several chunks", fi.Size())
	}

	// What a sequential export writes.
	seq := func(req, ev sink) {
		t.Helper()
		in, err := os.Open(logPath)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		rd := parse.NewReader(in, nil)
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch r.Kind {
			case parse.KindRouter:
				err = req.add(logPath, r)
			case parse.KindDyno, parse.KindMetrics, parse.KindLogplex:
				if ev != nil {
					err = ev.add(logPath, r)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []sink{req, ev} {
			if s != nil {
				if err := s.finish(true); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	open := func(path, part string, nw newRowWriter) sink {
		t.Helper()
		s, err := openSink(path, part, false, nw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	seq(open(filepath.Join(dir, "want-r.parquet"), "", newRequests), open(filepath.Join(dir, "want-e.parquet"), "", newEvents))
	seq(open(filepath.Join(dir, "want-lake"), "hour", newRequests), nil)

	for _, args := range [][]string{
		{"export", logPath, "-o", filepath.Join(dir, "r.parquet"), "--events", filepath.Join(dir, "e.parquet")},
		{"export", logPath, "-o", filepath.Join(dir, "lake"), "--partition", "hour"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
	}
	same := func(got, want string) {
		t.Helper()
		g, err := os.ReadFile(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Errorf("%s: %d bytes, differs from the sequential %s (%d bytes)", got, len(g), want, len(w))
		}
	}
	same(filepath.Join(dir, "r.parquet"), filepath.Join(dir, "want-r.parquet"))
	same(filepath.Join(dir, "e.parquet"), filepath.Join(dir, "want-e.parquet"))
	parts := 0
	err = filepath.WalkDir(filepath.Join(dir, "want-lake"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(dir, "want-lake"), p)
		same(filepath.Join(dir, "lake", rel), p)
		parts++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if parts < 2 {
		t.Fatalf("the lake has %d part files; the test wants several partitions", parts)
	}
}

// TestFramedInputInPieces: octet-counted input, read sequentially, goes to
// a new sink every framedRecords records; analyze's report and export's
// file come out as with one sink.
func TestFramedInputInPieces(t *testing.T) {
	dir := t.TempDir()
	_, _, _, framed, _ := scanFixtures(t, dir)
	wantRep, wantErr, _ := runScan(t, []string{framed}, false, true)
	run1 := func(out string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run([]string{"export", framed, "-o", out, "--events", out + ".events"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	run1(filepath.Join(dir, "one.parquet"))

	old := framedRecords
	framedRecords = 1000
	defer func() { framedRecords = old }()
	rep, errMsg, _ := runScan(t, []string{framed}, false, true)
	if rep != wantRep || errMsg != wantErr {
		t.Errorf("report in pieces differs:\n%s", firstDiff(rep, wantRep))
	}
	run1(filepath.Join(dir, "pieces.parquet"))
	for _, ext := range []string{"", ".events"} {
		a, err := os.ReadFile(filepath.Join(dir, "one.parquet"+ext))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "pieces.parquet"+ext))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("export%s of framed input in pieces differs from one piece", ext)
		}
	}
}
