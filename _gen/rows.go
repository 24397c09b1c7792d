package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genRows writes the rows route's axpy, axpy4 and dot for AVX2 and
// AVX-512 (the Go wrappers are in rows_amd64.go).
//
// Loops are counted in bytes (the length in elements shifted by the
// element size), with one index register AX for all the slices. The main
// loops take 4 vectors an iteration (axpy4: 2 vectors of 4 FMAs):
// independent chains of FMAs in flight and a fraction of the loop
// overhead; then single whole vectors; then the tail of less than a
// vector under a lane mask, which neither reads nor writes the
// masked-off lanes (a tail in Go would round twice, Go having no float32
// FMA, and make an element's rounding depend on where the slice ends).
func genRows() {
	tail := rowsTailMask()
	for _, w := range isas {
		for _, t := range elemTypes {
			genAxpy(w, t, tail)
		}
	}
	for _, w := range isas {
		for _, t := range elemTypes {
			genAxpy4(w, t, tail)
		}
	}
	for _, w := range isas {
		for _, t := range elemTypes {
			genDot(w, t, tail)
		}
	}
	genRowsH()
}

// rowsComment is the comment the generated file carries once for the
// rows routines.
const rowsComment = `
The vector loops of the rows route: axpy, axpy4 and dot, AVX-512 (zmm,
K registers) and AVX2+FMA (ymm). Registers: DI dst (or y of dot), SI x
(x0 of axpy4), R8 R9 R10 x1 x2 x3, AX the byte offset of the current
vector in every slice (one index register for all the slices, so the
loop advances one register), BX the end of a loop in bytes, CX the
length (elements, then bytes), Z0/Y0 alpha (Z0-Z3/Y0-Y3 a0-a3 for
axpy4) or dot's first partial sums, K1/Y15 the lane mask of a tail, and
for axpy and axpy4 the keep mask (Z5/Y5 for axpy, Z6/Y9 for axpy4):
keep, all ones or all zeros in each lane, ANDed into every vector of
dst as it is loaded, so that keep = 0 takes dst as +0s (clear(dst)
first, bit for bit) in the same single pass over dst.

The main loops take 4 vectors an iteration (axpy4: 2 vectors of 4
FMAs): independent chains of FMAs in flight, and a fraction of the loop
overhead; then single whole vectors, then the tail of less than a
vector under a lane mask. The FMAs read x from memory (one instruction,
no register for x). Go writes VFMADD231PS m, b, acc for Intel's
VFMADD231PS acc, b, m: acc = b·m + acc, rounded once.`

// rowsTailMask writes rowsTailMask: 32 bytes of ones, then 32 of zeros.
// The 32 bytes at rowsTailMask+32−t have ones in their first t bytes:
// the lane mask of the first t bytes of a ymm (VMASKMOVPS/PD read the top
// bit of each 32- or 64-bit lane), for the t < 32 bytes of a partial
// vector.
func rowsTailMask() Mem {
	m := GLOBL("rowsTailMask", RODATA|NOPTR)
	for i := range 8 {
		v := I64(-1)
		if i >= 4 {
			v = 0
		}
		DATA(8*i, v)
	}
	return m
}

// rowsTail is the tail of a rows loop: the last CX bytes (fewer than a
// vector; none: jump to skip) at byte offset AX, under a lane mask. Its
// methods write the same steps for both widths: AVX-512 masks with K1
// (the zeroing load, the FMA's memory operand under K1: no fault past
// the slices; the masked store writes only the lanes of the mask); AVX2
// with VMASKMOVPS/PD under Y15 (loads read only the lanes of the mask and
// give 0 in the others, stores write only the lanes of the mask; neither
// faults on the masked-off lanes; their stores are slow on AMD, tens of
// cycles: one per call).
type rowsTail struct {
	w    vecISA
	t    elemType
	mask Mem // rowsTailMask
}

// setup writes the lane mask of the tail, or the jump to skip if there
// is no tail.
func (r rowsTail) setup(skip string) {
	ANDQ(U32(r.w.Bytes-1), RCX)
	JZ(LabelRef(skip))
	if r.w.Z {
		Comment("K1 = the low CX/size bits: the lanes of the partial vector")
		SHRQ(U8(r.t.Shift), RCX)
		MOVL(U32(1), EBX)
		SHLL(CL, EBX)
		DECL(EBX)
		KMOVW(EBX, K1)
	} else {
		Comment("Y15 = the lane mask of CX bytes")
		LEAQ(r.mask.Offset(32), R11)
		SUBQ(RCX, R11)
		VMOVDQU(mem(R11, 0), Y15)
	}
}

// load loads the tail of m into v, the masked-off lanes zero.
func (r rowsTail) load(m Mem, v Register) {
	if r.w.Z {
		r.t.MovUZ(m, K1, v)
	} else {
		r.t.MaskMov(m, Y15, v)
	}
}

// src is the operand through which an FMA reads the tail of m: m itself
// under K1 on AVX-512; on AVX2 the tail loaded into tmp.
func (r rowsTail) src(m Mem, tmp Register) Op {
	if r.w.Z {
		return m
	}
	r.load(m, tmp)
	return tmp
}

// fma is acc += b·s for s from src, under K1 on AVX-512 (merge masking:
// the masked-off lanes of acc keep their value, and m is not read there).
func (r rowsTail) fma(s Op, b, acc Register) {
	if r.w.Z {
		r.t.FMA231(s, b, K1, acc)
	} else {
		r.t.FMA231(s, b, acc)
	}
}

// store stores the tail of v to m.
func (r rowsTail) store(v Register, m Mem) {
	if r.w.Z {
		r.t.MovU(v, K1, m)
	} else {
		r.t.MaskMov(v, Y15, m)
	}
}

// rowsLoop writes the loops of axpy, axpy4 and dot over the CX bytes at
// byte offset AX: blocks of unroll vectors by block, then single vectors
// by single (in a loop, or once if once: at most one is left after the
// blocks), then the tail by tail, which starts at label "tail" and ends
// at label end.
func rowsLoop(w vecISA, unroll int, block, single func(), once bool, end string, tail func()) {
	bytes := unroll * w.Bytes
	XORL(EAX, EAX)
	MOVQ(RCX, RBX)
	Commentf("BX = the bytes in blocks of %d vectors", unroll)
	ANDQ(I32(-bytes), RBX)
	JZ(LabelRef("one"))
	loop := fmt.Sprintf("loop%d", unroll)
	Label(loop)
	block()
	ADDQ(U32(bytes), RAX)
	CMPQ(RAX, RBX)
	JB(LabelRef(loop))

	Label("one")
	MOVQ(RCX, RBX)
	Comment("BX = the bytes in whole vectors")
	ANDQ(I32(-w.Bytes), RBX)
	CMPQ(RAX, RBX)
	JAE(LabelRef("tail"))
	if once {
		Comment("at most one whole vector left")
		single()
		ADDQ(U32(w.Bytes), RAX)
	} else {
		Label("loop1")
		single()
		ADDQ(U32(w.Bytes), RAX)
		CMPQ(RAX, RBX)
		JB(LabelRef("loop1"))
	}

	Label("tail")
	tail()
	Label(end)
}

// genAxpy writes axpyAsm<w><t>(dst, x []T, alpha T, keep int):
// dst[i] = fma(alpha, x[i], dst[i]&keep), alpha broadcast to V0 and keep
// to V5.
func genAxpy(w vecISA, t elemType, tailMask Mem) {
	name := "axpyAsm" + w.Name + t.Name
	doc := variantDoc(name, "axpyAsmAVX512F32", w, t, "")
	if w == avx512 && t.Name == "F32" {
		doc = `
axpyAsmAVX512F32 is, for len(dst) == len(x) and keep = −1 (all ones,
keepDst) or 0 (zeroDst),

	for i, v := range x {
		d := dst[i]
		if keep == 0 {
			d = 0 // +0: the bits of dst[i] ANDed with keep
		}
		dst[i] = fma(alpha, v, d)
	}

fma(a, b, c) is a·b + c rounded once. It reads the length of x and
trusts dst to be as long; dst may be x itself (each vector of dst is
read before it is written) but must not overlap it otherwise. The
AVX-512 functions use AVX-512 F, the AVX2 ones AVX2 and FMA.`
	}
	text(name, t, "func(dst, x []T, alpha T, keep int)", doc)
	commentOnce("rows", rowsComment)
	loadArgs(Param("dst").Base(), RDI, Param("x").Base(), RSI, Param("x").Len(), RCX)
	alpha, keep := w.V(0), w.V(5)
	t.Broadcast(addr(Param("alpha")), alpha)
	VPBROADCASTQ(addr(Param("keep")), keep)
	at := func(base Register, off int) Mem { return memx(base, RAX, off) }
	r := rowsTail{w, t, tailMask}
	SHLQ(U8(t.Shift), RCX)
	rowsLoop(w, 4, func() {
		for i := range 4 {
			t.MovU(at(RDI, i*w.Bytes), w.V(1+i))
		}
		for i := range 4 {
			w.PAnd(keep, w.V(1+i), w.V(1+i))
		}
		for i := range 4 {
			t.FMA231(at(RSI, i*w.Bytes), alpha, w.V(1+i))
		}
		for i := range 4 {
			t.MovU(w.V(1+i), at(RDI, i*w.Bytes))
		}
	}, func() {
		v := w.V(1)
		t.MovU(at(RDI, 0), v)
		w.PAnd(keep, v, v)
		t.FMA231(at(RSI, 0), alpha, v)
		t.MovU(v, at(RDI, 0))
	}, false, "done", func() {
		r.setup("done")
		v := w.V(1)
		r.load(at(RDI, 0), v)
		x := r.src(at(RSI, 0), w.V(2))
		w.PAnd(keep, v, v)
		r.fma(x, alpha, v)
		r.store(v, at(RDI, 0))
	})
	VZEROUPPER()
	RET()
}

