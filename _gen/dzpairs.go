package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dzPairsDoc is packDZBPairsAVX512's doc comment.
const dzPairsDoc = `
packDZBPairsAVX512 packs rows of dZ = dR ⊙ [Z ≥ 0] in bfloat16, built
from dR and the mask bits, into the dot tile's 16-column micro-panels
of pairs, as the dW GEMM's packer of B = dZ does: rows 2q and 2q+1 make
the pair step q of each panel (step elements apart, the panels panel
elements apart), the even row's value in the low half of an element and
the odd row's in the high half. With db (len(db) ≠ 0) it adds each
value into db as selectAddBF16AVX512 does, and with dz (len(dz) ≠ 0)
writes it to dZ, rows in order. It is this Go (the mask bit of a row's
column j is bit bcol+j of its words, bcol a multiple of 16):

	sel := func(p, j int) uint16 { // +0 past the rows and columns, and where the bit is 0
		if c := bcol + j; p < rows && j < nb && bits[p*stride+c/64]>>(c%64)&1 == 1 {
			return dr[p*lddr+j]
		}
		return 0
	}
	for p := 0; p < rows; p += 2 {
		for j := range (nb + 15) / 16 * 16 {
			dst[j/16*panel+p/2*step+j%16] = math.Float32frombits(uint32(sel(p, j)) | uint32(sel(p+1, j))<<16)
		}
	}
	for p := range rows {
		for j := range nb {
			if len(db) != 0 {
				db[j] = fma(1, math.Float32frombits(uint32(sel(p, j))<<16), db[j])
			}
			if len(dz) != 0 {
				dz[p*lddz+j] = sel(p, j)
			}
		}
	}

in one pass, where the composition it replaces is a select (and add) a
row, a copy to dZ and the pairs packer over the rows selected.`

// dzPairsComment is the comment on its registers.
const dzPairsComment = `
Registers: SI, BX, R8 = row 0 of the current rows' dR, bits and dZ; DX,
CX, R10 = their row strides in bytes; R13 = where the current pairs go
in the current panel, R11 = the panel stride in bytes; AX = the current
panel's column offset in bytes of dR (and dZ; of db at DI, twice it);
R12, R14, R9 = the current row's dR, bits and dZ in the panel. 0(SP) =
the current pairs' place in panel 0, 8(SP) = the rows left, 16(SP) = the
whole panels' bytes of a row of dR, 24(SP) = the step in bytes. K3 is
all ones and K2 the columns of the partial panel; K4/K5 mask dZ's stores
and K6/K7 db's load and store, whole/partial panel: empty masks when dZ
or db is not wanted, so that one loop serves the four cases (a masked
store of an empty mask writes nothing and cannot fault). Z8 = 1.0, Z9 =
db's vector, Z16 = the interleaving indexes.`

// dzPairRow selects one row's 16 values of the panel into y (its mask bits
// at R14 ANDed with the panel's columns kc: the zeroing load is the
// select, +0 where a bit is clear), stores them to dZ under kz, and adds
// them, widened, into db's vector Z9 with Z8 = 1 in the operand order of
// the axpy (selectAddBF16AVX512's), so that NaN meets NaN alike; then
// R14, R12 and R9 move to the next row.
func dzPairRow(y, wide VecPhysical, kc, kz Register) {
	KMOVW(mem(R14, 0), K1)
	KANDW(K1, kc, K1)
	VMOVDQU16_Z(mem(R12, 0), K1, y)
	VMOVDQU16(y, kz, mem(R9, 0))
	widenBF16(y, wide)
	VFMADD231PS(wide, Z8, Z9)
	ADDQ(RCX, R14)
	ADDQ(RDX, R12)
	ADDQ(R10, R9)
}

