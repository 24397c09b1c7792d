//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// Focused checks of the amd64 elementwise kernels: every path in impls
// against the generic functions, bit for bit, with special values and
// guard bands around every output.

// Special values, as bit patterns: ±0, ±Inf, quiet and signalling NaNs
// with several payloads and both signs, denormals, the extremes of the
// normal range, ±1.
var a64Specials32 = []uint64{
	0x00000000, 0x80000000, 0x7f800000, 0xff800000,
	0x7fc00000, 0xffc00000, 0x7fc00001, 0xffffffff, 0x7fffffff,
	0x7f800001, 0x7fa00000, 0xff800001, 0xffbfffff, 0x7fbfffff,
	0x00000001, 0x80000001, 0x007fffff, 0x807fffff,
	0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
	0x3f800000, 0xbf800000,
}

var a64Specials64 = []uint64{
	0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000,
	0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000000000001, 0xffffffffffffffff, 0x7fffffffffffffff,
	0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000000000001, 0xfff7ffffffffffff, 0x7ff7ffffffffffff,
	0x0000000000000001, 0x8000000000000001, 0x000fffffffffffff, 0x800fffffffffffff,
	0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
	0x3ff0000000000000, 0xbff0000000000000,
}

func a64IsF32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

func a64BitsOf[T Float](v T) uint64 {
	if a64IsF32[T]() {
		return uint64(*(*uint32)(unsafe.Pointer(&v)))
	}
	return *(*uint64)(unsafe.Pointer(&v))
}

func a64FromBits[T Float](b uint64) T {
	var v T
	if a64IsF32[T]() {
		*(*uint32)(unsafe.Pointer(&v)) = uint32(b)
	} else {
		*(*uint64)(unsafe.Pointer(&v)) = b
	}
	return v
}

// value returns a test value: a special one, an ordinary one of either
// sign, or random bits (which are sometimes NaNs or denormals too).
// pattern ≥ 0 picks specials[pattern%len] instead, so that every special
// value lands in every lane of a vector.
func a64Value[T Float](r *rand.Rand, pattern int) T {
	sp := a64Specials64
	if a64IsF32[T]() {
		sp = a64Specials32
	}
	if pattern >= 0 {
		return a64FromBits[T](sp[pattern%len(sp)])
	}
	switch k := r.IntN(10); {
	case k < 4:
		return a64FromBits[T](sp[r.IntN(len(sp))])
	case k < 8:
		return T(r.NormFloat64() * 100)
	default:
		return a64FromBits[T](r.Uint64())
	}
}

func a64Values[T Float](r *rand.Rand, n int, patterned bool) []T {
	s := make([]T, n)
	for i := range s {
		p := -1
		if patterned {
			p = i + r.IntN(7)
		}
		s[i] = a64Value[T](r, p)
	}
	return s
}

const (
	a64Guard     = 37 // elements (words) of guard band on each side
	a64Sentinel  = 0x7ff4dead7fa0beef
	a64SentinelW = 0xa5a5a5a5a5a5a5a5
)

// a64Guarded returns a slice of n elements (cap n) off elements into a
// buffer with guard bands filled with a sentinel, and the buffer.
func a64Guarded[T Float](n, off int) (s, buf []T) {
	buf = make([]T, a64Guard+off+n+a64Guard)
	for i := range buf {
		buf[i] = a64FromBits[T](a64Sentinel)
	}
	return buf[a64Guard+off : a64Guard+off+n : a64Guard+off+n], buf
}

func a64GuardedWords(n int) (s, buf []uint64) {
	buf = make([]uint64, a64Guard+n+a64Guard)
	for i := range buf {
		buf[i] = a64SentinelW
	}
	return buf[a64Guard : a64Guard+n : a64Guard+n], buf
}

// a64CheckGuards reports a write to buf outside [lo, lo+n).
func a64CheckGuards[T Float](t *testing.T, what string, buf []T, lo, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < lo || i >= lo+n) && a64BitsOf(v) != a64BitsOf(a64FromBits[T](a64Sentinel)) {
			t.Fatalf("%s: wrote outside the output at %d (output [%d, %d)): %#x", what, i, lo, lo+n, a64BitsOf(v))
		}
	}
}

func a64CheckWordGuards(t *testing.T, what string, buf []uint64, n int) {
	t.Helper()
	for i, v := range buf {
		if (i < a64Guard || i >= a64Guard+n) && v != a64SentinelW {
			t.Fatalf("%s: wrote outside bits at word %d (bits [%d, %d)): %#x", what, i, a64Guard, a64Guard+n, v)
		}
	}
}

func a64CheckSame[T Float](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if a64BitsOf(got[i]) != a64BitsOf(want[i]) {
			t.Fatalf("%s: element %d = %#x, want %#x", what, i, a64BitsOf(got[i]), a64BitsOf(want[i]))
		}
	}
}

func a64Lengths() []int {
	var ns []int
	for n := 0; n <= 300; n++ {
		ns = append(ns, n)
	}
	// Around the chunks of the wrappers (8192 float64s, 16384 float32s)
	// and larger.
	return append(ns, 1000, 4095, 4096, 8191, 8192, 8193, 2*8192+63, 16383, 16384, 16385, 3*16384+77, 100003)
}

func TestAsmElementwisePaths(t *testing.T) {
	var names []string
	for _, p := range impls {
		names = append(names, p.name)
	}
	t.Logf("paths: %v, active: %s", names, active.name)
	want := []string{"generic"}
	if hasAVX2 {
		want = append(want, "avx2")
	}
	if hasAVX512 {
		want = append(want, "avx512")
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("impls = %v, want %v", names, want)
	}
}

