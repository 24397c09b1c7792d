package kernels

// The rows route: jobs of fewer rows than a register tile, or of short
// sums, computed without packing.

// runRows computes, without packing, a job with fewer rows than a
// register tile (a batch of one, say: the tile would spend most of its
// flops on padding) or a short sum (dW from a small batch: the tile would
// spend its time on calls and epilogues). Row i of C is the row i of A
// times B, accumulated rowsChunk columns at a time: a sum of rows of B
// when B is untransposed, else dot products with the rows of the stored
// Bᵀ. B streams through once per row of A. A dZ operand is built a row at
// a time (B's once per column chunk, into scratch). The epilogue is the
// tile's, on 64 columns (one mask word) at a time.
//
// Its items are (column chunk, range of rows); a dZ operand B is visited
// by the item of its chunk's first rows, and a dZ operand A (one
// participant only) on the first chunk.
func (w *work[T]) rowsPart(s *scratch[T]) {
	j, o, bl := &w.job, w.o, w.bl
	m, n, k := j.m, j.n, j.k
	chunk := rowsChunk(bl)
	nCh := ceilDiv(n, chunk)
	nRR := 1
	if np := w.n; np > 1 {
		nRR = min(ceilDiv(4*np, nCh), m)
		if j.b.dz {
			// Each range builds the chunk's rows of B again: keep
			// ranges long.
			nRR = min(nRR, max(1, m/16))
		}
	}
	per := ceilDiv(m, nRR)
	nRR = ceilDiv(m, per)
	// The scratch at its largest for the job, whichever items come.
	arow := grow(&s.arow, k)
	grow(&s.acc, min(chunk, n))
	if j.b.dz {
		grow(&s.brows, k*min(chunk, n))
	}
	// Without an epilogue (α = 1, β = 0 or 1, no forward pass) a sum of
	// rows of B accumulates in C itself.
	intoC := !j.fwd && !j.b.trans && j.alpha == 1 && (j.beta == 0 || j.beta == 1)
	t := &s.t
	*t = tile[T]{m: 1, alpha: j.alpha, beta: j.beta, last: j.fwd,
		ldc: j.ldc, ldz: j.ldz, ldr: j.ldr, stride: j.stride,
		nrMask: ^uint64(0)} // a segment starts a mask word and owns all of it
	for it := w.grab(); it < nCh*nRR; it = w.grab() {
		jc := it / nRR * chunk
		nb := min(chunk, n-jc)
		i0 := it % nRR * per
		i1 := min(m, i0+per)
		if j.b.prepacked {
			w.packedRowsItem(s, jc, nb, i0, i1)
			continue
		}
		b, ldb, b0 := j.b.s, j.b.ld, jc // element (p, jj) of the chunk: b[p*ldb+b0+jj]
		if j.b.dz {
			b, ldb, b0 = grow(&s.brows, k*nb), nb, 0
			for p := range k {
				j.src.row(b[p*nb:(p+1)*nb], p, jc, j.visit && i0 == 0)
			}
		}
		if j.a.h != nil || j.b.h != nil {
			for g := i0; g < i1; g += rowsGroupH {
				w.rowsGroupH(s, b, ldb, b0, jc, nb, g, min(i1, g+rowsGroupH), intoC)
			}
			continue
		}
		acc := grow(&s.acc, nb)
		for i := i0; i < i1; i++ {
			a := rowOfA(j, arow, i, jc)
			if intoC {
				// C's row segment is the accumulator: no copy through
				// acc, no epilogue (TUNING.md: intoC).
				dst := j.c[i*j.ldc+jc : i*j.ldc+jc+nb]
				rowsAxpy(o, dst, a, b, ldb, b0, j.beta == 0)
				continue
			}
			if j.b.trans {
				for jj := range acc {
					bj := b[(b0+jj)*ldb : (b0+jj)*ldb+k]
					if raceEnabled {
						raceRead(a)
						raceRead(bj)
					}
					acc[jj] = o.dot(a, bj)
				}
			} else {
				rowsAxpy(o, acc, a, b, ldb, b0, true)
			}
			rowsEpilogue(t, j, acc, i, jc)
		}
	}
}

// packedRowsItem computes rows i0 … i1−1 of C, columns jc … jc+nb−1, of
// a job of few rows on a prepacked B (a PackedW: onRows), 4, 2 or 1 rows
// of A at a time by ops.packedRows, a K block of the packing at a time,
// each block's products then through the tile's epilogue with β = 1 past
// the first (C holding the blocks before): every element the register
// tile's, bit for bit, while the tile would spend its FMAs on padding and
// wait out their latency with a few chains.
func (w *work[T]) packedRowsItem(s *scratch[T], jc, nb, i0, i1 int) {
	j, o, bl := &w.job, w.o, w.bl
	k, nr := j.k, o.nr
	nbr := roundUp(nb, nr)
	acc := grow(&s.acc, 4*nbr)
	t := &s.t
	for i := i0; i < i1; {
		rows := 1
		if i1-i >= 4 {
			rows = 4
		} else if i1-i >= 2 {
			rows = 2
		}
		a, lda := rowsOfA(j, grow(&s.arow, 4*k), i, rows, jc)
		for pc := 0; pc < k || pc == 0 && k == 0; pc += bl.kc {
			kb := min(bl.kc, k-pc)
			// The chunk's panels, a column block of the packing at a time.
			for c0 := jc; c0 < jc+nb; {
				cb := c0 / bl.nc * bl.nc
				c1 := min(jc+nb, cb+bl.nc)
				blk := roundUp(min(bl.nc, j.n-cb), nr)
				off := packedOffset(cb, pc, k, blk) + (c0-cb)*kb
				np := ceilDiv(c1-c0, nr)
				o.packedRows(acc[c0-jc:], nbr, a[min(pc, len(a)):], lda, j.b.packed[off:off+np*nr*kb], kb, np, rows)
				c0 = c1
			}
			t.beta = j.beta
			if pc > 0 {
				t.beta = 1
			}
			t.last = j.fwd && pc+kb >= k
			for r := range rows {
				rowsEpilogue(t, j, acc[r*nbr:r*nbr+nb], i+r, jc)
			}
		}
		i += rows
	}
}

