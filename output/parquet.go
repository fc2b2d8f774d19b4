package output

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/herolog/herolog/parse"
)

// Defaults of ParquetOptions.
const (
	// DefaultBatchRows is how many rows are buffered before they are
	// handed to the Parquet writer. The requests writer has four batches
	// (one filling, the others queued or being encoded); the events writer
	// three.
	DefaultBatchRows = 8 << 10
	// DefaultRowGroupRows is the number of rows per row group of the
	// requests table (RequestWriter): 2^20, about a million.
	//
	// A whole row group's compressed pages stay in memory until it ends
	// (the Parquet writer, arrow-go v18.8, buffers them: a column chunk
	// must be contiguous in the file), some 40 MB for 2^20 requests; they
	// are kept off the Go heap (see pageAllocator). Nothing else is kept
	// per row: dictionary columns go to the writer a batch at a time.
	DefaultRowGroupRows = 1 << 20
	// DefaultEventRowGroupRows is the number of rows per row group of the
	// events table (EventWriter), 2^18: it is written with pqarrow, whose
	// row group pages stay on the Go heap until the row group ends, and a
	// log has far fewer events than requests (a 1 GB generated log: 34,824
	// events for 3.6M requests), so its row groups are rarely full anyway.
	DefaultEventRowGroupRows = 1 << 18
)

// ParquetOptions tune a Parquet writer. The zero value is the default.
type ParquetOptions struct {
	// BatchRows is the number of rows kept in memory before they are
	// encoded (DefaultBatchRows when 0). Memory use is bounded by it and by
	// one row group's compressed pages.
	BatchRows int
	// RowGroupRows is the number of rows per row group (when 0,
	// DefaultRowGroupRows for requests, DefaultEventRowGroupRows for events).
	RowGroupRows int64
	// CreatedBy names the writer in the file's metadata ("herolog" when empty).
	CreatedBy string
}

func (o ParquetOptions) withDefaults() ParquetOptions {
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.CreatedBy == "" {
		o.CreatedBy = "herolog"
	}
	return o
}

// ErrWriterClosed is returned by Add after Close.
var ErrWriterClosed = errors.New("parquet writer is closed")

// dictString is the Arrow type of low-cardinality string columns (dyno,
// code, source_file, ...): dictionary-encoded in Arrow and in Parquet, read
// as VARCHAR by DuckDB and Spark and as categoricals by pandas and polars.
//
// herolog keeps one dictionary per column for a whole row group and hands
// pqarrow the same dictionary array with every batch: pqarrow falls back to
// plain encoding for the rest of a row group when a batch's dictionary
// differs from the first one's, so a dictionary only grows (a new dyno or
// error code appearing costs that fallback once) and is reset between row
// groups when it passes maxDict values.
var dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// maxDict is the dictionary size past which a column's dictionary starts
// afresh at the next row group, so memory stays bounded on inputs where a
// "low-cardinality" column is not.
const maxDict = 1 << 16

// dataPageSize is the target size of a data page before compression
// (the library's default is 1 MiB). Each column keeps an uncompressed and
// a compressed page buffer of about this size, so 21 columns at 1 MiB cost
// some 40 MB; 128 KiB makes files about 3% larger.
const dataPageSize = 128 << 10

// compressCodec compresses every column, at zstdLevel (zstd level 1, much
// faster than the default level here, for files a few per cent larger; see
// zstd.go).
var compressCodec = compress.Codecs.Zstd

// tsUTC is TIMESTAMP(MICROS, UTC).
var tsUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// dictCol is one dictionary-encoded string column: the values seen, their
// indices, and the Arrow dictionary array built from them (rebuilt only
// when a value was added).
type dictCol struct {
	idx     *array.Int32Builder
	m       map[string]int32 // raw bytes as logged -> index
	vals    []string         // valid UTF-8
	lastKey string           // the raw key of the last value added
	lastIdx int32
	arr     arrow.Array // dictionary of vals[:arrLen]
	arrLen  int
}

func (d *dictCol) reset() {
	clear(d.m)
	d.vals = d.vals[:0]
	d.lastKey, d.lastIdx = "", -1
	if d.arr != nil {
		d.arr.Release()
		d.arr = nil
	}
	d.arrLen = 0
}

