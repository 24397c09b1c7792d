//go:build amd64 && gc && !purego

package kernels

import "unsafe"

// The AVX2+FMA register tiles of the packed GEMM (kernels_amd64.s, written
// by _gen/avx2*.go; their declarations are in kernels_amd64.go, each with
// the Go it replaces and the lengths it trusts: the wrappers here cut the
// slices to them):
// 6×16 for float32 and 6×8 for float64. Sixteen ymm registers hold 12
// accumulators (6 rows × 2 vectors), the step's row of B (2 vectors) and
// two broadcasts of A. nr is 16 or 8, so it divides 64 as ops requires,
// and a row of a micro-panel of B is 64 bytes in both.
//
// The kernel's Go wrapper picks one of three ways for a tile:
//
//   - a whole tile (t.m == mr, t.n == nr) with α = 1 and β ∈ {0, 1}, the
//     case of every GEMM the forward and backward passes run: all in
//     assembly, including the forward epilogue on the last K panel;
//   - a tile of fewer rows, otherwise alike (the last row panel of a
//     matrix whose M is not a multiple of 6): the assembly computes the
//     whole product into a temporary tile (the packed panels are zero-
//     padded to mr×nr), and an assembly epilogue applies the same
//     epilogue to its first t.m rows;
//   - anything else (fewer columns than nr, other α or β): the product
//     into a temporary tile, then tile.finish.
//
// B is a packed micro-panel (rows 64 bytes apart) or, for forward passes
// and GEMMs of few rows (directBWhole: see directB in
// route.go), B where it lies, rows ldb apart, in whole tiles of nr columns
// only (the tile has no masked loads).
//
// One assembly call computes the whole tiles of a column of the driver's
// block: at most mc rows (clamped to 1024) of t.kc ≤ kc steps (at most
// 1024), tens of microseconds, bounded since assembly cannot be
// preempted.

const (
	avx2MR32, avx2NR32 = 6, 16
	avx2MR64, avx2NR64 = 6, 8
)

// asmEpilogue reports whether the assembly epilogues apply to t, a tile
// of an nr-column kernel: whole rows, α = 1 and β ∈ {0, 1}.
func (t *tile[T]) asmEpilogue(nr int) bool {
	return t.m > 0 && t.n == nr && t.alpha == 1 && (t.beta == 0 || t.beta == 1)
}

// fwdOutputs returns the forward epilogue's outputs for the first m rows
// of t (nr columns), cut to what the assembly writes, nil where there is
// none, and the byte of the mask word where the tile's bits start.
func (t *tile[T]) fwdOutputs(m, nr int) (bias, z, r []T, bits []uint64, shift int) {
	if t.bias != nil {
		bias = t.bias[:nr]
	}
	if t.z != nil {
		z = t.z[:(m-1)*t.ldz+nr]
	}
	r = t.r[:(m-1)*t.ldr+nr]
	if t.bits != nil {
		w := t.col / 64
		bits = t.bits[w : (m-1)*t.stride+w+1]
	}
	return bias, z, r, bits, t.col % 64 / 8
}

// kernelAVX2 is the microkernel of both types: kernelGeneric
// (kernels_generic.go) on a column of 6×16 (float32) or 6×8 (float64)
// tiles (callColumn): its whole tiles in one call of the assembly (the Go
// around a call costs a fraction of a tile), the last partial tile, or
// every tile when the assembly epilogues do not apply, by edgeAVX2.
func kernelAVX2[T Float](t *tile[T]) {
	const mr = 6 // avx2MR32 = avx2MR64
	nr := avx2NR32
	if !is32[T]() {
		nr = avx2NR64
	}
	kc, mt := t.kc, ceilDiv(t.m, mr)
	a, b, ldb := t.a[:mt*mr*kc], t.b, nr
	if t.ldb == 0 {
		b = b[:nr*kc]
	} else { // B where it lies (directB): whole tiles of nr columns only
		if t.n != nr || kc < 1 {
			panic("kernels: AVX2 tile reading B in place with fewer than nr columns")
		}
		b, ldb = b[:(kc-1)*t.ldb+nr], t.ldb
	}
	whole := 0
	if t.asmEpilogue(nr) {
		whole = t.m / mr
	}
	if whole > 0 {
		m := whole * mr
		c, beta := t.c[:(m-1)*t.ldc+nr], int(t.beta)
		switch {
		case !t.last:
			tileAVX2(a, b, ldb, kc, c, t.ldc, beta, whole)
		case is32[T]():
			bias, z, r, bits, shift := t.fwdOutputs(m, nr)
			tileFwdAVX2F32(asF32(a), asF32(b), kc, asF32(c), t.ldc, beta, asF32(bias), asF32(z), t.ldz, asF32(r), t.ldr, bits, t.stride, shift, ldb, whole)
		default:
			bias, z, r, bits, shift := t.fwdOutputs(m, nr)
			tileFwdAVX2F64(asF64(a), asF64(b), kc, asF64(c), t.ldc, beta, asF64(bias), asF64(z), t.ldz, asF64(r), t.ldr, bits, t.stride, shift, ldb, whole)
		}
	}
	for q := whole; q < mt; q++ {
		sub := *t
		sub.m = min(mr, t.m-q*mr)
		sub.c = t.c[q*mr*t.ldc:]
		if t.last {
			sub.r = t.r[q*mr*t.ldr:]
			if t.z != nil {
				sub.z = t.z[q*mr*t.ldz:]
			}
			if t.bits != nil {
				sub.bits = t.bits[q*mr*t.stride:]
			}
		}
		edgeAVX2(&sub, a[q*mr*kc:(q+1)*mr*kc], b, ldb, nr)
	}
}

// edgeAVX2 is kernelAVX2 on the other tiles: the product into a
// temporary tile (of 4 rows when t.m ≤ 4, in 4/6 of a whole tile's time:
// the last tile of M = 32 has 2 rows; TUNING.md), then the epilogue on
// its first t.m rows.
func edgeAVX2[T Float](t *tile[T], a, b []T, ldb, nr int) {
	const mr = 6
	var abs [mr * avx2NR32]T
	ab := abs[:mr*nr]
	switch {
	case t.m > 4:
		tileAVX2(a, b, ldb, t.kc, ab, nr, 0, 1)
	case is32[T]():
		tileR4AVX2F32(asF32(a), asF32(b), t.kc, asF32(ab[:4*nr]), ldb)
	default:
		tileR4AVX2F64(asF64(a), asF64(b), t.kc, asF64(ab[:4*nr]), ldb)
	}
	if !t.asmEpilogue(nr) {
		t.finish(ab, nr)
		return
	}
	m := t.m
	c, beta := t.c[:(m-1)*t.ldc+nr], int(t.beta)
	// Without the forward epilogue (last = 0) only ab and c are used.
	var bias, z, r []T
	var bits []uint64
	last, ldz, ldr, stride, shift := 0, 0, 0, 0, 0
	if t.last {
		last, ldz, ldr, stride = 1, t.ldz, t.ldr, t.stride
		bias, z, r, bits, shift = t.fwdOutputs(m, nr)
	}
	if is32[T]() {
		rowsAVX2F32(asF32(ab[:m*nr]), m, asF32(c), t.ldc, beta, last, asF32(bias), asF32(z), ldz, asF32(r), ldr, bits, stride, shift)
		return
	}
	rowsAVX2F64(asF64(ab[:m*nr]), m, asF64(c), t.ldc, beta, last, asF64(bias), asF64(z), ldz, asF64(r), ldr, bits, stride, shift)
}

// tileAVX2 calls T's tile, tileAVX2F32 or tileAVX2F64, on mt tiles down
// a column.
func tileAVX2[T Float](a, b []T, ldb, kc int, c []T, ldc, beta, mt int) {
	if is32[T]() {
		tileAVX2F32(asF32(a), asF32(b), kc, asF32(c), ldc, beta, ldb, mt)
		return
	}
	tileAVX2F64(asF64(a), asF64(b), kc, asF64(c), ldc, beta, ldb, mt)
}

