package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// vecISA describes a vector width of the amd64 routines: AVX-512 (zmm,
// 64 bytes) or AVX2 (ymm, 32 bytes), and the instructions that differ
// between the two where the routines are otherwise one description.
// (The GEMM tiles of avx2*.go and avx512*.go are separate descriptions,
// as their register use and epilogues differ, and do not take one.)
type vecISA struct {
	Name  string // in the routines' names: "AVX512", "AVX2"
	Bytes int    // bytes a vector
	Z     bool   // zmm registers and K masks
}

var (
	avx512 = vecISA{Name: "AVX512", Bytes: 64, Z: true}
	avx2   = vecISA{Name: "AVX2", Bytes: 32}
	isas   = []vecISA{avx512, avx2}
)

// zmm, ymm and xmm are the vector registers by number.
var (
	zmm = [...]VecPhysical{
		Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31,
	}
	ymm = [...]VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	xmm = [...]VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}
)

var kreg = [...]OpmaskPhysical{K0, K1, K2, K3, K4, K5, K6, K7}

// V is vector register i at the width of w (Zi or Yi).
func (w vecISA) V(i int) VecPhysical {
	if w.Z {
		return zmm[i]
	}
	return ymm[i]
}

// VEX is the register through which a VEX-encoded instruction writes
// vector register i whole: Xi for a zmm (a VEX write clears the bits
// above it), Yi for a ymm.
func (w vecISA) VEX(i int) Register {
	if w.Z {
		return zmm[i].AsX()
	}
	return zmm[i].AsY()
}

// PAnd is the bitwise AND of w: VPANDD (EVEX) or VPAND (VEX). With
// AVX-512 it may take a K mask (a, b, k, dst).
func (w vecISA) PAnd(ops ...Op) {
	if w.Z {
		VPANDD(ops...)
	} else {
		VPAND(ops[0], ops[1], ops[2])
	}
}

// POr is the bitwise OR of w: VPORD (EVEX, optionally under a K mask:
// a, b, k, dst) or VPOR (VEX).
func (w vecISA) POr(ops ...Op) {
	if w.Z {
		VPORD(ops...)
	} else {
		VPOR(ops[0], ops[1], ops[2])
	}
}

// MovDQU is the unaligned integer move of w: VMOVDQU32 or VMOVDQU.
func (w vecISA) MovDQU(mxy, mxy1 Op) {
	if w.Z {
		VMOVDQU32(mxy, mxy1)
	} else {
		VMOVDQU(mxy, mxy1)
	}
}

// mem is disp(base).
func mem(base Register, disp int) Mem { return Mem{Base: base, Disp: disp} }

// memx is disp(base)(index*1).
func memx(base, index Register, disp int) Mem { return memxs(base, index, 1, disp) }

// memxs is disp(base)(index*scale).
func memxs(base, index Register, scale uint8, disp int) Mem {
	return Mem{Base: base, Index: index, Scale: scale, Disp: disp}
}

// addr is the address of a named argument or result (name+off(FP)).
func addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// arg, argBase and argLen are the frame slots of argument name, of its
// pointer and of its length (a slice).
func arg(name string) Mem     { return addr(Param(name)) }
func argBase(name string) Mem { return addr(Param(name).Base()) }
func argLen(name string) Mem  { return addr(Param(name).Len()) }

// pcalign is PCALIGN $n (avo has no such instruction): the loop that
// follows starts on an n-byte boundary.
func pcalign(n int) {
	Instruction(&ir.Instruction{Opcode: "PCALIGN", Operands: []Op{U32(n)}})
}

// loadArgs loads the arguments into general registers, in order: each
// pair is a component (Param("x").Base(), Param("n")) and its register.
func loadArgs(pairs ...any) {
	for i := 0; i < len(pairs); i += 2 {
		Load(pairs[i].(gotypes.Component), pairs[i+1].(Register))
	}
}

// log2 is the base-2 logarithm of n, a power of two.
func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	if 1<<k != n {
		panic(fmt.Sprintf("log2: %d is not a power of two", n))
	}
	return k
}

// text opens routine name with signature sig (a Go func type, T for the
// element type), NOSPLIT, its doc comment (lines of doc, which lands on
// the Go declaration) and //go:noescape.
func text(name string, t elemType, sig, doc string) {
	textSig(name, strings.ReplaceAll(sig, "T", t.Go), doc)
}

// textSig is text with the signature sig written out in full.
func textSig(name, sig, doc string) {
	textLines(name, sig, strings.Split(strings.TrimSpace(doc), "\n")...)
}

// textLines is textSig with the doc comment given as its lines.
func textLines(name, sig string, doc ...string) {
	TEXT(name, NOSPLIT, sig)
	Doc(doc...)
	Pragma("noescape")
}

// variantDoc is the doc comment of routine name, a variant of base (the
// AVX-512 float32 routine, whose doc shows the Go): "name is base for
// float64 in AVX2" and the rest, if any.
func variantDoc(name, base string, w vecISA, t elemType, rest string) string {
	d := name + " is " + base
	if t.Size != 4 {
		d += " for " + t.Go
	}
	if !w.Z {
		d += " in " + w.Name
	}
	return d + rest + "."
}

// commented records the comment blocks already written by commentOnce.
var commented = map[string]bool{}

// commentOnce writes the lines of c (a block shared by the variants of a
// routine) into the current function the first time key is seen, so
// that the generated file carries it once, in the first variant.
func commentOnce(key, c string) {
	if commented[key] {
		return
	}
	commented[key] = true
	Comment(strings.Split(strings.TrimSpace(c), "\n")...)
}

// widenBF16 loads the 16-bit words at src (memory, or a register of half
// v's width) into v as float32: zero-extended to dwords (VPMOVZXWD), then
// shifted into their top halves (VPSLLD by 16), a bfloat16 being the top
// half of its float32.
func widenBF16(src Op, v VecPhysical) {
	VPMOVZXWD(src, v)
	VPSLLD(U8(16), v, v)
}

// widenBF16Masked is widenBF16 of the words of m under the word mask k,
// through y (v's low half): a zeroing VMOVDQU16, whose masked-off words
// are neither read nor faulted on, then widened from the register.
func widenBF16Masked(m Mem, k Register, y, v VecPhysical) {
	VMOVDQU16_Z(m, k, y)
	widenBF16(y, v)
}
