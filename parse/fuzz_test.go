package parse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedFuzz adds every line and every whole file under testdata/corpus.
func seedFuzz(f *testing.F, whole bool) {
	files, _ := filepath.Glob("../testdata/corpus/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if whole {
			f.Add(b)
			continue
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
}

// checkRecord asserts the invariants every parsed record keeps.
func checkRecord(t *testing.T, r *Record) {
	t.Helper()
	if r.Kind >= NumKinds {
		t.Fatalf("kind %d out of range", r.Kind)
	}
	for name, v := range map[string]int64{"connect": r.Connect, "service": r.Service, "status": r.Status, "bytes": r.Bytes, "queue": r.Queue, "wait": r.Wait} {
		if v < Missing || v > MaxValue {
			t.Fatalf("%s = %d out of range", name, v)
		}
	}
	if r.Kind == KindRouter && r.Method == "" && r.Code == "" {
		t.Fatalf("router record without method or code: %q", r.Message)
	}
}

func FuzzParse(f *testing.F) {
	seedFuzz(f, false)
	p := NewParser()
	var r Record
	f.Fuzz(func(t *testing.T, line []byte) {
		p.Parse(line, &r)
		checkRecord(t, &r)
	})
}

func FuzzReader(f *testing.F) {
	seedFuzz(f, true)
	for _, tc := range lookAheadCases {
		f.Add([]byte(tc))
	}
	whole, p := NewReader(nil, nil), NewParser()
	whole.MaxLine = 4096
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data), nil)
		rd.MaxLine = 4096
		var n int64
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("unexpected error on in-memory input: %v", err)
			}
			checkRecord(t, r)
			n++
			if n > int64(len(data))+1 {
				t.Fatalf("more records (%d) than bytes (%d)", n, len(data))
			}
		}
		if rd.Offset() != int64(len(data)) {
			t.Fatalf("consumed %d of %d bytes", rd.Offset(), len(data))
		}
		if bytes.IndexByte(data, 0x1b) >= 0 || bytes.IndexByte(data, '#') >= 0 {
			// (Without either byte the look-ahead can only say "none",
			// as Parse's own searches would.)
			compareReaders(t, whole, p, data)
		}
	})
}

// compareReaders checks that a Reader given data whole (ResetBytes, as a
// chunk, where its look-ahead for ESC and '#' spans many lines) reads each
// line exactly as Parse reads that line alone.
func compareReaders(t *testing.T, rd *Reader, p *Parser, data []byte) {
	t.Helper()
	rd.ResetBytes(data, 0, 0)
	var want Record
	for n := 0; ; n++ {
		got, err := rd.Next()
		if err != nil {
			return
		}
		if got.Format == FormatFrame || got.Kind == KindOversize {
			continue // frames are parsed by Parse itself
		}
		line := data[got.Offset:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		want.Line, want.Offset = got.Line, got.Offset
		p.Parse(line, &want)
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("record %d differs:\nReader %+v\nParse  %+v", n, *got, want)
		}
	}
}

// lookAheadCases are logs whose router lines are read differently when
// the Reader's look-ahead for ESC or '#' misses a line: ANSI colour inside
// a router line, "sample#" in one, either one line after or several lines
// after the one before.
var lookAheadCases = []string{
	"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/\" host=h request_id=r fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3 protocol=https\n" +
		"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/a\x1b[31mb\" host=h request_id=r fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3 protocol=https\n" +
		"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/\" host=h fwd=\"1.2.3.4\" dyno=web.2 connect=1ms service=\x1b[0m5ms status=200 bytes=3\n",
	"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/x\" host=h fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3\n" +
		"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info sample#load=1 method=GET path=\"/\" host=h fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3\n" +
		"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/#frag\" host=h fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3\n" +
		"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/x\" host=h fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3\n" +
		"2026-11-20T14:00:00.101272+00:00 heroku[router]: at=info method=GET path=\"/y\" host=h fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=2ms status=200 bytes=3 sample#x=1",
}

func TestReaderLookAheadMatchesParse(t *testing.T) {
	rd, p := NewReader(nil, nil), NewParser()
	for i, tc := range lookAheadCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			compareReaders(t, rd, p, []byte(tc))
			// The same lines read through a small buffer, which fill moves.
			rd2 := NewReader(strings.NewReader(tc+tc), nil)
			rd2.buf = make([]byte, 200)
			for {
				got, err := rd2.Next()
				if err != nil {
					break
				}
				var want Record
				line := []byte(tc + tc)[got.Offset:]
				if j := bytes.IndexByte(line, '\n'); j >= 0 {
					line = line[:j]
				}
				want.Line, want.Offset = got.Line, got.Offset
				NewParser().Parse(line, &want)
				if !reflect.DeepEqual(*got, want) {
					t.Fatalf("streamed record at %d differs:\nReader %+v\nParse  %+v", got.Offset, *got, want)
				}
			}
		})
	}
}
