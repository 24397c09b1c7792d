//go:build amd64 && gc && !purego

package kernels

import "unsafe"

// The AVX-512 GEMM kernels: the register tile with the epilogues of
// tile.go's tile (the GEMM's C = AB + βC and the forward pass's fused
// bias, Z, mask bits and ReLU), and packers of A and B. The assembly is
// generated into kernels_amd64.s by _gen/avx512*.go, the tile from its
// shape (avx512Tile: element type, MR rows, NR vectors of B).
//
// The path's entry (config_amd64.go; a core class may take other tiles:
// classEntries) has 16×16 for float32 and 16×8 for float64, one zmm of B
// per k step and 16 accumulators, one a row: at the FMA peak on a core
// with one zmm FMA a cycle (TUNING.md); 16 rows leave no edge tiles at the batch sizes
// that matter (32, 64, 128, …), a 16-wide B micro-panel of a given size in
// bytes has twice the k steps of a 32-wide one, which halves the passes
// over C (cpu.go's kc), and a 16×16 block of A is a register transpose
// for the packer.
const (
	avx512MR32, avx512NR32 = 16, 16
	avx512MR64, avx512NR64 = 16, 8
)

// avx512Shape is a register tile of the package: mr rows by nr columns
// (nr a multiple of the lanes of a zmm, dividing 64) and its routine
// (id: see call).
type avx512Shape[T Float] struct {
	mr, nr int
	id     avx512TileID
}

// avx512TileID names a generated tile routine (_gen/avx512.go's
// avx512Tiles).
type avx512TileID uint8

// The tiles' IDs, shapes and lists by type, and avx512Shape's name and
// call, are generated from _gen/avx512.go's table into tiles_amd64.go.
// 6×64, 8×32 and 12×32 float32 and 6×32, 8×16 and 12×16 float64 take A
// broadcast into a register once a row (1 + NR loads per MR·NR FMAs):
// tiles for cores with two 512-bit FMA pipes. They and 16×16u/16×8u
// (today's tiles otherwise) load B unmasked in whole columns of tiles: on
// Intel a masked load takes an FMA port's slot.

// kernel is the microkernel of tile s: kernelGeneric (kernels_generic.go)
// on a block of mr×nr tiles, B packed or (t.ldb ≠ 0, directB) where it
// lies. The tiles of a column are run one after another, and the columns
// of tiles one after another (callBlock: t.n up to several nr), in one
// call of the assembly: a call with the Go around it costs as much as
// half a small tile (TUNING.md), and the next tile's first steps overlap
// the last one's stores. A call's work stays bounded: the driver gives it
// at most wideSteps tile steps, and a column of tiles at most mc rows
// (clamped to 1024) of kc ≤ 1024 steps.
func (s avx512Shape[T]) kernel() func(t *tile[T]) {
	return func(t *tile[T]) { kernelAVX512(t, s) }
}

