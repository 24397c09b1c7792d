package kernels

// ForwardBF16Args holds the operands of [ForwardBF16]: those of
// [ForwardArgs] with X and W in bfloat16 and R in bfloat16, float32 or
// both. Leading dimensions of 0 mean tight. X, W (or W32, or PW) and at
// least one of R, R32 and Z (Z alone: a linear layer) are required; Bias
// and Mask are optional.
type ForwardBF16Args struct {
	M, K, N int // X is M×K, W is K×N, Bias has N elements, R, R32 and Z are M×N

	X   []BF16
	LdX int
	W   []BF16
	LdW int // W's, or W32's
	// W32, in W's place: W in float32, whose values the call rounds to
	// bfloat16 as ToBF16 does. On the dot route (AVX512_BF16) the results
	// are those of a PW packed from it by PackBF16Of (and, but for a few
	// rows or K ≤ 8, of W = ToBF16(W32)); elsewhere those of W =
	// ToBF16(W32). Up to 128 rows of X and for even K the dot tile reads
	// W where it lies and rounds its rows as it loads them, with no copy
	// of W: a trainer's float32 master weights need no rounded copy.
	// Otherwise the dot tile's packer rounds W as it packs it, or without
	// a dot tile W32 is rounded into scratch first.
	W32  []float32
	PW   *PackedW[float32] // W packed by PackedW.PackBF16: used instead of W or W32 (then ignored) when not nil
	Bias []float32         // nil: no bias

	R     []BF16 // output: ReLU(Z) rounded to bfloat16 (the next layer's input)
	LdR   int
	R32   []float32 // output: ReLU(Z) in float32
	LdR32 int
	Z     []float32 // optional output: X·W + Bias, in float32
	LdZ   int
	Mask  Mask // optional output: [Z ≥ 0] of the float32 Z, M×N (see NewMask)

	// Threads is the most threads the call may use; 0 means the
	// package's default (see SetThreads).
	Threads int
}

// ForwardBF16 computes the fused forward pass of a dense ReLU layer with
// bfloat16 inputs and float32 accumulation:
//
//	Z = X·W + Bias,  R32 = ReLU(Z),  R = bf16(R32),  Mask = [Z ≥ 0]
//
// Two routes compute Z; [Path] says which the core has (BF16Dot):
//
//   - Where the CPU has AVX512_BF16 (the AVX-512 path, a dot tile of
//     its float32 tile's shape), X·W is summed by VDPBF16PS, two
//     products an instruction at the float32 FMA's rate: in float32, K
//     in blocks of KC (the Blocking's), each block from +0 a pair of K at
//     a time, acc = fma(x₂ₚ, w₂ₚ, fma(x₂ₚ₊₁, w₂ₚ₊₁, acc)) (the odd
//     product first), each FMA rounded to nearest even with denormal
//     inputs and results flushed to zero; then the blocks added in
//     order, then the bias. A NaN operand gives a NaN (on Zen 4 its own:
//     W's before X's before the sum's), Inf·0 and Inf − Inf the default
//     NaN. Its error is that of float32 summation, γ_K·Σ|xᵢwᵢ|, but for
//     the flushed denormals. A job of fewer than 3 rows (or K ≤ 8) on an
//     unpacked W takes the route below, which reads W where it lies; on
//     a PW packed by PackBF16 or PackBF16Of, or W32, every job takes this
//     one (so that W32 gives what a PW packed from it gives).
//   - Elsewhere (and with FUSEDRELU_BF16DOT=0), Z is exactly that of
//     [Forward] on float32 X and W holding the widened values (a
//     bfloat16 widens to float32 exactly): the path's float32 tiles
//     compute it from panels packed from the widened inputs. bfloat16
//     then saves memory and bandwidth, not arithmetic.
//
// On both, the epilogue is the float32 kernels' (the bias, Z, the exact
// special values and Step(0) = 1), and the mask is taken from the float32
// Z before any rounding. R is R32 rounded to nearest even ([BF16From];
// R32 ≥ 0 or NaN, so R is too). Without R32, ForwardBF16 computes it
// into scratch of M×N float32.
//
// Aliasing: as [Forward], with R32 among the outputs.
//
// Example: a 784→256 layer on a batch of 64 bfloat16 rows, keeping the
// mask for [BackwardBF16] and R as the next layer's input:
//
//	mask := kernels.NewMask(64, 256)
//	kernels.ForwardBF16(&kernels.ForwardBF16Args{
//		M: 64, K: 784, N: 256,
//		X: xh, PW: pw, Bias: b,
//		R: rh, Mask: mask,
//	})
func ForwardBF16(p *ForwardBF16Args) {
	if p == nil {
		panicf("ForwardBF16(nil), want a *ForwardBF16Args")
	}
	m, k, n := p.M, p.K, p.N
	checkDims3("M", m, "K", k, "N", n)
	checkThreads(p.Threads)
	ldx := checkMatrix("X", p.X, dim{"M", m}, dim{"K", k}, p.LdX, "LdX")
	ldw, w, w32, pw := 0, p.W, []float32(nil), p.PW
	switch {
	case pw != nil:
		pw.check(k, n)
		w = nil
	case p.W32 != nil:
		if p.W != nil {
			panicf("both W and W32 given, want one of them")
		}
		ldw = checkMatrix("W32", p.W32, dim{"K", k}, dim{"N", n}, p.LdW, "LdW")
		w32 = p.W32
	default:
		ldw = checkMatrix("W", p.W, dim{"K", k}, dim{"N", n}, p.LdW, "LdW")
	}
	if p.Bias != nil && len(p.Bias) < n {
		panicf("len(Bias) = %d, want ≥ N=%d (or nil for no bias)", len(p.Bias), n)
	}
	if p.R == nil && p.R32 == nil && p.Z == nil {
		panicf("none of R, R32 and Z given, want at least one")
	}
	ldr, ldr32, ldz := 0, 0, 0
	if p.R != nil {
		ldr = checkMatrix("R", p.R, dim{"M", m}, dim{"N", n}, p.LdR, "LdR")
	}
	if p.R32 != nil {
		ldr32 = checkMatrix("R32", p.R32, dim{"M", m}, dim{"N", n}, p.LdR32, "LdR32")
	}
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
	ins := [...]region{matRegion("X", p.X, m, k, ldx), matRegion("W", w, k, n, ldw), matRegion("W32", w32, k, n, ldw), vecRegion("Bias", p.Bias, n)}
	outs := [...]region{
		matRegion("R", p.R, m, n, ldr), matRegion("R32", p.R32, m, n, ldr32),
		matRegion("Z", p.Z, m, n, ldz), p.Mask.region("Mask"),
	}
	checkOutputs(outs[:], ins[:])
	if pw != nil && k == 0 {
		pw = nil // Z = Bias: nothing of W is read
	}
	o, bl := opsFor[float32](active), blocksFor[float32](active)
	xop, wop := operand[float32]{h: p.X, ld: ldx}, operand[float32]{h: w, ld: ldw}
	if w32 != nil {
		// A job of a float32 W to round takes the dot tile where takesDot
		// says so (where the path has one and X is bfloat16: X is nil for
		// K = 0); otherwise W32 is rounded into scratch and takes W's
		// routes.
		wop = operand[float32]{s: w32, ld: ldw, round: true}
		if probe := (gemmJob[float32]{m: m, n: n, k: k, a: xop, b: wop}); !takesDot(o, &probe) {
			hold := getWork(o, bl)
			defer putWork(hold)
			h := asBF16(grow(&hold.b, (k*n+1)/2))[:k*n]
			narrowRows(h, n, w32, ldw, k, n)
			wop = operand[float32]{h: h, ld: n}
		}
	}
	r32 := p.R32
	if r32 == nil {
		hold := getWork(o, bl)
		defer putWork(hold)
		r32, ldr32 = grow(&hold.b, m*n), n
	}
	// Without R32, the dot tile writes R in bfloat16 itself where it can
	// (forwardWith), and R32 is scratch only for the other jobs.
	var rh []BF16
	if p.R32 == nil {
		rh = p.R
	}
	if !forwardWith(active, m, k, n, xop, wop, pw,
		p.Bias, r32, ldr32, p.Z, ldz, rh, ldr, p.Mask, hasMask, threadsFor(p.Threads)) && p.R != nil {
		narrowRows(p.R, ldr, r32, ldr32, m, n)
	}
}

// BackwardBF16Args holds the operands of [BackwardBF16]: those of
// [BackwardArgs] with X, W and dR in bfloat16, the forward pass's mask
// (required: a Z rounded to bfloat16 could turn a small negative value
// into −0, which is ≥ 0), dX in bfloat16, float32 or both, and dW and db
// in float32. Leading dimensions of 0 mean tight; each output is
// optional; X is required when DW is wanted, W or PW when DX or DX32 is.
type BackwardBF16Args struct {
	M, K, N int // X is M×K, W is K×N, DR is M×N

	X   []BF16
	LdX int
	W   []BF16
	LdW int
	PW  *PackedW[float32] // W packed by PackedW.PackBF16: used instead of W (then ignored) when not nil

	DR   []BF16 // gradient of the cost with respect to R = ReLU(Z)
	LdDR int
	Mask Mask // the forward pass's step mask [Z ≥ 0]

	DX     []BF16 // output: dZ·Wᵀ rounded to bfloat16, M×K
	LdDX   int
	DX32   []float32 // output: dZ·Wᵀ in float32, M×K
	LdDX32 int
	DW     []float32 // output: Xᵀ·dZ, K×N
	LdDW   int
	DB     []float32 // output: Σ over the M rows of dZ, N elements

	// Accumulate adds the results into DX32, DW and DB instead of
	// overwriting them (the float32 master gradients of several
	// batches). DX is written, never added into: DX32's new value
	// rounded, or without DX32 dZ·Wᵀ rounded (a training step's dX for
	// the layer below, in the same call that adds into its gradients).
	Accumulate bool

	// Threads is the most threads the call may use; 0 means the
	// package's default (see SetThreads).
	Threads int
}

