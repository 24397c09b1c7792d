package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx512Tile describes an AVX-512 register tile: element type, MR rows of A
// (broadcast from memory, one embedded-broadcast FMA each) and NR zmm of B a
// k step (NR·lanes columns). A new tile shape is one more value of it.
//
// Registers: the accumulators Z0… (row i, vector j in Z(i·NR+j)), B's
// vectors of a step after them, then in the forward epilogue the bias in
// B's registers and +0 after them; K1 (and on) the columns < n of each
// vector, K3 a row's mask bits.
type avx512Tile struct {
	t      elemType
	mr, nr int
	name   string // the routine; "" for tileAVX512<type>
	bcast  avx512Bcast
	// fullB: B's rows are loaded without the column mask where the
	// column of tiles has all its columns (n ≥ the tile's), under it only
	// for a last partial one. A masked load costs Intel cores an ALU uop on the
	// FMA ports besides the load: a tile of NR vectors loses NR of its
	// MR·NR FMA slots a step.
	fullB bool
	// unmasked: this copy of the product loops loads B without the mask.
	unmasked bool
	// rows: this copy of the product loops computes only rows 0 … rows−1
	// (0: all MR), from packed A (its micro-panels MR rows high all the
	// same): the loops of a row tile with few rows (shortRows).
	rows int
	// bh: this copy of the product loops reads B's rows in bfloat16 where
	// they lie (ldb < 0; the dot tiles: bRows) and pairs them as it loads.
	bh bool
	// bf: this copy reads B's rows in float32 where they lie (ldb < 0 and
	// bf ≠ 0) and rounds them to bfloat16 pairs as it loads them;
	// bfTrusted: without the check for zero words (loadBF), for the row
	// tiles after a first that found none in the same rows.
	bf, bfTrusted bool
	suffix        string // of the labels of this copy of the product loops
}

// rowPairs reports whether this copy of the loops reads B's rows where
// they lie, two rows a k step (bh or bf): R9 is then a row in bytes.
func (s avx512Tile) rowPairs() bool { return s.bh || s.bf }

// stepRows is the rows a k step of this copy of the loops computes.
func (s avx512Tile) stepRows() int {
	if s.rows > 0 {
		return s.rows
	}
	return s.mr
}

// shortRows are the row counts, below MR, that have product loops of
// their own: a row tile of DI rows (the last of a job, or a job of fewer
// than MR rows, as a batch of one on a packed W) runs the loops of the
// first that is ≥ DI, rather than MR rows' FMAs of which most are thrown
// away. Multiples of 4 up to half the tile: each saves at least half the
// FMAs of the tiles it takes, for a copy of the loops.
func (s avx512Tile) shortRows() []int {
	var rs []int
	for r := 4; r <= s.mr/2; r += 4 {
		rs = append(rs, r)
	}
	return rs
}

// avx512Bcast is how a tile's values of A reach its FMAs.
type avx512Bcast int

const (
	// avx512BcastAuto is avx512BcastEmbedded for one vector of B and
	// avx512BcastSplat for more.
	avx512BcastAuto avx512Bcast = iota
	// avx512BcastEmbedded: an embedded-broadcast FMA a vector of B, each
	// a load of A's value: NR + 1 loads per NR FMAs of a row, which costs
	// nothing more for NR = 1.
	avx512BcastEmbedded
	// avx512BcastSplat: A's value broadcast into a register once a row
	// (VBROADCASTS*), then NR register FMAs: one load a row and step, the
	// choice of cores with two FMA pipes and two loads a cycle.
	avx512BcastSplat
)

// splat is the register A's values are broadcast into, if the tile
// broadcasts into a register (it holds +0 in the forward epilogue, after
// the product).
func (s avx512Tile) splat() (VecPhysical, bool) {
	if s.bcast == avx512BcastSplat || s.bcast == avx512BcastAuto && s.nr > 1 {
		return s.zero(), true
	}
	return nil, false
}

func (s avx512Tile) fn() string {
	if s.name != "" {
		return s.name
	}
	return "tileAVX512" + s.t.Name
}

func (s avx512Tile) acc(i, j int) VecPhysical { return zmm[i*s.nr+j] }
func (s avx512Tile) bReg(j int) VecPhysical   { return zmm[s.mr*s.nr+j] }
func (s avx512Tile) bias(j int) VecPhysical   { return s.bReg(j) }
func (s avx512Tile) zero() VecPhysical        { return zmm[s.mr*s.nr+s.nr] }
func (s avx512Tile) cols() int                { return s.nr * s.t.Lanes(64) }

// rh reports whether the tile has the epilogues of fwd = 2, which write R
// in bfloat16 (the dot tiles: a bfloat16 layer's output is the next
// one's input).
func (s avx512Tile) rh() bool { return s.t.Name == bf16dot.Name }

// rhRegs are the registers of the bfloat16 R epilogues: toBF16's
// constants 0x7FFF, 1 and the quiet bit, a temporary, after +0.
func (s avx512Tile) rhRegs() (bias, one, quiet, tmp VecPhysical) {
	r := s.mr*s.nr + s.nr + 1
	return zmm[r], zmm[r+1], zmm[r+2], zmm[r+3]
}

// bRows reports whether the tile can read B as bfloat16 rows where they
// lie (ldb < 0) as well as in pairs: the dot tiles. A step's pair of rows
// is two 32-byte loads a vector and one VPERMT2W that interleaves their
// words (bhIndex, bhTemp), ports the tile's VDPBF16PS leaves free: on
// Zen 4 the tile ran 1% slower so, where packing W's pairs first costs a
// small forward pass 12% (TUNING.md).
func (s avx512Tile) bRows() bool { return s.t.Name == bf16dot.Name }

// bhIndex and bhTemp are the bh loops' interleave table and the second
// row's words, past every register the product loops use.
func (s avx512Tile) bhIndex() VecPhysical { return Z31 }
func (s avx512Tile) bhTemp() VecPhysical  { return Z30 }

// colMask is the mask register of vector j's columns < n.
func (s avx512Tile) colMask(j int) OpmaskPhysical {
	return []OpmaskPhysical{K1, K2, K4, K5, K6, K7}[j]
}

// aStep is the bytes of packed A a k step: its MR rows.
func (s avx512Tile) aStep() int { return s.mr * s.t.Size }

// directBases are the registers holding rows 0, 4, 8, … of A where it lies
// (the rows between at 1, 2 and 3 times lda from them: R14 and R12).
func (s avx512Tile) directBases() []GPPhysical {
	bases := []GPPhysical{RAX, RDX, RSI, R10}
	n := (s.mr + 3) / 4
	if n > len(bases) {
		panic(fmt.Sprintf("avx512: a %d-row tile has too many rows for A where it lies", s.mr))
	}
	return bases[:n]
}

// avx512Epilogue is one of a tile's epilogues: the GEMM's C = AB (+ C
// with beta1), or the forward pass's (fwd) v = AB (+ C) + bias, Z = v
// (storeZ), R = ReLU(v) and the mask bits [v ≥ 0].
type avx512Epilogue struct {
	fwd, storeZ, beta1 bool
	rh                 bool // R (fwd = 2), or without fwd C (fwd = 3), in bfloat16; β = 0
	stream             bool // C = acc with streaming stores (β = 2; whole tiles only)
}

