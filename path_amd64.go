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

// archImpls returns the assembly paths this CPU supports, worst first
// (their table entries: config_amd64.go).
func archImpls() []*impl {
	var ps []*impl
	if hasAVX2 {
		ps = append(ps, newPath(avx2Path))
	}
	if hasAVX512 {
		ps = append(ps, newPath(avx512Path))
	}
	return ps
}
