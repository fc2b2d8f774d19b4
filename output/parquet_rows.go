package output

import (
	"iter"
	"math"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/herolog/herolog/aggregate"
	"github.com/herolog/herolog/parse"
)

// RequestRows is a buffer of router requests in RequestSchema's columns,
// filled with Add on any goroutine and written with RequestWriter.AddRows:
// a parallel scan parses each chunk of the input into its own RequestRows,
// and the chunks are handed to the writer in input order.
//
// Everything per row is done in Add: fields copied into typed column
// slices, the route computed, and the values of dictionary columns
// interned into a dictionary local to the buffer (one map look-up per row,
// most rows hitting the previous value). AddRows then only copies slices
// and maps each local dictionary entry to the writer's dictionary once.
// A RequestRows is reused with Reset; it is not safe for concurrent use.
type RequestRows struct {
	n      int
	cols   []colBuf                         // non-dictionary columns (dictionary ones unused)
	dicts  []*localDict                     // dictionary columns; nil for the others
	routes *aggregate.RouteCache[routeSlot] // templates of recent paths
	fill   uint64                           // numbers the fillings between Resets, for routeSlot

	// Where AddRows stopped: the next row, and per column the next value.
	pos  int
	vpos []int
	// The writer dictionaries the local dictionaries' remaps are for.
	gen uint64
}

// localDict is a dictionary column of a RequestRows: the raw values seen
// in the buffer and an index into them per row (-1 for null), plus each
// value's index in the writer's dictionary (-1 until looked up).
type localDict struct {
	nullable bool
	m        map[string]int32
	keys     []string
	idx      []int32
	remap    []int32
	lastKey  string
	lastIdx  int32
	// recent holds the last values looked up in m, so that rows
	// alternating between a few values (dynos behind one app, a handful of
	// routes) mostly compare a few strings instead of hashing one.
	recent [recentVals]struct {
		key string
		idx int32
	}
	next int // the slot of recent to replace
}

// recentVals is the size of localDict.recent.
const recentVals = 8

func (d *localDict) reset() {
	clear(d.m)
	clear(d.keys)
	d.keys, d.idx, d.remap = d.keys[:0], d.idx[:0], d.remap[:0]
	d.lastKey, d.lastIdx = "", -1
	d.recent = [recentVals]struct {
		key string
		idx int32
	}{}
	for i := range d.recent {
		d.recent[i].idx = -1
	}
}

// lookup returns v's index, adding a copy of v if new (v may be a view of
// bytes that change).
func (d *localDict) lookup(v string) int32 {
	for k := range d.recent {
		if e := &d.recent[k]; e.idx >= 0 && e.key == v {
			return e.idx
		}
	}
	i, ok := d.m[v]
	if !ok {
		i = d.insert(strings.Clone(v))
	}
	e := &d.recent[d.next]
	e.key, e.idx = d.keys[i], i
	d.next = (d.next + 1) % recentVals
	return i
}

func (d *localDict) string(v string) {
	if v == "" && d.nullable {
		d.idx = append(d.idx, -1)
		return
	}
	if d.lastIdx >= 0 && v == d.lastKey {
		d.idx = append(d.idx, d.lastIdx)
		return
	}
	i := d.lookup(v)
	d.lastKey, d.lastIdx = d.keys[i], i
	d.idx = append(d.idx, i)
}

func (d *localDict) bytes(v []byte) {
	if len(v) == 0 && d.nullable {
		d.idx = append(d.idx, -1)
		return
	}
	if d.lastIdx >= 0 && string(v) == d.lastKey {
		d.idx = append(d.idx, d.lastIdx)
		return
	}
	i := d.lookup(unsafe.String(unsafe.SliceData(v), len(v))) // not kept: lookup copies
	d.lastKey, d.lastIdx = d.keys[i], i
	d.idx = append(d.idx, i)
}

func (d *localDict) insert(key string) int32 {
	i := int32(len(d.keys))
	d.m[key] = i
	d.keys = append(d.keys, key)
	d.remap = append(d.remap, -1)
	return i
}

