package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genDZPack writes the AVX-512 dZ packers of the backward pass,
// packDZBAVX512F32 and packDZBAVX512F64 (the Go wrapper packDZBAVX512 is
// in dzpack_amd64.go).
func genDZPack() {
	for _, t := range elemTypes {
		genPackDZB(avx512, t)
	}
}

// dzpackComment is the comment the generated file carries once for the
// dZ packers.
const dzpackComment = `
The dW GEMM's packer of B = dZ from dR and the mask bits, with db and dZ.
Registers: SI, BX, R8 = row 0 of the current rows' dR, bits and dZ; DX,
CX, R10 = their row strides in bytes; R13 = where the current rows go in
the current panel, R11 = the panel stride in bytes; AX = the current
panel's column offset in bytes of dR (and dZ and db, at DI); R12, R14,
R9 = the current row's dR, bits and dZ in the panel. 0(SP) = the current
rows' place in panel 0, 8(SP) = the rows left, 16(SP) = the whole
panels' bytes of a row. K3 is all ones and K2 the columns of the partial
panel; K4/K5 mask dZ's stores and K6/K7 db's load and store,
whole/partial panel: empty masks when dZ or db is not wanted, so that
one loop serves the four cases without a branch (a masked store of an
empty mask writes nothing and cannot fault). Z8 = 1, Z9 = db's vector.`

// dzRow writes one row's vector of the panel: its mask bits (from R14)
// under the panel's columns kc select dR (the zeroing load is the select:
// a lane the mask drops is +0, as dZ(i,j) = 0 there), and the vector goes
// to the packed panel at off(R13), to dZ under kz, and into the db
// accumulator Z9 by a multiply-add with Z8 = 1 in the operand order of the
// path's axpy (the composition's db += row), so that a NaN meeting a NaN
// comes out as it does there. Then R14, R12 and R9 move to the next row.
func dzRow(t elemType, off int, kc, kz Register) {
	t.KMov(mem(R14, 0), K1)
	t.KAnd(K1, kc, K1)
	t.MovUZ(mem(R12, 0), K1, Z0)
	t.MovU(Z0, mem(R13, off))
	t.MovU(Z0, kz, mem(R9, 0))
	t.FMA231(Z0, Z8, Z9)
	ADDQ(RCX, R14)
	ADDQ(RDX, R12)
	ADDQ(R10, R9)
}

// dzPanel sets R12, R14 and R9 to the current panel's columns of row 0 (a
// panel's mask bits are the byte AX>>(Shift+3) of the row's words) and
// loads db's columns into Z9 under kb.
func dzPanel(t elemType, kb Register) {
	LEAQ(memx(RSI, RAX, 0), R12)
	MOVQ(RAX, R14)
	SHRQ(U8(t.Shift+3), R14)
	ADDQ(RBX, R14)
	LEAQ(memx(R8, RAX, 0), R9)
	t.MovUZ(memx(RDI, RAX, 0), kb, Z9)
}

// dzMasks sets the dZ packers' masks (dzpackComment), with R9 = nb, CX
// = the mask words' row stride in bytes (kept), R13 and R12 = the lengths
// of dz and db: K2 the partial panel's columns of lanes, K3 all ones,
// K4/K5 dZ's store masks and K6/K7 db's, empty (and R8 = SI, R10 = 0,
// DI = SI) for an operand not wanted. It ends at the label group.
func dzMasks(lanes int) {
	Comment("K2 = the columns of the partial panel (CX kept in AX)")
	MOVQ(RCX, RAX)
	MOVQ(R9, RCX)
	ANDQ(U32(lanes-1), RCX)
	MOVL(U32(1), R9L)
	SHLL(CL, R9L)
	DECL(R9L)
	KMOVW(R9L, K2)
	MOVQ(RAX, RCX)
	Comment("K3 = all ones; K4, K5 dZ's masks; without dZ, R8 = SI and R10 = 0")
	KXNORW(K3, K3, K3)
	dzWanted(R13, K4, K5, "nodz", "db", func() {
		MOVQ(RSI, R8)
		XORQ(R10, R10)
	})

	Label("db")
	Comment("K6, K7 db's masks; without db, DI = SI")
	dzWanted(R12, K6, K7, "nodb", "group", func() { MOVQ(RSI, RDI) })
}

// dzWanted sets an operand's masks for the whole and the partial panels,
// whole and part, to K3 and K2 if its length (in length) is not 0; else
// it leaves them empty and runs not (at the label none). It goes on at
// the label next.
func dzWanted(length, whole, part Register, none, next string, not func()) {
	KXORW(whole, whole, whole)
	KXORW(part, part, part)
	TESTQ(length, length)
	JZ(LabelRef(none))
	KMOVW(K3, whole)
	KMOVW(K2, part)
	JMP(LabelRef(next))

	Label(none)
	not()
}

// dzGroupSpec is a group of rows of a dZ packer's loop: its rows, its
// loop's label, the prefix of its other labels and the label that
// follows it. The first group of several rows carries dzGroupComment.
type dzGroupSpec struct {
	rows          int
	name, p, next string
}