func TestAsmElementwise(t *testing.T) {
	for _, p := range impls {
		t.Run(p.name+"/f32", func(t *testing.T) { testAsmElementwise[float32](t, p) })
		t.Run(p.name+"/f64", func(t *testing.T) { testAsmElementwise[float64](t, p) })
	}
}

func testAsmElementwise[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range a64Lengths() {
		for _, off := range []int{0, 1, 3} {
			patterned := off == 1
			name := fmt.Sprintf("n=%d off=%d", n, off)
			x := a64Values[T](r, n, patterned)
			dr := a64Values[T](r, n, !patterned)
			words := MaskWords(n)
			mask := make([]uint64, words)
			for i := range mask {
				switch r.IntN(4) {
				case 0:
					mask[i] = 0
				case 1:
					mask[i] = ^uint64(0)
				default:
					mask[i] = r.Uint64()
				}
			}

			// relu: out of place and in place.
			want := make([]T, n)
			reluGeneric(want, x)
			dst, buf := a64Guarded[T](n, off)
			o.relu(dst, x)
			a64CheckSame(t, "relu "+name, dst, want)
			a64CheckGuards(t, "relu "+name, buf, a64Guard+off, n)
			copy(dst, x)
			o.relu(dst, dst)
			a64CheckSame(t, "relu in place "+name, dst, want)
			a64CheckGuards(t, "relu in place "+name, buf, a64Guard+off, n)

			// stepMask: the bits start as the sentinel, so unused bits
			// of the last word must be cleared.
			wantBits := make([]uint64, words)
			stepMaskGeneric(wantBits, x)
			bits, wbuf := a64GuardedWords(words)
			o.stepMask(bits, x)
			for i := range wantBits {
				if bits[i] != wantBits[i] {
					t.Fatalf("stepMask %s: word %d = %#x, want %#x", name, i, bits[i], wantBits[i])
				}
			}
			a64CheckWordGuards(t, "stepMask "+name, wbuf, words)

			// stepGrad with z = x: out of place, dz = dr, dz = z.
			stepGradGeneric(want, dr, x)
			dz, buf := a64Guarded[T](n, off)
			o.stepGrad(dz, dr, x)
			a64CheckSame(t, "stepGrad "+name, dz, want)
			a64CheckGuards(t, "stepGrad "+name, buf, a64Guard+off, n)
			copy(dz, dr)
			o.stepGrad(dz, dz, x)
			a64CheckSame(t, "stepGrad dz=dr "+name, dz, want)
			a64CheckGuards(t, "stepGrad dz=dr "+name, buf, a64Guard+off, n)
			copy(dz, x)
			o.stepGrad(dz, dr, dz)
			a64CheckSame(t, "stepGrad dz=z "+name, dz, want)
			a64CheckGuards(t, "stepGrad dz=z "+name, buf, a64Guard+off, n)

			// stepGradMask, with random bits (set bits past n too) and
			// with the mask of x (then it must equal stepGrad).
			for _, m := range [][]uint64{mask, wantBits} {
				stepGradMaskGeneric(want, dr, m)
				dz, buf := a64Guarded[T](n, off)
				o.stepGradMask(dz, dr, m)
				a64CheckSame(t, "stepGradMask "+name, dz, want)
				a64CheckGuards(t, "stepGradMask "+name, buf, a64Guard+off, n)
				copy(dz, dr)
				o.stepGradMask(dz, dz, m)
				a64CheckSame(t, "stepGradMask in place "+name, dz, want)
				a64CheckGuards(t, "stepGradMask in place "+name, buf, a64Guard+off, n)
			}
			stepGradGeneric(dz, dr, x)
			a64CheckSame(t, "stepGradMask(mask of z) vs stepGrad "+name, want, dz)
		}
	}
}

// BenchmarkAsmElementwise measures the elementwise kernels of every path
// on 16 MiB of input (memory-bound) and on 16 KiB (in L1), counting the
// bytes read and written; copy is Go's copy of the same bytes, for a
// reference bandwidth.
func BenchmarkAsmElementwise(b *testing.B) {
	for _, size := range []int{16 << 20, 16 << 10} {
		for _, p := range impls {
			b.Run(fmt.Sprintf("%dKiB/%s/f32", size>>10, p.name), func(b *testing.B) { benchAsmElementwise[float32](b, p, size) })
			b.Run(fmt.Sprintf("%dKiB/%s/f64", size>>10, p.name), func(b *testing.B) { benchAsmElementwise[float64](b, p, size) })
		}
	}
}

func benchAsmElementwise[T Float](b *testing.B, p *impl, bytes int) {
	o := opsFor[T](p)
	size := int(unsafe.Sizeof(T(0)))
	n := bytes / size
	r := rand.New(rand.NewPCG(1, 2))
	x, dr, dst := make([]T, n), make([]T, n), make([]T, n)
	for i := range x {
		x[i], dr[i] = T(r.NormFloat64()), T(r.NormFloat64())
	}
	bits := make([]uint64, MaskWords(n))
	o.stepMask(bits, x)
	vec, mb := int64(n*size), int64(len(bits)*8)
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(2 * vec)
		for b.Loop() {
			copy(dst, x)
		}
	})
	b.Run("relu", func(b *testing.B) {
		b.SetBytes(2 * vec)
		for b.Loop() {
			o.relu(dst, x)
		}
	})
	b.Run("stepMask", func(b *testing.B) {
		b.SetBytes(vec + mb)
		for b.Loop() {
			o.stepMask(bits, x)
		}
	})
	b.Run("stepGrad", func(b *testing.B) {
		b.SetBytes(3 * vec)
		for b.Loop() {
			o.stepGrad(dst, dr, x)
		}
	})
	b.Run("stepGradMask", func(b *testing.B) {
		b.SetBytes(2*vec + mb)
		for b.Loop() {
			o.stepGradMask(dst, dr, bits)
		}
	})
}
