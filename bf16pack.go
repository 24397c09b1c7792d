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

// widenBlock sets dst (rows×cols, tight) to rows r0 … and columns c0 …
// of h (leading dimension ld), widened by widen. T is float32: bfloat16
// operands are in float32 jobs only.
func widenBlock[T Float](widen func([]float32, []BF16), dst []T, h []BF16, ld, r0, c0, rows, cols int) {
	if !is32[T]() {
		panic("kernels: internal error: a bfloat16 operand in a float64 job")
	}
	d := asF32(dst[:rows*cols])
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
// of micro-panels at a time into *tmp and packed by o.packA.
func packAH[T Float](o *ops[T], widen func([]float32, []BF16), dst []T, h []BF16, ld int, trans bool, i0, p0, mb, kb, mr int, tmp *[]T) {
	if kb == 0 || mb == 0 {
		return
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
// rows p0 … p0+kb−1 and columns j0 … j0+nb−1 of op(B), widened into
// *tmp a few rows (untransposed, packed by o.packBRows) or micro-panels
// (transposed, packed by o.packB) at a time.
func packBH[T Float](o *ops[T], widen func([]float32, []BF16), dst []T, h []BF16, ld int, trans bool, p0, j0, kb, nb, nr int, tmp *[]T) {
	if kb == 0 || nb == 0 {
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
	step := nr * max(1, halfElems/(nr*kb))
	buf := grow(tmp, step*kb)
	for jp := 0; jp < nb; jp += step {
		cols := min(step, nb-jp)
		widenBlock(widen, buf, h, ld, j0+jp, p0, cols, kb)
		o.packB(dst[jp*kb:jp*kb+roundUp(cols, nr)*kb], buf, kb, true, 0, 0, kb, cols, nr)
	}
}
