//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkAVX512Tiles measures every register tile of the package
// (avx512Shapes32/64) bare, as BenchmarkAVX512Tile does today's: β = 1,
// no epilogue, the panels of A and B the same on every call (in L1 for
// kc = 256; in L2 for the wide tiles at kc = 1024). Run it beside
// BenchmarkAVX512FMAPeak:
//
//	go test -run '^$' -bench 'AVX512(Tiles|FMAPeak)$' -count 5 .
func BenchmarkAVX512Tiles(b *testing.B) {
	gemmAVX512Impl(b)
	for _, kc := range []int{256, 1024} {
		for _, s := range avx512Shapes32 {
			benchTileShape(b, s, kc)
		}
		for _, s := range avx512Shapes64 {
			benchTileShape(b, s, kc)
		}
	}
}

func benchTileShape[T Float](b *testing.B, s avx512Shape[T], kc int) {
	b.Run(fmt.Sprintf("%s/%dx%d/kc=%d", x512TypeName[T](), s.mr, s.nr, kc), func(b *testing.B) {
		a, bb, c := make([]T, s.mr*kc), make([]T, s.nr*kc), make([]T, s.mr*s.nr)
		benchLoop(b, float64(2*s.mr*s.nr*kc), func() {
			s.call(a, bb, s.nr, kc, c, s.nr, s.mr, s.nr, 1, 0, nil, nil, 0, 0, c, s.nr, nil, 0, 0, 0, 0)
		})
	})
}
