package kernels

// Tests of the bfloat16 conversions: BF16From against a table and against
// a model of rounding to nearest even written from the definition (the
// nearer of the two neighbours, the even one on a tie), then every path's
// ToBF16 and FromBF16 against the generic code, bit for bit, over every
// float32 class, every length up to three blocks and a bit, misaligned
// operands, with guard bands around the output and the input checked
// unchanged; all 2^32 inputs in TestBF16Exhaustive (not under -short).

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// bf16Specials are float32 bit patterns of every class: ±0, ±Inf, quiet
// and signalling NaNs of both signs with payloads in the top and only in
// the low half, subnormals (with ties and the largest, which rounds up to
// the smallest normal), the smallest normals, ties to even either way
// and their neighbours, values whose rounding carries into the exponent,
// and the largest finite values, which round to ±Inf from 0x7F7F8000 on.
var bf16Specials = []uint32{
	0x00000000, 0x80000000, 0x7f800000, 0xff800000,
	0x7fc00000, 0xffc00000, 0x7fc00001, 0xffffffff, 0x7fffffff, 0x7fc0ffff,
	0x7f800001, 0xff800001, 0x7f80ffff, 0x7f808000, 0x7f810000, 0x7fa00000, 0x7fbfffff, 0xffbfffff,
	0x00000001, 0x80000001, 0x00007fff, 0x00008000, 0x00008001, 0x00018000, 0x80018000,
	0x007f7fff, 0x007f8000, 0x007fffff, 0x807fffff,
	0x00800000, 0x80800000,
	0x3f808000, 0x3f818000, 0x3f807fff, 0x3f808001, 0xbf808000, 0xbf818000, 0xbf817fff,
	0x3f7fffff, 0x3fffffff, 0x3f800000, 0xbf800000,
	0x7f7f0000, 0x7f7f7fff, 0x7f7f8000, 0x7f7fffff, 0xff7f7fff, 0xff7f8000, 0xff7fffff, 0x7f7effff,
}

// bf16Model is rounding to nearest, ties to even, from the definition:
// of the two bfloat16 neighbours of a finite x (lo, its top half, and the
// next one away from zero, whose value is 2^128 past the largest finite
// one), the nearer by value, computed exactly in float64; on a tie the
// one with an even last bit. NaNs: the top half with the quiet bit.
func bf16Model(b uint32) uint16 {
	x := math.Float32frombits(b)
	if x != x {
		return uint16(b>>16) | 0x40
	}
	lo := b &^ 0xFFFF
	if lo == b { // exact, Inf included
		return uint16(b >> 16)
	}
	vlo := float64(math.Float32frombits(lo))
	var vhi float64
	if lo&0x7FFFFFFF == 0x7F7F0000 {
		vhi = math.Copysign(math.Ldexp(1, 128), vlo)
	} else {
		vhi = float64(math.Float32frombits(lo + 0x10000))
	}
	dlo, dhi := math.Abs(float64(x)-vlo), math.Abs(vhi-float64(x))
	if dhi < dlo || dhi == dlo && lo&0x10000 != 0 {
		return uint16(lo>>16) + 1
	}
	return uint16(lo >> 16)
}

