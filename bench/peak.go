package main

import (
	"math"
	"time"

	"github.com/fusedrelu/kernels/bench/internal/fma"
)

// peak is one loop's measured speed.
type peak struct {
	ISA    string  `json:"isa"`
	Dtype  string  `json:"dtype"`
	GFLOPS float64 `json:"gflops"`
}

// measurePeaks times every FMA loop this CPU can run, each for budget, as
// the fastest of many short calls (a fraction of a millisecond each): on
// a busy machine some of them still run undisturbed.
func measurePeaks(budget time.Duration) []peak {
	var out []peak
	for _, l := range fma.Loops() {
		l.Run(fma.ChunkIters) // warm up: clocks, the upper halves of the vector registers
		best := time.Duration(math.MaxInt64)
		for end := time.Now().Add(budget); time.Now().Before(end); {
			t0 := time.Now()
			l.Run(fma.ChunkIters)
			best = min(best, time.Since(t0))
		}
		out = append(out, peak{ISA: l.ISA, Dtype: l.Dtype, GFLOPS: float64(fma.ChunkIters) * float64(l.FlopsPerIter) / float64(best.Nanoseconds())})
	}
	return out
}

// bestPeak returns the highest peak for dtype (the machine's peak that
// the tables give percentages of), or the zero peak if none was measured.
// Of loops within 2% of each other it takes the first (the widest unit),
// so that noise does not flip the label between runs.
func bestPeak(ps []peak, dtype string) peak {
	top := 0.0
	for _, p := range ps {
		if p.Dtype == dtype {
			top = max(top, p.GFLOPS)
		}
	}
	for _, p := range ps {
		if p.Dtype == dtype && p.GFLOPS >= 0.98*top {
			return peak{ISA: p.ISA, Dtype: dtype, GFLOPS: top}
		}
	}
	return peak{}
}

// bandwidth is the memory bandwidth of one core.
type bandwidth struct {
	MiB  int     `json:"mib"`       // the size of each buffer
	Copy float64 `json:"copy_gbps"` // copy(dst, src): bytes read + written
	Read float64 `json:"read_gbps"` // a sum over src: bytes read
}

// measureBandwidth times a copy between two buffers of mib MiB, and a sum
// over one, each for budget: far larger than the caches, so it is the
// bandwidth from DRAM.
func measureBandwidth(mib int, budget time.Duration) bandwidth {
	n := mib << 20 / 8
	src, dst := make([]uint64, n), make([]uint64, n)
	for i := range src {
		src[i] = uint64(i)
	}
	bytes := float64(n * 8)
	tc := timeIt(budget, func() { copy(dst, src) })
	var total uint64
	tr := timeIt(budget, func() { total += sum(src) })
	if total == 0 && n > 1 { // src[1] = 1; reading total also keeps the sums
		panic("bench: the bandwidth sum is 0")
	}
	return bandwidth{MiB: mib, Copy: 2 * bytes / tc.Best, Read: bytes / tr.Best}
}

// sum adds s with 8 independent accumulators, so that the loads, not the
// additions, set its speed.
func sum(s []uint64) uint64 {
	var a0, a1, a2, a3, a4, a5, a6, a7 uint64
	for len(s) >= 8 {
		a0 += s[0]
		a1 += s[1]
		a2 += s[2]
		a3 += s[3]
		a4 += s[4]
		a5 += s[5]
		a6 += s[6]
		a7 += s[7]
		s = s[8:]
	}
	for _, v := range s {
		a0 += v
	}
	return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}
