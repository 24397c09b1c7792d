package kernels

// PackedW is a weight matrix W (K×N) packed once for the code path in
// use, so that [Forward] and [Backward] skip packing it on every call: the
// micro-panels of the forward pass's GEMM (Z = X·W) and those of dX's
// (dX = dZ·Wᵀ), about twice W's memory. It is a copy: after W changes
// (an optimiser's step), pack it again with [PackedW.Pack], which reuses
// the storage. Calls only read a PackedW, so any number of goroutines may
// use one at once, but not while it is being packed.
//
// Packing costs about what one forward and one backward pass spend
// packing W (Pack runs on the calling goroutine), so a PackedW pays when
// W serves more calls than that between updates: inference, evaluation,
// several micro-batches a step. It pays mostly in the backward pass (dX
// reads Wᵀ, which is otherwise packed on every call): 5 to 12% less time
// at 32×256×256 and 64×784×256 f32 on AVX-512; the forward pass reads a
// plain W in place for batches of up to 256 rows there, and gains 2 to 4%.
//
// Results with a PackedW are the same bits as with W itself, except where
// W would not have been packed (M below the RowsBelow of [Path]'s
// Blocking, or K ≤ 8 for the forward pass, N ≤ 8 for dX), where they may
// differ by rounding: the packed tiles sum K in kc blocks. A batch of
// fewer rows than the PackedRowsBelow of [Path]'s Blocking reads the
// panels a few rows at a time rather than through the register tiles,
// with the same sums: a tile a few rows full spends most of its
// multiply-adds on padding.
//
// A PackedW is tied to the code path that packed it; a call on another
// path (after a test changes it) panics rather than misread it.
//
// Example: a layer's forward and backward passes in a training loop,
// packing W again after each update:
//
//	pw := kernels.PackW(784, 256, w, 0)
//	for step := range steps {
//		kernels.Forward(&kernels.ForwardArgs[float32]{M: 64, K: 784, N: 256,
//			X: x, PW: pw, Bias: b, R: r, Mask: mask})
//		…
//		kernels.Backward(&kernels.BackwardArgs[float32]{M: 64, K: 784, N: 256,
//			X: x, PW: pw, DR: dr, Mask: mask, DX: dx, DW: dw, DB: db})
//		sgd(w, dw) // update W in place
//		pw.Pack(784, 256, w, 0)
//	}
type PackedW[T Float] struct {
	k, n int
	path *impl
	fwd  []T // op(B) = W (K×N), for Z = X·W
	bwd  []T // op(B) = Wᵀ (N×K), for dX = dZ·Wᵀ
	tmp  []T // PackBF16: rows of W widened (packBH)
	// dot: fwd and bwd hold bfloat16 pairs for the dot tile (PackBF16
	// on a path with one), not float32 values.
	dot bool
	// fwdOnly: bwd was not packed (PackBF16Of's forwardOnly).
	fwdOnly bool
	hw      []BF16 // PackBF16Of: W, or some of its rows, rounded
}

// PackW returns W (K×N, leading dimension ldw, 0 for tight) packed for
// the code path in use: see [PackedW].
func PackW[T Float](k, n int, w []T, ldw int) *PackedW[T] {
	p := new(PackedW[T])
	p.Pack(k, n, w, ldw)
	return p
}

// Pack packs W (K×N, leading dimension ldw, 0 for tight) into p, reusing
// p's storage when it is large enough: a layer packs its weights again
// after each update without allocating. The zero PackedW is ready for
// Pack.
func (p *PackedW[T]) Pack(k, n int, w []T, ldw int) {
	if p == nil {
		panicf("Pack on a nil *PackedW, want a PackedW (its zero value is ready)")
	}
	checkDims3("K", k, "N", n, "", 0)
	ldw = checkMatrix("W", w, dim{"K", k}, dim{"N", n}, ldw, "LdW")
	p.pack(k, n, operand[T]{s: w, ld: ldw}, false)
}

