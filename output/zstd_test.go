package output

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// TestZstdCodecRoundTrip: the registered zstd codec's frames, at herolog's
// level, literals-only, sampled and stored, decode to their input with klauspost/compress's
// decoder and with arrow-go's codec, for inputs that take each path (empty,
// small raw blocks, Huffman-coded blocks, a single repeated byte,
// incompressible bytes, several blocks, a last block of one byte).
func TestZstdCodecRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	hexIDs := func(n int) []byte {
		var b []byte
		for len(b) < n {
			b = fmt.Appendf(b, "%08x-%04x-4%03x-%04x-%012x", rnd.Uint32(), rnd.IntN(1<<16), rnd.IntN(1<<12), rnd.IntN(1<<16), rnd.Uint64()>>16)
		}
		return b[:n]
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	inputs := map[string][]byte{
		"empty":                {},
		"one byte":             {'x'},
		"small":                hexIDs(1023),
		"ids, one block":       hexIDs(100 << 10),
		"ids, exactly a block": hexIDs(zstdBlockMax),
		"ids, block and 1":     hexIDs(zstdBlockMax + 1),
		"ids, several blocks":  hexIDs(300 << 10),
		"one repeated byte":    bytes.Repeat([]byte{'a'}, 200<<10),
		"random bytes":         random(150 << 10),
	}
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for name, in := range inputs {
		for _, level := range []int{zstdLevel, zstdLiteralsLevel, zstdSampledLevel, zstdStoredLevel} {
			t.Run(fmt.Sprintf("%s/level %d", name, level), func(t *testing.T) {
				frame := codec.EncodeLevel(nil, in, level)
				if int64(len(frame)) > codec.CompressBound(int64(max(len(in), 1))) {
					t.Errorf("%d bytes of frame for %d bytes, bound %d", len(frame), len(in), codec.CompressBound(int64(len(in))))
				}
				got, err := dec.DecodeAll(frame, nil)
				if err != nil {
					t.Fatalf("klauspost decoder: %v", err)
				}
				if !bytes.Equal(got, in) {
					t.Fatalf("klauspost decoder: %d bytes back, want %d equal bytes", len(got), len(in))
				}
				got, err = compress.Decode(codec, make([]byte, len(in)), frame)
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("arrow-go codec: %d bytes back (%v), want %d equal bytes", len(got), err, len(in))
				}
			})
		}
	}
	// Huffman coding pays on ids: the frame is about 55% of the input.
	in := inputs["ids, several blocks"]
	if n := len(codec.EncodeLevel(nil, in, zstdLiteralsLevel)); n > len(in)*6/10 {
		t.Errorf("literals frame of %d bytes of ids is %d bytes", len(in), n)
	}
}

// addrPages returns two data pages of client addresses (128 KiB each, as
// the writer makes them: plain values, each after its 4-byte length), from
// a random source seeded with seed: one whose addresses do not repeat, and
// one whose addresses come from 300 clients.
func addrPages(seed uint64) (distinct, repeated []byte) {
	rnd := rand.New(rand.NewPCG(seed, seed+1))
	addr := func() string {
		return fmt.Sprintf("%d.%d.%d.%d", rnd.IntN(224)+1, rnd.IntN(256), rnd.IntN(256), rnd.IntN(256))
	}
	pool := make([]string, 300)
	for i := range pool {
		pool[i] = addr()
	}
	page := func(next func() string) []byte {
		var b []byte
		for len(b) < 128<<10 {
			v := next()
			b = append(b, byte(len(v)), 0, 0, 0)
			b = append(b, v...)
		}
		return b
	}
	return page(addr), page(func() string { return pool[rnd.IntN(len(pool))] })
}

// TestZstdSampledLevel: a page of client addresses at zstdSampledLevel is
// coded as literals only when the addresses do not repeat, and with LZ
// matching (the frame of zstdLevel) when they come from a few hundred
// clients; either way it decodes to itself.
func TestZstdSampledLevel(t *testing.T) {
	distinct, repeated := addrPages(5)
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want int // the level whose frame the sampled one must equal
	}{
		{"distinct addresses", distinct, zstdLiteralsLevel},
		{"300 clients", repeated, zstdLevel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codec.EncodeLevel(nil, tc.in, zstdSampledLevel)
			want := codec.EncodeLevel(nil, tc.in, tc.want)
			lz := codec.EncodeLevel(nil, tc.in, zstdLevel)
			lit := codec.EncodeLevel(nil, tc.in, zstdLiteralsLevel)
			t.Logf("%d bytes: LZ %d (%.2f), literals %d (%.2f), LZ/literals %.0f/64", len(tc.in), len(lz),
				float64(len(lz))/float64(len(tc.in)), len(lit), float64(len(lit))/float64(len(tc.in)), 64*float64(len(lz))/float64(len(lit)))
			if !bytes.Equal(got, want) {
				t.Errorf("sampled frame of %d bytes is not the one of level %d (%d bytes)", len(got), tc.want, len(want))
			}
			back, err := compress.Decode(codec, make([]byte, len(tc.in)), got)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Fatalf("decoded %d bytes (%v), want %d equal bytes", len(back), err, len(tc.in))
			}
		})
	}
}

