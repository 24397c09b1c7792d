package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genElementwise writes ReLU, the step masks, StepGrad and Adam for AVX2
// and AVX-512: each routine is one function below, called for every
// vector width and element type.
//
// The Go wrappers (elementwise_amd64.go) hand these routines whole blocks
// only (whole vectors for relu and stepGrad, whole 64-bit mask words for
// stepMask and stepGradMask), at most 64 KiB of each input a call.
//
// Every element goes through a compare or a select, never arithmetic, so
// that the results are exact bit copies or +0 whatever MXCSR holds (see
// elemComment). The loops move 4 vectors (or one 64-bit mask word) an
// iteration: enough to keep the loads and stores of a memory-bound loop in
// flight.
//
// A load or store that only moves a whole vector's bits is VMOVUPS for
// both types in some places and t.MovU (VMOVUPD for float64) in others:
// the bits moved are the same either way, and each place keeps the
// instruction the hand-written assembly had, so that the machine code is
// unchanged.
func genElementwise() {
	for _, w := range isas {
		for _, t := range elemTypes {
			genRelu(w, t)
		}
	}
	for _, w := range isas {
		for _, t := range elemTypes {
			genStepMask(w, t)
		}
	}
	for _, w := range isas {
		for _, t := range elemTypes {
			genStepGrad(w, t)
		}
	}
	for _, w := range isas {
		for _, t := range elemTypes {
			genStepGradMask(w, t)
		}
	}
	for _, w := range isas {
		for _, t := range elemTypes {
			genAdam(w, t)
		}
	}
}

// elemComment is the comment the generated file carries once for the
// elementwise routines.
const elemComment = `
The elementwise kernels, AVX-512 (zmm, K registers) and AVX2 (ymm).
Registers: DI the output (dst, dz or bits), SI the input x, z or dr,
DX the second input of stepGrad (dr), BX the mask bits of stepGradMask,
CX the count of blocks left, Z0/Y0 = +0. Loads and stores are unaligned
(a slice of float32 is only 4-byte aligned). Every function ends with
VZEROUPPER, as functions that leave the upper halves of Y0-Y15 dirty
must (SSE code after them would stall).

Every element goes through a compare or a select, never arithmetic, so
the results are exact bit copies or +0, whatever MXCSR holds:

  - relu is VMAXPS/VMAXPD with +0 as Intel's first source and x as the
    second. MAXPS dst, src1, src2 is dst = src1 > src2 ? src1 : src2,
    so this is 0 > x ? 0 : x, which is relu(x) as the Go reads
    (x < 0 ? 0 : x): when x is NaN the compare is false and MAXPS
    returns its second source, x, unchanged (a signalling NaN is not
    quieted, the sign and payload are kept); when x is −0, 0 > −0 is
    false and the result is x = −0. Go writes the operands in reverse:
    VMAXPS x, ZERO, DST.
  - The step [z ≥ 0] is the compare z NLT 0 (predicate 0x05, NLT_US:
    not less than, true when unordered), so NaN gives 1 and −0 gives 1,
    as !(v < 0) does in Go. "Signalling" only sets MXCSR's invalid flag
    on NaN, which Go neither unmasks nor reads. Go writes VCMPPS $0x05,
    ZERO, Z, K for Intel's VCMPPS K, Z, ZERO, 0x05.
  - Applying the mask is a select: AVX-512 moves dr under the mask with
    zeroing (VMOVUPS.Z), AVX2 ANDs dr with the all-ones/all-zeros lanes
    of a compare. Masked-off lanes become +0 whatever dr holds (Inf,
    NaN).`

// nlt is the predicate of VCMPPS/PD for "not less than" (NLT_US): the
// step [z ≥ 0] with NaN giving 1.
var nlt = U8(0x05)

