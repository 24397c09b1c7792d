package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genBF16Dot writes the packers of the bfloat16 dot tile
// (tileAVX512BF16x16x16u; the tile itself is an entry of avx512Tiles):
// B's rows into pairs, and dZ in bfloat16 from dR and the mask bits.
func genBF16Dot() {
	avx512GenPackBPairs(false, false)
	avx512GenPackBPairs(true, false)
	avx512GenPackBPairs(true, true)
	avx512GenSelectBF16()
	avx512GenSelectAddBF16()
	genPackDZBPairs()
}

// interleaveWords returns the table interleaveWords, the VPERMT2W
// indexes that interleave the first 16 words of two vectors (word 2i the
// first's word i, word 2i+1 the second's, index 32+i). The table is
// written once, by the first caller (the pair packer or a dot tile
// reading B's rows where they lie).
func interleaveWords() Mem { return pairTable("interleaveWords", 32) }

// interleaveHalves returns the table interleaveHalves, the VPERMW indexes
// that interleave a vector's two halves of 16 words (word i, then word
// 16+i): two rows of 16 bfloat16 values made 16 pairs.
func interleaveHalves() Mem { return pairTable("interleaveHalves", 16) }

// pairTable returns the word-index table name, entries i and odd+i for
// i = 0 … 15 in turn, written at its first use.
func pairTable(name string, odd int) Mem {
	if m, ok := pairTables[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U16(i))
		DATA(4*i+2, U16(odd+i))
	}
	pairTables[name] = m
	return m
}

var pairTables = map[string]Mem{}

// selectHead declares a select routine, name with signature sig, its doc
// the lines of intro and then the Go it replaces: the select, and the
// lines of more in its loop after dz[i] = v. It loads DI = dz, SI = dr,
// DX = len(dr) and BX = bits.
func selectHead(name, sig string, intro []string, more ...string) {
	doc := append(intro, "",
		"	for i, v := range dr {",
		"		if bits[i/64]>>(i%64)&1 == 0 {",
		"			v = 0",
		"		}",
		"		dz[i] = v")
	doc = append(append(doc, more...), "	}")
	textLines(name, sig, doc...)
	MOVQ(argBase("dz"), RDI)
	MOVQ(argBase("dr"), RSI)
	MOVQ(argLen("dr"), RDX)
	MOVQ(argBase("bits"), RBX)
}

// selectTail starts a select routine's last partial step of n values
// (64: a mask word, or 16): t = DX mod n, to done if 0; K3 = t ones and
// K1 = the step's mask bits at BX among them.
func selectTail(n int) {
	MOVQ(RDX, RCX)
	ANDQ(U8(n-1), RCX)
	JZ(LabelRef("done"))
	if n == 64 {
		MOVQ(U32(1), RAX)
		SHLQ(CL, RAX)
		DECQ(RAX)
		KMOVQ(RAX, K3)
		KMOVQ(mem(RBX, 0), K1)
		KANDQ(K3, K1, K1)
		return
	}
	MOVL(U32(1), EAX)
	SHLL(CL, EAX)
	DECL(EAX)
	KMOVW(EAX, K3)
	KMOVW(mem(RBX, 0), K1)
	KANDW(K3, K1, K1)
}

