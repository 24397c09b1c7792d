//go:build !(amd64 || arm64) || !gc || purego

package kernels

// bf16PathOps returns the conversions of the path named name: the
// generic Go code in a build without assembly.
func bf16PathOps(name string) bf16Ops { return bf16Generic }