func kernelAVX512[T Float](t *tile[T], s avx512Shape[T]) {
	mr, nr := s.mr, s.nr
	m, n := t.m, t.n
	if m < 1 || n < 1 || n > wideCols { // the driver's invariant; the assembly relies on it
		panic("kernels: tile size out of range")
	}
	nt := ceilDiv(n, nr) // columns of tiles
	var a []T
	aTile := mr * t.kc // from a row tile's A to the next's
	if t.lda == 0 {
		a = t.a[:ceilDiv(m, mr)*aTile]
	} else { // A where it lies (directA): all mr rows of every tile
		a, aTile = t.a[:(ceilDiv(m, mr)*mr-1)*t.lda+t.kc], mr*t.lda
	}
	b, ldb, bcol, bf := t.b, nr, nr*t.kc, 0
	if t.ldb < 0 && t.bf {
		// The dot tile's float32 rows of B where they lie, rounded as
		// they are read (dotDirectB, gemmJob.b.round).
		b, ldb, bcol, bf = t.b, t.ldb, nr, 1
	} else if t.ldb < 0 {
		// The dot tile's bfloat16 rows of B where they lie (dotDirectB),
		// as float32s of two values: a column of tiles is nr/2 of them.
		b, ldb, bcol = t.b, t.ldb, nr/2
	} else if t.ldb == 0 {
		b = b[:nt*nr*t.kc]
	} else { // B unpacked (directB): the tiles' n columns of kc rows
		b, ldb, bcol = b[:max(0, (t.kc-1)*t.ldb+t.n)], t.ldb, nr
	}
	if t.alpha != 1 || t.beta != 0 && t.beta != 1 {
		// General α and β (a GEMM, never the forward pass): each tile's
		// product into a temporary tile, then the generic epilogue.
		var abs [16 * 64]T // every tile has mr·nr ≤ 16·64
		ab := abs[:mr*nr]
		sub := *t
		for q := range nt {
			sub.n = min(nr, n-q*nr)
			for i := 0; i < m; i += mr {
				s.call(a[i/mr*aTile:], b[q*bcol:], ldb, t.kc, ab, nr, mr, sub.n, 0, 0, nil, nil, 0, 0, ab, nr, nil, 0, 0, 0, t.lda, bf)
				sub.m, sub.c = min(mr, m-i), t.c[i*t.ldc+q*nr:]
				sub.finish(ab, nr)
			}
		}
		return
	}
	beta := int(t.beta) // 0 or 1
	c := t.c[:(m-1)*t.ldc+n]
	if beta == 0 && t.stream && !t.last && streamable(c, t.ldc) {
		beta = 2 // β = 0 with streaming stores (the tile's doc)
	}
	if !t.last {
		if t.rh != nil { // C in bfloat16 (the dot tiles' fwd = 3)
			s.call(a, b, ldb, t.kc, c, t.ldc, m, n, 0, 3, nil, nil, 0, 0, rhView(t, m, n, beta), t.ldr, nil, 0, 0, bcol, t.lda, bf)
			return
		}
		s.call(a, b, ldb, t.kc, c, t.ldc, m, n, beta, 0, nil, nil, 0, 0, c, t.ldc, nil, 0, 0, bcol, t.lda, bf)
		return
	}
	bias := negZeros[T](nt * nr)
	if t.bias != nil {
		bias = t.bias[:n]
	}
	var r []T
	fwd := 1
	if t.rh != nil { // R in bfloat16 (the dot tiles' fwd = 2)
		r, fwd = rhView(t, m, n, beta), 2
	} else {
		r = t.r[:(m-1)*t.ldr+n]
	}
	z, ldz, storeZ := r, t.ldr, 0 // no Z: not written (its pointer still moves with the tiles)
	if t.z != nil {
		z, ldz, storeZ = t.z[:(m-1)*t.ldz+n], t.ldz, 1
	}
	var scratch [wideCols/64 + 1]uint64 // no mask: every row's bits go here
	bits, stride, shift := scratch[:], 0, 0
	if t.bits != nil {
		if t.col%nr != 0 { // the driver's invariant: tiles start at multiples of nr
			panic("kernels: tile column not a multiple of nr")
		}
		w := t.col / 64
		bits, stride, shift = t.bits[w:(m-1)*t.stride+(t.col+n-1)/64+1], t.stride, t.col%64/8
	}
	s.call(a, b, ldb, t.kc, c, t.ldc, m, n, beta, fwd, bias, z, ldz, storeZ, r, t.ldr, bits, stride, shift, bcol, t.lda, bf)
}

// rhView is t.rh's m rows of n values, ldr apart, as the []T whose base
// the dot tiles take in r's place with its leading dimension (fwd = 2:
// R, fwd = 3: a GEMM job's C, in bfloat16), for β = 0 only.
func rhView[T Float](t *tile[T], m, n, beta int) []T {
	if beta != 0 {
		panic("kernels: internal error: bfloat16 R or C with β ≠ 0")
	}
	h := t.rh[:(m-1)*t.ldr+n]
	return unsafe.Slice((*T)(unsafe.Pointer(&h[0])), len(h)/2)
}

// gemmNTAVX512F32 is ops.gemmNT on the AVX-512 float32 path: C = A·Wᵀ
// (+ C when beta = 1) for a short A (m ≤ 16·directMaxTiles rows) and
// k ≤ 1024, with W (n×k) read where it lies by tileNTAVX512F32. A is
// packed as dZᵀ micro-panels (small: m×k), and each 16-row block of W is
// used by the m/16 tiles of its columns of C while it is in L1; a last
// block of fewer than 16 rows is copied, zero-padded, into scratch. Every
// element is the packed route's sum, in the same order: one chain of
// multiply-adds over p from 0, then C added. It saves the packed route's
// transposition of W (k×n into n/16 panels) on every call (TUNING.md).
var gemmNTAVX512F32 = &ntKernel[float32]{
	takes: func(m, n, k int, beta float32) bool {
		return m > 0 && n > 0 && k > 0 && k <= 1024 && m <= 16*directMaxTiles && (beta == 0 || beta == 1)
	},
	pack: func(panels, a []float32, lda, m, k int) {
		panels = panels[:ceilDiv(m, 16)*16*k]
		if raceEnabled {
			raceOperand(a, lda, false, 0, 0, m, k)
			raceWrite(panels)
		}
		packAAVX512F32(panels, a, lda, false, 0, 0, m, k, 16) // its micro-panels, the last zero-padded
	},
	block: ntBlockAVX512F32,
}

// streamable reports whether the tiles' streaming stores may write c:
// its first element 64-byte aligned and its rows a multiple of 64 bytes
// apart, so that every row of every tile (at columns a multiple of one
// vector) starts on a 64-byte line, as a streaming store needs.
func streamable[T Float](c []T, ldc int) bool {
	size := int(unsafe.Sizeof(c[0]))
	return uintptr(unsafe.Pointer(unsafe.SliceData(c)))%64 == 0 && ldc*size%64 == 0
}

// ntBlockAVX512F32 is gemmNTAVX512F32's block: C's columns k0 … k0+15
// (or up to n), rows k0 … of W.
func ntBlockAVX512F32(panels []float32, m, k int, w []float32, ldw int, c []float32, ldc int, beta float32, k0, n int, pad []float32) {
	rows := min(16, n-k0)
	wt, ld := w[k0*ldw:], ldw
	if rows < 16 {
		pad = pad[:16*k]
		clear(pad)
		for i := range rows {
			copy(pad[i*k:(i+1)*k], w[(k0+i)*ldw:(k0+i)*ldw+k])
		}
		wt, ld = pad, k
	}
	wt = wt[:15*ld+k]
	if raceEnabled {
		raceRead(wt)
	}
	for q := range ceilDiv(m, 16) {
		nb := min(16, m-16*q)
		cc := c[16*q*ldc+k0:]
		cc = cc[:(nb-1)*ldc+rows]
		if raceEnabled {
			for j := range nb {
				if beta != 0 {
					raceRead(cc[j*ldc : j*ldc+rows])
				}
				raceWrite(cc[j*ldc : j*ldc+rows])
			}
		}
		tileNTAVX512F32(wt, ld, panels[q*16*k:(q+1)*16*k], k, cc, ldc, rows, nb, int(beta))
	}
}

// packBRowsAVX512F64 is packBRowsAVX512F32 for float64 and 8-column
// micro-panels: the same copy of 64-byte panel rows, so the float32
// assembly does it on the same bytes, every float64 two float32 lanes (a
// copy moves bits: the values, NaN payloads included, are untouched, and
// the zeroed lanes of a partial panel are +0 either way).
func packBRowsAVX512F64(dst, b []float64, ldb, rows, nb, panel int) {
	packBRowsAVX512F32(f64Lanes(dst), f64Lanes(b), 2*ldb, rows, 2*nb, 2*panel)
}

// f64Lanes is s's memory as float32s, twice as many.
func f64Lanes(s []float64) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), 2*len(s))
}

// packBTAVX512F32Via is packBTAVX2F32's contract, by the AVX-512
// transposer of A's packer: a panel of Bᵀ is a panel of A (16 rows of b,
// each a step's 16 values).
func packBTAVX512F32Via(dst, b []float32, ldb, kb int) {
	if kb > 0 {
		packAPanelAVX512F32(dst[:16*kb], b[:15*ldb+kb], ldb, kb)
	}
}

// packAAVX512 packs as packAGeneric does (mr = lanes): whole panels of A
// (not transposed) in assembly, lanes columns at a time and the last few
// under a mask; partial panels in Go. op(A) = Aᵀ (the
// dW GEMM's Xᵀ) has a step's mr values contiguous in a: it is B's packing
// with the roles of rows and columns exchanged, so the rows packer does
// it, 64 steps a call to bound its work.
func packAAVX512[T Float](dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr, lanes int, panel func(dst, a []T, lda, kb int), rows func(dst, b []T, ldb, rows, nb, panel int)) {
	if trans {
		if mr != lanes || kb == 0 {
			packAGeneric(dst, a, lda, trans, i0, p0, mb, kb, mr)
			return
		}
		packBRowsAVX512(dst[:roundUp(mb, mr)*kb], a[p0*lda+i0:], lda, kb, mb, mr, mr*kb, rows)
		return
	}
	if kb == 0 {
		return // nothing to pack; A may be empty, so no row of it is sliced
	}
	for ip := 0; ip < mb; ip += mr {
		out := dst[ip*kb : (ip+mr)*kb]
		rows := min(mr, mb-ip)
		src := a[(i0+ip)*lda+p0:]
		if rows <= 2 {
			// A panel of 1 or 2 rows (a job of few rows on a PackedW):
			// zeroed whole, then each row's values spread mr apart. A
			// clear of the padding at each step took a quarter of a
			// one-row pass; from 4 rows on, the spread's passes over the
			// panel cost more than the clears (TUNING.md, shortRows).
			clear(out)
			for ii := range rows {
				o := out[ii:]
				for p, v := range src[ii*lda : ii*lda+kb] {
					o[p*mr] = v
				}
			}
			continue
		}
		if rows == mr {
			panel(out, src[:(mr-1)*lda+kb], lda, kb)
			continue
		}
		for p := range kb {
			o := out[p*mr : p*mr+mr]
			for ii := range rows {
				o[ii] = src[ii*lda+p]
			}
			clear(o[rows:])
		}
	}
}

