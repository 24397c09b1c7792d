//go:build (amd64 || arm64) && gc && !purego

package kernels

import "unsafe"

// The Go wrappers of the conversions' assembly (the routines and their
// doc comments are in kernels_amd64.go and kernels_arm64.go). A routine
// converts whole blocks of a path's block elements and trusts its wrapper
// for that; the wrapper hands it at most bf16Chunk elements a call, since
// assembly cannot be preempted, and converts the tail in Go.

// bf16Chunk is the elements of one call: 64 KiB of float32, a few
// microseconds from DRAM; a multiple of every block.
const bf16Chunk = 16 << 10

// bf16Bits is s as []uint16, the assembly's type (the generator's
// signatures know only Go's own types).
func bf16Bits(s []BF16) []uint16 { return unsafe.Slice((*uint16)(unsafe.SliceData(s)), len(s)) }

// bf16Via returns the conversions done by to and from on whole blocks of
// block elements (a power of two) and by the generic code on the rest.
func bf16Via(to func(dst []uint16, src []float32), from func(dst []float32, src []uint16), block int) bf16Ops {
	return bf16Ops{
		to: func(dst []BF16, src []float32) {
			dst = dst[:len(src)]
			for len(src) >= block {
				n := min(len(src), bf16Chunk) &^ (block - 1)
				to(bf16Bits(dst[:n]), src[:n])
				dst, src = dst[n:], src[n:]
			}
			toBF16Generic(dst, src)
		},
		from: func(dst []float32, src []BF16) {
			dst = dst[:len(src)]
			for len(src) >= block {
				n := min(len(src), bf16Chunk) &^ (block - 1)
				from(dst[:n], bf16Bits(src[:n]))
				dst, src = dst[n:], src[n:]
			}
			fromBF16Generic(dst, src)
		},
	}
}
