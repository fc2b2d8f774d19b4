package output

import (
	"bytes"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/herolog/herolog/parse"
)

// EventSchema is the Arrow schema of the events table: everything that is
// not a request but matters for latency. Memory is in MB (1 MB = 2^20
// bytes), load averages as logged, dropped a count of log lines.
//
// kind is "state", "crash", "start", "exit", "stop", "idle", "restart",
// "memory" (Process running mem=), "error" (R-codes, code says which) or
// "dyno" (another dyno manager message) for dyno records, "metrics" for
// runtime-metric samples and "logplex" for L10–L15. samples holds the
// sample# keys without a column of their own, the unit appended to the
// name ("memory_pgpgin_pages", "db_size_bytes").
var EventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "time", Type: tsUTC, Nullable: true},
	{Name: "source_file", Type: dictString},
	{Name: "line", Type: arrow.PrimitiveTypes.Int64},
	{Name: "process", Type: dictString, Nullable: true},
	{Name: "kind", Type: dictString},
	{Name: "code", Type: dictString, Nullable: true},
	{Name: "desc", Type: dictString, Nullable: true},
	{Name: "memory_total_mb", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "memory_rss_mb", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "memory_swap_mb", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "load_avg_1m", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "load_avg_5m", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "load_avg_15m", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "dropped", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "samples", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "message", Type: arrow.BinaryTypes.String},
}, nil)

// EventWriter streams dyno, metrics and logplex records (parse.KindDyno,
// KindMetrics, KindLogplex) into a Parquet file with EventSchema, like
// RequestWriter does for requests.
type EventWriter struct {
	t *pqTable

	time                 *array.TimestampBuilder
	file, process, kind  *dictCol
	code, desc           *dictCol
	line, dropped        *array.Int64Builder
	memTotal, rss, swap  *array.Float64Builder
	load1, load5, load15 *array.Float64Builder
	samples              *array.MapBuilder
	sampleKey            *array.StringBuilder
	sampleVal            *array.Float64Builder
	message              *array.StringBuilder
	vals                 [6]float64 // memory_total, rss, swap, load 1m, 5m, 15m; -1 when absent
	keyBuf               []byte
}

// NewEventWriter starts an events file on w. Close must be called to
// finish the file.
func NewEventWriter(w io.Writer, o ParquetOptions) (*EventWriter, error) {
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultEventRowGroupRows
	}
	t, err := newPQTable(w, EventSchema, o, []string{"time", "line", "message"})
	if err != nil {
		return nil, err
	}
	f := t.builders
	mb := f[14].(*array.MapBuilder)
	return &EventWriter{
		t: t, time: f[0].(*array.TimestampBuilder), file: t.dict(1), line: f[2].(*array.Int64Builder),
		process: t.dict(3), kind: t.dict(4), code: t.dict(5), desc: t.dict(6),
		memTotal: f[7].(*array.Float64Builder), rss: f[8].(*array.Float64Builder), swap: f[9].(*array.Float64Builder),
		load1: f[10].(*array.Float64Builder), load5: f[11].(*array.Float64Builder), load15: f[12].(*array.Float64Builder),
		dropped: f[13].(*array.Int64Builder), samples: mb,
		sampleKey: mb.KeyBuilder().(*array.StringBuilder), sampleVal: mb.ItemBuilder().(*array.Float64Builder),
		message: f[15].(*array.StringBuilder), keyBuf: make([]byte, 0, 64),
	}, nil
}

// IsEvent reports whether a record belongs in the events table.
func IsEvent(r *parse.Record) bool {
	return r.Kind == parse.KindDyno || r.Kind == parse.KindMetrics || r.Kind == parse.KindLogplex
}

// Add writes r as a row if it is an event (see IsEvent) and ignores any
// other record. The record's byte fields are copied.
func (w *EventWriter) Add(file string, r *parse.Record) error {
	t := w.t
	if t.err != nil {
		return t.err
	}
	if t.closed {
		return ErrWriterClosed
	}
	if !IsEvent(r) {
		return nil
	}
	ts(w.time, r)
	w.file.addString(file)
	w.line.Append(r.Line)
	w.process.addString(r.Process)
	switch r.Kind {
	case parse.KindDyno:
		if r.Event == parse.EventNone {
			w.kind.addString("dyno")
		} else {
			w.kind.addString(r.Event.String())
		}
	case parse.KindMetrics:
		w.kind.addString("metrics")
	default:
		w.kind.addString("logplex")
	}
	w.code.addString(r.Code)
	w.desc.addBytes(r.Desc)
	w.vals = [6]float64{-1, -1, -1, -1, -1, -1}
	if r.MemMB >= 0 {
		w.vals[0] = r.MemMB
	}
	if r.Kind == parse.KindMetrics {
		w.samples.Append(true)
		parse.Samples(r.Message, w.sample)
	} else {
		w.samples.AppendNull()
	}
	for i, b := range [...]*array.Float64Builder{w.memTotal, w.rss, w.swap, w.load1, w.load5, w.load15} {
		if w.vals[i] < 0 {
			b.AppendNull()
		} else {
			b.Append(w.vals[i])
		}
	}
	i64(w.dropped, r.Dropped)
	t.str(w.message, r.Message, false)
	return t.added()
}

// sample files one sample#key=value pair: a typed column, or the samples
// map.
func (w *EventWriter) sample(key []byte, v float64, unit []byte, ok bool) {
	if !ok {
		return
	}
	col := -1
	switch string(key) {
	case "memory_total":
		col = 0
	case "memory_rss":
		col = 1
	case "memory_swap":
		col = 2
	case "load_avg_1m":
		col = 3
	case "load_avg_5m":
		col = 4
	case "load_avg_15m":
		col = 5
	}
	if col >= 0 {
		if col <= 2 {
			v = toMB(v, unit)
		}
		w.vals[col] = v
		return
	}
	w.keyBuf = append(w.keyBuf[:0], key...)
	if len(unit) > 0 {
		w.keyBuf = append(w.keyBuf, '_')
		for _, c := range unit {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			w.keyBuf = append(w.keyBuf, c)
		}
	}
	w.sampleKey.BinaryBuilder.Append(w.t.valid(w.keyBuf))
	w.sampleVal.Append(v)
}

// toMB converts a memory sample to MB (2^20 bytes) from its logged unit;
// MB is assumed when the unit is absent or unknown.
func toMB(v float64, unit []byte) float64 {
	switch {
	case bytes.EqualFold(unit, []byte("kB")), bytes.EqualFold(unit, []byte("KB")):
		return v / 1024
	case bytes.EqualFold(unit, []byte("GB")):
		return v * 1024
	case bytes.EqualFold(unit, []byte("bytes")), bytes.EqualFold(unit, []byte("B")):
		return v / (1 << 20)
	}
	return v
}

// Rows returns the number of rows added so far.
func (w *EventWriter) Rows() int64 { return w.t.rows }

// Close writes the buffered rows and the file footer. It does not close
// the underlying writer.
func (w *EventWriter) Close() error { return w.t.close() }
