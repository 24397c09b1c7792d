package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The packers of the AVX2 tiles: A into micro-panels of 6 rows, B into
// micro-panels of 64 bytes a row (16 float32 or 8 float64: 2 ymm
// vectors), untransposed or transposed.

// avx2PackA6 writes packA6AVX2<T>: one 6-row micro-panel of untransposed
// A, kb steps of the 6 values a[i*lda+p]. Its loop moves a group of G =
// 16/size steps from a 16-byte vector of each row, transposed into the
// panel's order with shuffles (t.packA6Group): 6 loads and 8 (float32) or
// 6 (float64) stores for 6·G values, where element by element it is 6·G
// of each (twice as fast, measured: BenchmarkAVX2Pack/A). Steps past the
// last whole group go one at a time through general registers.
func avx2PackA6(t elemType) {
	name := "packA6AVX2" + t.Name
	textSig(name, fmt.Sprintf("func(dst, a []%[1]s, lda, kb int)", t.Go), fmt.Sprintf(`%s is, for len(a) == 5·lda+kb and len(dst) == 6·kb,

	for p := range kb {
		for i := range 6 {
			dst[p*6+i] = a[i*lda+p]
		}
	}
`, name))
	g := 16 / t.Size
	rows := avx2Rows{base: []GPPhysical{RSI, RDX}, l: R8}
	Comment("Rows i at SI, SI+L, SI+2L, DX, DX+L, DX+2L (L = R8 bytes).")
	MOVQ(argBase("dst"), RDI)
	avx2LoadRows(rows, 6, argBase("a"), arg("lda"), t.Shift)
	MOVQ(arg("kb"), RCX)
	MOVQ(RCX, RBX)
	ANDQ(U8(g-1), RBX)
	SHRQ(U8(log2(g)), RCX)
	JZ(LabelRef("atail"))
	Label("agroup")
	for i := range 6 {
		VMOVUPS(rows.row(i, 0), xmm[i])
	}
	avx2PackA6Group(t)
	ADDQ(U8(16), RSI)
	ADDQ(U8(16), RDX)
	ADDQ(U8(6*16), RDI)
	DECQ(RCX)
	JNZ(LabelRef("agroup"))
	Label("atail")
	TESTQ(RBX, RBX)
	JZ(LabelRef("adone"))
	Label("aloop")
	tmp := []GPPhysical{RAX, R9, R10, R11, R12, R13}
	for i := range 6 {
		t.MovGP(rows.row(i, 0), t.Scalar(tmp[i]))
	}
	for i := range 6 {
		t.MovGP(t.Scalar(tmp[i]), mem(RDI, i*t.Size))
	}
	ADDQ(U8(t.Size), RSI)
	ADDQ(U8(t.Size), RDX)
	ADDQ(U8(6*t.Size), RDI)
	DECQ(RBX)
	JNZ(LabelRef("aloop"))
	Label("adone")
	RET()
}

// avx2TR4 transposes the 4×4 float32 matrix in rows r into o (its
// columns), with s as scratch: unpack the pairs of rows, (r0 r1 r0 r1)
// and (r2 r3 r2 r3), then join their halves.
func avx2TR4(r, s, o [4]VecPhysical) {
	VUNPCKLPS(r[1], r[0], s[0])
	VUNPCKHPS(r[1], r[0], s[1])
	VUNPCKLPS(r[3], r[2], s[2])
	VUNPCKHPS(r[3], r[2], s[3])
	VMOVLHPS(s[2], s[0], o[0])
	VMOVHLPS(s[0], s[2], o[1])
	VMOVLHPS(s[3], s[1], o[2])
	VMOVHLPS(s[1], s[3], o[3])
}

// avx2PackA6GroupF32 stores 4 steps of 6 rows of float32 (row i's 4
// values in Xi) as 4 runs of 6 values: the 4×4 transpose of rows 0-3 and
// the pairs of rows 4-5, whose 8-byte halves go after each step's 4
// values.
func avx2PackA6GroupF32(t elemType) {
	avx2TR4([4]VecPhysical{X0, X1, X2, X3}, [4]VecPhysical{X6, X7, X8, X9}, [4]VecPhysical{X12, X13, X14, X15})
	VUNPCKLPS(X5, X4, X10)
	VUNPCKHPS(X5, X4, X11)
	for s := range 4 {
		VMOVUPS(xmm[12+s], mem(RDI, 24*s))
		half := xmm[10+s/2]
		if s%2 == 0 {
			VMOVLPS(half, mem(RDI, 24*s+16))
		} else {
			VMOVHPS(half, mem(RDI, 24*s+16))
		}
	}
}

