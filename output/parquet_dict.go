package output

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// dictIdx is one dictionary string column of a row group: its values and
// one index per row (-1 for null). The row group's dictionary is only
// complete when the row group ends, so the column is encoded then, at the
// cost of 4 bytes a row until it is: the Parquet writer takes a dictionary
// once (PutDictionary) and then indices, without hashing any value.
type dictIdx struct {
	nullable bool
	m        map[string]int32 // raw bytes as logged -> index
	vals     []string         // valid UTF-8
	size     int              // bytes of vals
	idx      []int32
	defs     []int16 // writeIndices: a page's definition levels
}

func (d *dictIdx) reset() {
	clear(d.m)
	d.vals, d.idx = d.vals[:0], d.idx[:0]
	d.size = 0
}

func (d *dictIdx) insert(raw string) int32 {
	key := strings.Clone(raw)
	i := int32(len(d.vals))
	d.m[key] = i
	v := strings.ToValidUTF8(key, "\uFFFD")
	d.vals = append(d.vals, v)
	d.size += len(v)
	return i
}

// dictPageRows is the number of rows per data page of a dictionary column
// (its indices are cut into pages by hand: the writer does not count them).
const dictPageRows = 64 << 10

// maxDictBytes is the dictionary size past which a column chunk is written
// with plain values instead (the writer's default dictionary page limit).
const maxDictBytes = 1 << 20

// dictEncoder is the part of the Parquet writer's dictionary encoder used
// here (its package is internal).
type dictEncoder interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

// write encodes the row group's column into cw.
func (d *dictIdx) write(cw file.ColumnChunkWriter, def []int16, vals []parquet.ByteArray) error {
	w := cw.(*file.ByteArrayColumnChunkWriter)
	enc, ok := w.CurrentEncoder().(dictEncoder)
	if ok && d.size <= maxDictBytes {
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		sb.AppendValues(d.vals, nil)
		dict := sb.NewArray()
		sb.Release()
		err := enc.PutDictionary(dict)
		dict.Release()
		if err != nil {
			return err
		}
		if enc.NumEntries() == len(d.vals) {
			return d.writeIndices(w)
		}
		// Two raw values repaired to the same string: the dictionary
		// has duplicates, so the writer's own must be rebuilt.
		w.FallbackToPlain()
	}
	if d.nullable {
		def = def[:0]
	}
	vals = vals[:0]
	for _, i := range d.idx {
		if i < 0 {
			def = append(def, 0)
			continue
		}
		if d.nullable {
			def = append(def, 1)
		}
		vals = append(vals, parquet.ByteArray(d.vals[i]))
	}
	if !d.nullable {
		def = nil
	}
	_, err := w.WriteBatch(vals, def, nil)
	return err
}

// writeIndices writes d.idx in pages of dictPageRows, with the statistics
// of the values each page references.
func (d *dictIdx) writeIndices(w *file.ByteArrayColumnChunkWriter) error {
	seen := make([]bool, len(d.vals))
	for start := 0; start < len(d.idx); start += dictPageRows {
		chunk := d.idx[start:min(start+dictPageRows, len(d.idx))]
		clear(seen)
		nulls := 0
		var defs []int16 // kept in d.defs: a page's worth, reused
		if d.nullable {
			defs = d.defs[:0]
			for _, i := range chunk {
				if i < 0 {
					defs = append(defs, 0)
					nulls++
				} else {
					defs = append(defs, 1)
					seen[i] = true
				}
			}
		} else {
			for _, i := range chunk {
				seen[i] = true
			}
		}
		if st := w.PageStatistics(); st != nil {
			sb := array.NewStringBuilder(memory.DefaultAllocator)
			for i, ok := range seen {
				if ok {
					sb.Append(d.vals[i])
				}
			}
			ref := sb.NewArray()
			sb.Release()
			st.IncNulls(int64(nulls))
			st.IncNumValues(int64(len(chunk) - nulls))
			err := st.UpdateFromArrow(ref, false)
			ref.Release()
			if err != nil {
				return err
			}
		}
		var valid *memory.Buffer
		if nulls > 0 {
			bits := make([]byte, (len(chunk)+7)/8)
			for j, i := range chunk {
				if i >= 0 {
					bits[j>>3] |= 1 << (j & 7)
				}
			}
			valid = memory.NewBufferBytes(bits)
		}
		data := array.NewData(arrow.PrimitiveTypes.Int32, len(chunk),
			[]*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(chunk))}, nil, nulls, 0)
		indices := array.NewInt32Data(data)
		data.Release()
		d.defs = defs
		err := w.WriteDictIndices(indices, defs, nil)
		indices.Release()
		if err != nil {
			return err
		}
		if err := w.FlushCurrentPage(); err != nil {
			return err
		}
	}
	return nil
}