// avx512GenTile writes the tile routine of shape s.
func avx512GenTile(s avx512Tile) {
	t := s.t
	if s.mr < 1 || s.nr < 1 || s.nr > 6 || s.mr*s.nr+s.nr+1 > 32 || s.mr > 16 {
		// MR·NR accumulators, NR vectors of B and +0 in the 32 registers;
		// a mask register a vector; 4 base registers of A where it lies.
		panic(fmt.Sprintf("avx512: no %d×%d tile", s.mr, s.nr))
	}
	if s.bRows() && s.mr*s.nr+s.nr > bfFirst {
		panic(fmt.Sprintf("avx512: no room for bh's and bf's registers in a %d×%d tile", s.mr, s.nr))
	}
	sig := fmt.Sprintf("func(a, b []%[1]s, ldb, kc int, c []%[1]s, ldc, m, n, beta, fwd int, bias, z []%[1]s, ldz, storeZ int, r []%[1]s, ldr int, bits []uint64, stride, shift, bcol, lda int", t.Go)
	if s.bRows() {
		sig += ", bf int"
	}
	textLines(s.fn(), sig+")", avx512TileDoc(s)...)
	local := AllocLocal(72)
	bfState = local.Offset(64)
	Comment(
		"The row tiles, "+fmt.Sprint(s.mr)+" rows each, one after another, each with its",
		"pointers in the argument slots (the advance after the epilogue moves them).",
	)
	avx512TileSave(local)
	avx512NextPanel(s, local)
	avx512TileProduct(s, local)

	Label("epilogue")
	CMPQ(arg("fwd"), U32(0))
	JNE(LabelRef("forward"))
	CMPQ(arg("beta"), U32(1))
	JEQ(LabelRef("gemm1"))
	CMPQ(arg("beta"), U32(0))
	JEQ(LabelRef("gemm0"))
	Comment(
		"β = 2: C = acc as for β = 0, with streaming stores (VMOVNT: no read",
		"of the line before it is written, and not kept in the caches) for a",
		"column of tiles of all its columns, under the column masks otherwise",
		"(a streaming store has no mask). The caller passes 2 only for C",
		"64-byte aligned, rows a multiple of 64 bytes apart, too large for",
		"the caches to keep until it is read.",
	)
	CMPQ(arg("n"), U32(s.cols()))
	JLT(LabelRef("gemm0"))
	avx512Rows(s, avx512Epilogue{stream: true})
	JMP(LabelRef("done"))

	Label("gemm0")
	avx512Rows(s, avx512Epilogue{})
	JMP(LabelRef("done"))

	Label("gemm1")
	CMPQ(RDI, U32(s.mr))
	JNE(LabelRef("gemm1rows"))
	CMPQ(RSI, U32(64*(s.nr+1)))
	JGE(LabelRef("gemm1rows"))
	avx512Beta1Whole(s)
	JMP(LabelRef("done"))

	Label("gemm1rows")
	avx512Rows(s, avx512Epilogue{beta1: true})
	JMP(LabelRef("done"))

	Label("forward")
	Comment(
		"The forward epilogues: v = acc (+ C row) + bias (and Z row = v); the",
		"row's mask bits [v ≥ 0] (compare predicate 5, NLT_US: not less than,",
		"true for NaN) for the columns < n, zero past n, stored whole at the",
		"tile's offset in the mask word; R row = ReLU(v) = VMAXP with +0 as",
		"Intel's first source and v as the second, which MAXP returns when",
		"either is NaN and when both are zeros: so NaN and −0 pass through bit",
		"for bit, and v < 0 gives +0. The rows without Z have their own",
		"epilogue rather than a store under an empty mask, which cost 1–2% of a",
		"small pass's tile.",
		"CX = the bias (−0 for none: x + −0 = x for every x, −0 and NaN",
		"included); R8/R9 Z and ldz; R12 = the row's mask word plus the tile's",
		"byte offset in it, R13 = the mask stride in bytes.",
	)
	if s.rh() {
		CMPQ(arg("fwd"), U32(3))
		JEQ(LabelRef("gemmH"))
	}
	MOVQ(argBase("bias"), RCX)
	for j := 0; j < s.nr; j++ {
		t.MovUZ(mem(RCX, 64*j), s.colMask(j), s.bias(j))
	}
	avx512ZeroZ(s.zero())
	MOVQ(argBase("z"), R8)
	MOVQ(arg("ldz"), R9)
	avx512Sh(t.Shift, R9)
	MOVQ(argBase("bits"), R12)
	ADDQ(arg("shift"), R12)
	MOVQ(arg("stride"), R13)
	avx512Sh(3, R13)
	if s.rh() {
		CMPQ(arg("fwd"), U32(2))
		JEQ(LabelRef("forwardH"))
	}
	CMPQ(arg("storeZ"), U32(0))
	JNE(LabelRef("forwardZ"))
	CMPQ(arg("beta"), U32(0))
	JNE(LabelRef("forward1"))
	avx512Rows(s, avx512Epilogue{fwd: true})
	JMP(LabelRef("done"))

	Label("forward1")
	avx512Rows(s, avx512Epilogue{fwd: true, beta1: true})
	JMP(LabelRef("done"))

	Label("forwardZ")
	CMPQ(arg("beta"), U32(0))
	JNE(LabelRef("forwardZ1"))
	avx512Rows(s, avx512Epilogue{fwd: true, storeZ: true})
	JMP(LabelRef("done"))

	Label("forwardZ1")
	avx512Rows(s, avx512Epilogue{fwd: true, storeZ: true, beta1: true})
	if s.rh() {
		JMP(LabelRef("done"))
		avx512RowsH(s)
	}

	Label("done")
	if s.bRows() {
		Comment("bf: a first row tile that found no zero word leaves the rest to trust its rows.")
		CMPQ(bfState, U8(0))
		JNE(LabelRef("trusted"))
		MOVQ(U32(1), bfState)
		Label("trusted")
	}
	avx512NextTile(s)

	Label("return")
	avx512NextCol(s, local)

	Label("finish")
	Comment(
		"Streaming stores are weakly ordered: SFENCE puts them before the",
		"stores that follow, such as a participant's report that its part is",
		"done.",
	)
	CMPQ(arg("beta"), U32(2))
	JNE(LabelRef("fenced"))
	SFENCE()

	Label("fenced")
	VZEROUPPER()
	RET()
	for _, f := range bfFixups {
		f()
	}
	bfFixups = nil
}

