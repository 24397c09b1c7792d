//go:build arm64 && gc && !purego

package kernels

// The NEON register tiles of the packed GEMM (kernels_arm64.s): 12×8
// for float32 and 6×8 for float64, 24 accumulators of the 32 vector
// registers each, with A read a lane at a time by FMLA by element (so A
// takes 3 registers a step, not one per row). nr = 8 divides 64, as ops
// requires: a row's mask bits are one byte of a word. The instruction mix
// per k step is in kernels_arm64.s: 2 loads and 24 FMAs for both types.
//
// The kernel's Go wrapper picks one of two ways for a tile:
//
//   - a tile of whole columns (t.n == nr, any t.m) with α = 1 and
//     β ∈ {0, 1}, the case of every GEMM the forward and backward passes
//     run: all in assembly, including the forward epilogue on the last K
//     panel; the assembly writes only the tile's t.m rows, so the edge
//     tiles at the bottom of a matrix (M not a multiple of mr) stay there;
//   - anything else (tiles at the right edge, other α or β): the assembly
//     computes the whole product AB into a temporary tile (the panels are
//     zero-padded to mr×nr), and tile.finish applies the epilogue to the
//     tile's m×n part.
//
// One assembly call computes one tile: t.kc ≤ kc of the blocking (at most
// 512), microseconds at most, since assembly cannot be preempted.
//
// The rows route (runRows in rows.go: fewer rows than a tile, or short
// sums) runs on axpy and dot, which have NEON loops too, and the packers
// are Go written for these tiles (packANEON, packB8).

const (
	neonMR32, neonNR32 = 12, 8
	neonMR64, neonNR64 = 6, 8
)

// kernelNEON is the microkernel of both types: kernelGeneric
// (kernels_generic.go) on a 12×8 (float32) or 6×8 (float64) tile. A row
// of −0 (negZeros) stands for the C of a tile with β = 0 and the bias of
// a tile without one (row stride 0): x + (−0) is x for every x the tiles
// add it to (see kernels_arm64.s), so the assembly adds them unconditionally.
func kernelNEON[T Float](t *tile[T]) {
	const nr = neonNR32 // = neonNR64
	mr := neonMR32
	if !is32[T]() {
		mr = neonMR64
	}
	kc, m := t.kc, t.m
	a, b := t.a[:mr*kc], t.b[:nr*kc]
	negZero := negZeros[T](nr)
	if t.n != nr || m < 1 || m > mr || t.alpha != 1 || t.beta != 0 && t.beta != 1 {
		var abs [neonMR32 * nr]T
		ab := abs[:mr*nr]
		tileNEON(a, b, kc, negZero, 0, ab, nr, mr)
		t.finish(ab, nr)
		return
	}
	cin, ldcin := negZero, 0 // β = 0: C is not read
	if t.beta == 1 {
		cin, ldcin = t.c[:(m-1)*t.ldc+nr], t.ldc
	}
	if !t.last {
		tileNEON(a, b, kc, cin, ldcin, t.c[:(m-1)*t.ldc+nr], t.ldc, m)
		return
	}
	bias := negZero
	if t.bias != nil {
		bias = t.bias[:nr]
	}
	var zs [nr]T // Z's rows when it is not stored
	z, ldz := zs[:], 0
	if t.z != nil {
		z, ldz = t.z[:(m-1)*t.ldz+nr], t.ldz
	}
	var ws [1]uint64 // the mask's words when there is no mask
	bits, stride, shift := ws[:], 0, 0
	if t.bits != nil {
		w := t.col / 64
		bits, stride, shift = t.bits[w:(m-1)*t.stride+w+1], t.stride, t.col%64/8
	}
	r := t.r[:(m-1)*t.ldr+nr]
	if is32[T]() {
		tileFwdNEONF32(asF32(a), asF32(b), kc, asF32(cin), ldcin, asF32(bias), asF32(z), ldz, asF32(r), t.ldr, bits, stride, shift, m)
		return
	}
	tileFwdNEONF64(asF64(a), asF64(b), kc, asF64(cin), ldcin, asF64(bias), asF64(z), ldz, asF64(r), t.ldr, bits, stride, shift, m)
}

// tileNEON calls T's tile, tileNEONF32 or tileNEONF64.
func tileNEON[T Float](a, b []T, kc int, cin []T, ldcin int, r []T, ldr, m int) {
	if is32[T]() {
		tileNEONF32(asF32(a), asF32(b), kc, asF32(cin), ldcin, asF32(r), ldr, m)
		return
	}
	tileNEONF64(asF64(a), asF64(b), kc, asF64(cin), ldcin, asF64(r), ldr, m)
}

