package kernels

// The drivers behind the exported functions, after their checks.

func gemm[T Float](p *impl, tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	run(opsFor[T](p), blocksFor[T](p), &gemmJob[T]{
		m: m, n: n, k: k,
		a: operand[T]{s: a, ld: lda, trans: tA},
		b: operand[T]{s: b, ld: ldb, trans: tB},
		c: c, ldc: ldc,
		alpha: alpha, beta: beta,
	})
}

func forward[T Float](p *impl, m, k, n int, x []T, ldx int, w []T, ldw int, bias, r []T, ldr int, z []T, ldz int, mask Mask, hasMask bool) {
	j := gemmJob[T]{
		m: m, n: n, k: k,
		a: operand[T]{s: x, ld: ldx},
		b: operand[T]{s: w, ld: ldw},
		c: r, ldc: ldr,
		alpha: 1,
		fwd:   true,
		bias:  bias, r: r, ldr: ldr, z: z, ldz: ldz,
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
	run(opsFor[T](p), blocksFor[T](p), &j)
}

func backward[T Float](p *impl, a *BackwardArgs[T], ldx, ldw, lddr, ldz int, hasMask bool, lddx, lddw, lddz int) {
	m, k, n := a.M, a.K, a.N
	o, bl := opsFor[T](p), blocksFor[T](p)
	src := dzSource[T]{dr: a.DR, lddr: lddr, z: a.Z, ldz: ldz, db: a.DB, dz: a.DZ, lddz: lddz}
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
	// The first GEMM that packs every element of dZ also sums db and
	// writes dZ, as it packs.
	visited := false
	if a.DX != nil {
		// dX (M×K) = dZ (M×N) · Wᵀ, W stored K×N.
		run(o, bl, &gemmJob[T]{
			m: m, n: k, k: n,
			a: operand[T]{dz: &src},
			b: operand[T]{s: a.W, ld: ldw, trans: true},
			c: a.DX, ldc: lddx,
			alpha: 1, beta: beta,
			visit: true,
		})
		visited = m > 0 && n > 0 && k > 0
	}
	if a.DW != nil {
		// dW (K×N) = Xᵀ · dZ, X stored M×K.
		run(o, bl, &gemmJob[T]{
			m: k, n: n, k: m,
			a: operand[T]{s: a.X, ld: ldx, trans: true},
			b: operand[T]{dz: &src},
			c: a.DW, ldc: lddw,
			alpha: 1, beta: beta,
			visit: !visited,
		})
		visited = visited || m > 0 && n > 0 && k > 0
	}
	if !visited && (a.DB != nil || a.DZ != nil) && m > 0 && n > 0 {
		w := getWork[T](bl)
		row := grow(&w.row, n)
		for i := range m {
			src.row(row, i, 0, true)
		}
		putWork(w)
	}
}
