package kernels

// The packers of bfloat16 operands (operand.h): a block of the stored
// matrix is widened to float32 a few rows or micro-panels at a time into
// the participant's scratch (exact: a shift), which the path's float32
// packers then pack. The packed panels are those of the operand's float32
// widening, bit for bit, so the tiles, and every result, are those of the
// float32 kernels on the widened inputs.

// halfElems bounds the widened scratch of packAH and packBH: 16 Ki
// float32 (64 KiB, in L2), and at least one micro-panel.
const halfElems = 1 << 14

// rowsWideElems bounds the block of widened rows of B rowsGroupH sums
// from: 16 KiB, in L1.
const rowsWideElems = 1 << 12

// widenBlock sets dst (rows×cols, tight) to rows r0 … and columns c0 …
// of h (leading dimension ld), widened by widen. T is float32: bfloat16
// operands are in float32 jobs only.
func widenBlock[T Float](widen func([]float32, []BF16), dst []T, h []BF16, ld, r0, c0, rows, cols int) {
	if !is32[T]() {
		panic("kernels: internal error: a bfloat16 operand in a float64 job")
	}
	if cols == 0 {
		return // an empty matrix (K = 0, say) may be an empty slice
	}
	d := asF32(dst[:rows*cols])
	if cols == ld {
		// Whole rows (c0 = 0): one block, one call.
		src := h[r0*ld : (r0+rows)*ld]
		if raceEnabled {
			raceRead(src)
		}
		widen(d, src)
		return
	}
	for r := range rows {
		src := h[(r0+r)*ld+c0 : (r0+r)*ld+c0+cols]
		if raceEnabled {
			raceRead(src)
		}
		widen(d[r*cols:(r+1)*cols], src)
	}
}

// packAH is ops.packA for a bfloat16 A (stored h, leading dimension ld):
// rows i0 … i0+mb−1 and columns p0 … p0+kb−1 of op(A), widened a group
// of micro-panels at a time into *tmp and packed by o.packA, or widened
// as packed where the path has packBRowsH (op(A) = hᵀ) or packBTH (whole
// micro-panels of A).
func packAH[T Float](o *ops[T], widen func([]float32, []BF16), dst []T, h []BF16, ld int, trans bool, i0, p0, mb, kb, mr int, tmp *[]T) {
	if kb == 0 || mb == 0 {
		return
	}
	if trans && o.packBRowsH != nil && mr == o.nr {
		// op(A) = hᵀ: a step's mr values are contiguous in a row of h, so
		// its panels are those of B's packing of h's rows (as packAAVX512
		// packs a float32 Aᵀ).
		packRowsH(o, dst, h, ld, p0, i0, kb, mb, mr)
		return
	}
	if !trans && o.packBTH != nil && mr == o.nr {
		// A micro-panel of A is mr stored rows, kb steps: packBTH's
		// panel of op(B) = hᵀ. Whole panels so; the partial one below.
		full := packPanelsTH(o, dst, h, ld, i0, p0, mb, kb, mr)
		if full == mb {
			return
		}
		dst, i0, mb = dst[full*kb:], i0+full, mb-full
	}
	// Micro-panels a group: as many as fit in halfElems, at least one.
	step := mr * max(1, halfElems/(mr*kb))
	buf := grow(tmp, step*kb)
	for ip := 0; ip < mb; ip += step {
		rows := min(step, mb-ip)
		panel := dst[ip*kb : ip*kb+roundUp(rows, mr)*kb]
		if trans {
			// op(A) = hᵀ: kb stored rows of the group's columns.
			widenBlock(widen, buf, h, ld, p0, i0+ip, kb, rows)
			o.packA(panel, buf, rows, true, 0, 0, rows, kb, mr)
		} else {
			widenBlock(widen, buf, h, ld, i0+ip, p0, rows, kb)
			o.packA(panel, buf, kb, false, 0, 0, rows, kb, mr)
		}
	}
}

