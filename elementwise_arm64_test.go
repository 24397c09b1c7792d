package kernels

// Tests of the elementwise kernels of every path in impls (on arm64: the
// NEON assembly and its Go wrappers) against the generic Go code, bit for
// bit. The file name limits it to arm64; it builds with and without
// purego and with FUSEDRELU_ISA set, and tests whatever paths the build
// and CPU have.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// TestElementwiseNEONPresent fails if an arm64 gc build without purego
// on a CPU with Advanced SIMD does not offer the neon path, so that the
// comparisons below cannot pass by testing the generic code alone.
func TestElementwiseNEONPresent(t *testing.T) {
	var names []string
	for _, p := range impls {
		names = append(names, p.name)
	}
	t.Logf("paths: %v, active %s", names, active.name)
	purego := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-tags" && slices.Contains(strings.Split(s.Value, ","), "purego") {
				purego = true
			}
		}
	}
	want := runtime.Compiler == "gc" && !purego && cpu.ARM64.HasASIMD
	if has := slices.Contains(names, "neon"); has != want {
		t.Errorf("neon path present = %v, want %v (compiler %s, purego %v, ASIMD %v)",
			has, want, runtime.Compiler, purego, cpu.ARM64.HasASIMD)
	}
}

// ewLengths are the vector lengths tested: every length up to 300
// (all tails of every block size), then lengths across the wrappers'
// chunk boundaries (16384 and 8192 float32, 8192 and 4096 float64).
func ewLengths(t *testing.T) []int {
	var ns []int
	for n := range 301 {
		ns = append(ns, n)
	}
	ns = append(ns, 1000, 4095, 4096, 4097, 8191, 8192+8, 8192+63, 16384, 16384+64+5, 3*16384+31, 100003)
	if testing.Short() {
		ns = ns[:len(ns)-2]
	}
	return ns
}

// ewBits returns the bits of v, and ewFrom the value with bits u,
// without a float conversion (which would quiet a signalling NaN).
func ewBits[T Float](v T) uint64 {
	if unsafe.Sizeof(v) == 4 {
		return uint64(*(*uint32)(unsafe.Pointer(&v)))
	}
	return *(*uint64)(unsafe.Pointer(&v))
}

func ewFrom[T Float](u uint64) T {
	var v T
	if unsafe.Sizeof(v) == 4 {
		*(*uint32)(unsafe.Pointer(&v)) = uint32(u)
	} else {
		*(*uint64)(unsafe.Pointer(&v)) = u
	}
	return v
}

// ewPick returns the value with bits u32 for float32, u64 for float64.
func ewPick[T Float](u32, u64 uint64) T {
	if unsafe.Sizeof(T(0)) == 4 {
		return ewFrom[T](u32)
	}
	return ewFrom[T](u64)
}

// ewSpecials are the special values of T's format, as bit patterns: ±0,
// ±Inf, quiet and signalling NaNs of both signs with various payloads,
// denormals, and the extreme normals.
func ewSpecials[T Float]() []T {
	var z T
	var u []uint64
	if unsafe.Sizeof(z) == 4 {
		u = []uint64{
			0x00000000, 0x80000000, // ±0
			0x7f800000, 0xff800000, // ±Inf
			0x7fc00000, 0xffc00000, 0x7fc12345, 0xffffffff, 0x7fffffff, // quiet NaNs
			0x7f800001, 0xff800001, 0x7fa00000, 0xffbfffff, 0x7f8dead1, // signalling NaNs
			0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, 0x80400000, // denormals
			0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, // smallest and largest normals
			0x3f800000, 0xbf800000, // ±1
		}
	} else {
		u = []uint64{
			0, 1 << 63,
			0x7ff0000000000000, 0xfff0000000000000,
			0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000012345678, 0xffffffffffffffff, 0x7fffffffffffffff,
			0x7ff0000000000001, 0xfff0000000000001, 0x7ff4000000000000, 0xfff7ffffffffffff, 0x7ff00000dead0001,
			1, 1<<63 | 1, 0x000fffffffffffff, 0x800fffffffffffff, 0x0008000000000000, 0x8008000000000000,
			0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
			0x3ff0000000000000, 0xbff0000000000000,
		}
	}
	s := make([]T, len(u))
	for i, b := range u {
		s[i] = ewFrom[T](b)
	}
	return s
}

