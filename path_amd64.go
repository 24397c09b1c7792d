//go:build amd64 && gc && !purego

package kernels

import (
	"os"

	"golang.org/x/sys/cpu"
)

// CPU features of the assembly paths. x/sys/cpu reports a feature only
// when the operating system also saves its registers (XGETBV), so a
// reported feature is usable.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ
	// hasBF16Dot: the AVX-512 path has VDPBF16PS tiles (bf16dot.go) for
	// the core classes whose entry takes them (classEntries: not
	// intel-server), unless FUSEDRELU_BF16DOT=0 asks for the widening
	// route everywhere.
	hasBF16Dot = hasAVX512 && cpu.X86.HasAVX512BF16 && os.Getenv("FUSEDRELU_BF16DOT") != "0"
	// hasCvtBF16: AVX512_BF16's VCVTNE2PS2BF16 rounds float32 to bfloat16
	// (the assembly checks each vector for the denormal inputs it would
	// flush, and rounds those on the integer bits). FUSEDRELU_BF16DOT=0
	// turns it off with the dot product, so that a core with AVX512_BF16
	// runs, and CI tests, what a core without it runs.
	hasCvtBF16 = hasBF16Dot
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
