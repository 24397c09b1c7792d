//go:build amd64 && gc && !purego

package kernels

import "unsafe"

// The vector loops of the rows route (runRows in rows.go), in AVX-512 and
// AVX2+FMA assembly (kernels_amd64.s), and their Go wrappers:
//
//	axpy(dst, α, x)                 dst[i] += α·x[i]
//	axpy4(dst, a0…a3, x0…x3)        dst[i] += a0·x0[i], then a1·x1[i], a2·x2[i], a3·x3[i]
//	axpyZ, axpy4Z                   the same into zeros: clear(dst) first
//	dot(x, y)                       Σ x[i]·y[i]
//	axpyH, axpy4H(Z), dotH          (AVX-512 float32) the same on a bfloat16
//	                                x (dot: y), widened as it is loaded
//
// A batch of one (x·W + b, M = 1) is a chain of axpy calls over the rows
// of W into one row of accumulators; axpy4 takes four rows of W per call,
// so the accumulators are loaded and stored once per four rows rather
// than once per row, and there is a quarter of the calls.
//
// Rounding: every element of axpy and axpy4 is rounded once per row, by
// an FMA, where the generic Go rounds the product and the sum; the results
// differ by rounding only. Every element, the tail included, goes through
// the same FMA, so the result of an element does not depend on how the
// caller cuts its slices (a column chunk of any width, an offset): axpy4
// is, bit for bit, the four axpy calls of its comment, and axpy of a
// slice is axpy of its pieces. dot sums in another order than dotGeneric
// (partial sums per vector lane, added in a fixed order at the end): the
// order depends only on the length, so a result is the same on every
// call.
//
// axpyZ and axpy4Z start a chain in a fresh row of C (dW from a small
// batch: rows of the outer products): the assembly takes dst's bits ANDed
// with a keep mask (all ones for axpy, zeros for axpyZ), so that one pass
// over dst does what clear(dst) and an axpy did in two, each bound by the
// stores (BenchmarkRowsStart, TUNING.md). fma(α, x, +0) is the bits of
// clear then axpy, −0 products included (−0 + +0 = +0).
//
// So the assembly takes any length: it does the tail of less than a
// vector with masked loads and stores, which neither read nor write the
// masked-off lanes (so they cannot fault past the slice): AVX-512 with a K
// register, AVX2 with VMASKMOVPS/PD and a lane mask from rowsTailMask<>.
// A tail in Go would round twice (Go has no float32 FMA), and make an
// element's rounding depend on where the slice ends.
//
// Assembly cannot be preempted: a wrapper hands one call at most
// rowsVecBytes of each input (a few microseconds even from DRAM).

const rowsVecBytes = 64 << 10

// rowsVecLen is the number of elements of T in rowsVecBytes: a multiple of
// every vector width, so whole chunks leave the tail to the last call.
func rowsVecLen[T Float]() int {
	var z T
	return rowsVecBytes / int(unsafe.Sizeof(z))
}

// keepDst and zeroDst are the keep masks of the axpy and axpy4
// assembly: dst as it is, or as +0s.
const keepDst, zeroDst = -1, 0

// ---- the wrappers ----------------------------------------------------------
//
// Each wrapper cuts its slices to the length the assembly reads and calls
// the assembly directly on a slice of at most a chunk, the common case.
// Longer slices go through the generic helpers first, which hand the
// assembly every chunk but the last (through a function value: they
// are not inlined).

// axpyVia returns axpyGeneric rounded once per element (keep = keepDst),
// or that into zeros (zeroDst: axpyZ): asm (the assembly for one ISA and
// type) on chunks of at most rowsVecLen, so that one call is bounded.
func axpyVia[T Float](asm func(dst, x []T, alpha T, keep int), keep int) func(dst []T, alpha T, x []T) {
	return func(dst []T, alpha T, x []T) {
		dst = dst[:len(x)]
		if len(x) > rowsVecLen[T]() {
			dst, x = rowsAxpyLong(dst, alpha, x, keep, asm)
		}
		asm(dst, x, alpha, keep)
	}
}

// rowsAxpyLong does axpy by asm on the chunks of x but the last, and returns
// what is left of dst and x (1 … rowsVecLen elements).
func rowsAxpyLong[T Float](dst []T, alpha T, x []T, keep int, asm func(dst, x []T, alpha T, keep int)) ([]T, []T) {
	for c := rowsVecLen[T](); len(x) > c; dst, x = dst[c:], x[c:] {
		asm(dst[:c], x[:c], alpha, keep)
	}
	return dst, x
}

// axpy4AVX512F32 is, bit for bit, with axpy = axpyVia(axpyAsmAVX512F32),
//
//	axpy(dst, a0, x0)
//	axpy(dst, a1, x1)
//	axpy(dst, a2, x2)
//	axpy(dst, a3, x3)
//
// for len(x0), len(x1), len(x2), len(x3) ≥ len(dst) (it reads len(dst)
// elements of each); that is,
// dst[i] = fma(a3, x3[i], fma(a2, x2[i], fma(a1, x1[i], fma(a0, x0[i], dst[i])))).
var axpy4AVX512F32 = axpy4Via(axpy4AsmAVX512F32, keepDst)

// axpy4AVX512F64 is axpy4AVX512F32 for float64 (four axpy calls on axpyAsmAVX512F64).
var axpy4AVX512F64 = axpy4Via(axpy4AsmAVX512F64, keepDst)

// axpy4AVX2F32 is axpy4AVX512F32 on AVX2 (four on axpyAsmAVX2F32).
var axpy4AVX2F32 = axpy4Via(axpy4AsmAVX2F32, keepDst)

