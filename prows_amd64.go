//go:build amd64 && gc && !purego

package kernels

import "unsafe"

// packedRowsVia is ops.packedRows on the paths whose tiles' panels are
// 64 bytes wide (nr = 64 bytes of T: AVX-512's one-vector tiles, AVX2's
// 6×16 and 6×8): the assembly for 4, 2 or 1 rows, its operands' extents
// checked first (it trusts them).
func packedRowsVia[T Float](f4, f2, f1 func(dst []T, ldd int, a []T, lda int, b []T, kb, np int)) func(dst []T, ldd int, a []T, lda int, b []T, kb, np, rows int) {
	return func(dst []T, ldd int, a []T, lda int, b []T, kb, np, rows int) {
		var z T
		nr := 64 / int(unsafe.Sizeof(z))
		if np == 0 {
			return
		}
		dst = dst[:(rows-1)*ldd+np*nr]
		if kb > 0 {
			a = a[:(rows-1)*lda+kb]
		}
		b = b[:np*nr*kb]
		if raceEnabled {
			raceRead(b)
			for r := range rows {
				raceWrite(dst[r*ldd : r*ldd+np*nr])
				if kb > 0 {
					raceRead(a[r*lda : r*lda+kb])
				}
			}
		}
		switch rows {
		case 4:
			f4(dst, ldd, a, lda, b, kb, np)
		case 2:
			f2(dst, ldd, a, lda, b, kb, np)
		case 1:
			f1(dst, ldd, a, lda, b, kb, np)
		default:
			panic("kernels: packedRows of other than 1, 2 or 4 rows")
		}
	}
}
