//go:build amd64 && gc && !purego

package kernels

import (
	"sync"
	"unsafe"
)

// The packers of B for tiles of several vectors of B (nr = v·lanes): the
// one-vector packers (packBAVX512, packBRowsAVX512, packDZBAVX512) pack
// a few rows of a group of columns into a small buffer on the stack as
// one-vector micro-panels, and each row of those is copied to its place
// in the nr-wide panel. The copy is L1 to L1 and the one-vector packer
// keeps its order of reads (8 rows at a time across the panels), so the
// wide panel costs one more pass over data in L1, not over B.

// widenCols and widenElems bound a group: columns a multiple of 64 (the
// mask words of packDZB start at a group's first column) and of every
// wide nr, elements a 32 KiB (float64) buffer.
const widenCols, widenElems = 256, 4096

// widenFree holds widenB's buffers between calls: as many as have been
// in use at once, kept (a sync.Pool would drop them at each GC, and the
// calls after it would allocate).
var widenFree struct {
	sync.Mutex
	bufs []*[widenElems]float64
}

func widenGet() *[widenElems]float64 {
	widenFree.Lock()
	defer widenFree.Unlock()
	if n := len(widenFree.bufs); n > 0 {
		b := widenFree.bufs[n-1]
		widenFree.bufs = widenFree.bufs[:n-1]
		return b
	}
	return new([widenElems]float64)
}

func widenPut(b *[widenElems]float64) {
	widenFree.Lock()
	widenFree.bufs = append(widenFree.bufs, b)
	widenFree.Unlock()
}

// widenB packs rows × nb elements into nr-column micro-panels panel
// elements apart (element (p, j) at dst[j/nr*panel+p*nr+j%nr], columns
// past nb of the last panel zero), by fill, which packs rows p … p+r−1 of
// columns j … j+w−1 into tmp as lanes-column micro-panels lanes·r apart.
func widenB[T Float](dst []T, panel, nr, lanes, rows, nb int, fill func(tmp []T, p, r, j, w int)) {
	// The buffer comes from a free list: handed to fill (a func value) it
	// would otherwise be allocated on every call.
	pb := widenGet()
	defer widenPut(pb)
	buf := unsafe.Slice((*T)(unsafe.Pointer(pb)), widenElems)
	for j := 0; j < nb; j += widenCols {
		w := min(widenCols, nb-j)
		wv := roundUp(w, lanes)
		step := max(1, min(rows, widenElems/wv))
		for p := 0; p < rows; p += step {
			r := min(step, rows-p)
			tmp := buf[:wv*r]
			fill(tmp, p, r, j, w)
			for v := 0; v < wv/lanes; v++ {
				col := j + v*lanes
				out := dst[col/nr*panel+p*nr+col%nr:]
				src := tmp[v*lanes*r:]
				for q := range r {
					copy(out[q*nr:q*nr+lanes], src[q*lanes:q*lanes+lanes])
				}
			}
		}
	}
	// The vectors of the last panel past nb's last one: zero.
	if last := roundUp(nb, lanes); last%nr != 0 {
		out := dst[last/nr*panel:]
		for q := range rows {
			clear(out[q*nr+last%nr : q*nr+nr])
		}
	}
}

// widePackB is ops.packB for nr-column micro-panels from one, the packer
// of lanes-column ones.
func widePackB[T Float](lanes int, one func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int)) func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	return func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
		if nr == lanes || kb == 0 {
			one(dst, b, ldb, trans, p0, j0, kb, nb, nr)
			return
		}
		dst = dst[:roundUp(nb, nr)*kb]
		widenB(dst, nr*kb, nr, lanes, kb, nb, func(tmp []T, p, r, j, w int) {
			one(tmp, b, ldb, trans, p0+p, j0+j, r, w, lanes)
		})
	}
}

