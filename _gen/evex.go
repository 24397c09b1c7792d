package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Go's assembler has no AVX512_BF16 instruction, so the ones the bfloat16
// tiles and converters need, VDPBF16PS, VCVTNEPS2BF16 and VCVTNE2PS2BF16,
// are written as the bytes of their EVEX encodings (evex_test.go checks
// them against GNU as). Only the forms the routines use are encoded: for
// VDPBF16PS a zmm destination and first source, and a zmm or a 4-byte
// memory operand broadcast to every lane ({1to16}) as the second; for
// VCVTNEPS2BF16 a zmm source and a ymm destination, for VCVTNE2PS2BF16
// three zmm, unmasked.

// dpbf16ps is VDPBF16PS src3, src2, dst in Go's operand order (src3 a zmm
// or a Mem, broadcast): in each 32-bit lane i, with src2's bfloat16 pairs
// (e_i, o_i) = (src2.bf16[2i], src2.bf16[2i+1]) and src3's (e, o),
//
//	dst[i] = fma(e_i, e, fma(o_i, o, dst[i]))
//
// in float32, the odd pair first, each FMA rounded to nearest even with
// denormal inputs and results flushed to zero (Intel's SDM; measured bit
// for bit on Zen 4: the root package's TestDotTile against its Go model).
func dpbf16ps(src3 Op, src2, dst VecPhysical) {
	emitBytes("VDPBF16PS "+goOperand(src3)+", "+src2.Asm()+", "+dst.Asm(), encDPBF16PS(src3, src2, dst))
}

// emitBytes writes an instruction's encoding as one line of BYTE
// directives after a comment that says which instruction (avo prints an
// instruction's opcode as it is given).
func emitBytes(ins string, enc []byte) {
	var b strings.Builder
	for i, x := range enc {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "BYTE $0x%02x", x)
	}
	Comment(ins)
	Instruction(&ir.Instruction{Opcode: b.String()})
}

// cvtneps2bf16 is VCVTNEPS2BF16 src, dst (dst the ymm of a zmm): each
// float32 lane of src rounded to bfloat16, to nearest even, with a NaN
// made quiet (its top half with bit 6 set) and denormal inputs flushed
// to zero of their sign: BF16From but for the denormals (Intel's SDM).
func cvtneps2bf16(src, dst VecPhysical) {
	emitBytes("VCVTNEPS2BF16 "+src.Asm()+", "+dst.AsY().Asm(), encCVTNEPS2BF16(src, dst))
}

// cvtne2ps2bf16 is VCVTNE2PS2BF16 lo, hi, dst in Go's operand order:
// dst's 16-bit words 0…15 are lo's float32 lanes rounded as
// cvtneps2bf16 rounds them, words 16…31 hi's: one instruction for two
// vectors, where VCVTNEPS2BF16 takes two and a third to join the halves
// (TUNING.md has the difference).
func cvtne2ps2bf16(lo, hi, dst VecPhysical) {
	emitBytes("VCVTNE2PS2BF16 "+lo.Asm()+", "+hi.Asm()+", "+dst.Asm(), encCVTNE2PS2BF16(lo, hi, dst))
}

// encCVTNE2PS2BF16 is the EVEX encoding of VCVTNE2PS2BF16 zmm ← zmm
// (vvvv, the high half), zmm (r/m, the low half) (EVEX.512.F2.0F38.W0
// 72 /r, register forms).
func encCVTNE2PS2BF16(lo, hi, dst VecPhysical) []byte {
	d, v, r := int(dst.PhysicalIndex()), int(hi.PhysicalIndex()), int(lo.PhysicalIndex())
	p0 := byte((^d>>3&1)<<7|(^r>>4&1)<<6|(^r>>3&1)<<5|(^d>>4&1)<<4) | 0x02 // map 0F38
	p1 := byte((^v&15)<<3) | 0x04 | 0x03                                   // W0, pp F2
	p2 := byte(2<<5 | (^v>>4&1)<<3)                                        // L'L = 512, no mask
	return []byte{0x62, p0, p1, p2, 0x72, 0xc0 | byte(d&7)<<3 | byte(r&7)}
}