// rowsOfA returns rows i … i+rows−1 of op(A) and their leading dimension:
// where they lie, or gathered, widened (bfloat16) or built (dZ, visited
// on the first column chunk) into buf (rows·k elements).
func rowsOfA[T Float](j *gemmJob[T], buf []T, i, rows, jc int) ([]T, int) {
	k := j.k
	if k == 0 {
		return buf[:0], 0
	}
	if !j.a.dz && !j.a.trans && j.a.h == nil {
		return j.a.s[i*j.a.ld:], j.a.ld
	}
	for r := range rows {
		row := buf[r*k : (r+1)*k]
		switch {
		case j.a.h != nil:
			if j.a.trans { // a prepacked job's A is X or dZ, never Xᵀ
				panic("kernels: a transposed bfloat16 A on a prepacked B")
			}
			j.widen(asF32(row), j.a.h[(i+r)*j.a.ld:(i+r)*j.a.ld+k])
		default:
			copy(row, rowOfA(j, row, i+r, jc))
		}
	}
	return buf, k
}

// rowOfA returns row i of op(A) (k elements): where it lies, or gathered
// or built (dZ, visited on the first column chunk) into arow.
func rowOfA[T Float](j *gemmJob[T], arow []T, i, jc int) []T {
	a := arow
	switch {
	case j.a.dz:
		j.src.row(a, i, 0, j.visit && jc == 0)
	case j.a.trans:
		for p := range a {
			a[p] = j.a.s[p*j.a.ld+i]
		}
	case j.k == 0: // A may be empty
	default:
		a = j.a.s[i*j.a.ld : i*j.a.ld+j.k]
	}
	return a
}

// rowsAxpy adds the sum of the rows a[p]·B[p, b0:b0+len(dst)] (rows of B
// ldb apart) to dst, starting from zeros when zero is true, as one chain
// of axpy calls in p order (rowsChain).
func rowsAxpy[T Float](o *ops[T], dst, a, b []T, ldb, b0 int, zero bool) {
	rowsChain(dst, a, b, ldb, b0, zero, o.axpy, o.axpyZ, o.axpy4, o.axpy4Z)
}

// rowsAxpyH is rowsAxpy on a bfloat16 B (rows of h ldh apart, from
// column h0), by the path's H kernels: the same chain of calls as
// rowsAxpy on the widened rows, so the same bits.
func rowsAxpyH[T Float](o *ops[T], dst, a []T, h []BF16, ldh, h0 int, zero bool) {
	rowsChain(dst, a, h, ldh, h0, zero, o.axpyH, o.axpyHZ, o.axpy4H, o.axpy4HZ)
}

// rowsChain is rowsAxpy's chain of calls over rows of B of elements S
// (T, or bfloat16 for the H kernels), the four kernels those of S. Into
// zeros, the chain starts with axpy4Z or axpyZ (clear(dst) then the first
// four rows or the first row, bit for bit, in one pass over dst where the
// path can), or clear(dst) when there is no row. Then four rows of B a
// call: dst is loaded and stored once per four rows (where the path has
// axpy4 in one pass), with the same roundings; then the rows left one at
// a time.
func rowsChain[T Float, S any](dst, a []T, b []S, ldb, b0 int, zero bool,
	axpy, axpyZ func(dst []T, alpha T, x []S), axpy4, axpy4Z func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []S)) {
	nb := len(dst)
	if raceEnabled {
		raceWrite(dst)
	}
	row := func(p int) []S {
		r := b[p*ldb+b0 : p*ldb+b0+nb]
		if raceEnabled {
			raceRead(r)
		}
		return r
	}
	p := 0
	if zero {
		switch {
		case len(a) >= 4:
			axpy4Z(dst, a[0], a[1], a[2], a[3], row(0), row(1), row(2), row(3))
			p = 4
		case len(a) >= 1:
			axpyZ(dst, a[0], row(0))
			p = 1
		default:
			clear(dst)
		}
	}
	for ; p+4 <= len(a); p += 4 {
		axpy4(dst, a[p], a[p+1], a[p+2], a[p+3], row(p), row(p+1), row(p+2), row(p+3))
	}
	for ; p < len(a); p++ {
		axpy(dst, a[p], row(p))
	}
}

// rowsEpilogue applies the tile's epilogue to row i of C from column jc
// on, for the row's product acc: 64 columns (one mask word) at a time.
func rowsEpilogue[T Float](t *tile[T], j *gemmJob[T], acc []T, i, jc int) {
	nb := len(acc)
	for seg := 0; seg < nb; seg += 64 {
		col := jc + seg
		t.n = min(64, nb-seg)
		t.c = j.c[i*j.ldc+col:]
		if j.fwd {
			t.col, t.bias, t.z, t.bits = col, nil, nil, nil
			t.r = j.r[i*j.ldr+col:]
			if j.bias != nil {
				t.bias = j.bias[col:]
			}
			if j.z != nil {
				t.z = j.z[i*j.ldz+col:]
			}
			if j.bits != nil {
				t.bits = j.bits[i*j.stride:]
			}
		}
		t.finish(acc[seg:], 0)
	}
}
