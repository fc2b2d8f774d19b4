package output

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// colTable writes a flat table (no nested columns) with the low-level
// Parquet writer instead of pqarrow: rows go straight into typed slices per
// column (values, definition levels, string bytes), and each batch is
// encoded one goroutine per column, the columns of a buffered row group
// being independent. String columns typed as dictionaries in the Arrow
// schema are numbered by a dictionary of the row group (dictIdx) as rows
// are copied in, and each batch's indices go to the Parquet writer's
// dictionary encoder with the batch (see colBuf.writeDict), so memory
// stays bounded by one row group's compressed pages and the batches in
// flight.
type colTable struct {
	fw        *file.Writer
	sink      *asyncSink // fw's destination
	batchRows int
	groupCap  int        // batches per row group
	inGroup   int        // batches sent in the current row group
	dicts     []*dictIdx // per column of the row group filling; nil for other columns
	dictGen   uint64     // a number unique to this row group's dictionaries (see RequestRows)
	cur       *colBatch
	free      chan *colBatch
	work      chan *colBatch
	colWork   []chan *colBatch // per column: the batches its encoder has yet to write
	names     []string         // the columns' names
	intDict   []bool           // per column: an int32 column with a dictionary (see writeDictInt32)
	levels    []int            // zstd levels of the writer's own (newSampledLevel), released at the end
	groupDone chan struct{}    // the last batch of a row group is written
	done      chan struct{}
	writeErr  atomic.Pointer[error]
	rows      int64
	err       error
	closed    bool
}

// colBatch is a batch of rows, column by column.
type colBatch struct {
	n        int
	cols     []colBuf
	endGroup bool         // the row group ends with this batch
	left     atomic.Int32 // columns not yet written
}

// batchesInFlight is the number of batches of a writer: one filling, the
// others queued or being encoded (the columns' encoders may be a few
// batches apart).
const batchesInFlight = 4

// colBuf holds one column of a batch: definition levels (nullable columns
// only), then the non-null values: i64 or i32, or string bytes in data
// ending at ends. A dictionary column holds its values' indices in i32
// and the values first seen in the row group in newVals, in index order;
// or, when plain, string bytes.
type colBuf struct {
	nullable bool
	kind     colKind
	dict     bool // a dictionary column
	plain    bool // a dictionary column whose batch holds values, not indices
	newVals  []string
	def      []int16
	i64      []int64
	i32      []int32
	data     []byte
	ends     []int32
	vals     []parquet.ByteArray // views built when encoding
	fixed    []byte              // strings made valid UTF-8
	cw       file.ColumnChunkWriter
}

// colKind is which of a colBuf's value slices a column uses.
type colKind uint8

const (
	colInt64 colKind = iota // i64: int64 and timestamp columns
	colInt32                // i32: int32 and int16 columns
	colBytes                // data and ends: string columns
)

// newColBufs returns a colBuf per field of schema.
func newColBufs(schema *arrow.Schema) []colBuf {
	cols := make([]colBuf, schema.NumFields())
	for j, f := range schema.Fields() {
		cols[j].nullable = f.Nullable
		cols[j].dict = arrow.TypeEqual(f.Type, dictString)
		switch f.Type.ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			cols[j].kind = colInt64
		case arrow.INT32, arrow.INT16:
			cols[j].kind = colInt32
		default:
			cols[j].kind = colBytes
		}
	}
	return cols
}

func (c *colBuf) null() { c.def = append(c.def, 0) }

func (c *colBuf) int64(v int64) {
	if c.nullable {
		c.def = append(c.def, 1)
	}
	c.i64 = append(c.i64, v)
}

func (c *colBuf) int32(v int32) {
	if c.nullable {
		c.def = append(c.def, 1)
	}
	c.i32 = append(c.i32, v)
}

// bytes appends a string value; empty is null in a nullable column.
func (c *colBuf) bytes(v []byte) {
	if c.nullable {
		if len(v) == 0 {
			c.def = append(c.def, 0)
			return
		}
		c.def = append(c.def, 1)
	}
	c.data = append(c.data, v...)
	c.ends = append(c.ends, int32(len(c.data)))
}

