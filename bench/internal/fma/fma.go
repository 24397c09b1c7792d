// Package fma holds register-only loops of fused multiply-adds, one per
// vector unit and element type, for measuring a core's FMA peak: each
// touches no memory, so its speed is the most any kernel can reach on that
// unit. The assembly loops (AVX-512 and AVX2 on amd64, NEON on arm64) are
// in a package of their own because the bench program uses cgo under
// -tags openblas, and a cgo package cannot hold Go assembly.
package fma

// Loop is one FMA loop: Run(iters) does iters·FlopsPerIter flops. Run
// must be called with iters small enough for a call to take well under a
// millisecond (assembly cannot be preempted): ChunkIters is such a count.
type Loop struct {
	ISA          string // avx512, avx2, neon, or go (the scalar fallback)
	Dtype        string // f32 or f64
	FlopsPerIter int
	Run          func(iters int)
}

// ChunkIters is the iterations of one call of Run: about 0.1-0.3 ms on a
// vector unit, short enough for the scheduler, long enough to time.
const ChunkIters = 1 << 16

// Sink keeps the results of the Go loops alive.
var Sink float64

// goLoops are the pure-Go loops, for builds and CPUs without an assembly
// loop: 8 independent accumulators of a·x + y, which the compiler fuses
// into one instruction where the architecture has one.
func goLoops() []Loop {
	return []Loop{{"go", "f32", 8 * 2, goFMA[float32]}, {"go", "f64", 8 * 2, goFMA[float64]}}
}

func goFMA[T float32 | float64](iters int) {
	var a0, a1, a2, a3, a4, a5, a6, a7 T
	x, y := T(0.5), T(1) // a → 2: no overflow, no subnormals
	for range iters {
		a0 = a0*x + y
		a1 = a1*x + y
		a2 = a2*x + y
		a3 = a3*x + y
		a4 = a4*x + y
		a5 = a5*x + y
		a6 = a6*x + y
		a7 = a7*x + y
	}
	Sink += float64(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7)
}
