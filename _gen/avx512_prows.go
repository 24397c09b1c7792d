package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx512GenPackedRows writes packedRows{R}AVX512{F32,F64}: R rows of A
// (1, 2 or 4, where they lie) times np one-vector micro-panels of a
// packed B, for a job of a few rows on a prepacked W (a PackedW). The
// register tile spends its chains on rows: for one row its short-row
// loop has a handful of chains, each waiting out the FMA latency on every
// step, and most of its FMAs on padding. Here the chains run across
// panels instead, R·P = 8 of them (P = 8/R panels a group), each sum the
// tile's own: a chain of FMAs in step order from +0, B's vector times A's
// value broadcast in the same operand places, so the same bits.
func avx512GenPackedRows(t elemType, rows int) {
	lanes := t.Lanes(64)
	panels := 8 / rows
	name := fmt.Sprintf("packedRows%dAVX512%s", rows, t.Name)
	textLines(name, fmt.Sprintf("func(dst []%[1]s, ldd int, a []%[1]s, lda int, b []%[1]s, kb, np int)", t.Go),
		fmt.Sprintf("%s sets dst's rows i < %d (ldd apart, np·%d elements each) to", name, rows, lanes),
		"the products of A's rows i (a, lda apart, kb elements each) and",
		fmt.Sprintf("np packed micro-panels of B (b, panel q at b[q*%d*kb:], step p's", lanes),
		fmt.Sprintf("%d values at p*%d), each sum a chain of fused multiply-adds from +0 as", lanes, lanes),
		"the register tiles compute it. It is this Go, with fused multiply-adds:",
		"",
		fmt.Sprintf("\tfor i := range %d {", rows),
		"\t\tfor q := range np {",
		fmt.Sprintf("\t\t\tfor j := range %d {", lanes),
		"\t\t\t\tvar v "+t.Go,
		"\t\t\t\tfor p := range kb {",
		fmt.Sprintf("\t\t\t\t\tv += b[q*%d*kb+p*%d+j] * a[i*lda+p]", lanes, lanes),
		"\t\t\t\t}",
		fmt.Sprintf("\t\t\t\tdst[i*ldd+q*%d+j] = v", lanes),
		"\t\t\t}",
		"\t\t}",
		"\t}",
	)
	commentOnce("packedRows", `
Groups of P panels (R·P = 8 chains: R rows, P = 8/R), then the panels
left one at a time (R chains). A step loads the group's P vectors of B,
broadcasts each row's value of A into a register once, and adds the
R·P products: VFMADD231 with A's value in the third operand's place and
B's in the second, as the tiles' embedded broadcasts have them (the NaN
kept where both are NaN is B's).
DI = dst, R13 = ldd; R11 = A's first row, DX = lda, R12 = 3·lda (bytes);
BX = the group's first panel at the step, R10 = its fifth, R8 = a panel
in bytes, R9 = three; SI = A at the step; CX the steps left, AX the
panels left.`)
	sz := t.Size
	MOVQ(argBase("dst"), RDI)
	MOVQ(arg("ldd"), R13)
	avx512Sh(t.Shift, R13)
	MOVQ(argBase("a"), R11)
	MOVQ(arg("lda"), RDX)
	avx512Sh(t.Shift, RDX)
	LEAQ(memxs(RDX, RDX, 2, 0), R12)
	MOVQ(argBase("b"), RBX)
	MOVQ(arg("kb"), R8)
	avx512Sh(6, R8) // a panel: kb steps of 64 bytes
	LEAQ(memxs(R8, R8, 2, 0), R9)
	MOVQ(arg("np"), RAX)

	rowA := func(r int) Mem { return avx512Row4(RSI, 0, RDX, R12, r) }
	panelB := func(j int) Mem {
		if j < 4 {
			return avx512Row4(RBX, 0, R8, R9, j)
		}
		return avx512Row4(R10, 0, R8, R9, j-4)
	}
	splat := func(r int) VecPhysical { return zmm[24+r] }
	bvec := func(j int) VecPhysical { return zmm[16+j] }

	// group writes the loop over the steps for p panels from BX, into
	// accumulators Z0 … Z(R·p−1) (row r, panel j in Z(r·p+j)), then
	// stores them and moves DI and BX past the p panels.
	group := func(label string, p int) {
		acc := func(r, j int) VecPhysical { return zmm[r*p+j] }
		for i := 0; i < rows*p; i++ {
			avx512ZeroZ(zmm[i])
		}
		if p > 4 {
			LEAQ(memxs(RBX, R8, 4, 0), R10)
		}
		MOVQ(R11, RSI)
		MOVQ(arg("kb"), RCX)
		TESTQ(RCX, RCX)
		JZ(LabelRef(label + "Store"))
		pcalign(32)
		Label(label + "Step")
		for j := 0; j < p; j++ {
			t.MovU(panelB(j), bvec(j))
		}
		for r := 0; r < rows; r++ {
			t.Broadcast(rowA(r), splat(r))
			for j := 0; j < p; j++ {
				t.FMA231(splat(r), bvec(j), acc(r, j))
			}
		}
		ADDQ(U8(64), RBX)
		if p > 4 {
			ADDQ(U8(64), R10)
		}
		ADDQ(U8(sz), RSI)
		DECQ(RCX)
		JNZ(LabelRef(label + "Step"))

		Label(label + "Store")
		// BX went a panel on (kb steps of 64 bytes; none when kb = 0, when
		// a panel is 0 bytes): on by p−1 more to the next group's first.
		switch p {
		case 8:
			LEAQ(memxs(RBX, R9, 2, 0), RBX)
			ADDQ(R8, RBX)
		case 4:
			ADDQ(R9, RBX)
		case 2:
			ADDQ(R8, RBX)
		}
		for r := 0; r < rows; r++ {
			if r == 3 {
				LEAQ(memxs(RDI, R13, 2, 0), RCX)
			}
			for j := 0; j < p; j++ {
				var m Mem
				switch r {
				case 0:
					m = mem(RDI, 64*j)
				case 1:
					m = memxs(RDI, R13, 1, 64*j)
				case 2:
					m = memxs(RDI, R13, 2, 64*j)
				default:
					m = memxs(RCX, R13, 1, 64*j)
				}
				t.MovU(acc(r, j), m)
			}
		}
		ADDQ(U32(64*p), RDI)
	}
	CMPQ(RAX, U8(panels))
	JB(LabelRef("tail"))
	Label("groups")
	group("group", panels)
	SUBQ(U8(panels), RAX)
	CMPQ(RAX, U8(panels))
	JAE(LabelRef("groups"))
	Label("tail")
	TESTQ(RAX, RAX)
	JZ(LabelRef("done"))
	Label("panel")
	group("one", 1)
	DECQ(RAX)
	JNZ(LabelRef("panel"))
	Label("done")
	VZEROUPPER()
	RET()
}
