package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genRowsH writes the rows route's kernels for a bfloat16 x (AVX-512,
// float32 accumulation): axpyHAsmAVX512F32, axpy4HAsmAVX512F32 and
// dotHAsmAVX512F32, each axpyAsmAVX512F32, axpy4AsmAVX512F32 or
// dotAsmAVX512F32 on x widened to float32 (a bfloat16 is the top half of
// its float32), with the same FMAs in the same order and the same operand
// roles, so the same bits, NaN payloads included. x is widened in
// registers as it is loaded (VPMOVZXWD, then VPSLLD by 16), so that a
// batch of a few rows reads the bfloat16 W, half float32's bytes, with
// no pass through a buffer of widened rows.
func genRowsH() {
	genAxpyH()
	genAxpy4H()
	genDotH()
}

// rowsHComment is the comment the generated file carries once for the
// bfloat16 rows routines.
const rowsHComment = `
The bfloat16 x of the rows routines: AX counts elements, so that a
float32 slice is addressed at (base)(AX*4) and a bfloat16 one at
(base)(AX*2); 16 elements a vector (a zmm of float32, a ymm of
bfloat16). A vector of x is widened as it is loaded: VPMOVZXWD puts
each word in the low half of a dword, VPSLLD by 16 moves it to the top
half, the float32 whose top half the bfloat16 is. The tail of fewer
than 16 elements loads x by VMOVDQU16 under the lane mask K1 (zeroing:
the masked-off words are neither read nor faulted on), then widens the
register.`

// rowsHVec is the bytes of a vector of float32 (zmm) and of bfloat16
// (ymm), 16 elements each.
const rowsHVec, rowsHHalf = 64, 32

func hF32(base Register, off int) Mem { return memxs(base, RAX, 4, off) }
func hBF16(base Register, off int) Mem {
	return memxs(base, RAX, 2, off)
}

// hLoop writes the loops over CX elements at AX: blocks of unroll
// vectors by block, single vectors by single (once if at most one is
// left), then the tail, with K1 its lanes, by tail; it ends at label
// end.
func hLoop(unroll int, block, single func(), once bool, end string, tail func()) {
	elems := unroll * 16
	XORL(EAX, EAX)
	MOVQ(RCX, RBX)
	Commentf("BX = the elements in blocks of %d vectors", unroll)
	ANDQ(I32(-elems), RBX)
	JZ(LabelRef("one"))
	Label("loop")
	block()
	ADDQ(U32(elems), RAX)
	CMPQ(RAX, RBX)
	JB(LabelRef("loop"))

	Label("one")
	MOVQ(RCX, RBX)
	Comment("BX = the elements in whole vectors")
	ANDQ(I32(-16), RBX)
	CMPQ(RAX, RBX)
	JAE(LabelRef("tail"))
	if once {
		Comment("at most one whole vector left")
		single()
		ADDQ(U32(16), RAX)
	} else {
		Label("loop1")
		single()
		ADDQ(U32(16), RAX)
		CMPQ(RAX, RBX)
		JB(LabelRef("loop1"))
	}

	Label("tail")
	ANDQ(U32(15), RCX)
	JZ(LabelRef(end))
	Comment("K1 = the low CX bits: the lanes of the partial vector")
	MOVL(U32(1), EBX)
	SHLL(CL, EBX)
	DECL(EBX)
	KMOVW(EBX, K1)
	tail()
	Label(end)
}

// hAxpyTail is the tail of axpyH and axpy4H, x's lanes of K1 widened
// into xs: dst's lanes of K1 into v (the others +0), ANDed with keep,
// then v += as[i]·xs[i] in order under K1, and stored under K1.
func hAxpyTail(v, keep VecPhysical, xs, as []VecPhysical) {
	f32.MovUZ(hF32(RDI, 0), K1, v)
	VPANDD(keep, v, v)
	for i, x := range xs {
		f32.FMA231(x, as[i], K1, v)
	}
	f32.MovU(v, K1, hF32(RDI, 0))
}

// genAxpyH writes axpyHAsmAVX512F32(dst []float32, x []uint16, alpha
// float32, keep int).
func genAxpyH() {
	t := f32
	textSig("axpyHAsmAVX512F32", "func(dst []float32, x []uint16, alpha float32, keep int)", `
axpyHAsmAVX512F32 is axpyAsmAVX512F32 on x widened from bfloat16: for
len(dst) == len(x) and keep = −1 (keepDst) or 0 (zeroDst),

	for i, h := range x {
		d := dst[i]
		if keep == 0 {
			d = 0 // +0: the bits of dst[i] ANDed with keep
		}
		dst[i] = fma(alpha, math.Float32frombits(uint32(h)<<16), d)
	}

It reads the length of x and trusts dst to be as long. AVX-512 F and BW.`)
	commentOnce("rowsH", rowsHComment)
	loadArgs(Param("dst").Base(), RDI, Param("x").Base(), RSI, Param("x").Len(), RCX)
	alpha, keep := Z0, Z5
	t.Broadcast(addr(Param("alpha")), alpha)
	VPBROADCASTQ(addr(Param("keep")), keep)
	hLoop(4, func() {
		for i := range 4 {
			t.MovU(hF32(RDI, i*rowsHVec), zmm[1+i])
		}
		for i := range 4 {
			VPANDD(keep, zmm[1+i], zmm[1+i])
		}
		for i := range 4 {
			widenBF16(hBF16(RSI, i*rowsHHalf), zmm[6+i])
		}
		for i := range 4 {
			t.FMA231(zmm[6+i], alpha, zmm[1+i])
		}
		for i := range 4 {
			t.MovU(zmm[1+i], hF32(RDI, i*rowsHVec))
		}
	}, func() {
		t.MovU(hF32(RDI, 0), Z1)
		VPANDD(keep, Z1, Z1)
		widenBF16(hBF16(RSI, 0), Z6)
		t.FMA231(Z6, alpha, Z1)
		t.MovU(Z1, hF32(RDI, 0))
	}, false, "done", func() {
		widenBF16Masked(hBF16(RSI, 0), K1, Y6, Z6)
		hAxpyTail(Z1, keep, []VecPhysical{Z6}, []VecPhysical{alpha})
	})
	VZEROUPPER()
	RET()
}