// packA6Via returns packAGeneric (pack.go) for mr = 6, with the whole
// 6-row panels of untransposed A packed by asm, the rest by Go. The
// generic packer indexes a[] once per element, with a multiply and a
// bounds check, several times slower (TUNING.md).
// Transposed, a step's 6 values are contiguous in a, and a [6]T array
// copy moves them.
func packA6Via[T Float](asm func(dst, a []T, lda, kb int)) func(dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int) {
	return func(dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int) {
		if mr != 6 || kb == 0 {
			packAGeneric(dst, a, lda, trans, i0, p0, mb, kb, mr)
			return
		}
		ip := 0
		for ; ip+6 <= mb; ip += 6 {
			panel := dst[ip*kb : ip*kb+6*kb]
			if trans {
				for p := range kb {
					o := (p0+p)*lda + i0 + ip
					*(*[6]T)(panel[p*6:]) = *(*[6]T)(a[o : o+6])
				}
				continue
			}
			o := (i0+ip)*lda + p0
			asm(panel, a[o:o+5*lda+kb], lda, kb)
		}
		if ip < mb && !trans {
			// The last rows: the panel cleared, then row by row (packAGeneric
			// goes step by step, with a clear of the padding at each).
			panel := dst[ip*kb : ip*kb+6*kb]
			clear(panel)
			for i := range mb - ip {
				o := (i0+ip+i)*lda + p0
				for p, v := range a[o : o+kb] {
					panel[p*6+i] = v
				}
			}
		} else if ip < mb {
			packAGeneric(dst[ip*kb:], a, lda, trans, i0+ip, p0, mb-ip, kb, mr)
		}
	}
}

// packB64Via returns packBGeneric (pack.go) for rows of a micro-panel of
// 64 bytes (nr = 16 float32 or 8 float64), with the whole panels packed
// by asm, the rest by Go. The generic packer copies a panel's row with
// copy, a call to memmove per 64 bytes, a panel at a time: its reads
// stride ldb through kb rows of b, which for ldb a multiple of 1 KiB all
// fall in one set of L1 (TUNING.md). The asm for untransposed B copies a
// block of 8 rows into every panel: 8 row streams advance 64 bytes at a
// time and the writes are 512 contiguous bytes of a panel; a call moves
// at most 8 rows of nc columns. Transposed, column j of a panel is a contiguous row of b: the
// asm transposes 4×4 (float32) or 2×2 (float64) blocks, one panel a call.
func packB64Via[T Float](asm func(dst, b []T, ldb, kb, np, rows int), asmT func(dst, b []T, ldb, kb int)) func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	rows := packBRows64Via(asm)
	return func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
		var z T
		if nr*int(unsafe.Sizeof(z)) != 64 || kb == 0 {
			packBGeneric(dst, b, ldb, trans, p0, j0, kb, nb, nr)
			return
		}
		if !trans {
			rows(dst, b[p0*ldb+j0:], ldb, kb, nb, nr, nr*kb)
			return
		}
		np := nb / nr // whole panels
		for jp := 0; jp < np*nr; jp += nr {
			o := (j0+jp)*ldb + p0
			asmT(dst[jp*kb:(jp+nr)*kb], b[o:o+(nr-1)*ldb+kb], ldb, kb)
		}
		if np*nr < nb {
			packBGeneric(dst[np*nr*kb:], b, ldb, trans, p0, j0+np*nr, kb, nb-np*nr, nr)
		}
	}
}

// packBRows64Via returns packBRowsGeneric (pack.go) with the whole
// 64-byte panels packed by asm (see packB64Via), 8 rows a call, and the
// last partial panel by Go.
func packBRows64Via[T Float](asm func(dst, b []T, ldb, kb, np, rows int)) func(dst, b []T, ldb, rows, nb, nr, panel int) {
	return func(dst, b []T, ldb, rows, nb, nr, panel int) {
		var z T
		np := nb / nr
		if nr*int(unsafe.Sizeof(z)) != 64 || panel%nr != 0 || rows > panel/nr || np == 0 {
			packBRowsGeneric(dst, b, ldb, rows, nb, nr, panel)
			return
		}
		for p := 0; p < rows; p += 8 {
			n := min(8, rows-p)
			asm(dst[p*nr:(np-1)*panel+(p+n)*nr], b[p*ldb:p*ldb+(n-1)*ldb+np*nr], ldb, panel/nr, np, n)
		}
		if np*nr < nb {
			packBRowsGeneric(dst[np*panel:], b[np*nr:], ldb, rows, nb-np*nr, nr, panel)
		}
	}
}