// blockLoop writes the loop of relu and stepGrad over CX vectors: blocks
// of 4 vectors by body4, then single vectors by body1, each advancing the
// pointers ptrs by the bytes it took.
func blockLoop(w vecISA, ptrs []Register, body4, body1 func()) {
	JMP(LabelRef("check4"))

	Label("loop4")
	body4()
	for _, p := range ptrs {
		ADDQ(U32(4*w.Bytes), p)
	}
	SUBQ(U8(4), RCX)

	Label("check4")
	CMPQ(RCX, U8(4))
	JAE(LabelRef("loop4"))
	JMP(LabelRef("check1"))

	Label("loop1")
	body1()
	for _, p := range ptrs {
		ADDQ(U8(w.Bytes), p)
	}
	DECQ(RCX)

	Label("check1")
	TESTQ(RCX, RCX)
	JNZ(LabelRef("loop1"))
	VZEROUPPER()
	RET()
}

// genRelu writes relu<w><t>(dst, x []T).
func genRelu(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	name := "relu" + w.Name + t.Name
	doc := variantDoc(name, "reluAVX512F32", w, t, fmt.Sprintf(", len(x) a multiple of %d", lanes))
	if w == avx512 && t.Name == "F32" {
		doc = `
reluAVX512F32 is, for len(x) a multiple of 16 and len(dst) == len(x),

	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}`
	}
	text(name, t, "func(dst, x []T)", doc)
	commentOnce("elementwise", elemComment)
	loadArgs(Param("dst").Base(), RDI, Param("x").Base(), RSI, Param("x").Len(), RCX)
	Commentf("CX = vectors of %d", lanes)
	SHRQ(U8(log2(lanes)), RCX)
	zero := w.V(0)
	t.Xor(w.VEX(0), w.VEX(0), w.VEX(0))
	blockLoop(w, []Register{RSI, RDI}, func() {
		// All four loads before the stores.
		for i := range 4 {
			t.Max(mem(RSI, i*w.Bytes), zero, w.V(1+i))
		}
		for i := range 4 {
			VMOVUPS(w.V(1+i), mem(RDI, i*w.Bytes))
		}
	}, func() {
		t.Max(mem(RSI, 0), zero, w.V(1))
		t.MovU(w.V(1), mem(RDI, 0))
	})
}

// stepMaskDoc is the doc comment of stepMaskAVX512F32; the others refer to it.
const stepMaskDoc = `
stepMaskAVX512F32 is, for len(z) a multiple of 64 and len(bits) ==
len(z)/64,

	for w := range bits {
		var word uint64
		for j, v := range z[64*w : 64*w+64] {
			if !(v < 0) {
				word |= 1 << j
			}
		}
		bits[w] = word
	}`

// stepMaskComment is the comment of the stepMask routines, for AVX-512 and AVX2.
var stepMaskComment = map[bool]string{true: `
stepMask, one 64-bit word of bits (64 elements) an iteration: compare
each vector into a K register, one bit a lane, and store the K
register: 16 bits (KMOVW) for 16 float32 lanes, 8 bits (KMOVB, AVX-512
DQ) for 8 float64 lanes. Bit j of the vector at byte offset 64·v of z
lands at bit j of byte offset 2·v (or v) of bits, which on a
little-endian machine is the mask layout.`, false: `
stepMask in AVX2: the compare gives all-ones lanes; VMOVMSKPS/VMOVMSKPD
gathers their sign bits into a general register (8 or 4 bits, lane j at
bit j), and shifts and ORs assemble a 64-bit word in AX.`}