// encCVTNEPS2BF16 is the EVEX encoding of VCVTNEPS2BF16 ymm ← zmm
// (EVEX.512.F3.0F38.W0 72 /r, register forms): 62, three payload bytes
// (no vvvv operand: all ones), the opcode, ModRM.
func encCVTNEPS2BF16(src, dst VecPhysical) []byte {
	d, r := int(dst.PhysicalIndex()), int(src.PhysicalIndex())
	p0 := byte((^d>>3&1)<<7|(^r>>4&1)<<6|(^r>>3&1)<<5|(^d>>4&1)<<4) | 0x02 // map 0F38
	p1 := byte(15<<3) | 0x04 | 0x02                                        // vvvv unused, W0, pp F3
	p2 := byte(2<<5 | 1<<3)                                                // L'L = 512, V' unused, no mask
	return []byte{0x62, p0, p1, p2, 0x72, 0xc0 | byte(d&7)<<3 | byte(r&7)}
}

// goOperand is an operand in Go's assembler syntax, {1to16} for a
// broadcast memory operand.
func goOperand(op Op) string {
	if m, ok := op.(Mem); ok {
		return m.Asm() + ".BCST"
	}
	return op.Asm()
}

// encDPBF16PS is the EVEX encoding of VDPBF16PS (EVEX.512.F3.0F38.W0 52
// /r): 62, three payload bytes, the opcode, ModRM, SIB when the address
// needs one, then the displacement (disp8 scaled by 4, the broadcast
// element's size, when it fits, as the assemblers choose).
func encDPBF16PS(src3 Op, src2, dst VecPhysical) []byte {
	d, v := int(dst.PhysicalIndex()), int(src2.PhysicalIndex())
	var rmX, rmB int // the bits of ModRM.rm's register above its three
	var tail []byte
	bcst := 0
	switch o := src3.(type) {
	case VecPhysical:
		r := int(o.PhysicalIndex())
		rmB, rmX = r>>3&1, r>>4&1
		tail = []byte{0xc0 | byte(d&7)<<3 | byte(r&7)}
	case Mem:
		bcst = 1
		var x, b int
		tail, x, b = encMem(o, d&7, 4)
		rmX, rmB = x, b
	default:
		panic(fmt.Sprintf("dpbf16ps: operand %v", src3))
	}
	p0 := byte((^d>>3&1)<<7|(^rmX&1)<<6|(^rmB&1)<<5|(^d>>4&1)<<4) | 0x02 // map 0F38
	p1 := byte((^v&15)<<3) | 0x04 | 0x02                                 // W0, pp F3
	p2 := byte(2<<5 | bcst<<4 | (^v>>4&1)<<3)                            // L'L = 512, no mask (aaa = 0)
	return append([]byte{0x62, p0, p1, p2, 0x52}, tail...)
}

// encMem is ModRM (with reg), SIB and displacement of a memory operand,
// and the base's and index's fourth bits (EVEX.B, EVEX.X); n scales an
// 8-bit displacement (disp8·N).
func encMem(m Mem, reg, n int) (out []byte, x, b int) {
	base, ok := m.Base.(GPPhysical)
	if !ok {
		panic(fmt.Sprintf("dpbf16ps: address %s without a base register", m.Asm()))
	}
	bi := int(base.PhysicalIndex())
	ii, scale := -1, 0
	if m.Index != nil {
		ii = int(m.Index.(GPPhysical).PhysicalIndex())
		if ii == 4 {
			panic("dpbf16ps: SP as an index")
		}
		scale = map[uint8]int{1: 0, 2: 1, 4: 2, 8: 3}[m.Scale]
	}
	var mod int
	var disp []byte
	switch {
	case m.Disp == 0 && bi&7 != 5: // BP and R13 have no form without a displacement
		mod = 0
	case m.Disp%n == 0 && m.Disp/n >= -128 && m.Disp/n <= 127:
		mod, disp = 1, []byte{byte(int8(m.Disp / n))}
	default:
		mod = 2
		d := uint32(int32(m.Disp))
		disp = []byte{byte(d), byte(d >> 8), byte(d >> 16), byte(d >> 24)}
	}
	if ii < 0 && bi&7 != 4 {
		out = []byte{byte(mod<<6 | reg<<3 | bi&7)}
	} else {
		idx := 4 // none
		if ii >= 0 {
			idx = ii & 7
			x = ii >> 3
		}
		out = []byte{byte(mod<<6 | reg<<3 | 4), byte(scale<<6 | idx<<3 | bi&7)}
	}
	return append(out, disp...), x, bi >> 3
}
