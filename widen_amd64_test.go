//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"testing"
)

// The packers of the wide tiles (widen_amd64.go) against the generic ones,
// bit for bit: packB (B and Bᵀ) and packBRows for every wide tile's nr, over
// blocks that start inside B, widths around the vector, the panel and a
// group of widenB, and rows around its chunks; then packDZB through
// testPackDZB, against the composition with the generic rows packer.
func TestAVX512WidePackers(t *testing.T) {
	gemmAVX512Impl(t)
	// The one-vector tiles' packers are the path's, tested on their own.
	for _, s := range avx512Shapes32[2:] {
		testWidePackers(t, avx512GEMM32For(s))
	}
	for _, s := range avx512Shapes64[2:] {
		testWidePackers(t, avx512GEMM64For(s))
	}
	for _, s := range avx512Shapes32[2:] {
		o := avx512Path.f32
		o.gemmConfig = avx512GEMM32For(s)
		o.packBRows = packBRowsGeneric[float32]
		testPackDZB(t, &o)
	}
	for _, s := range avx512Shapes64[2:] {
		o := avx512Path.f64
		o.gemmConfig = avx512GEMM64For(s)
		o.packBRows = packBRowsGeneric[float64]
		testPackDZB(t, &o)
	}
}

func testWidePackers[T Float](t *testing.T, g gemmConfig[T]) {
	nr := g.nr
	r := newRand(uint64(nr) + 3)
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
