//go:build arm64 && gc && !purego

package kernels

import "golang.org/x/sys/cpu"

// archImpls returns the assembly paths this CPU supports, worst first.
//
// Advanced SIMD (NEON) is part of the ARMv8-A baseline that Go requires,
// but the path is still gated on the feature flag, so that a CPU or an
// operating system that reports it missing gets the generic code.
func archImpls() []*impl {
	if !cpu.ARM64.HasASIMD {
		return nil
	}
	return []*impl{newImpl("neon", neonOps32(), neonOps64())}
}

// neonOps32 is the NEON path's float32 kernels: the generic ones with
// those that have assembly replaced. GEMM kernels (kernel, packA, packB,
// mr, nr) go here when they have assembly too.
func neonOps32() ops[float32] {
	o := genericOps[float32]()
	neonElementwise(&o, reluNEON32, stepMaskNEON32, stepGradNEON32, stepGradMaskNEON32)
	o.adam = adamVia(adamNEON32, 4, neonChunkBytes/4)
	setNEONGEMM32(&o)
	return o
}

// neonOps64 is neonOps32 for float64.
func neonOps64() ops[float64] {
	o := genericOps[float64]()
	neonElementwise(&o, reluNEON64, stepMaskNEON64, stepGradNEON64, stepGradMaskNEON64)
	o.adam = adamVia(adamNEON64, 2, neonChunkBytes/8)
	setNEONGEMM64(&o)
	return o
}