func (c *colBuf) reset() {
	c.def, c.i64, c.i32 = c.def[:0], c.i64[:0], c.i32[:0]
	c.data, c.ends, c.fixed = c.data[:0], c.ends[:0], c.fixed[:0]
	clear(c.vals)
	c.vals = c.vals[:0]
	clear(c.newVals)
	c.newVals, c.plain = c.newVals[:0], false
}

// views fills c.vals with the string values, made valid UTF-8 (Parquet
// strings are UTF-8; DuckDB rejects a file that is not): all at once when
// the batch is ASCII, value by value otherwise.
func (c *colBuf) views() {
	if isASCII(c.data) {
		start := int32(0)
		for _, end := range c.ends {
			c.vals = append(c.vals, c.data[start:end:end])
			start = end
		}
		return
	}
	var bad, fixEnds []int // values repaired, and their ends in c.fixed
	start := int32(0)
	for i, end := range c.ends {
		if v := c.data[start:end]; !utf8.Valid(v) {
			c.fixed = appendValid(c.fixed, v)
			bad = append(bad, i)
			fixEnds = append(fixEnds, len(c.fixed))
		}
		start = end
	}
	start, k, off := 0, 0, 0
	for i, end := range c.ends {
		v := c.data[start:end:end]
		if k < len(bad) && bad[k] == i {
			v = c.fixed[off:fixEnds[k]:fixEnds[k]]
			off = fixEnds[k]
			k++
		}
		c.vals = append(c.vals, v)
		start = end
	}
}

// isASCII reports whether b holds only ASCII bytes.
func isASCII(b []byte) bool {
	const hi = 0x8080808080808080
	for len(b) >= 8 {
		if (uint64(b[0])|uint64(b[1])<<8|uint64(b[2])<<16|uint64(b[3])<<24|
			uint64(b[4])<<32|uint64(b[5])<<40|uint64(b[6])<<48|uint64(b[7])<<56)&hi != 0 {
			return false
		}
		b = b[8:]
	}
	for _, x := range b {
		if x >= 0x80 {
			return false
		}
	}
	return true
}