func TestBF16From(t *testing.T) {
	for _, c := range []struct{ in, want uint32 }{
		{0x00000000, 0x0000}, {0x80000000, 0x8000}, // the sign of zeros kept
		{0x7f800000, 0x7f80}, {0xff800000, 0xff80},
		{0x3f800000, 0x3f80}, {0x3f808000, 0x3f80}, {0x3f818000, 0x3f82}, // ties to even
		{0x3f807fff, 0x3f80}, {0x3f808001, 0x3f81}, {0xbf818000, 0xbf82},
		{0x3fffffff, 0x4000},                       // the carry into the exponent
		{0x7f7f7fff, 0x7f7f}, {0x7f7f8000, 0x7f80}, // the largest finite; a tie to Inf
		{0x7f7fffff, 0x7f80}, {0xff7f8000, 0xff80},
		{0x00000001, 0x0000}, {0x80000001, 0x8000}, // subnormals: rounded, not flushed
		{0x00008000, 0x0000}, {0x00008001, 0x0001}, {0x00018000, 0x0002},
		{0x007fffff, 0x0080}, {0x807f8000, 0x8080},
		{0x7fc00000, 0x7fc0}, {0xffc00001, 0xffc0}, // NaNs: quiet, sign and top payload kept
		{0x7f800001, 0x7fc0}, {0xff80ffff, 0xffc0}, {0x7fa00000, 0x7fe0},
		{0x7f810000, 0x7fc1}, {0x7fffffff, 0x7fff},
	} {
		if got := BF16From(math.Float32frombits(c.in)); uint32(got) != c.want {
			t.Errorf("BF16From(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	// Every top half with low halves around the ties: the model agrees.
	lows := []uint32{0, 1, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF, 0x1234, 0xC000}
	bad := 0
	for top := range uint32(1 << 16) {
		for _, low := range lows {
			b := top<<16 | low
			if got, want := BF16From(math.Float32frombits(b)), bf16Model(b); uint16(got) != want {
				if bad++; bad <= 5 {
					t.Errorf("BF16From(%#08x) = %#04x, the model %#04x", b, got, want)
				}
			}
		}
	}
	// Float32 is exact and FromBF16's reference: the top half, bit for bit.
	for h := range uint32(1 << 16) {
		if got := math.Float32bits(BF16(h).Float32()); got != h<<16 {
			t.Fatalf("BF16(%#04x).Float32() = %#08x, want %#08x", h, got, h<<16)
		}
		if x := BF16(h).Float32(); x == x && BF16From(x) != BF16(h) {
			t.Fatalf("BF16From(BF16(%#04x).Float32()) = %#04x", h, BF16From(x))
		}
	}
}

// bf16Value is a test input: a special value (pattern ≥ 0 picks
// bf16Specials[pattern%len], so that each lands in every lane), an
// ordinary one of either sign, or random bits.
func bf16Value(r *rand.Rand, pattern int) float32 {
	if pattern >= 0 {
		return math.Float32frombits(bf16Specials[pattern%len(bf16Specials)])
	}
	switch k := r.IntN(8); {
	case k < 2:
		return math.Float32frombits(bf16Specials[r.IntN(len(bf16Specials))])
	case k < 5:
		return float32(r.NormFloat64() * 100)
	default:
		return math.Float32frombits(r.Uint32())
	}
}

const (
	bf16Head = 37 // guard elements before an operand (odd: offsets misalign)
	bf16Tail = 67 // and after it: more than a vector of either type
)

// bf16Guarded returns a buffer with n elements at bf16Head+off, all of it
// holding g, and those n elements.
func bf16Guarded[T any](n, off int, g T) (buf, arg []T) {
	buf = make([]T, bf16Head+off+n+bf16Tail)
	for i := range buf {
		buf[i] = g
	}
	s := bf16Head + off
	return buf, buf[s : s+n : s+n]
}

// bf16CheckGuard reports elements of buf outside arg that no longer hold g.
func bf16CheckGuard[T comparable](tb testing.TB, name string, buf []T, off, n int, g T) {
	tb.Helper()
	s := bf16Head + off
	for i, v := range buf {
		if (i < s || i >= s+n) && v != g {
			tb.Errorf("%s (n %d, offset %d): guard element %d (%d from the operand) was written: %#x", name, n, off, i, i-s, any(v))
			return
		}
	}
}

// bf16Sizes are the lengths to test: every one up to three blocks of the
// widest path and a bit, and some across a chunk of the wrappers.
func bf16Sizes() []int {
	var ns []int
	for n := range 3*32 + 2 {
		ns = append(ns, n)
	}
	return append(ns, 255, 1000, 16<<10-1, 16<<10+37, 40<<10+5)
}

func TestBF16Paths(t *testing.T) {
	names := make([]string, len(impls))
	for i, p := range impls {
		names[i] = p.name
	}
	t.Logf("paths: %v, active %s", names, active.name)
	r := newRand(18)
	gTo, gFrom := uint16(0xDEAD), math.Float32frombits(0x7fbadbad)
	forEachPath(t, func(t *testing.T, p *impl) {
		for ci, n := range bf16Sizes() {
			off := []int{0, 1, 3, 7}[ci%4]
			soff := []int{0, 2, 5, 1, 3}[ci%5]
			pattern := -1
			if ci%2 == 0 {
				pattern = ci
			}
			// ToBF16.
			_, src := bf16Guarded(n, soff, float32(0))
			for i := range src {
				if pattern >= 0 {
					src[i] = bf16Value(r, pattern+i)
				} else {
					src[i] = bf16Value(r, -1)
				}
			}
			src0 := append([]float32(nil), src...)
			buf, dst := bf16Guarded(n, off, BF16(gTo))
			if !callOK(t, fmt.Sprintf("ToBF16 n=%d", n), func() { ToBF16(dst, src) }) {
				continue
			}
			want := make([]BF16, n)
			toBF16Generic(want, src0)
			bad := 0
			for i := range want {
				if dst[i] != want[i] {
					if bad++; bad <= 5 {
						t.Errorf("ToBF16 n=%d offsets %d/%d: [%d] = BF16From(%#08x) is %#04x, want %#04x",
							n, off, soff, i, math.Float32bits(src0[i]), dst[i], want[i])
					}
				}
			}
			bf16CheckGuard(t, "ToBF16 dst", buf, off, n, BF16(gTo))
			if !bytes.Equal(bf16Bytes(src), bf16Bytes(src0)) {
				t.Errorf("ToBF16 n=%d: src changed", n)
			}

			// FromBF16: every bfloat16 class (the rounded inputs, and
			// random bits: NaNs of every payload, signalling ones too).
			_, h := bf16Guarded(n, soff, BF16(0))
			for i := range h {
				h[i] = want[i]
				if ci%3 == 0 {
					h[i] = BF16(r.Uint32())
				}
			}
			h0 := append([]BF16(nil), h...)
			fbuf, fdst := bf16Guarded(n, off, gFrom)
			if !callOK(t, fmt.Sprintf("FromBF16 n=%d", n), func() { FromBF16(fdst, h) }) {
				continue
			}
			for i, v := range h0 {
				if got := math.Float32bits(fdst[i]); got != uint32(v)<<16 {
					t.Errorf("FromBF16 n=%d offsets %d/%d: [%d] = %#04x widened is %#08x", n, off, soff, i, v, got)
					break
				}
			}
			for i, v := range fbuf { // the guard is a NaN: compare bits
				if (i < bf16Head+off || i >= bf16Head+off+n) && math.Float32bits(v) != math.Float32bits(gFrom) {
					t.Errorf("FromBF16 n=%d offset %d: guard element %d was written", n, off, i)
					break
				}
			}
			if !bytes.Equal(bf16Bytes(h), bf16Bytes(h0)) {
				t.Errorf("FromBF16 n=%d: src changed", n)
			}
		}
	})
}

// bf16Bytes is the memory of s.
func bf16Bytes[T any](s []T) []byte {
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

func TestBF16Panics(t *testing.T) {
	x := make([]float32, 10)
	h := make([]BF16, 10)
	wantPanic(t, "ToBF16 short dst", "kernels: len(dst) = 9, want ≥ len(src) = 10", func() { ToBF16(h[:9], x) })
	wantPanic(t, "FromBF16 short dst", "kernels: len(dst) = 9, want ≥ len(src) = 10", func() { FromBF16(x[:9], h) })
	// The same memory as both: 10 float32 are 20 bfloat16.
	both := make([]float32, 10)
	as16 := unsafe.Slice((*BF16)(unsafe.Pointer(&both[0])), 20)
	wantPanic(t, "ToBF16 overlap", "kernels: dst overlaps src, want separate memory for an output", func() { ToBF16(as16[10:], both) })
	wantPanic(t, "FromBF16 overlap", "kernels: dst overlaps src, want separate memory for an output", func() { FromBF16(both, as16[:10]) })
	wantNoPanic(t, "ToBF16 empty", func() { ToBF16(nil, nil) })
	wantNoPanic(t, "FromBF16 longer dst", func() { FromBF16(x, h[:3]) })
	wantNoPanic(t, "ToBF16 adjacent", func() { ToBF16(as16[10:15], both[:5]) })
}

// TestBF16Exhaustive converts every float32, 2^32 of them, on the active
// path and compares it with the generic code (on the generic path: with
// the model), on GOMAXPROCS goroutines. FUSEDRELU_ISA picks the path, as
// CI runs each in turn.
func TestBF16Exhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("2^32 conversions: not under -short")
	}
	start := time.Now()
	workers := runtime.GOMAXPROCS(0)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail string
		stop atomic.Bool
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			const chunk = 1 << 16
			src := make([]float32, chunk)
			got, want := make([]BF16, chunk), make([]BF16, chunk)
			for hi := uint32(w); hi < 1<<16 && !stop.Load(); hi += uint32(workers) {
				for i := range src {
					src[i] = math.Float32frombits(hi<<16 | uint32(i))
				}
				ToBF16(got, src)
				if active == generic() {
					for i := range want {
						want[i] = BF16(bf16Model(hi<<16 | uint32(i)))
					}
				} else {
					toBF16Generic(want, src)
				}
				if bytes.Equal(bf16Bytes(got), bf16Bytes(want)) {
					continue
				}
				for i := range got {
					if got[i] != want[i] {
						mu.Lock()
						fail = fmt.Sprintf("%s: ToBF16(%#08x) = %#04x, want %#04x", active.name, hi<<16|uint32(i), got[i], want[i])
						mu.Unlock()
						stop.Store(true)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if fail != "" {
		t.Fatal(fail)
	}
	t.Logf("%s: 2^32 inputs in %v on %d goroutines", active.name, time.Since(start).Round(time.Millisecond), workers)
}

// FuzzBF16 converts the input's bytes, as float32 and as bfloat16, on
// every path and compares the results with the generic code's.
func FuzzBF16(f *testing.F) {
	var seed []byte
	for _, b := range bf16Specials {
		seed = append(seed, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
	f.Add(seed, uint8(0))
	f.Add(seed[:4*33+2], uint8(3))
	f.Add([]byte{0, 0x80, 0x80, 0x3f}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, off uint8) {
		n := len(data) / 4
		o := int(off % 8)
		src := make([]float32, n)
		for i := range src {
			src[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		h := make([]BF16, len(data)/2)
		for i := range h {
			h[i] = BF16(data[2*i]) | BF16(data[2*i+1])<<8
		}
		wantTo := make([]BF16, n)
		toBF16Generic(wantTo, src)
		wantFrom := make([]float32, len(h))
		fromBF16Generic(wantFrom, h)
		for _, p := range impls {
			buf, dst := bf16Guarded(n, o, BF16(0xDEAD))
			withPath(p, func() { ToBF16(dst, src) })
			if !bytes.Equal(bf16Bytes(dst), bf16Bytes(wantTo)) {
				t.Errorf("%s: ToBF16 differs from the generic code", p.name)
			}
			bf16CheckGuard(t, p.name+": ToBF16 dst", buf, o, n, BF16(0xDEAD))
			fbuf, fdst := bf16Guarded(len(h), o, uint32(0xDEADBEEF))
			withPath(p, func() { FromBF16(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(fdst))), len(fdst)), h) })
			if !bytes.Equal(bf16Bytes(fdst), bf16Bytes(wantFrom)) {
				t.Errorf("%s: FromBF16 differs from the generic code", p.name)
			}
			bf16CheckGuard(t, p.name+": FromBF16 dst", fbuf, o, len(h), uint32(0xDEADBEEF))
		}
	})
}

// BenchmarkToBF16 and BenchmarkFromBF16 convert 16 MiB of float32 (4 Mi
// elements) on the active path; GB/s counts the bytes read and written.
func BenchmarkToBF16(b *testing.B) {
	n := benchElemBytes / 4
	r := newRand(1)
	src, dst := make([]float32, n), make([]BF16, n)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	b.Run("16MiB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ToBF16(dst, src)
		}
		b.ReportMetric(6*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	// A layer's float32 W and a batch of activations, in L2: what
	// rounding costs where memory does not bound it.
	for _, kn := range [][2]int{{256, 256}, {64, 784}} {
		m := kn[0] * kn[1]
		b.Run(fmt.Sprintf("%dx%d", kn[0], kn[1]), func(b *testing.B) {
			for b.Loop() {
				ToBF16(dst[:m], src[:m])
			}
			b.ReportMetric(6*float64(m)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

func BenchmarkFromBF16(b *testing.B) {
	n := benchElemBytes / 4
	r := newRand(1)
	src, dst := make([]BF16, n), make([]float32, n)
	for i := range src {
		src[i] = BF16From(float32(r.NormFloat64()))
	}
	b.Run("16MiB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			FromBF16(dst, src)
		}
		b.ReportMetric(6*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	// The W of the small standard shapes (K×N): what a bfloat16 layer
	// without a PackedW widens on every call, to set beside the float32
	// and bfloat16 passes' times (the widening path's cost, issue 18).
	for _, kn := range [][2]int{{256, 256}, {784, 256}} {
		m := kn[0] * kn[1]
		b.Run(fmt.Sprintf("W=%dx%d", kn[0], kn[1]), func(b *testing.B) {
			for b.Loop() {
				FromBF16(dst[:m], src[:m])
			}
			b.ReportMetric(6*float64(m)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

func ExampleToBF16() {
	x := []float32{1, 1.00390625, 1.01171875, 3.4e38, float32(math.Copysign(0, -1)), float32(math.NaN())}
	h := make([]BF16, len(x))
	ToBF16(h, x)
	back := make([]float32, len(h))
	FromBF16(back, h)
	for i, v := range h {
		fmt.Printf("%g → %#04x → %g\n", x[i], uint16(v), back[i])
	}
	// Output:
	// 1 → 0x3f80 → 1
	// 1.0039062 → 0x3f80 → 1
	// 1.0117188 → 0x3f82 → 1.015625
	// 3.4e+38 → 0x7f80 → +Inf
	// -0 → 0x8000 → -0
	// NaN → 0x7fc0 → NaN
}
