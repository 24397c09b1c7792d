//go:build amd64 && gc && !purego

package kernels

import "golang.org/x/sys/cpu"

// CPU features of the assembly paths. x/sys/cpu reports a feature only
// when the operating system also saves its registers (XGETBV), so a
// reported feature is usable.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ
)

// archImpls returns the assembly paths this CPU supports, worst first.
func archImpls() []*impl {
	var ps []*impl
	if hasAVX2 {
		ps = append(ps, newImpl("avx2", avx2Ops32(), avx2Ops64()))
	}
	if hasAVX512 {
		ps = append(ps, newImpl("avx512", avx512Ops32(), avx512Ops64()))
	}
	return ps
}

// Each path starts from the generic kernels and replaces those it has in
// assembly.

func avx2Ops32() ops[float32] {
	o := genericOps[float32]()
	o.relu = reluVia(reluAVX2F32, 8)
	o.stepMask = stepMaskVia(stepMaskAVX2F32)
	o.stepGrad = stepGradVia(stepGradAVX2F32, 8)
	o.stepGradMask = stepGradMaskVia(stepGradMaskAVX2F32)
	o.adam = adamVia(adamAVX2F32, 8, chunkLen[float32]())
	setAVX2GEMM32(&o)
	setAVX2Rows32(&o)
	return o
}

func avx2Ops64() ops[float64] {
	o := genericOps[float64]()
	o.relu = reluVia(reluAVX2F64, 4)
	o.stepMask = stepMaskVia(stepMaskAVX2F64)
	o.stepGrad = stepGradVia(stepGradAVX2F64, 4)
	o.stepGradMask = stepGradMaskVia(stepGradMaskAVX2F64)
	o.adam = adamVia(adamAVX2F64, 4, chunkLen[float64]())
	setAVX2GEMM64(&o)
	setAVX2Rows64(&o)
	return o
}

func avx512Ops32() ops[float32] {
	o := genericOps[float32]()
	o.relu = reluVia(reluAVX512F32, 16)
	o.stepMask = stepMaskVia(stepMaskAVX512F32)
	o.stepGrad = stepGradVia(stepGradAVX512F32, 16)
	o.stepGradMask = stepGradMaskVia(stepGradMaskAVX512F32)
	o.adam = adamVia(adamAVX512F32, 16, chunkLen[float32]())
	setAVX512GEMM32(&o)
	setAVX512Rows32(&o)
	return o
}

func avx512Ops64() ops[float64] {
	o := genericOps[float64]()
	o.relu = reluVia(reluAVX512F64, 8)
	o.stepMask = stepMaskVia(stepMaskAVX512F64)
	o.stepGrad = stepGradVia(stepGradAVX512F64, 8)
	o.stepGradMask = stepGradMaskVia(stepGradMaskAVX512F64)
	o.adam = adamVia(adamAVX512F64, 8, chunkLen[float64]())
	setAVX512GEMM64(&o)
	setAVX512Rows64(&o)
	return o
}