// ewData returns n values: specials, random bit patterns (any class) and
// ordinary numbers of both signs, in random order.
func ewData[T Float](r *rand.Rand, n int) []T {
	sp := ewSpecials[T]()
	s := make([]T, n)
	for i := range s {
		switch r.IntN(4) {
		case 0:
			s[i] = sp[r.IntN(len(sp))]
		case 1:
			s[i] = ewFrom[T](r.Uint64()) // any bits: often NaN-free, sometimes not
		default:
			s[i] = T(r.NormFloat64())
		}
	}
	// Runs of one sign, so that whole vectors and mask words are all
	// kept or all zeroed too.
	if n >= 128 && r.IntN(2) == 0 {
		lo := r.IntN(n - 64)
		neg := r.IntN(2) == 0
		for i := lo; i < lo+64; i++ {
			s[i] = T(math.Abs(float64(s[i])))
			if neg {
				s[i] = -s[i] - 1
			}
		}
	}
	return s
}

// Guard bands around every buffer: a kernel must not write outside its
// slice (nor read its elements into other places).
const ewGuard = 19

// ewBuf is a slice of n elements inside guard bands of fill, starting
// off elements into the allocation so that the slices are not all
// 16-byte aligned; s() has capacity n.
type ewBuf[E any] struct {
	all  []E
	off  int
	n    int
	fill E
}

// newEWBuf returns an ewBuf holding a copy of v (fill when v is nil).
func newEWBuf[E any](n, off int, v []E, fill E) *ewBuf[E] {
	b := &ewBuf[E]{all: make([]E, off+n+ewGuard), off: off, n: n, fill: fill}
	for i := range b.all {
		b.all[i] = fill
	}
	copy(b.all[off:off+n], v)
	return b
}

func (b *ewBuf[E]) s() []E { return b.all[b.off : b.off+b.n : b.off+b.n] }

// ewCheckGuards reports a changed element outside the slice.
func ewCheckGuards[E any](t *testing.T, what string, b *ewBuf[E], eq func(a, b E) bool) {
	t.Helper()
	for i, v := range b.all {
		if (i < b.off || i >= b.off+b.n) && !eq(v, b.fill) {
			t.Fatalf("%s: element %d outside the slice [%d, %d) was written", what, i-b.off, 0, b.n)
		}
	}
}

func ewSameBits[T Float](a, b T) bool { return ewBits(a) == ewBits(b) }
func ewSameWord(a, b uint64) bool     { return a == b }

// ewCompare fails at the first element of got whose bits differ from want.
func ewCompare[T Float](t *testing.T, what string, got, want []T, ins ...[]T) {
	t.Helper()
	for i := range want {
		if ewBits(got[i]) != ewBits(want[i]) {
			var in []string
			for _, s := range ins {
				in = append(in, fmt.Sprintf("%#x", ewBits(s[i])))
			}
			t.Fatalf("%s: element %d = %#x, want %#x (inputs %s)", what, i, ewBits(got[i]), ewBits(want[i]), strings.Join(in, ", "))
		}
	}
}

func TestElementwisePaths(t *testing.T) {
	for _, p := range impls {
		t.Run(p.name+"/float32", func(t *testing.T) { testElementwise[float32](t, p) })
		t.Run(p.name+"/float64", func(t *testing.T) { testElementwise[float64](t, p) })
	}
}