// PackBF16 packs a bfloat16 W (K×N, leading dimension ldw, 0 for tight)
// into p for [ForwardBF16] and [BackwardBF16]. Where the path multiplies
// bfloat16 with VDPBF16PS ([PathInfo].BF16Dot), p holds W's pairs for
// its tiles, in half the space of float32 panels, and [Forward] and
// [Backward] (for dX) refuse it; elsewhere p holds the panels
// [PackedW.Pack] packs from W's float32 widening, bit for bit, so that
// results are those of the float32 kernels on the widened W. p must be a
// *PackedW[float32] (a panic for float64).
//
// Example: the bfloat16 copy of a layer's weights, packed after each
// update of its float32 master weights w ([PackedW.PackBF16Of] does both
// in one pass over w):
//
//	kernels.ToBF16(wh, w)
//	pw.PackBF16(784, 256, wh, 0)
func (p *PackedW[T]) PackBF16(k, n int, w []BF16, ldw int) {
	ldw = checkPackBF16(p, "PackBF16", k, n, w, ldw)
	p.pack(k, n, operand[T]{h: w, ld: ldw}, false)
}

// checkPackBF16 is the argument checks of PackBF16 and PackBF16Of (fn):
// a float32 PackedW, K×N and W; it returns W's leading dimension.
func checkPackBF16[T Float, E any](p *PackedW[T], fn string, k, n int, w []E, ldw int) int {
	if p == nil {
		panicf("%s on a nil *PackedW, want a PackedW (its zero value is ready)", fn)
	}
	if !is32[T]() {
		panicf("%s on a *PackedW[float64], want a *PackedW[float32]", fn)
	}
	checkDims3("K", k, "N", n, "", 0)
	return checkMatrix("W", w, dim{"K", k}, dim{"N", n}, ldw, "LdW")
}

// PackBF16Of packs W given in float32 (K×N, leading dimension ldw, 0 for
// tight) rounded to bfloat16 as [ToBF16] rounds it: p holds what
// [PackedW.PackBF16] packs from ToBF16's result, bit for bit, and no
// bfloat16 copy of W is needed. Where the path multiplies with VDPBF16PS
// it reads W once, rounding a few rows at a time into scratch and packing
// both passes' panels from there, or for the forward pass alone rounding
// as it packs (mixed-precision training packs its float32 master weights
// so after each update); elsewhere it rounds W
// into scratch kept in p and packs that. With forwardOnly, p holds only
// the panels of [ForwardBF16] (half the work): [BackwardBF16] and
// [Backward] panic if asked for dX with it (a network's first layer,
// whose dX nobody wants).
//
// Example: a layer's bfloat16 weights packed from its float32 master
// weights w after each update, the first layer's for the forward pass
// only:
//
//	pw.PackBF16Of(784, 256, w, 0, first)
func (p *PackedW[T]) PackBF16Of(k, n int, w []float32, ldw int, forwardOnly bool) {
	ldw = checkPackBF16(p, "PackBF16Of", k, n, w, ldw)
	o, bl := opsFor[T](active), blocksFor[T](active)
	if o.dotTile == nil || bl.kc%roundChunk != 0 || bl.nc%roundChunk != 0 || roundChunk%o.nr != 0 || k == 0 || n == 0 {
		h := grow(&p.hw, k*n)
		narrowRows(h, n, w, ldw, k, n)
		p.pack(k, n, operand[T]{h: h, ld: n}, forwardOnly)
		return
	}
	p.layout(o, bl, k, n, true, forwardOnly)
	p.packDotOf(any(o).(*ops[float32]), bl, k, n, w, ldw, forwardOnly)
}

// roundChunk is the rows of W that PackBF16Of rounds at a time on the dot
// path: a whole number of pairs (the forward panels' steps) and of the
// transposed panels' nr columns (16 or 32), within one K block (kc) and
// one column block of Wᵀ (nc): 32 rows of W, a few KiB of scratch.
const roundChunk = 32

