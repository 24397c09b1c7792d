//go:build amd64 && gc && !purego

package kernels

// bf16PathOps returns the conversions of the path named name: the
// assembly of AVX-512 (16 elements a vector, 2 vectors a block; rounding
// by VCVTNE2PS2BF16 where the core has it) and AVX2 (8 and 2), the generic
// Go code on the others.
func bf16PathOps(name string) bf16Ops {
	switch name {
	case "avx512":
		if hasCvtBF16 {
			return bf16Via(toBF16CvtAVX512, fromBF16AVX512, 32)
		}
		return bf16Via(toBF16AVX512, fromBF16AVX512, 32)
	case "avx2":
		return bf16Via(toBF16AVX2, fromBF16AVX2, 16)
	}
	return bf16Generic
}
