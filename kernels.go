// Package kernels provides fused SIMD kernels for dense ReLU layers:
// the forward pass Z = X·W + b, R = ReLU(Z) with the step mask [Z ≥ 0]
// written while the output tile is still in registers, the step-masked
// backward pass dX = dZ·Wᵀ, dW = Xᵀ·dZ, db = Σ dZ with dZ = dR ⊙ [Z ≥ 0]
// applied as the GEMM packs its operands, the packed GEMM underneath, and
// elementwise ReLU and step-mask kernels.
//
// # Conventions
//
// Matrices are row-major slices with a leading dimension (the distance in
// elements between the starts of consecutive rows), so that callers can
// work on sub-matrices without copying. A leading dimension of 0 means the
// matrix is tight: the leading dimension is its width. Element (i, j) of a
// matrix a with leading dimension lda is a[i*lda+j].
//
// Every function takes float32 or float64 through the type parameter
// [Float]; both go through the same code and the same checks.
//
// # Mathematics
//
//	ReLU(x) = 0 if x < 0, x otherwise
//	Step(x) = 0 if x < 0, 1 otherwise        (so Step(0) = 1)
//
// The definitions are followed literally, bit for bit, on every code path:
// ReLU(NaN) = NaN (the same bits), Step(NaN) = 1 (NaN < 0 is false),
// ReLU(−0) = −0, Step(−0) = 1, ReLU(+Inf) = +Inf, ReLU(−Inf) = +0, and
// ReLU(x) = +0 for every other x < 0. Applying the mask is a select, never
// a multiply, so dR = ±Inf or NaN where Z < 0 still gives dZ = +0.
//
// Sums (the GEMMs, the bias gradient) may differ between code paths by
// rounding only: fused multiply-add against separate operations, and the
// order of summation. Every path gives the same bits for any number of
// threads.
//
// # Arguments
//
// Bad arguments panic with a message that names the argument and the rule
// it breaks, for example
//
//	kernels: len(w) = 10, want ≥ 12 for K=3, N=4, ldw=4
//
// A dimension of zero makes a call a no-op (apart from outputs such as
// db that are defined for an empty sum). Outputs that overlap inputs are
// rejected where that can be detected, except where a function documents
// that it works in place. A call never gives a wrong answer or touches
// memory outside the slices it is given.
//
// # Code paths
//
// The fastest code path the CPU supports is chosen once, at start-up:
// AVX-512 or AVX2+FMA on amd64, NEON on arm64, generic Go elsewhere and
// under the purego build tag. The environment variable FUSEDRELU_ISA caps
// the path (generic, avx2, avx512, neon); [Info] reports the path in use
// and its cache blocking.
package kernels

// Float is the element type of every kernel.
type Float interface{ float32 | float64 }

// Transpose says whether a GEMM operand is used as stored or transposed.
type Transpose bool

const (
	NoTrans Transpose = false // use the operand as stored
	Trans   Transpose = true  // use the transpose of the operand
)

