package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX2+FMA register tiles of the packed GEMM (gemm.go), their
// epilogues, and the packers of A and B for them (the Go wrappers are in
// gemm_avx2_amd64.go). Each routine below is one Go function of an
// element type (elemType, amd64types.go) and, for the tiles, of a shape (avx2Tile: rows
// × 32-byte vectors per row, the width of A's packed micro-panel) and an
// epilogue variant (avx2Epi): a new tile is one more call in genAVX2.
//
// The wrappers cut every slice to the exact extent a routine reads or
// writes, so nothing here checks a bound. One call is a column of whole
// tiles (at most mc rows of kc ≤ 1024 steps: about 30 µs, see kernelAVX2),
// one panel or a block of 8 rows of a packed block, since assembly cannot
// be preempted.
//
// Routines that use ymm registers end with VZEROUPPER, as functions that
// leave their upper halves dirty must; the packers of A and of transposed
// B use only VEX-encoded xmm instructions, which leave the upper halves
// zero.

// The AVX2 routines take the element type's instructions from elemType.
// Moves and the clearing of accumulators use the PS forms for both types
// (same effect, one byte shorter than PD), except where the hand-written
// code they replace used the PD form (the bias load and +0 of the forward
// epilogue: t.MovU, t.Xor).

// avx2PackA6Group moves a group of 16/size steps of the 6 rows in X0-X5
// to the packed panel at DI (packA6's loop body). The transposes differ
// in kind, 4×4 of float32 against 2×2 of float64, so each type has its
// own.
func avx2PackA6Group(t elemType) {
	if t.Size == 4 {
		avx2PackA6GroupF32(t)
	} else {
		avx2PackA6GroupF64(t)
	}
}

// avx2PackBTBlock moves a group of 16/size steps of the 4 rows of
// transposed B from base (rows R8 bytes apart, R9 = 3·R8) to the columns
// at byte off of the panel's rows at DI (packBT's loop body), by type as
// avx2PackA6Group.
func avx2PackBTBlock(t elemType, base GPPhysical, off int) {
	if t.Size == 4 {
		avx2PackBTBlockF32(t, base, off)
	} else {
		avx2PackBTBlockF64(t, base, off)
	}
}

// genAVX2 writes the AVX2+FMA GEMM tiles and packers: 6×16 float32 and
// 6×8 float64 (6 rows × 2 ymm vectors), and the edge tile of the first 4
// rows of a 6-row panel.
func genAVX2() {
	for _, t := range elemTypes {
		whole := avx2Tile{t: t, rows: 6, panel: 6, vecs: 2}
		whole.gen("tileAVX2"+t.Name, avx2EpiGEMM)
		whole.gen("tileFwdAVX2"+t.Name, avx2EpiFwd)
		whole.genRows("rowsAVX2" + t.Name)
		avx2Tile{t: t, rows: 4, panel: 6, vecs: 2}.gen("tileR4AVX2"+t.Name, avx2EpiTemp)
	}
	for _, t := range elemTypes {
		avx2PackA6(t)
	}
	for _, t := range elemTypes {
		avx2PackB64(t)
	}
	for _, t := range elemTypes {
		avx2PackBT(t)
	}
}

// ---- AVX2 helpers -----------------------------------------------------------

// avx2MulConst multiplies r by n<<sh: a LEAQ by 3, 5 or 9 and a shift
// where n allows it (n = 6: by 3, then shift by sh+1), else IMULQ.
func avx2MulConst(r GPPhysical, n, sh int) {
	for _, f := range []int{1, 3, 5, 9} {
		if n%f != 0 {
			continue
		}
		m := n / f
		if m&(m-1) != 0 {
			continue
		}
		k := log2(m)
		if f > 1 {
			LEAQ(Mem{Base: r, Index: r, Scale: uint8(f - 1)}, r)
		}
		if k+sh > 0 {
			SHLQ(U8(k+sh), r)
		}
		return
	}
	IMUL3Q(U32(n<<sh), r, r)
}

// avx2Rows addresses the rows of a matrix without pointer updates: base
// registers 3 rows apart and the row stride l in bytes, so that row i is
// (base[i/3])(l*(i%3)): rows P, P+L, P+2L, Q, Q+L, Q+2L with Q = P+3L.
type avx2Rows struct {
	base []GPPhysical
	l    GPPhysical
}

// row is row i's address, disp bytes on.
func (r avx2Rows) row(i, disp int) Mem {
	m := Mem{Base: r.base[i/3], Disp: disp}
	if i%3 > 0 {
		m.Index, m.Scale = r.l, uint8(i%3)
	}
	return m
}

// avx2LoadRows sets the first ceil(n/3) bases of r for n rows from the
// argument slots base (the matrix's address) and ld (its row stride in
// elements of 1<<sh bytes), and r.l to the stride in bytes.
func avx2LoadRows(r avx2Rows, n int, base, ld Mem, sh int) {
	MOVQ(base, r.base[0])
	MOVQ(ld, r.l)
	SHLQ(U8(sh), r.l)
	for k := 1; 3*k < n; k++ {
		LEAQ(Mem{Base: r.l, Index: r.l, Scale: 2}, r.base[k])
		ADDQ(r.base[k-1], r.base[k])
	}
}

// avx2AdvRows moves the pointer in the argument slot ptr n rows on, rows
// ld (an argument slot) elements of 1<<sh bytes apart (the argument
// slots are the call's own). Clobbers CX.
func avx2AdvRows(ld Mem, sh, n int, ptr Mem) {
	MOVQ(ld, RCX)
	avx2MulConst(RCX, n, sh)
	ADDQ(RCX, ptr)
}

// avx2MaskRow stores the step bits [v ≥ 0] of the row in vals (one bit a
// lane, in order) at addr: VCMPPS predicate 5, NLT_US, against zero (+0),
// into cmp (NaN → 1, −0 → 1), then VMOVMSKPS into tmp0 and tmp1, joined
// in tmp0 and stored with a store of the row's bits (8, 16 or 32).
func avx2MaskRow(t elemType, vals, cmp []VecPhysical, zero VecPhysical, tmp0, tmp1 GPPhysical, addr Mem) {
	for j := range vals {
		t.Cmp(U8(5), zero, vals[j], cmp[j])
	}
	t.MovMsk(cmp[0], tmp0.As32())
	for j := 1; j < len(vals); j++ {
		t.MovMsk(cmp[j], tmp1.As32())
		SHLL(U8(j*t.Lanes(32)), tmp1.As32())
		ORL(tmp1.As32(), tmp0.As32())
	}
	switch len(vals) * t.Lanes(32) {
	case 8:
		MOVB(tmp0.As8(), addr)
	case 16:
		MOVW(tmp0.As16(), addr)
	case 32:
		MOVL(tmp0.As32(), addr)
	default:
		panic(fmt.Sprintf("avx2: a row of %d mask bits is not a whole 8-, 16- or 32-bit store", len(vals)*t.Lanes(32)))
	}
}

// avx2Span names the n registers from r on, as "Y4-Y5".
func avx2Span(r VecPhysical, n int) string {
	if n == 1 {
		return r.Asm()
	}
	return fmt.Sprintf("%s-Y%d", r.Asm(), int(r.PhysicalIndex())+n-1)
}