func packAAVX512F32(dst, a []float32, lda int, trans bool, i0, p0, mb, kb, mr int) {
	packAAVX512(dst, a, lda, trans, i0, p0, mb, kb, mr, 16, packAPanelAVX512F32, packBRowsAVX512F32)
}

func packAAVX512F64(dst, a []float64, lda int, trans bool, i0, p0, mb, kb, mr int) {
	packAAVX512(dst, a, lda, trans, i0, p0, mb, kb, mr, 8, packAPanelAVX512F64, packBRowsAVX512F64)
}

// packBAVX512 packs as packBGeneric does, nr being one vector: B (not
// transposed) by packBRowsAVX512. op(B) = Bᵀ (the dX GEMM's Wᵀ) has a
// panel's nr columns in nr rows of b: a transposer packs whole panels,
// one a call (float32: 16×16 blocks by AVX-512, the last steps by AVX2;
// float64: AVX2's 2×2 blocks; every AVX-512 CPU has AVX2), Go the last
// partial panel (TUNING.md: in Go it dominated a small backward pass).
func packBAVX512[T Float](dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int, rows func(dst, b []T, ldb, rows, nb, panel int), cols func(dst, b []T, ldb, kb int)) {
	if kb == 0 {
		packBGeneric(dst, b, ldb, trans, p0, j0, kb, nb, nr)
		return
	}
	if !trans {
		packBRowsAVX512(dst[:roundUp(nb, nr)*kb], b[p0*ldb+j0:], ldb, kb, nb, nr, nr*kb, rows)
		return
	}
	np := nb / nr
	for jp := 0; jp < np*nr; jp += nr {
		o := (j0+jp)*ldb + p0
		cols(dst[jp*kb:(jp+nr)*kb], b[o:o+(nr-1)*ldb+kb], ldb, kb)
	}
	if np*nr < nb {
		packBGeneric(dst[np*nr*kb:], b, ldb, trans, p0, j0+np*nr, kb, nb-np*nr, nr)
	}
}

// packBRowsAVX512 is packBRowsGeneric (pack.go) for nr one vector, by the
// assembly, 64 rows a call to bound its work.
func packBRowsAVX512[T Float, S any](dst []T, b []S, ldb, rows, nb, nr, panel int, asm func(dst []T, b []S, ldb, rows, nb, panel int)) {
	if rows == 0 || nb == 0 {
		return
	}
	dst = dst[:(ceilDiv(nb, nr)-1)*panel+rows*nr]
	const chunk = 64
	for p := 0; p < rows; p += chunk {
		n := min(chunk, rows-p)
		asm(dst[p*nr:], b[p*ldb:p*ldb+(n-1)*ldb+nb], ldb, n, nb, panel)
	}
}

// packBRowsHAVX512 is packBRowsAVX512 for a bfloat16 B (nr = 16),
// widened as packBRowsHAVX512F32 loads it.
func packBRowsHAVX512(dst []float32, b []BF16, ldb, rows, nb, nr, panel int) {
	packBRowsAVX512(dst, bf16Bits(b), ldb, rows, nb, nr, panel, packBRowsHAVX512F32)
}

// packBTHAVX512F32 is packBTAVX512F32Via for a bfloat16 b (a panel of 16
// stored rows ldb apart, kb steps), widened: the blocks of 16 steps by
// packAPanelHAVX512F32, the few steps past the last in Go.
func packBTHAVX512F32(dst []float32, b []BF16, ldb, kb int) {
	k16 := kb &^ 15
	if k16 > 0 {
		packAPanelHAVX512F32(dst[:16*k16], bf16Bits(b[:15*ldb+k16]), ldb, k16)
	}
	for p := k16; p < kb; p++ {
		for i := range 16 {
			dst[p*16+i] = b[i*ldb+p].Float32()
		}
	}
}

func packBAVX512F32(dst, b []float32, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	packBAVX512(dst, b, ldb, trans, p0, j0, kb, nb, nr, packBRowsAVX512F32, packBTAVX512F32Via)
}

func packBAVX512F64(dst, b []float64, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	packBAVX512(dst, b, ldb, trans, p0, j0, kb, nb, nr, packBRowsAVX512F64, packBTAVX2F64)
}