// genPackDZBPairs writes packDZBPairsAVX512 (dzPairsDoc): groups of 4
// rows (two pairs), then of 2, then a last odd row paired with zeros,
// panel by panel as packDZBAVX512F32 goes, so that db's vector is loaded
// and stored once a group and dR's rows are read in order.
func genPackDZBPairs() {
	textSig("packDZBPairsAVX512",
		"func(dst []float32, dr []uint16, lddr int, bits []uint64, stride, bcol int, db []float32, dz []uint16, lddz, rows, nb, panel, step int)",
		dzPairsDoc)
	commentOnce("dzpairs", dzPairsComment)
	local := AllocLocal(32)
	place, left, whole, stepB := local, local.Offset(8), local.Offset(16), local.Offset(24)
	Load(Param("dst").Base(), RAX)
	MOVQ(RAX, place)
	Load(Param("rows"), RAX)
	MOVQ(RAX, left)
	Load(Param("step"), RAX)
	SHLQ(U8(2), RAX)
	MOVQ(RAX, stepB)
	loadArgs(Param("dr").Base(), RSI, Param("lddr"), RDX, Param("bits").Base(), RBX,
		Param("stride"), RCX, Param("panel"), R11, Param("nb"), R9,
		Param("db").Base(), RDI, Param("db").Len(), R12,
		Param("dz").Base(), R8, Param("dz").Len(), R13, Param("lddz"), R10)

	Comment("BX = the byte of column 0's mask bit")
	Load(Param("bcol"), RAX)
	SHRQ(U8(3), RAX)
	ADDQ(RAX, RBX)
	Comment("Z8 = 1.0, Z16 = the interleaving indexes; the strides in bytes")
	MOVL(U32(0x3f800000), EAX)
	VPBROADCASTD(EAX, Z8)
	VMOVDQU16(interleaveWords(), Z16)
	SHLQ(U8(1), RDX)
	SHLQ(U8(3), RCX)
	SHLQ(U8(2), R11)
	SHLQ(U8(1), R10)
	Comment("16(SP) = the whole panels' bytes of a row of dR")
	MOVQ(R9, RAX)
	SHRQ(U8(4), RAX)
	SHLQ(U8(5), RAX)
	MOVQ(RAX, whole)
	dzMasks(16)

	// panelSetup points R12, R14 and R9 at the panel's columns of row 0
	// (a panel's mask bits: the byte AX>>4 of the row's words) and loads
	// db's vector under kb.
	panelSetup := func(kb Register) {
		LEAQ(memx(RSI, RAX, 0), R12)
		MOVQ(RAX, R14)
		SHRQ(U8(4), R14)
		ADDQ(RBX, R14)
		LEAQ(memx(R8, RAX, 0), R9)
		VMOVUPS_Z(memxs(RDI, RAX, 2, 0), kb, Z9)
	}
	// pairs writes the group's rows of the panel (kc its columns, kz dZ's
	// store mask): two pairs, one, or one row with zeros for its pair.
	pairs := func(rows int, kc, kz Register) {
		for q := 0; q < (rows+1)/2; q++ {
			dzPairRow(Y0, Z1, kc, kz)
			if 2*q+1 < rows {
				dzPairRow(Y2, Z3, kc, kz)
			} else {
				VPXORD(Z2, Z2, Z2)
			}
			VPERMT2W(Z2, Z16, Z0)
			if q == 0 {
				VMOVUPS(Z0, mem(R13, 0))
			} else { // no register is free for the step
				ADDQ(stepB, R13)
				VMOVUPS(Z0, mem(R13, 0))
				SUBQ(stepB, R13)
			}
		}
	}
	groups := []dzGroupSpec{{4, "group", "g", "pair"}, {2, "pair", "p", "single"}, {1, "single", "s", "done"}}
	for _, g := range groups {
		dzGroup(g, left, place, whole, 32, func(a, b Op) { KORTESTW(a, b) }, panelSetup,
			func(kc, kz Register) { pairs(g.rows, kc, kz) },
			func(k Register) { VMOVUPS(Z9, k, memxs(RDI, RAX, 2, 0)) })
		if g.rows == 1 {
			// The last row: nothing follows.
			JMP(LabelRef("done"))
			continue
		}
		LEAQ(Mem{Base: RSI, Index: RDX, Scale: uint8(g.rows)}, RSI)
		LEAQ(Mem{Base: RBX, Index: RCX, Scale: uint8(g.rows)}, RBX)
		LEAQ(Mem{Base: R8, Index: R10, Scale: uint8(g.rows)}, R8)
		MOVQ(stepB, R12) // the row pointers are free between groups
		if g.rows == 4 {
			SHLQ(U8(1), R12)
		}
		ADDQ(R12, place)
		SUBQ(U8(g.rows), left)
		JMP(LabelRef(g.name))
	}

	Label("done")
	VZEROUPPER()
	RET()
}
