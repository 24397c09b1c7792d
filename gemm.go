package kernels

// The packed GEMM, in the structure of BLIS and GotoBLAS:
//
//	for jc over n in steps of nc:            B block in L3
//	  for pc over k in steps of kc:          pack B[pc:pc+kc, jc:jc+nc] into kc×nr micro-panels
//	    for ic over m in steps of mc:        A block in L2
//	      pack A[ic:ic+mc, pc:pc+kc] into mr×kc micro-panels
//	      for jr over the block's columns in steps of nr:
//	        for ir over its rows in steps of mr:
//	          the mr×nr register tile: C[ir, jr] (+)= A-panel · B-panel, then its epilogue
//
// Micro-panels are zero-padded to mr rows and nr columns, so the register
// tile always runs whole; the epilogue writes only the tile's m×n part.
// A path whose tile can read B in place (ops.directB: AVX-512 loads a row
// of B under the mask of its columns; AVX2 whole tiles of columns, with a
// narrower rule, see directB) skips packing an untransposed B for jobs of
// up to directMaxTiles row tiles, where the copy costs more than it
// saves; likewise a tile that can read A in place (ops.directA, AVX-512)
// skips packing an untransposed A for jobs of few columns (directA).
// The fused forward pass is this GEMM with its epilogue on the last K
// panel, and the backward pass is two such GEMMs whose packers build dZ
// from dR and the mask as they pack it.
//
// # Threads
//
// With several participants (pool.go), the steps of a column block
// are taken a group of K blocks at a time (packedPart): the participants
// pack the group's blocks of B together, in ranges of whole micro-panels,
// meet at a barrier, and compute its tiles in items of (a range of rows, a
// range of columns), each item through the group's K panels in order and
// each participant packing the rows of A of its items into its own buffer.
// The rows are split into ranges of a multiple of mr rows (at most mc), at
// least one a participant, and the columns at multiples of 64 columns of
// the matrix (splitTiles, nextTile). The rows route (runRows) splits into
// fixed column chunks and ranges of rows. dZ's visit (below) is done where
// each column has one owner.
//
// # Determinism
//
// The results are the same bits for any number of threads, because the
// thread count changes only who computes a tile and how the rows of A are
// grouped into packed blocks, never the arithmetic of an element:
//
//   - every element of C is computed by one participant, in a register
//     tile at the same place of the same grid (rows in steps of mr from 0,
//     columns in steps of nr from the start of its nc block), from the same
//     packed values (packing copies; the padding is the same zeros), over
//     the same kc panels in the same order: each panel's product is added
//     to C (β = 1 after the first), by the participant of its item within
//     a group and after a barrier between groups;
//   - on the rows route an element is one dot product, or one chain of
//     axpy calls (axpy4 is four of them, bit for bit), over the same
//     slices: the column chunks are fixed (rowsChunk), not derived from
//     the thread count;
//   - db is summed, and dZ written, in one pass over dZ that adds the rows
//     in order, 0 to M−1, into each column from its initial value, with
//     each column range owned by one participant: the dW GEMM's packing of
//     its B = dZ (split by columns; its K panels are the blocks of rows, in
//     order), a pass of its own split by columns, or, on one thread, the
//     packing of dX's A = dZ (row blocks in order). Each gives the same sum.
//
// A tile writes its nr mask bits into a 64-bit word shared with other
// tiles of its row, so columns are split only at whole words.

// operand is one GEMM operand: op(s) with leading dimension ld, dZ built
// by the job's src, or (B only) already packed.
type operand[T Float] struct {
	s     []T
	ld    int
	trans bool
	dz    bool // the operand is dZ, built by the job's src
	// prepacked: op(B) comes packed for the path's blocking in packed,
	// block after block as packedOffset says (a PackedW's panels); s is
	// not used.
	prepacked bool
	packed    []T
	pairs     bool // prepacked in bfloat16 pairs for the dot tile (PackBF16)
	// h, when not nil, is a bfloat16 operand in place of s: op(h), ld
	// and trans as for s, widened to float32 (T) as it is packed (packAH,
	// packBH), or on the dot tile packed in pairs or read where it lies
	// (dotDirectA, dotDirectB).
	h []BF16
	// round: s (float32, untransposed) stands for its values rounded to
	// bfloat16 (BF16From), which the dot tile's packer rounds as it packs
	// them or the tile as it reads them (dotDirectB). Only a dot job takes
	// such an operand (ForwardBF16's W32: run panics on any other).
	round bool
}

type gemmJob[T Float] struct {
	m, n, k     int
	a, b        operand[T]
	src         dzSource[T] // the dZ operand's source
	c           []T
	ldc         int
	alpha, beta T
	fwd         bool // fused forward epilogue on the last K panel
	// dot: the job runs on the path's dot tile (takesDot; set by run).
	dot   bool
	visit bool // the dZ operand's packer accumulates db and writes dZ
	// widen is the path's FromBF16 kernel, for an operand or dZ source
	// in bfloat16 (operand.h, dzSource.drh).
	widen func(dst []float32, src []BF16)
	// The forward pass's outputs (see tile).
	bias []T
	z, r []T
	ldz  int
	ldr  int
	// rh, when not nil, is R in bfloat16 (leading dimension ldrh), which
	// the dot tile's epilogue writes in r's place (fwd = 2) on a dot job
	// of one K panel; run sets it to nil for any other job, whose r the
	// caller then narrows (ForwardBF16). On a GEMM job (not fwd, β = 0) it
	// is C in bfloat16, written by the dot tile (fwd = 3) in c's place: c
	// is then left as it was (dX of BackwardBF16).
	rh     []BF16
	ldrh   int
	bits   []uint64
	stride int
}