// NewRequestRows returns an empty buffer.
func NewRequestRows() *RequestRows {
	fields := RequestSchema.Fields()
	b := &RequestRows{
		cols:   newColBufs(RequestSchema),
		dicts:  make([]*localDict, len(fields)),
		vpos:   make([]int, len(fields)),
		routes: new(aggregate.RouteCache[routeSlot]),
		fill:   1,
	}
	for i, f := range fields {
		if arrow.TypeEqual(f.Type, dictString) {
			b.dicts[i] = &localDict{nullable: f.Nullable, m: map[string]int32{}}
			b.dicts[i].reset()
		}
	}
	return b
}

// Len returns the number of rows in the buffer.
func (b *RequestRows) Len() int { return b.n }

// Times yields each row's time (microseconds since the epoch, UTC) and
// whether it has one, in row order.
func (b *RequestRows) Times() iter.Seq2[int64, bool] {
	return func(yield func(int64, bool) bool) {
		c := &b.cols[rqTime]
		k := 0
		for _, d := range c.def {
			if d == 0 {
				if !yield(0, false) {
					return
				}
				continue
			}
			if !yield(c.i64[k], true) {
				return
			}
			k++
		}
	}
}

// Reset empties the buffer, keeping its memory.
func (b *RequestRows) Reset() {
	b.n, b.pos, b.gen = 0, 0, 0
	b.fill++
	clear(b.vpos)
	for i := range b.cols {
		b.cols[i].reset()
	}
	for _, d := range b.dicts {
		if d != nil {
			d.reset()
		}
	}
}

// Add appends r as a row if it is a router request and ignores any other
// kind of record, as RequestWriter.Add does. The record's byte fields are
// copied.
func (b *RequestRows) Add(file string, r *parse.Record) {
	if r.Kind != parse.KindRouter {
		return
	}
	c, d := b.cols, b.dicts
	if r.HasTime {
		c[rqTime].int64(r.Time)
	} else {
		c[rqTime].null()
	}
	d[rqFile].string(file)
	c[rqLine].int64(r.Line)
	d[rqDyno].string(r.Dyno)
	d[rqMethod].string(r.Method)
	d[rqHost].bytes(r.Host)
	c[rqPath].bytes(r.Path)
	// The same key as analyze --by route: "/" for a request without a path.
	// Most paths repeat, or differ only in a last segment that is an id:
	// the cache keeps their templates, and each template's index in the
	// route column's local dictionary for the current filling.
	if e := b.routes.Get(r.Path, noSlot); e.Val.fill == b.fill {
		rd := d[rqRoute]
		rd.idx = append(rd.idx, e.Val.idx)
	} else {
		rd := d[rqRoute]
		rd.bytes(e.Tmpl)
		if i := rd.idx[len(rd.idx)-1]; i >= 0 {
			e.Val = routeSlot{fill: b.fill, idx: i}
		}
	}
	switch {
	case r.Status < 0:
		c[rqStatus].null()
	case r.Status > math.MaxInt16:
		c[rqStatus].int32(math.MaxInt16)
	default:
		c[rqStatus].int32(int32(r.Status))
	}
	ms32(&c[rqConnect], r.Connect)
	ms32(&c[rqService], r.Service)
	ms32(&c[rqQueue], r.Queue)
	ms32(&c[rqWait], r.Wait)
	if r.Bytes < 0 {
		c[rqBytes].null()
	} else {
		c[rqBytes].int64(r.Bytes)
	}
	d[rqProtocol].string(r.Protocol)
	d[rqCode].string(r.Code)
	d[rqDesc].bytes(r.Desc)
	d[rqSock].string(r.Sock.String())
	d[rqAt].string(r.At.String())
	c[rqRequestID].bytes(r.RequestID)
	c[rqFwd].bytes(r.Fwd)
	b.n++
}

// routeSlot is a RequestRows.routes entry's index in the route column's
// local dictionary, valid while fill is the buffer's.
type routeSlot struct {
	fill uint64
	idx  int32
}

// noSlot is the slot of a new cache entry: none yet.
func noSlot([]byte) routeSlot { return routeSlot{} }

