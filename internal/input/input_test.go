package input

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestReaderAt: only an uncompressed regular file is offered as an
// io.ReaderAt, with its size; its bytes count in RawBytes; a read past
// the end of a file that shrank after it was opened is a truncation that
// names the file; and Read still reads the whole file.
func TestReaderAt(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("2014-09-26T02:24:49+00:00 app[web.1]: hello\n", 100)
	plain := filepath.Join(dir, "plain.log")
	if err := os.WriteFile(plain, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(text))
	zw.Close()
	gz := filepath.Join(dir, "plain.log.gz")
	if err := os.WriteFile(gz, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		file   string
		wantAt bool
	}{
		{"plain file", plain, true},
		{"gzip file", gz, false},
		{"stdin", Stdin, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.file, strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ra, size, ok := s.ReaderAt()
			if ok != tc.wantAt {
				t.Fatalf("ReaderAt ok = %v, want %v", ok, tc.wantAt)
			}
			if !ok {
				b, err := io.ReadAll(s)
				if err != nil || string(b) != text {
					t.Fatalf("Read: %d bytes, %v", len(b), err)
				}
				return
			}
			if size != int64(len(text)) || s.Compression != "none" {
				t.Fatalf("size %d, compression %q", size, s.Compression)
			}
			buf := make([]byte, 100)
			if n, err := ra.ReadAt(buf, 50); n != 100 || err != nil || string(buf) != text[50:150] {
				t.Fatalf("ReadAt: %d, %v, %q", n, err, buf[:n])
			}
			if got := s.RawBytes(); got != 100 {
				t.Fatalf("RawBytes %d after reading 100 bytes", got)
			}
			if err := os.Truncate(tc.file, 120); err != nil {
				t.Fatal(err)
			}
			_, err = ra.ReadAt(buf, 100)
			if err == nil || !strings.Contains(err.Error(), tc.file+": unexpected end of data") {
				t.Fatalf("ReadAt past a shrunk file's end: %v", err)
			}
		})
	}
}