// widePackBRows is ops.packBRows for nr-column micro-panels from one, the
// rows packer of lanes-column ones.
func widePackBRows[T Float](lanes int, one func(dst, b []T, ldb, rows, nb, nr, panel int)) func(dst, b []T, ldb, rows, nb, nr, panel int) {
	return func(dst, b []T, ldb, rows, nb, nr, panel int) {
		if nr == lanes || rows == 0 || nb == 0 {
			one(dst, b, ldb, rows, nb, nr, panel)
			return
		}
		dst = dst[:(ceilDiv(nb, nr)-1)*panel+rows*nr]
		widenB(dst, panel, nr, lanes, rows, nb, func(tmp []T, p, r, j, w int) {
			one(tmp, b[p*ldb+j:], ldb, r, w, lanes, lanes*r)
		})
	}
}

// widePackDZB is ops.packDZB for nr-column micro-panels from one, the dZ
// packer of lanes-column ones: each value is added into db in the same
// order (rows in order for each column).
func widePackDZB[T Float](lanes int, one func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int)) func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int) {
	return func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int) {
		if nr == lanes || rows <= 0 || nb <= 0 {
			one(dst, dr, lddr, bits, stride, db, dz, lddz, rows, nb, nr, panel)
			return
		}
		dst = dst[:(ceilDiv(nb, nr)-1)*panel+rows*nr]
		widenB(dst, panel, nr, lanes, rows, nb, func(tmp []T, p, r, j, w int) {
			var dbj, dzp []T
			if len(db) != 0 {
				dbj = db[j : j+w]
			}
			if len(dz) != 0 {
				dzp = dz[p*lddz+j:]
			}
			one(tmp, dr[p*lddr+j:], lddr, bits[p*stride+j/64:], stride, dbj, dzp, lddz, r, w, lanes, lanes*r)
		})
	}
}

// packA8AVX512 is ops.packA for 8-row tiles (mr = 8; other heights go to
// packAGeneric): untransposed A 16 rows at a time by the AVX-512
// transposer of 16-row panels (packAPanelAVX512F32/F64) into a buffer,
// whose steps' halves are the steps of two 8-row panels; transposed A
// (the dW GEMM's Xᵀ) a step's 8 contiguous values at a time. The generic
// packer (an index, a multiply and a bounds check an element) took 18% of
// a backward pass with 8-row tiles (TUNING.md).
func packA8AVX512[T Float](dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int) {
	if mr != 8 || kb == 0 {
		packAGeneric(dst, a, lda, trans, i0, p0, mb, kb, mr)
		return
	}
	ip := 0
	if trans {
		for ; ip+8 <= mb; ip += 8 {
			panel := dst[ip*kb : (ip+8)*kb]
			for p := range kb {
				o := (p0+p)*lda + i0 + ip
				*(*[8]T)(panel[p*8:]) = *(*[8]T)(a[o : o+8])
			}
		}
	} else {
		const chunk = 64 // steps a call
		var buf [16 * chunk]T
		for ; ip+16 <= mb; ip += 16 {
			d0, d1 := dst[ip*kb:(ip+8)*kb], dst[(ip+8)*kb:(ip+16)*kb]
			src := a[(i0+ip)*lda+p0:]
			for p := 0; p < kb; p += chunk {
				c := min(chunk, kb-p)
				tmp := buf[:16*c]
				s := src[p : p+15*lda+c]
				if is32[T]() {
					packAPanelAVX512F32(asF32(tmp), asF32(s), lda, c)
				} else {
					packAPanelAVX512F64(asF64(tmp), asF64(s), lda, c)
				}
				for q := range c {
					*(*[8]T)(d0[(p+q)*8:]) = *(*[8]T)(tmp[q*16:])
					*(*[8]T)(d1[(p+q)*8:]) = *(*[8]T)(tmp[q*16+8:])
				}
			}
		}
	}
	if ip < mb {
		packAGeneric(dst[ip*kb:], a, lda, trans, i0+ip, p0, mb-ip, kb, mr)
	}
}