// genStepMask writes stepMask<w><t>(bits []uint64, z []T) (see
// stepMaskComment).
func genStepMask(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	name := "stepMask" + w.Name + t.Name
	doc := stepMaskDoc
	if w != avx512 || t.Name != "F32" {
		doc = variantDoc(name, "stepMaskAVX512F32", w, t, "")
	}
	text(name, t, "func(bits []uint64, z []T)", doc)
	commentOnce("stepMask"+w.Name, stepMaskComment[w.Z])
	loadArgs(Param("bits").Base(), RDI, Param("z").Base(), RSI, Param("z").Len(), RCX)
	Comment("CX = words of 64 elements")
	SHRQ(U8(6), RCX)
	JZ(LabelRef("done"))
	t.Xor(w.VEX(0), w.VEX(0), w.VEX(0))

	Label("loop")
	vecs := 64 / lanes // vectors a word
	if w.Z {
		// Groups of 4 vectors through Z1-Z4 and K1-K4: 4 compares,
		// then 4 stores of their bits.
		for g := 0; g < vecs; g += 4 {
			for i := range 4 {
				VMOVUPS(mem(RSI, (g+i)*w.Bytes), w.V(1+i))
				t.Cmp(nlt, w.V(0), w.V(1+i), kreg[1+i])
			}
			for i := range 4 {
				t.KMov(kreg[1+i], mem(RDI, (g+i)*lanes/8))
			}
		}
	} else {
		// Groups of 8 vectors through Y1-Y8: 8 compares, then their
		// sign bits ORed into AX at bit lanes·v.
		for g := 0; g < vecs; g += 8 {
			for i := range 8 {
				VMOVUPS(mem(RSI, (g+i)*w.Bytes), w.V(1+i))
				t.Cmp(nlt, w.V(0), w.V(1+i), w.V(1+i))
			}
			for i := range 8 {
				if v := g + i; v == 0 {
					t.MovMsk(w.V(1), EAX)
				} else {
					t.MovMsk(w.V(1+i), EBX)
					SHLQ(U8(lanes*v), RBX)
					ORQ(RBX, RAX)
				}
			}
		}
		MOVQ(RAX, mem(RDI, 0))
	}
	ADDQ(U32(64*t.Size), RSI)
	ADDQ(U8(8), RDI)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	VZEROUPPER()

	Label("done")
	RET()
}

// stepGradComment is the comment of the stepGrad routines.
const stepGradComment = `
stepGrad: dz = dr where z is not less than 0, +0 elsewhere. AVX-512: the
compare sets a K register and the load of dr under it with zeroing
(VMOVUPS.Z, VMOVUPD.Z: the lane width of the element) is the select.
AVX2: the compare gives all-ones lanes where z is not less than 0 and
zero lanes elsewhere, and ANDing them with dr keeps dr's bits or gives
+0. Reading z and dr before writing dz allows dz to be z or dr.`

// genStepGrad writes stepGrad<w><t>(dz, dr, z []T) (see stepGradComment).
func genStepGrad(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	name := "stepGrad" + w.Name + t.Name
	doc := variantDoc(name, "stepGradAVX512F32", w, t, fmt.Sprintf(", len(z) a multiple of %d", lanes))
	if w == avx512 && t.Name == "F32" {
		doc = `
stepGradAVX512F32 is, for len(z) a multiple of 16 and len(dz) ==
len(dr) == len(z),

	for i, v := range z {
		if v < 0 {
			dz[i] = 0
		} else {
			dz[i] = dr[i]
		}
	}`
	}
	text(name, t, "func(dz, dr, z []T)", doc)
	commentOnce("stepGrad", stepGradComment)
	loadArgs(Param("dz").Base(), RDI, Param("dr").Base(), RDX, Param("z").Base(), RSI, Param("z").Len(), RCX)
	SHRQ(U8(log2(lanes)), RCX)
	t.Xor(w.VEX(0), w.VEX(0), w.VEX(0))
	// grad is one vector at byte off, via vector register i (and K
	// register i).
	grad := func(off, i int) {
		v := w.V(i)
		VMOVUPS(mem(RSI, off), v)
		if w.Z {
			t.Cmp(nlt, w.V(0), v, kreg[i])
			t.MovUZ(mem(RDX, off), kreg[i], v)
		} else {
			t.Cmp(nlt, w.V(0), v, v)
			VANDPS(mem(RDX, off), v, v)
		}
		VMOVUPS(v, mem(RDI, off))
	}
	blockLoop(w, []Register{RSI, RDX, RDI}, func() {
		for i := range 4 {
			grad(i*w.Bytes, 1+i)
		}
	}, func() { grad(0, 1) })
}

