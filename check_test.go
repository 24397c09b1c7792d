package kernels

// The argument checks: every panic of kernels.go, check.go and mask.go
// with its exact message, the overlaps that must be rejected and the
// layouts that must not be, and zero dimensions.

import (
	"fmt"
	"math"
	"math/bits"
	"testing"
)

func TestCheckGEMM(t *testing.T) {
	f := make([]float32, 64)
	g := func(tA, tB Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) func() {
		return func() { GEMM(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc) }
	}
	a, b, c := make([]float32, 6), make([]float32, 12), make([]float32, 8) // 2×3, 3×4, 2×4
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"m<0", "kernels: m = -1, want ≥ 0", g(NoTrans, NoTrans, -1, 4, 3, a, 0, b, 0, c, 0)},
		{"n<0", "kernels: n = -2, want ≥ 0", g(NoTrans, NoTrans, 2, -2, 3, a, 0, b, 0, c, 0)},
		{"k<0", "kernels: k = -3, want ≥ 0", g(NoTrans, NoTrans, 2, 4, -3, a, 0, b, 0, c, 0)},
		{"lda", "kernels: lda = 2, want ≥ 3 (the width of a) or 0 for tight", g(NoTrans, NoTrans, 2, 4, 3, a, 2, b, 0, c, 0)},
		{"lda<0", "kernels: lda = -1, want ≥ 3 (the width of a) or 0 for tight", g(NoTrans, NoTrans, 2, 4, 3, a, -1, b, 0, c, 0)},
		{"lda trans", "kernels: lda = 1, want ≥ 2 (the width of a) or 0 for tight", g(Trans, NoTrans, 2, 4, 3, a, 1, b, 0, c, 0)},
		{"ldb", "kernels: ldb = 3, want ≥ 4 (the width of b) or 0 for tight", g(NoTrans, NoTrans, 2, 4, 3, a, 0, b, 3, c, 0)},
		{"ldb trans", "kernels: ldb = 2, want ≥ 3 (the width of b) or 0 for tight", g(NoTrans, Trans, 2, 4, 3, a, 0, b, 2, c, 0)},
		{"ldc", "kernels: ldc = 3, want ≥ 4 (the width of c) or 0 for tight", g(NoTrans, NoTrans, 2, 4, 3, a, 0, b, 0, c, 3)},
		{"len(a)", "kernels: len(a) = 5, want ≥ 6 for m=2, k=3, lda=3", g(NoTrans, NoTrans, 2, 4, 3, a[:5], 0, b, 0, c, 0)},
		{"len(a) ld", "kernels: len(a) = 6, want ≥ 7 for m=2, k=3, lda=4", g(NoTrans, NoTrans, 2, 4, 3, a, 4, b, 0, c, 0)},
		{"len(a) trans", "kernels: len(a) = 6, want ≥ 8 for k=3, m=2, lda=3", g(Trans, NoTrans, 2, 4, 3, a, 3, b, 0, c, 0)},
		{"len(a) nil", "kernels: len(a) = 0, want ≥ 6 for m=2, k=3, lda=3", g(NoTrans, NoTrans, 2, 4, 3, nil, 0, b, 0, c, 0)},
		{"len(b)", "kernels: len(b) = 11, want ≥ 12 for k=3, n=4, ldb=4", g(NoTrans, NoTrans, 2, 4, 3, a, 0, b[:11], 0, c, 0)},
		{"len(b) trans", "kernels: len(b) = 11, want ≥ 12 for n=4, k=3, ldb=3", g(NoTrans, Trans, 2, 4, 3, a, 0, b[:11], 0, c, 0)},
		{"len(c)", "kernels: len(c) = 7, want ≥ 8 for m=2, n=4, ldc=4", g(NoTrans, NoTrans, 2, 4, 3, a, 0, b, 0, c[:7], 0)},
		{"len(c) ld", "kernels: len(c) = 8, want ≥ 9 for m=2, n=4, ldc=5", g(NoTrans, NoTrans, 2, 4, 3, a, 0, b, 0, c, 5)},
		{"c overlaps a", "kernels: c overlaps a, want separate memory for an output", g(NoTrans, NoTrans, 2, 4, 3, f[0:6], 0, b, 0, f[5:13], 0)},
		{"c overlaps b", "kernels: c overlaps b, want separate memory for an output", g(NoTrans, NoTrans, 2, 4, 3, a, 0, f[10:22], 0, f[3:11], 0)},
		{"c is a", "kernels: c overlaps a, want separate memory for an output", g(NoTrans, NoTrans, 2, 2, 2, f[:4], 0, b, 0, f[:4], 0)},
		// A strided C whose second row meets A.
		{"c row 2 overlaps a", "kernels: c overlaps a, want separate memory for an output", g(NoTrans, NoTrans, 2, 4, 3, f[20:26], 0, b, 0, f[0:24], 20)},
	} {
		wantPanic(t, "GEMM "+tc.name, tc.msg, tc.f)
	}

	// Interleaved rows of one buffer, adjacent slices: not overlaps.
	buf := make([]float32, 40)
	for i := range buf {
		buf[i] = float32(i%7) - 3
	}
	// A (2×3) in rows 0 and 2, C (2×4) in rows 1 and 3 of a 4×5 buffer
	// (ld 10 for both).
	a2 := buf[0 : 10+3]
	c2 := buf[5 : 5+10+4]
	wantNoPanic(t, "GEMM interleaved", func() { GEMM(NoTrans, NoTrans, 2, 4, 3, float32(1), a2, 10, b, 0, 0, c2, 10) })
	want := make([]float32, 8)
	GEMM(NoTrans, NoTrans, 2, 4, 3, float32(1), []float32{buf[0], buf[1], buf[2], buf[10], buf[11], buf[12]}, 0, b, 0, 0, want, 0)
	for i := range 2 {
		for j := range 4 {
			if c2[i*10+j] != want[i*4+j] {
				t.Errorf("GEMM interleaved: C[%d,%d] = %v, want %v", i, j, c2[i*10+j], want[i*4+j])
			}
		}
	}
	wantNoPanic(t, "GEMM adjacent", func() { GEMM(NoTrans, NoTrans, 2, 4, 3, float32(1), f[0:6], 0, f[6:18], 0, 0, f[18:26], 0) })
	// C inside A's gap: A 2×3 with lda 8, C 2×4 starting at A's column 3, ldc 8.
	wantNoPanic(t, "GEMM in the gap", func() { GEMM(NoTrans, NoTrans, 2, 4, 3, float32(1), f[0:11], 8, b, 0, 0, f[3:15], 8) })
}