// avx2PackA6GroupF64 stores 2 steps of 6 rows of float64 (row i's 2
// values in Xi) as 2 runs of 6 values: the pairs of rows unpacked.
func avx2PackA6GroupF64(t elemType) {
	for i := 0; i < 6; i += 2 {
		VUNPCKLPD(xmm[i+1], xmm[i], xmm[6+i])
		VUNPCKHPD(xmm[i+1], xmm[i], xmm[7+i])
	}
	for s := range 2 {
		for i := 0; i < 6; i += 2 {
			VMOVUPS(xmm[6+i+s], mem(RDI, 48*s+8*i))
		}
	}
}

// avx2PackB64 writes packB64AVX2<T>: rows rows of np 64-byte panel rows,
// for each panel (SI advancing 64 bytes through b, DI kb·64 bytes through
// dst) the rows, SI by ldb and DI by 64 bytes. Two ymm loads and two
// stores per row.
func avx2PackB64(t elemType) {
	name, n := "packB64AVX2"+t.Name, 64/t.Size
	textSig(name, fmt.Sprintf("func(dst, b []%s, ldb, kb, np, rows int)", t.Go), fmt.Sprintf(`%[1]s is, for np ≥ 1 and 1 ≤ rows ≤ kb, len(b) ==
(rows−1)·ldb+%[2]d·np and len(dst) == (np−1)·kb·%[2]d+rows·%[2]d,

	for jp := range np {
		for r := range rows {
			copy(dst[jp*kb*%[2]d+r*%[2]d:][:%[2]d], b[r*ldb+jp*%[2]d:][:%[2]d])
		}
	}
`, name, n))
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("b"), RSI)
	MOVQ(arg("ldb"), R8)
	SHLQ(U8(t.Shift), R8)
	MOVQ(arg("kb"), R11)
	SHLQ(U8(6), R11)
	MOVQ(arg("np"), RCX)
	MOVQ(arg("rows"), RDX)
	TESTQ(RCX, RCX)
	JZ(LabelRef("bdone"))
	TESTQ(RDX, RDX)
	JZ(LabelRef("bdone"))
	Label("panel")
	MOVQ(RSI, R9)
	MOVQ(RDI, R10)
	MOVQ(RDX, RBX)
	Label("row")
	VMOVUPS(Mem{Base: R9}, Y0)
	VMOVUPS(mem(R9, 32), Y1)
	VMOVUPS(Y0, Mem{Base: R10})
	VMOVUPS(Y1, mem(R10, 32))
	ADDQ(R8, R9)
	ADDQ(U8(64), R10)
	DECQ(RBX)
	JNZ(LabelRef("row"))
	ADDQ(U8(64), RSI)
	ADDQ(R11, RDI)
	DECQ(RCX)
	JNZ(LabelRef("panel"))
	VZEROUPPER()
	Label("bdone")
	RET()
}

