//go:build arm64 && gc && !purego

package fma

import "golang.org/x/sys/cpu"

// The FMA loops of fma_arm64.s. Each is the assembly form of
//
//	var acc [16]vector // zero
//	for range iters {
//		for i := range acc {
//			acc[i] += x * y // one fused multiply-add (FMLA) per lane
//		}
//	}
//
// with the 16 accumulators and x, y in vector registers.

//go:noescape
func fmaNEONS4(iters int)

//go:noescape
func fmaNEOND2(iters int)

// Loops returns the loops this CPU can run, each with its flops per
// iteration: 16 accumulators × lanes × 2.
func Loops() []Loop {
	if !cpu.ARM64.HasASIMD {
		return goLoops()
	}
	return []Loop{{"neon", "f32", 16 * 4 * 2, fmaNEONS4}, {"neon", "f64", 16 * 2 * 2, fmaNEOND2}}
}