func TestCheckForward(t *testing.T) {
	const m, k, n = 2, 3, 4
	x, w, bias, r, z := make([]float64, m*k), make([]float64, k*n), make([]float64, n), make([]float64, m*n), make([]float64, m*n)
	buf := make([]float64, 64)
	base := func() ForwardArgs[float64] {
		return ForwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, Bias: bias, R: r, Z: z, Mask: NewMask(m, n)}
	}
	with := func(f func(a *ForwardArgs[float64])) func() {
		return func() {
			a := base()
			f(&a)
			Forward(&a)
		}
	}
	for _, tc := range []struct {
		name, msg string
		f         func(a *ForwardArgs[float64])
	}{
		{"M", "kernels: M = -1, want ≥ 0", func(a *ForwardArgs[float64]) { a.M = -1 }},
		{"K", "kernels: K = -1, want ≥ 0", func(a *ForwardArgs[float64]) { a.K = -1 }},
		{"N", "kernels: N = -5, want ≥ 0", func(a *ForwardArgs[float64]) { a.N = -5 }},
		{"LdX", "kernels: LdX = 2, want ≥ 3 (the width of X) or 0 for tight", func(a *ForwardArgs[float64]) { a.LdX = 2 }},
		{"len(x)", "kernels: len(x) = 5, want ≥ 6 for M=2, K=3, ldx=3", func(a *ForwardArgs[float64]) { a.X = x[:5] }},
		{"len(x) nil", "kernels: len(x) = 0, want ≥ 6 for M=2, K=3, ldx=3", func(a *ForwardArgs[float64]) { a.X = nil }},
		{"len(x) ld", "kernels: len(x) = 6, want ≥ 8 for M=2, K=3, ldx=5", func(a *ForwardArgs[float64]) { a.LdX = 5 }},
		{"LdW", "kernels: LdW = 3, want ≥ 4 (the width of W) or 0 for tight", func(a *ForwardArgs[float64]) { a.LdW = 3 }},
		{"len(w)", "kernels: len(w) = 11, want ≥ 12 for K=3, N=4, ldw=4", func(a *ForwardArgs[float64]) { a.W = w[:11] }},
		{"len(w) doc", "kernels: len(w) = 10, want ≥ 12 for K=3, N=4, ldw=4", func(a *ForwardArgs[float64]) { a.W = w[:10] }}, // the package doc's example
		{"Bias", "kernels: len(Bias) = 3, want ≥ N=4 (or nil for no bias)", func(a *ForwardArgs[float64]) { a.Bias = bias[:3] }},
		{"Bias empty", "kernels: len(Bias) = 0, want ≥ N=4 (or nil for no bias)", func(a *ForwardArgs[float64]) { a.Bias = bias[:0] }},
		{"LdR", "kernels: LdR = 1, want ≥ 4 (the width of R) or 0 for tight", func(a *ForwardArgs[float64]) { a.LdR = 1 }},
		{"len(r)", "kernels: len(r) = 7, want ≥ 8 for M=2, N=4, ldr=4", func(a *ForwardArgs[float64]) { a.R = r[:7] }},
		{"R nil", "kernels: len(r) = 0, want ≥ 8 for M=2, N=4, ldr=4", func(a *ForwardArgs[float64]) { a.R = nil }},
		{"LdZ", "kernels: LdZ = 3, want ≥ 4 (the width of Z) or 0 for tight", func(a *ForwardArgs[float64]) { a.LdZ = 3 }},
		{"len(z)", "kernels: len(z) = 7, want ≥ 9 for M=2, N=4, ldz=5", func(a *ForwardArgs[float64]) { a.Z, a.LdZ = z[:7], 5 }},
		{"Mask shape", "kernels: Mask is 2×5, want 2×4", func(a *ForwardArgs[float64]) { a.Mask = NewMask(2, 5) }},
		{"Mask rows", "kernels: Mask is 3×4, want 2×4", func(a *ForwardArgs[float64]) { a.Mask = NewMask(3, 4) }},
		{"Mask stride", "kernels: Mask.Stride = 0, want ≥ 1 words for 4 columns", func(a *ForwardArgs[float64]) { a.Mask.Stride = 0 }},
		{"Mask bits", "kernels: len(Mask.Bits) = 1, want ≥ 2 for 2×4, Stride=1", func(a *ForwardArgs[float64]) { a.Mask.Bits = a.Mask.Bits[:1] }},
		{"Mask bits stride", "kernels: len(Mask.Bits) = 2, want ≥ 4 for 2×4, Stride=3", func(a *ForwardArgs[float64]) { a.Mask.Stride = 3 }},
		{"Mask nil bits", "kernels: len(Mask.Bits) = 0, want ≥ 2 for 2×4, Stride=1", func(a *ForwardArgs[float64]) { a.Mask.Bits = nil }},
		{"R overlaps X", "kernels: R overlaps X, want separate memory for an output", func(a *ForwardArgs[float64]) { a.X, a.R = buf[0:6], buf[4:12] }},
		{"R overlaps W", "kernels: R overlaps W, want separate memory for an output", func(a *ForwardArgs[float64]) { a.W, a.R = buf[0:12], buf[11:19] }},
		{"R overlaps Bias", "kernels: R overlaps Bias, want separate memory for an output", func(a *ForwardArgs[float64]) { a.Bias, a.R = buf[7:11], buf[0:8] }},
		{"Z overlaps X", "kernels: Z overlaps X, want separate memory for an output", func(a *ForwardArgs[float64]) { a.X, a.Z = buf[0:6], buf[5:13] }},
		{"Z overlaps W", "kernels: Z overlaps W, want separate memory for an output", func(a *ForwardArgs[float64]) { a.W, a.Z = buf[8:20], buf[5:13] }},
		{"Z overlaps Bias", "kernels: Z overlaps Bias, want separate memory for an output", func(a *ForwardArgs[float64]) { a.Bias, a.Z = buf[3:7], buf[0:8] }},
		{"R overlaps Z", "kernels: R overlaps Z, want separate memory for an output", func(a *ForwardArgs[float64]) { a.R, a.Z = buf[0:8], buf[7:15] }},
		{"R is Z", "kernels: R overlaps Z, want separate memory for an output", func(a *ForwardArgs[float64]) { a.R, a.Z = buf[0:8], buf[0:8] }},
	} {
		wantPanic(t, "Forward "+tc.name, tc.msg, with(tc.f))
	}

	// R and Z in alternate rows of one buffer; Bias right after X.
	for i := range x {
		x[i] = float64(i) - 2.5
	}
	for i := range w {
		w[i] = float64(i%5) - 1.5
	}
	for i := range bias {
		bias[i] = float64(i) * 0.25
	}
	inter := make([]float64, 4*n)
	ref := base()
	ref.Mask = Mask{}
	Forward(&ref)
	wantNoPanic(t, "Forward R and Z interleaved", func() {
		Forward(&ForwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, Bias: bias, R: inter[0 : n+n+n], LdR: 2 * n, Z: inter[n:], LdZ: 2 * n})
	})
	for i := range m {
		for j := range n {
			if inter[2*i*n+j] != r[i*n+j] || inter[(2*i+1)*n+j] != z[i*n+j] {
				t.Errorf("Forward interleaved [%d,%d]: R %v Z %v, want %v %v", i, j, inter[2*i*n+j], inter[(2*i+1)*n+j], r[i*n+j], z[i*n+j])
			}
		}
	}
	xb := make([]float64, m*k+n)
	copy(xb, x)
	copy(xb[m*k:], bias)
	wantNoPanic(t, "Forward Bias after X", func() {
		Forward(&ForwardArgs[float64]{M: m, K: k, N: n, X: xb[:m*k], W: w, Bias: xb[m*k:], R: r})
	})
	// Z and the mask are optional, Bias nil.
	wantNoPanic(t, "Forward minimal", func() { Forward(&ForwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, R: r}) })
}

