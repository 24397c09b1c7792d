package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The bfloat16 conversions for AVX-512 and AVX2 (the Go wrappers are in
// bf16_asm.go and bf16_amd64.go; bf16.go says what a BF16 is): one
// description of each routine for both vector widths (bf16Width), two
// vectors of float32 a loop step.
//
// Rounding to nearest even is done on the integer bits, as BF16From does
// it: add 0x7FFF plus the lowest kept bit (bit 16), so that a low half
// above 0x8000, or equal to it with bit 16 set, carries into the kept
// half; the carry runs into the exponent, which makes the largest finite
// values ±Inf. Lanes that hold a NaN (VCMPPS predicate 3, unordered)
// take x | 0x00400000 instead, the quiet bit, so that a NaN stays one
// even when its payload is all in the low half. The top halves are then
// packed to 16 bits. The AVX512_BF16 instruction VCVTNEPS2BF16 would do
// this in one, but it flushes subnormal inputs to zero, unlike BF16From.

// bf16Width is a vector width of the conversions: everything in which
// the AVX-512 routines differ from the AVX2 ones.
type bf16Width struct {
	suffix string                  // of the routines' names: AVX512, AVX2
	evex   bool                    // AVX-512: K masks for the NaN select, VPMOVDW to pack
	bytes  int                     // of a vector
	reg    func(i int) VecPhysical // vector register i
	and    func(...Op)             // VPANDD / VPAND
	or     func(...Op)             // VPORD / VPOR
	movu   func(...Op)             // VMOVDQU32 / VMOVDQU
}

// lanes is the float32 lanes of a vector.
func (w bf16Width) lanes() int { return w.bytes / 4 }

var bf16AVX512 = bf16Width{
	suffix: "AVX512", evex: true, bytes: 64,
	reg: func(i int) VecPhysical {
		return [...]VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11}[i]
	},
	and: VPANDD, or: VPORD, movu: VMOVDQU32,
}

var bf16AVX2 = bf16Width{
	suffix: "AVX2", bytes: 32,
	reg: func(i int) VecPhysical {
		return [...]VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11}[i]
	},
	and:  func(o ...Op) { VPAND(o[0], o[1], o[2]) },
	or:   func(o ...Op) { VPOR(o[0], o[1], o[2]) },
	movu: func(o ...Op) { VMOVDQU(o[0], o[1]) },
}

// genBF16 writes ToBF16's and FromBF16's routines for AVX-512 and AVX2.
func genBF16() {
	for _, w := range []bf16Width{bf16AVX512, bf16AVX2} {
		bf16To(w)
	}
	for _, w := range []bf16Width{bf16AVX512, bf16AVX2} {
		bf16From(w)
	}
}

// bf16Bcast sets every 32-bit lane of v to c (through EAX; AVX2 has no
// broadcast from a general register).
func bf16Bcast(w bf16Width, c uint32, v VecPhysical) {
	MOVL(U32(c), EAX)
	if w.evex {
		VPBROADCASTD(EAX, v)
		return
	}
	x := v.AsX()
	VMOVD(EAX, x)
	VPBROADCASTD(x, v)
}

const bf16ToDoc = `
toBF16{W} is, for len(src) a multiple of {B} and len(dst) == len(src),

	for i, f := range src {
		dst[i] = uint16(BF16From(f))
	}

(see BF16From in bf16.go: to nearest even on the bits, NaN made quiet).`

// bf16To is toBF16{W}: two vectors of src a step, rounded on the integer
// bits and packed to one vector's worth of dst.
func bf16To(w bf16Width) {
	blk := 2 * w.lanes()
	name := "toBF16" + w.suffix
	textSig(name, "func(dst []uint16, src []float32)",
		strings.NewReplacer("{W}", w.suffix, "{B}", fmt.Sprint(blk)).Replace(bf16ToDoc))
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("src"), RSI)
	MOVQ(argLen("src"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	bias, one, quiet := w.reg(4), w.reg(5), w.reg(6)
	bf16Bcast(w, 0x7FFF, bias)
	bf16Bcast(w, 1, one)
	bf16Bcast(w, 0x00400000, quiet)

	Label("loop")
	for j := range 2 {
		x, t := w.reg(j), w.reg(2+j)
		Comment(fmt.Sprintf("x = src[%d:%d] as bits; t = x + 0x7FFF + (x>>16 & 1)", j*w.lanes(), (j+1)*w.lanes()))
		w.movu(Mem{Base: RSI, Disp: j * w.bytes}, x)
		VPSRLD(U8(16), x, t)
		w.and(one, t, t)
		VPADDD(bias, t, t)
		VPADDD(x, t, t)
		Comment("NaN lanes (unordered with themselves): t = x | quiet bit")
		if w.evex {
			k := [...]Register{K1, K2}[j]
			VCMPPS(U8(3), x, x, k)
			w.or(quiet, x, k, t)
		} else {
			nan, q := w.reg(8+j), w.reg(10+j)
			VCMPPS(U8(3), x, x, nan)
			w.or(quiet, x, q)
			VPBLENDVB(nan, q, t, t)
		}
		VPSRLD(U8(16), t, t)
	}
	if w.evex {
		Comment("Each 32-bit lane's low half (the rounded top half, shifted down) to 16 bits")
		for j := range 2 {
			VPMOVDW(w.reg(2+j), Mem{Base: RDI, Disp: j * w.bytes / 2})
		}
	} else {
		Comment("Pack the two vectors' lanes to 16 bits (no saturation: they are below 1<<16),",
			"per 128-bit half, then put the quadwords back in order")
		VPACKUSDW(w.reg(3), w.reg(2), w.reg(2))
		VPERMQ(U8(0xD8), w.reg(2), w.reg(2))
		VMOVDQU(w.reg(2), Mem{Base: RDI})
	}
	ADDQ(U32(2*w.bytes), RSI)
	ADDQ(U32(w.bytes), RDI)
	SUBQ(U32(blk), RCX)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	Label("done")
	RET()
}

const bf16FromDoc = `
fromBF16{W} is, for len(src) a multiple of {B} and len(dst) == len(src),

	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}`

// bf16From is fromBF16{W}: two vectors of dst a step, each src widened
// with zeros and shifted into the top half.
func bf16From(w bf16Width) {
	blk := 2 * w.lanes()
	textSig("fromBF16"+w.suffix, "func(dst []float32, src []uint16)",
		strings.NewReplacer("{W}", w.suffix, "{B}", fmt.Sprint(blk)).Replace(bf16FromDoc))
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("src"), RSI)
	MOVQ(argLen("src"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	Label("loop")
	for j := range 2 {
		VPMOVZXWD(Mem{Base: RSI, Disp: j * w.bytes / 2}, w.reg(j))
		VPSLLD(U8(16), w.reg(j), w.reg(j))
		w.movu(w.reg(j), Mem{Base: RDI, Disp: j * w.bytes})
	}
	ADDQ(U32(w.bytes), RSI)
	ADDQ(U32(2*w.bytes), RDI)
	SUBQ(U32(blk), RCX)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	Label("done")
	RET()
}
