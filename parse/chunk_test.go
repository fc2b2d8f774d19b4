package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// recordsOf lists what a Reader makes of data, read sequentially.
func recordsSequential(data []byte, maxLine int) []string {
	rd := NewReader(bytes.NewReader(data), nil)
	rd.MaxLine = maxLine
	var out []string
	for {
		r, err := rd.Next()
		if err != nil {
			return out
		}
		out = append(out, describeRecord(r))
	}
}

func describeRecord(r *Record) string {
	return fmt.Sprintf("%d@%d %s %q", r.Line, r.Offset, r.Kind, r.Message)
}

// describeChunk lists what r makes of one chunk, read in place.
func describeChunk(r *Reader, ch *Chunk) []string {
	var recs []string
	r.ResetBytes(ch.Data, ch.Line, ch.Offset)
	for {
		rec, err := r.Next()
		if err != nil {
			return recs
		}
		recs = append(recs, describeRecord(rec))
	}
}

// recordsChunked lists what Readers make of data cut by a Chunker of the
// given size, chunk by chunk, in order.
func recordsChunked(t *testing.T, rd io.Reader, size, maxLine int) (recs []string, c *Chunker) {
	t.Helper()
	c = &Chunker{rd: rd, size: size}
	r := NewReader(nil, nil)
	r.MaxLine = maxLine
	var ch Chunk
	for seq := 0; c.Next(&ch); seq++ {
		if ch.Seq != seq {
			t.Fatalf("chunk %d has Seq %d", seq, ch.Seq)
		}
		recs = append(recs, describeChunk(r, &ch)...)
		if got, want := r.Offset(), ch.Offset+int64(len(ch.Data)); got != want {
			t.Fatalf("chunk %d: reader ends at byte %d, want %d", ch.Seq, got, want)
		}
	}
	return recs, c
}

// TestChunkerMatchesReader: cutting input into chunks and parsing each one
// gives the same records, line numbers and offsets as one sequential read,
// whatever the chunk size, including lines longer than a chunk.
func TestChunkerMatchesReader(t *testing.T) {
	for _, tc := range chunkerCases() {
		for _, size := range []int{64, 65, 100, 257, 4096} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, size), func(t *testing.T) {
				const maxLine = 40
				want := recordsSequential([]byte(tc.in), maxLine)
				got, c := recordsChunked(t, strings.NewReader(tc.in), size, maxLine)
				checkChunks(t, got, want, c)
			})
		}
	}
}

// checkChunks fails t unless the records read in chunks are the sequential
// ones and c, at a clean end, reports no error and counts every line.
func checkChunks(t *testing.T, got, want []string, c interface {
	Err() error
	Lines() int64
}) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("chunked:\n%s\nsequential:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Err() != nil {
		t.Fatalf("Err() = %v, want nil", c.Err())
	}
	if c.Lines() != lastLine(want) {
		t.Fatalf("Lines() = %d, want %d", c.Lines(), lastLine(want))
	}
}

// lastLine returns the line number of the last of the records described
// (by describeChunk), 0 when there are none.
func lastLine(records []string) int64 {
	var n int64
	if len(records) > 0 {
		fmt.Sscan(records[len(records)-1], &n)
	}
	return n
}

// TestChunkerReadError: every line before a read error is delivered (the
// cut one too), then Err reports the error.
func TestChunkerReadError(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		in        string
		wantLines int64
	}{
		{"cut line", "a\nb\nc", 3},
		{"whole lines", "a\nb\n", 2},
		{"nothing", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd := io.MultiReader(iotest.OneByteReader(strings.NewReader(tc.in)), iotest.ErrReader(boom))
			got, c := recordsChunked(t, rd, 64, 40)
			if int64(len(got)) != tc.wantLines {
				t.Fatalf("got %d records (%v), want %d", len(got), got, tc.wantLines)
			}
			if !errors.Is(c.Err(), boom) {
				t.Fatalf("Err() = %v, want boom", c.Err())
			}
			if c.Lines() != tc.wantLines {
				t.Fatalf("Lines() = %d, want %d", c.Lines(), tc.wantLines)
			}
		})
	}
}