func TestCheckBackward(t *testing.T) {
	const m, k, n = 3, 2, 4
	x, w, dr, z := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n), make([]float32, m*n)
	dx, dw, db, dz := make([]float32, m*k), make([]float32, k*n), make([]float32, n), make([]float32, m*n)
	buf := make([]float32, 64)
	base := func() BackwardArgs[float32] {
		return BackwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, DR: dr, Z: z, DX: dx, DW: dw, DB: db, DZ: dz}
	}
	for _, tc := range []struct {
		name, msg string
		f         func(a *BackwardArgs[float32])
	}{
		{"M", "kernels: M = -1, want ≥ 0", func(a *BackwardArgs[float32]) { a.M = -1 }},
		{"K", "kernels: K = -2, want ≥ 0", func(a *BackwardArgs[float32]) { a.K = -2 }},
		{"N", "kernels: N = -3, want ≥ 0", func(a *BackwardArgs[float32]) { a.N = -3 }},
		{"LdX", "kernels: LdX = 1, want ≥ 2 (the width of X) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdX = 1 }},
		{"len(x)", "kernels: len(x) = 5, want ≥ 6 for M=3, K=2, ldx=2", func(a *BackwardArgs[float32]) { a.X = x[:5] }},
		{"X nil with DW", "kernels: len(x) = 0, want ≥ 6 for M=3, K=2, ldx=2", func(a *BackwardArgs[float32]) { a.X = nil }},
		{"LdW", "kernels: LdW = 2, want ≥ 4 (the width of W) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdW = 2 }},
		{"W nil with DX", "kernels: len(w) = 0, want ≥ 8 for K=2, N=4, ldw=4", func(a *BackwardArgs[float32]) { a.W = nil }},
		{"LdDR", "kernels: LdDR = 3, want ≥ 4 (the width of DR) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdDR = 3 }},
		{"len(dr)", "kernels: len(dr) = 11, want ≥ 12 for M=3, N=4, lddr=4", func(a *BackwardArgs[float32]) { a.DR = dr[:11] }},
		{"DR nil", "kernels: len(dr) = 0, want ≥ 12 for M=3, N=4, lddr=4", func(a *BackwardArgs[float32]) { a.DR = nil }},
		{"both", "kernels: both Z and Mask given, want exactly one", func(a *BackwardArgs[float32]) { a.Mask = NewMask(m, n) }},
		{"neither", "kernels: neither Z nor Mask given, want exactly one", func(a *BackwardArgs[float32]) { a.Z = nil }},
		{"LdZ", "kernels: LdZ = 2, want ≥ 4 (the width of Z) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdZ = 2 }},
		{"len(z)", "kernels: len(z) = 12, want ≥ 14 for M=3, N=4, ldz=5", func(a *BackwardArgs[float32]) { a.LdZ = 5 }},
		{"Mask shape", "kernels: Mask is 4×3, want 3×4", func(a *BackwardArgs[float32]) { a.Z, a.Mask = nil, NewMask(n, m) }},
		{"Mask stride", "kernels: Mask.Stride = 0, want ≥ 1 words for 4 columns", func(a *BackwardArgs[float32]) {
			a.Z, a.Mask = nil, NewMask(m, n)
			a.Mask.Stride = 0
		}},
		{"Mask bits", "kernels: len(Mask.Bits) = 2, want ≥ 3 for 3×4, Stride=1", func(a *BackwardArgs[float32]) {
			a.Z, a.Mask = nil, NewMask(m, n)
			a.Mask.Bits = a.Mask.Bits[:2]
		}},
		{"Mask wide", "kernels: Mask.Stride = 1, want ≥ 2 words for 65 columns", func(a *BackwardArgs[float32]) {
			*a = BackwardArgs[float32]{M: 1, K: 1, N: 65, DR: make([]float32, 65), Mask: Mask{Rows: 1, Cols: 65, Stride: 1, Bits: make([]uint64, 2)}, DB: make([]float32, 65)}
		}},
		{"LdDX", "kernels: LdDX = 1, want ≥ 2 (the width of DX) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdDX = 1 }},
		{"len(dx)", "kernels: len(dx) = 5, want ≥ 6 for M=3, K=2, lddx=2", func(a *BackwardArgs[float32]) { a.DX = dx[:5] }},
		{"LdDW", "kernels: LdDW = 3, want ≥ 4 (the width of DW) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdDW = 3 }},
		{"len(dw)", "kernels: len(dw) = 7, want ≥ 8 for K=2, N=4, lddw=4", func(a *BackwardArgs[float32]) { a.DW = dw[:7] }},
		{"DB", "kernels: len(DB) = 3, want ≥ N=4 (or nil)", func(a *BackwardArgs[float32]) { a.DB = db[:3] }},
		{"LdDZ", "kernels: LdDZ = 3, want ≥ 4 (the width of DZ) or 0 for tight", func(a *BackwardArgs[float32]) { a.LdDZ = 3 }},
		{"len(dz)", "kernels: len(dz) = 12, want ≥ 14 for M=3, N=4, lddz=5", func(a *BackwardArgs[float32]) { a.LdDZ = 5 }},
		// Outputs against inputs.
		{"DX overlaps X", "kernels: DX overlaps X, want separate memory for an output", func(a *BackwardArgs[float32]) { a.X, a.DX = buf[0:6], buf[5:11] }},
		{"DX overlaps W", "kernels: DX overlaps W, want separate memory for an output", func(a *BackwardArgs[float32]) { a.W, a.DX = buf[0:8], buf[2:8] }},
		{"DX overlaps DR", "kernels: DX overlaps DR, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DR, a.DX = buf[6:18], buf[1:7] }},
		{"DX overlaps Z", "kernels: DX overlaps Z, want separate memory for an output", func(a *BackwardArgs[float32]) { a.Z, a.DX = buf[0:12], buf[11:17] }},
		{"DW overlaps X", "kernels: DW overlaps X, want separate memory for an output", func(a *BackwardArgs[float32]) { a.X, a.DW = buf[0:6], buf[5:13] }},
		{"DW overlaps DR", "kernels: DW overlaps DR, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DR, a.DW = buf[0:12], buf[4:12] }},
		{"DB overlaps W", "kernels: DB overlaps W, want separate memory for an output", func(a *BackwardArgs[float32]) { a.W, a.DB = buf[0:8], buf[7:11] }},
		{"DB overlaps Z", "kernels: DB overlaps Z, want separate memory for an output", func(a *BackwardArgs[float32]) { a.Z, a.DB = buf[2:14], buf[0:4] }},
		{"DZ overlaps DR", "kernels: DZ overlaps DR, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DR, a.DZ = buf[0:12], buf[0:12] }},
		{"DZ overlaps Z", "kernels: DZ overlaps Z, want separate memory for an output", func(a *BackwardArgs[float32]) { a.Z, a.DZ = buf[0:12], buf[11:23] }},
		// Outputs against each other.
		{"DX overlaps DW", "kernels: DX overlaps DW, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DX, a.DW = buf[0:6], buf[5:13] }},
		{"DX overlaps DB", "kernels: DX overlaps DB, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DX, a.DB = buf[0:6], buf[2:6] }},
		{"DX overlaps DZ", "kernels: DX overlaps DZ, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DX, a.DZ = buf[10:16], buf[0:12] }},
		{"DW overlaps DB", "kernels: DW overlaps DB, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DW, a.DB = buf[0:8], buf[7:11] }},
		{"DW overlaps DZ", "kernels: DW overlaps DZ, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DW, a.DZ = buf[0:8], buf[0:12] }},
		{"DB overlaps DZ", "kernels: DB overlaps DZ, want separate memory for an output", func(a *BackwardArgs[float32]) { a.DB, a.DZ = buf[11:15], buf[0:12] }},
	} {
		wantPanic(t, "Backward "+tc.name, tc.msg, func() {
			a := base()
			tc.f(&a)
			Backward(&a)
		})
	}

	// Optional outputs and the inputs they need.
	wantNoPanic(t, "Backward DB only", func() { Backward(&BackwardArgs[float32]{M: m, K: k, N: n, DR: dr, Z: z, DB: db}) })
	wantNoPanic(t, "Backward DX without X", func() { Backward(&BackwardArgs[float32]{M: m, K: k, N: n, W: w, DR: dr, Z: z, DX: dx}) })
	wantNoPanic(t, "Backward DW without W", func() { Backward(&BackwardArgs[float32]{M: m, K: k, N: n, X: x, DR: dr, Z: z, DW: dw}) })
	wantNoPanic(t, "Backward no outputs", func() { Backward(&BackwardArgs[float32]{M: m, K: k, N: n, DR: dr, Z: z}) })

	// DX and DZ side by side in the rows of one buffer (ld K+N), DW in
	// the gap of DR's rows.
	r := newRand(77)
	for _, s := range [][]float32{x, w, dr, z} {
		for i := range s {
			s[i] = float32(r.IntN(9) - 4)
		}
	}
	ref := base()
	Backward(&ref)
	both := make([]float32, m*(k+n))
	drBuf := make([]float32, 2*n*(m-1)+n)
	for i := range m {
		copy(drBuf[2*n*i:], dr[i*n:(i+1)*n])
	}
	dwIn := drBuf[n:] // rows of DW (2×4, ld 2n) between DR's rows
	wantNoPanic(t, "Backward interleaved", func() {
		Backward(&BackwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, DR: drBuf, LdDR: 2 * n, Z: z,
			DX: both, LdDX: k + n, DZ: both[k:], LdDZ: k + n, DW: dwIn, LdDW: 2 * n})
	})
	for i := range m {
		for p := range k {
			if both[i*(k+n)+p] != dx[i*k+p] {
				t.Errorf("Backward interleaved: DX[%d,%d] = %v, want %v", i, p, both[i*(k+n)+p], dx[i*k+p])
			}
		}
		for j := range n {
			if both[i*(k+n)+k+j] != dz[i*n+j] {
				t.Errorf("Backward interleaved: DZ[%d,%d] = %v, want %v", i, j, both[i*(k+n)+k+j], dz[i*n+j])
			}
		}
	}
	for p := range k {
		for j := range n {
			if dwIn[p*2*n+j] != dw[p*n+j] {
				t.Errorf("Backward interleaved: DW[%d,%d] = %v, want %v", p, j, dwIn[p*2*n+j], dw[p*n+j])
			}
		}
	}
}

func TestCheckElementwise(t *testing.T) {
	v := make([]float32, 130)
	bits := make([]uint64, 3)
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"ReLU len(dst)", "kernels: len(dst) = 2, want ≥ len(x) = 3", func() { ReLU(v[:2], v[10:13]) }},
		{"ReLU overlap", "kernels: dst overlaps x, want separate memory for an output", func() { ReLU(v[1:4], v[0:3]) }},
		{"ReLU overlap behind", "kernels: dst overlaps x, want separate memory for an output", func() { ReLU(v[0:3], v[2:5]) }},
		{"StepMask", "kernels: len(bits) = 1, want ≥ 2 for len(z) = 65", func() { StepMask(bits[:1], v[:65]) }},
		{"StepMask nil", "kernels: len(bits) = 0, want ≥ 1 for len(z) = 1", func() { StepMask(nil, v[:1]) }},
		{"StepGrad len(dr)", "kernels: len(dr) = 2, want ≥ len(z) = 3", func() { StepGrad(v[20:23], v[:2], v[10:13]) }},
		{"StepGrad len(dz)", "kernels: len(dz) = 1, want ≥ len(z) = 3", func() { StepGrad(v[20:21], v[:3], v[10:13]) }},
		{"StepGrad dz overlaps dr", "kernels: dz overlaps dr, want separate memory for an output", func() { StepGrad(v[1:4], v[0:3], v[10:13]) }},
		{"StepGrad dz overlaps z", "kernels: dz overlaps z, want separate memory for an output", func() { StepGrad(v[11:14], v[0:3], v[10:13]) }},
		{"StepGradMask len(dz)", "kernels: len(dz) = 2, want ≥ len(dr) = 3", func() { StepGradMask(v[20:22], v[:3], bits) }},
		{"StepGradMask len(bits)", "kernels: len(bits) = 1, want ≥ 2 for len(dr) = 100", func() { StepGradMask(v[:100], v[:100], bits[:1]) }},
		{"StepGradMask nil bits", "kernels: len(bits) = 0, want ≥ 1 for len(dr) = 3", func() { StepGradMask(v[20:23], v[:3], nil) }},
		{"StepGradMask overlap", "kernels: dz overlaps dr, want separate memory for an output", func() { StepGradMask(v[2:5], v[0:3], bits) }},
	} {
		wantPanic(t, tc.name, tc.msg, tc.f)
	}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"ReLU in place", func() { ReLU(v[:7], v[:7]) }},
		{"ReLU in place, longer dst", func() { ReLU(v[:9], v[:7]) }},
		{"ReLU adjacent", func() { ReLU(v[3:6], v[0:3]) }},
		{"ReLU empty", func() { ReLU[float32](nil, nil) }},
		{"StepMask empty", func() { StepMask[float32](nil, nil) }},
		{"StepGrad dz = dr", func() { StepGrad(v[:5], v[:5], v[10:15]) }},
		{"StepGrad dz = z", func() { StepGrad(v[10:15], v[:5], v[10:15]) }},
		{"StepGrad dz = dr = z", func() { StepGrad(v[:5], v[:5], v[:5]) }},
		{"StepGrad dr = z", func() { StepGrad(v[20:25], v[:5], v[:5]) }},
		{"StepGradMask in place", func() { StepGradMask(v[:70], v[:70], bits[:2]) }},
		{"StepGradMask empty", func() { StepGradMask[float32](nil, nil, nil) }},
	} {
		wantNoPanic(t, tc.name, tc.f)
	}
}

func TestCheckMask(t *testing.T) {
	m := NewMask(2, 70)
	// 1<<62 and 1<<33 on 64-bit machines: big·3 and wide² bits overflow.
	big, wide := math.MaxInt>>1+1, 1<<(bits.UintSize/2+1)
	if m.Rows != 2 || m.Cols != 70 || m.Stride != 2 || len(m.Bits) != 4 {
		t.Errorf("NewMask(2, 70) = %+v", m)
	}
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"rows", "kernels: rows = -1, want ≥ 0", func() { NewMask(-1, 3) }},
		{"cols", "kernels: cols = -2, want ≥ 0", func() { NewMask(3, -2) }},
		{"rows·cols", fmt.Sprintf("kernels: NewMask(%d, 3) needs more than MaxInt bytes", big), func() { NewMask(big, 3) }},
		{"rows·cols wide", fmt.Sprintf("kernels: NewMask(%d, %d) needs more than MaxInt bytes", wide, wide), func() { NewMask(wide, wide) }},
		{"At row", "kernels: Mask.At(2, 0) outside 2×70", func() { m.At(2, 0) }},
		{"At col", "kernels: Mask.At(0, 70) outside 2×70", func() { m.At(0, 70) }},
		{"At negative", "kernels: Mask.At(-1, 0) outside 2×70", func() { m.At(-1, 0) }},
		{"Row", "kernels: Mask.Row(2) outside 2 rows", func() { m.Row(2) }},
		{"Row negative", "kernels: Mask.Row(-1) outside 2 rows", func() { m.Row(-1) }},
	} {
		wantPanic(t, "Mask "+tc.name, tc.msg, tc.f)
	}
	m.Bits[2] = 1 << 5
	m.Bits[3] = 1 << 1
	if !m.At(1, 5) || !m.At(1, 65) || m.At(1, 4) || m.At(0, 5) {
		t.Errorf("Mask.At: wrong bits of %v", m.Bits)
	}
	if r := m.Row(1); len(r) != 2 || r[0] != 1<<5 {
		t.Errorf("Mask.Row(1) = %v", r)
	}
	if MaskWords(0) != 0 || MaskWords(1) != 1 || MaskWords(64) != 1 || MaskWords(65) != 2 {
		t.Errorf("MaskWords wrong")
	}
}

// TestZeroDims: a zero dimension writes nothing, except the outputs
// defined for an empty sum: C = β·C when k = 0 (C = 0 when β = 0), Z =
// Bias when K = 0, DB = 0 when M = 0 (not accumulating), DW = 0 when
// M = 0, DX = 0 when N = 0; DB and DZ are computed when K = 0.
func TestZeroDims(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		nan := float32(math.NaN())
		fill := func(s []float32, v float32) []float32 {
			for i := range s {
				s[i] = v
			}
			return s
		}
		untouched := func(name string, s []float32) {
			for i, v := range s {
				if bitsOf(v) != bitsOf(nan) {
					t.Errorf("%s[%d] written: %v", name, i, v)
					return
				}
			}
		}
		zeros := func(name string, s []float32) {
			for i, v := range s {
				if bitsOf(v) != 0 {
					t.Errorf("%s[%d] = %v, want +0", name, i, v)
					return
				}
			}
		}
		// GEMM with m = 0 or n = 0: nothing; nil operands are fine.
		c := fill(make([]float32, 8), nan)
		GEMM(NoTrans, NoTrans, 0, 4, 3, float32(1), nil, 0, make([]float32, 12), 0, 0, c, 0)
		GEMM(NoTrans, NoTrans, 2, 0, 3, float32(1), make([]float32, 6), 0, nil, 1, 0, c, 1)
		GEMM(Trans, Trans, 0, 0, 0, float32(1), nil, 1, nil, 1, 0, nil, 1)
		untouched("C", c)
		// k = 0, β = 0: C = 0 though it held NaN.
		GEMM(NoTrans, NoTrans, 2, 4, 0, float32(1), nil, 1, nil, 4, 0, c, 0)
		zeros("C (k=0, β=0)", c)

		// Forward with M = 0 or N = 0: nothing, mask included.
		r := fill(make([]float32, 8), nan)
		mask := NewMask(0, 4)
		Forward(&ForwardArgs[float32]{M: 0, K: 3, N: 4, W: make([]float32, 12), Bias: make([]float32, 4), R: r, Z: r[4:], Mask: mask})
		Forward(&ForwardArgs[float32]{M: 2, K: 3, N: 0, X: make([]float32, 6), LdW: 1, LdR: 1, R: r})
		untouched("R", r)

		// Backward with M = 0: DW = 0 and DB = 0, DX and DZ untouched.
		dw, db := fill(make([]float32, 12), nan), fill(make([]float32, 4), nan)
		Backward(&BackwardArgs[float32]{M: 0, K: 3, N: 4, W: make([]float32, 12), Mask: NewMask(0, 4), DW: dw, DB: db, DX: r[:0], DZ: r[:0]})
		zeros("DW (M=0)", dw)
		zeros("DB (M=0)", db)
		untouched("R", r)
		// … and unchanged when accumulating.
		fill(dw, 2)
		fill(db, 3)
		Backward(&BackwardArgs[float32]{M: 0, K: 3, N: 4, Z: []float32{}, DW: dw, DB: db, Accumulate: true})
		for i := range dw {
			if dw[i] != 2 {
				t.Errorf("DW[%d] = %v after accumulating nothing", i, dw[i])
			}
		}
		for i := range db {
			if db[i] != 3 {
				t.Errorf("DB[%d] = %v after accumulating nothing", i, db[i])
			}
		}
		// N = 0: DX = 0.
		dx := fill(make([]float32, 6), nan)
		Backward(&BackwardArgs[float32]{M: 2, K: 3, N: 0, LdW: 1, LdDR: 1, LdZ: 1, Z: nil, Mask: NewMask(2, 0), DX: dx, DB: []float32{}})
		zeros("DX (N=0)", dx)
		// K = 0: DB and DZ still computed, DX (M×0) and DW (0×N) nothing.
		dr := []float32{1, -2, float32(math.Inf(1)), 4, 5, 6}
		z := []float32{1, 0, -1, float32(math.NaN()), -0.5, float32(math.Copysign(0, -1))}
		dz := fill(make([]float32, 6), nan)
		db = fill(make([]float32, 3), nan)
		Backward(&BackwardArgs[float32]{M: 2, K: 0, N: 3, X: nil, LdX: 1, DR: dr, Z: z, DX: []float32{}, LdDX: 1, DW: []float32{}, DB: db, DZ: dz})
		if want := []float32{1, -2, 0, 4, 0, 6}; fmt.Sprint(dz) != fmt.Sprint(want) || bitsOf(dz[2]) != 0 || bitsOf(dz[4]) != 0 {
			t.Errorf("DZ (K=0) = %v, want %v", dz, want)
		}
		if want := []float32{5, -2, 6}; fmt.Sprint(db) != fmt.Sprint(want) {
			t.Errorf("DB (K=0) = %v, want %v", db, want)
		}
	})
}

// TestZeroWidthTight: a leading dimension of 0 means tight, also for a
// matrix with no columns (k = 0 makes A m×0): such a call must not panic.
func TestZeroWidthTight(t *testing.T) {
	c := make([]float32, 8)
	wantNoPanic(t, "GEMM k=0, lda=0", func() { GEMM(NoTrans, NoTrans, 2, 4, 0, float32(1), nil, 0, nil, 0, 0, c, 0) })
	wantNoPanic(t, "GEMM n=0, ldb=0, ldc=0", func() { GEMM(NoTrans, NoTrans, 2, 0, 3, float32(1), make([]float32, 6), 0, nil, 0, 0, nil, 0) })
	wantNoPanic(t, "Forward K=0, LdX=0", func() {
		Forward(&ForwardArgs[float32]{M: 2, K: 0, N: 4, R: c})
	})
	wantNoPanic(t, "Forward N=0", func() {
		Forward(&ForwardArgs[float32]{M: 2, K: 3, N: 0, X: make([]float32, 6)})
	})
	wantNoPanic(t, "Backward K=0, LdDX=0", func() {
		Backward(&BackwardArgs[float32]{M: 2, K: 0, N: 4, DR: c, Z: c, DX: []float32{}, DB: make([]float32, 4)})
	})
}

// TestBackwardN0DZ: Backward with N = 0 and DZ (an M×0 matrix) is a
// no-op for DZ.
func TestBackwardN0DZ(t *testing.T) {
	for _, p := range impls {
		withPath(p, func() {
			wantNoPanic(t, "Backward N=0 with DZ on "+p.name, func() {
				Backward(&BackwardArgs[float32]{M: 3, K: 2, N: 0, LdW: 1, LdDR: 1, LdZ: 1, LdDZ: 1, Mask: NewMask(3, 0), W: nil, DX: make([]float32, 6), DZ: []float32{}})
			})
		})
	}
}