func testElementwise[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	r := rand.New(rand.NewPCG(1, uint64(unsafe.Sizeof(T(0)))))
	// Guard fills. Around outputs: a signalling NaN, which no kernel
	// produces from the inputs' guards. Around inputs (and in-place
	// buffers): −3.25, which every kernel maps to something else (+0 or a
	// clear mask bit), so a block read and written past the end shows as
	// a changed guard. junk fills outputs before the call, so that an
	// element left unwritten shows too.
	guard, inGuard := ewPick[T](0x7f80dead, 0x7ff000000000dead), T(-3.25)
	junk := ewPick[T](0x7f80beef, 0x7ff000000000beef)
	const wordGuard, wordJunk = 0xdeadbeefdeadbeef, 0x5555aaaa5555aaaa
	for _, n := range ewLengths(t) {
		off := 1 + n%5 // elements: 4 or 8 bytes, so several alignments
		x := ewData[T](r, n)
		dr := ewData[T](r, n)
		w := MaskWords(n)
		rbits := make([]uint64, w)
		for i := range rbits {
			rbits[i] = r.Uint64() // bits past n set too: they must be ignored
		}
		if n > 0 && r.IntN(3) == 0 {
			rbits[r.IntN(w)] = 0
			rbits[r.IntN(w)] = math.MaxUint64
		}

		// The references, from the generic code.
		wantR := make([]T, n)
		reluGeneric(wantR, x)
		wantBits := make([]uint64, w)
		stepMaskGeneric(wantBits, x)
		wantG := make([]T, n)
		stepGradGeneric(wantG, dr, x)
		wantGM := make([]T, n)
		stepGradMaskGeneric(wantGM, dr, rbits)

		name := func(k string) string { return fmt.Sprintf("%s n=%d", k, n) }
		xb := newEWBuf(n, off, x, inGuard)
		drb := newEWBuf(n, off+2, dr, inGuard)
		bb := newEWBuf(w, 1+n%3, rbits, wordGuard)
		checkInputs := func(k string) {
			t.Helper()
			ewCompare(t, name(k)+": x changed", xb.s(), x)
			ewCompare(t, name(k)+": dr changed", drb.s(), dr)
			for i, v := range bb.s() {
				if v != rbits[i] {
					t.Fatalf("%s: bits changed", name(k))
				}
			}
			ewCheckGuards(t, name(k)+" x", xb, ewSameBits[T])
			ewCheckGuards(t, name(k)+" dr", drb, ewSameBits[T])
			ewCheckGuards(t, name(k)+" bits", bb, ewSameWord)
		}

		// relu, out of place and in place.
		db := newEWBuf(n, off+3, nil, guard)
		for i := range db.s() {
			db.s()[i] = junk
		}
		o.relu(db.s(), xb.s())
		ewCompare(t, name("relu"), db.s(), wantR, x)
		ewCheckGuards(t, name("relu"), db, ewSameBits[T])
		checkInputs("relu")
		ib := newEWBuf(n, off, x, inGuard)
		o.relu(ib.s(), ib.s())
		ewCompare(t, name("relu in place"), ib.s(), wantR, x)
		ewCheckGuards(t, name("relu in place"), ib, ewSameBits[T])

		// stepMask: whole words, zero past n.
		mb := newEWBuf(w, 2+n%3, nil, uint64(wordGuard))
		for i := range mb.s() {
			mb.s()[i] = wordJunk
		}
		o.stepMask(mb.s(), xb.s())
		for i, v := range mb.s() {
			if v != wantBits[i] {
				t.Fatalf("%s: word %d = %#016x, want %#016x", name("stepMask"), i, v, wantBits[i])
			}
		}
		ewCheckGuards(t, name("stepMask"), mb, ewSameWord)
		checkInputs("stepMask")

		// stepGrad: out of place, in place on dr, in place on z.
		db = newEWBuf(n, off+1, nil, guard)
		for i := range db.s() {
			db.s()[i] = junk
		}
		o.stepGrad(db.s(), drb.s(), xb.s())
		ewCompare(t, name("stepGrad"), db.s(), wantG, dr, x)
		ewCheckGuards(t, name("stepGrad"), db, ewSameBits[T])
		checkInputs("stepGrad")
		ib = newEWBuf(n, off, dr, inGuard)
		o.stepGrad(ib.s(), ib.s(), xb.s())
		ewCompare(t, name("stepGrad dz=dr"), ib.s(), wantG, dr, x)
		ewCheckGuards(t, name("stepGrad dz=dr"), ib, ewSameBits[T])
		ib = newEWBuf(n, off, x, inGuard)
		o.stepGrad(ib.s(), drb.s(), ib.s())
		ewCompare(t, name("stepGrad dz=z"), ib.s(), wantG, dr, x)
		ewCheckGuards(t, name("stepGrad dz=z"), ib, ewSameBits[T])

		// stepGradMask: out of place and in place.
		db = newEWBuf(n, off+4, nil, guard)
		for i := range db.s() {
			db.s()[i] = junk
		}
		o.stepGradMask(db.s(), drb.s(), bb.s())
		ewCompare(t, name("stepGradMask"), db.s(), wantGM, dr)
		ewCheckGuards(t, name("stepGradMask"), db, ewSameBits[T])
		checkInputs("stepGradMask")
		ib = newEWBuf(n, off, dr, inGuard)
		o.stepGradMask(ib.s(), ib.s(), bb.s())
		ewCompare(t, name("stepGradMask in place"), ib.s(), wantGM, dr)
		ewCheckGuards(t, name("stepGradMask in place"), ib, ewSameBits[T])

		// The mask that stepMask wrote drives stepGradMask as z drives
		// stepGrad.
		db = newEWBuf(n, off, nil, guard)
		o.stepGradMask(db.s(), drb.s(), mb.s())
		ewCompare(t, name("stepGradMask(stepMask(z))"), db.s(), wantG, dr, x)
	}
}

