//go:build amd64 && gc && !purego

package kernels

// packDZBAVX512F32 and packDZBAVX512F64, the dZ packers in assembly, are
// declared in kernels_amd64.go with the Go they replace; _gen/dzpack.go
// writes them.

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
