package kernels

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Cache sizes assumed where cpuid cannot tell (an emulator, an unknown
// vendor): those of a small current core.
const (
	defaultL1D = 32 << 10
	defaultL2  = 1 << 20
	defaultL3  = 8 << 20
)

func cacheSizes() (l1d, l2, l3 int) {
	c := cpuid.CPU.Cache
	return max(c.L1D, 0), max(c.L2, 0), max(c.L3, 0)
}

func cpuName() string {
	if s := strings.TrimSpace(cpuid.CPU.BrandName); s != "" {
		return s
	}
	return "unknown " + cpuid.CPU.VendorString
}

// blockSizes derives the cache blocking of a size-byte element type for
// an mr×nr register tile from the cache sizes, as BLIS's analytical model
// does (Low et al., "Analytical modeling is enough for high-performance
// BLIS", 2016), in a simplified form:
//
//   - kc: a kc×nr micro-panel of B takes twice L1, so that it streams from
//     L2 along with the micro-panels of A (which cost nothing measurable
//     there: BenchmarkAVX512Operands), and K up to 1024 is one panel: every
//     further K panel is one more pass over C, whose tiles' rows often share
//     an L1 set. kc = 1024 against 512 (the panel in L1), the benchmarks of
//     the fused passes run from two test binaries in turn (6 rounds of
//     -benchtime 0.5s; 4 for the backward): forward f32 1024³ 98.1 → 101.8
//     GFLOPS (median), 256×1024×1024 92.5 → 102.0, backward 1024³ 95.1 →
//     98.4; f64 within the noise (1024³ 44.3 → 43.7, 256×1024×1024 49.4 →
//     49.8). 256 against 512 had been 0-4% slower. For float64 again
//     (2026-11-28, 3 processes each of -test.benchtime 4x -test.count 5,
//     best per process, kc 1024 / 512 / 256): forward 1024³ 47.0–49.3 /
//     49.0–50.1 / 49.6–50.6, 256×1024×1024 52.6–54.5 / 51.4–53.9 /
//     48.5–50.7, backward 1024³ 43.4–46.3 / 44.7–45.9 / 46.3–46.8: no
//     kc wins everywhere. (The float64 tile's loss in place is the
//     micro-panel of B coming from L3 for only mc/16 = 4 tiles: a block
//     loop over the same panel of B ran at 56–57 GFLOPS, over new ones at
//     46–55, the bare tile at 57–58.)
//   - but no larger than leaves the micro-panel of B at least 8 row tiles
//     of A (mc ≥ 8·mr) in the block of A below: it comes from L3 for
//     the first of them. This halves float64's kc on AVX-512 (mc 64 → 128)
//     and changes no other path's. Float64 on AVX-512, kc/mc 1024/64 →
//     512/128 (a temporary benchmark setting the blocking, 6 rounds of
//     0.5 s in turn, 2026-11-28, medians, GFLOPS): forward 1024³ 44.4 →
//     48.7, 256×1024×1024 51.9 → 50.9; backward 1024³ 39.1 → 44.2,
//     256×1024×1024 40.8 → 44.0 (768/80 between the two).
//   - mc: the packed mc×kc block of A takes half of L2;
//   - nc: the packed kc×nc block of B takes a quarter of L3, which is
//     shared by every core.
func blockSizes(size, mr, nr int) blocking {
	l1, l2, l3 := cacheSizes()
	return blockSizesFor(l1, l2, l3, size, mr, nr)
}

// blockSizesFor is blockSizes for the given cache sizes (0 or less: the
// defaults above).
func blockSizesFor(l1, l2, l3, size, mr, nr int) blocking {
	if l1 <= 0 {
		l1 = defaultL1D
	}
	if l2 <= 0 {
		l2 = defaultL2
	}
	if l3 <= 0 {
		l3 = defaultL3
	}
	kc := clamp(2*l1/(nr*size), 64, 1024)
	kc = max(min(kc, l2/2/(8*mr*size)), 64) &^ 7
	mc := clamp(l2/2/(kc*size), mr, 1024)
	mc -= mc % mr
	nc := clamp(l3/4/(kc*size), nr, 8192)
	nc -= nc % nr
	return blocking{mc: mc, kc: kc, nc: nc}
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }
