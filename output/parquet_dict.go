package output

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// dictIdx is one dictionary string column of the row group being filled:
// the values seen so far, numbered in order of first appearance. Batches
// carry the indices of their rows and the values first seen in them
// (colBuf.newVals), and the encoder hands each batch to the Parquet
// writer as it comes, so nothing per row outlives its batch: row groups
// can be as long as the compressed pages allow.
//
// The numbering is the one the Parquet writer's own dictionary gives the
// same values in the same order (it numbers its values by first
// insertion too), which is what lets the encoder pass indices without the
// writer hashing any value. Two raw values repaired to the same valid
// UTF-8 string share an index, as the writer's dictionary would have them.
type dictIdx struct {
	m     map[string]int32 // raw bytes as logged, and their repaired forms -> index
	n     int32            // values
	size  int              // the dictionary's size as the writer counts it (4 + len per value)
	plain bool             // past maxDictBytes: the rest of the row group holds values, not indices
}

func (d *dictIdx) reset() {
	clear(d.m)
	d.n, d.size, d.plain = 0, 0, false
}

// intern returns raw's index and, when it is the first time the value is
// seen in the row group, the value (valid UTF-8) and true. raw must not
// change (it is kept as a map key).
func (d *dictIdx) intern(raw string) (int32, string, bool) {
	if i, ok := d.m[raw]; ok {
		return i, "", false
	}
	v := strings.ToValidUTF8(raw, "\uFFFD")
	if v != raw {
		if i, ok := d.m[v]; ok {
			d.m[raw] = i
			return i, "", false
		}
		d.m[v] = d.n
	}
	i := d.n
	d.n++
	d.m[raw] = i
	d.size += 4 + len(v)
	return i, v, true
}

// dictPageRows is the number of rows per data page of a dictionary column
// (its indices are cut into pages by hand: the writer sizes dictionary
// pages by the raw bytes of the values put through it, and indices put
// directly have none).
const dictPageRows = 64 << 10

// maxDictBytes is the dictionary size (as the Parquet writer counts it)
// past which a column chunk goes on with plain values: the writer's
// dictionary page limit, and the point where the filling side stops
// interning a column's values for the rest of the row group.
var maxDictBytes = 1 << 20

// dictEncoder is the part of the Parquet writer's dictionary encoder used
// here (its package is internal).
type dictEncoder interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

// dictState is what the encoder keeps of one dictionary column while its
// row group lasts.
type dictState struct {
	vals     []string // the row group's dictionary so far
	ivals    []int32  // an int32 column's (writeDictInt32)
	ismall   [intDictSmall]int32
	ibig     map[int32]int32
	pageRows int      // rows in the data page being filled
	idx      []int32  // a batch's indices, one per row (0 for nulls)
	ord      []int32  // an int32 batch's indices, one per non-null value
	valid    []byte   // their validity bitmap
	seen     []uint32 // per value: the last segment that referenced it
	stamp    uint32
	plainBuf []parquet.ByteArray
	plainInt []int32
}

func (s *dictState) reset() {
	clear(s.vals)
	s.vals, s.pageRows = s.vals[:0], 0
	s.ivals = s.ivals[:0]
	clear(s.ismall[:])
	clear(s.ibig)
}

// intDictSmall bounds the int32 values numbered through a table
// (dictState.ismall) rather than a map: HTTP status codes.
const intDictSmall = 1024

// intIndex returns v's index in the int32 dictionary, numbering it next
// when new.
func (s *dictState) intIndex(v int32) int32 {
	if uint32(v) < intDictSmall {
		if i := s.ismall[v]; i > 0 {
			return i - 1
		}
		s.ismall[v] = int32(len(s.ivals)) + 1
	} else {
		if i, ok := s.ibig[v]; ok {
			return i
		}
		if s.ibig == nil {
			s.ibig = map[int32]int32{}
		}
		s.ibig[v] = int32(len(s.ivals))
	}
	s.ivals = append(s.ivals, v)
	return int32(len(s.ivals)) - 1
}

// writeDictInt32 encodes the batch's int32 dictionary column (status,
// queue, wait_ms) as writeDict does a string one, numbering the values
// here, in order of first appearance as the writer's dictionary does,
// instead of the writer hashing every value (a third of the column's
// time): the rows as indices, each value new to the row group as a
// one-value write that enters it in the writer's dictionary under the same
// number; plain values once the writer fell back to plain.
func (c *colBuf) writeDictInt32(s *dictState) error {
	w := c.cw.(*file.Int32ColumnChunkWriter)
	var def []int16
	if c.nullable {
		def = c.def
	}
	if _, ok := w.CurrentEncoder().(dictEncoder); !ok || len(c.i32) == 0 {
		// Plain, or only nulls (queue and wait_ms on modern lines): the
		// writer has nothing to number.
		_, err := w.WriteBatch(c.i32, def, nil)
		return err
	}
	rows := len(c.i32)
	if c.nullable {
		rows = len(def)
	}
	known := len(s.ivals) // values in the writer's dictionary
	s.ord = s.ord[:0]
	for _, v := range c.i32 {
		s.ord = append(s.ord, s.intIndex(v))
	}
	s.setIndices(s.ord, def)
	dw := dictWriter{w, func() (dictEncoder, bool) { e, ok := w.CurrentEncoder().(dictEncoder); return e, ok }}
	return s.writeBatch(dw, rows, def, known, len(s.ivals)-known,
		func(lo, hi int) error { return s.writeRowsInt32(w, lo, hi, def) },
		func(k int, d []int16) error {
			_, err := w.WriteBatch(s.ivals[k:k+1], d, nil)
			return err
		})
}

// dictWriter is the part of a column chunk writer that writeBatch uses
// (the Int32 and ByteArray writers alike), with its current encoder as a
// dictionary encoder (ok false once it fell back to plain): the
// encoder's type is in an internal package, so it is asked through
// encoder.
type dictWriter struct {
	w interface {
		FallbackToPlain()
		FlushCurrentPage() error
	}
	encoder func() (enc dictEncoder, ok bool)
}

// setIndices makes s.idx the batch's indices, one per row, from idx (one
// per non-null row), with the validity bitmap in s.valid when def (the
// definition levels of a nullable column; nil otherwise) is given.
func (s *dictState) setIndices(idx []int32, def []int16) {
	s.idx = s.idx[:0]
	if def == nil {
		s.idx = append(s.idx, idx...)
		return
	}
	s.valid = append(s.valid[:0], make([]byte, (len(def)+7)/8)...)
	k := 0
	for r, d := range def {
		if d == 0 {
			s.idx = append(s.idx, 0)
			continue
		}
		s.idx = append(s.idx, idx[k])
		s.valid[r>>3] |= 1 << (r & 7)
		k++
	}
}

// writeBatch writes the batch's rows, whose indices are in s.idx, to w:
// as indices (writeRows, by segment), except the first row of each of the
// fresh values new to the row group (indices known, known+1, ...), which
// writeNew writes as a one-value batch (with its definition level, when
// def is given) so that it enters the writer's dictionary under the same
// index. Then it cuts the data page every dictPageRows rows.
func (s *dictState) writeBatch(dw dictWriter, rows int, def []int16, known, fresh int,
	writeRows func(lo, hi int) error, writeNew func(k int, d []int16) error) error {
	seg := 0
	// Only a batch that brought new values has rows the writer cannot
	// take as indices.
	for r := 0; fresh > 0 && r < rows; r++ {
		if int(s.idx[r]) < known || (def != nil && def[r] == 0) {
			continue
		}
		if err := writeRows(seg, r); err != nil {
			return err
		}
		var d []int16
		if def != nil {
			d = def[r : r+1]
		}
		if err := writeNew(known, d); err != nil {
			return err
		}
		known++
		fresh--
		if enc, ok := dw.encoder(); ok && enc.NumEntries() != known {
			dw.w.FallbackToPlain() // cannot happen while the numbering agrees; be safe
		}
		seg = r + 1
	}
	if err := writeRows(seg, rows); err != nil {
		return err
	}
	if _, ok := dw.encoder(); ok {
		if s.pageRows += rows; s.pageRows >= dictPageRows {
			s.pageRows = 0
			return dw.w.FlushCurrentPage()
		}
	}
	return nil
}

// writeRowsInt32 writes rows [lo, hi) of the batch in s.idx as
// writeRows does for strings: as indices, with the page statistics of
// their values, or as plain values when the writer fell back to plain.
func (s *dictState) writeRowsInt32(w *file.Int32ColumnChunkWriter, lo, hi int, def []int16) error {
	if lo >= hi {
		return nil
	}
	var d []int16
	if def != nil {
		d = def[lo:hi]
	}
	if _, ok := w.CurrentEncoder().(dictEncoder); !ok {
		s.plainInt = s.plainInt[:0]
		for r := lo; r < hi; r++ {
			if def == nil || def[r] != 0 {
				s.plainInt = append(s.plainInt, s.ivals[s.idx[r]])
			}
		}
		_, err := w.WriteBatch(s.plainInt, d, nil)
		return err
	}
	nulls := 0
	have := false
	var lo1, hi1 int32
	for r := lo; r < hi; r++ {
		if def != nil && def[r] == 0 {
			nulls++
			continue
		}
		v := s.ivals[s.idx[r]]
		if !have {
			lo1, hi1, have = v, v, true
		} else if v < lo1 {
			lo1 = v
		} else if v > hi1 {
			hi1 = v
		}
	}
	if st, ok := w.PageStatistics().(*metadata.Int32Statistics); ok && st != nil {
		st.IncNulls(int64(nulls))
		st.IncNumValues(int64(hi - lo - nulls))
		if have {
			st.SetMinMax(lo1, hi1)
		}
	}
	return s.writeIndices(w, lo, hi, d, nulls)
}