// packDotOf is PackBF16Of on the dot path, into panels laid out for it
// (layout): roundChunk rows of W at a time rounded into p.hw, then packed
// from there into the forward panels (their pairs of rows, steps within
// the K block's panels: packBPairsPart) and the transposed ones (whole
// panels of Wᵀ's columns: packAPairs), at the offsets packWhole packs them
// to. The forward panels alone are packed from W itself, rounded as they
// are read (two passes over the rows, one rounding into scratch and one
// packing from it, took 40% longer: TUNING.md).
func (p *PackedW[T]) packDotOf(o *ops[float32], bl blocking, k, n int, w []float32, ldw int, fwdOnly bool) {
	nr := o.nr
	fwd, bwd := asF32(p.fwd), asF32(p.bwd)
	if fwdOnly {
		// Each K block's pairs of rows packed from W, rounded as they
		// are read: no scratch.
		for pc := 0; pc < k; pc += bl.kc {
			packFwdPairs(fwd, bl, nr, k, n, pc, min(bl.kc, k-pc), w, ldw, pc)
		}
		return
	}
	pack32 := packAOfWidth(o, nr)
	buf := grow(&p.hw, roundChunk*n)
	for r := 0; r < k; r += roundChunk {
		rows := min(roundChunk, k-r)
		narrowRows(buf, n, w[r*ldw:], ldw, rows, n)
		packFwdPairs(fwd, bl, nr, k, n, r, rows, buf, n, 0)
		// Wᵀ: columns r … r+rows−1, whole panels of the column block at jc,
		// in each of its K blocks (Wᵀ's rows pc …, W's columns).
		jc := r / bl.nc * bl.nc
		nbr := roundUp(min(bl.nc, k-jc), nr)
		for pc := 0; pc < n; pc += bl.kc {
			kb := min(bl.kc, n-pc)
			off := packedOffset(jc, dotSteps(pc, bl.kc), dotSteps(n, bl.kc), nbr) + (r-jc)*dotPairs(kb)
			packAPairs(pack32, bwd[off:off+roundUp(rows, nr)*dotPairs(kb)], buf, n, 0, pc, rows, kb, nr)
		}
	}
}

// packFwdPairs packs rows r … r+rows−1 of a K×N W, within one K block,
// into its forward panels in pairs (fwd, laid out by layout for the dot
// tile): the steps they make of their K block's panels in each column
// block. src holds them from its row p0, ld apart, in bfloat16 or in
// float32 (rounded as they are packed: packBPairsPart).
func packFwdPairs[E BF16 | float32](fwd []float32, bl blocking, nr, k, n, r, rows int, src []E, ld, p0 int) {
	pc := r / bl.kc * bl.kc
	kp := dotPairs(min(bl.kc, k-pc))
	for jc := 0; jc < n; jc += bl.nc {
		nb := min(bl.nc, n-jc)
		off := packedOffset(jc, dotSteps(pc, bl.kc), dotSteps(k, bl.kc), roundUp(nb, nr)) + (r-pc)/2*nr
		packBPairsPart(fwd[off:], src, ld, p0, jc, rows, nb, nr, kp)
	}
}

// pack packs W, the checked operand w (plain or bfloat16), into p; with
// fwdOnly its forward panels only.
func (p *PackedW[T]) pack(k, n int, w operand[T], fwdOnly bool) {
	o, bl := opsFor[T](active), blocksFor[T](active)
	if !p.layout(o, bl, k, n, w.h != nil && o.dotTile != nil, fwdOnly) {
		return
	}
	packWhole(o, bl, p.fwd, w, false, p.dot, k, n, &p.tmp)
	if !fwdOnly {
		packWhole(o, bl, p.bwd, w, true, p.dot, n, k, &p.tmp)
	}
}