// genAxpy4H writes axpy4HAsmAVX512F32(dst []float32, x0, x1, x2, x3
// []uint16, a0, a1, a2, a3 float32, keep int).
func genAxpy4H() {
	t := f32
	textSig("axpy4HAsmAVX512F32", "func(dst []float32, x0, x1, x2, x3 []uint16, a0, a1, a2, a3 float32, keep int)", `
axpy4HAsmAVX512F32 is axpy4AsmAVX512F32 on x0 … x3 widened from
bfloat16 (see axpyHAsmAVX512F32): for len(x0), len(x1), len(x2),
len(x3) ≥ len(dst), with w(h) = math.Float32frombits(uint32(h)<<16),

	for i := range dst {
		d := dst[i]
		if keep == 0 {
			d = 0
		}
		v := fma(a0, w(x0[i]), d)
		v = fma(a1, w(x1[i]), v)
		v = fma(a2, w(x2[i]), v)
		dst[i] = fma(a3, w(x3[i]), v)
	}`)
	loadArgs(Param("dst").Base(), RDI, Param("dst").Len(), RCX, Param("x0").Base(), RSI,
		Param("x1").Base(), R8, Param("x2").Base(), R9, Param("x3").Base(), R10)
	xs := []Register{RSI, R8, R9, R10}
	keep := Z6
	for i := range 4 {
		t.Broadcast(addr(Param("a"+string(rune('0'+i)))), zmm[i])
	}
	VPBROADCASTQ(addr(Param("keep")), keep)
	// step is the vector at element offset off past AX, accumulated in
	// v, with x's widened rows in zmm[tmp … tmp+3].
	step := func(off int, v VecPhysical, tmp int) {
		for i, x := range xs {
			widenBF16(hBF16(x, off*2), zmm[tmp+i])
		}
		t.MovU(hF32(RDI, off*4), v)
		VPANDD(keep, v, v)
		for i := range xs {
			t.FMA231(zmm[tmp+i], zmm[i], v)
		}
		t.MovU(v, hF32(RDI, off*4))
	}
	hLoop(2, func() {
		step(0, Z4, 8)
		step(16, Z5, 12)
	}, func() { step(0, Z4, 8) }, true, "done", func() {
		for i, x := range xs {
			widenBF16Masked(hBF16(x, 0), K1, ymm[8+i], zmm[8+i])
		}
		hAxpyTail(Z4, keep, zmm[8:12], zmm[0:4])
	})
	VZEROUPPER()
	RET()
}

// genDotH writes dotHAsmAVX512F32(x []float32, y []uint16) float32.
func genDotH() {
	t := f32
	textSig("dotHAsmAVX512F32", "func(x []float32, y []uint16) float32", `
dotHAsmAVX512F32 is dotAsmAVX512F32 on y widened from bfloat16 (see
axpyHAsmAVX512F32): the same partial sums, x[i]·y[i] with y[i] =
math.Float32frombits(uint32(h)<<16), in the same order. It reads the
length of x and trusts y to be as long.`)
	loadArgs(Param("x").Base(), RSI, Param("x").Len(), RCX, Param("y").Base(), RDI)
	for i := range 4 {
		VPXORD(zmm[i], zmm[i], zmm[i])
	}
	hLoop(4, func() {
		for i := range 4 {
			t.MovU(hF32(RSI, i*rowsHVec), zmm[4+i])
		}
		for i := range 4 {
			widenBF16(hBF16(RDI, i*rowsHHalf), zmm[8+i])
		}
		for i := range 4 {
			t.FMA231(zmm[8+i], zmm[4+i], zmm[i])
		}
	}, func() {
		t.MovU(hF32(RSI, 0), Z4)
		widenBF16(hBF16(RDI, 0), Z8)
		t.FMA231(Z8, Z4, Z0)
	}, false, "sum", func() {
		t.MovUZ(hF32(RSI, 0), K1, Z4)
		widenBF16Masked(hBF16(RDI, 0), K1, Y5, Z5)
		t.FMA231(Z5, Z4, K1, Z1)
	})
	dotReduce(avx512, t)
}