// axpy4Comment is the comment of the axpy4 routines.
const axpy4Comment = `
axpy4: a0 … a3 broadcast to V0 … V3, keep to Z6 on AVX-512 and to Y9 on
AVX2 (whose tail loads the four rows into Y5-Y8). Each vector of dst is
loaded once (and ANDed with keep), goes through the four FMAs in the
order of the Go (a0·x0 first), and is stored once. The four FMAs of a
vector are a dependent chain; the loop keeps two vectors' chains in
flight and the processor overlaps iterations.`

// genAxpy4 writes axpy4Asm<w><t>(dst, x0, x1, x2, x3 []T, a0, a1, a2, a3
// T, keep int) (see axpy4Comment).
func genAxpy4(w vecISA, t elemType, tailMask Mem) {
	name := "axpy4Asm" + w.Name + t.Name
	doc := variantDoc(name, "axpy4AsmAVX512F32", w, t, "")
	if w == avx512 && t.Name == "F32" {
		doc = `
axpy4AsmAVX512F32 is, for len(x0), len(x1), len(x2), len(x3) ≥ len(dst)
and keep as axpyAsmAVX512F32's,

	for i := range dst {
		d := dst[i]
		if keep == 0 {
			d = 0
		}
		v := fma(a0, x0[i], d)
		v = fma(a1, x1[i], v)
		v = fma(a2, x2[i], v)
		dst[i] = fma(a3, x3[i], v)
	}`
	}
	text(name, t, "func(dst, x0, x1, x2, x3 []T, a0, a1, a2, a3 T, keep int)", doc)
	commentOnce("axpy4", axpy4Comment)
	loadArgs(Param("dst").Base(), RDI, Param("dst").Len(), RCX, Param("x0").Base(), RSI,
		Param("x1").Base(), R8, Param("x2").Base(), R9, Param("x3").Base(), R10)
	xs := []Register{RSI, R8, R9, R10}
	keep := w.V(6)
	if !w.Z {
		keep = w.V(9)
	}
	for i := range 4 {
		t.Broadcast(addr(Param(fmt.Sprintf("a%d", i))), w.V(i))
	}
	VPBROADCASTQ(addr(Param("keep")), keep)
	at := func(base Register, off int) Mem { return memx(base, RAX, off) }
	// step is one vector at byte off past AX, through v.
	step := func(off int, v Register) {
		t.MovU(at(RDI, off), v)
		w.PAnd(keep, v, v)
		for i, x := range xs {
			t.FMA231(at(x, off), w.V(i), v)
		}
		t.MovU(v, at(RDI, off))
	}
	r := rowsTail{w, t, tailMask}
	SHLQ(U8(t.Shift), RCX)
	rowsLoop(w, 2, func() {
		step(0, w.V(4))
		step(w.Bytes, w.V(5))
	}, func() { step(0, w.V(4)) }, true, "done", func() {
		r.setup("done")
		v := w.V(4)
		r.load(at(RDI, 0), v)
		src := make([]Op, 4)
		for i, x := range xs {
			src[i] = r.src(at(x, 0), w.V(5+i))
		}
		w.PAnd(keep, v, v)
		for i := range xs {
			r.fma(src[i], w.V(i), v)
		}
		r.store(v, at(RDI, 0))
	})
	VZEROUPPER()
	RET()
}