// avx512TileDoc is the Go declaration's comment of tile s: the Go it
// replaces.
func avx512TileDoc(s avx512Tile) []string {
	mr, cols, ty := s.mr, s.cols(), s.t.Go
	doc := fmt.Sprintf(`%[1]s computes, for each of the ⌈m/%[2]d⌉ tiles of %[2]d rows down
each of the ⌈n/%[3]d⌉ columns of %[3]d columns of C, the %[2]d×%[3]d product of its
rows of A, A(i, p) (packed: a[q*%[2]d*kc+p*%[2]d+i%%%[2]d] for row tile q = i/%[2]d;
with lda ≠ 0, where A lies: a[i*lda+p], all %[2]d rows of every tile) and
its %[3]d columns of B (b[t*bcol+p*ldb+j%%%[3]d] for column tile t = j/%[3]d: ldb
= %[3]d and bcol = %[3]d·kc for packed micro-panels one after another, or ldb
the row stride of B unpacked and bcol = %[3]d; columns past n are not
read), p < kc, and applies an epilogue to its rows below m and its
columns below n (m ≥ 1, n ≥ 1; fwd and storeZ are 0 or 1, beta 0 or 1,
or 2 with fwd = 0: beta = 0 with C's whole tiles written by streaming
stores, which needs c 64-byte aligned and ldc a multiple of 64 bytes).
It is this Go, with fused multiply-adds:

	for i := range m {
		for j := range n {
			var v %[4]s
			for p := range kc {
				v += A(i, p) * b[j/%[3]d*bcol+p*ldb+j%%%[3]d]
			}
			if beta == 1 {
				v += c[i*ldc+j]
			}
			if fwd == 0 {
				c[i*ldc+j] = v
				continue
			}
			v += bias[j]
			if storeZ == 1 {
				z[i*ldz+j] = v
			}
			r[i*ldr+j] = relu(v)
			// the mask bit of column j, bit j%%8 of byte shift+j/8 of
			// row i's words (bytes little-endian: the word's bit
			// 8·shift+j while shift+j/8 < 8)
			setBit(bits, i*stride, 8*shift+j, !(v < 0))
		}
		// and with fwd = 1, the bits of a last partial column tile's
		// columns from n up to its %[3]dth are cleared
	}

With fwd = 0 only a, b and c are used, and r is prefetched: pass c (r
and z advance %[2]d rows a tile like c, so they must have m rows too).
The tiles go down a column, then on to the next column.`, s.fn(), mr, cols, ty)
	if s.rh() {
		doc += `

With fwd = 2 (and beta = 0) R is written in bfloat16: r's base is that
of a []BF16, ldr counts bfloat16 values, and r[i*ldr+j] =
BF16From(relu(v)) in place of relu(v); c is neither read nor written.
With fwd = 3 (and beta = 0) the GEMM's C = v goes to r the same way,
r[i*ldr+j] = BF16From(v), and c is neither read nor written; bias, z
and bits are not used.`
	}
	if s.bRows() {
		doc += fmt.Sprintf(`

With ldb < 0, B is bfloat16 rows where they lie: b's base is that of a
[]BF16 whose rows are ld = −2·ldb values apart, and the pair of step p
in column j is bh[2p*ld+j'] (its low half) and bh[(2p+1)*ld+j'], for
j' = j/%[1]d*2*bcol+j%%%[1]d; columns past n are not read. With ldb < 0
and bf = 1, B is float32 rows where they lie, rounded to bfloat16 as
they are read: b's rows are ld = −ldb values apart, and the pair of step
p in column j is BF16From(b[2p*ld+j']) and BF16From(b[(2p+1)*ld+j']),
for j' = j/%[1]d*bcol+j%%%[1]d; columns past n are not read.`, cols)
	}
	return strings.Split(doc, "\n")
}

// avx512TileSave keeps the first column's m and pointers in the frame
// (0–40(SP); 48 and 56 are the next micro-panel's lines, 64 bfState) for
// avx512NextCol.
func avx512TileSave(local Mem) {
	Comment(
		"A call's tiles can also span several columns of tiles (n > the tile's",
		"columns: the columns of tiles one after another, each a column of row",
		"tiles), so that a small pass is a few calls, not one a column: a call",
		"costs about 75 ns of Go around it. The frame keeps the first column's",
		"m and row pointers (0–40(SP)) for the next column.",
	)
	for i, slot := range []Mem{arg("m"), argBase("a"), argBase("c"), argBase("z"), argBase("r"), argBase("bits")} {
		MOVQ(slot, RCX)
		MOVQ(RCX, local.Offset(8*i))
	}
}

// avx512NextPanel (label panel, after the save and at each next column)
// sets the frame's 48(SP) and 56(SP) to the first and the last line of
// the micro-panel of B after this column's. Clobbers CX and R12.
func avx512NextPanel(s avx512Tile, local Mem) {
	Label("panel")
	Comment(
		"48(SP) and 56(SP): the first and the last line of the micro-panel of B",
		"after this column's (kc·64 bytes on a vector: a packed micro-panel is",
		"64 bytes a k step and vector for both types), which the row tiles of",
		"the column prefetch into L2, a line every four k steps (loopA). In a",
		"pass the packed block of B lives in L3, and without the prefetch each",
		"micro-panel came from there for its first row tile. For B where it",
		"lies (ldb not a packed row) both are B's first line, a prefetch of a",
		"line already in L1.",
	)
	if s.bRows() {
		Comment("bf's state for this column's row tiles (bfState): its first checks.")
		MOVQ(U32(0), local.Offset(64))
	}
	MOVQ(argBase("b"), R12)
	MOVQ(R12, local.Offset(48))
	MOVQ(R12, local.Offset(56))
	MOVQ(arg("ldb"), RCX)
	avx512Sh(s.t.Shift, RCX)
	CMPQ(RCX, U32(64*s.nr))
	JNE(LabelRef("tile"))
	MOVQ(arg("kc"), RCX)
	avx512Scale(64*s.nr, RCX)
	ADDQ(RCX, R12)
	MOVQ(R12, local.Offset(48))
	LEAQ(memxs(R12, RCX, 1, -64), R12)
	MOVQ(R12, local.Offset(56))
}

// avx512Prefetch prefetches the rows of a tile (its MR rows, or those
// of a short copy of its loops), ld bytes apart from base, with op: both
// ends of each 64-byte vector of a row, as a row need not be aligned. Rows past the matrix's last are harmless to prefetch (a
// prefetch never faults). Clobbers R12.
func avx512Prefetch(s avx512Tile, op func(Op), base, ld Register) {
	MOVQ(base, R12)
	// The row's lines: the start of each vector and the row's last byte.
	var offs []int
	for j := 0; j < s.nr; j++ {
		offs = append(offs, 64*j)
	}
	offs = append(offs, 64*s.nr-1)
	rows := s.stepRows()
	for i := 0; i < rows; i += 2 {
		if i > 0 {
			LEAQ(memxs(R12, ld, 2, 0), R12)
		}
		for _, o := range offs {
			op(mem(R12, o))
		}
		if i+1 < rows {
			for _, o := range offs {
				op(memxs(R12, ld, 1, o))
			}
		}
	}
}

// avx512Step is one k step of the tile from packed A: B's row of the step
// (at brow) into its registers, then row i += A(p, i)·B(p, ·) for the MR
// rows, A broadcast from memory (AX = step 0 of the unrolled four, p the
// step in them).
func avx512Step(s avx512Tile, brow Mem, p int) {
	s.loadB(brow)
	splat, _ := s.splat()
	for i := 0; i < s.stepRows(); i++ {
		avx512FMARow(s.t, mem(RAX, p*s.aStep()+i*s.t.Size), s.bRegs(), func(j int) VecPhysical { return s.acc(i, j) }, splat)
	}
}

