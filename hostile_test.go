package kernels

// Hostile arguments (issue 20): sizes that wrap around when multiplied,
// nil argument structs, hand-built masks, overlaps only unsafe can make,
// and the rule that nothing is written before every check has passed.
// FuzzArgs (fuzz_args_test.go) drives the same entry points with
// arbitrary arguments; these are the cases it must never miss.

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"unsafe"
)

// wantPanicUntouched checks that f panics with exactly msg and that every
// slice of outs holds what it held before the call, bit for bit.
func wantPanicUntouched[T Float](t *testing.T, name, msg string, f func(), outs ...[]T) {
	t.Helper()
	before := make([][]T, len(outs))
	for i, o := range outs {
		before[i] = append([]T(nil), o...)
	}
	wantPanic(t, name, msg, f)
	for i, o := range outs {
		checkSameBits(t, fmt.Sprintf("%s: output %d after the panic", name, i), o, before[i])
	}
}

// filled returns n elements holding v.
func filled[T Float](n int, v T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestOverflowRepro: the reproductions of issue 20, each of which used to
// pass the checks (the size wrapped around) and die with a bounds error.
func TestOverflowRepro(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		g := guard[float32]()
		x2, w1, r := filled(2, float32(1)), filled(1, float32(2)), filled(2, g)
		wantPanicUntouched(t, "Forward LdR=MaxInt",
			fmt.Sprintf("kernels: len(r) = 1, want ≥ 1·%d + 1 (more than MaxInt) for M=2, N=1, ldr=%d", math.MaxInt, math.MaxInt),
			func() {
				Forward(&ForwardArgs[float32]{M: 2, K: 1, N: 1, X: x2, W: w1, R: r[1:2], LdR: math.MaxInt})
			}, r)

		// 1<<62 + 1 on a 64-bit machine: (m−1)·lda + k = 2⁶⁴ + 4 wrapped to 4.
		m := math.MaxInt>>1 + 2
		a4, b16, c4 := filled(4, float32(1)), filled(16, float32(1)), filled(4, g)
		wantPanicUntouched(t, "GEMM m=1<<62+1",
			fmt.Sprintf("kernels: len(a) = 4, want ≥ %d·4 + 4 (more than MaxInt) for m=%d, k=4, lda=4", m-1, m),
			func() { GEMM(NoTrans, NoTrans, m, 4, 4, 1, a4, 0, b16, 0, 0, c4, 0) }, c4)
		wantPanicUntouched(t, "GEMMThreads m=1<<62+1",
			fmt.Sprintf("kernels: len(a) = 4, want ≥ %d·4 + 4 (more than MaxInt) for m=%d, k=4, lda=4", m-1, m),
			func() { GEMMThreads(2, NoTrans, NoTrans, m, 4, 4, 1, a4, 0, b16, 0, 0, c4, 0) }, c4)
		// The same wrap through ldc, C's rows.
		wantPanicUntouched(t, "GEMM ldc wraps",
			fmt.Sprintf("kernels: len(c) = 4, want ≥ 1·%d + 4 (more than MaxInt) for m=2, n=4, ldc=%d", math.MaxInt-3, math.MaxInt-3),
			func() { GEMM(NoTrans, NoTrans, 2, 4, 4, 1, b16[:8], 0, b16, 0, 0, c4, math.MaxInt-3) }, c4)

		x64, w64 := filled(2*1, float32(1)), filled(64, float32(-1))
		r128, bits := filled(128, g), []uint64{maskGuardWord}
		mask := Mask{Rows: 2, Cols: 64, Stride: math.MaxInt, Bits: bits}
		wantPanicUntouched(t, "Forward Mask.Stride=MaxInt",
			fmt.Sprintf("kernels: len(Mask.Bits) = 1, want ≥ 1·%d + 1 (more than MaxInt) for 2×64, Stride=%d", math.MaxInt, math.MaxInt),
			func() { Forward(&ForwardArgs[float32]{M: 2, K: 1, N: 64, X: x64, W: w64, R: r128, Mask: mask}) }, r128)
		if bits[0] != maskGuardWord {
			t.Errorf("Forward Mask.Stride=MaxInt: the mask was written: %#x", bits[0])
		}
		dr, dx := filled(128, float32(1)), filled(2, g)
		wantPanicUntouched(t, "Backward Mask.Stride=MaxInt",
			fmt.Sprintf("kernels: len(Mask.Bits) = 1, want ≥ 1·%d + 1 (more than MaxInt) for 2×64, Stride=%d", math.MaxInt, math.MaxInt),
			func() { Backward(&BackwardArgs[float32]{M: 2, K: 1, N: 64, W: w64, DR: dr, Mask: mask, DX: dx}) }, dx)

		wantPanic(t, "Forward(nil)", "kernels: Forward(nil), want a *ForwardArgs", func() { Forward[float32](nil) })
		wantPanic(t, "Backward(nil)", "kernels: Backward(nil), want a *BackwardArgs", func() { Backward[float64](nil) })
	})
}