// packBH is ops.packB for a bfloat16 B (stored h, leading dimension ld):
// rows p0 … p0+kb−1 and columns j0 … j0+nb−1 of op(B), widened as packed
// where the path has packBRowsH (untransposed), else into *tmp a few
// rows (untransposed, packed by o.packBRows) or micro-panels
// (transposed, packed by o.packB) at a time.
func packBH[T Float](o *ops[T], widen func([]float32, []BF16), dst []T, h []BF16, ld int, trans bool, p0, j0, kb, nb, nr int, tmp *[]T) {
	if kb == 0 || nb == 0 {
		return
	}
	if !trans && o.packBRowsH != nil {
		packRowsH(o, dst, h, ld, p0, j0, kb, nb, nr)
		return
	}
	if !trans {
		step := max(1, halfElems/nb)
		buf := grow(tmp, min(step, kb)*nb)
		for p := 0; p < kb; p += step {
			rows := min(step, kb-p)
			widenBlock(widen, buf, h, ld, p0+p, j0, rows, nb)
			o.packBRows(dst[p*nr:], buf, nb, rows, nb, nr, nr*kb)
		}
		return
	}
	// op(B) = hᵀ: the group's columns are stored rows of kb elements.
	if o.packBTH != nil {
		full := packPanelsTH(o, dst, h, ld, j0, p0, nb, kb, nr)
		if full == nb {
			return
		}
		// The partial panel below, through the buffer.
		dst, j0, nb = dst[full*kb:], j0+full, nb-full
	}
	step := nr * max(1, halfElems/(nr*kb))
	buf := grow(tmp, step*kb)
	for jp := 0; jp < nb; jp += step {
		cols := min(step, nb-jp)
		widenBlock(widen, buf, h, ld, j0+jp, p0, cols, kb)
		o.packB(dst[jp*kb:jp*kb+roundUp(cols, nr)*kb], buf, kb, true, 0, 0, kb, cols, nr)
	}
}

// packRowsH packs rows r0 … r0+rows−1, columns c0 … c0+cols−1 of the
// bfloat16 h into micro-panels of nr columns (rows steps each), widened
// as packed by o.packBRowsH: B's packing, and that of op(A) = hᵀ.
func packRowsH[T Float](o *ops[T], dst []T, h []BF16, ld, r0, c0, rows, cols, nr int) {
	if raceEnabled {
		raceOperand(h, ld, false, r0, c0, rows, cols)
		raceWrite(dst[:roundUp(cols, nr)*rows])
	}
	o.packBRowsH(dst, h[r0*ld+c0:], ld, rows, cols, nr, nr*rows)
}

// packPanelsTH packs the whole micro-panels among stored rows r0 …
// r0+rows−1 of the bfloat16 h, nr rows a panel, kb steps from column c0,
// widened and transposed by o.packBTH, and returns how many rows it
// packed (rows rounded down to nr): op(B) = hᵀ's panels, and A's.
func packPanelsTH[T Float](o *ops[T], dst []T, h []BF16, ld, r0, c0, rows, kb, nr int) int {
	full := rows / nr * nr
	for ip := 0; ip < full; ip += nr {
		off := (r0+ip)*ld + c0
		if raceEnabled {
			raceOperand(h, ld, false, r0+ip, c0, nr, kb)
			raceWrite(dst[ip*kb : (ip+nr)*kb])
		}
		o.packBTH(dst[ip*kb:(ip+nr)*kb], h[off:off+(nr-1)*ld+kb], ld, kb)
	}
	return full
}

// rowsGroupH is the most rows of A that rowsGroupH computes together.
const rowsGroupH = 16