// loadB loads B's row of a step (at brow) into its registers: under the
// column masks, zeroing the lanes they leave out, or whole (unmasked).
func (s avx512Tile) loadB(brow Mem) {
	if s.bh {
		s.loadBH(brow)
		return
	}
	if s.bf {
		s.loadBF(brow)
		return
	}
	for j := 0; j < s.nr; j++ {
		if s.unmasked {
			s.t.MovU(brow.Offset(64*j), s.bReg(j))
		} else {
			s.t.MovUZ(brow.Offset(64*j), s.colMask(j), s.bReg(j))
		}
	}
}

// loadBH is loadB of the bh loops: vector j of the step is the words of
// columns 16j … 16j+15 of B's rows 2p (at brow) and 2p+1 (bhNext)
// interleaved, loaded under the column masks (a mask's bit a column, as
// for the pairs' lanes) or whole.
func (s avx512Tile) loadBH(brow Mem) {
	odd := bhNext(brow)
	for j := 0; j < s.nr; j++ {
		b := s.bReg(j)
		if s.unmasked {
			VMOVDQU16(brow.Offset(32*j), b.AsY())
			VMOVDQU16(odd.Offset(32*j), s.bhTemp().AsY())
		} else {
			VMOVDQU16_Z(brow.Offset(32*j), s.colMask(j), b.AsY())
			VMOVDQU16_Z(odd.Offset(32*j), s.colMask(j), s.bhTemp().AsY())
		}
		VPERMT2W(s.bhTemp(), s.bhIndex(), b)
	}
}

// bhNext is the row of B after the one at m in the bh loops (R9 = a row,
// R13 = 3 rows, in bytes): m is BX or BX + 2·R9, the even row of one of
// the two steps between advances of BX (avx512Step4).
func bhNext(m Mem) Mem {
	switch {
	case m.Index == nil:
		m.Index, m.Scale = R9, 1
	case m.Index == R9 && m.Scale == 2:
		m.Index, m.Scale = R13, 1
	default:
		panic("avx512: no next row of B for this operand")
	}
	return m
}

// nextB moves BX on a k step's rows of B: ldb bytes (R9), or in the bh
// loops the step's two rows.
func (s avx512Tile) nextB() {
	if s.rowPairs() {
		LEAQ(memxs(RBX, R9, 2, 0), RBX)
		return
	}
	ADDQ(R9, RBX)
}

// l is the label name of this copy of the product loops.
func (s avx512Tile) l(name string) string { return name + s.suffix }

// bRegs are the registers of B's vectors of a step.
func (s avx512Tile) bRegs() []VecPhysical {
	bs := make([]VecPhysical, s.nr)
	for j := range bs {
		bs[j] = s.bReg(j)
	}
	return bs
}

// avx512FMARow is a row's FMAs of a k step: acc(j) += a·bs[j] for A's
// value a at m, by embedded broadcast (splat nil) or broadcast once into
// splat.
func avx512FMARow(t elemType, m Mem, bs []VecPhysical, acc func(j int) VecPhysical, splat VecPhysical) {
	if splat != nil {
		t.Broadcast(m, splat)
	}
	for j, b := range bs {
		if splat != nil {
			t.FMA231(splat, b, acc(j))
		} else {
			t.FMA231Bcst(m, b, acc(j))
		}
	}
}

// avx512StepDirect is avx512Step with A where it lies (lda ≠ 0): row i's
// value of the step broadcast from its own row, rows 4q … 4q+3 at base,
// base+lda, base+2·lda and base+3·lda (R14 = lda and R12 = 3·lda in
// bytes) from the bases of avx512Tile.directBases.
func avx512StepDirect(s avx512Tile, brow Mem, p int) {
	s.loadB(brow)
	splat, _ := s.splat()
	avx512BcastRows(s.t, s.mr, s.directBases(), p*s.t.Size, R14, R12, s.bRegs(), s.acc, splat)
}

// avx512Step4 is four k steps (step = avx512Step or avx512StepDirect),
// B's rows at BX, BX+ldb, BX+2·ldb, BX+3·ldb (R9 = ldb, R13 = 3·ldb).
//
// In the bh loops (R9 = a row of B) the four steps are eight rows: the
// first two steps' at BX, BX+R9, BX+2·R9, BX+3·R9, then BX moves four
// rows on for the other two (the loop's advance of four ldb moves it the
// rest of the way).
func avx512Step4(s avx512Tile, step func(avx512Tile, Mem, int)) {
	if s.rowPairs() {
		step(s, mem(RBX, 0), 0)
		step(s, memxs(RBX, R9, 2, 0), 1)
		LEAQ(memxs(RBX, R9, 4, 0), RBX)
		step(s, mem(RBX, 0), 2)
		step(s, memxs(RBX, R9, 2, 0), 3)
		return
	}
	step(s, mem(RBX, 0), 0)
	step(s, memxs(RBX, R9, 1, 0), 1)
	step(s, memxs(RBX, R9, 2, 0), 2)
	step(s, memxs(RBX, R13, 1, 0), 3)
}

// avx512TileProduct is the product part of the tile, from the start of a
// row tile (label tile, where the next row tile returns) to its epilogue.
func avx512TileProduct(s avx512Tile, local Mem) {
	t := s.t
	Label("tile")
	Comment(
		"DX, SI = C and ldc; DI = the tile's rows, min(m, MR); R10, R11 = R and",
		"ldr. C and R (when not C) start on their way to L2, and go into L1 32",
		"k steps before the end: a tile's rows of C are ld apart, often a",
		"multiple of 4 KiB, so that they share one L1 set, and brought in early",
		"they would only evict the micro-panel of B from it. A short panel",
		"prefetches too: a dW added into a W that is not in L2 (a trainer's,",
		"read once a step) otherwise waits on memory at every tile's loads,",
		"which no hardware prefetcher sees coming (rows ld apart, 16 at a time).",
	)
	MOVQ(argBase("c"), RDX)
	MOVQ(arg("ldc"), RSI)
	avx512Sh(t.Shift, RSI)
	MOVQ(arg("m"), RDI)
	MOVQ(U32(s.mr), RCX)
	CMPQ(RDI, RCX)
	CMOVQGT(RCX, RDI)
	MOVQ(argBase("r"), R10)
	MOVQ(arg("ldr"), R11)
	avx512Sh(t.Shift, R11)
	if s.rh() {
		Comment("fwd = 2 and 3: R in bfloat16, rows 2·ldr bytes apart; C is not read",
			"(β = 0) and not prefetched.")
		CMPQ(arg("fwd"), U32(2))
		JLT(LabelRef("ldr32"))
		SHRQ(U8(1), R11)
		Label("ldr32")
	}
	CMPQ(arg("beta"), U32(2))
	JEQ(LabelRef("early"))
	if s.rh() {
		CMPQ(arg("fwd"), U32(2))
		JGE(LabelRef("earlyR"))
	}
	avx512Prefetch(s, PREFETCHT1, RDX, RSI)
	CMPQ(R10, RDX)
	JEQ(LabelRef("early"))
	if s.rh() {
		Label("earlyR")
	}
	avx512Prefetch(s, PREFETCHT1, R10, R11)

	Label("early")
	Comment(
		"K1 = the columns < n of this column of tiles: B is loaded under it, so",
		"that an unpacked B is never read past its n columns. AX = A, BX = B,",
		"R9 = ldb and R13 = 3·ldb in bytes; the accumulators zeroed.",
	)
	MOVQ(arg("n"), RCX)
	MOVQ(U32(s.cols()), RAX)
	CMPQ(RCX, RAX)
	CMOVQGT(RAX, RCX)
	if s.nr == 1 {
		MOVL(U32(1), EAX)
		SHLL(CL, EAX)
		DECL(EAX)
		KMOVW(EAX, s.colMask(0))
	} else {
		// The bits of columns < min(n, cols) (BZHI: a count of 64 keeps
		// all), a vector's lanes to each mask.
		MOVQ(I32(-1), RAX)
		BZHIQ(RCX, RAX, RAX)
		for j := 0; j < s.nr; j++ {
			if j > 0 {
				SHRQ(U8(t.Lanes(64)), RAX)
			}
			KMOVW(EAX, s.colMask(j))
		}
	}
	MOVQ(argBase("a"), RAX)
	MOVQ(argBase("b"), RBX)
	MOVQ(arg("ldb"), R9)
	avx512Sh(t.Shift, R9)
	LEAQ(memxs(R9, R9, 2, 0), R13)
	for i := 0; i < s.mr; i++ {
		for j := 0; j < s.nr; j++ {
			avx512ZeroZ(s.acc(i, j))
		}
	}
	if rs := s.shortRows(); len(rs) > 0 {
		Comment(
			"A row tile of DI < MR rows from packed A runs the loops of the first",
			"of "+fmt.Sprint(rs)+" rows ≥ DI (its other rows of A are the panel's zero",
			"padding, and only DI rows are stored): a batch of one row on packed",
			"panels would otherwise spend MR rows' FMAs.",
		)
		CMPQ(arg("lda"), U32(0))
		JNE(LabelRef("allrows"))
		for _, r := range rs {
			next := fmt.Sprintf("over%d", r)
			CMPQ(RDI, U32(r))
			JA(LabelRef(next))
			short := s
			short.rows, short.suffix = r, fmt.Sprintf("r%d", r)
			avx512ProductLoops(short, local)
			JMP(LabelRef("epilogue"))
			Label(next)
		}
		Label("allrows")
	}
	avx512ProductLoops(s, local)
}

// avx512ProductLoops is the product loops of the tile with B loaded under
// the column masks, or for fullB both copies: unmasked when the column of
// tiles has all its columns, masked otherwise. They fall through to the
// epilogue.
func avx512ProductLoops(s avx512Tile, local Mem) {
	if !s.fullB {
		avx512Loops(s, local)
		return
	}
	Comment(
		"B's rows loaded whole (fullB) when this column of tiles has all its",
		"columns (n ≥ the tile's), under the column masks otherwise (a packed",
		"panel has its padding, but B where it lies ends at column n).",
	)
	CMPQ(arg("n"), U32(s.cols()))
	JLT(LabelRef(s.l("maskedb")))
	full := s
	full.unmasked = true
	avx512Loops(full, local)
	JMP(LabelRef("epilogue"))
	Label(s.l("maskedb"))
	masked := s
	masked.suffix += "m"
	avx512Loops(masked, local)
}

// avx512Loops is the product loops of the tile: from packed A or A where
// it lies, four steps at a time then one, to the epilogue (the direct
// loops fall through to it).
func avx512Loops(s avx512Tile, local Mem) {
	if s.bRows() && !s.rowPairs() {
		Comment("ldb < 0: B's rows where they lie, paired as loaded: in bfloat16",
			"(bh), or with bf ≠ 0 in float32, rounded as loaded (bf).")
		CMPQ(arg("ldb"), U8(0))
		JLT(LabelRef(s.l("bh")))
		avx512Loops2(s, local)
		JMP(LabelRef("epilogue"))
		Label(s.l("bh"))
		Comment(
			"R9 = a row of B, R13 = three, in bytes (−ldb float32s: two values",
			"each in bh).",
		)
		NEGQ(R9)
		LEAQ(memxs(R9, R9, 2, 0), R13)
		CMPQ(arg("bf"), U8(0))
		JNE(LabelRef(s.l("bf")))
		Comment("Z31 = the interleave of two rows' words.")
		h := s
		h.bh, h.suffix = true, s.suffix+"h"
		VMOVDQU16(interleaveWords(), s.bhIndex())
		avx512Loops2(h, local)
		JMP(LabelRef("epilogue"))

		Label(s.l("bf"))
		f := s
		f.bf, f.suffix = true, s.suffix+"f"
		avx512BFSetup(f)
		Comment("Rows a first row tile of this column found no zero word in (bfState 1)",
			"are trusted: the check takes a vector uop a step beside the tile's",
			"VDPBF16PS (TUNING.md).")
		CMPQ(bfState, U8(1))
		JEQ(LabelRef(s.l("bft")))
		avx512Loops2(f, local)
		JMP(LabelRef("epilogue"))
		Label(s.l("bft"))
		tr := f
		tr.bfTrusted, tr.suffix = true, s.suffix+"t"
		avx512Loops2(tr, local)
		return
	}
	avx512Loops2(s, local)
}