// TestOverflowChecks: every other size computation of the checks, at the
// values that would wrap it.
func TestOverflowChecks(t *testing.T) {
	big := math.MaxInt
	v := make([]float64, 16)
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"Forward LdX=MaxInt", fmt.Sprintf("kernels: len(x) = 16, want ≥ 1·%d + 1 (more than MaxInt) for M=2, K=1, ldx=%d", big, big),
			func() { Forward(&ForwardArgs[float64]{M: 2, K: 1, N: 1, X: v, LdX: big, W: v, R: make([]float64, 2)}) }},
		{"Forward LdW=MinInt", fmt.Sprintf("kernels: LdW = %d, want ≥ 1 (the width of W) or 0 for tight", math.MinInt),
			func() {
				Forward(&ForwardArgs[float64]{M: 2, K: 1, N: 1, X: v, W: v, LdW: math.MinInt, R: make([]float64, 2)})
			}},
		{"Forward Threads", fmt.Sprintf("kernels: Threads = %d, want ≥ 0 (0 for the package default)", math.MinInt),
			func() {
				Forward(&ForwardArgs[float64]{M: 1, K: 1, N: 1, X: v, W: v, R: make([]float64, 1), Threads: math.MinInt})
			}},
		{"Forward M=MaxInt", fmt.Sprintf("kernels: len(x) = 16, want ≥ %d for M=%d, K=1, ldx=1", big, big),
			func() { Forward(&ForwardArgs[float64]{M: big, K: 1, N: 1, X: v, W: v, R: v}) }},
		{"Backward LdDZ", fmt.Sprintf("kernels: len(dz) = 4, want ≥ 1·%d + 2 (more than MaxInt) for M=2, N=2, lddz=%d", big-1, big-1),
			func() {
				Backward(&BackwardArgs[float64]{M: 2, K: 1, N: 2, DR: v[:4], Z: v[4:8], DZ: make([]float64, 4), LdDZ: big - 1})
			}},
		{"Backward Mask.Stride<0", "kernels: Mask.Stride = -1, want ≥ 1 words for 2 columns",
			func() {
				Backward(&BackwardArgs[float64]{M: 2, K: 1, N: 2, DR: v[:4], Mask: Mask{Rows: 2, Cols: 2, Stride: -1, Bits: make([]uint64, 2)}, DB: make([]float64, 2)})
			}},
		{"PackW LdW", fmt.Sprintf("kernels: len(w) = 16, want ≥ 2·%d + 3 (more than MaxInt) for K=3, N=3, ldw=%d", big/2+1, big/2+1),
			func() { PackW(3, 3, v, big/2+1) }},
		{"Pack nil", "kernels: Pack on a nil *PackedW, want a PackedW (its zero value is ready)",
			func() { (*PackedW[float64])(nil).Pack(1, 1, v, 0) }},
		{"Mask.At bad Stride", "kernels: Mask.At: Stride = 0, want ≥ 1 words for 64 columns",
			func() { Mask{Rows: 2, Cols: 64, Bits: make([]uint64, 2)}.At(1, 0) }},
		{"Mask.At short Bits", fmt.Sprintf("kernels: Mask.At: row 1 is past len(Bits) = 1 (Stride=%d)", big),
			func() { Mask{Rows: 2, Cols: 64, Stride: big, Bits: make([]uint64, 1)}.At(1, 0) }},
		{"Mask.Row short Bits", "kernels: Mask.Row: row 2 is past len(Bits) = 5 (Stride=2)",
			func() { Mask{Rows: 3, Cols: 100, Stride: 2, Bits: make([]uint64, 5)}.Row(2) }},
	} {
		wantPanic(t, tc.name, tc.msg, tc.f)
	}

	if r := NewMask(5, 0).Row(3); len(r) != 0 {
		t.Errorf("NewMask(5, 0).Row(3) = %v, want empty", r)
	}
	if w := MaskWords(math.MaxInt); w != math.MaxInt/64+1 {
		t.Errorf("MaskWords(MaxInt) = %d, want %d", w, math.MaxInt/64+1)
	}
	if msg := panicMsg(func() { NewMask(1, math.MaxInt) }); !strings.HasPrefix(msg, "kernels: NewMask(1, ") {
		t.Errorf("NewMask(1, MaxInt): panic %q, want a kernels: message", msg)
	}

	// A dimension of zero with the other as large as it gets: nothing to
	// pack (the block loops used to run for 2⁶³/nc steps).
	for _, kn := range [][2]int{{0, math.MaxInt}, {math.MaxInt, 0}} {
		pw := PackW[float32](kn[0], kn[1], nil, 0)
		if k, n := pw.Dims(); k != kn[0] || n != kn[1] {
			t.Errorf("PackW(%d, %d).Dims() = %d, %d", kn[0], kn[1], k, n)
		}
	}
}