// addBytes appends v (null when empty). It allocates only for a value not
// seen before.
func (d *dictCol) addBytes(v []byte) {
	if len(v) == 0 {
		d.idx.AppendNull()
		return
	}
	if d.lastIdx >= 0 && string(v) == d.lastKey {
		d.idx.Append(d.lastIdx)
		return
	}
	i, ok := d.m[string(v)]
	if !ok {
		i = d.insert(string(v))
	}
	d.lastKey, d.lastIdx = d.vals[i], i
	if d.lastKey != string(v) {
		d.lastIdx = -1 // the stored value was repaired; no fast path
	}
	d.idx.Append(i)
}

// addString appends an interned string (null when empty).
func (d *dictCol) addString(v string) {
	if v == "" {
		d.idx.AppendNull()
		return
	}
	if d.lastIdx >= 0 && v == d.lastKey {
		d.idx.Append(d.lastIdx)
		return
	}
	i, ok := d.m[v]
	if !ok {
		i = d.insert(v)
	}
	d.lastKey, d.lastIdx = v, i
	d.idx.Append(i)
}

func (d *dictCol) insert(raw string) int32 {
	key := strings.Clone(raw)
	i := int32(len(d.vals))
	d.m[key] = i
	d.vals = append(d.vals, strings.ToValidUTF8(key, "\uFFFD"))
	return i
}

// dictionary returns the dictionary array of all values so far.
func (d *dictCol) dictionary(mem memory.Allocator) arrow.Array {
	if d.arr == nil || d.arrLen != len(d.vals) {
		if d.arr != nil {
			d.arr.Release()
		}
		b := array.NewStringBuilder(mem)
		b.AppendValues(d.vals, nil)
		d.arr = b.NewArray()
		b.Release()
		d.arrLen = len(d.vals)
	}
	return d.arr
}

// batchMsg is a batch for the encoding goroutine.
type batchMsg struct {
	rec      arrow.RecordBatch
	newGroup bool // start a new row group before this batch
}

// pqTable is the part shared by the request and event writers: Arrow
// builders, dictionaries, batching, and the Parquet file writer, which
// encodes and compresses on its own goroutine while the next batch fills.
type pqTable struct {
	schema   *arrow.Schema
	mem      memory.Allocator
	builders []array.Builder // per column; the index builder for dictionary columns
	dicts    []*dictCol      // per column; nil for other columns
	strs     []*array.StringBuilder
	strBytes []int // value bytes of each string column's last batch

	fw       *pqarrow.FileWriter
	batch    int
	groupCap int // batches per row group
	inGroup  int // batches sent in the current row group
	newGroup bool
	pending  int
	rows     int64
	err      error // first error; sticky
	closed   bool
	scratch  []byte // a value made valid UTF-8
	ch       chan batchMsg
	done     chan struct{}
	writeErr atomic.Pointer[error]
}

// writerProps are the Parquet settings every herolog file shares: zstd,
// row groups of groupCap batches, dictionary encoding except for the plain
// columns (high-cardinality ones — request ids, paths, times — whose
// dictionary would only be built to be thrown away).
func writerProps(o ParquetOptions, groupCap int, plain []string) []parquet.WriterProperty {
	props := []parquet.WriterProperty{
		parquet.WithCompression(compressCodec),
		parquet.WithCompressionLevel(zstdLevel),
		parquet.WithMaxRowGroupLength(int64(groupCap * o.BatchRows)),
		parquet.WithDictionaryDefault(true),
		parquet.WithDataPageSize(dataPageSize),
		parquet.WithCreatedBy(o.CreatedBy),
	}
	for _, c := range plain {
		props = append(props, parquet.WithDictionaryFor(c, false))
	}
	return props
}