// avx512Loops2 is avx512Loops for one way of reading B.
func avx512Loops2(s avx512Tile, local Mem) {
	t := s.t
	if s.rows == 0 { // the short rows' copies run from packed A only
		MOVQ(arg("lda"), R14)
		TESTQ(R14, R14)
		JNZ(LabelRef(s.l("direct")))
	}
	Comment(
		"CX = the steps before the L1 prefetch: kc − 32 rounded down to a",
		"multiple of 4 (or 0), run four at a time (loopA), each four with a",
		"PREFETCHT1 of the next line of the next micro-panel of B (R12, from and",
		"back to 48(SP), held at its last line, 56(SP)); R8 = the steps after it.",
	)
	MOVQ(arg("kc"), R8)
	MOVQ(R8, RCX)
	SUBQ(U32(32), RCX)
	JGE(LabelRef(s.l("phase")))
	XORL(ECX, ECX)

	Label(s.l("phase"))
	ANDQ(I8(-4), RCX)
	SUBQ(RCX, R8)
	TESTQ(RCX, RCX)
	JZ(LabelRef(s.l("late")))
	MOVQ(local.Offset(48), R12)
	pcalign(32)

	Label(s.l("loopA"))
	avx512Step4(s, avx512Step)
	ADDQ(U32(4*s.aStep()), RAX)
	LEAQ(memxs(RBX, R9, 4, 0), RBX)
	PREFETCHT1(mem(R12, 0))
	ADDQ(U32(64), R12)
	CMPQ(R12, local.Offset(56))
	CMOVQGT(local.Offset(56), R12)
	SUBQ(U32(4), RCX)
	JNZ(LabelRef(s.l("loopA")))
	MOVQ(R12, local.Offset(48))

	Label(s.l("late"))
	Comment(
		"The L1 prefetch; a short panel of a GEMM (no forward epilogue) skips",
		"it: the L2 prefetch at the tile's start has brought C near, its",
		"stores (β = 0), or its loads of C and stores (β = 1), follow within",
		"the out-of-order window, and the prefetches in front of them cost 7%",
		"of a dW GEMM from a batch of 32 (β = 0) and 3% of a bfloat16 one from",
		"a batch of 64 (β = 1). Streamed C (β = 2) skips both prefetches: a",
		"streaming store to a line in the caches must first take it out of",
		"them.",
	)
	CMPQ(arg("beta"), U32(2))
	JEQ(LabelRef(s.l("rest")))
	CMPQ(arg("kc"), U32(64))
	JGE(LabelRef(s.l("prefetch")))
	CMPQ(arg("fwd"), U32(0))
	JEQ(LabelRef(s.l("rest")))

	Label(s.l("prefetch"))
	if s.rh() {
		CMPQ(arg("fwd"), U32(2))
		JGE(LabelRef(s.l("prefetchR")))
	}
	avx512Prefetch(s, PREFETCHT0, RDX, RSI)
	CMPQ(R10, RDX)
	JEQ(LabelRef(s.l("rest")))
	if s.rh() {
		Label(s.l("prefetchR"))
	}
	avx512Prefetch(s, PREFETCHT0, R10, R11)

	Label(s.l("rest"))
	Comment("The R8 steps left, four at a time (loopB) and one at a time (loop1).")
	MOVQ(R8, RCX)
	CMPQ(RCX, U32(4))
	JB(LabelRef(s.l("tail")))

	Label(s.l("loopB"))
	avx512Step4(s, avx512Step)
	ADDQ(U32(4*s.aStep()), RAX)
	LEAQ(memxs(RBX, R9, 4, 0), RBX)
	SUBQ(U32(4), RCX)
	CMPQ(RCX, U32(4))
	JAE(LabelRef(s.l("loopB")))

	Label(s.l("tail"))
	TESTQ(RCX, RCX)
	JZ(LabelRef("epilogue"))

	Label(s.l("loop1"))
	avx512Step(s, mem(RBX, 0), 0)
	ADDQ(U32(s.aStep()), RAX)
	s.nextB()
	DECQ(RCX)
	JNZ(LabelRef(s.l("loop1")))
	JMP(LabelRef("epilogue"))
	if s.rows > 0 {
		return
	}

	Label(s.l("direct"))
	Comment(
		"A where it lies (lda ≠ 0): all kc steps, four at a time and then one at",
		"a time, with DX, SI and R10 as bases of A's rows 4, 8 and 12 and",
		"reloaded after, and without the L1 prefetch of C (those registers are",
		"taken).",
	)
	bases := s.directBases()
	avx512Sh(t.Shift, R14)
	LEAQ(memxs(R14, R14, 2, 0), R12)
	for q := 1; q < len(bases); q++ {
		LEAQ(memxs(bases[q-1], R14, 4, 0), bases[q])
	}
	MOVQ(arg("kc"), RCX)
	MOVQ(RCX, R8)
	ANDQ(U8(3), R8)
	SHRQ(U8(2), RCX)
	JZ(LabelRef(s.l("dtail")))

	Label(s.l("dloop4"))
	avx512Step4(s, avx512StepDirect)
	for _, b := range bases {
		ADDQ(U32(4*t.Size), b)
	}
	LEAQ(memxs(RBX, R9, 4, 0), RBX)
	DECQ(RCX)
	JNZ(LabelRef(s.l("dloop4")))

	Label(s.l("dtail"))
	TESTQ(R8, R8)
	JZ(LabelRef(s.l("drestore")))

	Label(s.l("dloop1"))
	avx512StepDirect(s, mem(RBX, 0), 0)
	for _, b := range bases {
		ADDQ(U32(t.Size), b)
	}
	s.nextB()
	DECQ(R8)
	JNZ(LabelRef(s.l("dloop1")))

	Label(s.l("drestore"))
	MOVQ(argBase("c"), RDX)
	MOVQ(arg("ldc"), RSI)
	avx512Sh(t.Shift, RSI)
	MOVQ(argBase("r"), R10)
}

// avx512Rows is epilogue e on the tile's MR rows, a row at a time (DI =
// rows left; after the last row of the tile, or the matrix, it jumps to
// done). Registers: DX = the row of C, SI = ldc in bytes; R8/R9 Z and
// ldz; R10/R11 R and ldr; R12 = the row's mask word plus the tile's byte
// offset in it, R13 = the mask stride in bytes.
func avx512Rows(s avx512Tile, e avx512Epilogue) {
	t := s.t
	switch {
	case e.stream:
		Comment("C row = acc, streamed.")
	case !e.fwd && e.rh:
		Comment("R row = acc rounded to bfloat16 on the columns < n; C untouched.")
	case !e.fwd && !e.beta1:
		Comment("C row = acc on the columns < n.")
	case !e.fwd:
		Comment("C row = acc + C row (merge-masked: the columns past n are neither read nor written).")
	default:
		v, zs := "acc + bias", ""
		if e.beta1 {
			v = "acc + C row + bias"
		}
		if e.storeZ {
			zs = ", Z row = v"
		}
		Comment("v = " + v + zs + "; R row = ReLU(v) and the row's mask bits.")
	}
	for i := 0; i < s.mr; i++ {
		for j := 0; j < s.nr; j++ {
			acc, k := s.acc(i, j), s.colMask(j)
			if e.beta1 {
				t.Add(mem(RDX, 64*j), acc, k, acc)
			}
			if e.stream {
				t.MovNT(acc, mem(RDX, 64*j))
				continue
			}
			if !e.fwd && e.rh {
				avx512StoreHExact(s, acc, k, mem(R10, 32*j))
				continue
			}
			if !e.fwd {
				t.MovU(acc, k, mem(RDX, 64*j))
				continue
			}
			if e.beta1 && j == s.nr-1 {
				ADDQ(RSI, RDX)
			}
			t.Add(s.bias(j), acc, acc)
			if e.storeZ {
				t.MovU(acc, k, mem(R8, 64*j))
			}
			t.Cmp(U8(5), s.zero(), acc, k, K3)
			t.Max(acc, s.zero(), acc)
			if e.rh {
				avx512StoreH(s, acc, k, mem(R10, 32*j))
			} else {
				t.MovU(acc, k, mem(R10, 64*j))
			}
			t.KMov(K3, mem(R12, j*t.Lanes(64)/8))
		}
		DECQ(RDI)
		JZ(LabelRef("done"))
		switch {
		case e.fwd:
			ADDQ(R9, R8)
			ADDQ(R11, R10)
			ADDQ(R13, R12)
		case e.rh:
			ADDQ(R11, R10)
		default:
			ADDQ(RSI, RDX)
		}
	}
}

