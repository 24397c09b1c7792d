//go:build arm64 && gc && !purego

package kernels

import "unsafe"

// The elementwise kernels in NEON assembly (kernels_arm64.s).
//
// Each assembly function works on whole blocks only and has no tail
// code: relu and stepGrad on blocks of 64 bytes (16 float32 or 8
// float64, four 128-bit registers), stepMask and stepGradMask on blocks
// of 64 elements, one mask word. The Go wrappers that neonElementwise
// builds split a vector into such blocks, at most neonChunkBytes of input per
// assembly call (assembly cannot be preempted), and leave the tail to
// the generic Go code.

// neonChunkBytes bounds the float input that one assembly call reads
// (stepGradMask reads its mask words besides, 1/32 or 1/64 as many
// bytes): 64 KiB take a few microseconds even from DRAM.
const neonChunkBytes = 64 << 10

// neonElementwise sets the elementwise kernels of o to wrappers around
// the given assembly functions (those of T's size above).
func neonElementwise[T Float](o *ops[T],
	relu func(dst, x []T),
	stepMask func(bits []uint64, z []T),
	stepGrad func(dz, dr, z []T),
	stepGradMask func(dz, dr []T, bits []uint64),
) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	vec := 64 / size             // elements of a relu or stepGrad block: 16 or 8
	one := neonChunkBytes / size // elements per call with one input vector; a multiple of 64
	two := one / 2               // with two (stepGrad reads dr and z)

	o.relu = func(dst, x []T) {
		dst = dst[:len(x)]
		for len(x) >= vec {
			n := min(len(x), one) &^ (vec - 1)
			relu(dst[:n], x[:n])
			dst, x = dst[n:], x[n:]
		}
		reluGeneric(dst, x)
	}
	o.stepMask = func(bits []uint64, z []T) {
		for len(z) >= 64 {
			n := min(len(z), one) &^ 63
			stepMask(bits[:n/64], z[:n])
			bits, z = bits[n/64:], z[n:]
		}
		stepMaskGeneric(bits, z) // the last, partial word
	}
	o.stepGrad = func(dz, dr, z []T) {
		dz, dr = dz[:len(z)], dr[:len(z)]
		for len(z) >= vec {
			n := min(len(z), two) &^ (vec - 1)
			stepGrad(dz[:n], dr[:n], z[:n])
			dz, dr, z = dz[n:], dr[n:], z[n:]
		}
		stepGradGeneric(dz, dr, z)
	}
	o.stepGradMask = func(dz, dr []T, bits []uint64) {
		dz = dz[:len(dr)]
		for len(dr) >= 64 {
			n := min(len(dr), one) &^ 63
			stepGradMask(dz[:n], dr[:n], bits[:n/64])
			dz, dr, bits = dz[n:], dr[n:], bits[n/64:]
		}
		stepGradMaskGeneric(dz, dr, bits)
	}
}
