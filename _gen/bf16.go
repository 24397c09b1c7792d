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
// description of each routine for both vector widths (vecISA), two
// vectors of float32 a loop step.
//
// Rounding to nearest even is done on the integer bits, as BF16From does
// it: add 0x7FFF plus the lowest kept bit (bit 16), so that a low half
// above 0x8000, or equal to it with bit 16 set, carries into the kept
// half; the carry runs into the exponent, which makes the largest finite
// values ±Inf. Lanes that hold a NaN (VCMPPS predicate 3, unordered)
// take x | 0x00400000 instead, the quiet bit, so that a NaN stays one
// even when its payload is all in the low half. The top halves are then
// packed to 16 bits: on AVX-512 one VPERMT2W gathers the odd words of
// both vectors into one for a single store (VPSRLD and a VPMOVDW to
// memory each, as before, ran at half the speed on Zen 4: TUNING.md). The
// AVX512_BF16 instruction VCVTNEPS2BF16 does this in one, but it flushes
// subnormal inputs to zero, unlike BF16From: toBF16CvtAVX512 uses it for
// the vectors without one (VFPCLASSPS) and rounds the others as above.

// genBF16 writes ToBF16's and FromBF16's routines for AVX-512 and AVX2.
func genBF16() {
	for _, w := range isas {
		bf16To(w, false)
	}
	bf16To(avx512, true)
	for _, w := range isas {
		bf16From(w)
	}
}

