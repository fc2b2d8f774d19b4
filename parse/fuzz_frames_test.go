package parse

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// frame returns body as one RFC 6587 octet-counted frame: "LEN body".
func frame(body []byte) []byte {
	return append(strconv.AppendInt(nil, int64(len(body)), 10), append([]byte{' '}, body...)...)
}

// seedFrames adds the frame bodies found in the corpus's drain bodies and
// in testdata/hostile, split into pairs.
func seedFrames(f *testing.F) {
	var bodies [][]byte
	names, _ := filepath.Glob("../testdata/corpus/*.bin")
	more, _ := filepath.Glob("../testdata/hostile/frames-*")
	for _, name := range append(names, more...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for len(b) > 0 {
			i := bytes.IndexByte(b, '<')
			if i < 0 {
				break
			}
			b = b[i+1:]
			j := bytes.IndexByte(b, '<')
			if j < 0 {
				j = len(b)
			}
			bodies = append(bodies, b[:j])
			b = b[j:]
		}
	}
	bodies = append(bodies, []byte("158>1 2026-11-20T14:00:01.000000+00:00 host heroku router - at=info method=GET path=\"/\" host=a fwd=\"1\" dyno=web.1 connect=1ms service=2ms status=200 bytes=1"), []byte(""), []byte("\n"), []byte("1>"))
	for i := range bodies {
		next := bodies[(i+1)%len(bodies)]
		f.Add(bodies[i], next, i%2 == 0)
	}
}

// FuzzFrames feeds the Reader two octet-counted frames, back to back,
// each with or without a final newline inside its count, with arbitrary bodies (each starting with "<", as
// frames do). Whatever the bodies hold (newlines, digits, "<", NULs), the
// Reader must return exactly two FormatFrame records at the right offsets,
// consume every byte, and keep the record invariants.
func FuzzFrames(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, a, b []byte, newline bool) {
		body := func(x []byte) []byte {
			b := append([]byte{'<'}, x...)
			if newline { // the drain form: the count includes a final newline
				b = append(b, '\n')
			}
			return b
		}
		fa, fb := frame(body(a)), frame(body(b))
		in := append(append([]byte{}, fa...), fb...)
		rd := NewReader(bytes.NewReader(in), nil)
		wantOffsets := []int64{0, int64(len(fa))}
		var n int
		for {
			r, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("unexpected error on in-memory input: %v", err)
			}
			checkRecord(t, r)
			if n >= 2 {
				t.Fatalf("record %d (%s at offset %d) from a stream of two frames %.300q", n+1, r.Kind, r.Offset, in)
			}
			if r.Format != FormatFrame {
				t.Errorf("record %d: format %s, want frame (kind %s, %.300q)", n+1, r.Format, r.Kind, in)
			}
			if r.Offset != wantOffsets[n] {
				t.Errorf("record %d: offset %d, want %d (%.300q)", n+1, r.Offset, wantOffsets[n], in)
			}
			if r.Line != 1 && n == 0 {
				t.Errorf("first record on line %d", r.Line)
			}
			n++
		}
		if n != 2 {
			t.Fatalf("%d records from a stream of two frames %.300q", n, in)
		}
		if rd.Offset() != int64(len(in)) {
			t.Fatalf("consumed %d of %d bytes", rd.Offset(), len(in))
		}
		if want := int64(bytes.Count(in, []byte{'\n'})); rd.Line() < want {
			t.Fatalf("counted %d lines, the input has %d newlines", rd.Line(), want)
		}
	})
}
