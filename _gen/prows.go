package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genPackedRows writes packedRows{R}{AVX512,AVX2}{F32,F64}: R rows of A
// (1, 2 or 4, where they lie) times np 64-byte micro-panels of a packed
// B (one zmm, or two ymm, a step), for a job of a few rows on a
// prepacked W (a PackedW). The register tile spends its chains on rows:
// for one row its short-row loop has a handful of chains, each waiting
// out the FMA latency on every step, and most of its FMAs on padding.
// Here the chains run across panels instead, 8 of them (R rows times
// P = 8/(R·V) panels of V vectors), each sum the tile's own: a chain of
// FMAs in step order from +0, with A's value and B's vector in the
// operand places the path's tile gives them, so the same bits.
func genPackedRows(w vecISA, t elemType, rows int) {
	lanes := t.Lanes(64)
	vecs := 64 / w.Bytes // vectors a panel's step
	panels := 8 / (rows * vecs)
	name := fmt.Sprintf("packedRows%d%s%s", rows, w.Name, t.Name)
	sig := fmt.Sprintf("func(dst []%[1]s, ldd int, a []%[1]s, lda int, b []%[1]s, kb, np int)", t.Go)
	if w.Z {
		textLines(name, sig,
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
	} else {
		textSig(name, sig, variantDoc(name, fmt.Sprintf("packedRows%dAVX512F32", rows), w, t,
			",\nwith B's vector first in each product, as the AVX2 tile has it"))
	}
	commentOnce("packedRows"+w.Name, fmt.Sprintf(`
Groups of P panels (8 chains: R rows times P panels of %[1]d vector(s)
a step), then the panels left one at a time. A step broadcasts each
row's value of A into a register once, then loads each of the group's
vectors of B and adds its R products, with A's value and B's vector in
the operand places the %[2]s tile gives them (where both are NaN, the
one kept is the tile's).
DI = dst, R13 = ldd; R11 = A's first row, DX = lda, R12 = 3·lda (bytes);
BX = the group's first panel at the step, R10 = its fifth, R8 = a panel
in bytes, R9 = three; SI = A at the step; CX the steps left, AX the
panels left.`, vecs, w.Name))
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
	// Vector v of panel j of the group at the step.
	panelB := func(j, v int) Mem {
		if j < 4 {
			return avx512Row4(RBX, w.Bytes*v, R8, R9, j)
		}
		return avx512Row4(R10, w.Bytes*v, R8, R9, j-4)
	}
	splat := func(r int) VecPhysical { return w.V(12 + r) }
	bvec := func(i int) VecPhysical { return w.V(8 + i%2) }
	fma := func(a, b, acc VecPhysical) {
		if w.Z {
			t.FMA231(a, b, acc) // the AVX-512 tile: VFMADD231 (A broadcast), B, acc
		} else {
			t.FMA231(b, a, acc) // the AVX2 tile: VFMADD231 B, (A broadcast), acc
		}
	}

	// group writes the loop over the steps for p panels from BX, into
	// accumulators 0 … R·p·V−1 (row r, panel j, vector v in (r·p+j)·V+v),
	// then stores them and moves DI and BX past the p panels.
	group := func(label string, p int) {
		acc := func(r, j, v int) VecPhysical { return w.V((r*p+j)*vecs + v) }
		for i := 0; i < rows*p*vecs; i++ {
			if w.Z {
				avx512ZeroZ(w.V(i))
			} else {
				VXORPS(w.V(i), w.V(i), w.V(i))
			}
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
		for r := 0; r < rows; r++ {
			t.Broadcast(rowA(r), splat(r))
		}
		for j := 0; j < p; j++ {
			for v := 0; v < vecs; v++ {
				b := bvec(j*vecs + v)
				t.MovU(panelB(j, v), b)
				for r := 0; r < rows; r++ {
					fma(splat(r), b, acc(r, j, v))
				}
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
				for v := 0; v < vecs; v++ {
					d := 64*j + w.Bytes*v
					var m Mem
					switch r {
					case 0:
						m = mem(RDI, d)
					case 1:
						m = memxs(RDI, R13, 1, d)
					case 2:
						m = memxs(RDI, R13, 2, d)
					default:
						m = memxs(RCX, R13, 1, d)
					}
					t.MovU(acc(r, j, v), m)
				}
			}
		}
		ADDQ(U32(64*p), RDI)
	}
	if panels > 1 {
		CMPQ(RAX, U8(panels))
		JB(LabelRef("tail"))
		Label("groups")
		group("group", panels)
		SUBQ(U8(panels), RAX)
		CMPQ(RAX, U8(panels))
		JAE(LabelRef("groups"))
		Label("tail")
	}
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

// genPackedRowsAll writes packedRows for 1, 2 and 4 rows, both widths
// and both element types.
func genPackedRowsAll() {
	for _, w := range isas {
		for _, rows := range []int{1, 2, 4} {
			genPackedRows(w, f32, rows)
			genPackedRows(w, f64, rows)
		}
	}
}