func newPQTable(w io.Writer, schema *arrow.Schema, o ParquetOptions, plain []string) (*pqTable, error) {
	o = o.withDefaults()
	groupCap := max(1, int(o.RowGroupRows/int64(o.BatchRows)))
	props := writerProps(o, groupCap, plain)
	mem := memory.DefaultAllocator
	fw, err := pqarrow.NewFileWriter(schema, w, parquet.NewWriterProperties(props...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, err
	}
	t := &pqTable{
		schema: schema, mem: mem, fw: fw, batch: o.BatchRows, groupCap: groupCap,
		builders: make([]array.Builder, schema.NumFields()),
		dicts:    make([]*dictCol, schema.NumFields()),
		strs:     make([]*array.StringBuilder, schema.NumFields()),
		strBytes: make([]int, schema.NumFields()),
		scratch:  make([]byte, 0, 256),
		ch:       make(chan batchMsg, 1),
		done:     make(chan struct{}),
	}
	for i, f := range schema.Fields() {
		if arrow.TypeEqual(f.Type, dictString) {
			b := array.NewInt32Builder(mem)
			t.builders[i] = b
			t.dicts[i] = &dictCol{idx: b, m: map[string]int32{}, lastIdx: -1}
		} else {
			t.builders[i] = array.NewBuilder(mem, f.Type)
			if sb, ok := t.builders[i].(*array.StringBuilder); ok {
				t.strs[i] = sb
			}
		}
		t.builders[i].Reserve(t.batch)
	}
	go t.encode()
	return t, nil
}

// encode writes batches to the Parquet writer until the channel closes.
func (t *pqTable) encode() {
	defer close(t.done)
	var failed bool
	for m := range t.ch {
		if !failed {
			var err error
			if m.newGroup {
				err = t.fw.NewBufferedRowGroupChecked()
			}
			if err == nil {
				err = t.fw.WriteBuffered(m.rec)
			}
			if err != nil {
				failed = true
				err = fmt.Errorf("writing parquet: %w", err)
				t.writeErr.Store(&err)
			}
		}
		m.rec.Release()
	}
}

// dict returns the dictionary column i.
func (t *pqTable) dict(i int) *dictCol { return t.dicts[i] }

// added counts one row and hands a full batch to the encoder.
func (t *pqTable) added() error {
	t.pending++
	t.rows++
	if t.pending >= t.batch {
		return t.flush()
	}
	return nil
}

func (t *pqTable) flush() error {
	if e := t.writeErr.Load(); e != nil {
		t.err = *e
		return t.err
	}
	if t.pending == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(t.builders))
	for i, b := range t.builders {
		if d := t.dicts[i]; d != nil {
			idx := b.NewArray()
			cols[i] = array.NewDictionaryArray(dictString, idx, d.dictionary(t.mem))
			idx.Release()
		} else {
			if sb := t.strs[i]; sb != nil {
				t.strBytes[i] = sb.DataLen()
			}
			cols[i] = b.NewArray()
		}
		b.Reserve(t.batch)
		if sb := t.strs[i]; sb != nil {
			sb.ReserveData(t.strBytes[i])
		}
	}
	rec := array.NewRecordBatch(t.schema, cols, int64(t.pending))
	for _, c := range cols {
		c.Release()
	}
	t.pending = 0
	t.ch <- batchMsg{rec: rec, newGroup: t.newGroup}
	t.newGroup = false
	t.inGroup++
	if t.inGroup == t.groupCap {
		t.inGroup = 0
		t.newGroup = true
		for _, d := range t.dicts {
			if d != nil && len(d.vals) > maxDict {
				d.reset()
			}
		}
	}
	return nil
}

func (t *pqTable) close() error {
	if t.closed {
		return t.err
	}
	t.closed = true
	if t.err == nil {
		t.flush()
	}
	close(t.ch)
	<-t.done
	if e := t.writeErr.Load(); e != nil && t.err == nil {
		t.err = *e
	}
	for i, b := range t.builders {
		b.Release()
		if d := t.dicts[i]; d != nil && d.arr != nil {
			d.arr.Release()
		}
	}
	if err := t.fw.Close(); err != nil && t.err == nil {
		t.err = fmt.Errorf("writing parquet: %w", err)
	}
	return t.err
}

// valid returns b, or a copy in t.scratch with invalid UTF-8 bytes
// replaced by U+FFFD: Parquet strings must be UTF-8 (DuckDB refuses a
// file that is not).
func (t *pqTable) valid(b []byte) []byte {
	if utf8.Valid(b) {
		if b == nil {
			return t.scratch[:0] // a non-nil empty value, not a null
		}
		return b
	}
	s := t.scratch[:0]
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			s = append(s, "\uFFFD"...)
		} else {
			s = append(s, b[:n]...)
		}
		b = b[n:]
	}
	t.scratch = s
	return s
}

// str appends a string column value; empty is null when nullEmpty.
func (t *pqTable) str(b *array.StringBuilder, v []byte, nullEmpty bool) {
	if len(v) == 0 && nullEmpty {
		b.AppendNull()
		return
	}
	b.BinaryBuilder.Append(t.valid(v))
}

func i64(b *array.Int64Builder, v int64) {
	if v < 0 {
		b.AppendNull()
		return
	}
	b.Append(v)
}

func ts(b *array.TimestampBuilder, r *parse.Record) {
	if !r.HasTime {
		b.AppendNull()
		return
	}
	b.Append(arrow.Timestamp(r.Time))
}