// dotComment is the comment of the dot routines.
const dotComment = `
dot: x[i]·y[i] summed into V0 … V3 (zeroed first): vector v of each
block of 4 into Vv, the whole vectors after the blocks into V0, the
masked tail into V1 (AVX-512: merge masking, its masked-off lanes keep
their value and are not read; AVX2: the masked-off lanes of x and y read
as 0, and fma(0, 0, s) = s + 0 = s for every partial sum s: s is never
−0, as the sums start at +0 and an FMA or an add gives −0 only from two
−0s). Then V0 = (V0+V1) + (V2+V3), and the lanes of V0 are halved down
to one. x is at SI, y at DI.`

// genDot writes dotAsm<w><t>(x, y []T) T (see dotComment).
func genDot(w vecISA, t elemType, tailMask Mem) {
	lanes := t.Lanes(w.Bytes)
	name := "dotAsm" + w.Name + t.Name
	doc := variantDoc(name, "dotAsmAVX512F32", w, t, fmt.Sprintf(": L = %d", lanes))
	if w == avx512 && t.Name == "F32" {
		doc = `
dotAsmAVX512F32 is, for len(y) == len(x), with partial sums in 4
vectors acc[0 … 3] of L = 16 lanes,

	var acc [4][L]float32
	n4 := len(x) &^ (4*L - 1) // blocks of 4 vectors
	for i := range n4 {
		v, l := i%(4*L)/L, i%L
		acc[v][l] = fma(x[i], y[i], acc[v][l])
	}
	n1 := len(x) &^ (L - 1) // then whole vectors
	for i := n4; i < n1; i++ {
		acc[0][i%L] = fma(x[i], y[i], acc[0][i%L])
	}
	for i := n1; i < len(x); i++ { // then the partial vector
		acc[1][i%L] = fma(x[i], y[i], acc[1][i%L])
	}
	for l := range L {
		acc[0][l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l])
	}
	for h := L / 2; h >= 1; h /= 2 { // halve the lanes
		for l := range h {
			acc[0][l] += acc[0][l+h]
		}
	}
	return acc[0][0]`
	}
	text(name, t, "func(x, y []T) T", doc)
	commentOnce("dot", dotComment)
	loadArgs(Param("x").Base(), RSI, Param("x").Len(), RCX, Param("y").Base(), RDI)
	at := func(base Register, off int) Mem { return memx(base, RAX, off) }
	r := rowsTail{w, t, tailMask}
	SHLQ(U8(t.Shift), RCX)
	for i := range 4 {
		if w.Z {
			VPXORD(w.V(i), w.V(i), w.V(i))
		} else {
			VXORPS(w.V(i), w.V(i), w.V(i))
		}
	}
	rowsLoop(w, 4, func() {
		for i := range 4 {
			t.MovU(at(RSI, i*w.Bytes), w.V(4+i))
		}
		for i := range 4 {
			t.FMA231(at(RDI, i*w.Bytes), w.V(4+i), w.V(i))
		}
	}, func() {
		t.MovU(at(RSI, 0), w.V(4))
		t.FMA231(at(RDI, 0), w.V(4), w.V(0))
	}, false, "sum", func() {
		r.setup("sum")
		r.load(at(RSI, 0), w.V(4))
		r.fma(r.src(at(RDI, 0), w.V(5)), w.V(4), w.V(1))
	})
	dotReduce(w, t)
}

// dotReduce ends a dot routine: V0 = (V0+V1) + (V2+V3), its lanes halved
// down to one, returned.
func dotReduce(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	t.Add(w.V(1), w.V(0), w.V(0))
	t.Add(w.V(3), w.V(2), w.V(2))
	t.Add(w.V(2), w.V(0), w.V(0))

	Commentf("Halve the %d lanes: lane l += lane l+%d, …, l+1.", lanes, lanes/2)
	if w.Z {
		VEXTRACTF64X4(U8(1), Z0, Y1)
		t.Add(Y1, Y0, Y0)
	}
	VEXTRACTF128(U8(1), Y0, X1)
	t.Add(X1, X0, X0)
	// Within the xmm: X1's low lanes = X0's upper half, then add; the
	// last step (one element) is scalar.
	for h := 16 / t.Size / 2; h >= 1; h /= 2 {
		switch {
		case h*t.Size == 4:
			VMOVSHDUP(X0, X1) // X1[0] = X0[1]
		case t.Size == 8:
			VUNPCKHPD(X0, X0, X1) // X1[0] = X0[1]
		default:
			VMOVHLPS(X0, X0, X1) // X1[0:2] = X0[2:4]
		}
		if h > 1 {
			t.Add(X1, X0, X0)
		} else {
			t.AddS(X1, X0, X0)
		}
	}
	t.MovS(X0, addr(ReturnIndex(0)))
	VZEROUPPER()
	RET()
}