// TestChunkerSize: NewChunker never cuts chunks a Reader could not hold a
// whole line of.
func TestChunkerSize(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, DefaultChunkSize}, {1, 2 * DefaultMaxLine}, {64 << 20, 64 << 20}} {
		if got := NewChunker(nil, tc.in).size; got != tc.want {
			t.Errorf("NewChunker(%d) size %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestLooksFramed: octet-counted input is recognised from its first bytes.
func TestLooksFramed(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{"83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed", true},
		{"2014-09-26T02:24:49.103527+00:00 heroku[router]: at=info", false},
		{"123 GET /", false},
		{"", false},
		{"<158>1 2012", false},
	}
	for _, tc := range tests {
		if got := LooksFramed([]byte(tc.head)); got != tc.want {
			t.Errorf("LooksFramed(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

// recordsConcurrent lists what Readers make of the chunks that workers
// goroutines take from next at once, put back in chunk order; it checks
// that the chunks' sequence numbers are 0, 1, 2... and that each chunk's
// reader ends where the chunk says.
func recordsConcurrent(t *testing.T, workers, maxLine int, next func(w int, ch *Chunk) bool, done func(w int)) []string {
	t.Helper()
	var (
		mu     sync.Mutex
		bySeq  = map[int][]string{}
		errs   []string
		wg     sync.WaitGroup
		chunks = make([]Chunk, workers)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := NewReader(nil, nil)
			r.MaxLine = maxLine
			ch := &chunks[w]
			for next(w, ch) {
				recs := describeChunk(r, ch)
				mu.Lock()
				if _, dup := bySeq[ch.Seq]; dup {
					errs = append(errs, fmt.Sprintf("chunk %d twice", ch.Seq))
				}
				bySeq[ch.Seq] = recs
				if got, want := r.Offset(), ch.Offset+int64(len(ch.Data)); got != want {
					errs = append(errs, fmt.Sprintf("chunk %d: reader ends at byte %d, want %d", ch.Seq, got, want))
				}
				mu.Unlock()
				if done != nil {
					done(w)
				}
			}
		}(w)
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	var out []string
	for seq := 0; seq < len(bySeq); seq++ {
		recs, ok := bySeq[seq]
		if !ok {
			t.Fatalf("chunks %d delivered, chunk %d missing", len(bySeq), seq)
		}
		out = append(out, recs...)
	}
	return out
}

// chunkerCases are the inputs of the chunker tests: empty input, lines
// without a final newline, blank and CRLF lines, lines longer than the
// limit and than a chunk, at the end and exactly at a chunk's end.
func chunkerCases() []struct{ name, in string } {
	router := "2014-09-26T02:24:49.103527+00:00 heroku[router]: at=info method=GET path=\"/\" host=a.example dyno=web.1 connect=0ms service=1ms status=200 bytes=2"
	return []struct{ name, in string }{
		{"empty", ""},
		{"one newline", "\n"},
		{"no final newline", "a\nbb\nccc"},
		{"router lines", strings.Repeat(router+"\n", 7)},
		{"blank and crlf", "a\r\n\r\n\n  \nb\r\n"},
		{"over-long lines", "a\n" + strings.Repeat("x", 150) + "\nb\n" + strings.Repeat("y", 45) + "\nc\n" + strings.Repeat("z", 300)},
		{"long line at the end", "a\n" + strings.Repeat("x", 200)},
		{"long line ending exactly at a chunk", strings.Repeat("x", 64) + "\nafter\n"},
		{"newline exactly at a chunk's end", strings.Repeat("x", 63) + "\n" + strings.Repeat("y", 63) + "\nz\n"},
		{"very long line", "a\n" + strings.Repeat("x", 1000) + "\nb\nc\n" + strings.Repeat("w", 700) + "\n"},
		{"mixed", router + "\n" + "2014-09-26T02:24:49+00:00 app[web.1]: hello\n" + strings.Repeat("q", 90) + "\n" + router},
	}
}

// TestChunkerAtMatchesReader: a ChunkerAt read by several goroutines at
// once gives the records, line numbers and offsets of one sequential read,
// whatever the chunk size, including lines longer than the limit and than
// a chunk, and Lines counts every line.
func TestChunkerAtMatchesReader(t *testing.T) {
	for _, tc := range chunkerCases() {
		for _, size := range []int{64, 65, 100, 257, 4096} {
			for _, workers := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%d/%d", tc.name, size, workers), func(t *testing.T) {
					const maxLine = 40
					want := recordsSequential([]byte(tc.in), maxLine)
					c := newChunkerAt(strings.NewReader(tc.in), int64(len(tc.in)), size, maxLine)
					got := recordsConcurrent(t, workers, maxLine, func(_ int, ch *Chunk) bool { return c.Next(ch) }, nil)
					checkChunks(t, got, want, c)
				})
			}
		}
	}
}

// failingAt fails every read that reaches past byte at.
type failingAt struct {
	r  io.ReaderAt
	at int64
}

var errBoom = errors.New("boom")

func (f failingAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.at {
		return 0, errBoom
	}
	return f.r.ReadAt(p, off)
}

// TestChunkerAtReadError: the chunks before the one whose read failed are
// delivered, none after it, and Err reports the error.
func TestChunkerAtReadError(t *testing.T) {
	in := strings.Repeat("0123456789\n", 100) // 1100 bytes
	for _, workers := range []int{1, 3} {
		c := newChunkerAt(failingAt{strings.NewReader(in), 500}, int64(len(in)), 100, 40)
		c.probe = 8
		got := recordsConcurrent(t, workers, 40, func(_ int, ch *Chunk) bool { return c.Next(ch) }, nil)
		if !errors.Is(c.Err(), errBoom) {
			t.Fatalf("Err() = %v, want boom", c.Err())
		}
		// Chunks 0-3 read bytes up to 408 and are delivered: the 37 lines
		// that start before byte 400. Chunk 4 reads up to 508 and fails.
		if len(got) != 37 || c.Lines() != 37 {
			t.Fatalf("%d records, Lines() = %d, want 37", len(got), c.Lines())
		}
	}
}

// TestReadAheadMatchesReader: chunks read ahead on a goroutine of their
// own and parsed by several goroutines give the records of one sequential
// read, and a read error ends the chunks after every line before it.
func TestReadAheadMatchesReader(t *testing.T) {
	for _, tc := range chunkerCases() {
		for _, size := range []int{64, 257} {
			for _, buffers := range []int{1, 4} {
				t.Run(fmt.Sprintf("%s/%d/%d", tc.name, size, buffers), func(t *testing.T) {
					const maxLine = 40
					want := recordsSequential([]byte(tc.in), maxLine)
					rd := io.MultiReader(iotest.HalfReader(strings.NewReader(tc.in)), iotest.ErrReader(errBoom))
					chunks := make([]*Chunk, buffers)
					for i := range chunks {
						chunks[i] = new(Chunk)
					}
					ra := NewReadAhead(&Chunker{rd: rd, size: size}, chunks)
					held := make([]*Chunk, 2)
					got := recordsConcurrent(t, 2, maxLine, func(w int, ch *Chunk) bool {
						c := ra.Next()
						if c == nil {
							return false
						}
						*ch, held[w] = *c, c
						return true
					}, func(w int) { ra.Release(held[w]) })
					ra.Stop(true)
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("read ahead:\n%s\nsequential:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
					if !errors.Is(ra.Err(), errBoom) {
						t.Fatalf("Err() = %v, want boom", ra.Err())
					}
					if ra.Lines() != lastLine(want) {
						t.Fatalf("Lines() = %d, want %d", ra.Lines(), lastLine(want))
					}
				})
			}
		}
	}
}

// copyMapper maps by copying into a fresh slice, and counts the mappings
// not yet released.
type copyMapper struct {
	*strings.Reader
	mu   sync.Mutex
	live int
	fail bool // MapAt fails (mapping not supported)
	// refused counts MapAt calls off a page boundary (which mmap refuses;
	// the chunker then reads instead, silently).
	refused int
}

func (m *copyMapper) MapAt(off int64, size int) ([]byte, error) {
	if m.fail {
		return nil, errors.ErrUnsupported
	}
	if off%4096 != 0 {
		m.mu.Lock()
		m.refused++
		m.mu.Unlock()
		return nil, fmt.Errorf("MapAt(%d): not at a page", off)
	}
	b := make([]byte, size)
	if n, _ := m.ReadAt(b, off); n < size {
		return nil, io.ErrUnexpectedEOF
	}
	m.mu.Lock()
	m.live++
	m.mu.Unlock()
	return b, nil
}

func (m *copyMapper) Unmap(b []byte) error {
	m.mu.Lock()
	m.live--
	m.mu.Unlock()
	clear(b) // a chunk must not be read after it is released
	return nil
}

// TestChunkerAtMapped: a mapping ChunkerAt gives the records of one
// sequential read (a long line past a chunk maps the chunk again, larger),
// falls back to reading where mapping fails, and releases every mapping
// once Next has returned false.
func TestChunkerAtMapped(t *testing.T) {
	for _, tc := range chunkerCases() {
		for _, size := range []int{64, 257, 4096, 5000} {
			for _, fail := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/%v", tc.name, size, fail), func(t *testing.T) {
					const maxLine = 40
					want := recordsSequential([]byte(tc.in), maxLine)
					m := &copyMapper{Reader: strings.NewReader(tc.in), fail: fail}
					c := newChunkerAt(m, int64(len(tc.in)), size, maxLine)
					if !c.Map() {
						t.Fatal("Map() = false for a MapperAt")
					}
					got := recordsConcurrent(t, 3, maxLine, func(_ int, ch *Chunk) bool { return c.Next(ch) }, nil)
					checkChunks(t, got, want, c)
					if m.live != 0 {
						t.Fatalf("%d mappings left", m.live)
					}
					if m.refused != 0 {
						t.Fatalf("%d windows asked for off a page boundary (chunk size %d)", m.refused, size)
					}
				})
			}
		}
	}
	if c := NewChunkerAt(strings.NewReader("a\n"), 2, 0); c.Map() {
		t.Fatal("Map() = true for a plain io.ReaderAt")
	}
}

// TestChunkerAtMappedUnalignedSize: chunk sizes that are not a multiple of
// the page size (16 MiB / 3 workers is one) still map every window from a
// page boundary, instead of falling back to reading every chunk.
func TestChunkerAtMappedUnalignedSize(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 200<<10; i++ {
		fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("x", i%97))
	}
	in := b.String()
	for _, size := range []int{5000, 16 << 10 / 3, 12345} {
		const maxLine = 200
		want := recordsSequential([]byte(in), maxLine)
		m := &copyMapper{Reader: strings.NewReader(in)}
		c := newChunkerAt(m, int64(len(in)), size, maxLine)
		c.Map()
		got := recordsConcurrent(t, 3, maxLine, func(_ int, ch *Chunk) bool { return c.Next(ch) }, nil)
		checkChunks(t, got, want, c)
		if m.refused != 0 {
			t.Errorf("chunk size %d: %d windows asked for off a page boundary", size, m.refused)
		}
	}
}