// TestElementwiseSpecialsExhaustive runs every pair of special values
// through each position of a full block, so that each value meets each
// lane of each register of the assembly loops.
func TestElementwiseSpecialsExhaustive(t *testing.T) {
	for _, p := range impls {
		t.Run(p.name+"/float32", func(t *testing.T) { testSpecialsExhaustive[float32](t, p) })
		t.Run(p.name+"/float64", func(t *testing.T) { testSpecialsExhaustive[float64](t, p) })
	}
}

func testSpecialsExhaustive[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	sp := ewSpecials[T]()
	const n = 128 // two mask words, whole blocks for every kernel
	for si, a := range sp {
		for _, b := range sp {
			z := make([]T, n)
			dr := make([]T, n)
			for i := range z {
				z[i], dr[i] = a, b
				if (i+si)%3 == 0 {
					z[i], dr[i] = b, a
				}
			}
			wantR := make([]T, n)
			reluGeneric(wantR, z)
			got := make([]T, n)
			o.relu(got, z)
			ewCompare(t, "relu", got, wantR, z)

			wantBits := make([]uint64, 2)
			stepMaskGeneric(wantBits, z)
			bits := make([]uint64, 2)
			o.stepMask(bits, z)
			if bits[0] != wantBits[0] || bits[1] != wantBits[1] {
				t.Fatalf("stepMask(%#x, %#x) = %#x, want %#x", ewBits(a), ewBits(b), bits, wantBits)
			}

			wantG := make([]T, n)
			stepGradGeneric(wantG, dr, z)
			o.stepGrad(got, dr, z)
			ewCompare(t, "stepGrad", got, wantG, dr, z)
			o.stepGradMask(got, dr, bits)
			ewCompare(t, "stepGradMask", got, wantG, dr, z)
		}
	}
}

// TestElementwiseSemantics checks a few values against the brief's
// definitions directly, so that the reference itself is checked.
func TestElementwiseSemantics(t *testing.T) {
	nan := math.Float32frombits(0x7f800001) // signalling
	negNaN := math.Float32frombits(0xffc00001)
	in := []float32{nan, negNaN, float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), -1, 2, math.Float32frombits(0x80000001)}
	want := []uint32{0x7f800001, 0xffc00001, 0x80000000, 0, 0x7f800000, 0, 0, 0x40000000, 0}
	wantStep := uint64(0b0_1001_1111) // element 0 in the lowest bit
	in = slices.Repeat(in, 8)         // 72: a block and a tail
	for _, p := range impls {
		o := opsFor[float32](p)
		got := make([]float32, len(in))
		o.relu(got, in)
		for i, v := range got {
			if math.Float32bits(v) != want[i%len(want)] {
				t.Errorf("%s: ReLU(%#x) = %#x, want %#x", p.name, math.Float32bits(in[i]), math.Float32bits(v), want[i%len(want)])
			}
		}
		bits := make([]uint64, 2)
		o.stepMask(bits, in)
		for i := range in {
			if g, w := bits[i/64]>>(i%64)&1, wantStep>>(i%len(want))&1; g != w {
				t.Errorf("%s: Step(%#x) = %d, want %d", p.name, math.Float32bits(in[i]), g, w)
			}
		}
	}
}

// TestElementwiseNoAllocs checks that no kernel allocates, wrappers
// included.
func TestElementwiseNoAllocs(t *testing.T) {
	for _, p := range impls {
		testNoAllocs[float32](t, p)
		testNoAllocs[float64](t, p)
	}
}

func testNoAllocs[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	const n = 3*16384 + 77 // several chunks and a tail
	x, y := make([]T, n), make([]T, n)
	bits := make([]uint64, MaskWords(n))
	for name, f := range map[string]func(){
		"relu":         func() { o.relu(y, x) },
		"stepMask":     func() { o.stepMask(bits, x) },
		"stepGrad":     func() { o.stepGrad(y, x, x) },
		"stepGradMask": func() { o.stepGradMask(y, x, bits) },
	} {
		if a := testing.AllocsPerRun(5, f); a != 0 {
			t.Errorf("%s %T %s: %v allocations per call, want 0", p.name, T(0), name, a)
		}
	}
}