// appendValid appends b to dst with invalid UTF-8 bytes replaced by U+FFFD.
func appendValid(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// write encodes the batch's column into its column chunk writer.
func (c *colBuf) write() error {
	var def []int16
	if c.nullable {
		def = c.def
	}
	var err error
	switch w := c.cw.(type) {
	case *file.Int64ColumnChunkWriter:
		_, err = w.WriteBatch(c.i64, def, nil)
	case *file.Int32ColumnChunkWriter:
		_, err = w.WriteBatch(c.i32, def, nil)
	case *file.ByteArrayColumnChunkWriter:
		c.views()
		_, err = w.WriteBatch(c.vals, def, nil)
	default:
		err = fmt.Errorf("unsupported column writer %T", c.cw)
	}
	return err
}

// newColTable starts a file with schema on w. plain names the columns not
// to dictionary-encode, delta the integer columns to delta-encode
// (DELTA_BINARY_PACKED: times and line numbers that grow, sizes and
// durations; their pages are stored unless LZ pays, see zstdStoredLevel), nostats those
// without min/max statistics, literals those whose pages zstd codes as
// literals only (random strings; see zstdLiteralsLevel), sampled those
// coded either way after a trial (see zstdSampledLevel; the trial's
// choice kept for a few pages, see newSampledLevel).
func newColTable(w io.Writer, schema *arrow.Schema, o ParquetOptions, plain, delta, nostats, literals, sampled []string) (*colTable, error) {
	o = o.withDefaults()
	groupCap := max(1, int(o.RowGroupRows/int64(o.BatchRows)))
	props := writerProps(o, groupCap, plain)
	alloc := newPageAllocator()
	props = append(props, parquet.WithDictionaryPageSizeLimit(int64(maxDictBytes)),
		parquet.WithAllocator(alloc))
	for _, c := range delta {
		props = append(props, parquet.WithDictionaryFor(c, false), parquet.WithEncodingFor(c, parquet.Encodings.DeltaBinaryPacked),
			parquet.WithCompressionLevelFor(c, zstdStoredLevel))
	}
	for _, c := range nostats {
		props = append(props, parquet.WithStatsFor(c, false))
	}
	for _, c := range literals {
		props = append(props, parquet.WithCompressionLevelFor(c, zstdLiteralsLevel))
	}
	var levels []int
	for _, c := range sampled {
		// A level of the column's own: the trial's choice holds for a
		// few pages (see newSampledLevel).
		l := newSampledLevel()
		levels = append(levels, l)
		props = append(props, parquet.WithCompressionLevelFor(c, l))
	}
	wp := parquet.NewWriterProperties(props...)
	ap := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
	pqschema, err := pqarrow.ToParquet(schema, wp, ap)
	if err != nil {
		return nil, err
	}
	// The Arrow schema, as pqarrow stores it: readers that know Arrow get
	// the dictionary types and the timestamp's zone back.
	meta := metadata.KeyValueMetadata{}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(flight.SerializeSchema(schema, memory.DefaultAllocator)))
	sink := newAsyncSink(w, alloc)
	fw, err := file.NewParquetWriterWithError(sink, pqschema.Root(), file.WithWriterProps(wp), file.WithWriteMetadata(meta))
	if err != nil {
		sink.wait()
		for _, l := range levels {
			releaseSampledLevel(l)
		}
		return nil, err
	}
	t := &colTable{
		fw: fw, sink: sink, batchRows: o.BatchRows, groupCap: groupCap,
		free:      make(chan *colBatch, batchesInFlight),
		work:      make(chan *colBatch, batchesInFlight),
		colWork:   make([]chan *colBatch, schema.NumFields()),
		names:     make([]string, schema.NumFields()),
		intDict:   make([]bool, schema.NumFields()),
		groupDone: make(chan struct{}, 1),
		done:      make(chan struct{}),
		dicts:     make([]*dictIdx, schema.NumFields()),
		levels:    levels,
	}
	kinds := newColBufs(schema)
	for i := range t.colWork {
		t.colWork[i] = make(chan *colBatch, batchesInFlight)
		t.names[i] = schema.Field(i).Name
		t.intDict[i] = kinds[i].kind == colInt32 && !slices.Contains(plain, t.names[i]) && !slices.Contains(delta, t.names[i])
	}
	for i := 0; i < batchesInFlight; i++ {
		b := &colBatch{cols: newColBufs(schema)}
		if i == 0 {
			t.cur = b
		} else {
			t.free <- b
		}
	}
	for j, f := range schema.Fields() {
		if arrow.TypeEqual(f.Type, dictString) {
			t.dicts[j] = &dictIdx{m: map[string]int32{}}
		}
	}
	t.dictGen = dictGens.Add(1)
	go t.encode()
	return t, nil
}

// encode hands batches to the columns' encoders until the work channel
// closes: one goroutine per column, each writing its column of every batch
// in order, so a slow column holds back the others only at the end of a
// row group (the next one is started when every column is done with it).
func (t *colTable) encode() {
	defer close(t.done)
	ncols := len(t.colWork)
	var (
		rgw    file.BufferedRowGroupWriter
		cws    = make([]file.ColumnChunkWriter, ncols)
		states = make([]dictState, ncols) // dictionary columns', each owned by its column's goroutine
		wg     sync.WaitGroup
	)
	for i := range ncols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The column's name in CPU profiles (HEROLOG_CPUPROFILE).
			pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("column", t.names[i])))
			t.encodeColumn(i, &states[i])
		}()
	}
	for b := range t.work {
		if rgw == nil && t.writeErr.Load() == nil {
			// No column is writing: the previous row group ended with
			// its last batch written (or this is the first).
			var err error
			rgw, err = t.fw.AppendBufferedRowGroupChecked()
			for i := 0; err == nil && i < ncols; i++ {
				cws[i], err = rgw.Column(i)
			}
			for i := range states {
				states[i].reset()
			}
			if err != nil {
				t.fail(err)
				rgw = nil
			}
		}
		for i := range b.cols {
			b.cols[i].cw = cws[i]
		}
		end := b.endGroup
		b.left.Store(int32(ncols))
		for _, ch := range t.colWork {
			ch <- b
		}
		if end {
			<-t.groupDone
			rgw = nil // the next batch starts a row group, closing this one
		}
	}
	for _, ch := range t.colWork {
		close(ch)
	}
	wg.Wait()
}

