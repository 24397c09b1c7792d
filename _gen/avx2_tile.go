package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx2Tile is an AVX2 register tile: rows rows of vecs ymm vectors (nr =
// vecs·lanes columns), over a packed micro-panel of A of panel ≥ rows
// rows (an edge tile computes the first rows of a whole tile's panel).
//
// Registers: AX walks the micro-panel of A (panel values a step), BX the
// rows of B (a packed micro-panel: vecs·32 bytes a step; or B where it
// lies), R10 is B's row stride in bytes and R11 three times it, CX counts
// groups of 4 steps and DX the steps left after them; R14 and R15 walk
// the next micro-panel of B, prefetched (nextPanel). Y0 … are the
// step's row of B (vecs registers), then two broadcasts of A (two, for
// pairs of rows; renaming would make one enough), then the accumulators,
// row i's vector j in acc(i, j). The epilogue reuses the first ones.
//
// Per step of the 6×2 tile: 2 loads of B, 6 broadcasts of A (VBROADCASTSS
// from memory is a load, with no shuffle), 12 FMAs. Two FMA pipes take 6
// cycles for the 12 FMAs; 12 independent accumulators cover the 2 pipes ×
// 4 cycles of FMA latency, and 8 loads in 6 cycles are within the 2-3
// loads per cycle of current cores. The loop is unrolled by 4 to spend
// its adds, decrement and branch on 4 steps' FMAs rather than one's.
// The edge tile of 4 rows keeps 8 accumulators, as many independent
// chains as two FMA pipes of latency 4 need, so that it runs at the FMA
// rate in 4/6 of a whole tile's time.
type avx2Tile struct {
	t     elemType
	rows  int // rows of the tile
	panel int // rows of the packed micro-panel of A (a step's values)
	vecs  int // ymm vectors a row
}

// avx2Epi is a tile's epilogue.
type avx2Epi int

const (
	// avx2EpiGEMM: C = AB (+ C when beta = 1) on a column of whole tiles.
	avx2EpiGEMM avx2Epi = iota
	// avx2EpiFwd: the forward epilogue of tile.finish on a column of whole
	// tiles: v = AB (+ C) (+ bias), Z = v, mask bits [v ≥ 0], R = relu(v).
	avx2EpiFwd
	// avx2EpiTemp: AB to a temporary tile of rows × nr (an edge tile,
	// finished by rowsAVX2 or tile.finish).
	avx2EpiTemp
)

func (k avx2Tile) nr() int       { return k.vecs * k.t.Lanes(32) }
func (k avx2Tile) rowBytes() int { return k.vecs * 32 }

// b is the register of vector j of the step's row of B; a0 and a1 hold
// broadcasts of A; acc is the accumulator of row i's vector j.
func (k avx2Tile) b(j int) VecPhysical      { return ymm[j] }
func (k avx2Tile) a0() VecPhysical          { return ymm[k.vecs] }
func (k avx2Tile) a1() VecPhysical          { return ymm[k.vecs+1] }
func (k avx2Tile) acc(i, j int) VecPhysical { return ymm[k.vecs+2+i*k.vecs+j] }

// rowRegs is row i's accumulators, bRegs the registers of B's row.
func (k avx2Tile) rowRegs(i int) []VecPhysical {
	r := make([]VecPhysical, k.vecs)
	for j := range r {
		r[j] = k.acc(i, j)
	}
	return r
}

func (k avx2Tile) bRegs() []VecPhysical {
	r := make([]VecPhysical, k.vecs)
	for j := range r {
		r[j] = k.b(j)
	}
	return r
}

// check panics on a shape the registers cannot hold.
func (k avx2Tile) check() {
	if k.vecs+2+k.rows*k.vecs > 16 || k.rows > k.panel || k.rows > 9 {
		panic(fmt.Sprintf("avx2: a %d×%d-vector tile over a %d-row panel does not fit the 16 ymm registers and 3 row bases", k.rows, k.vecs, k.panel))
	}
}

// cRows addresses a tile's rows of an output: bases DI, SI, R13 and the
// stride in R8.
var avx2CRows = avx2Rows{base: []GPPhysical{RDI, RSI, R13}, l: R8}

// step is step p (0-3) of a group of 4: the row of B at bRow (its vectors
// 32 bytes apart), the rows values of A at AX + p·panel·size.
func (k avx2Tile) step(p int, bRow Mem) {
	t := k.t
	for j := range k.vecs {
		VMOVUPS(bRow.Offset(32*j), k.b(j))
	}
	for i := 0; i < k.rows; i += 2 {
		disp := (p*k.panel + i) * t.Size
		t.Broadcast(mem(RAX, disp), k.a0())
		if i+1 < k.rows {
			t.Broadcast(mem(RAX, disp+t.Size), k.a1())
		}
		for j := range k.vecs {
			t.FMA231(k.b(j), k.a0(), k.acc(i, j))
		}
		if i+1 < k.rows {
			for j := range k.vecs {
				t.FMA231(k.b(j), k.a1(), k.acc(i+1, j))
			}
		}
	}
}

// kloop computes AB into the accumulators: kc (CX) steps of the panel of
// A at AX and the rows of B at BX, R10 bytes apart (R11 = 3·R10), 4 at a
// time, then one at a time (SHRQ sets ZF when no group of 4 is left).
// prefetch, if set, runs once a group (avx2NextPanel's line).
func (k avx2Tile) kloop(prefetch bool) {
	t := k.t
	Comment("AB into the accumulators: kc (CX) steps, 4 at a time, then one at a time.")
	for i := range k.rows {
		for j := range k.vecs {
			VXORPS(k.acc(i, j), k.acc(i, j), k.acc(i, j))
		}
	}
	MOVQ(RCX, RDX)
	ANDQ(U8(3), RDX)
	SHRQ(U8(2), RCX)
	JZ(LabelRef("tail"))
	Label("loop4")
	k.step(0, Mem{Base: RBX})
	k.step(1, Mem{Base: RBX, Index: R10, Scale: 1})
	k.step(2, Mem{Base: RBX, Index: R10, Scale: 2})
	k.step(3, Mem{Base: RBX, Index: R11, Scale: 1})
	ADDQ(U32(4*k.panel*t.Size), RAX)
	LEAQ(Mem{Base: RBX, Index: R10, Scale: 4}, RBX)
	if prefetch {
		// One line of the next micro-panel of B, held at its last.
		PREFETCHT1(Mem{Base: R14})
		ADDQ(U8(64), R14)
		CMPQ(R14, R15)
		CMOVQGT(R15, R14)
	}
	DECQ(RCX)
	JNZ(LabelRef("loop4"))
	Label("tail")
	TESTQ(RDX, RDX)
	JZ(LabelRef("kdone"))
	Label("loop1")
	k.step(0, Mem{Base: RBX})
	ADDQ(U32(k.panel*t.Size), RAX)
	ADDQ(R10, RBX)
	DECQ(RDX)
	JNZ(LabelRef("loop1"))
	Label("kdone")
}

// nextPanel sets R14 and R15 to the first and the last line of the
// micro-panel of B after this column's (kc·rowBytes bytes on), which a
// column's row tiles prefetch into L2 a line every group of 4 steps: in a
// pass the packed block of B lives in L3, and each micro-panel came from
// there for its first row tile (see NEXT_PANEL of the AVX-512 tile). For
// B where it lies (a row stride other than rowBytes) both are B's first
// line, a prefetch of a line already in L1. Clobbers CX.
func (k avx2Tile) nextPanel() {
	Comment(
		"R14, R15: the first and the last line of the next micro-panel of B,",
		"prefetched a line every 4 steps (B where it lies: its first line).",
	)
	MOVQ(argBase("b"), R14)
	MOVQ(R14, R15)
	MOVQ(arg("ldb"), RCX)
	SHLQ(U8(k.t.Shift), RCX)
	CMPQ(RCX, U32(k.rowBytes()))
	JNE(LabelRef("panel"))
	MOVQ(arg("kc"), RCX)
	avx2MulConst(RCX, k.rowBytes(), 0)
	ADDQ(RCX, R14)
	LEAQ(Mem{Base: R14, Index: RCX, Scale: 1, Disp: -64}, R15)
	Label("panel")
}

// prefetchRows asks for the tile's rows of an output while the k loop
// runs, so that the epilogue does not wait for them: every line of a row
// and its last byte, in case the row straddles one more line.
func (k avx2Tile) prefetchRows(r avx2Rows) {
	for i := range k.rows {
		for off := 0; off < k.rowBytes(); off += 64 {
			PREFETCHT0(r.row(i, off))
		}
		PREFETCHT0(r.row(i, k.rowBytes()-1))
	}
}

// addRows adds the tile's rows of a matrix to the accumulators; addVec
// adds the vector in B's registers to every row; storeRows stores the
// accumulators; relu replaces them by their relu (zero holds +0: VMAXPS
// with +0 as Intel's first source and v as the second, Go order
// VMAXPS v, ZERO, DST, gives v unchanged for a NaN or −0).
func (k avx2Tile) addRows(r avx2Rows) {
	for i := range k.rows {
		for j := range k.vecs {
			k.t.Add(r.row(i, 32*j), k.acc(i, j), k.acc(i, j))
		}
	}
}

func (k avx2Tile) addVec() {
	for i := range k.rows {
		for j := range k.vecs {
			k.t.Add(k.b(j), k.acc(i, j), k.acc(i, j))
		}
	}
}

func (k avx2Tile) storeRows(r avx2Rows) {
	for i := range k.rows {
		for j := range k.vecs {
			VMOVUPS(k.acc(i, j), r.row(i, 32*j))
		}
	}
}

func (k avx2Tile) relu(zero VecPhysical) {
	for i := range k.rows {
		for j := range k.vecs {
			k.t.Max(k.acc(i, j), zero, k.acc(i, j))
		}
	}
}

// gen writes the tile routine name with epilogue epi.
func (k avx2Tile) gen(name string, epi avx2Epi) {
	k.check()
	t := k.t
	switch epi {
	case avx2EpiGEMM:
		textSig(name, fmt.Sprintf("func(a, b []%s, kc int, c []%s, ldc, beta, ldb, mt int)", t.Go, t.Go), k.docGEMM(name))
	case avx2EpiFwd:
		textSig(name, fmt.Sprintf("func(a, b []%[1]s, kc int, c []%[1]s, ldc, beta int, bias, z []%[1]s, ldz int, r []%[1]s, ldr int, bits []uint64, stride, shift, ldb, mt int)", t.Go), k.docFwd(name))
	case avx2EpiTemp:
		textSig(name, fmt.Sprintf("func(a, b []%s, kc int, ab []%s, ldb int)", t.Go, t.Go), k.docTemp(name))
		k.genTemp()
		return
	}
	c := avx2CRows
	k.registers()
	k.nextPanel()
	Label("tile")
	if epi == avx2EpiGEMM {
		Comment("The tile's rows of C, fetched during the loop for the epilogue.")
		avx2LoadRows(c, k.rows, argBase("c"), arg("ldc"), t.Shift)
		k.prefetchRows(c)
	} else {
		Comment("The outputs of the tile, R and Z, are fetched during the loop: C", "is one of them.")
		avx2LoadRows(c, k.rows, argBase("r"), arg("ldr"), t.Shift)
		k.prefetchRows(c)
		CMPQ(argLen("z"), U8(0))
		JEQ(LabelRef("fetched"))
		avx2LoadRows(c, k.rows, argBase("z"), arg("ldz"), t.Shift)
		k.prefetchRows(c)
		Label("fetched")
	}
	MOVQ(argBase("a"), RAX)
	MOVQ(argBase("b"), RBX)
	MOVQ(arg("kc"), RCX)
	k.bStride()
	k.kloop(true)

	if epi == avx2EpiGEMM {
		CMPQ(arg("beta"), U8(0))
		JEQ(LabelRef("storec"))
		k.addRows(c)
		Label("storec")
		k.storeRows(c)
	} else {
		k.fwdEpilogue(c)
	}

	Comment("The next whole tile down the column, if any (tall).")
	MOVQ(arg("mt"), RCX)
	DECQ(RCX)
	JLE(LabelRef("done"))
	MOVQ(RCX, arg("mt"))
	avx2AdvRows(arg("kc"), t.Shift, k.panel, argBase("a"))
	avx2AdvRows(arg("ldc"), t.Shift, k.rows, argBase("c"))
	if epi == avx2EpiFwd {
		avx2AdvRows(arg("ldz"), t.Shift, k.rows, argBase("z"))
		avx2AdvRows(arg("ldr"), t.Shift, k.rows, argBase("r"))
		avx2AdvRows(arg("stride"), 3, k.rows, argBase("bits"))
	}
	JMP(LabelRef("tile"))

	Label("done")
	VZEROUPPER()
	RET()
}

// registers states the tile's use of the registers in a comment.
func (k avx2Tile) registers() {
	Comment(
		fmt.Sprintf("A %d×%d tile: AX walks A's micro-panel (%d values a step), BX the", k.rows, k.nr(), k.panel),
		"rows of B, R10 bytes apart (R11 = 3·R10). "+avx2Span(k.b(0), k.vecs)+": the step's row of B;",
		fmt.Sprintf("%s, %s: broadcasts of A; row i's accumulators from Y%d+%d·i on.", k.a0().Asm(), k.a1().Asm(), k.vecs+2, k.vecs),
	)
}

// bStride sets R10 to the stride of B's rows in bytes from the argument
// ldb, and R11 to three times it.
func (k avx2Tile) bStride() {
	MOVQ(arg("ldb"), R10)
	SHLQ(U8(k.t.Shift), R10)
	LEAQ(Mem{Base: R10, Index: R10, Scale: 2}, R11)
}

// fwdEpilogue is the forward epilogue in the order of tile.finish
// (gemm.go), on all accumulators a stage at a time, so that each
// optional stage is one branch, not one per row. Every output element is
// a copy, a compare or a select of v, so it is bit for bit that of
// tile.finish.
func (k avx2Tile) fwdEpilogue(c avx2Rows) {
	t := k.t
	Comment("v = AB + C when beta = 1.")
	CMPQ(arg("beta"), U8(0))
	JEQ(LabelRef("addbias"))
	avx2LoadRows(c, k.rows, argBase("c"), arg("ldc"), t.Shift)
	k.addRows(c)

	Label("addbias")
	Comment("v += bias when there is one (not adding +0 otherwise: −0 + +0 is +0).")
	MOVQ(argBase("bias"), RDI)
	CMPQ(argLen("bias"), U8(0))
	JEQ(LabelRef("storez"))
	for j := range k.vecs {
		t.MovU(mem(RDI, 32*j), k.b(j))
	}
	k.addVec()

	Label("storez")
	CMPQ(argLen("z"), U8(0))
	JEQ(LabelRef("storemask"))
	avx2LoadRows(c, k.rows, argBase("z"), arg("ldz"), t.Shift)
	k.storeRows(c)

	Label("storemask")
	zero := k.a1()
	t.Xor(zero, zero, zero)
	CMPQ(argLen("bits"), U8(0))
	JEQ(LabelRef("storer"))
	Comment(
		"Row i's nr bits go to byte shift of word i·stride: col is a multiple",
		"of nr, so the chunk is whole bytes, and the store leaves the other",
		"tiles' bits of the word alone without reading it (tiles of one row",
		"may run on other threads).",
	)
	avx2LoadRows(c, k.rows, argBase("bits"), arg("stride"), 3)
	MOVQ(arg("shift"), R9)
	for b := 0; 3*b < k.rows; b++ {
		ADDQ(R9, c.base[b])
	}
	for i := range k.rows {
		avx2MaskRow(t, k.rowRegs(i), k.bRegs(), zero, R11, R12, c.row(i, 0))
	}

	Label("storer")
	Comment("R = relu(v): VMAXPS v, +0 gives a NaN or −0 of v unchanged.")
	k.relu(zero)
	avx2LoadRows(c, k.rows, argBase("r"), arg("ldr"), t.Shift)
	k.storeRows(c)
}

// genTemp is the edge tile's body: the product to the temporary tile at
// DI, rows rowBytes apart, no prefetch (its column has one tile).
func (k avx2Tile) genTemp() {
	k.registers()
	MOVQ(argBase("a"), RAX)
	MOVQ(argBase("b"), RBX)
	MOVQ(arg("kc"), RCX)
	MOVQ(argBase("ab"), RDI)
	k.bStride()
	k.kloop(false)
	for i := range k.rows {
		for j := range k.vecs {
			VMOVUPS(k.acc(i, j), mem(RDI, i*k.rowBytes()+32*j))
		}
	}
	VZEROUPPER()
	RET()
}

// genRows writes name, the epilogue of tile.finish on the first m rows
// (CX) of a tile's product stored at SI rows rowBytes apart: the edge
// tiles of fewer than k.rows rows, a row at a time. Each row checks the
// flags (branches that go the same way on every row). Registers: B's
// (bias), a1 (+0), row 0's accumulators (the row) and row 1's (scratch);
// DI, R8 C and its row stride in bytes, R9, R10 Z, R11, R12 R, R13, BX the
// row's mask chunk and the mask's row stride.
func (k avx2Tile) genRows(name string) {
	k.check()
	if 3*k.vecs+2 > 16 {
		panic(fmt.Sprintf("avx2: rows of %d vectors leave no registers for the row-at-a-time epilogue", k.vecs))
	}
	t := k.t
	textSig(name, fmt.Sprintf("func(ab []%[1]s, m int, c []%[1]s, ldc, beta, last int, bias, z []%[1]s, ldz int, r []%[1]s, ldr int, bits []uint64, stride, shift int)", t.Go), k.docRows(name))
	row, scratch, zero := k.rowRegs(0), k.rowRegs(1), k.a1()
	Comment(
		fmt.Sprintf("SI the product (rows of %d), CX the rows left; DI, R8 C and its row", k.nr()),
		"stride in bytes, R9, R10 Z, R11, R12 R, R13, BX the row's mask chunk",
		fmt.Sprintf("and the mask's row stride. %s bias, %s +0, %s the row.", avx2Span(k.b(0), k.vecs), zero.Asm(), avx2Span(row[0], k.vecs)),
	)
	MOVQ(argBase("ab"), RSI)
	MOVQ(arg("m"), RCX)
	MOVQ(argBase("c"), RDI)
	MOVQ(arg("ldc"), R8)
	SHLQ(U8(t.Shift), R8)
	MOVQ(argBase("z"), R9)
	MOVQ(arg("ldz"), R10)
	SHLQ(U8(t.Shift), R10)
	MOVQ(argBase("r"), R11)
	MOVQ(arg("ldr"), R12)
	SHLQ(U8(t.Shift), R12)
	MOVQ(argBase("bits"), R13)
	ADDQ(arg("shift"), R13)
	MOVQ(arg("stride"), RBX)
	SHLQ(U8(3), RBX)
	VXORPS(zero, zero, zero)
	CMPQ(argLen("bias"), U8(0))
	JEQ(LabelRef("erow"))
	MOVQ(argBase("bias"), RAX)
	for j := range k.vecs {
		VMOVUPS(mem(RAX, 32*j), k.b(j))
	}

	Label("erow")
	for j := range k.vecs {
		VMOVUPS(mem(RSI, 32*j), row[j])
	}
	CMPQ(arg("beta"), U8(0))
	JEQ(LabelRef("elast"))
	for j := range k.vecs {
		t.Add(mem(RDI, 32*j), row[j], row[j])
	}

	Label("elast")
	CMPQ(arg("last"), U8(0))
	JNE(LabelRef("ebias"))
	for j := range k.vecs {
		VMOVUPS(row[j], mem(RDI, 32*j))
	}
	JMP(LabelRef("enext"))

	Label("ebias")
	CMPQ(argLen("bias"), U8(0))
	JEQ(LabelRef("ez"))
	for j := range k.vecs {
		t.Add(k.b(j), row[j], row[j])
	}

	Label("ez")
	CMPQ(argLen("z"), U8(0))
	JEQ(LabelRef("emask"))
	for j := range k.vecs {
		VMOVUPS(row[j], mem(R9, 32*j))
	}

	Label("emask")
	CMPQ(argLen("bits"), U8(0))
	JEQ(LabelRef("erelu"))
	avx2MaskRow(t, row, scratch, zero, RAX, RDX, Mem{Base: R13})

	Label("erelu")
	for j := range k.vecs {
		t.Max(row[j], zero, row[j])
	}
	for j := range k.vecs {
		VMOVUPS(row[j], mem(R11, 32*j))
	}

	Label("enext")
	ADDQ(U32(k.rowBytes()), RSI)
	ADDQ(R8, RDI)
	ADDQ(R10, R9)
	ADDQ(R12, R11)
	ADDQ(RBX, R13)
	DECQ(RCX)
	JNZ(LabelRef("erow"))
	VZEROUPPER()
	RET()
}