// TestChunkerAtRelativeLines: with RelativeLines every chunk's records
// are numbered from the chunk's start, and adding the lines a Reader
// counted in the chunks before gives the line numbers of a sequential
// read.
func TestChunkerAtRelativeLines(t *testing.T) {
	for _, tc := range chunkerCases() {
		for _, size := range []int{64, 100, 4096} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, size), func(t *testing.T) {
				const maxLine = 40
				want := recordsSequential([]byte(tc.in), maxLine)
				c := newChunkerAt(strings.NewReader(tc.in), int64(len(tc.in)), size, maxLine)
				c.RelativeLines()
				type part struct {
					recs  []*Record
					lines int64
				}
				var (
					mu    sync.Mutex
					bySeq = map[int]part{}
					wg    sync.WaitGroup
				)
				for w := 0; w < 3; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := NewReader(nil, nil)
						r.MaxLine = maxLine
						var ch Chunk
						for c.Next(&ch) {
							if ch.Line != 0 {
								t.Errorf("chunk %d: Line = %d, want 0", ch.Seq, ch.Line)
							}
							var p part
							r.ResetBytes(ch.Data, ch.Line, ch.Offset)
							for {
								rec, err := r.Next()
								if err != nil {
									break
								}
								cp := *rec
								cp.Message = append([]byte(nil), rec.Message...)
								p.recs = append(p.recs, &cp)
							}
							p.lines = r.Line()
							mu.Lock()
							bySeq[ch.Seq] = p
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				var got []string
				var base int64
				for seq := 0; seq < len(bySeq); seq++ {
					for _, rec := range bySeq[seq].recs {
						rec.Line += base
						got = append(got, describeRecord(rec))
					}
					base += bySeq[seq].lines
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("chunked:\n%s\nsequential:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if c.Lines() != 0 {
					t.Fatalf("Lines() = %d, want 0", c.Lines())
				}
			})
		}
	}
}

