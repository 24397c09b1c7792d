package kernels

// The generic packers: op(A) into mr-row and op(B) into nr-column
// micro-panels, zero-padded; the reference for every path's packers.

// packAGeneric packs rows i0 … i0+mb−1 and columns p0 … p0+kb−1 of op(A)
// into mr-row micro-panels: element (i, p) of the block goes to
// dst[(i/mr)*mr*kb + p*mr + i%mr], rows past mb are zero.
func packAGeneric[T Float](dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int) {
	for ip := 0; ip < mb; ip += mr {
		panel := dst[ip*kb : (ip+mr)*kb]
		rows := min(mr, mb-ip)
		for p := 0; p < kb; p++ {
			out := panel[p*mr : p*mr+mr]
			for ii := range rows {
				if trans {
					out[ii] = a[(p0+p)*lda+i0+ip+ii]
				} else {
					out[ii] = a[(i0+ip+ii)*lda+p0+p]
				}
			}
			clear(out[rows:])
		}
	}
}

// packBGeneric packs rows p0 … p0+kb−1 and columns j0 … j0+nb−1 of op(B)
// into nr-column micro-panels: element (p, j) of the block goes to
// dst[(j/nr)*nr*kb + p*nr + j%nr], columns past nb are zero.
func packBGeneric[T Float](dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	if !trans {
		if kb > 0 {
			packBRowsGeneric(dst, b[p0*ldb+j0:], ldb, kb, nb, nr, nr*kb)
		}
		return
	}
	for jp := 0; jp < nb; jp += nr {
		panel := dst[jp*kb : (jp+nr)*kb]
		cols := min(nr, nb-jp)
		for p := 0; p < kb; p++ {
			out := panel[p*nr : p*nr+nr]
			for jj := range cols {
				out[jj] = b[(j0+jp+jj)*ldb+p0+p]
			}
			clear(out[cols:])
		}
	}
}

// packBRowsGeneric packs rows rows of b (nb columns, ldb apart) into
// nr-column micro-panels panel elements apart: element (p, j) goes to
// dst[(j/nr)*panel + p*nr + j%nr], and columns past nb of the last panel
// are zero. With panel = nr·kb it packs rows p … of a kb-row block at
// dst[p*nr:].
func packBRowsGeneric[T Float](dst, b []T, ldb, rows, nb, nr, panel int) {
	for p := range rows {
		row := b[p*ldb : p*ldb+nb]
		for jp := 0; jp < nb; jp += nr {
			out := dst[jp/nr*panel+p*nr : jp/nr*panel+p*nr+nr]
			clear(out[copy(out, row[jp:]):])
		}
	}
}