// BackwardBF16 computes the step-masked backward pass of a dense ReLU
// layer with bfloat16 inputs and float32 accumulation:
//
//	dZ = dR ⊙ [Z ≥ 0],  dX32 = dZ·Wᵀ,  dX = bf16(dX32),  dW = Xᵀ·dZ,  db = Σ_rows dZ
//
// dZ is built from dR as the GEMMs pack it, a select (where the mask is
// 0, dZ is +0 whatever dR holds), so dZ is bfloat16 itself. On a core
// with AVX512_BF16 ([PathInfo].BF16Dot) dX32 = dZ·Wᵀ and dW = Xᵀ·dZ are
// summed by VDPBF16PS as [ForwardBF16] says (K blocks of KC, pairs, the
// odd product first, denormals flushed; dW added to the old dW with
// Accumulate after each block's sum), but for a GEMM of fewer than 3
// rows (dX's M, dW's K) or a sum of at most 8 (dX's N, dW's M) that does
// not read a PW packed by PackBF16, which takes the route below.
// Elsewhere dX32, dW and db are exactly those of
// [Backward] with the mask on float32 X, W and dR holding the widened
// values, except that where a sum of dX meets NaNs from both dR and W it
// may keep another of them (Backward may read W in place for dX, which
// orders the operands of its multiply-adds the other way round). db is
// Backward's on either route. dX is dX32 rounded to nearest even;
// without DX32, BackwardBF16 computes it into scratch of M×K float32.
//
// Aliasing: as [Backward], with DX32 among the outputs.
//
// Example: the gradients of the layer of the [ForwardBF16] example,
// accumulated into float32 master gradients, and dX for the layer below:
//
//	kernels.BackwardBF16(&kernels.BackwardBF16Args{
//		M: 64, K: 784, N: 256,
//		X: xh, PW: pw, DR: drh, Mask: mask,
//		DX: dxh, DW: dw, DB: db,
//	})
func BackwardBF16(p *BackwardBF16Args) {
	if p == nil {
		panicf("BackwardBF16(nil), want a *BackwardBF16Args")
	}
	m, k, n := p.M, p.K, p.N
	checkDims3("M", m, "K", k, "N", n)
	checkThreads(p.Threads)
	wantDX := p.DX != nil || p.DX32 != nil
	ldx, ldw, w := 0, 0, p.W
	if p.DW != nil {
		ldx = checkMatrix("X", p.X, dim{"M", m}, dim{"K", k}, p.LdX, "LdX")
	}
	if p.PW != nil {
		p.PW.check(k, n)
		if wantDX {
			p.PW.checkDX("BackwardBF16")
		}
		w = nil
	} else if wantDX {
		ldw = checkMatrix("W", p.W, dim{"K", k}, dim{"N", n}, p.LdW, "LdW")
	}
	lddr := checkMatrix("DR", p.DR, dim{"M", m}, dim{"N", n}, p.LdDR, "LdDR")
	if p.Mask.isZero() {
		panicf("no Mask given, want the forward pass's mask")
	}
	p.Mask.check("Mask", m, n)
	lddx, lddx32, lddw := 0, 0, 0
	if p.DX != nil {
		lddx = checkMatrix("DX", p.DX, dim{"M", m}, dim{"K", k}, p.LdDX, "LdDX")
	}
	if p.DX32 != nil {
		lddx32 = checkMatrix("DX32", p.DX32, dim{"M", m}, dim{"K", k}, p.LdDX32, "LdDX32")
	}
	if p.DW != nil {
		lddw = checkMatrix("DW", p.DW, dim{"K", k}, dim{"N", n}, p.LdDW, "LdDW")
	}
	if p.DB != nil && len(p.DB) < n {
		panicf("len(DB) = %d, want ≥ N=%d (or nil)", len(p.DB), n)
	}
	outs := [...]region{
		matRegion("DX", p.DX, m, k, lddx), matRegion("DX32", p.DX32, m, k, lddx32),
		matRegion("DW", p.DW, k, n, lddw), vecRegion("DB", p.DB, n),
	}
	ins := [...]region{
		matRegion("X", p.X, m, k, ldx), matRegion("W", w, k, n, ldw),
		matRegion("DR", p.DR, m, n, lddr), p.Mask.region("Mask"),
	}
	checkOutputs(outs[:], ins[:])
	a := BackwardArgs[float32]{
		M: m, K: k, N: n, PW: p.PW, Mask: p.Mask,
		DX: p.DX32, DW: p.DW, DB: p.DB,
		Accumulate: p.Accumulate, Threads: p.Threads,
	}
	if p.DX != nil && p.DX32 == nil && m > 0 && k > 0 {
		o, bl := opsFor[float32](active), blocksFor[float32](active)
		hold := getWork(o, bl)
		defer putWork(hold)
		a.DX, lddx32 = grow(&hold.b, m*k), k
	}
	hs := &halfInputs{x: p.X, w: w, dr: p.DR}
	if p.DX != nil && p.DX32 == nil {
		hs.dxh, hs.lddxh = p.DX, lddx // written by the dot tile where it can
	}
	if !backward(active, &a, hs, ldx, ldw, lddr, 0, true, lddx32, lddw, 0) && p.DX != nil {
		narrowRows(p.DX, lddx, a.DX, lddx32, m, k)
	}
}

// narrowRows sets the m×n matrix dst (leading dimension ldd) to src
// (lds) rounded to bfloat16.
func narrowRows(dst []BF16, ldd int, src []float32, lds, m, n int) {
	if n == 0 {
		return
	}
	if ldd == n && lds == n && m > 1 { // tight: one run of m·n values
		m, n = 1, m*n
	}
	for i := range m {
		d, s := dst[i*ldd:i*ldd+n], src[i*lds:i*lds+n]
		if raceEnabled {
			raceRead(s)
			raceWrite(d)
		}
		active.bf16.to(d, s)
	}
}