// bf16Bcast sets every 32-bit lane of v to c (through EAX; AVX2 has no
// broadcast from a general register).
func bf16Bcast(w vecISA, c uint32, v VecPhysical) {
	MOVL(U32(c), EAX)
	if w.Z {
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
// bits and packed to one vector's worth of dst. With cvt (AVX-512 only)
// it is toBF16CvtAVX512, for a core with AVX512_BF16: each step rounded by
// VCVTNE2PS2BF16 unless a lane is denormal (then on the integer bits, out
// of line), as the tiles' bfloat16 epilogue does.
func bf16To(w vecISA, cvt bool) {
	blk := 2 * f32.Lanes(w.Bytes)
	name := "toBF16" + w.Name
	if cvt {
		if !w.Z {
			panic("bf16: VCVTNEPS2BF16 is AVX-512")
		}
		name = "toBF16Cvt" + w.Name
	}
	textSig(name, "func(dst []uint16, src []float32)",
		strings.NewReplacer("toBF16{W}", name, "{W}", w.Name, "{B}", fmt.Sprint(blk)).Replace(bf16ToDoc))
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("src"), RSI)
	MOVQ(argLen("src"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	bias, one, quiet := w.V(4), w.V(5), w.V(6)
	bf16Bcast(w, 0x7FFF, bias)
	bf16Bcast(w, 1, one)
	bf16Bcast(w, 0x00400000, quiet)
	if w.Z {
		VMOVDQU32(oddWords(), w.V(7))
	}

	// end moves to the next step, and returns after the last.
	end := func() {
		ADDQ(U32(2*w.Bytes), RSI)
		ADDQ(U32(w.Bytes), RDI)
		SUBQ(U32(blk), RCX)
		JNZ(LabelRef("loop"))
		VZEROUPPER()
		Label("done")
		RET()
	}
	Label("loop")
	if cvt {
		Comment("Both vectors by one VCVTNE2PS2BF16, into the halves of one, unless",
			"a lane is denormal (VFPCLASSPS 0x20), which it would flush to zero.")
		for j := range 2 {
			w.MovDQU(mem(RSI, j*w.Bytes), w.V(j))
			VFPCLASSPSZ(U8(0x20), w.V(j), []Register{K1, K2}[j])
		}
		KORTESTW(K1, K2)
		JNZ(LabelRef("exact"))
		cvtne2ps2bf16(w.V(0), w.V(1), w.V(0))
		VMOVDQU32(w.V(0), mem(RDI, 0))
		Label("next")
		end()
		Label("exact")
	}
	for j := range 2 {
		x, t := w.V(j), w.V(2+j)
		Comment(fmt.Sprintf("x = src[%d:%d] as bits; t = x + 0x7FFF + (x>>16 & 1)", j*f32.Lanes(w.Bytes), (j+1)*f32.Lanes(w.Bytes)))
		if !cvt {
			w.MovDQU(mem(RSI, j*w.Bytes), x)
		}
		VPSRLD(U8(16), x, t)
		w.PAnd(one, t, t)
		VPADDD(bias, t, t)
		VPADDD(x, t, t)
		Comment("NaN lanes (unordered with themselves): t = x | quiet bit")
		if w.Z {
			k := [...]Register{K1, K2}[j]
			VCMPPS(U8(3), x, x, k)
			w.POr(quiet, x, k, t)
		} else {
			nan, q := w.V(8+j), w.V(10+j)
			VCMPPS(U8(3), x, x, nan)
			w.POr(quiet, x, q)
			VPBLENDVB(nan, q, t, t)
		}
		if !w.Z {
			VPSRLD(U8(16), t, t)
		}
	}
	if w.Z {
		Comment("The top halves of the 32 lanes (the odd words of both vectors) into one")
		VPERMT2W(w.V(3), w.V(7), w.V(2))
		VMOVDQU32(w.V(2), mem(RDI, 0))
		if cvt {
			JMP(LabelRef("next"))
			return
		}
	} else {
		Comment("Pack the two vectors' lanes to 16 bits (no saturation: they are below 1<<16),",
			"per 128-bit half, then put the quadwords back in order")
		VPACKUSDW(w.V(3), w.V(2), w.V(2))
		VPERMQ(U8(0xD8), w.V(2), w.V(2))
		VMOVDQU(w.V(2), Mem{Base: RDI})
	}
	end()
}

// bf16Consts broadcasts toBF16's constants, 0x7FFF, 1 and the quiet bit
// 0x00400000, to every lane of bias, one and quiet (AVX-512; through
// EAX).
func bf16Consts(bias, one, quiet VecPhysical) {
	for _, c := range []struct {
		v uint32
		r VecPhysical
	}{{0x7FFF, bias}, {1, one}, {0x00400000, quiet}} {
		MOVL(U32(c.v), EAX)
		VPBROADCASTD(EAX, c.r)
	}
}

// bf16Round sets the top halves of t's lanes to BF16From of x's float32
// lanes, toBF16's rounding on AVX-512: t = x + 0x7FFF + (x>>16 & 1), or
// x | quiet bit where x is NaN (k clobbered), with bf16Consts's
// constants.
func bf16Round(x, t, bias, one, quiet VecPhysical, k Register) {
	VPSRLD(U8(16), x, t)
	VPANDD(one, t, t)
	VPADDD(bias, t, t)
	VPADDD(x, t, t)
	VCMPPS(U8(3), x, x, k)
	VPORD(quiet, x, k, t)
}

// oddWords returns the table oddWords, the VPERMT2W indexes of the odd
// 16-bit words of two vectors in order (word 2i+1 of the 64, the first
// vector's 0…31 and the second's 32…63), written at its first use.
func oddWords() Mem {
	if oddWordsTable == nil {
		m := GLOBL("oddWords", RODATA|NOPTR)
		for i := range 32 {
			DATA(2*i, U16(2*i+1))
		}
		oddWordsTable = &m
	}
	return *oddWordsTable
}

var oddWordsTable *Mem

const bf16FromDoc = `
fromBF16{W} is, for len(src) a multiple of {B} and len(dst) == len(src),

	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}`

// bf16From is fromBF16{W}: two vectors of dst a step, each src widened
// with zeros and shifted into the top half.
func bf16From(w vecISA) {
	blk := 2 * f32.Lanes(w.Bytes)
	textSig("fromBF16"+w.Name, "func(dst []float32, src []uint16)",
		strings.NewReplacer("{W}", w.Name, "{B}", fmt.Sprint(blk)).Replace(bf16FromDoc))
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("src"), RSI)
	MOVQ(argLen("src"), RCX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("done"))
	Label("loop")
	for j := range 2 {
		widenBF16(mem(RSI, j*w.Bytes/2), w.V(j))
		w.MovDQU(w.V(j), mem(RDI, j*w.Bytes))
	}
	ADDQ(U32(w.Bytes), RSI)
	ADDQ(U32(2*w.Bytes), RDI)
	SUBQ(U32(blk), RCX)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	Label("done")
	RET()
}