// packedOffset is where the packed block of op(B) at rows pc … and
// columns jc … starts in a B packed whole (k rows, in blocks of kc rows
// within blocks of nc columns): the earlier column blocks take k·nc
// elements each, and each earlier row block of this one kc·nbr, where nbr
// is the block's width rounded up to nr.
func packedOffset(jc, pc, k, nbr int) int { return jc*k + pc*nbr }

// scale sets C = β·C (C = 0 when β = 0, whatever C held).
func scale[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// run computes one GEMM job with up to np threads (see planThreads).
func run[T Float](o *ops[T], bl blocking, j *gemmJob[T], np int) {
	m, n, k := j.m, j.n, j.k
	if m == 0 || n == 0 {
		return
	}
	if !j.fwd && (k == 0 || j.alpha == 0) {
		scale(m, n, j.beta, j.c, j.ldc)
		j.rh = nil // C in c: the caller narrows it
		return
	}
	j.dot = takesDot(o, j)
	if j.b.round && !j.dot {
		panic("kernels: internal error: a float32 B to round off the dot tile")
	}
	if j.rh != nil && (!j.dot || k > bl.kc || !j.fwd && (j.beta != 0 || j.alpha != 1)) {
		j.rh = nil // R in r: the K panels before the last add into it
	}
	kind, packB := kindPacked, false
	if !j.dot && onRows(o, j) { // a dot job is on the tiles (takesDot)
		kind = kindRows
	} else if !j.b.prepacked && !directB(o, j) && !(j.dot && dotDirectB(o, j, bl.kc) != nil) {
		packB = true
		bl = bl.forJob(m)
	}
	w := getWork[T](o, bl)
	defer putWork(w)
	w.job = *j
	w.kind = kind
	if packB {
		nbr := roundUp(min(bl.nc, n), o.nr)
		grow(&w.b, min(k*nbr, bl.kc*bl.nc)) // the largest group of blocks (packedPart)
	}
	w.exec(np)
}

// visitDZ sums db and writes dZ, for a backward pass whose GEMMs did
// not, with up to threads threads: one column chunk per item, its rows in
// order.
func visitDZ[T Float](o *ops[T], bl blocking, src *dzSource[T], m, n, threads int) {
	w := getWork[T](o, bl)
	defer putWork(w)
	w.job = gemmJob[T]{m: m, n: n, src: *src}
	w.kind = kindVisit
	// An element of dZ costs a few loads and a select, and db an add:
	// call it 4 multiply-adds.
	w.exec(jobThreads(threads, 4*float64(m)*float64(n), minMACs(o, bl, true), ceilDiv(n, rowsChunk(bl))))
}

// runNT computes C = A·Wᵀ (+ C for beta = 1) with the path's ntKernel
// (o.gemmNT, which takes the shape) and up to np threads: for each K
// block of kc (the packed route's), A's columns of it packed, then the
// blocks of ntRows rows of W, one an item; past the first K block C is
// added (beta = 1), as the packed route adds its K panels.
func runNT[T Float](o *ops[T], bl blocking, m, n, k int, a []T, lda int, wm []T, ldw int, c []T, ldc int, beta T, np int) {
	w := getWork[T](o, bl)
	defer putWork(w)
	w.kind = kindNT
	panels := grow(&w.b, ceilDiv(m, ntRows)*ntRows*min(k, bl.kc))
	for pc := 0; pc < k; pc += bl.kc {
		kb := min(bl.kc, k-pc)
		w.job = gemmJob[T]{m: m, n: n, k: kb, b: operand[T]{s: wm[pc:], ld: ldw}, c: c, ldc: ldc, beta: beta}
		if pc > 0 {
			w.job.beta = 1
		}
		o.gemmNT.pack(panels, a[pc:], lda, m, kb)
		w.exec(min(np, ceilDiv(n, ntRows)))
	}
}

// ntPart is a participant's part of runNT.
func (w *work[T]) ntPart(s *scratch[T]) {
	j := &w.job
	pad := grow(&s.wide, ntRows*j.k)
	for it := w.grab(); it < ceilDiv(j.n, ntRows); it = w.grab() {
		w.o.gemmNT.block(w.b, j.m, j.k, j.b.s, j.b.ld, j.c, j.ldc, j.beta, it*ntRows, j.n, pad)
	}
}

// grow returns (*buf)[:n], reallocating *buf if it is shorter.
func grow[T any](buf *[]T, n int) []T {
	if len(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

func roundUp(v, to int) int { return (v + to - 1) / to * to }

func ceilDiv(a, b int) int { return (a + b - 1) / b }