// avx2PackBT writes packBTAVX2<T>: one 64-byte-wide micro-panel (n =
// 64/size columns) of transposed B, whose column j is the contiguous row
// j of b. Rows come in blocks of 4 from bases SI, R10, R11, R12 (rows 0,
// 4, 8, 12; as many as n needs), each block's rows R8 bytes apart (R9 =
// 3·R8). A group of g = 16/size steps moves every block with the type's
// transpose (t.packBTBlock: 4×4 float32, 2×2 float64); the last steps go
// one at a time through AX, in a loop where more than one can be left.
func avx2PackBT(t elemType) {
	name, n, g := "packBTAVX2"+t.Name, 64/t.Size, 16/t.Size
	textSig(name, fmt.Sprintf("func(dst, b []%s, ldb, kb int)", t.Go), fmt.Sprintf(`%[1]s is, for len(b) == %[2]d·ldb+kb and len(dst) == %[3]d·kb,

	for p := range kb {
		for j := range %[3]d {
			dst[p*%[3]d+j] = b[j*ldb+p]
		}
	}
`, name, n-1, n))
	bases := []GPPhysical{RSI, R10, R11, R12}[:n/4]
	MOVQ(argBase("dst"), RDI)
	MOVQ(argBase("b"), RSI)
	MOVQ(arg("ldb"), R8)
	SHLQ(U8(t.Shift), R8)
	LEAQ(Mem{Base: R8, Index: R8, Scale: 2}, R9)
	for k := 1; k < len(bases); k++ {
		Commentf("Rows %d-%d.", 4*k, 4*k+3)
		LEAQ(Mem{Base: bases[k-1], Index: R8, Scale: 4}, bases[k])
	}
	MOVQ(arg("kb"), RCX)
	MOVQ(RCX, RBX)
	ANDQ(U8(g-1), RBX)
	SHRQ(U8(log2(g)), RCX)
	JZ(LabelRef("tail"))
	Label("group")
	for k, base := range bases {
		avx2PackBTBlock(t, base, 4*k*t.Size)
	}
	for _, base := range bases {
		ADDQ(U8(16), base)
	}
	ADDQ(U32(g*64), RDI)
	DECQ(RCX)
	JNZ(LabelRef("group"))
	Label("tail")
	TESTQ(RBX, RBX)
	JZ(LabelRef("done"))
	loop := g-1 > 1
	if loop {
		Label("one")
	}
	for k, base := range bases {
		// One step of the block's 4 rows to its 4 columns of the panel's row.
		off := 4 * k * t.Size
		for r, idx := range []Mem{{Base: base}, {Base: base, Index: R8, Scale: 1}, {Base: base, Index: R8, Scale: 2}, {Base: base, Index: R9, Scale: 1}} {
			t.MovGP(idx, t.Scalar(RAX))
			t.MovGP(t.Scalar(RAX), mem(RDI, off+r*t.Size))
		}
	}
	if loop {
		for _, base := range bases {
			ADDQ(U8(t.Size), base)
		}
		ADDQ(U8(64), RDI)
		DECQ(RBX)
		JNZ(LabelRef("one"))
	}
	Label("done")
	RET()
}

// avx2PackBTBlockF32 moves 4 steps of the 4 rows at base … base+3L of
// transposed B, float32, to columns off/4 … off/4+3 of 4 rows of the
// panel at DI (64 bytes a row): a 4×4 transpose.
func avx2PackBTBlockF32(t elemType, base GPPhysical, off int) {
	VMOVUPS(Mem{Base: base}, X0)
	VMOVUPS(Mem{Base: base, Index: R8, Scale: 1}, X1)
	VMOVUPS(Mem{Base: base, Index: R8, Scale: 2}, X2)
	VMOVUPS(Mem{Base: base, Index: R9, Scale: 1}, X3)
	avx2TR4([4]VecPhysical{X0, X1, X2, X3}, [4]VecPhysical{X4, X5, X6, X7}, [4]VecPhysical{X8, X9, X10, X11})
	for s := range 4 {
		VMOVUPS(xmm[8+s], mem(RDI, 64*s+off))
	}
}

// avx2PackBTBlockF64 moves 2 steps of the 4 rows at base … base+3L of
// transposed B, float64, to columns off/8 … off/8+3 of 2 rows of the
// panel at DI, a pair of rows at a time (rows 1 and 3 through R11 and
// R12, rows 2 through R11): 2×2 transposes by unpacking.
func avx2PackBTBlockF64(t elemType, base GPPhysical, off int) {
	pair := func(p, q GPPhysical, off int) {
		VMOVUPS(Mem{Base: p}, X0)
		VMOVUPS(Mem{Base: q}, X1)
		VUNPCKLPD(X1, X0, X2)
		VUNPCKHPD(X1, X0, X3)
		VMOVUPS(X2, mem(RDI, off))
		VMOVUPS(X3, mem(RDI, 64+off))
	}
	LEAQ(Mem{Base: base, Index: R8, Scale: 1}, R11)
	LEAQ(Mem{Base: base, Index: R9, Scale: 1}, R12)
	pair(base, R11, off)
	LEAQ(Mem{Base: base, Index: R8, Scale: 2}, R11)
	pair(R11, R12, off+16)
}