// TestZstdSampledKept: at a level from newSampledLevel a page is coded
// as at zstdSampledLevel, and the next zstdSampleKeep pages take the same
// choice without a trial whatever they hold; the page after them is tried
// again. Two such levels keep their choices apart, and a released level
// tries every page.
func TestZstdSampledKept(t *testing.T) {
	distinct, repeated := addrPages(11)
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	lit := codec.EncodeLevel(nil, repeated, zstdLiteralsLevel)
	lz := codec.EncodeLevel(nil, repeated, zstdLevel)
	if bytes.Equal(lit, lz) {
		t.Fatal("the repeated page codes the same both ways")
	}
	a, b := newSampledLevel(), newSampledLevel()
	defer releaseSampledLevel(b)
	if a == b {
		t.Fatalf("two writers share level %d", a)
	}
	if got, want := codec.EncodeLevel(nil, distinct, a), codec.EncodeLevel(nil, distinct, zstdLiteralsLevel); !bytes.Equal(got, want) {
		t.Fatal("distinct addresses: not the literals frame")
	}
	for i := 0; i < zstdSampleKeep; i++ {
		if got := codec.EncodeLevel(nil, repeated, a); !bytes.Equal(got, lit) {
			t.Fatalf("page %d after the trial: not the literals frame the trial chose", i+1)
		}
		if got := codec.EncodeLevel(nil, repeated, b); !bytes.Equal(got, lz) {
			t.Fatalf("page %d at the other level: not the LZ frame", i+1)
		}
	}
	if got := codec.EncodeLevel(nil, repeated, a); !bytes.Equal(got, lz) {
		t.Fatal("page after the kept ones: not tried again")
	}
	back, err := compress.Decode(codec, make([]byte, len(repeated)), lit)
	if err != nil || !bytes.Equal(back, repeated) {
		t.Fatalf("decoded %d bytes (%v), want %d equal bytes", len(back), err, len(repeated))
	}
	releaseSampledLevel(a)
	codec.EncodeLevel(nil, distinct, a)
	if got := codec.EncodeLevel(nil, repeated, a); !bytes.Equal(got, lz) {
		t.Fatal("released level: the choice was kept")
	}
}

// TestZstdStoredLevel: at zstdStoredLevel a page whose first
// zstdSampleBytes LZ matching cannot shrink by an eighth is stored (raw
// blocks: the page plus 9 bytes of frame header and 3 per 128 KiB block),
// and a page where it can is the frame of zstdLevel; small pages too;
// either way the frame decodes to the page.
func TestZstdStoredLevel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	// Bit-packed-like pages: random bytes, or the same few bytes over
	// and over (line numbers one apart pack to a repeated pattern).
	repeat := func(n int) []byte { return bytes.Repeat([]byte{1, 0, 0, 0, 0x55, 0x55}, n/6+1)[:n] }
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		in     []byte
		stored bool
	}{
		{"noise", noise(130 << 10), true},
		{"noise, several blocks", noise(300 << 10), true},
		{"noise, small", noise(1000), true},
		{"repeats", repeat(130 << 10), false},
		{"repeats, small", repeat(1000), false},
		{"compressible after the sample", append(noise(zstdSampleBytes), repeat(100<<10)...), true},
		{"noise after the sample", append(repeat(zstdSampleBytes), noise(100<<10)...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codec.EncodeLevel(nil, tc.in, zstdStoredLevel)
			if tc.stored {
				if want := len(tc.in) + 9 + 3*((len(tc.in)+zstdBlockMax-1)/zstdBlockMax); len(got) != want {
					t.Errorf("%d bytes stored in a frame of %d bytes, want %d", len(tc.in), len(got), want)
				}
			} else if want := codec.EncodeLevel(nil, tc.in, zstdLevel); !bytes.Equal(got, want) {
				t.Errorf("frame of %d bytes is not the LZ one (%d bytes)", len(got), len(want))
			}
			back, err := compress.Decode(codec, make([]byte, len(tc.in)), got)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Fatalf("decoded %d bytes (%v), want %d equal bytes", len(back), err, len(tc.in))
			}
		})
	}
}
