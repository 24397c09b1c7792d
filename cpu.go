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
// BLIS", 2016), in a simplified form (figures: TUNING.md, Blocking):
//
//   - kc: a kc×nr micro-panel of B takes twice L1, so that it streams from
//     L2 along with the micro-panels of A, and K up to 1024 is one panel:
//     every further K panel is one more pass over C;
//   - but no larger than leaves the micro-panel of B at least 8 row tiles
//     of A (mc ≥ 8·mr) in the block of A below: it comes from L3 for the
//     first of them;
//   - mc: the packed mc×kc block of A takes half of L2;
//   - nc: the packed kc×nc block of B takes a quarter of L3, which is
//     shared by every core;
//   - nc1, the nc of a job of at most mc rows (blocking.forJob): the
//     block takes half of L2, in columns a multiple of 64 (a mask word),
//     at least 64;
//   - stream: a GEMM job of one K panel writes C with streaming stores
//     from 8 times L2: each line of C is written once, and the caches
//     would only read it in first (packedLoop.item).
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
	nc1 := min(max(l2/2/(kc*size)&^63, 64), nc)
	nc1 -= nc1 % nr
	return blocking{mc: mc, kc: kc, nc: nc, nc1: nc1, stream: 8 * l2}
}

// blockSizesQuarterA is blockSizes with A's packed block (mc×kc) a
// quarter of L2 rather than half: mc halved, a multiple of mr. L2 also
// holds the micro-panels of B on their way in from L3 and C's rows on
// theirs; with half of it taken by A, the passes with more than mc/2 rows
// ran slower on an Intel server core (TUNING.md).
func blockSizesQuarterA(size, mr, nr int) blocking {
	return quarterA(blockSizes(size, mr, nr), mr)
}

// quarterA is the blocking bl with mc halved, a multiple of mr.
func quarterA(bl blocking, mr int) blocking {
	bl.mc = max(bl.mc/2/mr*mr, mr)
	return bl
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }
