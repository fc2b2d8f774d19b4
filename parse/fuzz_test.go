package parse

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
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
	})
}