// packANEON is packAGeneric (pack.go) in whole panels of mr rows, the
// last partial one by packAGeneric. Transposed, a step's mr values are
// contiguous in a and are copied as one slice; untransposed, each of the
// panel's rows is a slice whose bounds are checked once, scattered to
// every mr-th element of the panel.
func packANEON[T Float](dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int) {
	ip := 0
	for ; ip+mr <= mb; ip += mr {
		panel := dst[ip*kb : (ip+mr)*kb]
		if trans {
			for p := range kb {
				o := (p0+p)*lda + i0 + ip
				copy(panel[p*mr:p*mr+mr], a[o:o+mr])
			}
			continue
		}
		for ii := range mr {
			o := (i0+ip+ii)*lda + p0
			out := panel[ii:]
			for p, v := range a[o : o+kb] {
				out[p*mr] = v
			}
		}
	}
	if ip < mb {
		packAGeneric(dst[ip*kb:], a, lda, trans, i0+ip, p0, mb-ip, kb, mr)
	}
}

// packB8 is packBGeneric (pack.go) for nr = 8: whole panels here, the
// last partial one by packBGeneric. A row of a panel is an [8]T array
// copy (32 or 64 bytes, inline loads and stores rather than a call to
// memmove), and untransposed b is read a block of 8 rows at a time, each
// block across every panel: 8 row streams advance 8 elements at a time
// while the writes fill 8 contiguous rows of a panel (for ldb a multiple
// of 1 KiB, a panel at a time would walk kb rows of b that all fall in one
// set of L1).
func packB8[T Float](dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	if nr != 8 {
		packBGeneric(dst, b, ldb, trans, p0, j0, kb, nb, nr)
		return
	}
	np := nb / 8 * 8 // columns in whole panels
	if trans {
		// Element (p, j) is b[(j0+j)*ldb+p0+p]: column j of a panel is a
		// contiguous row of b.
		for jp := 0; jp < np; jp += 8 {
			panel := dst[jp*kb : (jp+8)*kb]
			for jj := range 8 {
				o := (j0+jp+jj)*ldb + p0
				out := panel[jj:]
				for p, v := range b[o : o+kb] {
					out[p*8] = v
				}
			}
		}
	} else {
		for pb := 0; pb < kb; pb += 8 {
			pe := min(pb+8, kb)
			for jp := 0; jp < np; jp += 8 {
				panel := dst[jp*kb : (jp+8)*kb]
				for p := pb; p < pe; p++ {
					o := (p0+p)*ldb + j0 + jp
					*(*[8]T)(panel[p*8:]) = *(*[8]T)(b[o:])
				}
			}
		}
	}
	if np < nb {
		packBGeneric(dst[np*kb:], b, ldb, trans, p0, j0+np, kb, nb-np, nr)
	}
}

// neonVecChunk bounds the elements of one axpy or dot assembly call
// (assembly cannot be preempted): 16384 float32 or float64 are 64 or 128
// KiB per operand, microseconds. A multiple of 16.
const neonVecChunk = 16384

// axpyNEONF32 is axpyGeneric: the assembly on the whole blocks of 16, the
// generic loop on the rest.
func axpyNEONF32(dst []float32, alpha float32, x []float32) {
	dst = dst[:len(x)]
	for len(x) >= 16 {
		n := min(len(x), neonVecChunk) &^ 15
		axpyAsmNEONF32(dst[:n], x[:n], alpha)
		dst, x = dst[n:], x[n:]
	}
	axpyGeneric(dst, alpha, x)
}

// axpyNEONF64 is axpyGeneric on blocks of 8.
func axpyNEONF64(dst []float64, alpha float64, x []float64) {
	dst = dst[:len(x)]
	for len(x) >= 8 {
		n := min(len(x), neonVecChunk) &^ 7
		axpyAsmNEONF64(dst[:n], x[:n], alpha)
		dst, x = dst[n:], x[n:]
	}
	axpyGeneric(dst, alpha, x)
}

// dotNEONF32 is dotGeneric summed in another order: 16 partial sums, one
// per element index mod 16 (the assembly, over every chunk in turn), added
// in a fixed order, then the elements past the last block of 16. The
// order depends only on len(x), so a result is the same on every call.
func dotNEONF32(x, y []float32) float32 {
	y = y[:len(x)]
	var acc [16]float32
	n := len(x) &^ 15
	for i := 0; i < n; i += neonVecChunk {
		e := min(n, i+neonVecChunk)
		dotAsmNEONF32(acc[:], x[i:e], y[i:e])
	}
	s := ((acc[0] + acc[4]) + (acc[8] + acc[12])) + ((acc[1] + acc[5]) + (acc[9] + acc[13])) +
		((acc[2] + acc[6]) + (acc[10] + acc[14])) + ((acc[3] + acc[7]) + (acc[11] + acc[15]))
	for i := n; i < len(x); i++ {
		s += x[i] * y[i]
	}
	return s
}

// dotNEONF64 is dotNEONF32 for float64: 8 partial sums, blocks of 8.
func dotNEONF64(x, y []float64) float64 {
	y = y[:len(x)]
	var acc [8]float64
	n := len(x) &^ 7
	for i := 0; i < n; i += neonVecChunk {
		e := min(n, i+neonVecChunk)
		dotAsmNEONF64(acc[:], x[i:e], y[i:e])
	}
	s := ((acc[0] + acc[2]) + (acc[4] + acc[6])) + ((acc[1] + acc[3]) + (acc[5] + acc[7]))
	for i := n; i < len(x); i++ {
		s += x[i] * y[i]
	}
	return s
}
