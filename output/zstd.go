package output

import (
	"encoding/binary"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// herolog's zstd codec for Parquet pages, registered in place of
// arrow-go's (the Parquet writer looks codecs up by type; there is no
// per-writer hook). It reads with arrow-go's codec and writes the same
// standard zstd frames, cheaper:
//
//   - Pages are compressed by encoders from a free list that the garbage
//     collector does not empty (arrow-go's sync.Pool lost its encoders, and
//     their 1 MB histories, at every collection), with a window no larger
//     than a page and no content checksum (Parquet pages carry their own
//     sizes; arrow-go's frames spent 2% of an export's CPU on xxhash).
//
//   - At zstdLiteralsLevel, set for the request_id column, a page is
//     Huffman-coded literals only (zstd blocks with no sequences): random
//     ids give LZ matching nothing to find, and looking for matches was
//     two thirds of the time zstd spent on the column.
//
//   - At zstdSampledLevel, set for the fwd column, a page is coded one way
//     or the other after a trial on its first zstdSampleBytes: LZ matching
//     where it makes the sample much smaller than literals alone (client
//     addresses that repeat), literals only otherwise (addresses that do
//     not repeat, where matching finds only short matches, at some 150
//     MB/s against 700 for Huffman coding alone).
//
//   - At zstdStoredLevel, set for the DELTA_BINARY_PACKED integer columns,
//     a page is LZ-coded only when a trial on its first zstdSampleBytes
//     shows it pays; otherwise it is stored (raw blocks, a copy). Bit-packed
//     deltas of times, sizes and durations are as dense as their values'
//     noise: zstd saved nothing on them (ratio 1.00 for time, bytes and
//     service_ms in a 1 GiB log's export) and cost 30-50 MB/s of CPU.
//
// Other levels go to arrow-go's codec unchanged.
type zstdCodec struct {
	compress.Codec // arrow-go's: decoding, Encode, other levels
}

// zstdLevel is the level herolog compresses pages at (zstd level 1, the
// fastest of klauspost/compress).
const zstdLevel = 1

// zstdLiteralsLevel asks for literals-only frames. It is no zstd level;
// any other writer using it would get valid zstd frames all the same.
const zstdLiteralsLevel = -1 << 20

// zstdSampledLevel asks for LZ or literals-only frames, whichever the
// page's first zstdSampleBytes favour (see zstdCodec). It is no zstd level
// either.
const zstdSampledLevel = zstdLiteralsLevel + 1

// zstdStoredLevel asks for LZ-coded or stored frames, whichever the page's
// first zstdSampleBytes favour (see zstdCodec). It is no zstd level either.
const zstdStoredLevel = zstdLiteralsLevel + 2

// zstdSampleStoreMin is, out of 64, the smallest ratio of the sample's LZ
// frame to the sample for which a page at zstdStoredLevel is stored: LZ
// must save at least an eighth. In a 1 GiB log's export line numbers come
// out at 0.48 (LZ), connect_ms at 0.92, time, bytes and service_ms at
// 1.00 (stored).
const zstdSampleStoreMin = 56

// zstdSampleBytes is the length of the trial of a page at
// zstdSampledLevel.
const zstdSampleBytes = 16 << 10

// zstdSampleLZMax is, out of 64, the largest ratio of the sample's LZ
// frame to its literals-only frame for which a page at zstdSampledLevel
// is LZ-coded: matching must save more than a third of what literals
// alone give to be worth its three times the time. Client addresses that
// never repeat, as the log generator makes them, come out at 47/64 over
// the fwd column of a 1 GiB log (55/64 in TestZstdSampledLevel's pages),
// so that column grows from 0.33 of its plain size to 0.45; addresses
// drawn from a few hundred clients come out at 28/64 and keep LZ.
const zstdSampleLZMax = 42

func init() {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err)
	}
	compress.RegisterCodec(compress.Codecs.Zstd, zstdCodec{c})
}

// zstdPageMax is the largest page the pooled encoders are sized for
// (their window: pages are about dataPageSize); larger pages still
// compress, with matches limited to this distance.
const zstdPageMax = 2 * dataPageSize