// dictGens numbers the sets of writer dictionaries, so a RequestRows knows
// when its remaps are stale: a new row group, or another writer.
var dictGens atomic.Uint64

// AddRows writes rows [lo, hi) of b, in order. The rows of a buffer are
// meant to be added front to back, each range starting where the previous
// one ended (possibly to different writers, as a partitioned export does);
// any other lo costs a pass over the rows before it. b is not kept: it may
// be reset or refilled once AddRows returns. After an error every later
// call returns the same error.
func (w *RequestWriter) AddRows(b *RequestRows, lo, hi int) error {
	if err := w.flushOwn(); err != nil {
		return err
	}
	return w.addRows(b, lo, hi)
}

func (w *RequestWriter) addRows(b *RequestRows, lo, hi int) error {
	t := w.t
	if t.err != nil {
		return t.err
	}
	if t.closed {
		return ErrWriterClosed
	}
	if lo < 0 || hi > b.n || lo > hi {
		panic("output: RequestRows range out of bounds")
	}
	if lo != b.pos {
		b.seek(lo)
	}
	for lo < hi {
		k := min(hi-lo, t.batchRows-t.cur.n)
		b.copyTo(t, lo, lo+k)
		lo += k
		t.cur.n += k
		t.rows += int64(k)
		if t.cur.n >= t.batchRows {
			if err := t.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// seek sets the read position to row lo.
func (b *RequestRows) seek(lo int) {
	for i := range b.cols {
		c := &b.cols[i]
		b.vpos[i] = lo
		if c.nullable && b.dicts[i] == nil {
			k := 0
			for _, d := range c.def[:lo] {
				k += int(d)
			}
			b.vpos[i] = k
		}
	}
	b.pos = lo
}

// copyTo appends rows [lo, hi) to t's current batch and dictionaries.
func (b *RequestRows) copyTo(t *colTable, lo, hi int) {
	if b.gen != t.dictGen {
		for _, d := range b.dicts {
			if d != nil {
				for j := range d.remap {
					d.remap[j] = -1
				}
			}
		}
		b.gen = t.dictGen
	}
	for i := range b.cols {
		if d := b.dicts[i]; d != nil {
			gd, c := t.dicts[i], &t.cur.cols[i]
			if t.cur.n == 0 {
				// A new batch: values instead of indices for the rest of
				// the row group once the dictionary is too large.
				if gd.size >= maxDictBytes {
					gd.plain = true
				}
				c.plain = gd.plain
			}
			for _, li := range d.idx[lo:hi] {
				switch {
				case li < 0:
					c.null()
				case c.plain:
					c.bytes(unsafe.Slice(unsafe.StringData(d.keys[li]), len(d.keys[li])))
				default:
					g := d.remap[li]
					if g < 0 {
						var v string
						var isNew bool
						g, v, isNew = gd.intern(d.keys[li])
						if isNew {
							c.newVals = append(c.newVals, v)
						}
						d.remap[li] = g
					}
					c.int32(g)
				}
			}
			continue
		}
		b.vpos[i] = t.cur.cols[i].appendRange(&b.cols[i], lo, hi, b.vpos[i])
	}
	b.pos = hi
}

// appendRange appends rows [lo, hi) of src, whose values for those rows
// start at vi, and returns the index of the value after them.
func (c *colBuf) appendRange(src *colBuf, lo, hi, vi int) int {
	k := hi - lo
	if src.nullable {
		def := src.def[lo:hi]
		c.def = append(c.def, def...)
		k = 0
		for _, d := range def {
			k += int(d)
		}
	}
	switch src.kind {
	case colInt64:
		c.i64 = append(c.i64, src.i64[vi:vi+k]...)
	case colInt32:
		c.i32 = append(c.i32, src.i32[vi:vi+k]...)
	case colBytes:
		if k == 0 {
			break
		}
		start := int32(0)
		if vi > 0 {
			start = src.ends[vi-1]
		}
		end := src.ends[vi+k-1]
		base := int32(len(c.data)) - start
		c.data = append(c.data, src.data[start:end]...)
		for _, e := range src.ends[vi : vi+k] {
			c.ends = append(c.ends, e+base)
		}
	}
	return vi + k
}