// axpy4AVX2F64 is axpy4AVX512F64 on AVX2 (four on axpyAsmAVX2F64).
var axpy4AVX2F64 = axpy4Via(axpy4AsmAVX2F64, keepDst)

// axpy4Via wraps one of the axpy4 assembly kernels, with the keep mask
// of axpy4 (keepDst) or axpy4Z (zeroDst): it cuts the rows to len(dst)
// and hands slices longer than one bounded call to rowsAxpy4Long.
func axpy4Via[T Float](asm func(dst, x0, x1, x2, x3 []T, a0, a1, a2, a3 T, keep int), keep int) func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T) {
	return func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T) {
		n := len(dst)
		x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
		if n > rowsVecLen[T]()/4 {
			dst, x0, x1, x2, x3 = rowsAxpy4Long(dst, a0, a1, a2, a3, x0, x1, x2, x3, keep, asm)
		}
		asm(dst, x0, x1, x2, x3, a0, a1, a2, a3, keep)
	}
}

// rowsAxpy4Long does axpy4 by asm on chunks of a quarter of rowsVecLen (so
// that one call reads at most rowsVecBytes from the four rows together)
// but the last, and returns what is left of the slices.
func rowsAxpy4Long[T Float](dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T, keep int, asm func(dst, x0, x1, x2, x3 []T, a0, a1, a2, a3 T, keep int)) (_, _, _, _, _ []T) {
	for c := rowsVecLen[T]() / 4; len(dst) > c; {
		asm(dst[:c], x0[:c], x1[:c], x2[:c], x3[:c], a0, a1, a2, a3, keep)
		dst, x0, x1, x2, x3 = dst[c:], x0[c:], x1[c:], x2[c:], x3[c:]
	}
	return dst, x0, x1, x2, x3
}

// dotVia returns dotGeneric summed in another order: each chunk's sum
// by asm (see dotAsmAVX512F32), the chunks' sums added in order.
func dotVia[T Float](asm func(x, y []T) T) func(x, y []T) T {
	return func(x, y []T) T {
		y = y[:len(x)]
		var s T
		if len(x) > rowsVecLen[T]() {
			s, x, y = rowsDotLong(x, y, asm)
		}
		return s + asm(x, y)
	}
}

// rowsDotLong sums by asm the chunks of x·y but the last, in order, and
// returns the sum and what is left of x and y.
func rowsDotLong[T Float](x, y []T, asm func(x, y []T) T) (s T, _, _ []T) {
	for c := rowsVecLen[T](); len(x) > c; x, y = x[c:], y[c:] {
		s += asm(x[:c], y[:c])
	}
	return s, x, y
}

// axpyHAVX512F32 is axpyVia(axpyAsmAVX512F32, keep) on a bfloat16 x
// (axpyHAsmAVX512F32: widened as it is loaded, the same bits as on the
// widened x), in the same bounded chunks.
func axpyHAVX512F32(keep int) func(dst []float32, alpha float32, x []BF16) {
	return func(dst []float32, alpha float32, x []BF16) {
		dst, xs := dst[:len(x)], bf16Bits(x)
		for c := rowsVecLen[float32](); len(xs) > c; dst, xs = dst[c:], xs[c:] {
			axpyHAsmAVX512F32(dst[:c], xs[:c], alpha, keep)
		}
		axpyHAsmAVX512F32(dst, xs, alpha, keep)
	}
}

// axpy4HAVX512F32 is axpy4Via(axpy4AsmAVX512F32, keep) on bfloat16 rows
// (axpy4HAsmAVX512F32), in the same bounded chunks.
func axpy4HAVX512F32(keep int) func(dst []float32, a0, a1, a2, a3 float32, x0, x1, x2, x3 []BF16) {
	return func(dst []float32, a0, a1, a2, a3 float32, x0, x1, x2, x3 []BF16) {
		n := len(dst)
		h0, h1, h2, h3 := bf16Bits(x0[:n]), bf16Bits(x1[:n]), bf16Bits(x2[:n]), bf16Bits(x3[:n])
		for c := rowsVecLen[float32]() / 4; len(dst) > c; {
			axpy4HAsmAVX512F32(dst[:c], h0[:c], h1[:c], h2[:c], h3[:c], a0, a1, a2, a3, keep)
			dst, h0, h1, h2, h3 = dst[c:], h0[c:], h1[c:], h2[c:], h3[c:]
		}
		axpy4HAsmAVX512F32(dst, h0, h1, h2, h3, a0, a1, a2, a3, keep)
	}
}

// dotHAVX512F32 is dotVia(dotAsmAVX512F32) on a bfloat16 y
// (dotHAsmAVX512F32): the same chunks, whose sums are added in the same
// order, so the same bits as on the widened y.
func dotHAVX512F32(x []float32, y []BF16) float32 {
	ys := bf16Bits(y[:len(x)])
	var s float32
	for c := rowsVecLen[float32](); len(x) > c; x, ys = x[c:], ys[c:] {
		s += dotHAsmAVX512F32(x[:c], ys[:c])
	}
	return s + dotHAsmAVX512F32(x, ys)
}

// ---- the assembly ------------------------------------------------------------
//
// The assembly functions are declared in kernels_amd64.go, with the Go
// each replaces; _gen/rows.go writes them. Each is that Go for any
// length: it reads the length of x (dst for axpy4) and trusts the other
// slices to be as long. fma(a, b, c) is a·b + c rounded once. dst may be
// x itself (each vector of dst is read before it is written) but must
// not overlap it otherwise. The AVX-512 functions use AVX-512 F, the
// AVX2 ones AVX2 and FMA.