// TestChunkFree: a freed chunk lets go of its buffer and data, can be
// freed twice, and reads on into a new buffer as if it had not been freed
// (after every chunk, or only at the end).
func TestChunkFree(t *testing.T) {
	in := strings.Repeat("2026-01-02T03:04:05+00:00 heroku[router]: at=info method=GET path=/ dyno=web.1 connect=1ms service=2ms status=200\n", 2000)
	for _, tc := range []struct {
		name      string
		freeEvery bool
		next      func() func(*Chunk) bool
	}{
		{"Chunker", true, func() func(*Chunk) bool { return NewChunker(strings.NewReader(in), 0).Next }},
		{"Chunker/end", false, func() func(*Chunk) bool { return NewChunker(strings.NewReader(in), 0).Next }},
		{"ChunkerAt", true, func() func(*Chunk) bool {
			return newChunkerAt(strings.NewReader(in), int64(len(in)), 1000, 100).Next
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := tc.next()
			var ch Chunk
			var got strings.Builder
			for next(&ch) {
				got.Write(ch.Data)
				if tc.freeEvery {
					ch.Free()
					if ch.Data != nil || ch.buf != nil || ch.mem != nil {
						t.Fatalf("after Free: Data %d bytes, buf %d, mem %v", len(ch.Data), len(ch.buf), ch.mem)
					}
				}
			}
			ch.Free()
			ch.Free()
			if got.String() != in {
				t.Fatalf("read %d bytes, want the %d of the input", got.Len(), len(in))
			}
		})
	}
}