// RequestSchema is the Arrow schema of the requests table: one row per
// router request line, errors included. Durations are whole milliseconds;
// absent fields are null, never 0.
var RequestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "time", Type: tsUTC, Nullable: true},
	{Name: "source_file", Type: dictString},
	{Name: "line", Type: arrow.PrimitiveTypes.Int64},
	{Name: "dyno", Type: dictString, Nullable: true},
	{Name: "method", Type: dictString, Nullable: true},
	{Name: "host", Type: dictString, Nullable: true},
	{Name: "path", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "route", Type: dictString, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "connect_ms", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "service_ms", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "queue", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "wait_ms", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "protocol", Type: dictString, Nullable: true},
	{Name: "code", Type: dictString, Nullable: true},
	{Name: "desc", Type: dictString, Nullable: true},
	{Name: "sock", Type: dictString, Nullable: true},
	{Name: "at", Type: dictString, Nullable: true},
	{Name: "request_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "fwd", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// RequestWriter streams router requests (parse.KindRouter records) into a
// Parquet file with RequestSchema: zstd, row groups of about
// ParquetOptions.RowGroupRows, the Arrow schema stored in the file.
// Memory stays bounded whatever the number of rows. It is not safe for
// concurrent use.
type RequestWriter struct {
	t   *colTable
	own *RequestRows // rows given to Add, written a batch at a time
}

// Request columns, in RequestSchema order.
const (
	rqTime = iota
	rqFile
	rqLine
	rqDyno
	rqMethod
	rqHost
	rqPath
	rqRoute
	rqStatus
	rqConnect
	rqService
	rqQueue
	rqWait
	rqBytes
	rqProtocol
	rqCode
	rqDesc
	rqSock
	rqAt
	rqRequestID
	rqFwd
)

// NewRequestWriter starts a requests file on w. Close must be called to
// finish the file (a Parquet file is unreadable without its footer), or
// Abort to give it up.
func NewRequestWriter(w io.Writer, o ParquetOptions) (*RequestWriter, error) {
	t, err := newColTable(w, RequestSchema, o,
		// High-cardinality columns (request ids, paths, times): a
		// dictionary would only be built to be thrown away.
		[]string{"path", "request_id", "fwd", "connect_ms", "service_ms", "bytes"},
		// Times and line numbers grow by small steps; sizes and durations
		// bit-pack to some 20 bits instead of 32 or 64 (zstd on their plain
		// values did about as well, at 150-180 MB/s of CPU).
		[]string{"time", "line", "connect_ms", "service_ms", "bytes"},
		// Min/max of random ids and address lists prune nothing.
		[]string{"request_id", "fwd"},
		// Random ids: zstd would look for matches in vain.
		[]string{"request_id"},
		// Client addresses: LZ matching pays only where they repeat.
		[]string{"fwd"})
	if err != nil {
		return nil, err
	}
	return &RequestWriter{t: t, own: NewRequestRows()}, nil
}

// Add writes r as a row if it is a router request and ignores any other
// kind of record. file is the input's display name (the source_file
// column). The record's byte fields are copied, so r may be reused as soon
// as Add returns. After an error every later Add returns the same error.
func (w *RequestWriter) Add(file string, r *parse.Record) error {
	t := w.t
	if t.err != nil {
		return t.err
	}
	if t.closed {
		return ErrWriterClosed
	}
	w.own.Add(file, r)
	if w.own.Len() >= t.batchRows {
		return w.flushOwn()
	}
	return nil
}

// flushOwn writes the rows buffered by Add.
func (w *RequestWriter) flushOwn() error {
	if w.own.Len() == 0 {
		return nil
	}
	err := w.addRows(w.own, 0, w.own.Len())
	w.own.Reset()
	return err
}

// ms32 appends a millisecond or count field: Missing is null, values past
// int32 saturate.
func ms32(c *colBuf, v int64) {
	switch {
	case v < 0:
		c.null()
	case v > math.MaxInt32:
		c.int32(math.MaxInt32)
	default:
		c.int32(int32(v))
	}
}

// Rows returns the number of rows added so far.
func (w *RequestWriter) Rows() int64 { return w.t.rows + int64(w.own.Len()) }

// Abort ends the writer without finishing the file, for a file that is
// to be thrown away: buffered rows are dropped and nothing more is written
// to the destination, which is left holding an incomplete file. Later
// calls return ErrWriterClosed or the first error; Close after Abort does
// nothing more.
func (w *RequestWriter) Abort() {
	w.t.abort()
}

// Close writes the buffered rows and the file footer. It does not close
// the underlying writer. It returns the first error of the writer's life.
func (w *RequestWriter) Close() error {
	if !w.t.closed {
		w.flushOwn()
	}
	return w.t.close()
}
