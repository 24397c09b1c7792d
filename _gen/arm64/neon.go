package arm64

// The NEON routines of kernels_arm64.s, each described once for both
// element types (elem) and, for the GEMM register tiles, for a tile shape
// (tileShape). The emitter is in emit.go.

import (
	"fmt"
	"go/format"
	"os"
)

// Generate writes the NEON assembly to out and its Go declarations to
// stubs (nothing when both are empty).
func Generate(out, stubs string) error {
	if out == "" && stubs == "" {
		return nil
	}
	a := buildARM64()
	src, err := format.Source(a.stubs.Bytes())
	if err != nil {
		return fmt.Errorf("_gen: %s: %v", stubs, err)
	}
	if out != "" {
		if err := os.WriteFile(out, a.s.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if stubs != "" {
		return os.WriteFile(stubs, src, 0o644)
	}
	return nil
}

// buildARM64 emits every NEON routine.
func buildARM64() *asm {
	a := newAsm()
	a.comment(arm64Header)
	a.comment(gemmHeader)
	for _, t := range neonTiles {
		t.check()
		t.gemm(a)
		t.fwd(a)
	}
	for _, e := range []elem{f32, f64} {
		axpy(a, e)
	}
	for _, e := range []elem{f32, f64} {
		dot(a, e)
	}
	a.comment(elementwiseHeader)
	for _, e := range []elem{f32, f64} {
		relu(a, e)
	}
	for _, e := range []elem{f32, f64} {
		stepGrad(a, e)
	}
	a.data("byteBits", `
byteBits: byte j of each 8-byte half is 1<<j, to turn 0x00/0xFF byte
masks of elements 8i…8i+7 into the bits of mask byte i.`,
		[]uint64{0x8040201008040201, 0x8040201008040201})
	a.comment(pack64Doc)
	for _, e := range []elem{f32, f64} {
		stepMask(a, e)
	}
	for _, e := range []elem{f32, f64} {
		expandBits(a, e)
	}
	for _, e := range []elem{f32, f64} {
		stepGradMask(a, e)
	}
	a.comment(adamHeader)
	for _, e := range []elem{f32, f64} {
		adam(a, e)
	}
	genBF16(a)
	return a
}

const arm64Header = `
The NEON routines of the package: the register tiles of the packed GEMM,
the rows route's axpy and dot, the elementwise kernels and Adam. The Go
each routine replaces is the doc comment of its declaration in
kernels_arm64.go; the Go wrappers (gemm_neon_arm64.go,
elementwise_arm64.go, path_arm64.go) cut every slice to the exact extent
the routine reads or writes and pass whole blocks only, so nothing here
checks a bound and there is no tail code. One call is one tile (kc ≤ 512
steps) or one bounded chunk of a vector, since assembly cannot be
preempted.

Go's assembler lacks the vector FP arithmetic and compares used here and
FMLA by element: they are WORDs, encoded by the generator
(_gen/arm64/emit.go) from their fields, each with the instruction in Arm
syntax beside it; _gen's tests check every encoding against
aarch64-linux-gnu-as.

Operand order in Go's syntax: VBIT Vm, Vn, Vd is BIT Vd, Vn, Vm (where a
bit of Vm is 1, Vd takes the bit of Vn); likewise VAND, VCMTST, VUZP1
and VADDP take Vm, Vn, Vd, and UZP1/ADDP put Vn's part in the low half.`

// ---- the GEMM register tiles ---------------------------------------------

// tileShape is a NEON register tile: mr rows of nr elements of e, nr/lanes
// vectors a row. The accumulators are V0 … V(mr·nr/lanes − 1), row i in
// the nr/lanes registers from V(i·nr/lanes); A's mr values of a k step
// follow them (mr/lanes registers), B's nr values are in the registers
// from bReg. The epilogues use the registers from the first of A's up to
// V29 as scratch, V30 for byteBits and V31 for +0.
type tileShape struct {
	e      elem
	mr, nr int
	bReg   int
}

// neonTiles are the tiles gemm_neon_arm64.go uses (neonMR32 × neonNR32,
// neonMR64 × neonNR64). B's registers end at V29 for float32 and V30 for
// float64.
var neonTiles = []tileShape{
	{e: f32, mr: 12, nr: 8, bReg: 28},
	{e: f64, mr: 6, nr: 8, bReg: 27},
}

func (t tileShape) nv() int  { return t.nr / t.e.lanes } // vectors a row
func (t tileShape) na() int  { return t.mr / t.e.lanes } // A's registers
func (t tileShape) acc() int { return t.mr * t.nv() }    // accumulators, and A's first register
func (t tileShape) keepBias() bool {
	// The forward epilogue's row takes C (nv registers), the bias (nv,
	// when it is kept across rows) and the narrowed mask (nv/2, at least
	// 1) from V(acc) up to V29; a bias that does not fit is loaded again
	// for each row (from L1), into C's registers once C is added.
	return t.acc()+2*t.nv()+max(1, t.nv()/2) <= 30
}

// check panics on a shape the routines cannot emit.
func (t tileShape) check() {
	switch {
	case t.nr != 8:
		panic("_gen: a NEON tile row is one mask byte: nr must be 8")
	case t.mr%t.e.lanes != 0 || t.nr%t.e.lanes != 0:
		panic("_gen: mr and nr must be multiples of the lanes")
	case t.nv() > 4:
		panic("_gen: a row is one LD1/ST1: at most 4 vectors")
	case t.bReg < t.acc()+t.na() || t.bReg+t.nv() > 32:
		panic("_gen: B's registers overlap A's or pass V31")
	case t.acc()+t.nv()+max(1, t.nv()/2) > 30:
		panic("_gen: no scratch registers left for the epilogue")
	}
}

func (t tileShape) sub(s string) string {
	return t.e.sub(s, "{MR}", fmt.Sprint(t.mr), "{NR}", fmt.Sprint(t.nr))
}

const gemmHeader = `
The NEON register tiles of the packed GEMM (gemm.go) and the vector loops
of the rows route (axpy, dot).

Registers of the tiles. R0 walks the packed micro-panel of A, R1 that of
B, R2 and R3 count the k steps. V0-V23 are the 24 accumulators, one
128-bit register per 4 float32 or 2 float64 of a row of the tile:

	float32 12×8: row i is V(2i) (columns 0-3) and V(2i+1) (4-7);
	              per step A (12 values) is in V24-V26, B (8) in V28-V29
	float64 6×8:  row i is V(4i) … V(4i+3) (columns 0-1, 2-3, 4-5, 6-7);
	              per step A (6 values) is in V24-V26, B (8) in V27-V30

and each FMA multiplies a vector of B by one lane of A (FMLA by element),
so A needs no broadcast and no extra register per row.

Instruction mix per k step (BLIS's armv8a kernels count the same way):

	float32 12×8: 2 loads (LD1 of 3 and of 2 q registers: 48 + 32 bytes),
	              24 FMLA (4S by element) = 26 instructions, FMA share
	              24/26 = 92% (90.6% counting the loop's SUBS and BNE,
	              one pair per 4 steps); 192 flops per step.
	float64 6×8:  2 loads (LD1 of 3 and of 4 q registers: 48 + 64 bytes),
	              24 FMLA (2D by element) = 26 instructions, FMA share
	              24/26 = 92% (90.6% with the loop); 96 flops per step.

24 independent accumulators cover 2 FMA pipes × 4 cycles of latency
(Neoverse N1, Cortex-A7x) three times over, and 4 pipes × 4 cycles
(Neoverse V1/V2, Apple) with 8 to spare; the loads of the next step go
to the same architectural registers, which renaming on out-of-order
cores makes free (the registers left, 3 for float32 and 1 for float64,
would not hold a second A and B). The k loop is unrolled by 4.

The epilogues, per row of 8 elements: the GEMM's 6 instructions for
float32 and 8 for float64 (load C, 2 or 4 FADD, store, the row count's
SUBS and BEQ); the forward pass's 21 for float32 (load C, 4 FADD, store
Z, 2 FCMLT, 7 to make and store the mask byte: 2 UZP1, AND, ADDV, UMOV,
EOR, STRB; 2 BIT, store R, the mask pointer's ADD, the row count) and
32 for float64 (the bias loaded again, 8 FADD, 4 FCMLT, 4 UZP1, 4 BIT):
with 12 (6) rows, about the cost of 10 (7) k steps, on the last K panel
only.

The epilogues, row by row (rows past the stub's m are neither read nor
written: the wrapper runs edge tiles of fewer rows here too), in the
order of tile.finish (gemm.go): v = AB + C, v += bias, Z = v, the mask
bits [v ≥ 0], R = ReLU(v). The wrapper makes the optional parts
unconditional, so that a row has no branch but its count:

  - β = 0: C is a row of −0 with row stride 0 (the wrapper's), and
    v = AB + (−0) is AB bit for bit (−0 stays −0, +0 + −0 = +0, a NaN
    keeps its payload; AB is never a signalling NaN: FMLA quiets
    them, and a product of no steps is +0), so C is not read;
  - no bias: the bias is −0, for the same reason;
  - no Z: Z is a scratch row of the wrapper with row stride 0;
  - no mask: the bits go to a scratch word, with row stride 0.

FADD takes the accumulator as its first operand (Vn) and C or the bias
as its second, the order of Go's v += c: when both are NaN, Arm returns
the first one's payload, as tile.finish compiled for arm64 does.

Every output element is a copy, a compare or a select of v (design
brief §2, and the elementwise kernels below): the mask bit and the ReLU
both come from FCMLT v < 0 (false for NaN and −0); the mask bit is its
complement, and R is BIT with +0 where v < 0, so NaN and −0 pass
through bit for bit. FMAX is not used: FMAX(−0, +0) is +0 and it
quiets signalling NaNs.

A row's 8 mask bits (nr = 8 for both types) are one byte of the mask
word, at byte (col%64)/8 since col is a multiple of 8: a byte store
leaves the other tiles' bits of the word alone without reading it. The
row's lane masks are narrowed to 8 bytes in column order (UZP1 keeps
the low half of each lane: all bits of a lane are equal), ANDed with
byteBits (byte j = 1<<j) and summed across (ADDV: the bits are
distinct, so the sum is their OR), then inverted to [v ≥ 0].

Registers of the epilogues: R4 C (post-incremented by its row stride
in bytes, R5), R6 R (R7), R8 the rows left, R9 the bias, R10 Z (R11),
R12 the mask byte (R13), R14 scratch; V24-V29 scratch (float32 keeps
the bias in V26:V27), V30 byteBits, V31 +0.`

const tileDoc = `
tileNEON{F} is, for len(a) == {MR}·kc, len(b) == {NR}·kc, 1 ≤ m ≤ {MR},
len(r) == (m−1)·ldr+{NR} and len(cin) == (m−1)·ldcin+{NR} (ldcin may be 0),

	for i := range m {
		for j := range {NR} {
			var v {T}
			for p := range kc {
				v = fma(a[p*{MR}+i], b[p*{NR}+j], v) // one rounding per step
			}
			r[i*ldr+j] = v + cin[i*ldcin+j]
		}
	}

cin may be r (it is read before it is written).`

const tileFwdDoc = `
tileFwdNEON{F} is the forward epilogue of tile.finish on a tile of
whole columns with α = 1: for len(a) == {MR}·kc, len(b) == {NR}·kc,
1 ≤ m ≤ {MR}, len(cin) == (m−1)·ldcin+{NR}, len(bias) == {NR},
len(z) == (m−1)·ldz+{NR}, len(r) == (m−1)·ldr+{NR} and
len(bits) == (m−1)·stride+1, with ldcin, ldz and stride possibly 0
(the wrapper's rows of −0 and scratch) and shift = (col%64)/8 for the
tile's first column col (a multiple of 8),

	for i := range m {
		var chunk uint8
		for j := range {NR} {
			v := ab(i, j) // the sum of tileNEON{F}
			v += cin[i*ldcin+j]
			v += bias[j]
			z[i*ldz+j] = v
			if !(v < 0) {
				chunk |= 1 << j
			}
			r[i*ldr+j] = relu(v)
		}
		// bits 8·shift … of word i·stride: a byte store
		(*[8]uint8)(unsafe.Pointer(&bits[i*stride]))[shift] = chunk
	}

cin may be z or r (a row is read before it is written).`

// ld1p loads n registers from V(first) from (ptr), advancing ptr, at
// most 4 a VLD1.
func ld1p(a *asm, ptr string, first, n int, arr string) {
	for k := 0; k < n; k += 4 {
		c := min(4, n-k)
		a.op("VLD1.P %d(%s), %s", 16*c, ptr, vregs(first+k, c, arr))
	}
}

// step is one k step: B's values, A's, and an FMA per accumulator, row i
// taking lane i%lanes of A's register i/lanes.
func (t tileShape) step(a *asm) {
	e, nv := t.e, t.nv()
	a.inote(fmt.Sprintf("k step: B's %d values in V%d-V%d, A's %d in V%d-V%d, %d FMAs",
		t.nr, t.bReg, t.bReg+nv-1, t.mr, t.acc(), t.acc()+t.na()-1, t.acc()))
	ld1p(a, "R1", t.bReg, nv, e.arr)
	ld1p(a, "R0", t.acc(), t.na(), e.arr)
	for i := range t.mr {
		for j := range nv {
			a.word(e.fmla(i*nv+j, t.bReg+j, t.acc()+i/e.lanes, i%e.lanes))
		}
	}
}

// prologue loads the arguments both tiles share, asks for the output
// rows while the k loop runs, and runs the k loop.
func (t tileShape) prologue(a *asm) {
	e := t.e
	a.op("MOVD %s, R0", a.arg("a_base"))
	a.op("MOVD %s, R1", a.arg("b_base"))
	a.op("MOVD %s, R2", a.arg("kc"))
	a.op("MOVD %s, R4", a.arg("cin_base"))
	a.op("MOVD %s, R5", a.arg("ldcin"))
	a.op("LSL $%d, R5, R5", e.shift)
	a.op("MOVD %s, R6", a.arg("r_base"))
	a.op("MOVD %s, R7", a.arg("ldr"))
	a.op("LSL $%d, R7, R7", e.shift)
	a.op("MOVD %s, R8", a.arg("m"))

	last := t.nr*e.size - 1 // the last byte of a row
	a.inote(`Ask for the m output rows (R6, stride R7, for a store) and the rows of C
(R4, stride R5) while the k loop runs, so that the epilogue does not wait
for them: the first and the last byte of each row, in case it straddles
two cache lines.`)
	a.op("MOVD R8, R14")
	a.op("MOVD R6, R15")
	a.op("MOVD R4, R16")
	a.label("prefetch")
	a.op("ADD $%d, R15, R17", last)
	a.op("PRFM (R15), PSTL1KEEP")
	a.op("PRFM (R17), PSTL1KEEP")
	a.op("ADD $%d, R16, R17", last)
	a.op("PRFM (R16), PLDL1KEEP")
	a.op("PRFM (R17), PLDL1KEEP")
	a.op("ADD R7, R15, R15")
	a.op("ADD R5, R16, R16")
	a.op("SUBS $1, R14, R14")
	a.op("BNE prefetch")

	a.inote("Zero the accumulators, then kc (R2) steps: 4 at a time, then one at a time.")
	for r := range t.acc() {
		a.op("VEOR V%d.B16, V%d.B16, V%d.B16", r, r, r)
	}
	a.op("LSR $2, R2, R3")
	a.op("AND $3, R2, R2")
	a.op("CBZ R3, tail")
	a.label("loop4")
	for range 4 {
		t.step(a)
	}
	a.op("SUBS $1, R3, R3")
	a.op("BNE loop4")
	a.label("tail")
	a.op("CBZ R2, kdone")
	a.label("loop1")
	t.step(a)
	a.op("SUBS $1, R2, R2")
	a.op("BNE loop1")
	a.label("kdone")
}

// rows emits row(i) for each row, ending after row m−1.
func (t tileShape) rows(a *asm, row func(i int)) {
	for i := range t.mr {
		row(i)
		if i < t.mr-1 {
			a.op("SUBS $1, R8, R8")
			a.op("BEQ done")
		}
	}
	a.label("done")
	a.op("RET")
}

// gemm is tileNEON{F}: R = AB + C.
func (t tileShape) gemm(a *asm) {
	e, nv, s := t.e, t.nv(), t.acc()
	a.text(t.sub("tileNEON{F}(a, b []{T}, kc int, cin []{T}, ldcin int, r []{T}, ldr, m int)"), t.sub(tileDoc))
	t.prologue(a)
	t.rows(a, func(i int) {
		a.inote(fmt.Sprintf("row %d: R = AB + C", i))
		a.op("VLD1.P (R4)(R5), %s", vregs(s, nv, e.arr))
		for j := range nv {
			a.word(e.fadd(i*nv+j, i*nv+j, s+j))
		}
		a.op("VST1.P %s, (R6)(R7)", vregs(i*nv, nv, e.arr))
	})
}

// fwd is tileFwdNEON{F}: the GEMM with the forward epilogue.
func (t tileShape) fwd(a *asm) {
	e, nv, s := t.e, t.nv(), t.acc()
	a.text(t.sub("tileFwdNEON{F}(a, b []{T}, kc int, cin []{T}, ldcin int, bias, z []{T}, ldz int, r []{T}, ldr int, bits []uint64, stride, shift, m int)"), t.sub(tileFwdDoc))
	t.prologue(a)
	bias, scratch := s, s+nv
	a.op("MOVD %s, R9", a.arg("bias_base"))
	if t.keepBias() {
		bias, scratch = s+nv, s+2*nv
		a.op("VLD1 (R9), %s", vregs(bias, nv, e.arr))
	}
	a.op("MOVD %s, R10", a.arg("z_base"))
	a.op("MOVD %s, R11", a.arg("ldz"))
	a.op("LSL $%d, R11, R11", e.shift)
	a.op("MOVD %s, R12", a.arg("bits_base"))
	a.op("MOVD %s, R14", a.arg("shift"))
	a.op("ADD R14, R12, R12")
	a.op("MOVD %s, R13", a.arg("stride"))
	a.op("LSL $3, R13, R13")
	a.op("VMOVD $0x8040201008040201, V30")
	a.op("VEOR V31.B16, V31.B16, V31.B16")
	t.rows(a, func(i int) {
		a.inote(fmt.Sprintf("row %d: v = AB + C + bias, Z = v, the mask byte, R = ReLU(v)", i))
		a.op("VLD1.P (R4)(R5), %s", vregs(s, nv, e.arr))
		for j := range nv {
			a.word(e.fadd(i*nv+j, i*nv+j, s+j))
		}
		if !t.keepBias() {
			a.op("VLD1 (R9), %s", vregs(bias, nv, e.arr))
		}
		for j := range nv {
			a.word(e.fadd(i*nv+j, i*nv+j, bias+j))
		}
		a.op("VST1.P %s, (R10)(R11)", vregs(i*nv, nv, e.arr))
		cmp := make([]int, nv)
		for j := range nv {
			cmp[j] = s + j
			a.word(e.fcmlt(s+j, i*nv+j))
		}
		m := narrow(a, cmp, e.bits, scratch, nil)[0]
		a.op("VAND V30.B16, V%d.B16, V%d.B16", m, m)
		a.op("VADDV V%d.B8, V%d", m, m)
		a.op("VMOV V%d.B[0], R14", m)
		a.op("EOR $0xff, R14, R14")
		a.op("MOVB R14, (R12)")
		a.op("ADD R13, R12, R12")
		for j := range nv {
			a.op("VBIT V%d.B16, V31.B16, V%d.B16", s+j, i*nv+j)
		}
		a.op("VST1.P %s, (R6)(R7)", vregs(i*nv, nv, e.arr))
	})
}

// narrow emits the UZP1 rounds that turn the lane masks in regs (lanes of
// bits bits, all bits of a lane equal) into byte masks in element order:
// each round keeps the low half of every lane of a pair of registers,
// halving the lane width and the registers. The first round writes fresh
// registers from V(fresh), a later one the first register of each pair,
// and the round that reaches bytes the registers out, if given. A single
// register left with wider lanes is narrowed onto itself (its bytes then
// fill the low half). It returns the registers of the result.
func narrow(a *asm, regs []int, bits, fresh int, out []int) []int {
	arr := map[int]string{32: "S4", 16: "H8", 8: "B16"}
	first := true
	for len(regs) > 1 && bits > 8 {
		bits /= 2
		var next []int
		for k := 0; k+1 < len(regs); k += 2 {
			d := regs[k]
			switch {
			case bits == 8 && out != nil:
				d = out[k/2]
			case first:
				d = fresh + k/2
			}
			r := arr[bits]
			a.op("VUZP1 V%d.%s, V%d.%s, V%d.%s", regs[k+1], r, regs[k], r, d, r)
			next = append(next, d)
		}
		regs, first = next, false
	}
	for bits > 8 {
		bits /= 2
		r := arr[bits]
		a.op("VUZP1 V%d.%s, V%d.%s, V%d.%s", regs[0], r, regs[0], r, regs[0], r)
	}
	return regs
}

// ---- the rows route: axpy and dot ----------------------------------------

const axpyDoc = `
axpyAsmNEON{F} is, for len(x) a multiple of {B} and len(dst) == len(x),

	for i, v := range x {
		dst[i] = fma(alpha, v, dst[i]) // one rounding
	}`

// axpy is axpyAsmNEON{F}: 4 vectors an iteration.
func axpy(a *asm, e elem) {
	blk := 4 * e.lanes
	a.text(e.sub("axpyAsmNEON{F}(dst, x []{T}, alpha {T})"), e.sub(axpyDoc, "{B}", fmt.Sprint(blk)))
	a.op("MOVD %s, R0", a.arg("dst_base"))
	a.op("MOVD %s, R1", a.arg("x_base"))
	a.op("MOVD %s, R2", a.arg("x_len"))
	a.op("FMOV%s %s, F16", map[int]string{4: "S", 8: "D"}[e.size], a.arg("alpha"))
	a.op("VDUP V16.%s[0], V16.%s", e.arr[:1], e.arr)
	a.op("CBZ R2, done")
	a.label("loop")
	a.inote(fmt.Sprintf("dst is read before it is written, %d elements at a time: dst may be x.", blk))
	a.op("VLD1 (R0), %s", vregs(0, 4, e.arr))
	a.op("VLD1.P 64(R1), %s", vregs(4, 4, e.arr))
	for j := range 4 {
		a.opc("dst += x·alpha, one rounding", "VFMLA V16.%s, V%d.%s, V%d.%s", e.arr, 4+j, e.arr, j, e.arr)
	}
	a.op("VST1.P %s, 64(R0)", vregs(0, 4, e.arr))
	a.op("SUBS $%d, R2, R2", blk)
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

const dotDoc = `
dotAsmNEON{F} is, for len(x) a multiple of {B}, len(y) == len(x) and
len(acc) == {B},

	for i, v := range x {
		acc[i%{B}] = fma(v, y[i], acc[i%{B}])
	}`

// dot is dotAsmNEON{F}: 4 vectors of partial sums.
func dot(a *asm, e elem) {
	blk := 4 * e.lanes
	a.text(e.sub("dotAsmNEON{F}(acc, x, y []{T})"), e.sub(dotDoc, "{B}", fmt.Sprint(blk)))
	a.op("MOVD %s, R3", a.arg("acc_base"))
	a.op("MOVD %s, R0", a.arg("x_base"))
	a.op("MOVD %s, R2", a.arg("x_len"))
	a.op("MOVD %s, R1", a.arg("y_base"))
	a.op("VLD1 (R3), %s", vregs(0, 4, e.arr))
	a.op("CBZ R2, done")
	a.label("loop")
	a.op("VLD1.P 64(R0), %s", vregs(4, 4, e.arr))
	a.op("VLD1.P 64(R1), %s", vregs(8, 4, e.arr))
	for j := range 4 {
		a.opc(fmt.Sprintf("lane l of acc[%d] += x[%di+%d+l]·y[%di+%d+l]", j, blk, e.lanes*j, blk, e.lanes*j),
			"VFMLA V%d.%s, V%d.%s, V%d.%s", 8+j, e.arr, 4+j, e.arr, j, e.arr)
	}
	a.op("SUBS $%d, R2, R2", blk)
	a.op("BNE loop")
	a.label("done")
	a.op("VST1 %s, (R3)", vregs(0, 4, e.arr))
	a.op("RET")
}

// ---- elementwise ---------------------------------------------------------

const elementwiseHeader = `
The elementwise kernels, on whole blocks: relu and stepGrad 64 bytes (4
vectors) an iteration, stepMask and stepGradMask 64 elements (one mask
word).

Semantics, bit for bit (design brief §2): the test "v < 0" is FCMLT
against #0.0, which is false for NaN (any payload, signalling or not,
either sign) and for −0, so those pass through relu and count as
Step = 1. FMAX/FMAXNM are not used: they quiet signalling NaNs and give
FMAX(−0, +0) = +0. Zeroing a lane is a bitwise select (BIT) or an AND
with a lane mask, never a multiply, and gives +0. No FP arithmetic is
done on the data; FCMLT only raises FPSR's cumulative Invalid flag on a
NaN, which Go neither traps nor reads. FPCR.FZ (flush-to-zero) would
make FCMLT see a negative denormal as −0, as it would Go's scalar FCMP;
Go never sets it.`

const reluDoc = `
reluNEON{F} is, for len(x) a multiple of {B} and len(dst) ≥ len(x):

	for i, v := range x {
		if v < 0 { // false for NaN: NaN and −0 pass through, bit for bit
			v = 0
		}
		dst[i] = v
	}`

// relu is reluNEON{F}.
func relu(a *asm, e elem) {
	blk := 4 * e.lanes
	a.text(e.sub("reluNEON{F}(dst, x []{T})"), e.sub(reluDoc, "{B}", fmt.Sprint(blk)))
	a.op("MOVD %s, R0", a.arg("dst_base"))
	a.op("MOVD %s, R1", a.arg("x_base"))
	a.op("MOVD %s, R2", a.arg("x_len"))
	a.op("CBZ R2, done")
	a.opc("+0 in every lane", "VEOR V31.B16, V31.B16, V31.B16")
	a.label("loop")
	a.op("VLD1.P 64(R1), %s", vregs(0, 4, e.arr))
	for j := range 4 {
		a.word(e.fcmlt(4+j, j), "x < 0, all ones or all zeros")
	}
	for j := range 4 {
		a.opc("x = x < 0 ? +0 : x", "VBIT V%d.B16, V31.B16, V%d.B16", 4+j, j)
	}
	a.op("VST1.P %s, 64(R0)", vregs(0, 4, e.arr))
	a.op("SUBS $%d, R2", blk)
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

const stepGradDoc = `
stepGradNEON{F} is, for len(z) a multiple of {B} and len(dz), len(dr) ≥ len(z):

	for i, v := range z {
		if v < 0 {
			dz[i] = 0 // +0, whatever dr[i] is (a select, not a multiply)
		} else {
			dz[i] = dr[i]
		}
	}`

// stepGrad is stepGradNEON{F}.
func stepGrad(a *asm, e elem) {
	blk := 4 * e.lanes
	a.text(e.sub("stepGradNEON{F}(dz, dr, z []{T})"), e.sub(stepGradDoc, "{B}", fmt.Sprint(blk)))
	a.op("MOVD %s, R0", a.arg("dz_base"))
	a.op("MOVD %s, R1", a.arg("dr_base"))
	a.op("MOVD %s, R2", a.arg("z_base"))
	a.op("MOVD %s, R3", a.arg("z_len"))
	a.op("CBZ R3, done")
	a.op("VEOR V31.B16, V31.B16, V31.B16")
	a.label("loop")
	a.inote("Both inputs are loaded before dz is stored: dz may be dr or z.")
	a.opc("z", "VLD1.P 64(R2), %s", vregs(0, 4, e.arr))
	a.opc("dr", "VLD1.P 64(R1), %s", vregs(4, 4, e.arr))
	for j := range 4 {
		a.word(e.fcmlt(j, j), "z < 0")
	}
	for j := range 4 {
		a.opc("dr = z < 0 ? +0 : dr", "VBIT V%d.B16, V31.B16, V%d.B16", j, 4+j)
	}
	a.op("VST1.P %s, 64(R0)", vregs(4, 4, e.arr))
	a.op("SUBS $%d, R3", blk)
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

const pack64Doc = `
stepMask's word: the byte masks of 64 elements, in order in the 16 bytes
of V0, V1, V2 and V3 (0xFF where z < 0, 0x00 elsewhere), become the mask
word [z ≥ 0], stored at (R0), advancing R0 by 8. Each byte keeps only
its bit 1<<(j%8) (AND with V30 = byteBits); three rounds of pairwise
adds (ADDP) then sum each run of eight bytes, whose bits are distinct,
so the sum is their OR: byte i of V0's low half is the byte of bits of
elements 8i…8i+7 of z < 0. MVN turns it into z ≥ 0, which is what
StepMask stores (true for NaN and −0).`

const stepMaskDoc = `
stepMaskNEON{F} is, for len(z) a multiple of 64 and len(bits) ≥ len(z)/64:

	for w := range len(z) / 64 {
		var word uint64
		for j, v := range z[w*64 : w*64+64] {
			if !(v < 0) { // Step(NaN) = Step(−0) = 1
				word |= 1 << j
			}
		}
		bits[w] = word
	}`

// stepMask is stepMaskNEON{F}. The 64 elements of a word take 16 vectors
// of float32, compared and narrowed at once (V0-V15, through V16-V23, to
// V0-V3), or 32 of float64, which do not fit: those go 8 vectors (16
// elements, one byte-mask vector) at a time through V4-V15.
func stepMask(a *asm, e elem) {
	a.text(e.sub("stepMaskNEON{F}(bits []uint64, z []{T})"), e.sub(stepMaskDoc))
	a.op("MOVD %s, R0", a.arg("bits_base"))
	a.op("MOVD %s, R1", a.arg("z_base"))
	a.op("MOVD %s, R2", a.arg("z_len"))
	a.op("CBZ R2, done")
	a.op("MOVD $byteBits<>(SB), R3")
	a.op("VLD1 (R3), [V30.B16]")
	a.label("loop")
	vecs := 64 * e.size / 16 // vectors of z a word
	group, base := vecs, 0
	if vecs > 16 {
		group, base = e.size, 4
	}
	outs := group * 16 / e.size / 16 // byte-mask vectors a group
	for g := range vecs / group {
		a.inote(fmt.Sprintf(`elements %d…%d: z < 0, the lane masks narrowed to bytes in element
order (UZP1 keeps the low half of each lane; all bits of a lane are equal)`,
			g*16*outs, (g+1)*16*outs-1))
		ld1p(a, "R1", base, group, e.arr)
		regs := make([]int, group)
		for k := range group {
			regs[k] = base + k
			a.word(e.fcmlt(base+k, base+k))
		}
		out := make([]int, outs)
		for k := range out {
			out[k] = g*outs + k
		}
		narrow(a, regs, e.bits, base+group, out)
	}
	a.inote("The word (see above the routine).")
	for j := range 4 {
		a.op("VAND V30.B16, V%d.B16, V%d.B16", j, j)
	}
	a.op("VADDP V1.B16, V0.B16, V0.B16")
	a.op("VADDP V3.B16, V2.B16, V2.B16")
	a.op("VADDP V2.B16, V0.B16, V0.B16")
	a.op("VADDP V0.B16, V0.B16, V0.B16")
	a.op("VMOV V0.D[0], R4")
	a.op("MVN R4, R4")
	a.op("MOVD.P R4, 8(R0)")
	a.op("SUBS $64, R2")
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

// expandBits writes expandBits{N}: eight vectors whose lane j of vector k
// is 1<<(lanes·k+j), the bit of element lanes·k+j in a lane of mask bits.
func expandBits(a *asm, e elem) {
	var words []uint64
	for k := range 8 {
		for j := 0; j < e.lanes; j += 8 / e.size {
			var w uint64
			for l := range 8 / e.size { // the lanes of this 64-bit word
				w |= 1 << (e.lanes*k + j + l) << (l * e.bits)
			}
			words = append(words, w)
		}
	}
	a.data(e.sub("expandBits{N}"), e.sub(`
expandBits{N}: eight .{A} vectors; lane j of vector k is 1<<({L}k+j), the
bit of element {L}k+j in a {N}-bit lane of mask bits (float32: a half of
a mask word; float64: its low 16 bits, shifted down in turn).`, "{A}", e.arr, "{L}", fmt.Sprint(e.lanes)), words)
}

const stepGradMaskDoc = `
stepGradMaskNEON{F} is, for len(dr) a multiple of 64, len(dz) ≥ len(dr)
and len(bits) ≥ len(dr)/64:

	for i, v := range dr {
		if bits[i/64]>>(i%64)&1 == 0 {
			v = 0 // +0
		}
		dz[i] = v
	}`

// stepGradMask is stepGradMaskNEON{F}. A mask word is split into lanes:
// for float32 its two halves go to every lane of V16 and V17; for float64
// the word goes to both lanes of V16, shifted down 16 bits at a time. Each
// group of 8 vectors then takes its lane masks from the expandBits
// constants in V20-V27 (CMTST: all ones where bits AND c ≠ 0) and ANDs dr
// with them.
func stepGradMask(a *asm, e elem) {
	a.text(e.sub("stepGradMaskNEON{F}(dz, dr []{T}, bits []uint64)"), e.sub(stepGradMaskDoc))
	a.op("MOVD %s, R0", a.arg("dz_base"))
	a.op("MOVD %s, R1", a.arg("dr_base"))
	a.op("MOVD %s, R2", a.arg("dr_len"))
	a.op("MOVD %s, R3", a.arg("bits_base"))
	a.op("CBZ R2, done")
	a.op("MOVD $expandBits%d<>(SB), R4", e.bits)
	a.opc(fmt.Sprintf("lane bits of elements 0…%d of a lane of mask bits", 4*e.lanes-1),
		"VLD1 (R4), %s", vregs(20, 4, e.arr))
	a.op("ADD $64, R4")
	a.opc(fmt.Sprintf("%d…%d", 4*e.lanes, 8*e.lanes-1), "VLD1 (R4), %s", vregs(24, 4, e.arr))
	a.label("loop")
	a.inote(`The 64 bits of one mask word cover 64 elements; one word is read
before any of the 64 elements of dz is stored (dz may be dr).`)
	a.op("MOVD.P 8(R3), R5")
	parts := 64 / e.bits // lanes of mask bits a word
	for p := range parts {
		src := "R5"
		if p > 0 {
			a.op("LSR $%d, R5, R6", p*e.bits)
			src = "R6"
		}
		a.opc(fmt.Sprintf("bits %d…%d in every lane", p*e.bits, (p+1)*e.bits-1), "VDUP %s, V%d.%s", src, 16+p, e.arr)
	}
	per := 8 * e.lanes // elements of a SELECT pair
	el := 0
	for p := range parts {
		s := 16 + p
		for q := range e.bits / per {
			if q > 0 {
				a.opc(fmt.Sprintf("next %d bits to the bottom", per), "VUSHR $%d, V%d.%s, V%d.%s", per, s, e.arr, s, e.arr)
			}
			for _, c := range []int{20, 24} {
				a.inote(fmt.Sprintf("elements %d…%d", el, el+per/2-1))
				el += per / 2
				a.op("VLD1.P 64(R1), %s", vregs(0, 4, e.arr))
				for j := range 4 {
					a.op("VCMTST V%d.%s, V%d.%s, V%d.%s", c+j, e.arr, s, e.arr, 4+j, e.arr)
				}
				for j := range 4 {
					a.op("VAND V%d.B16, V%d.B16, V%d.B16", 4+j, j, j)
				}
				a.op("VST1.P %s, 64(R0)", vregs(0, 4, e.arr))
			}
		}
	}
	a.op("SUBS $64, R2")
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}

// ---- Adam ----------------------------------------------------------------

const adamHeader = `
Adam (adamGeneric in optim.go) with vector FMUL, FADD, FSUB, FDIV and
FSQRT: each rounds once, as Go's scalar FADDS … FSQRTD do (no fused
multiply-add: adamGeneric's conversions keep Go from fusing), so the
results are adamGeneric's bits; TestAdamPaths checks them under qemu.
One vector of each slice an iteration: p at R0, g at R1, m at R2, v at
R3, R4 elements; the coefficients in V16 … V22 (β1, 1−β1, β2, 1−β2,
Corr, ε, Step).`

const adamDoc = `
adamNEON{F} is, for len(p) a multiple of {L} and g, m, v at least as
long, adamGeneric (optim.go) with k = b1, c1, b2, c2, corr, eps, step:
for each i,

	m[i] = T(b1·m[i]) + T(c1·g[i])
	v[i] = T(b2·v[i]) + T(T(c2·g[i])·g[i])
	p[i] -= T(step·m[i]) / T(T(√v[i]·corr) + eps)`

// adam is adamNEON{F}.
func adam(a *asm, e elem) {
	a.text(e.sub("adamNEON{F}(p, g, m, v []{T}, b1, c1, b2, c2, corr, eps, step {T})"),
		e.sub(adamDoc, "{L}", fmt.Sprint(e.lanes)))
	a.op("MOVD %s, R0", a.arg("p_base"))
	a.op("MOVD %s, R4", a.arg("p_len"))
	a.op("MOVD %s, R1", a.arg("g_base"))
	a.op("MOVD %s, R2", a.arg("m_base"))
	a.op("MOVD %s, R3", a.arg("v_base"))
	a.op("CBZ R4, done")
	load := map[int]string{4: "MOVWU", 8: "MOVD"}[e.size]
	for k, c := range []string{"b1", "c1", "b2", "c2", "corr", "eps", "step"} {
		a.op("%s %s, R5", load, a.arg(c))
		a.op("VDUP R5, V%d.%s", 16+k, e.arr)
	}
	a.label("loop")
	a.opc("g", "VLD1.P 16(R1), [V0.%s]", e.arr)
	a.opc("m", "VLD1 (R2), [V1.%s]", e.arr)
	a.opc("v", "VLD1 (R3), [V2.%s]", e.arr)
	a.word(e.fmul(1, 1, 16), "β1·m")
	a.word(e.fmul(3, 0, 17), "(1−β1)·g")
	a.word(e.fadd(1, 1, 3))
	a.op("VST1.P [V1.%s], 16(R2)", e.arr)
	a.word(e.fmul(2, 2, 18), "β2·v")
	a.word(e.fmul(3, 0, 19), "((1−β2)·g)·g")
	a.word(e.fmul(3, 3, 0))
	a.word(e.fadd(2, 2, 3))
	a.op("VST1.P [V2.%s], 16(R3)", e.arr)
	a.word(e.fsqrt(4, 2), "√v·Corr + ε")
	a.word(e.fmul(4, 4, 20))
	a.word(e.fadd(4, 4, 21))
	a.word(e.fmul(3, 1, 22), "(Step·m) / that")
	a.word(e.fdiv(3, 3, 4))
	a.op("VLD1 (R0), [V5.%s]", e.arr)
	a.word(e.fsub(5, 5, 3), "p − the quotient")
	a.op("VST1.P [V5.%s], 16(R0)", e.arr)
	a.op("SUBS $%d, R4", e.lanes)
	a.op("BNE loop")
	a.label("done")
	a.op("RET")
}