// avx512Beta1Whole is the β = 1 epilogue of a whole row tile whose rows
// of C are less than a row segment and a line apart (ldc in RSI under
// 64·(NR+1) bytes; a narrow output layer's dW = Xᵀ·dZ added into W, N =
// 10: 40 bytes): every row read and added before any row is stored, as
// the AVX2 tiles do it a stage at a time. Row by row, each row's masked
// loads followed the masked stores of the row above into the same lines,
// and waited for them (a masked store does not forward to a load): a
// quarter of that dW's time. Rows farther apart keep the row-by-row
// order (no difference measured there). The stores go last row first,
// leaving DX where it began.
func avx512Beta1Whole(s avx512Tile) {
	t := s.t
	Comment("C row += acc, a whole tile: all loads first, then the stores (last row first).")
	for i := 0; i < s.mr; i++ {
		for j := 0; j < s.nr; j++ {
			acc := s.acc(i, j)
			t.Add(mem(RDX, 64*j), acc, s.colMask(j), acc)
		}
		if i < s.mr-1 {
			ADDQ(RSI, RDX)
		}
	}
	for i := s.mr - 1; i >= 0; i-- {
		for j := 0; j < s.nr; j++ {
			t.MovU(s.acc(i, j), s.colMask(j), mem(RDX, 64*j))
		}
		if i > 0 {
			SUBQ(RSI, RDX)
		}
	}
}

// avx512NextTile goes on to the next row tile, if rows are left: its
// micro-panel of A follows this one (or its rows are MR rows of A on, when
// A lies where it is), and its rows of C, Z, R and the mask are MR rows
// on. The argument slots are the call's own (ABI0 arguments belong to the
// callee), and a pointer is only advanced onto a row that exists.
// Clobbers CX.
func avx512NextTile(s avx512Tile) {
	Comment("On to the next row tile, if rows are left.")
	MOVQ(arg("m"), RCX)
	SUBQ(U32(s.mr), RCX)
	JLE(LabelRef("return"))
	MOVQ(RCX, arg("m"))
	MOVQ(arg("lda"), RCX)
	TESTQ(RCX, RCX)
	CMOVQEQ(arg("kc"), RCX)
	avx512Scale(s.mr*s.t.Size, RCX)
	ADDQ(RCX, argBase("a"))
	avx512Advance(arg("ldc"), s.mr*s.t.Size, argBase("c"))
	avx512Advance(arg("ldz"), s.mr*s.t.Size, argBase("z"))
	if s.rh() {
		// fwd = 2 and 3: R's rows are bfloat16, half the bytes.
		MOVQ(arg("ldr"), RCX)
		avx512Scale(s.mr*s.t.Size, RCX)
		CMPQ(arg("fwd"), U32(2))
		JLT(LabelRef("nextR"))
		SHRQ(U8(1), RCX)
		Label("nextR")
		ADDQ(RCX, argBase("r"))
	} else {
		avx512Advance(arg("ldr"), s.mr*s.t.Size, argBase("r"))
	}
	avx512Advance(arg("stride"), s.mr*8, argBase("bits"))
	JMP(LabelRef("tile"))
}

// avx512Advance adds ld·f to the pointer in slot ptr. Clobbers CX.
func avx512Advance(ld Mem, f int, ptr Mem) {
	MOVQ(ld, RCX)
	avx512Scale(f, RCX)
	ADDQ(RCX, ptr)
}

// avx512NextCol goes on to the next column of tiles, if any: m and the
// row pointers back to the first row tile, those of C, Z and R and the
// bias a tile's columns on, the mask its columns' bytes on in its words,
// and B bcol elements on (a packed micro-panel's size, or the tile's
// columns of B where it lies). Clobbers CX.
func avx512NextCol(s avx512Tile, local Mem) {
	Comment("On to the next column of tiles, if any.")
	MOVQ(arg("n"), RCX)
	SUBQ(U32(s.cols()), RCX)
	JLE(LabelRef("finish"))
	MOVQ(RCX, arg("n"))
	MOVQ(local.Offset(0), RCX)
	MOVQ(RCX, arg("m"))
	MOVQ(local.Offset(8), RCX)
	MOVQ(RCX, argBase("a"))
	for i, slot := range []Mem{argBase("c"), argBase("z"), argBase("r")} {
		if i == 2 && s.rh() {
			// fwd = 2 and 3: a tile's columns of R in bfloat16, half the bytes.
			MOVQ(U32(64*s.nr), RCX)
			CMPQ(arg("fwd"), U32(2))
			JLT(LabelRef("colR"))
			MOVQ(U32(32*s.nr), RCX)
			Label("colR")
			ADDQ(RCX, local.Offset(16+8*i))
		} else {
			ADDQ(U32(64*s.nr), local.Offset(16+8*i))
		}
		MOVQ(local.Offset(16+8*i), RCX)
		MOVQ(RCX, slot)
	}
	MOVQ(local.Offset(40), RCX)
	MOVQ(RCX, argBase("bits"))
	ADDQ(U32(s.cols()/8), arg("shift"))
	ADDQ(U32(64*s.nr), argBase("bias"))
	avx512Advance(arg("bcol"), s.t.Size, argBase("b"))
	JMP(LabelRef("panel"))
}

// avx512RowsH is the epilogues that write bfloat16 (β = 0): the forward
// ones of fwd = 2 (without and with Z), and fwd = 3's C; avx512Rows with
// rh, then the forward rows' fix-ups (avx512StoreH).
func avx512RowsH(s avx512Tile) {
	if s.mr*s.nr+s.nr+5 > 32 || s.nr > 5 {
		panic(fmt.Sprintf("avx512: no bfloat16 R epilogue for a %d×%d tile", s.mr, s.nr))
	}
	Label("forwardH")
	Comment(
		"fwd = 2: R row = ReLU(v) rounded to bfloat16 as toBF16 rounds it, by",
		"VCVTNEPS2BF16 (to nearest even, NaN made quiet as toBF16 does) where",
		"no lane is a denormal, which it would flush to zero; a row with one",
		"is rounded on the integer bits, out of line (avx512StoreH).",
	)
	avx512Fixups = nil
	CMPQ(arg("storeZ"), U32(0))
	JNE(LabelRef("forwardHZ"))
	avx512Rows(s, avx512Epilogue{fwd: true, rh: true})
	JMP(LabelRef("done"))

	Label("forwardHZ")
	avx512Rows(s, avx512Epilogue{fwd: true, storeZ: true, rh: true})
	JMP(LabelRef("done"))

	Label("gemmH")
	Comment(
		"fwd = 3 (β = 0): C = acc rounded to bfloat16 into R, C itself not",
		"written: a dot job's bfloat16 output (dX) without a float32 copy.",
	)
	avx512Rows(s, avx512Epilogue{rh: true})
	JMP(LabelRef("done"))
	for _, f := range avx512Fixups {
		f()
	}
	avx512Fixups = nil
}

// avx512Fixups are the out-of-line fix-ups of the bfloat16 R epilogue
// being written (avx512StoreH), emitted after it.
var avx512Fixups []func()

// avx512StoreHExact is avx512StoreH for a v that is never denormal: the
// sums of VDPBF16PS alone, which flushes denormal results to zero (fwd =
// 3: no bias added after it). VCVTNEPS2BF16 then rounds every lane as
// BF16From does.
func avx512StoreHExact(s avx512Tile, v VecPhysical, k Register, m Mem) {
	_, _, _, t := s.rhRegs()
	cvtneps2bf16(v, t)
	VMOVDQU16(t.AsY(), k, m)
}

