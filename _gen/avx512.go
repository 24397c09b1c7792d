package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genAVX512 writes the AVX-512 GEMM: the register tiles with their
// epilogues (avx512_tile.go), the dX tile read the other way round, the
// packers that feed them (avx512_pack.go) and the FMA peak loop.
//
// The tiles are MR×NR: MR rows of A broadcast from memory by
// embedded-broadcast FMAs (VFMADD231PS.BCST: a 4-byte load that the FMA
// broadcasts), or into a register once a row for NR > 1 (avx512Bcast),
// times NR zmm of B a k step, into MR·NR accumulators. Today's
// tiles are 16×16 float32 and 16×8 float64 (NR = 1 vector): on Zen 4 a zmm
// FMA issues once a cycle (two 256-bit halves), so 16 independent chains
// cover its 4-cycle latency four times over, and 17 loads per 16 FMAs fit
// the load ports. Each tile row is 64 bytes of C: one line, so the rows of
// a tile spread over the cache sets the same way for both types.
func genAVX512() {
	for _, s := range avx512Tiles {
		avx512GenTile(s)
	}
	avx512GenTileNT(f32)
	avx512GenPackAPanel(f32, false)
	avx512GenPackAPanel(f64, false)
	avx512GenPackAPanel(f32, true)
	avx512GenPackBRows(false)
	avx512GenPackBRows(true)
	avx512GenFMAPeak()
	avx512GenDotPeak()
}

// avx512Tiles are the AVX-512 register tiles the package has, an entry a
// tile: a new shape is one more entry, with a name; its Go side (an ID,
// an avx512Shape value, the direct call of its routine, its place in the
// lists that the tests and BenchmarkTune go through) is generated into
// tiles_amd64.go (avx512_table.go). A core class takes a tile in
// config_amd64.go's classEntries.
var avx512Tiles = []avx512Tile{
	{t: f32, mr: 16, nr: 1}, // tileAVX512F32: 16×16
	{t: f64, mr: 16, nr: 1}, // tileAVX512F64: 16×8
	// Today's tiles with B loaded unmasked where it can be (fullB).
	{t: f32, mr: 16, nr: 1, fullB: true, name: "tileAVX512F32x16x16u"},
	{t: f64, mr: 16, nr: 1, fullB: true, name: "tileAVX512F64x16x8u"},
	// Tiles for cores with two 512-bit FMA pipes and two loads a cycle
	// (A broadcast into a register once a row: 1 + NR loads per MR·NR
	// FMAs), and B loaded unmasked in whole columns of tiles (fullB):
	// BenchmarkTune's candidates.
	{t: f32, mr: 6, nr: 4, fullB: true, name: "tileAVX512F32x6x64"},
	{t: f32, mr: 8, nr: 2, fullB: true, name: "tileAVX512F32x8x32"},
	{t: f32, mr: 12, nr: 2, fullB: true, name: "tileAVX512F32x12x32"},
	{t: f64, mr: 6, nr: 4, fullB: true, name: "tileAVX512F64x6x32"},
	{t: f64, mr: 8, nr: 2, fullB: true, name: "tileAVX512F64x8x16"},
	{t: f64, mr: 12, nr: 2, fullB: true, name: "tileAVX512F64x12x16"},
	// bfloat16 (AVX512_BF16): the float32 tiles of the core classes with
	// VDPBF16PS, two k steps of the float32 tile an instruction (the
	// float32 tile's shape picks its dot tile: avx512GEMM32For).
	{t: bf16dot, mr: 16, nr: 1, fullB: true, name: "tileAVX512BF16x16x16u"},
	{t: bf16dot, mr: 8, nr: 2, fullB: true, name: "tileAVX512BF16x8x32"},
}

// avx512Sh shifts r left by sh if sh > 0 (scaling a count of elements or
// rows to bytes).
func avx512Sh(sh int, r Op) {
	SHLQ(U8(sh), r)
}

// avx512Scale multiplies r by f: a shift for a power of two (the only
// case today's tiles need), else an IMULQ.
func avx512Scale(f int, r Register) {
	if f&(f-1) == 0 {
		avx512Sh(log2(f), r)
		return
	}
	IMUL3Q(U32(f), r, r)
}

// avx512ZeroZ zeroes the given vector registers (VPXORD r, r, r).
func avx512ZeroZ(rs ...VecPhysical) {
	for _, r := range rs {
		VPXORD(r, r, r)
	}
}

// avx512GenFMAPeak writes fmaPeakAVX512: 12 independent register-only
// FMAs an iteration, enough chains to cover the FMA latency.
func avx512GenFMAPeak() {
	textLines("fmaPeakAVX512", "func(n int)",
		"fmaPeakAVX512 runs n·12 independent register-only VFMADD231PS (zmm): the",
		"FMA peak, for the benchmarks.",
	)
	Comment(
		"The FMA peak, for the benchmarks to state speeds as a fraction of it: n",
		"iterations of 12 independent register-only VFMADD231PS (12·32 flops",
		"each), enough chains to cover the FMA latency.",
	)
	avx512PeakLoop(func(x, y, acc VecPhysical) { VFMADD231PS(x, y, acc) })
}

// avx512GenDotPeak writes dotPeakAVX512BF16, fmaPeakAVX512 with
// VDPBF16PS: the bfloat16 dot product's peak, which is twice the FMA's
// where the core issues it at the FMA's rate (Zen 4) and not elsewhere
// (the benchmarks say which). Its operands are zeros: no denormals.
func avx512GenDotPeak() {
	textLines("dotPeakAVX512BF16", "func(n int)",
		"dotPeakAVX512BF16 runs n·12 independent register-only VDPBF16PS (zmm):",
		"the bfloat16 dot product's peak, for the benchmarks (AVX512_BF16 only).",
	)
	Comment(
		"n iterations of 12 independent register-only VDPBF16PS, 12·64 flops",
		"each (16 lanes of two products and two sums).",
	)
	avx512PeakLoop(func(x, y, acc VecPhysical) { dpbf16ps(x, y, acc) })
}

// avx512PeakLoop writes the body of a peak loop: n (the argument) times,
// op(Z12, Z13, Zi) for 12 accumulators i, all registers zero.
func avx512PeakLoop(op func(x, y, acc VecPhysical)) {
	const chains = 12
	MOVQ(arg("n"), RCX)
	for i := 0; i < chains+2; i++ {
		avx512ZeroZ(zmm[i])
	}
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	pcalign(32)
	Label("loop")
	for i := 0; i < chains; i++ {
		op(zmm[chains], zmm[chains+1], zmm[i])
	}
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
