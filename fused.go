package kernels

// The drivers behind the exported functions, after their checks.

func gemm[T Float](p *impl, tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmThreads(p, threadsFor(0), tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemmThreads[T Float](p *impl, threads int, tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	o, bl := opsFor[T](p), blocksFor[T](p)
	j := gemmJob[T]{
		m: m, n: n, k: k,
		a: operand[T]{s: a, ld: lda, trans: tA},
		b: operand[T]{s: b, ld: ldb, trans: tB},
		c: c, ldc: ldc,
		alpha: alpha, beta: beta,
	}
	np := planThreads(o, bl, &j, threads)
	if !tA && tB && alpha == 1 && ntRoute(o, bl, &j) {
		runNT(o, bl, m, n, k, a, lda, b, ldb, c, ldc, beta, np)
		return
	}
	run(o, bl, &j, np)
}

// ntRoute says whether the job C = A·Bᵀ (+ C), with B (n×k) the matrix
// in memory, takes the path's ntKernel (runNT) rather than the packed
// tiles: B read where it lies saves transposing it into panels on every
// call, and the sums are the packed tiles' (K in the same kc panels, each
// added to C). Only while a K panel of the packed Aᵀ takes at most half
// the blocking's block of A (a quarter of L2 in the model, an eighth with
// blockSizesQuarterA): each block of B's rows goes through all of it.
// The route depends on the shape alone, never on the thread count: the
// kernel's multiply-adds take A and B in the other order from the
// tiles', which can give another NaN where both are NaN.
func ntRoute[T Float](o *ops[T], bl blocking, j *gemmJob[T]) bool {
	kb := min(j.k, bl.kc)
	return o.gemmNT != nil && !onRows(o, j) && j.m*kb <= bl.mc*bl.kc/2 &&
		o.gemmNT.takes(j.m, j.n, kb, j.beta)
}

func forward[T Float](p *impl, m, k, n int, x []T, ldx int, w []T, ldw int, bias, r []T, ldr int, z []T, ldz int, mask Mask, hasMask bool) {
	forwardWith(p, m, k, n, operand[T]{s: x, ld: ldx}, operand[T]{s: w, ld: ldw}, nil, bias, r, ldr, z, ldz, nil, 0, mask, hasMask, threadsFor(0))
}

// forwardWith is forward with its operands X and W (plain or bfloat16),
// W packed (pw, when not nil) and a thread count. Given rh (leading
// dimension ldrh), R is wanted in bfloat16: it reports whether the tiles
// wrote it there (a dot job of one K panel: gemmJob.rh), or wrote R in r
// for the caller to narrow.
func forwardWith[T Float](p *impl, m, k, n int, x, w operand[T], pw *PackedW[T], bias, r []T, ldr int, z []T, ldz int, rh []BF16, ldrh int, mask Mask, hasMask bool, threads int) bool {
	o, bl := opsFor[T](p), blocksFor[T](p)
	j := gemmJob[T]{
		m: m, n: n, k: k,
		a: x, b: w,
		widen: p.bf16.from,
		c:     r, ldc: ldr,
		alpha: 1,
		fwd:   true,
		bias:  bias, r: r, ldr: ldr, z: z, ldz: ldz,
		rh: rh, ldrh: ldrh,
	}
	if pw != nil {
		j.b = operand[T]{prepacked: true, packed: pw.fwd, pairs: pw.dot}
	}
	if z != nil {
		j.c, j.ldc = z, ldz
	}
	if hasMask {
		j.bits, j.stride = mask.Bits, mask.Stride
		// Tiles write their own nr bits of a row; the rest of the row's
		// last word, past the last tile, is zero.
		if n%64 != 0 {
			for i := range m {
				mask.Bits[i*mask.Stride+(n-1)/64] = 0
			}
		}
	}
	run(o, bl, &j, planThreads(o, bl, &j, threads))
	return j.rh != nil
}

// halfInputs are a backward pass's inputs in bfloat16 (BackwardBF16), in
// place of the BackwardArgs's X, W and DR, with their leading dimensions;
// dxh, when not nil, is dX wanted in bfloat16 (leading dimension lddxh)
// with a.DX its float32 scratch, which dX's GEMM overwrites even with
// a.Accumulate (its old values mean nothing).
type halfInputs struct {
	x, w, dr []BF16
	dxh      []BF16
	lddxh    int
}

// backward runs the backward pass. Given hs.dxh, it reports whether the
// tiles wrote dX there (a dot job of one K panel: gemmJob.rh), leaving
// a.DX as it was, or wrote dX in a.DX for the caller to narrow.
func backward[T Float](p *impl, a *BackwardArgs[T], hs *halfInputs, ldx, ldw, lddr, ldz int, hasMask bool, lddx, lddw, lddz int) bool {
	m, k, n := a.M, a.K, a.N
	o, bl := opsFor[T](p), blocksFor[T](p)
	threads := threadsFor(a.Threads)
	src := dzSource[T]{o: o, dr: a.DR, lddr: lddr, z: a.Z, ldz: ldz, db: a.DB, dz: a.DZ, lddz: lddz}
	xop, wop := operand[T]{s: a.X, ld: ldx, trans: true}, operand[T]{s: a.W, ld: ldw, trans: true}
	if hs != nil {
		src.drh, src.widen = hs.dr, p.bf16.from
		xop.h, wop.h = hs.x, hs.w
	}
	if hasMask {
		src.bits, src.stride = a.Mask.Bits, a.Mask.Stride
	}
	if a.DB != nil && !a.Accumulate {
		clear(a.DB[:n])
	}
	beta := T(0)
	if a.Accumulate {
		beta = 1
	}
	// db is summed and dZ written in one visit of dZ (see gemm.go,
	// Determinism): by the dW GEMM's packer when there is one, else by
	// dX's when dX runs on one thread, else by a pass of its own. With
	// both GEMMs, dW runs first and writes dZ (into DZ, or scratch kept
	// with a work on the free list), and dX reads it as a plain operand:
	// dZ is built once, from rows read in order, rather than a second
	// time in dX's packer from 16 rows at a time (which read dR at 6 GB/s:
	// 6% of a 1024³ backward pass).
	nonEmpty := m > 0 && n > 0 && k > 0
	dw := func(visit bool) {
		// dW (K×N) = Xᵀ · dZ, X stored M×K.
		j := gemmJob[T]{
			m: k, n: n, k: m,
			a:   xop,
			b:   operand[T]{dz: true},
			src: src,
			c:   a.DW, ldc: lddw,
			widen: p.bf16.from,
			alpha: 1, beta: beta,
			visit: visit,
		}
		run(o, bl, &j, planThreads(o, bl, &j, threads))
	}
	// dX (M×K) = dZ (M×N) · Wᵀ, W stored K×N.
	dx := gemmJob[T]{
		m: m, n: k, k: n,
		a:   operand[T]{dz: true},
		b:   wop,
		src: src,
		c:   a.DX, ldc: lddx,
		widen: p.bf16.from,
		alpha: 1, beta: beta,
	}
	if a.PW != nil {
		dx.b = operand[T]{prepacked: true, packed: a.PW.bwd, pairs: a.PW.dot}
	}
	if hs != nil && hs.dxh != nil && a.DX != nil {
		dx.beta = 0                       // a.DX is scratch (halfInputs)
		dx.rh, dx.ldrh = hs.dxh, hs.lddxh // run keeps it only where the tile writes it
	}
	if a.DX != nil && a.DW != nil && nonEmpty {
		// dZ of a bfloat16 dR is bfloat16 itself: dW's visit keeps it so
		// (dzh), and dX reads it as a bfloat16 A, which the dot tile takes
		// in pairs (where it lies when it can: dotDirectA) and the
		// widening route widens as it packs it.
		if hs != nil || src.dz == nil {
			hold := getWork[T](o, bl)
			defer putWork(hold)
			if hs != nil {
				src.dzh, src.lddz = asBF16(asF32(grow(&hold.b, (m*n+1)/2)))[:m*n], n
			} else {
				src.dz, src.lddz = grow(&hold.b, m*n), n
			}
		}
		dw(true)
		dx.a = operand[T]{s: src.dz, ld: src.lddz}
		if hs != nil {
			dx.a = operand[T]{h: src.dzh, ld: src.lddz}
		}
		np := planThreads(o, bl, &dx, threads)
		if a.PW == nil && hs == nil && ntRoute(o, bl, &dx) {
			// W where it lies rather than transposed (ops.gemmNT).
			runNT(o, bl, m, k, n, src.dz, src.lddz, a.W, ldw, a.DX, lddx, beta, np)
			return false
		}
		run(o, bl, &dx, np)
		return dx.rh != nil
	}
	visitDW := a.DW != nil && nonEmpty
	visited := visitDW
	if a.DX != nil {
		np := planThreads(o, bl, &dx, threads)
		dx.visit = !visitDW && np == 1
		run(o, bl, &dx, np)
		visited = visited || dx.visit && nonEmpty
	}
	if a.DW != nil {
		dw(visitDW)
	}
	if !visited && (a.DB != nil || a.DZ != nil) && m > 0 && n > 0 {
		visitDZ(o, bl, &src, m, n, threads)
	}
	return a.DX != nil && dx.rh != nil
}
