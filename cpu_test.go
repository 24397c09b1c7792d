package kernels

import (
	"fmt"
	"testing"
)

// TestBlockSizes checks the blocking model (cpu.go): its figures for
// the caches of this project's reference core (32 KiB L1, 1 MiB L2,
// 32 MiB L3), and its invariants for every path's tile over a range of
// cache sizes.
func TestBlockSizes(t *testing.T) {
	for _, c := range []struct {
		size, mr, nr int
		want         blocking
	}{
		{4, 16, 16, blocking{mc: 128, kc: 1024, nc: 2048, nc1: 128, stream: 8 << 20}}, // AVX-512 f32
		{8, 16, 8, blocking{mc: 128, kc: 512, nc: 2048, nc1: 128, stream: 8 << 20}},   // AVX-512 f64: kc halved for mc ≥ 8·mr
		{4, 6, 16, blocking{mc: 126, kc: 1024, nc: 2048, nc1: 128, stream: 8 << 20}},  // AVX2 f32
		{8, 6, 8, blocking{mc: 60, kc: 1024, nc: 1024, nc1: 64, stream: 8 << 20}},     // AVX2 f64
	} {
		if got := blockSizesFor(32<<10, 1<<20, 32<<20, c.size, c.mr, c.nr); got != c.want {
			t.Errorf("size %d, %d×%d tile: got %+v, want %+v", c.size, c.mr, c.nr, got, c.want)
		}
	}
	// blockSizesQuarterA on the caches of the Intel server core it was
	// measured on (48 KiB L1, 2 MiB L2, 260 MiB L3).
	for _, c := range []struct {
		size, mr, nr int
		want         blocking
	}{
		{4, 16, 16, blocking{mc: 128, kc: 1024, nc: 8192, nc1: 256, stream: 16 << 20}},
		{8, 16, 8, blocking{mc: 64, kc: 1024, nc: 8192, nc1: 128, stream: 16 << 20}},
	} {
		if got := quarterA(blockSizesFor(48<<10, 2<<20, 260<<20, c.size, c.mr, c.nr), c.mr); got != c.want {
			t.Errorf("quarterA, size %d, %d×%d tile: got %+v, want %+v", c.size, c.mr, c.nr, got, c.want)
		}
	}
	// AVX-512, AVX2 (and NEON float64), NEON float32, generic.
	tiles := [][3]int{{4, 16, 16}, {8, 16, 8}, {4, 6, 16}, {8, 6, 8}, {4, 12, 8}, {4, 4, 2}, {8, 4, 2}}
	for _, l1 := range []int{0, 16 << 10, 32 << 10, 48 << 10, 64 << 10} {
		for _, l2 := range []int{0, 256 << 10, 512 << 10, 1 << 20, 2 << 20} {
			for _, l3 := range []int{0, 4 << 20, 32 << 20, 256 << 20} {
				for _, tl := range tiles {
					size, mr, nr := tl[0], tl[1], tl[2]
					b := blockSizesFor(l1, l2, l3, size, mr, nr)
					name := fmt.Sprintf("L1 %d L2 %d L3 %d, size %d, %d×%d: %+v", l1, l2, l3, size, mr, nr, b)
					l2 := l2
					if l2 <= 0 {
						l2 = defaultL2
					}
					switch {
					case b.kc%8 != 0 || b.kc < 64 || b.kc > 1024:
						t.Errorf("%s: kc not a multiple of 8 in [64, 1024]", name)
					case b.mc < mr || b.mc%mr != 0:
						t.Errorf("%s: mc not a positive multiple of mr", name)
					case b.nc < nr || b.nc%nr != 0:
						t.Errorf("%s: nc not a positive multiple of nr", name)
					case b.mc > mr && b.mc*b.kc*size > l2/2:
						t.Errorf("%s: the block of A takes more than half of L2", name)
					case b.kc > 64 && b.mc < 8*mr:
						t.Errorf("%s: a micro-panel of B serves fewer than 8 row tiles", name)
					case b.nc1 < nr || b.nc1%nr != 0 || b.nc1 > b.nc || b.nc1 < b.nc && b.nc1%64 != 0:
						t.Errorf("%s: nc1 not a multiple of nr (and of 64 below nc) in [nr, nc]", name)
					case b.nc1 > 64 && b.nc1*b.kc*size > l2/2:
						t.Errorf("%s: a block of B of nc1 columns takes more than half of L2", name)
					case b.stream != 8*l2:
						t.Errorf("%s: stream not 8 times L2", name)
					}
					if q := quarterA(b, mr); q.kc != b.kc || q.nc != b.nc || q.mc < mr || q.mc%mr != 0 || q.mc > mr && q.mc*q.kc*size > l2/4 {
						t.Errorf("%s: quarterA gives %+v", name, q)
					}
				}
			}
		}
	}
}