// avx512GenSelectBF16 writes selectBF16AVX512: dZ in bfloat16 from dR and
// the mask bits, 64 values a mask word: the word's halves into K1 and K2
// (KMOVD), a load of 32 values of dR under each with zeroing (VMOVDQU16)
// is the select, +0 where the bit is clear. A last partial word (t < 64
// values: a narrow layer's rows, N = 10) is the same under the word ANDed
// with t ones, for the loads and the stores: masked-off lanes are
// neither read nor written, so nothing past the slices is touched.
func avx512GenSelectBF16() {
	selectHead("selectBF16AVX512", "func(dz, dr []uint16, bits []uint64)",
		[]string{"selectBF16AVX512 is, for len(dz) == len(dr) and len(bits) ==", "ceil(len(dr)/64),"})
	MOVQ(RDX, RCX)
	SHRQ(U8(6), RCX)
	JZ(LabelRef("tail"))
	Label("loop")
	KMOVD(mem(RBX, 0), K1)
	KMOVD(mem(RBX, 4), K2)
	VMOVDQU16_Z(mem(RSI, 0), K1, Z0)
	VMOVDQU16_Z(mem(RSI, 64), K2, Z1)
	VMOVDQU16(Z0, mem(RDI, 0))
	VMOVDQU16(Z1, mem(RDI, 64))
	ADDQ(U32(128), RSI)
	ADDQ(U32(128), RDI)
	ADDQ(U32(8), RBX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("tail")
	Comment("t = len(dr) mod 64 values left: K3/K4 = t ones (halves), K1/K2 = the word's bits among them.")
	selectTail(64)
	KSHIFTRQ(U8(32), K1, K2)
	KSHIFTRQ(U8(32), K3, K4)
	VMOVDQU16_Z(mem(RSI, 0), K1, Z0)
	VMOVDQU16_Z(mem(RSI, 64), K2, Z1)
	VMOVDQU16(Z0, K3, mem(RDI, 0))
	VMOVDQU16(Z1, K4, mem(RDI, 64))
	Label("done")
	VZEROUPPER()
	RET()
}

// avx512GenSelectAddBF16 writes selectAddBF16AVX512: selectBF16AVX512
// with db += dZ row in the same pass, 16 values a step: the step's 16
// mask bits into K1 (KMOVW), the select a zeroing ymm load of dR under
// them, stored as dZ and widened (VPMOVZXWD, VPSLLD: a bfloat16 is the
// top half of its float32) to add into db by the axpy it replaces
// (axpyAsmAVX512F32 by 1): VFMADD231PS with the same operands in the same
// places, so that where db and the value are both NaN it keeps the one
// the axpy keeps (the value's on Zen 4; cores differ), and every route
// of a pass sums db alike. The last t < 16 values go under t ones ANDed
// in, for every load and store.
func avx512GenSelectAddBF16() {
	selectHead("selectAddBF16AVX512", "func(dz, dr []uint16, bits []uint64, db []float32)",
		[]string{"selectAddBF16AVX512 is, for len(dz) == len(dr) == len(db) and", "len(bits) == ceil(len(dr)/64),"},
		"		db[i] = fma(1, math.Float32frombits(uint32(v)<<16), db[i])")
	MOVQ(argBase("db"), R8)
	MOVL(U32(0x3f800000), EAX)
	VPBROADCASTD(EAX, Z3) // 1.0
	MOVQ(RDX, RCX)
	SHRQ(U8(4), RCX)
	JZ(LabelRef("tail"))
	Label("loop")
	KMOVW(mem(RBX, 0), K1)
	VMOVDQU16_Z(mem(RSI, 0), K1, Y0)
	VMOVDQU16(Y0, mem(RDI, 0))
	widenBF16(Y0, Z1)
	VMOVUPS(mem(R8, 0), Z2)
	VFMADD231PS(Z1, Z3, Z2)
	VMOVUPS(Z2, mem(R8, 0))
	ADDQ(U32(32), RSI)
	ADDQ(U32(32), RDI)
	ADDQ(U32(64), R8)
	ADDQ(U32(2), RBX)
	DECQ(RCX)
	JNZ(LabelRef("loop"))
	Label("tail")
	Comment("t = len(dr) mod 16 values left: K3 = t ones, K1 = the step's bits among them.")
	selectTail(16)
	VMOVDQU16_Z(mem(RSI, 0), K1, Y0)
	VMOVDQU16(Y0, K3, mem(RDI, 0))
	widenBF16(Y0, Z1)
	VMOVUPS_Z(mem(R8, 0), K3, Z2)
	VFMADD231PS(Z1, Z3, Z2)
	VMOVUPS(Z2, K3, mem(R8, 0))
	Label("done")
	VZEROUPPER()
	RET()
}

// avx512GenPackBPairs writes packBPairsAVX512, which packs pairs of rows
// of a bfloat16 B into the dot tile's 16-column micro-panels: a panel's
// k step is 16 columns' pairs, the even row's value in the low half of
// each dword and the odd row's in the high half: both rows' 16 values
// loaded into the low halves of two vectors, one VPERMT2W interleaves
// them (two VPMOVZXWD, a VPSLLD and a VPORD did it 8–10% slower on Zen 4:
// TUNING.md). With of32 it writes packBPairsOfAVX512, the same from a
// float32 B rounded to bfloat16 as it is read (toBF16's rounding, one
// pass where rounding into scratch and packing from there took two); with
// cvt too, packBPairsOfCvtAVX512, the same for a core with AVX512_BF16,
// which rounds by VCVTNE2PS2BF16.
func avx512GenPackBPairs(of32, cvt bool) {
	name, elem, from := "packBPairsAVX512", "uint16", "uint32(b[2*p*ldb+c]) | uint32(b[(2*p+1)*ldb+c])<<16"
	if of32 {
		name, elem, from = "packBPairsOfAVX512", "float32", "uint32(BF16From(b[2*p*ldb+c])) | uint32(BF16From(b[(2*p+1)*ldb+c]))<<16"
	}
	if cvt {
		name = "packBPairsOfCvtAVX512"
	}
	textLines(name, "func(dst []float32, b []"+elem+", ldb, pairs, nb, panel, step int)",
		name+" packs pairs of rows of a "+map[bool]string{false: "bfloat16", true: "float32"}[of32]+" B into 16-column",
		"micro-panels of pairs, panel elements apart, their k steps step",
		"elements apart (16, or a multiple for a 16-column part of a wider",
		"panel; dst's elements are the bits of the pairs):",
		"",
		"\tfor p := range pairs {",
		"\t\tfor q := 0; q*16 < nb; q++ {",
		"\t\t\tout := dst[q*panel+p*step : q*panel+p*step+16]",
		"\t\t\tfor j := range out {",
		"\t\t\t\tout[j] = 0",
		"\t\t\t\tif c := q*16 + j; c < nb {",
		"\t\t\t\t\tout[j] = math.Float32frombits("+from+")",
		"\t\t\t\t}",
		"\t\t\t}",
		"\t\t}",
		"\t}",
	)
	size, shift := 2, 1 // B's element: bytes, and their log2
	if of32 {
		size, shift = 4, 2
	}
	Comment(
		"As packBRowsAVX512F32 (8 output rows of a panel stored in a row, each",
		"row of B read in order), with an output row made of two rows of B.",
		"R9 = the whole panels, K1 = the columns of the partial one, K2 all 16;",
		"DX = ldb, R11 = 2·ldb, R8 = panel, R14 = step, in bytes; R10 the",
		"pairs left.",
	)
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("b"), RSI)
	MOVQ(arg("ldb"), RDX)
	SHLQ(U8(shift), RDX)
	LEAQ(memx(RDX, RDX, 0), R11)
	MOVQ(arg("panel"), R8)
	SHLQ(U8(2), R8)
	avx512PanelMasks()
	MOVQ(arg("pairs"), R10)
	MOVQ(arg("step"), R14)
	SHLQ(U8(2), R14)
	bias, one, quiet, te, to := Z17, Z18, Z19, Z20, Z21
	if of32 {
		Comment("toBF16's constants; K4 = the odd words, the odd row's halves.")
		bf16Consts(bias, one, quiet)
		MOVL(U32(0xAAAAAAAA), EAX)
		KMOVD(EAX, K4)
	}
	switch {
	case cvt:
		VMOVDQU16(interleaveHalves(), Z16)
	case !of32:
		VMOVDQU16(interleaveWords(), Z16)
	}
	var fixups []func() // cvt: the out-of-line integer roundings

	// pairRow sets Zi to the pairs of rows at m and m + DX (the 16
	// columns under k: nil for all of them), with Z(i+8) for the odd row.
	pairRow := func(m Mem, k Register, i int) {
		e, o := zmm[i], zmm[i+8]
		odd := m
		odd.Index, odd.Scale = RDX, 1
		if of32 {
			if k == nil {
				VMOVUPS(m, e)
				VMOVUPS(odd, o)
			} else {
				VMOVUPS_Z(m, k, e)
				VMOVUPS_Z(odd, k, o)
			}
			round := func() {
				Comment("Both rounded; the even row's top halves to the low ones, the odd row's kept.")
				bf16Round(e, te, bias, one, quiet, K3)
				bf16Round(o, to, bias, one, quiet, K3)
				VPSRLD(U8(16), te, te)
				VPBLENDMW(to, te, K4, e)
			}
			if !cvt {
				round()
				return
			}
			n := len(fixups)
			fix, back := fmt.Sprintf("fix%d", n), fmt.Sprintf("back%d", n)
			Comment("Both rows by one VCVTNE2PS2BF16 (the even row's words low, the",
				"odd row's high) unless a lane is denormal (VFPCLASSPS 0x20), which",
				"it would flush to zero: then on the integer bits, out of line.",
				"Then the halves interleaved as bfloat16 rows are.")
			VFPCLASSPSZ(U8(0x20), e, K5)
			VFPCLASSPSZ(U8(0x20), o, K6)
			KORTESTW(K5, K6)
			JNZ(LabelRef(fix))
			cvtne2ps2bf16(e, o, e)
			VPERMW(e, Z16, e)
			Label(back)
			fixups = append(fixups, func() {
				Label(fix)
				round()
				JMP(LabelRef(back))
			})
			return
		}
		if k == nil {
			VMOVDQU16(m, e.AsY())
			VMOVDQU16(odd, o.AsY())
		} else {
			VMOVDQU16_Z(m, k, e.AsY())
			VMOVDQU16_Z(odd, k, o.AsY())
		}
		VPERMT2W(o, Z16, e)
	}
	// pair8 packs the 8 pairs of rows from R12 into the 8 steps of the
	// micro-panel at R13. Clobbers BX, CX, Z0–Z15.
	pair8 := func(k Register) {
		MOVQ(R12, RBX)
		for i := 0; i < 8; i++ {
			pairRow(mem(RBX, 0), k, i)
			if i < 7 {
				ADDQ(R11, RBX)
			}
		}
		MOVQ(R13, RCX)
		for i := 0; i < 8; i++ {
			VMOVUPS(zmm[i], mem(RCX, 0))
			if i < 7 {
				ADDQ(R14, RCX)
			}
		}
	}

	Label("group")
	Comment("Groups of 8 pairs, a panel at a time.")
	CMPQ(R10, U32(8))
	JB(LabelRef("pairs"))
	MOVQ(RSI, R12)
	MOVQ(RDI, R13)
	MOVQ(R9, RAX)
	TESTQ(RAX, RAX)
	JZ(LabelRef("gpartial"))

	Label("gpanel")
	pair8(nil)
	ADDQ(U32(16*size), R12)
	ADDQ(R8, R13)
	DECQ(RAX)
	JNZ(LabelRef("gpanel"))

	Label("gpartial")
	KORTESTW(K1, K1)
	JZ(LabelRef("gnext"))
	pair8(K1)

	Label("gnext")
	LEAQ(memxs(RSI, R11, 8, 0), RSI)
	LEAQ(memxs(RDI, R14, 8, 0), RDI)
	SUBQ(U32(8), R10)
	JMP(LabelRef("group"))

	Label("pairs")
	Comment("The last pairs (fewer than 8), one at a time across the panels.")
	TESTQ(R10, R10)
	JZ(LabelRef("done"))

	Label("pair")
	MOVQ(RSI, R12)
	MOVQ(RDI, R13)
	MOVQ(R9, RAX)

	Label("one")
	TESTQ(RAX, RAX)
	JZ(LabelRef("partial"))
	pairRow(mem(R12, 0), nil, 0)
	VMOVUPS(Z0, mem(R13, 0))
	ADDQ(R8, R13)
	ADDQ(U32(16*size), R12)
	DECQ(RAX)
	JMP(LabelRef("one"))

	Label("partial")
	KORTESTW(K1, K1)
	JZ(LabelRef("next"))
	pairRow(mem(R12, 0), K1, 0)
	VMOVUPS(Z0, mem(R13, 0))

	Label("next")
	ADDQ(R11, RSI)
	ADDQ(R14, RDI)
	DECQ(R10)
	JNZ(LabelRef("pair"))

	Label("done")
	VZEROUPPER()
	RET()
	for _, f := range fixups {
		f()
	}
}
