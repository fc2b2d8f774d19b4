// Package input opens the files herolog reads: plain, gzip, bzip2 or zstd
// (sniffed from magic bytes, not the name), standard input as "-", and
// directories (every regular file below, in name order).
package input

import (
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Stdin is the name that means standard input.
const Stdin = "-"

// Source is one opened input.
type Source struct {
	Name        string // as given (or found under a directory)
	Compression string // "none", "gzip", "bzip2", "zstd"
	// Size is the input's size on disk in bytes (compressed size for
	// compressed files), or -1 when unknown (stdin, pipes).
	Size int64

	r       io.Reader    // decompressed stream
	counted *countReader // raw bytes read from the file
	at      io.ReaderAt  // the file, when it is a plain regular file
	closers []func() error
}

// ReaderAt returns the input as an io.ReaderAt and its size in bytes when
// it is an uncompressed regular file, so that several goroutines can read
// parts of it at once; ok is false otherwise (compressed input, standard
// input, pipes). Its bytes count in RawBytes; its errors name the file, as
// Read's do. ReaderAt and Read share no position: a caller that uses both
// (the scan peeks at a file's first bytes with ReaderAt, then reads it with
// Read) counts the bytes read twice in RawBytes.
func (s *Source) ReaderAt() (r io.ReaderAt, size int64, ok bool) {
	if s.at == nil {
		return nil, 0, false
	}
	return &namedReaderAt{r: s.at, name: s.Name, counted: s.counted}, s.Size, true
}

// Read reads decompressed bytes.
func (s *Source) Read(p []byte) (int, error) { return s.r.Read(p) }

// RawBytes returns how many bytes of the underlying file (compressed, when
// it is compressed) have been read so far.
func (s *Source) RawBytes() int64 { return s.counted.n.Load() }

// Close releases the input.
func (s *Source) Close() error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Expand replaces directories in names with the regular files below them,
// sorted by path; other names are kept as given. Hidden files and
// directories (".name") below a directory are skipped.
func Expand(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		if n == Stdin {
			out = append(out, n)
			continue
		}
		fi, err := os.Stat(n)
		if err != nil || !fi.IsDir() {
			out = append(out, n) // Open reports the error with the name
			continue
		}
		var files []string
		err = filepath.WalkDir(n, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			base := d.Name()
			if p != n && strings.HasPrefix(base, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if len(files) == 0 {
			out = append(out, n) // Open reports the empty directory by name
			continue
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// TotalSize returns the summed size on disk of the named inputs (after
// Expand), or -1 when one of them has no known size (stdin, a pipe, a file
// that cannot be read).
func TotalSize(names []string) int64 {
	var total int64
	for _, n := range names {
		if n == Stdin {
			return -1
		}
		fi, err := os.Stat(n)
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		total += fi.Size()
	}
	return total
}

// Open opens name ("-" is stdin) and sets up decompression from the first
// bytes. The error names the file and says what went wrong.
func Open(name string, stdin io.Reader) (*Source, error) {
	s := &Source{Name: name, Size: -1}
	var raw io.Reader
	if name == Stdin {
		raw = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, describe(name, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, describe(name, err)
		}
		if fi.IsDir() {
			f.Close()
			return nil, fmt.Errorf("%s: is a directory with no files to read", name)
		}
		if fi.Mode().IsRegular() {
			s.Size = fi.Size()
		}
		raw = f
		s.closers = append(s.closers, f.Close)
		if s.Size >= 0 {
			// Sniffed with ReadAt, so that nothing is read ahead into a
			// buffer if the file is then read with ReaderAt.
			magic := make([]byte, 6)
			n, _ := f.ReadAt(magic, 0)
			if sniff(magic[:n]) == "none" {
				s.at = f
			}
		}
	}
	s.counted = &countReader{r: raw}
	br := bufio.NewReaderSize(s.counted, 1<<20)
	var magic []byte
	if s.at == nil { // else sniffed above, and not read ahead here
		magic, _ = br.Peek(6)
	}
	switch {
	case s.at != nil:
		s.Compression = "none"
		s.r = br
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		s.Compression = "gzip"
		zr, err := gzip.NewReader(br)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		s.r = zr
		s.closers = append(s.closers, zr.Close)
	case len(magic) >= 3 && string(magic[:3]) == "BZh":
		s.Compression = "bzip2"
		s.r = bzip2.NewReader(br)
	case len(magic) >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		s.Compression = "zstd"
		// One decoding goroutine: the scan's read-ahead already decodes on
		// a goroutine of its own while the workers parse, and more decoder
		// goroutines only add hand-offs (1 GiB log: 2.03-2.04 CPU-s and
		// 1.11-1.12 s wall against 2.10-2.14 and 1.13-1.15 with one per
		// CPU, alternated runs on an idle 2-core machine).
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: zstd: %w", name, err)
		}
		s.r = zr
		s.closers = append(s.closers, func() error { zr.Close(); return nil })
	case len(magic) >= 6 && string(magic) == "\xfd7zXZ\x00":
		s.Close()
		return nil, fmt.Errorf("%s: xz compression is not supported; decompress first: xz -dc %s | herolog analyze -", name, name)
	default:
		s.Compression = "none"
		s.r = br
	}
	s.r = &namedReader{r: s.r, name: name, comp: s.Compression}
	return s, nil
}

// sniff names the compression an input starting with magic uses ("none"
// for anything Open reads as text).
func sniff(magic []byte) string {
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return "gzip"
	case len(magic) >= 3 && string(magic[:3]) == "BZh":
		return "bzip2"
	case len(magic) >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		return "zstd"
	case len(magic) >= 6 && string(magic) == "\xfd7zXZ\x00":
		return "xz"
	}
	return "none"
}

func describe(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", name)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied", name)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", name, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// namedReader turns decompression and read errors into messages that name
// the file and say what happened ("truncated gzip stream").
type namedReader struct {
	r    io.Reader
	name string
	comp string
}

func (n *namedReader) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			if n.comp != "none" {
				err = fmt.Errorf("%s: %s stream is truncated (unexpected end of data)", n.name, n.comp)
			} else {
				err = fmt.Errorf("%s: unexpected end of data", n.name)
			}
		} else if n.comp != "none" {
			err = fmt.Errorf("%s: %s: %w", n.name, n.comp, err)
		} else {
			err = fmt.Errorf("%s: %w", n.name, err)
		}
	}
	return k, err
}

// namedReaderAt names the file in read errors, as namedReader does, counts
// the bytes read, and turns a short read (the file shrank after it was
// opened) into a truncation error.
type namedReaderAt struct {
	r       io.ReaderAt
	name    string
	counted *countReader
}

func (n *namedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := n.r.ReadAt(p, off)
	n.counted.n.Add(int64(k))
	if err == io.EOF && k < len(p) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%s: unexpected end of data", n.name)
		} else {
			err = fmt.Errorf("%s: %w", n.name, err)
		}
	}
	return k, err
}
