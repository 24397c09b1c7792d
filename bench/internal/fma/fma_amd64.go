//go:build amd64 && gc && !purego

package fma

import "golang.org/x/sys/cpu"

// The FMA loops of fma_amd64.s. Each is the assembly form of
//
//	var acc [12]vector // zero
//	for range iters {
//		for i := range acc {
//			acc[i] += x * y // one fused multiply-add per lane
//		}
//	}
//
// with the 12 accumulators and x, y in vector registers.

//go:noescape
func fmaAVX512PS(iters int)

//go:noescape
func fmaAVX512PD(iters int)

//go:noescape
func fmaAVX2PS(iters int)

//go:noescape
func fmaAVX2PD(iters int)

// Loops returns the loops this CPU can run, each with its flops per
// iteration: 12 accumulators × lanes × 2.
func Loops() []Loop {
	var ls []Loop
	if cpu.X86.HasAVX512F {
		ls = append(ls, Loop{"avx512", "f32", 12 * 16 * 2, fmaAVX512PS}, Loop{"avx512", "f64", 12 * 8 * 2, fmaAVX512PD})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ls = append(ls, Loop{"avx2", "f32", 12 * 8 * 2, fmaAVX2PS}, Loop{"avx2", "f64", 12 * 4 * 2, fmaAVX2PD})
	}
	if len(ls) == 0 {
		return goLoops()
	}
	return ls
}