// layout sets p's dimensions, path and kind (dot: pairs; fwdOnly: no
// Wᵀ) and sizes its panels for them; it reports whether there is
// anything to pack.
func (p *PackedW[T]) layout(o *ops[T], bl blocking, k, n int, dot, fwdOnly bool) bool {
	p.k, p.n, p.path, p.dot, p.fwdOnly = k, n, active, dot, fwdOnly
	if k == 0 || n == 0 {
		// Nothing to pack, and the other dimension may be anything up
		// to MaxInt: the block loops would run for ever.
		p.fwd, p.bwd = p.fwd[:0], p.bwd[:0]
		return false
	}
	steps := func(k int) int { // per column: pairs for the dot tile (dotSteps)
		if dot {
			return dotSteps(k, bl.kc)
		}
		return k
	}
	p.fwd = grow(&p.fwd, packedLen(steps(k), n, o.nr, bl))
	if fwdOnly {
		p.bwd = p.bwd[:0]
	} else {
		p.bwd = grow(&p.bwd, packedLen(steps(n), k, o.nr, bl))
	}
	return true
}

// Dims returns the K and N of the packed W.
func (p *PackedW[T]) Dims() (k, n int) { return p.k, p.n }

// check panics unless p is a K×N W packed for the active path.
func (p *PackedW[T]) check(k, n int) {
	if p.k != k || p.n != n {
		panicf("PW is %d×%d, want K×N = %d×%d", p.k, p.n, k, n)
	}
	if p.path != active {
		name := "none"
		if p.path != nil {
			name = p.path.name
		}
		panicf("PW was packed for path %s, the path in use is %s: pack it again", name, active.name)
	}
}

// checkDX panics if p holds no panels of Wᵀ for dX (PackBF16Of's
// forwardOnly).
func (p *PackedW[T]) checkDX(fn string) {
	if p.fwdOnly {
		panicf("PW was packed for the forward pass only (PackBF16Of with forwardOnly), %s wants dX from it: pack it with forwardOnly false", fn)
	}
}

// checkPlain panics if p holds bfloat16 pairs, which only ForwardBF16
// reads.
func (p *PackedW[T]) checkPlain(fn string) {
	if p.dot {
		panicf("PW was packed by PackBF16 for the bfloat16 dot-product tiles, which %s does not use: pack it with Pack or PackW", fn)
	}
}

// packedLen is the length of a k×n op(B) packed whole: each block of nc
// columns, rounded up to nr, times k.
func packedLen(k, n, nr int, bl blocking) int {
	l := 0
	for jc := 0; jc < n; jc += bl.nc {
		l += k * roundUp(min(bl.nc, n-jc), nr)
	}
	return l
}

// packWhole packs op(B), k×n (B stored n×k when trans; b.trans is
// ignored), into dst block by block, as the packed GEMM would pack it in
// its (jc, pc) steps, at the offsets packedOffset gives; a bfloat16 B
// (b.h) is widened through tmp, or with dot packed in pairs for the dot
// tile (packBPairsOf), whose blocks are dotSteps long.
func packWhole[T Float](o *ops[T], bl blocking, dst []T, b operand[T], trans, dot bool, k, n int, tmp *[]T) {
	nr := o.nr
	steps := func(k int) int {
		if dot {
			return dotSteps(k, bl.kc)
		}
		return k
	}
	var pairs *gemmJob[float32]
	if dot {
		pairs = &gemmJob[float32]{b: operand[float32]{h: b.h, ld: b.ld, trans: trans}}
	}
	for jc := 0; jc < n; jc += bl.nc {
		nb := min(bl.nc, n-jc)
		nbr := roundUp(nb, nr)
		for pc := 0; pc < k; pc += bl.kc {
			kb := min(bl.kc, k-pc)
			off := packedOffset(jc, steps(pc), steps(k), nbr)
			d := dst[off : off+steps(kb)*nbr]
			if dot {
				packBPairsOf(any(o).(*ops[float32]), pairs, asF32(d), pc, jc, kb, nb, nr, nil, false)
				continue
			}
			if b.h != nil {
				packBH(o, active.bf16.from, d, b.h, b.ld, trans, pc, jc, kb, nb, nr, tmp)
				continue
			}
			if raceEnabled {
				raceOperand(b.s, b.ld, trans, pc, jc, kb, nb)
				raceWrite(d)
			}
			o.packB(d, b.s, b.ld, trans, pc, jc, kb, nb, nr)
		}
	}
}