// rowsGroupH is the rows route (rowsPart) for rows i0 … i1−1 and columns
// jc … jc+nb−1 of a job with a bfloat16 operand. The rows of B are taken
// a few at a time and used by every row of the group before the next
// ones, so that B is read once per group: a bfloat16 B where it lies by
// the path's H kernels (axpyH, axpy4H, dotH: widened as they load it),
// or widened into scratch first where the path has none. Each row of C
// gets the same chain of axpy (or dot) calls, over the same values, as
// rowsPart gives it, so the same bits as the float32 job on the widened
// operands. b, ldb, b0 are B's rows where they lie
// (or dZ's, built) when B is not in bfloat16.
func (w *work[T]) rowsGroupH(s *scratch[T], b []T, ldb, b0, jc, nb, i0, i1 int, intoC bool) {
	j, o := &w.job, w.o
	k, rows := j.k, i1-i0
	// The group's rows of op(A), and where each row's sum goes.
	abuf := grow(&s.ah, rows*k)
	accs := grow(&s.acc, rows*nb)
	var as, dsts [rowsGroupH][]T
	for r := range rows {
		i := i0 + r
		a := abuf[r*k : (r+1)*k]
		switch {
		case j.a.h != nil && j.a.trans:
			for p := range a {
				a[p] = T(j.a.h[p*j.a.ld+i].Float32())
			}
			if raceEnabled {
				raceOperand(j.a.h, j.a.ld, true, i, 0, 1, k)
			}
		case j.a.h != nil:
			widenBlock(j.widen, a, j.a.h, j.a.ld, i, 0, 1, k)
		default:
			a = rowOfA(j, a, i, jc)
		}
		as[r] = a
		dsts[r] = accs[r*nb : (r+1)*nb]
		if intoC {
			dsts[r] = j.c[i*j.ldc+jc : i*j.ldc+jc+nb]
		}
	}
	if j.b.trans {
		// C(i, jc+jj) = dot(row i of A, row jc+jj of the stored Bᵀ).
		tmp := grow(&s.wide, k)
		for jj := range nb {
			if j.b.h != nil && o.dotH != nil {
				// The bfloat16 row where it lies, widened as loaded.
				hj := j.b.h[(jc+jj)*j.b.ld : (jc+jj)*j.b.ld+k]
				for r := range rows {
					if raceEnabled {
						raceRead(as[r])
						raceRead(hj)
					}
					dsts[r][jj] = o.dotH(as[r], hj)
				}
				continue
			}
			bj := tmp
			if j.b.h != nil {
				widenBlock(j.widen, tmp, j.b.h, j.b.ld, jc+jj, 0, 1, k)
			} else {
				bj = b[(b0+jj)*ldb : (b0+jj)*ldb+k]
			}
			for r := range rows {
				if raceEnabled {
					raceRead(as[r])
					raceRead(bj)
				}
				dsts[r][jj] = o.dot(as[r], bj)
			}
		}
	} else {
		// Each row of C gets rowsAxpy's chain four rows of B at a time:
		// the calls of one rowsAxpy over all k (from zeros unless
		// accumulating into C), with a bfloat16 B's rows widened into
		// scratch a block of step rows (a multiple of 4, so that the
		// chain's groups of four are rowsAxpy's; 16 KiB, in L1 as the
		// rows of C are summed from it) at a time. K = 0 makes
		// one call on no rows (rowsChain's clear).
		zero := !intoC || j.beta == 0
		step := clamp(rowsWideElems/max(nb, 1)&^3, 4, 64)
		tmp := grow(&s.wide, step*nb)
		for p := 0; p < k || p == 0; p += step {
			q := min(step, k-p)
			if j.b.h != nil && o.axpy4H != nil {
				// The block's bfloat16 rows where they lie, widened
				// as the kernels load them (the same bits).
				for r := range rows {
					rowsAxpyH(o, dsts[r], as[r][p:p+q], j.b.h[p*j.b.ld:], j.b.ld, jc, zero && p == 0)
				}
				continue
			}
			bq, ldq, b0q := b, ldb, b0
			if j.b.h != nil {
				widenBlock(j.widen, tmp, j.b.h, j.b.ld, p, jc, q, nb)
				bq, ldq, b0q = tmp, nb, 0
			} else if q > 0 {
				bq = b[p*ldb:]
			}
			for r := range rows {
				rowsAxpy(o, dsts[r], as[r][p:p+q], bq, ldq, b0q, zero && p == 0)
			}
		}
	}
	if !intoC {
		for r := range rows {
			rowsEpilogue(&s.t, j, dsts[r], i0+r, jc)
		}
	}
}