// avx512StoreH stores the float32 lanes of v rounded to bfloat16
// (BF16From's rounding) at m under mask k: VCVTNEPS2BF16 rounds them all
// as BF16From does but for denormal lanes (VFPCLASSPS class 0x20), which
// it flushes to zero; a row with one (rare: ReLU's output is ≥ 0 or NaN,
// and a denormal one is below 2⁻¹²⁶) jumps to a fix-up that rounds on the
// integer bits as toBF16 does (_gen/bf16.go) and comes back. Measured on
// Zen 4, VCVTNEPS2BF16 in the epilogue gained 2.6% on a 128×512×512
// forward pass where the integer rounding inline gained nothing against
// a separate pass (TUNING.md). Clobbers v, the temporary, K7, and AX in
// the fix-up.
func avx512StoreH(s avx512Tile, v VecPhysical, k Register, m Mem) {
	_, _, _, t := s.rhRegs()
	n := len(avx512Fixups)
	fix, back := fmt.Sprintf("hfix%d", n), fmt.Sprintf("hback%d", n)
	cvtneps2bf16(v, t)
	VFPCLASSPSZ(U8(0x20), v, K7)
	KORTESTW(K7, K7)
	JNZ(LabelRef(fix))
	VMOVDQU16(t.AsY(), k, m)
	Label(back)
	avx512Fixups = append(avx512Fixups, func() {
		Label(fix)
		bias, one, quiet, t := s.rhRegs()
		bf16Consts(bias, one, quiet)
		bf16Round(v, t, bias, one, quiet, K7)
		VPSRLD(U8(16), t, t)
		VPMOVDW(t, k, m)
		JMP(LabelRef(back))
	})
}

// The bf loops' registers, after the accumulators and B's vectors (at
// most bfFirst of them): Z22 and Z23 the rows out of line, Z24 and Z25
// their roundings, Z26–Z28 toBF16's constants there; Z29 the magnitude
// bits of bfloat16 pairs; Z30 the odd row (bhTemp); Z31 the interleave
// of the rounded halves (bhIndex). K4 and K5 the words of the columns of
// a masked copy's vectors, K6 the zero words found, K7 scratch.
const bfFirst = 22

// bfFixups are the out-of-line roundings of the tile being generated,
// written after its RET.
var bfFixups []func()

// bfState is the frame slot (64(SP)) of the bf loops' state for the
// column of tiles: 0 before its first row tile is done, which checks
// every step; 1 after, if that found no zero word, so that the other
// row tiles, which read the same rows of B, skip the check
// (bfTrusted); 2 once a zero word has been found: every row tile
// checks.
var bfState Mem

// bfConsts returns the table bfConsts: toBF16's bias, one and quiet bit
// (bf16Consts's), the odd words of a pair vector and the magnitude bits
// of two bfloat16 values, a dword each.
func bfConsts() Mem {
	if bfConstsTable == nil {
		m := GLOBL("bfConsts", RODATA|NOPTR)
		for i, v := range []uint32{0x7FFF, 1, 0x00400000, 0xAAAAAAAA, 0x7FFF7FFF} {
			DATA(4*i, U32(v))
		}
		bfConstsTable = &m
	}
	return *bfConstsTable
}

var bfConstsTable *Mem

// avx512BFSetup starts the bf loops: Z31 the interleave of the rounded
// halves, Z29 the magnitude bits, and in a masked copy K4 (K5) the
// words of the columns < n of vector 0 (1): two bits a column. Clobbers
// CX and R8, which the loops set next.
func avx512BFSetup(s avx512Tile) {
	Comment(
		"Z31 = the interleave of the halves VCVTNE2PS2BF16 rounds the two",
		"rows into, Z29 = the magnitude bits of a pair of bfloat16 values.",
	)
	VMOVDQU16(interleaveHalves(), s.bhIndex())
	VPBROADCASTD(bfConsts().Offset(16), Z29)
	if s.unmasked {
		return
	}
	if s.nr > 2 {
		panic("avx512: bf loops for at most two vectors of B")
	}
	Comment("K4 (K5) = the words of vector 0's (1's) columns < n, two bits a column.")
	MOVQ(arg("n"), RCX)
	MOVQ(U32(s.cols()), R8)
	CMPQ(RCX, R8)
	CMOVQGT(R8, RCX)
	SHLQ(U8(1), RCX)
	MOVQ(I32(-1), R8)
	BZHIQ(RCX, R8, R8)
	KMOVD(R8.As32(), K4)
	if s.nr == 2 {
		SHRQ(U8(32), R8)
		KMOVD(R8.As32(), K5)
	}
}

// loadBF is loadB of the bf loops: vector j of the step is columns 16j …
// 16j+15 of B's float32 rows 2p (at brow) and 2p+1, loaded whole or under
// the column masks, rounded by one VCVTNE2PS2BF16 (the even row into the
// low half) and interleaved into pairs by a VPERMW. VCVTNE2PS2BF16 flushes
// denormal inputs to zero where toBF16 rounds them (to a bfloat16
// denormal, which VDPBF16PS would flush itself, or within 2^-134 of
// 2^-126 up to 2^-126, which it would not): a zero word (VPTESTNMW of
// the magnitudes, the columns < n only) sends the step out of line to
// round both rows on the integer bits (bf16Round, as toBF16 does). A zero
// weight takes that detour too: correct, and rare in a trained layer.
func (s avx512Tile) loadBF(brow Mem) {
	odd := bhNext(brow)
	words := []OpmaskPhysical{K4, K5}
	for j := 0; j < s.nr; j++ {
		b, o := s.bReg(j), s.bhTemp()
		e, od := brow.Offset(64*j), odd.Offset(64*j)
		load := func(e, od Mem, b, o VecPhysical) {
			if s.unmasked {
				VMOVUPS(e, b)
				VMOVUPS(od, o)
			} else {
				VMOVUPS_Z(e, s.colMask(j), b)
				VMOVUPS_Z(od, s.colMask(j), o)
			}
		}
		load(e, od, b, o)
		cvtne2ps2bf16(b, o, b)
		VPERMW(b, s.bhIndex(), b)
		if s.bfTrusted {
			continue
		}
		if s.unmasked {
			VPTESTNMW(Z29, b, K6)
		} else {
			VPTESTNMW(Z29, b, words[j], K6)
		}
		KORTESTD(K6, K6)
		n := len(bfFixups)
		fix, back := fmt.Sprintf("bffix%d", n), fmt.Sprintf("bfback%d", n)
		JNZ(LabelRef(fix))
		Label(back)
		bfFixups = append(bfFixups, func() {
			Label(fix)
			Comment("A zero word: both rows again, rounded on the integer bits.")
			load(e, od, Z22, Z23)
			c := bfConsts()
			VPBROADCASTD(c, Z26)
			VPBROADCASTD(c.Offset(4), Z27)
			VPBROADCASTD(c.Offset(8), Z28)
			bf16Round(Z22, Z24, Z26, Z27, Z28, K7)
			bf16Round(Z23, Z25, Z26, Z27, Z28, K7)
			VPSRLD(U8(16), Z24, Z24)
			KMOVD(c.Offset(12), K7)
			VPBLENDMW(Z25, Z24, K7, b)
			MOVQ(U32(2), bfState)
			JMP(LabelRef(back))
		})
	}
}