// encodeColumn writes column i of each batch; the last column to finish a
// batch recycles it.
func (t *colTable) encodeColumn(i int, st *dictState) {
	for b := range t.colWork[i] {
		c := &b.cols[i]
		if b.n > 0 && c.cw != nil && t.writeErr.Load() == nil {
			var err error
			switch {
			case c.dict:
				err = c.writeDict(st)
			case t.intDict[i]:
				err = c.writeDictInt32(st)
			default:
				err = c.write()
			}
			if err != nil {
				t.fail(err)
			}
		}
		c.reset()
		c.cw = nil
		if b.left.Add(-1) == 0 {
			end := b.endGroup
			b.n, b.endGroup = 0, false
			t.free <- b
			if end {
				t.groupDone <- struct{}{}
			}
		}
	}
}

// fail records the first write error.
func (t *colTable) fail(err error) {
	err = fmt.Errorf("writing parquet: %w", err)
	t.writeErr.CompareAndSwap(nil, &err)
}

func (t *colTable) flush() error {
	if e := t.writeErr.Load(); e != nil {
		t.err = *e
		return t.err
	}
	if t.cur.n == 0 {
		return nil
	}
	t.send(false)
	return nil
}

// send hands the current batch to the encoder, ending the row group when
// it is full or end is set.
func (t *colTable) send(end bool) {
	b := t.cur
	t.inGroup++
	end = end || t.inGroup == t.groupCap
	if end {
		t.inGroup = 0
		b.endGroup = true
		for _, d := range t.dicts {
			if d != nil {
				d.reset()
			}
		}
		t.dictGen = dictGens.Add(1)
	}
	t.work <- b // b belongs to the encoder now
	t.cur = <-t.free
}

// errAborted is the error of an aborted writer.
var errAborted = errors.New("parquet writer aborted")

// abort stops the writer without finishing the file: the rows not yet
// encoded are dropped, and nothing more reaches the destination.
func (t *colTable) abort() {
	if t.closed {
		return
	}
	t.closed = true
	t.writeErr.CompareAndSwap(nil, &errAborted)
	t.sink.err.CompareAndSwap(nil, &errAborted)
	close(t.work)
	<-t.done
	t.fw.Close() // releases what it can; its writes are dropped
	t.sink.wait()
	t.releaseLevels()
	if t.err == nil {
		t.err = errAborted
	}
}

func (t *colTable) close() error {
	if t.closed {
		return t.err
	}
	t.closed = true
	if e := t.writeErr.Load(); t.err == nil && e == nil && (t.cur.n > 0 || t.inGroup > 0) {
		t.send(true)
	}
	close(t.work)
	<-t.done
	if e := t.writeErr.Load(); e != nil && t.err == nil {
		t.err = *e
	}
	if err := t.fw.Close(); err != nil && t.err == nil {
		t.err = fmt.Errorf("writing parquet: %w", err)
	}
	if err := t.sink.wait(); err != nil && t.err == nil {
		t.err = fmt.Errorf("writing parquet: %w", err)
	}
	t.releaseLevels()
	return t.err
}

func (t *colTable) releaseLevels() {
	for _, l := range t.levels {
		releaseSampledLevel(l)
	}
	t.levels = nil
}