// indicesWriter is a column chunk writer that takes dictionary indices.
type indicesWriter interface {
	WriteDictIndices(indices arrow.Array, defLevels, repLevels []int16) error
}

// writeIndices hands rows [lo, hi) of s.idx, nulls of them null, to w as
// dictionary indices, with their validity bits when some are null.
func (s *dictState) writeIndices(w indicesWriter, lo, hi int, d []int16, nulls int) error {
	n := hi - lo
	bufs := []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(s.idx[lo:hi]))}
	if nulls > 0 {
		bits := s.valid[:(n+7)/8]
		if lo > 0 {
			// The validity bits of rows [lo, hi), shifted to start at bit 0.
			bits = make([]byte, (n+7)/8)
			for j := 0; j < n; j++ {
				if r := lo + j; s.valid[r>>3]&(1<<(r&7)) != 0 {
					bits[j>>3] |= 1 << (j & 7)
				}
			}
		}
		bufs[0] = memory.NewBufferBytes(bits)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, n, bufs, nil, nulls, 0)
	indices := array.NewInt32Data(data)
	data.Release()
	err := w.WriteDictIndices(indices, d, nil)
	indices.Release()
	return err
}

// writeDict encodes the batch's dictionary column into its column chunk
// writer: indices while the writer's encoder is a dictionary one, values
// once it (or the filling side, c.plain) fell back to plain.
func (c *colBuf) writeDict(s *dictState) error {
	w := c.cw.(*file.ByteArrayColumnChunkWriter)
	var def []int16
	if c.nullable {
		def = c.def
	}
	if c.plain {
		if _, ok := w.CurrentEncoder().(dictEncoder); ok {
			w.FallbackToPlain()
		}
		c.views()
		_, err := w.WriteBatch(c.vals, def, nil)
		return err
	}
	rows := len(c.i32)
	if c.nullable {
		rows = len(def)
	}
	// c.i32 holds the indices (the filling side numbered the values).
	s.setIndices(c.i32, def)
	newVals := c.newVals
	dw := dictWriter{w, func() (dictEncoder, bool) { e, ok := w.CurrentEncoder().(dictEncoder); return e, ok }}
	return s.writeBatch(dw, rows, def, len(s.vals), len(newVals),
		func(lo, hi int) error { return s.writeRows(w, lo, hi, def) },
		func(_ int, d []int16) error {
			v := newVals[0]
			newVals = newVals[1:]
			s.vals = append(s.vals, v)
			_, err := w.WriteBatch([]parquet.ByteArray{parquet.ByteArray(v)}, d, nil)
			return err
		})
}

// writeRows writes rows [lo, hi) of the batch in s.idx: as indices, with
// the page statistics of the values they reference, or as plain values
// when the writer fell back to plain encoding.
func (s *dictState) writeRows(w *file.ByteArrayColumnChunkWriter, lo, hi int, def []int16) error {
	if lo >= hi {
		return nil
	}
	var d []int16
	if def != nil {
		d = def[lo:hi]
	}
	if _, ok := w.CurrentEncoder().(dictEncoder); !ok {
		s.plainBuf = s.plainBuf[:0]
		for r := lo; r < hi; r++ {
			if def == nil || def[r] != 0 {
				s.plainBuf = append(s.plainBuf, parquet.ByteArray(s.vals[s.idx[r]]))
			}
		}
		_, err := w.WriteBatch(s.plainBuf, d, nil)
		clear(s.plainBuf)
		return err
	}
	if len(s.seen) < len(s.vals) {
		s.seen = append(s.seen, make([]uint32, len(s.vals)-len(s.seen))...)
	}
	if s.stamp++; s.stamp == 0 {
		clear(s.seen)
		s.stamp = 1
	}
	var lo1, hi1 string
	have := false
	nulls := 0
	for r := lo; r < hi; r++ {
		if def != nil && def[r] == 0 {
			nulls++
			continue
		}
		g := s.idx[r]
		if s.seen[g] == s.stamp {
			continue
		}
		s.seen[g] = s.stamp
		v := s.vals[g]
		if v == "" {
			continue // as the writer's statistics do
		}
		if !have {
			lo1, hi1, have = v, v, true
		} else if v < lo1 {
			lo1 = v
		} else if v > hi1 {
			hi1 = v
		}
	}
	if st, ok := w.PageStatistics().(*metadata.ByteArrayStatistics); ok && st != nil {
		st.IncNulls(int64(nulls))
		st.IncNumValues(int64(hi - lo - nulls))
		if have {
			st.SetMinMax(parquet.ByteArray(lo1), parquet.ByteArray(hi1))
		}
	}
	return s.writeIndices(w, lo, hi, d, nulls)
}