// encoders is the free list of page encoders; at most as many exist as
// pages are compressed at once (one per column being encoded).
var encoders = struct {
	sync.Mutex
	free []*zstd.Encoder
}{}

func getEncoder() *zstd.Encoder {
	encoders.Lock()
	if n := len(encoders.free); n > 0 {
		e := encoders.free[n-1]
		encoders.free = encoders.free[:n-1]
		encoders.Unlock()
		return e
	}
	encoders.Unlock()
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(zstdPageMax), zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true),
		zstd.WithAllLitEntropyCompression(true))
	if err != nil {
		panic(err) // only for invalid options
	}
	return e
}

func putEncoder(e *zstd.Encoder) {
	encoders.Lock()
	if len(encoders.free) < 64 {
		encoders.free = append(encoders.free, e)
	}
	encoders.Unlock()
}

// EncodeLevel compresses src into dst (reused when large enough).
func (c zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	switch level {
	case zstdLevel:
		e := getEncoder()
		dst = e.EncodeAll(src, dst[:0])
		putEncoder(e)
		return dst
	case zstdLiteralsLevel:
		s := scratches.Get().(*huff0.Scratch)
		dst = appendLiteralsFrame(dst[:0], src, s)
		scratches.Put(s)
		return dst
	case zstdSampledLevel:
		return sampledFrame(dst, src, nil)
	case zstdStoredLevel:
		e := getEncoder()
		dst = e.EncodeAll(src[:min(len(src), zstdSampleBytes)], dst[:0])
		switch {
		case len(dst)*64 >= zstdSampleStoreMin*min(len(src), zstdSampleBytes):
			dst = appendFrame(dst[:0], src, nil)
		case len(src) > zstdSampleBytes:
			dst = e.EncodeAll(src, dst[:0])
		}
		putEncoder(e)
		return dst
	}
	if level >= zstdSampledKeptBase && level < zstdSampledKeptBase+zstdSampledKeptMax {
		return sampledFrame(dst, src, sampledKept(level))
	}
	return c.Codec.EncodeLevel(dst, src, level)
}

// sampledFrame codes a page at zstdSampledLevel: LZ matching or literals
// only, after a trial on its first zstdSampleBytes; with k, the trial's
// choice is kept for the next zstdSampleKeep pages of the column.
func sampledFrame(dst, src []byte, k *sampleChoice) []byte {
	s := scratches.Get().(*huff0.Scratch)
	e := getEncoder()
	lz := len(src) <= zstdSampleBytes
	switch {
	case lz:
	case k != nil && k.left > 0:
		k.left--
		lz = k.lz
	default:
		sample := src[:zstdSampleBytes]
		dst = appendLiteralsFrame(dst[:0], sample, s)
		lit := len(dst)
		dst = e.EncodeAll(sample, dst[:0])
		lz = len(dst)*64 <= lit*zstdSampleLZMax
		if k != nil {
			k.lz, k.left = lz, zstdSampleKeep
		}
	}
	if lz {
		dst = e.EncodeAll(src, dst[:0])
	} else {
		dst = appendLiteralsFrame(dst[:0], src, s)
	}
	putEncoder(e)
	scratches.Put(s)
	return dst
}

// zstdSampledKeptBase is the first of the levels newSampledLevel hands
// out (zstdSampledKeptMax of them, below the other herolog levels): each
// asks for zstdSampledLevel's frames with the trial's choice kept for
// zstdSampleKeep pages, one level per column of a writer, whose pages are
// compressed one after the other, so the file does not depend on other
// writers.
const (
	zstdSampledKeptBase = zstdLiteralsLevel - zstdSampledKeptMax
	zstdSampledKeptMax  = 1 << 20
)

// zstdSampleKeep is the number of pages after a trial that take its
// choice: the LZ trial of a page of addresses that never repeat cost as
// much as a third of coding the page as literals.
const zstdSampleKeep = 7

// sampleChoice is the last trial's choice for one column at a kept
// sampled level, and how many more pages take it.
type sampleChoice struct {
	lz   bool
	left int
}