// GEMM computes C = α·op(A)·op(B) + β·C, where op(A) is m×k, op(B) is
// k×n and C is m×n, with op the identity or the transpose as tA and tB
// say. A stored untransposed is m×k with leading dimension lda, transposed
// it is stored k×m; likewise B is k×n or n×k. A leading dimension of 0
// means tight. As in BLAS, when β = 0 the old contents of C are not read
// (NaN in C does not propagate), and when k = 0 or α = 0 the product is
// not computed and C becomes β·C.
//
// Aliasing: C may not share memory with A or B (a panic, before anything
// is written), though it may interleave with them (rows that share no
// element); A and B may share memory.
//
// Example: C (2×3) = A (2×4) · B (4×3)
//
//	kernels.GEMM(kernels.NoTrans, kernels.NoTrans, 2, 3, 4, float32(1), a, 0, b, 0, 0, c, 0)
func GEMM[T Float](tA, tB Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	GEMMThreads(0, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GEMMThreads is [GEMM] on up to threads threads; 0 means the package's
// default ([SetThreads]). The result is the same bits for any count.
//
// Example: C = A·B on at most 4 threads:
//
//	kernels.GEMMThreads(4, kernels.NoTrans, kernels.NoTrans, m, n, k, float32(1), a, 0, b, 0, 0, c, 0)
func GEMMThreads[T Float](threads int, tA, tB Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	checkThreads(threads)
	checkDims3("m", m, "n", n, "k", k)
	ar, ac := dim{"m", m}, dim{"k", k}
	if tA {
		ar, ac = ac, ar
	}
	br, bc := dim{"k", k}, dim{"n", n}
	if tB {
		br, bc = bc, br
	}
	lda = checkMatrix("a", a, ar, ac, lda, "lda")
	ldb = checkMatrix("b", b, br, bc, ldb, "ldb")
	ldc = checkMatrix("c", c, dim{"m", m}, dim{"n", n}, ldc, "ldc")
	if m == 0 || n == 0 {
		return
	}
	cr, r1, r2 := matRegion("c", c, m, n, ldc), matRegion("a", a, ar.v, ac.v, lda), matRegion("b", b, br.v, bc.v, ldb)
	checkDisjoint(&cr, &r1)
	checkDisjoint(&cr, &r2)
	gemmThreads(active, threadsFor(threads), bool(tA), bool(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// ForwardArgs holds the operands of [Forward]. Leading dimensions of 0
// mean tight. X, W (or PW) and R are required; Bias, Z and Mask are
// optional (nil or the zero Mask means absent).
type ForwardArgs[T Float] struct {
	M, K, N int // X is M×K, W is K×N, Bias has N elements, R and Z are M×N

	X    []T
	LdX  int
	W    []T
	LdW  int
	PW   *PackedW[T] // W packed by PackW: used instead of W (then ignored) when not nil
	Bias []T         // nil: no bias

	R    []T // output: ReLU(Z)
	LdR  int
	Z    []T // optional output: X·W + Bias
	LdZ  int
	Mask Mask // optional output: [Z ≥ 0], M×N (see NewMask)

	// Threads is the most threads the call may use; 0 means the
	// package's default (see SetThreads).
	Threads int
}

// Forward computes the fused forward pass of a dense ReLU layer:
//
//	Z = X·W + Bias,  R = ReLU(Z),  Mask = [Z ≥ 0]
//
// in one pass over each output tile: Z and the mask are written only when
// asked for.
//
// Aliasing: R, Z and the mask are outputs and may not share memory with
// X, W, Bias or one another (a panic, before anything is written); they
// may interleave, though: R and Z in alternate rows of one buffer (LdR =
// LdZ = 2·N) is allowed, since no element of one is an element of the
// other. The inputs may share memory with one another.
//
// Example: a batch of 64 examples through a 784→256 layer, keeping the
// mask for the backward pass:
//
//	mask := kernels.NewMask(64, 256)
//	kernels.Forward(&kernels.ForwardArgs[float32]{
//		M: 64, K: 784, N: 256,
//		X: x, W: w, Bias: b,
//		R: r, Mask: mask,
//	})
func Forward[T Float](p *ForwardArgs[T]) {
	if p == nil {
		panicf("Forward(nil), want a *ForwardArgs")
	}
	m, k, n := p.M, p.K, p.N
	checkDims3("M", m, "K", k, "N", n)
	checkThreads(p.Threads)
	ldx := checkMatrix("X", p.X, dim{"M", m}, dim{"K", k}, p.LdX, "LdX")
	ldw, w, pw := 0, p.W, p.PW
	if pw != nil {
		pw.check(k, n)
		pw.checkPlain("Forward")
		w = nil
		if k == 0 {
			// Z = Bias: nothing of W is read, so the plain route
			// serves (with any W).
			pw, ldw = nil, max(n, 1)
		}
	} else {
		ldw = checkMatrix("W", p.W, dim{"K", k}, dim{"N", n}, p.LdW, "LdW")
	}
	if p.Bias != nil && len(p.Bias) < n {
		panicf("len(Bias) = %d, want ≥ N=%d (or nil for no bias)", len(p.Bias), n)
	}
	ldr := checkMatrix("R", p.R, dim{"M", m}, dim{"N", n}, p.LdR, "LdR")
	ldz := 0
	if p.Z != nil {
		ldz = checkMatrix("Z", p.Z, dim{"M", m}, dim{"N", n}, p.LdZ, "LdZ")
	}
	hasMask := !p.Mask.isZero()
	if hasMask {
		p.Mask.check("Mask", m, n)
	}
	if m == 0 || n == 0 {
		return
	}
	ins := [...]region{matRegion("X", p.X, m, k, ldx), matRegion("W", w, k, n, ldw), vecRegion("Bias", p.Bias, n)}
	rr, zr, mr := matRegion("R", p.R, m, n, ldr), matRegion("Z", p.Z, m, n, ldz), p.Mask.region("Mask")
	for i := range ins {
		checkDisjoint(&rr, &ins[i])
		checkDisjoint(&zr, &ins[i])
		checkDisjoint(&mr, &ins[i]) // only through unsafe: Bits is a []uint64
	}
	checkDisjoint(&rr, &zr)
	checkDisjoint(&mr, &rr)
	checkDisjoint(&mr, &zr)
	forwardWith(active, m, k, n, operand[T]{s: p.X, ld: ldx}, operand[T]{s: w, ld: ldw}, pw, p.Bias, p.R, ldr, p.Z, ldz, nil, 0, p.Mask, hasMask, threadsFor(p.Threads))
}

// BackwardArgs holds the operands of [Backward]. Leading dimensions of 0
// mean tight. DR is required, and exactly one of Z and Mask says where the
// forward pass had Z ≥ 0. Each of DX, DW, DB and DZ is optional (nil means
// not wanted); X is required when DW is wanted, W or PW when DX is.
type BackwardArgs[T Float] struct {
	M, K, N int // X is M×K, W is K×N, DR, Z and DZ are M×N

	X   []T
	LdX int
	W   []T
	LdW int
	PW  *PackedW[T] // W packed by PackW: used instead of W (then ignored) when not nil

	DR   []T // gradient of the cost with respect to R = ReLU(Z)
	LdDR int
	Z    []T  // the forward pass's Z, or
	LdZ  int  //
	Mask Mask // its step mask [Z ≥ 0]

	DX   []T // output: dZ·Wᵀ, M×K
	LdDX int
	DW   []T // output: Xᵀ·dZ, K×N
	LdDW int
	DB   []T // output: Σ over the M rows of dZ, N elements
	DZ   []T // output: dR ⊙ [Z ≥ 0], M×N
	LdDZ int

	// Accumulate adds the results into DX, DW and DB instead of
	// overwriting them (DZ is always overwritten): DW += Xᵀ·dZ, for
	// example, to sum gradients over several batches.
	Accumulate bool

	// Threads is the most threads the call may use; 0 means the
	// package's default (see SetThreads).
	Threads int
}

// Backward computes the step-masked backward pass of a dense ReLU layer,
// the seed's three equations:
//
//	dZ = dR ⊙ [Z ≥ 0],  dX = dZ·Wᵀ,  dW = Xᵀ·dZ,  db = Σ_rows dZ
//
// The mask is applied as the GEMMs pack dZ; dZ is written to memory only
// when DZ is given. The mask is a select: where Z < 0, dZ is +0 whatever
// dR holds (Inf and NaN included).
//
// Aliasing: DX, DW, DB and DZ may not share memory with one another or
// with X, W, DR, Z or the mask (a panic, before anything is written; in
// particular DZ may not be DR); interleaved rows that share no element
// are allowed. The inputs may share memory with one another.
//
// Example: the gradients of the layer of the [Forward] example:
//
//	kernels.Backward(&kernels.BackwardArgs[float32]{
//		M: 64, K: 784, N: 256,
//		X: x, W: w, DR: dr, Mask: mask,
//		DX: dx, DW: dw, DB: db,
//	})
func Backward[T Float](p *BackwardArgs[T]) {
	if p == nil {
		panicf("Backward(nil), want a *BackwardArgs")
	}
	m, k, n := p.M, p.K, p.N
	checkDims3("M", m, "K", k, "N", n)
	checkThreads(p.Threads)
	ldx, ldw, w := 0, 0, p.W
	if p.DW != nil {
		ldx = checkMatrix("X", p.X, dim{"M", m}, dim{"K", k}, p.LdX, "LdX")
	}
	if p.PW != nil {
		p.PW.check(k, n)
		if p.DX != nil {
			p.PW.checkPlain("Backward")
			p.PW.checkDX("Backward")
		}
		w = nil
	} else if p.DX != nil {
		ldw = checkMatrix("W", p.W, dim{"K", k}, dim{"N", n}, p.LdW, "LdW")
	}
	lddr := checkMatrix("DR", p.DR, dim{"M", m}, dim{"N", n}, p.LdDR, "LdDR")
	hasMask := !p.Mask.isZero()
	ldz := 0
	switch {
	case p.Z != nil && hasMask:
		panicf("both Z and Mask given, want exactly one")
	case p.Z != nil:
		ldz = checkMatrix("Z", p.Z, dim{"M", m}, dim{"N", n}, p.LdZ, "LdZ")
	case hasMask:
		p.Mask.check("Mask", m, n)
	default:
		panicf("neither Z nor Mask given, want exactly one")
	}
	lddx, lddw, lddz := 0, 0, 0
	if p.DX != nil {
		lddx = checkMatrix("DX", p.DX, dim{"M", m}, dim{"K", k}, p.LdDX, "LdDX")
	}
	if p.DW != nil {
		lddw = checkMatrix("DW", p.DW, dim{"K", k}, dim{"N", n}, p.LdDW, "LdDW")
	}
	if p.DB != nil && len(p.DB) < n {
		panicf("len(DB) = %d, want ≥ N=%d (or nil)", len(p.DB), n)
	}
	if p.DZ != nil {
		lddz = checkMatrix("DZ", p.DZ, dim{"M", m}, dim{"N", n}, p.LdDZ, "LdDZ")
	}
	outs := [...]region{
		matRegion("DX", p.DX, m, k, lddx), matRegion("DW", p.DW, k, n, lddw),
		vecRegion("DB", p.DB, n), matRegion("DZ", p.DZ, m, n, lddz),
	}
	ins := [...]region{
		matRegion("X", p.X, m, k, ldx), matRegion("W", w, k, n, ldw),
		matRegion("DR", p.DR, m, n, lddr), matRegion("Z", p.Z, m, n, ldz),
		p.Mask.region("Mask"), // only through unsafe: Bits is a []uint64
	}
	checkOutputs(outs[:], ins[:])
	backward(active, p, nil, ldx, ldw, lddr, ldz, hasMask, lddx, lddw, lddz)
}

// ReLU sets dst[i] = ReLU(x[i]) for every i < len(x).
//
// Aliasing: dst may be x (in place: the same first element), but may not
// overlap it otherwise (a panic, before anything is written).
func ReLU[T Float](dst, x []T) {
	checkLen("dst", dst, "x", len(x))
	checkSameOrDisjoint("dst", dst, "x", x)
	if raceEnabled { // the kernel may be assembly, which the detector does not see
		raceRead(x)
		raceWrite(dst[:len(x)])
	}
	opsFor[T](active).relu(dst[:len(x)], x)
}

// StepMask writes the step mask [z[i] ≥ 0] of a vector into bits: element
// i is bit i%64 of bits[i/64]. The bits of the last word past len(z) are
// set to zero, so bits needs [MaskWords](len(z)) words.
//
// Aliasing: bits may not overlap z (possible only through unsafe; a
// panic, before anything is written).
func StepMask[T Float](bits []uint64, z []T) {
	w := MaskWords(len(z))
	if len(bits) < w {
		panicf("len(bits) = %d, want ≥ %d for len(z) = %d", len(bits), w, len(z))
	}
	br, zr := vecRegion("bits", bits, w), vecRegion("z", z, len(z))
	checkDisjoint(&br, &zr)
	if raceEnabled {
		raceRead(z)
		raceWrite(bits[:MaskWords(len(z))])
	}
	opsFor[T](active).stepMask(bits, z)
}

// StepGrad sets dz[i] = dr[i] where z[i] ≥ 0 and +0 elsewhere, for every
// i < len(z): dZ = dR ⊙ [Z ≥ 0], as a select.
//
// Aliasing: dz may be dr or z (in place: the same first element) but may
// not overlap them otherwise (a panic, before anything is written); dr
// and z may share memory.
func StepGrad[T Float](dz, dr, z []T) {
	checkLen("dr", dr, "z", len(z))
	checkLen("dz", dz, "z", len(z))
	checkSameOrDisjoint("dz", dz, "dr", dr)
	checkSameOrDisjoint("dz", dz, "z", z)
	if raceEnabled {
		raceRead(dr[:len(z)])
		raceRead(z)
		raceWrite(dz[:len(z)])
	}
	opsFor[T](active).stepGrad(dz[:len(z)], dr[:len(z)], z)
}

// StepGradMask sets dz[i] = dr[i] where bit i of the step mask bits is
// set and +0 elsewhere, for every i < len(dr): the vector form of
// [StepGrad] with the mask that [StepMask] wrote.
//
// Aliasing: dz may be dr (in place: the same first element) but may not
// overlap it otherwise, nor bits (possible only through unsafe); a
// panic, before anything is written.
func StepGradMask[T Float](dz, dr []T, bits []uint64) {
	checkLen("dz", dz, "dr", len(dr))
	w := MaskWords(len(dr))
	if len(bits) < w {
		panicf("len(bits) = %d, want ≥ %d for len(dr) = %d", len(bits), w, len(dr))
	}
	checkSameOrDisjoint("dz", dz, "dr", dr)
	dzr, br := vecRegion("dz", dz, len(dr)), vecRegion("bits", bits, w)
	checkDisjoint(&dzr, &br)
	if raceEnabled {
		raceRead(dr)
		raceRead(bits[:MaskWords(len(dr))])
		raceWrite(dz[:len(dr)])
	}
	opsFor[T](active).stepGradMask(dz[:len(dr)], dr, bits)
}