// laneBits writes the table laneBits<bits of t>: lane j = 1<<j in eight
// lanes of t's width (one ymm for float32, two for float64: for the low
// and the high nibble of a byte), and returns it.
func laneBits(t elemType) Mem {
	m := GLOBL(fmt.Sprintf("laneBits%d", t.Bits()), RODATA|NOPTR)
	for j := range 8 {
		if t.Size == 4 {
			DATA(4*j, U32(1<<j))
		} else {
			DATA(8*j, U64(1<<j))
		}
	}
	return m
}

// stepGradMaskComment is the comment of the stepGradMask routines, for
// AVX-512 and AVX2.
var stepGradMaskComment = map[bool]string{true: `
stepGradMask, one 64-bit word of bits (64 elements) an iteration: the
mask bits of a vector load straight into a K register (KMOVW: 16 bits
for 16 float32 lanes; KMOVB, AVX-512 DQ: 8 bits for 8 float64 lanes),
and a load of dr under it with zeroing is the select.`, false: `
stepGradMask in AVX2, which has no mask registers, so the bits are
expanded to lanes: one byte of bits (8 elements) is broadcast to every
byte of a vector (VPBROADCASTB), so that every 32-bit (64-bit) lane holds
it in its low byte; ANDing lane j with the constant 1<<j (laneBits32,
laneBits64) keeps only bit j, and comparing for equality with the same
constant (VPCMPEQD/VPCMPEQQ) turns the lane into all-ones where the bit
is set and zero where it is clear. ANDing that with dr is the select.`}

