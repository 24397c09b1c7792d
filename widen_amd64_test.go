//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"testing"
)

// The packers of the wide tiles (widen_amd64.go) against the generic ones,
// bit for bit: packA (A and Aᵀ), packB (B and Bᵀ) and packBRows for every wide tile's nr, over
// blocks that start inside B, widths around the vector, the panel and a
// group of widenB, and rows around its chunks; then packDZB through
// testPackDZB, against the composition with the generic rows packer.
func TestAVX512WidePackers(t *testing.T) {
	gemmAVX512Impl(t)
	// The one-vector tiles' packers are the path's, tested on their own.
	for _, s := range avx512Shapes32 {
		if s.nr == 16 {
			continue
		}
		testWidePackers(t, avx512GEMM32For(s))
		o := avx512Path.f32
		o.gemmConfig = avx512GEMM32For(s)
		o.packBRows = packBRowsGeneric[float32]
		testPackDZB(t, &o)
	}
	for _, s := range avx512Shapes64 {
		if s.nr == 8 {
			continue
		}
		testWidePackers(t, avx512GEMM64For(s))
		o := avx512Path.f64
		o.gemmConfig = avx512GEMM64For(s)
		o.packBRows = packBRowsGeneric[float64]
		testPackDZB(t, &o)
	}
}

func testWidePackers[T Float](t *testing.T, g gemmConfig[T]) {
	nr, mr := g.nr, g.mr
	r := newRand(uint64(nr) + 3)
	// A and Aᵀ into mr-row panels, blocks inside A, rows around the
	// panels and pairs of them, steps around the vector and the chunks.
	for _, kb := range []int{1, 7, 8, 16, 17, 63, 64, 65, 130} {
		for _, mb := range dedup(append(around(mr), 2*mr-1, 2*mr, 2*mr+3, 5*mr+1)) {
			if mb <= 0 {
				continue
			}
			i0, p0 := r.IntN(3), r.IntN(3)
			lda := max(i0+mb, p0+kb) + r.IntN(5)
			a := x512Rand[T](r, (max(i0+mb, p0+kb)+1)*lda, 0.05)
			for _, trans := range []bool{false, true} {
				size := roundUp(mb, mr) * kb
				got, want := x512Rand[T](r, size+8, 0), make([]T, size+8)
				copy(want[size:], got[size:])
				g.packA(got, a, lda, trans, i0, p0, mb, kb, mr)
				packAGeneric(want, a, lda, trans, i0, p0, mb, kb, mr)
				sameBits(t, fmt.Sprintf("%s packA mr=%d trans=%v kb=%d mb=%d", typeName[T](), mr, trans, kb, mb), got, want)
			}
		}
	}
	for _, kb := range []int{1, 3, 8, 17, 33, 64, 100} {
		for _, nb := range dedup(append(around(nr), 1, 15, 16, 17, 2*nr+5, 255, 256, 257, 300)) {
			if nb <= 0 {
				continue
			}
			p0, j0 := r.IntN(3), r.IntN(40)
			ldb := j0 + nb + r.IntN(9)
			b := x512Rand[T](r, (p0+kb)*ldb, 0.05)
			size := roundUp(nb, nr) * kb
			got, want := x512Rand[T](r, size+8, 0), make([]T, size+8)
			copy(want[size:], got[size:])
			g.packB(got, b, ldb, false, p0, j0, kb, nb, nr)
			packBGeneric(want, b, ldb, false, p0, j0, kb, nb, nr)
			sameBits(t, fmt.Sprintf("%s packB nr=%d kb=%d nb=%d", typeName[T](), nr, kb, nb), got, want)

			// Bᵀ: b is nb rows of kb values (W for dX).
			ldt := p0 + kb + r.IntN(5)
			bt := x512Rand[T](r, (j0+nb)*ldt, 0.05)
			got, want = x512Rand[T](r, size+8, 0), make([]T, size+8)
			copy(want[size:], got[size:])
			g.packB(got, bt, ldt, true, p0, j0, kb, nb, nr)
			packBGeneric(want, bt, ldt, true, p0, j0, kb, nb, nr)
			sameBits(t, fmt.Sprintf("%s packBᵀ nr=%d kb=%d nb=%d", typeName[T](), nr, kb, nb), got, want)

			// Rows into panels panel elements apart, from row s of a block.
			panel := nr*kb + nr*r.IntN(3)
			n := roundUp(nb, nr) / nr * panel
			got, want = x512Rand[T](r, n, 0), nil
			want = append(want, got...)
			s := kb / 2
			g.packBRows(got[s*nr:], b[j0:], ldb, kb-s, nb, nr, panel)
			packBRowsGeneric(want[s*nr:], b[j0:], ldb, kb-s, nb, nr, panel)
			sameBits(t, fmt.Sprintf("%s packBRows nr=%d kb=%d nb=%d", typeName[T](), nr, kb, nb), got, want)
		}
	}
}

// sameBits fails at the first element of got that differs from want in
// any bit.
func sameBits[T Float](t *testing.T, name string, got, want []T) {
	t.Helper()
	for i := range want {
		if x512Bits(got[i]) != x512Bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}
