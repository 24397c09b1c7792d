//go:build (amd64 || arm64) && gc && !purego

package kernels

import "unsafe"

// The Go wrappers of the elementwise assembly, for every ISA
// (elementwise_amd64.s, elementwise_arm64.s).
//
// An assembly function handles whole blocks only (whole vectors for relu
// and stepGrad, whole 64-element mask words for stepMask and
// stepGradMask) and trusts its wrapper for that: the wrappers below cut
// every slice to the exact length the assembly reads or writes, so the
// assembly never needs a bounds check, and they hand the tail to the
// generic function. Assembly cannot be preempted, so a wrapper also
// splits a long slice into calls that each read at most chunkBytes of
// input: a few microseconds from DRAM.

const chunkBytes = 64 << 10

// chunkLen is the number of elements of T in chunkBytes: a multiple of
// 64, so that a chunk holds whole mask words.
func chunkLen[T Float]() int {
	var z T
	return chunkBytes / int(unsafe.Sizeof(z))
}

// reluVia returns relu done by asm on whole blocks of block elements (a
// power of two) and by reluGeneric on the rest.
func reluVia[T Float](asm func(dst, x []T), block int) func(dst, x []T) {
	chunk := chunkLen[T]()
	return func(dst, x []T) {
		dst = dst[:len(x)]
		for len(x) >= block {
			n := min(len(x), chunk) &^ (block - 1)
			asm(dst[:n], x[:n])
			dst, x = dst[n:], x[n:]
		}
		reluGeneric(dst, x)
	}
}

// stepMaskVia returns stepMask done by asm on whole words of 64 elements
// and by stepMaskGeneric on the rest (which zeroes the last word's unused
// bits).
func stepMaskVia[T Float](asm func(bits []uint64, z []T)) func(bits []uint64, z []T) {
	chunk := chunkLen[T]()
	return func(bits []uint64, z []T) {
		for len(z) >= 64 {
			n := min(len(z), chunk) &^ 63
			asm(bits[:n/64], z[:n])
			bits, z = bits[n/64:], z[n:]
		}
		stepMaskGeneric(bits, z)
	}
}

// stepGradVia returns stepGrad done by asm on whole blocks of block
// elements (a power of two), at most chunk elements a call (a multiple of
// block), and by stepGradGeneric on the rest.
func stepGradVia[T Float](asm func(dz, dr, z []T), block, chunk int) func(dz, dr, z []T) {
	return func(dz, dr, z []T) {
		dz, dr = dz[:len(z)], dr[:len(z)]
		for len(z) >= block {
			n := min(len(z), chunk) &^ (block - 1)
			asm(dz[:n], dr[:n], z[:n])
			dz, dr, z = dz[n:], dr[n:], z[n:]
		}
		stepGradGeneric(dz, dr, z)
	}
}

// stepGradMaskVia returns stepGradMask done by asm on whole words of 64
// elements and by stepGradMaskGeneric on the rest.
func stepGradMaskVia[T Float](asm func(dz, dr []T, bits []uint64)) func(dz, dr []T, bits []uint64) {
	chunk := chunkLen[T]()
	return func(dz, dr []T, bits []uint64) {
		dz = dz[:len(dr)]
		for len(dr) >= 64 {
			n := min(len(dr), chunk) &^ 63
			asm(dz[:n], dr[:n], bits[:n/64])
			dz, dr, bits = dz[n:], dr[n:], bits[n/64:]
		}
		stepGradMaskGeneric(dz, dr, bits)
	}
}
