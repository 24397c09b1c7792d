//go:build arm64 && gc && !purego

package kernels

import "golang.org/x/sys/cpu"

// archImpls returns the assembly paths this CPU supports, worst first
// (the table entry: config_arm64.go).
//
// Advanced SIMD (NEON) is part of the ARMv8-A baseline that Go requires,
// but the path is still gated on the feature flag, so that a CPU or an
// operating system that reports it missing gets the generic code.
func archImpls() []*impl {
	if !cpu.ARM64.HasASIMD {
		return nil
	}
	return []*impl{newPath(neonPath)}
}