// dzGroup writes a dZ packer's loop over the panels for a group of
// g.rows rows (left and place the locals of the rows left and of their
// place in panel 0, whole of the whole panels' bytes): each whole panel
// (setup with db's mask K6, body with the columns' K3 and dZ's K4, db's
// vector stored under K6 by store, AX on by col bytes, R13 by the panel
// stride R11), then the partial one (K7, K2, K5) if any, up to the label
// g.p+"next", where the caller moves to the next group.
func dzGroup(g dzGroupSpec, left, place, whole Mem, col int, ortest func(a, b Op), setup func(kb Register), body func(kc, kz Register), store func(k Register)) {
	Label(g.name)
	if g.rows > 1 {
		commentOnce("dzgroup", dzGroupComment)
	}
	if g.rows == 1 {
		CMPQ(left, U8(0))
		JE(LabelRef(g.next))
	} else {
		CMPQ(left, U8(g.rows))
		JB(LabelRef(g.next))
	}
	XORQ(RAX, RAX)
	MOVQ(place, R13)

	Label(g.p + "panel")
	CMPQ(RAX, whole)
	JAE(LabelRef(g.p + "partial"))
	setup(K6)
	body(K3, K4)
	store(K6)
	ADDQ(U8(col), RAX)
	ADDQ(R11, R13)
	JMP(LabelRef(g.p + "panel"))

	Label(g.p + "partial")
	ortest(K2, K2)
	JZ(LabelRef(g.p + "next"))
	setup(K7)
	body(K2, K5)
	store(K7)

	Label(g.p + "next")
	Commentf("the next %d rows", g.rows)
}

// dzGroupComment is the comment of the loop of the dZ packers.
const dzGroupComment = `
Groups of 4 rows go panel by panel, so that db's vector is loaded and
stored once for 4 rows and each panel receives 256 contiguous bytes;
then the last rows one at a time. Four rows, not more nor fewer
(BenchmarkAVX512PackDZB): 2 rows load and store db twice as often, 8
rows are more streams of dR and dZ at once than the prefetchers follow,
and rows one at a time take db through memory from row to row.`

// genPackDZB writes packDZB<w><t> (see dzpackComment and dzGroupComment).
func genPackDZB(w vecISA, t elemType) {
	lanes := t.Lanes(w.Bytes)
	name := "packDZB" + w.Name + t.Name
	doc := variantDoc(name, "packDZBAVX512F32", w, t, fmt.Sprintf(" and %d-column micro-panels", lanes))
	if t.Name == "F32" {
		doc = `
packDZBAVX512F32 packs rows of dZ = dR ⊙ [Z ≥ 0], built from dR and the
mask bits, into 16-column micro-panels panel elements apart, as the dW
GEMM's packer of B = dZ does; with db (len(db) ≠ 0) it adds each value
into db, and with dz (len(dz) ≠ 0) writes it to dZ, rows in order. It
is this Go (the mask bits of a row start at its column 0):

	for p := range rows {
		for j := range nb {
			var v float32 // +0 where the mask is 0
			if bits[p*stride+j/64]>>(j%64)&1 == 1 {
				v = dr[p*lddr+j]
			}
			dst[j/16*panel+p*16+j%16] = v
			if len(db) != 0 {
				db[j] += v
			}
			if len(dz) != 0 {
				dz[p*lddz+j] = v
			}
		}
		// a partial last panel's columns past nb are zeros
		clear(dst[nb/16*panel+p*16+nb%16 : nb/16*panel+p*16+16])
	}

in one pass, where the composition it replaces is four (stepGradMask
into a row, then db += it by axpy, a copy to dZ and the rows packer),
with the same bits.`
	}
	text(name, t,
		"func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, panel int)", doc)
	commentOnce("dzpack", dzpackComment)
	local := AllocLocal(24)
	place, left, whole := local, local.Offset(8), local.Offset(16)
	Load(Param("dst").Base(), RAX)
	MOVQ(RAX, place)
	Load(Param("rows"), RAX)
	MOVQ(RAX, left)
	loadArgs(Param("dr").Base(), RSI, Param("lddr"), RDX, Param("bits").Base(), RBX,
		Param("stride"), RCX, Param("panel"), R11, Param("nb"), R9,
		Param("db").Base(), RDI, Param("db").Len(), R12,
		Param("dz").Base(), R8, Param("dz").Len(), R13, Param("lddz"), R10)

	Comment("Z8 = 1; the strides in bytes")
	if t.Size == 4 {
		MOVQ(U32(t.One), RAX)
	} else {
		MOVQ(U64(t.One), RAX)
	}
	t.PBcst(t.Scalar(RAX), Z8)
	SHLQ(U8(t.Shift), RDX)
	SHLQ(U8(3), RCX)
	SHLQ(U8(t.Shift), R11)
	SHLQ(U8(t.Shift), R10)
	Comment("16(SP) = the whole panels' bytes of a row")
	MOVQ(R9, RAX)
	SHRQ(U8(log2(lanes)), RAX)
	SHLQ(U8(6), RAX)
	MOVQ(RAX, whole)
	dzMasks(lanes)

	// The groups of 4 rows, then the single rows (labels group…, single…).
	for _, g := range []dzGroupSpec{{4, "group", "g", "single"}, {1, "single", "s", "done"}} {
		dzGroup(g, left, place, whole, w.Bytes, t.KOrTest,
			func(kb Register) { dzPanel(t, kb) },
			func(kc, kz Register) {
				for i := range g.rows {
					dzRow(t, i*w.Bytes, kc, kz)
				}
			},
			func(k Register) { t.MovU(Z9, k, memx(RDI, RAX, 0)) })
		if g.rows == 1 {
			ADDQ(RDX, RSI)
			ADDQ(RCX, RBX)
			ADDQ(R10, R8)
			ADDQ(U8(w.Bytes), place)
			DECQ(left)
		} else {
			LEAQ(Mem{Base: RSI, Index: RDX, Scale: uint8(g.rows)}, RSI)
			LEAQ(Mem{Base: RBX, Index: RCX, Scale: uint8(g.rows)}, RBX)
			LEAQ(Mem{Base: R8, Index: R10, Scale: uint8(g.rows)}, R8)
			ADDQ(U32(g.rows*w.Bytes), place)
			SUBQ(U8(g.rows), left)
		}
		JMP(LabelRef(g.name))
	}

	Label("done")
	VZEROUPPER()
	RET()
}