// TestNoWriteBeforeChecks: a call whose last check fails writes nothing,
// whatever its earlier steps would have written (DB cleared, the mask's
// last words cleared, C scaled by β, Z filled).
func TestNoWriteBeforeChecks(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		g := guard[float32]()
		x, w, dr := filled(6, float32(1)), filled(12, float32(-1)), filled(8, float32(1))
		r, z, db := filled(8, g), filled(8, g), filled(4, g)
		mask := newMaskBuf(2, 4, 1, 0)
		words := append([]uint64(nil), mask.words...)
		wantPanicUntouched(t, "Forward: R overlaps Bias, last",
			"kernels: R overlaps Bias, want separate memory for an output",
			func() {
				Forward(&ForwardArgs[float32]{M: 2, K: 3, N: 4, X: x, W: w, Bias: r[4:8], R: r, Z: z, Mask: mask.m})
			}, r, z)
		if !equalWords(words, mask.words) {
			t.Errorf("Forward: the mask was written before a check failed")
		}
		c := filled(16, float32(2))
		wantPanicUntouched(t, "GEMM β=0.5: C overlaps B",
			"kernels: c overlaps b, want separate memory for an output",
			func() { GEMM(NoTrans, NoTrans, 2, 4, 3, 1, x, 0, c[:12], 0, 0.5, c[8:], 0) }, c)
		dz := filled(8, g)
		wantPanicUntouched(t, "Backward: DZ overlaps DB",
			"kernels: DB overlaps DZ, want separate memory for an output",
			func() {
				Backward(&BackwardArgs[float32]{M: 2, K: 3, N: 4, X: x, W: w, DR: dr, Z: dr, DB: dz[:4], DZ: dz})
			}, db, dz)
		pm, pv := filled(4, float32(1)), filled(4, float32(1))
		wantPanicUntouched(t, "AdamUpdate: v overlaps m",
			"kernels: m overlaps v, want separate memory for an output",
			func() { AdamUpdate(x[:3], dr[:3], pm[:3], pm[1:4], NewAdamCoeffs[float32](0.1, 0.9, 0.99, 1e-8, 1)) }, x, pm, pv)
	})
}