// genStepGradMask writes stepGradMask<w><t>(dz, dr []T, bits []uint64)
// (see stepGradMaskComment).
func genStepGradMask(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	name := "stepGradMask" + w.Name + t.Name
	doc := variantDoc(name, "stepGradMaskAVX512F32", w, t, "")
	if w == avx512 && t.Name == "F32" {
		doc = `
stepGradMaskAVX512F32 is, for len(dr) a multiple of 64, len(dz) ==
len(dr) and len(bits) == len(dr)/64,

	for i, v := range dr {
		if bits[i/64]>>(i%64)&1 == 0 {
			v = 0
		}
		dz[i] = v
	}`
	}
	var table Mem
	if !w.Z {
		table = laneBits(t)
	}
	text(name, t, "func(dz, dr []T, bits []uint64)", doc)
	commentOnce("stepGradMask"+w.Name, stepGradMaskComment[w.Z])
	loadArgs(Param("dz").Base(), RDI, Param("dr").Base(), RSI, Param("dr").Len(), RCX, Param("bits").Base(), RBX)
	SHRQ(U8(6), RCX)
	JZ(LabelRef("done"))
	if w.Z {
		Label("loop")
		for v := range 64 / lanes {
			k, z := kreg[1+v%4], w.V(1+v%4)
			t.KMov(mem(RBX, v*lanes/8), k)
			t.MovUZ(mem(RSI, v*w.Bytes), k, z)
			VMOVUPS(z, mem(RDI, v*w.Bytes))
		}
	} else {
		// The 8 elements of a mask byte take nv ymm; the lane-bits
		// constants are in the last nv registers (Y15, or Y14 and Y15).
		nv := 8 * t.Size / w.Bytes
		consts := make([]Register, nv)
		for k := range nv {
			consts[k] = w.V(16 - nv + k)
			VMOVDQU(table.Offset(k*w.Bytes), consts[k])
		}
		Label("loop")
		for b := range 8 {
			// r[k] receives vector k of the byte's lanes; the byte is
			// broadcast to r[nv-1], expanded last.
			base := 1 + b*nv%8
			r := make([]Register, nv)
			for k := range nv {
				r[k] = w.V(base + (k+1)%nv)
			}
			VPBROADCASTB(mem(RBX, b), r[nv-1])
			for k := range nv {
				VPAND(consts[k], r[nv-1], r[k])
				t.PCmpEq(consts[k], r[k], r[k])
			}
			for k := range nv {
				off := 8*t.Size*b + k*w.Bytes
				VPAND(mem(RSI, off), r[k], r[k])
				VMOVDQU(r[k], mem(RDI, off))
			}
		}
	}
	ADDQ(U32(64*t.Size), RSI)
	ADDQ(U32(64*t.Size), RDI)
	ADDQ(U8(8), RBX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	VZEROUPPER()

	Label("done")
	RET()
}

// adamComment is the comment of the adam routines.
const adamComment = `
adam: one vector of each slice an iteration, at byte offset AX of p
(DI), g (SI), m (DX) and v (R9), until CX bytes (a whole number of
vectors), with b1, c1, b2, c2, corr, eps, step broadcast to V0-V6. The
operations are those of adamGeneric, one rounding each (no FMA), in its
order; in Go's operand order VOP a, b, d is d = b op a. The square root
and the division are the slow part (both correctly rounded, like Go's);
the loop leaves their overlap across iterations to the processor.`

// genAdam writes adam<w><t>(p, g, m, v []T, b1, c1, b2, c2, corr, eps,
// step T) (see adamComment).
func genAdam(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	name := "adam" + w.Name + t.Name
	doc := variantDoc(name, "adamAVX512F32", w, t, fmt.Sprintf(", len(p) a multiple of %d", lanes))
	if w == avx512 && t.Name == "F32" {
		doc = `
adamAVX512F32 is, for len(p) a multiple of 16 and g, m, v at least as
long, adamGeneric (optim.go) with k = b1, c1, b2, c2, corr, eps, step
(β1, 1−β1, β2, 1−β2, Corr, ε, Step): for each i,

	m[i] = T(b1·m[i]) + T(c1·g[i])
	v[i] = T(b2·v[i]) + T(T(c2·g[i])·g[i])
	p[i] -= T(step·m[i]) / T(T(√v[i]·corr) + eps)`
	}
	text(name, t, "func(p, g, m, v []T, b1, c1, b2, c2, corr, eps, step T)", doc)
	commentOnce("adam", adamComment)
	loadArgs(Param("p").Base(), RDI, Param("p").Len(), RCX, Param("g").Base(), RSI,
		Param("m").Base(), RDX, Param("v").Base(), R9)
	Comment("CX = the bytes of p")
	SHLQ(U8(t.Shift), RCX)
	JZ(LabelRef("done"))
	// The coefficients, broadcast to V0-V6.
	coef := []string{"b1", "c1", "b2", "c2", "corr", "eps", "step"}
	for i, c := range coef {
		t.Broadcast(addr(Param(c)), w.V(i))
	}
	b1, c1, b2, c2, corr, eps, step := w.V(0), w.V(1), w.V(2), w.V(3), w.V(4), w.V(5), w.V(6)
	xg, xm, xv, xp, xt, xs := w.V(8), w.V(9), w.V(10), w.V(11), w.V(12), w.V(13)
	at := func(base Register) Mem { return memx(base, RAX, 0) }

	XORQ(RAX, RAX)
	Label("loop")
	t.MovU(at(RSI), xg)
	t.MovU(at(RDX), xm)
	t.MovU(at(R9), xv)
	Comment("m = β1·m + (1−β1)·g")
	t.Mul(b1, xm, xm)
	t.Mul(xg, c1, xt)
	t.Add(xt, xm, xm)
	t.MovU(xm, at(RDX))
	Comment("v = β2·v + ((1−β2)·g)·g")
	t.Mul(b2, xv, xv)
	t.Mul(xg, c2, xt)
	t.Mul(xg, xt, xt)
	t.Add(xt, xv, xv)
	t.MovU(xv, at(R9))
	Comment("p -= (Step·m) / (√v·Corr + ε)")
	t.Sqrt(xv, xs)
	t.Mul(corr, xs, xs)
	t.Add(eps, xs, xs)
	t.Mul(step, xm, xt)
	t.Div(xs, xt, xt)
	t.MovU(at(RDI), xp)
	t.Sub(xt, xp, xp)
	t.MovU(xp, at(RDI))
	ADDQ(U8(w.Bytes), RAX)
	CMPQ(RAX, RCX)
	JB(LabelRef("loop"))
	VZEROUPPER()

	Label("done")
	RET()
}
