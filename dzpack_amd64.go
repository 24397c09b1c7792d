//go:build amd64 && gc && !purego

package kernels

// packDZBAVX512F32 packs rows of dZ = dR ⊙ [Z ≥ 0], built from dR and the
// mask bits, into 16-column micro-panels panel elements apart, as the dW
// GEMM's packer of B = dZ does; with db (len(db) ≠ 0) it adds each value
// into db, and with dz (len(dz) ≠ 0) writes it to dZ, rows in order. It
// is this Go (the mask bits of a row start at its column 0):
//
//	for p := range rows {
//		for j := range nb {
//			var v float32 // +0 where the mask is 0
//			if bits[p*stride+j/64]>>(j%64)&1 == 1 {
//				v = dr[p*lddr+j]
//			}
//			dst[j/16*panel+p*16+j%16] = v
//			if len(db) != 0 {
//				db[j] += v
//			}
//			if len(dz) != 0 {
//				dz[p*lddz+j] = v
//			}
//		}
//		// a partial last panel's columns past nb are zeros
//		clear(dst[nb/16*panel+p*16+nb%16 : nb/16*panel+p*16+16])
//	}
//
// in one pass, where the composition it replaces is four (stepGradMask
// into a row, then db += it by axpy, a copy to dZ and the rows packer),
// with the same bits. BenchmarkAVX512PackDZB (G elements/s, composed →
// one pass): 1024×1024 2.9–3.0 → 3.4–3.6, 256×256 3.1–3.3 → 8.2–8.4,
// 64×256 3.3–3.4 → 8.4–8.7; BenchmarkBackward f32, binaries in turn (8
// rounds of 0.3 s, medians, GFLOPS): 1024³ 100.2 → 102.8, 256×1024×1024
// 99.0 → 101.1, 64×784×256 107.2 → 108.2, 32×256×256 102.3 → 104.6.
//
//go:noescape
func packDZBAVX512F32(dst, dr []float32, lddr int, bits []uint64, stride int, db, dz []float32, lddz, rows, nb, panel int)

// packDZBAVX512F64 is packDZBAVX512F32 for float64 and 8-column
// micro-panels.
//
//go:noescape
func packDZBAVX512F64(dst, dr []float64, lddr int, bits []uint64, stride int, db, dz []float64, lddz, rows, nb, panel int)

// packDZBAVX512 is ops.packDZB by asm (packDZBAVX512F32 or F64): the
// operands sliced to what it reads and writes, so that a short one panics
// here rather than faulting there, and 64 rows a call to bound its work.
func packDZBAVX512[T Float](asm func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, panel int)) func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int) {
	return func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int) {
		if rows <= 0 || nb <= 0 {
			return
		}
		dst = dst[:(ceilDiv(nb, nr)-1)*panel+rows*nr]
		dr = dr[:(rows-1)*lddr+nb]
		bits = bits[:(rows-1)*stride+MaskWords(nb)]
		if len(db) != 0 {
			db = db[:nb]
		}
		if len(dz) != 0 {
			dz = dz[:(rows-1)*lddz+nb]
		}
		const chunk = 64
		for p := 0; p < rows; p += chunk {
			n := min(chunk, rows-p)
			var dzp []T
			if len(dz) != 0 {
				dzp = dz[p*lddz:]
			}
			asm(dst[p*nr:], dr[p*lddr:], lddr, bits[p*stride:], stride, db, dzp, lddz, n, nb, panel)
		}
	}
}
