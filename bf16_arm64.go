//go:build arm64 && gc && !purego

package kernels

// bf16PathOps returns the conversions of the path named name: the NEON
// assembly (4 elements a vector, 2 vectors a block), the generic Go code
// on the others.
func bf16PathOps(name string) bf16Ops {
	if name == "neon" {
		return bf16Via(toBF16NEON, fromBF16NEON, 8)
	}
	return bf16Generic
}