var sampledLevels = struct {
	sync.Mutex
	next    int
	choices map[int]*sampleChoice
}{choices: map[int]*sampleChoice{}}

// newSampledLevel returns a level for one column of one writer: pages
// coded as at zstdSampledLevel, the trial's choice kept for
// zstdSampleKeep pages. releaseSampledLevel forgets it.
func newSampledLevel() int {
	sampledLevels.Lock()
	defer sampledLevels.Unlock()
	for {
		l := zstdSampledKeptBase + sampledLevels.next
		sampledLevels.next = (sampledLevels.next + 1) % zstdSampledKeptMax
		if sampledLevels.choices[l] == nil {
			sampledLevels.choices[l] = &sampleChoice{}
			return l
		}
	}
}

func releaseSampledLevel(l int) {
	sampledLevels.Lock()
	delete(sampledLevels.choices, l)
	sampledLevels.Unlock()
}

// sampledKept returns the choice of a level from newSampledLevel; a level
// not (or no longer) handed out gets a fresh one each time, as at
// zstdSampledLevel.
func sampledKept(l int) *sampleChoice {
	sampledLevels.Lock()
	k := sampledLevels.choices[l]
	sampledLevels.Unlock()
	if k == nil {
		k = &sampleChoice{}
	}
	return k
}

// CompressBound is the largest frame EncodeLevel makes of n bytes: the
// literals frames' raw blocks add 3 bytes per 128 KiB to a 9-byte header,
// within the bound of zstd's.
func (c zstdCodec) CompressBound(n int64) int64 {
	return max(c.Codec.CompressBound(n), n+9+3*(n/zstdBlockMax+1))
}

var scratches = sync.Pool{New: func() any { return &huff0.Scratch{Reuse: huff0.ReusePolicyNone} }}

// zstdBlockMax is the largest content of a zstd block.
const zstdBlockMax = 128 << 10

// appendLiteralsFrame appends a zstd frame of src to dst made of
// compressed blocks that hold only Huffman-coded literals (raw blocks where
// Huffman coding does not pay). The format is RFC 8878's: a single-segment
// frame with a 4-byte content size and no checksum; a compressed block
// whose literals section has four streams and whose sequences section
// says there are none.
func appendLiteralsFrame(dst, src []byte, s *huff0.Scratch) []byte {
	return appendFrame(dst, src, s)
}

// appendFrame appends a zstd frame of src to dst: with s, as
// appendLiteralsFrame; without, of raw blocks only (src stored).
func appendFrame(dst, src []byte, s *huff0.Scratch) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, 0xFD2FB528) // magic
	dst = append(dst, 0xA0)                                 // 4-byte content size, single segment
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(src)))
	if len(src) == 0 {
		return appendBlockHeader(dst, true, 0, 0)
	}
	for len(src) > 0 {
		n := min(len(src), zstdBlockMax)
		blk := src[:n]
		src = src[n:]
		last := len(src) == 0
		// Four streams need some bytes; a small block is not worth coding.
		if s != nil && n >= 1024 {
			s.Reuse = huff0.ReusePolicyNone
			out, _, err := huff0.Compress4X(blk, s)
			if err == nil && len(out)+6 < n {
				// Literals section header, size format 3: block type 2
				// (compressed), 18-bit regenerated and compressed sizes.
				h := uint64(2) | 3<<2 | uint64(n)<<4 | uint64(len(out))<<22
				dst = appendBlockHeader(dst, last, 2, 5+len(out)+1)
				dst = append(dst, byte(h), byte(h>>8), byte(h>>16), byte(h>>24), byte(h>>32))
				dst = append(dst, out...)
				dst = append(dst, 0) // no sequences
				continue
			}
		}
		dst = appendBlockHeader(dst, last, 0, n)
		dst = append(dst, blk...)
	}
	return dst
}

// appendBlockHeader appends a zstd block header: last block, type (0 raw,
// 2 compressed), size.
func appendBlockHeader(dst []byte, last bool, typ, size int) []byte {
	h := uint32(typ)<<1 | uint32(size)<<3
	if last {
		h |= 1
	}
	return append(dst, byte(h), byte(h>>8), byte(h>>16))
}