// TestUnsafeOverlaps: a mask is a []uint64, so it can share memory with a
// []T only through unsafe; the overlap is still rejected before a write.
func TestUnsafeOverlaps(t *testing.T) {
	buf := make([]uint64, 64)
	asF32 := unsafe.Slice((*float32)(unsafe.Pointer(&buf[0])), 2*len(buf))
	x, w := filled(4, float32(1)), filled(4, float32(1))
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"Forward Mask overlaps R", "kernels: Mask overlaps R, want separate memory for an output", func() {
			Forward(&ForwardArgs[float32]{M: 2, K: 2, N: 2, X: x, W: w, R: asF32[:4], Mask: Mask{Rows: 2, Cols: 2, Stride: 1, Bits: buf[1:3]}})
		}},
		{"Forward Mask overlaps X", "kernels: Mask overlaps X, want separate memory for an output", func() {
			Forward(&ForwardArgs[float32]{M: 2, K: 2, N: 2, X: asF32[:4], W: w, R: make([]float32, 4), Mask: Mask{Rows: 2, Cols: 2, Stride: 1, Bits: buf[1:3]}})
		}},
		{"Backward DX overlaps Mask", "kernels: DX overlaps Mask, want separate memory for an output", func() {
			Backward(&BackwardArgs[float32]{M: 2, K: 2, N: 2, W: w, DR: x, DX: asF32[:4], Mask: Mask{Rows: 2, Cols: 2, Stride: 1, Bits: buf[1:3]}})
		}},
		{"StepMask bits overlaps z", "kernels: bits overlaps z, want separate memory for an output", func() { StepMask(buf[2:4], asF32[:70]) }},
		{"StepGradMask dz overlaps bits", "kernels: dz overlaps bits, want separate memory for an output", func() { StepGradMask(asF32[:4], x, buf[1:2]) }},
	} {
		for i := range buf {
			buf[i] = maskGuardWord
		}
		wantPanic(t, tc.name, tc.msg, tc.f)
		for i, v := range buf {
			if v != maskGuardWord {
				t.Errorf("%s: word %d written before the panic: %#x", tc.name, i, v)
			}
		}
	}
	// Apart in the same buffer: allowed.
	for i := range buf {
		buf[i] = 0
	}
	wantNoPanic(t, "StepMask beside z", func() { StepMask(buf[:2], asF32[4:100]) })
}

// TestBackwardInterleaved: outputs in alternate runs of one buffer's rows
// (DX's K columns, then DZ's N, ld = K+N) share no element, so they are
// allowed, and give what separate outputs give.
func TestBackwardInterleaved(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		const m, k, n = 5, 3, 4
		r := newRand(7)
		x, w, dr, z := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n), make([]float64, m*n)
		for _, s := range [][]float64{x, w, dr, z} {
			for i := range s {
				s[i] = randVal[float64](r)
			}
		}
		dx, dz := make([]float64, m*k), make([]float64, m*n)
		Backward(&BackwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, DR: dr, Z: z, DX: dx, DZ: dz})
		buf := filled(m*(k+n), guard[float64]())
		wantNoPanic(t, "Backward DX and DZ interleaved", func() {
			Backward(&BackwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, DR: dr, Z: z, DX: buf, LdDX: k + n, DZ: buf[k:], LdDZ: k + n})
		})
		for i := range m {
			checkSameBits(t, fmt.Sprintf("DX row %d", i), buf[i*(k+n):i*(k+n)+k], dx[i*k:(i+1)*k])
			checkSameBits(t, fmt.Sprintf("DZ row %d", i), buf[i*(k+n)+k:(i+1)*(k+n)], dz[i*n:(i+1)*n])
		}
	})
}

// TestForwardPackedK0: K = 0 with a PackedW (Z = Bias) on every path, M
// past a register tile: the packed route used to slice X past its end
// (FuzzArgs found it on AVX-512).
func TestForwardPackedK0(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		const m, n = 48, 9
		bias := make([]float32, n)
		for j := range bias {
			bias[j] = float32(j) - 4
		}
		pw := PackW[float32](0, n, nil, 0)
		r := filled(m*n, guard[float32]())
		wantNoPanic(t, "Forward K=0 with PW", func() {
			Forward(&ForwardArgs[float32]{M: m, K: 0, N: n, LdX: 48, PW: pw, Bias: bias, R: r})
		})
		for i := range m {
			for j := range n {
				if got, want := r[i*n+j], reluWant(bias[j]); bitsOf(got) != bitsOf(want) {
					t.Fatalf("R[%d,%d] = %s, want ReLU(bias) = %s", i, j, fmtBits(got), fmtBits(want))
				}
			}
		}
	})
}
