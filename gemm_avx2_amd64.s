//go:build amd64 && gc && !purego

#include "textflag.h"

// The AVX2+FMA register tiles of the packed GEMM (gemm.go), 6×16 for
// float32 and 6×8 for float64, their epilogues, and the packers of A and
// B for them. The Go each function replaces is on its stub in
// gemm_avx2_amd64.go; the wrappers there cut every slice to the exact
// extent the function reads or writes, so nothing here checks a bound.
// One call is a column of whole tiles (at most mc rows of kc ≤ 1024
// steps: about 30 µs here, see kernelAVX2), one panel or a block of 8 rows
// of a packed block, since assembly cannot be preempted.
//
// Registers of the tiles: AX walks the packed micro-panel of A (6 values
// per step), BX that of B (16 float32 or 8 float64 per step: 64 bytes),
// CX counts groups of 4 steps and DX the steps left after them; R14 and
// R15 walk the next micro-panel of B, prefetched (BNEXT). Y4-Y15
// are the 6×2 accumulators: row i of the tile is Y(4+2i) (its first 8
// float32 / 4 float64 columns) and Y(5+2i) (the rest). In the loop Y0, Y1
// hold the step's row of B and Y2, Y3 broadcasts of A (two, for pairs of
// rows; renaming would make one enough); the epilogue reuses them.
//
// Per step: 2 loads of B, 6 broadcasts of A (VBROADCASTSS/SD from memory
// is a load, with no shuffle), 12 FMAs. Two FMA pipes take 6 cycles for
// the 12 FMAs; 12 independent accumulators cover the 2 pipes × 4 cycles
// of FMA latency, and 8 loads in 6 cycles are within the 2-3 loads per
// cycle of current cores. The loop is unrolled by 4 to spend its adds,
// decrement and branch on 48 FMAs rather than 12. Measured on this
// machine (Zen 4, L1-resident panels, kc = 64 … 512, BenchmarkAVX2Tile):
// 110-115 GFLOPS float32 and 55-57 float64 per core, the FMA peak.
// Before the loop the tile's rows of C (R and Z on a forward pass) are
// prefetched: the epilogue reads or writes them, 6 × 64 bytes spread over
// 6 rows, a few hundred cycles later.
//
// The epilogue, in the order of tile.finish (gemm.go):
// v = AB (+ C when beta = 1) (+ bias); a whole tile's works on all 12
// accumulators a stage at a time, so each optional stage is one branch,
// not one per row. Rows of a matrix at P with a row stride of L bytes are
// addressed as (P), (P)(L*1), (P)(L*2) and, with Q = P + 3L, (Q),
// (Q)(L*1), (Q)(L*2): two base registers and no pointer updates.
//
// Every output element of the forward epilogue is a copy, a compare or a
// select of v, so it is bit for bit that of tile.finish (see
// elementwise_amd64.s for the NaN and −0 rules of VMAXPS and VCMPPS):
//
//   - R = VMAXPS with +0 as Intel's first source and v as the second
//     (Go order: VMAXPS v, ZERO, DST): a NaN or −0 in v comes out
//     unchanged.
//   - The mask bit [v ≥ 0] is VCMPPS predicate 5, NLT_US (NaN → 1,
//     −0 → 1), then VMOVMSKPS. A row's nr bits go to the tile's own bits
//     of the mask word with a 16-bit (float32) or 8-bit (float64) store at
//     byte (col%64)/8: col is a multiple of nr, so the chunk is whole
//     bytes, and the store leaves the other tiles' bits of the word alone
//     without reading it (tiles of one row may run on other threads).
//
// The functions that use ymm registers end with VZEROUPPER, as functions
// that leave their upper halves dirty must; the packers of A and of
// transposed B use only VEX-encoded xmm instructions, which leave the
// upper halves zero.

// ---- shared pieces --------------------------------------------------------

// STEPR4 is STEP for the first 4 rows of the 6-row panel (the edge tile
// of 1 to 4 rows, and the first part of STEP): 8 accumulators, Y4–Y11,
// as many independent chains as two FMA units of latency 4 need, so that
// the edge tile runs at the FMA rate, in 4/6 of a whole tile's time.
#define STEPR4(P, B0, B1, ES, BCAST, FMA) \
	VMOVUPS	B0, Y0; \
	VMOVUPS	B1, Y1; \
	BCAST	(P*6*ES)(AX), Y2; \
	BCAST	(P*6*ES+ES)(AX), Y3; \
	FMA	Y0, Y2, Y4; \
	FMA	Y1, Y2, Y5; \
	FMA	Y0, Y3, Y6; \
	FMA	Y1, Y3, Y7; \
	BCAST	(P*6*ES+2*ES)(AX), Y2; \
	BCAST	(P*6*ES+3*ES)(AX), Y3; \
	FMA	Y0, Y2, Y8; \
	FMA	Y1, Y2, Y9; \
	FMA	Y0, Y3, Y10; \
	FMA	Y1, Y3, Y11

// ZERO8 clears the accumulators of STEPR4.
#define ZERO8 \
	VXORPS	Y4, Y4, Y4; \
	VXORPS	Y5, Y5, Y5; \
	VXORPS	Y6, Y6, Y6; \
	VXORPS	Y7, Y7, Y7; \
	VXORPS	Y8, Y8, Y8; \
	VXORPS	Y9, Y9, Y9; \
	VXORPS	Y10, Y10, Y10; \
	VXORPS	Y11, Y11, Y11

// ZERO12 clears the accumulators.
#define ZERO12 \
	ZERO8; \
	VXORPS	Y12, Y12, Y12; \
	VXORPS	Y13, Y13, Y13; \
	VXORPS	Y14, Y14, Y14; \
	VXORPS	Y15, Y15, Y15

// STEP is step P (0-3) of a group: the row of B (64 bytes) at B0 and B1
// (its two halves: BX + P·ldb and 32 bytes on, see KLOOP), the 6 values of
// A (ES bytes each) at AX+P·6·ES.
#define STEP(P, B0, B1, ES, BCAST, FMA) \
	STEPR4(P, B0, B1, ES, BCAST, FMA); \
	BCAST	(P*6*ES+4*ES)(AX), Y2; \
	BCAST	(P*6*ES+5*ES)(AX), Y3; \
	FMA	Y0, Y2, Y12; \
	FMA	Y1, Y2, Y13; \
	FMA	Y0, Y3, Y14; \
	FMA	Y1, Y3, Y15

// ROWS sets P (Q) to the address of row 0 (row 3) of the matrix whose
// base and row stride in elements are the arguments at BASE and LD, and
// L to the stride in bytes (SH = log2 of the element size).
#define ROWS(BASE, LD, SH, P, Q, L) \
	MOVQ	BASE, P; \
	MOVQ	LD, L; \
	SHLQ	$SH, L; \
	LEAQ	(L)(L*2), Q; \
	ADDQ	P, Q

// ADDM adds the 6 rows at P, Q (stride L) to the accumulators.
#define ADDM(VADD, P, Q, L) \
	VADD	(P), Y4, Y4; \
	VADD	32(P), Y5, Y5; \
	VADD	(P)(L*1), Y6, Y6; \
	VADD	32(P)(L*1), Y7, Y7; \
	VADD	(P)(L*2), Y8, Y8; \
	VADD	32(P)(L*2), Y9, Y9; \
	VADD	(Q), Y10, Y10; \
	VADD	32(Q), Y11, Y11; \
	VADD	(Q)(L*1), Y12, Y12; \
	VADD	32(Q)(L*1), Y13, Y13; \
	VADD	(Q)(L*2), Y14, Y14; \
	VADD	32(Q)(L*2), Y15, Y15

// ADDV adds the row vector Y0:Y1 to every row of the accumulators.
#define ADDV(VADD) \
	VADD	Y0, Y4, Y4; \
	VADD	Y1, Y5, Y5; \
	VADD	Y0, Y6, Y6; \
	VADD	Y1, Y7, Y7; \
	VADD	Y0, Y8, Y8; \
	VADD	Y1, Y9, Y9; \
	VADD	Y0, Y10, Y10; \
	VADD	Y1, Y11, Y11; \
	VADD	Y0, Y12, Y12; \
	VADD	Y1, Y13, Y13; \
	VADD	Y0, Y14, Y14; \
	VADD	Y1, Y15, Y15

// STOREM stores the accumulators to the 6 rows at P, Q (stride L).
#define STOREM(P, Q, L) \
	VMOVUPS	Y4, (P); \
	VMOVUPS	Y5, 32(P); \
	VMOVUPS	Y6, (P)(L*1); \
	VMOVUPS	Y7, 32(P)(L*1); \
	VMOVUPS	Y8, (P)(L*2); \
	VMOVUPS	Y9, 32(P)(L*2); \
	VMOVUPS	Y10, (Q); \
	VMOVUPS	Y11, 32(Q); \
	VMOVUPS	Y12, (Q)(L*1); \
	VMOVUPS	Y13, 32(Q)(L*1); \
	VMOVUPS	Y14, (Q)(L*2); \
	VMOVUPS	Y15, 32(Q)(L*2)

// RELU replaces every accumulator by its relu, Y3 = +0 (see the top).
#define RELU(VMAX) \
	VMAX	Y4, Y3, Y4; \
	VMAX	Y5, Y3, Y5; \
	VMAX	Y6, Y3, Y6; \
	VMAX	Y7, Y3, Y7; \
	VMAX	Y8, Y3, Y8; \
	VMAX	Y9, Y3, Y9; \
	VMAX	Y10, Y3, Y10; \
	VMAX	Y11, Y3, Y11; \
	VMAX	Y12, Y3, Y12; \
	VMAX	Y13, Y3, Y13; \
	VMAX	Y14, Y3, Y14; \
	VMAX	Y15, Y3, Y15

// MASKROW stores the step bits [v ≥ 0] of the row in V0:V1 at ADDR with
// MOV (MOVW: 2×8 bits of float32, MOVB: 2×4 bits of float64), Y3 = +0.
#define MASKROW(VCMP, VMSK, HALF, MOV, V0, V1, ADDR) \
	VCMP	$5, Y3, V0, Y0; \
	VCMP	$5, Y3, V1, Y1; \
	VMSK	Y0, R11; \
	VMSK	Y1, R12; \
	SHLL	$HALF, R12; \
	ORL	R12, R11; \
	MOV	R11, ADDR

#define MASK6(VCMP, VMSK, HALF, MOV, P, Q, L) \
	MASKROW(VCMP, VMSK, HALF, MOV, Y4, Y5, (P)); \
	MASKROW(VCMP, VMSK, HALF, MOV, Y6, Y7, (P)(L*1)); \
	MASKROW(VCMP, VMSK, HALF, MOV, Y8, Y9, (P)(L*2)); \
	MASKROW(VCMP, VMSK, HALF, MOV, Y10, Y11, (Q)); \
	MASKROW(VCMP, VMSK, HALF, MOV, Y12, Y13, (Q)(L*1)); \
	MASKROW(VCMP, VMSK, HALF, MOV, Y14, Y15, (Q)(L*2))

// PREFETCHC asks for the 6 rows of the tile's output at P, Q (stride L)
// while the k loop runs, so that the epilogue does not wait for them: a
// row of the tile is 64 bytes, the end of its last byte is fetched too in
// case the row straddles two cache lines.
#define PREFETCHC(P, Q, L) \
	PREFETCHT0	(P); \
	PREFETCHT0	63(P); \
	PREFETCHT0	(P)(L*1); \
	PREFETCHT0	63(P)(L*1); \
	PREFETCHT0	(P)(L*2); \
	PREFETCHT0	63(P)(L*2); \
	PREFETCHT0	(Q); \
	PREFETCHT0	63(Q); \
	PREFETCHT0	(Q)(L*1); \
	PREFETCHT0	63(Q)(L*1); \
	PREFETCHT0	(Q)(L*2); \
	PREFETCHT0	63(Q)(L*2)

// KLOOP computes AB into the accumulators (STEPM and ZEROM: STEP and
// ZERO12 for a whole tile, STEPR4 and ZERO8 for its first 4 rows): kc
// (CX) steps of the panel of A at AX and the rows of B at BX, R10 bytes
// apart (64 for a packed micro-panel, ldb·ES for B where it lies; R11 =
// 3·R10), 4 at a time, then one at a time (SHRQ sets ZF when no group of 4 is left). It uses
// labels, so it appears once per function (labels are local to a
// function).
#define KLOOP(STEPM, ZEROM, ES, BCAST, FMA, PF) \
	ZEROM; \
	MOVQ	CX, DX; \
	ANDQ	$3, DX; \
	SHRQ	$2, CX; \
	JZ	tail; \
loop4: \
	STEPM(0, (BX), 32(BX), ES, BCAST, FMA); \
	STEPM(1, (BX)(R10*1), 32(BX)(R10*1), ES, BCAST, FMA); \
	STEPM(2, (BX)(R10*2), 32(BX)(R10*2), ES, BCAST, FMA); \
	STEPM(3, (BX)(R11*1), 32(BX)(R11*1), ES, BCAST, FMA); \
	ADDQ	$(4*6*ES), AX; \
	LEAQ	(BX)(R10*4), BX; \
	PF; \
	DECQ	CX; \
	JNZ	loop4; \
tail: \
	TESTQ	DX, DX; \
	JZ	kdone; \
loop1: \
	STEPM(0, (BX), 32(BX), ES, BCAST, FMA); \
	ADDQ	$(6*ES), AX; \
	ADDQ	R10, BX; \
	DECQ	DX; \
	JNZ	loop1; \
kdone:

// BNEXT sets R14 and R15 to the first and the last line of the micro-panel
// of B after this column's (kc·64 bytes on: a packed micro-panel is 64
// bytes a step for both types), which a column's row tiles prefetch into
// L2 a line every four steps (NEXTB in KLOOP): in a pass the packed block
// of B lives in L3, and each micro-panel came from there for its first row
// tile (see NEXT_PANEL in gemm_avx512_amd64.s). For B where it lies (LDB
// not 64 bytes) both are B's first line, a prefetch of a line already in
// L1. It uses a label, so it appears once per function. Clobbers CX.
#define BNEXT(LDB, SH) \
	MOVQ	b_base+24(FP), R14; \
	MOVQ	R14, R15; \
	MOVQ	LDB, CX; \
	SHLQ	$SH, CX; \
	CMPQ	CX, $64; \
	JNE	panel; \
	MOVQ	kc+48(FP), CX; \
	SHLQ	$6, CX; \
	ADDQ	CX, R14; \
	LEAQ	-64(R14)(CX*1), R15; \
panel:

// NEXTB is KLOOP's PF in a column of whole tiles (BNEXT): one line of the
// next micro-panel of B, held at its last. NOPF is the PF of the edge
// tiles, which prefetch nothing.
#define NEXTB \
	PREFETCHT1	(R14); \
	ADDQ	$64, R14; \
	CMPQ	R14, R15; \
	CMOVQGT	R15, R14

#define NOPF

// STORER4 stores the 4 rows of STEPR4's accumulators at DI, 64 bytes
// apart (a temporary tile of nr columns).
#define STORER4 \
	VMOVUPS	Y4, (DI); \
	VMOVUPS	Y5, 32(DI); \
	VMOVUPS	Y6, 64(DI); \
	VMOVUPS	Y7, 96(DI); \
	VMOVUPS	Y8, 128(DI); \
	VMOVUPS	Y9, 160(DI); \
	VMOVUPS	Y10, 192(DI); \
	VMOVUPS	Y11, 224(DI)

// ADV6 moves the pointer in the argument slot PTR 6 rows on, rows LD
// elements of 1<<SH bytes apart (the argument slots are the call's own).
// Clobbers CX.
#define ADV6(LD, SH, PTR) \
	MOVQ	LD, CX; \
	LEAQ	(CX)(CX*2), CX; \
	SHLQ	$(SH+1), CX; \
	ADDQ	CX, PTR

// BSTRIDE sets R10 to the stride of B's rows in bytes from the argument
// LDB (elements of 1<<SH bytes), and R11 to three times it.
#define BSTRIDE(LDB, SH) \
	MOVQ	LDB, R10; \
	SHLQ	$SH, R10; \
	LEAQ	(R10)(R10*2), R11

// PACKA6 packs one 6-row micro-panel of untransposed A: kb steps of the 6
// values a[i*lda+p], rows i at SI, SI+L, SI+2L, DX, DX+L, DX+2L (L = R8
// bytes), elements of 1<<SH bytes. BODY moves a group of G = 2^LOGG steps
// from a 16-byte vector of each row, transposed into the panel's order
// with shuffles: 6 loads and 8 (float32) or 6 (float64) stores for 6·G
// values, where element by element it is 6·G of each (twice as fast,
// measured: BenchmarkAVX2Pack/A). Steps past the last whole group go one
// at a time through general registers with MOV.
#define PACKA6(SH, G, LOGG, MOV, BODY) \
	MOVQ	dst_base+0(FP), DI; \
	ROWS(a_base+24(FP), lda+48(FP), SH, SI, DX, R8); \
	MOVQ	kb+56(FP), CX; \
	MOVQ	CX, BX; \
	ANDQ	$(G-1), BX; \
	SHRQ	$LOGG, CX; \
	JZ	atail; \
agroup: \
	VMOVUPS	(SI), X0; \
	VMOVUPS	(SI)(R8*1), X1; \
	VMOVUPS	(SI)(R8*2), X2; \
	VMOVUPS	(DX), X3; \
	VMOVUPS	(DX)(R8*1), X4; \
	VMOVUPS	(DX)(R8*2), X5; \
	BODY; \
	ADDQ	$16, SI; \
	ADDQ	$16, DX; \
	ADDQ	$(6*16), DI; \
	DECQ	CX; \
	JNZ	agroup; \
atail: \
	TESTQ	BX, BX; \
	JZ	adone; \
aloop: \
	MOV	(SI), AX; \
	MOV	(SI)(R8*1), R9; \
	MOV	(SI)(R8*2), R10; \
	MOV	(DX), R11; \
	MOV	(DX)(R8*1), R12; \
	MOV	(DX)(R8*2), R13; \
	MOV	AX, (DI); \
	MOV	R9, (1<<SH)(DI); \
	MOV	R10, (2<<SH)(DI); \
	MOV	R11, (3<<SH)(DI); \
	MOV	R12, (4<<SH)(DI); \
	MOV	R13, (5<<SH)(DI); \
	ADDQ	$(1<<SH), SI; \
	ADDQ	$(1<<SH), DX; \
	ADDQ	$(6<<SH), DI; \
	DECQ	BX; \
	JNZ	aloop; \
adone: \
	RET

// TR4 transposes the 4×4 float32 matrix in R0-R3 (rows) into O0-O3
// (columns), with T0-T3 as scratch: unpack the pairs of rows,
// (r0 r1 r0 r1) and (r2 r3 r2 r3), then join their halves.
#define TR4(R0, R1, R2, R3, T0, T1, T2, T3, O0, O1, O2, O3) \
	VUNPCKLPS	R1, R0, T0; \
	VUNPCKHPS	R1, R0, T1; \
	VUNPCKLPS	R3, R2, T2; \
	VUNPCKHPS	R3, R2, T3; \
	VMOVLHPS	T2, T0, O0; \
	VMOVHLPS	T0, T2, O1; \
	VMOVLHPS	T3, T1, O2; \
	VMOVHLPS	T1, T3, O3

// TRANS4X6F32 stores 4 steps of 6 rows of float32 (row i's 4 values in
// Xi) as 4 runs of 6 values: the 4×4 transpose of rows 0-3 and the pairs
// of rows 4-5, whose 8-byte halves go after each step's 4 values.
#define TRANS4X6F32 \
	TR4(X0, X1, X2, X3, X6, X7, X8, X9, X12, X13, X14, X15); \
	VUNPCKLPS	X5, X4, X10; \
	VUNPCKHPS	X5, X4, X11; \
	VMOVUPS	X12, 0(DI); \
	VMOVLPS	X10, 16(DI); \
	VMOVUPS	X13, 24(DI); \
	VMOVHPS	X10, 40(DI); \
	VMOVUPS	X14, 48(DI); \
	VMOVLPS	X11, 64(DI); \
	VMOVUPS	X15, 72(DI); \
	VMOVHPS	X11, 88(DI)

// TRANS2X6F64 stores 2 steps of 6 rows of float64 (row i's 2 values in
// Xi) as 2 runs of 6 values: the pairs of rows unpacked.
#define TRANS2X6F64 \
	VUNPCKLPD	X1, X0, X6; \
	VUNPCKHPD	X1, X0, X7; \
	VUNPCKLPD	X3, X2, X8; \
	VUNPCKHPD	X3, X2, X9; \
	VUNPCKLPD	X5, X4, X10; \
	VUNPCKHPD	X5, X4, X11; \
	VMOVUPS	X6, 0(DI); \
	VMOVUPS	X8, 16(DI); \
	VMOVUPS	X10, 32(DI); \
	VMOVUPS	X7, 48(DI); \
	VMOVUPS	X9, 64(DI); \
	VMOVUPS	X11, 80(DI)

// PACKB64 copies rows rows of np 64-byte panel rows: for each panel (SI
// advancing 64 bytes through b, DI kb·64 bytes through dst) the rows, SI
// by ldb and DI by 64 bytes. Two ymm loads and two stores per row.
#define PACKB64(SH) \
	MOVQ	dst_base+0(FP), DI; \
	MOVQ	b_base+24(FP), SI; \
	MOVQ	ldb+48(FP), R8; \
	SHLQ	$SH, R8; \
	MOVQ	kb+56(FP), R11; \
	SHLQ	$6, R11; \
	MOVQ	np+64(FP), CX; \
	MOVQ	rows+72(FP), DX; \
	TESTQ	CX, CX; \
	JZ	bdone; \
	TESTQ	DX, DX; \
	JZ	bdone; \
panel: \
	MOVQ	SI, R9; \
	MOVQ	DI, R10; \
	MOVQ	DX, BX; \
row: \
	VMOVUPS	(R9), Y0; \
	VMOVUPS	32(R9), Y1; \
	VMOVUPS	Y0, (R10); \
	VMOVUPS	Y1, 32(R10); \
	ADDQ	R8, R9; \
	ADDQ	$64, R10; \
	DECQ	BX; \
	JNZ	row; \
	ADDQ	$64, SI; \
	ADDQ	R11, DI; \
	DECQ	CX; \
	JNZ	panel; \
	VZEROUPPER; \
bdone: \
	RET

// EPIROWS is the epilogue of tile.finish on the first m rows (CX) of a
// product of nr columns (2 vectors, elements of 1<<SH bytes) stored at SI
// with a row stride of 64 bytes: the edge tiles of fewer than 6 rows,
// whose product the tile functions below store to a temporary tile. It
// is the epilogue of those functions, a row at a time: each row checks
// the flags (branches that go the same way on every row). Y0:Y1 = bias,
// Y3 = +0, Y4:Y5 the row, Y6, Y7 scratch; DI, R8 C and its row stride
// in bytes, R9, R10 Z, R11, R12 R, R13, BX the row's mask chunk and the
// mask's row stride.
#define EPIROWS(SH, VADD, VCMP, VMSK, HALF, MOV, VMAX) \
	MOVQ	ab_base+0(FP), SI; \
	MOVQ	m+24(FP), CX; \
	MOVQ	c_base+32(FP), DI; \
	MOVQ	ldc+56(FP), R8; \
	SHLQ	$SH, R8; \
	MOVQ	z_base+104(FP), R9; \
	MOVQ	ldz+128(FP), R10; \
	SHLQ	$SH, R10; \
	MOVQ	r_base+136(FP), R11; \
	MOVQ	ldr+160(FP), R12; \
	SHLQ	$SH, R12; \
	MOVQ	bits_base+168(FP), R13; \
	ADDQ	shift+200(FP), R13; \
	MOVQ	stride+192(FP), BX; \
	SHLQ	$3, BX; \
	VXORPS	Y3, Y3, Y3; \
	CMPQ	bias_len+88(FP), $0; \
	JEQ	erow; \
	MOVQ	bias_base+80(FP), AX; \
	VMOVUPS	(AX), Y0; \
	VMOVUPS	32(AX), Y1; \
erow: \
	VMOVUPS	(SI), Y4; \
	VMOVUPS	32(SI), Y5; \
	CMPQ	beta+64(FP), $0; \
	JEQ	elast; \
	VADD	(DI), Y4, Y4; \
	VADD	32(DI), Y5, Y5; \
elast: \
	CMPQ	last+72(FP), $0; \
	JNE	ebias; \
	VMOVUPS	Y4, (DI); \
	VMOVUPS	Y5, 32(DI); \
	JMP	enext; \
ebias: \
	CMPQ	bias_len+88(FP), $0; \
	JEQ	ez; \
	VADD	Y0, Y4, Y4; \
	VADD	Y1, Y5, Y5; \
ez: \
	CMPQ	z_len+112(FP), $0; \
	JEQ	emask; \
	VMOVUPS	Y4, (R9); \
	VMOVUPS	Y5, 32(R9); \
emask: \
	CMPQ	bits_len+176(FP), $0; \
	JEQ	erelu; \
	VCMP	$5, Y3, Y4, Y6; \
	VCMP	$5, Y3, Y5, Y7; \
	VMSK	Y6, AX; \
	VMSK	Y7, DX; \
	SHLL	$HALF, DX; \
	ORL	DX, AX; \
	MOV	AX, (R13); \
erelu: \
	VMAX	Y4, Y3, Y4; \
	VMAX	Y5, Y3, Y5; \
	VMOVUPS	Y4, (R11); \
	VMOVUPS	Y5, 32(R11); \
enext: \
	ADDQ	$64, SI; \
	ADDQ	R8, DI; \
	ADDQ	R10, R9; \
	ADDQ	R12, R11; \
	ADDQ	BX, R13; \
	DECQ	CX; \
	JNZ	erow; \
	VZEROUPPER; \
	RET

// BT4 moves 4 steps of the 4 rows at P, P+L, P+2L, P+3L (L = R8,
// 3L = R9) of transposed B, float32, to columns OFF/4 … OFF/4+3 of 4
// rows of the panel at DI (64 bytes a row).
#define BT4(P, OFF) \
	VMOVUPS	(P), X0; \
	VMOVUPS	(P)(R8*1), X1; \
	VMOVUPS	(P)(R8*2), X2; \
	VMOVUPS	(P)(R9*1), X3; \
	TR4(X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11); \
	VMOVUPS	X8, (OFF)(DI); \
	VMOVUPS	X9, (64+OFF)(DI); \
	VMOVUPS	X10, (128+OFF)(DI); \
	VMOVUPS	X11, (192+OFF)(DI)

// BT1 moves one step of the 4 rows at P … P+3L to columns OFF/ES …
// of the panel's row at DI, through AX with MOV.
#define BT1(P, OFF, ES, MOV) \
	MOV	(P), AX; \
	MOV	AX, (OFF)(DI); \
	MOV	(P)(R8*1), AX; \
	MOV	AX, (OFF+ES)(DI); \
	MOV	(P)(R8*2), AX; \
	MOV	AX, (OFF+2*ES)(DI); \
	MOV	(P)(R9*1), AX; \
	MOV	AX, (OFF+3*ES)(DI)

// BT2F64 moves 2 steps of the 2 rows at P and P+L, float64, to columns
// OFF/8 and OFF/8+1 of 2 rows of the panel at DI.
#define BT2F64(P, Q, OFF) \
	VMOVUPS	(P), X0; \
	VMOVUPS	(Q), X1; \
	VUNPCKLPD	X1, X0, X2; \
	VUNPCKHPD	X1, X0, X3; \
	VMOVUPS	X2, (OFF)(DI); \
	VMOVUPS	X3, (64+OFF)(DI)

// ---- float32, 6×16 ----------------------------------------------------------

// func tileAVX2F32(a, b []float32, kc int, c []float32, ldc, beta, ldb, mt int)
TEXT ·tileAVX2F32(SB), NOSPLIT, $0-112
	BNEXT(ldb+96(FP), 2)
tile:
	ROWS(c_base+56(FP), ldc+80(FP), 2, DI, SI, R8)
	PREFETCHC(DI, SI, R8)
	MOVQ	a_base+0(FP), AX
	MOVQ	b_base+24(FP), BX
	MOVQ	kc+48(FP), CX
	BSTRIDE(ldb+96(FP), 2)
	KLOOP(STEP, ZERO12, 4, VBROADCASTSS, VFMADD231PS, NEXTB)
	CMPQ	beta+88(FP), $0
	JEQ	storec
	ADDM(VADDPS, DI, SI, R8)
storec:
	STOREM(DI, SI, R8)
	// The next whole tile down the column, if any (tall).
	MOVQ	mt+104(FP), CX
	DECQ	CX
	JLE	done
	MOVQ	CX, mt+104(FP)
	ADV6(kc+48(FP), 2, a_base+0(FP))
	ADV6(ldc+80(FP), 2, c_base+56(FP))
	JMP	tile

done:
	VZEROUPPER
	RET

// func tileFwdAVX2F32(a, b []float32, kc int, c []float32, ldc, beta int, bias, z []float32, ldz int, r []float32, ldr int, bits []uint64, stride, shift, ldb, mt int)
TEXT ·tileFwdAVX2F32(SB), NOSPLIT, $0-240
	BNEXT(ldb+224(FP), 2)
tile:
	// The outputs of the tile, R and Z, are fetched during the loop: C
	// is one of them.
	ROWS(r_base+152(FP), ldr+176(FP), 2, DI, SI, R8)
	PREFETCHC(DI, SI, R8)
	CMPQ	z_len+128(FP), $0
	JEQ	fetched
	ROWS(z_base+120(FP), ldz+144(FP), 2, DI, SI, R8)
	PREFETCHC(DI, SI, R8)
fetched:
	MOVQ	a_base+0(FP), AX
	MOVQ	b_base+24(FP), BX
	MOVQ	kc+48(FP), CX
	BSTRIDE(ldb+224(FP), 2)
	KLOOP(STEP, ZERO12, 4, VBROADCASTSS, VFMADD231PS, NEXTB)

	// v = AB + C when beta = 1.
	CMPQ	beta+88(FP), $0
	JEQ	addbias
	ROWS(c_base+56(FP), ldc+80(FP), 2, DI, SI, R8)
	ADDM(VADDPS, DI, SI, R8)

addbias:
	// v += bias when there is one (not adding +0 otherwise: −0 + +0 is +0).
	MOVQ	bias_base+96(FP), DI
	CMPQ	bias_len+104(FP), $0
	JEQ	storez
	VMOVUPS	(DI), Y0
	VMOVUPS	32(DI), Y1
	ADDV(VADDPS)

storez:
	CMPQ	z_len+128(FP), $0
	JEQ	storemask
	ROWS(z_base+120(FP), ldz+144(FP), 2, DI, SI, R8)
	STOREM(DI, SI, R8)

storemask:
	VXORPS	Y3, Y3, Y3
	CMPQ	bits_len+192(FP), $0
	JEQ	storer
	// Row i's chunk is at byte shift of word i·stride.
	ROWS(bits_base+184(FP), stride+208(FP), 3, DI, SI, R8)
	MOVQ	shift+216(FP), R9
	ADDQ	R9, DI
	ADDQ	R9, SI
	MASK6(VCMPPS, VMOVMSKPS, 8, MOVW, DI, SI, R8)

storer:
	RELU(VMAXPS)
	ROWS(r_base+152(FP), ldr+176(FP), 2, DI, SI, R8)
	STOREM(DI, SI, R8)
	// The next whole tile down the column, if any (tall).
	MOVQ	mt+232(FP), CX
	DECQ	CX
	JLE	done
	MOVQ	CX, mt+232(FP)
	ADV6(kc+48(FP), 2, a_base+0(FP))
	ADV6(ldc+80(FP), 2, c_base+56(FP))
	ADV6(ldz+144(FP), 2, z_base+120(FP))
	ADV6(ldr+176(FP), 2, r_base+152(FP))
	ADV6(stride+208(FP), 3, bits_base+184(FP))
	JMP	tile

done:
	VZEROUPPER
	RET

// func rowsAVX2F32(ab []float32, m int, c []float32, ldc, beta, last int, bias, z []float32, ldz int, r []float32, ldr int, bits []uint64, stride, shift int)
TEXT ·rowsAVX2F32(SB), NOSPLIT, $0-208
	EPIROWS(2, VADDPS, VCMPPS, VMOVMSKPS, 8, MOVW, VMAXPS)

// func tileR4AVX2F32(a, b []float32, kc int, ab []float32, ldb int)
TEXT ·tileR4AVX2F32(SB), NOSPLIT, $0-88
	MOVQ	a_base+0(FP), AX
	MOVQ	b_base+24(FP), BX
	MOVQ	kc+48(FP), CX
	MOVQ	ab_base+56(FP), DI
	BSTRIDE(ldb+80(FP), 2)
	KLOOP(STEPR4, ZERO8, 4, VBROADCASTSS, VFMADD231PS, NOPF)
	STORER4
	VZEROUPPER
	RET

// ---- float64, 6×8 -----------------------------------------------------------

// func tileAVX2F64(a, b []float64, kc int, c []float64, ldc, beta, ldb, mt int)
TEXT ·tileAVX2F64(SB), NOSPLIT, $0-112
	BNEXT(ldb+96(FP), 3)
tile:
	ROWS(c_base+56(FP), ldc+80(FP), 3, DI, SI, R8)
	PREFETCHC(DI, SI, R8)
	MOVQ	a_base+0(FP), AX
	MOVQ	b_base+24(FP), BX
	MOVQ	kc+48(FP), CX
	BSTRIDE(ldb+96(FP), 3)
	KLOOP(STEP, ZERO12, 8, VBROADCASTSD, VFMADD231PD, NEXTB)
	CMPQ	beta+88(FP), $0
	JEQ	storec
	ADDM(VADDPD, DI, SI, R8)
storec:
	STOREM(DI, SI, R8)
	// The next whole tile down the column, if any (tall).
	MOVQ	mt+104(FP), CX
	DECQ	CX
	JLE	done
	MOVQ	CX, mt+104(FP)
	ADV6(kc+48(FP), 3, a_base+0(FP))
	ADV6(ldc+80(FP), 3, c_base+56(FP))
	JMP	tile

done:
	VZEROUPPER
	RET

// func tileFwdAVX2F64(a, b []float64, kc int, c []float64, ldc, beta int, bias, z []float64, ldz int, r []float64, ldr int, bits []uint64, stride, shift, ldb, mt int)
TEXT ·tileFwdAVX2F64(SB), NOSPLIT, $0-240
	BNEXT(ldb+224(FP), 3)
tile:
	ROWS(r_base+152(FP), ldr+176(FP), 3, DI, SI, R8)
	PREFETCHC(DI, SI, R8)
	CMPQ	z_len+128(FP), $0
	JEQ	fetched
	ROWS(z_base+120(FP), ldz+144(FP), 3, DI, SI, R8)
	PREFETCHC(DI, SI, R8)
fetched:
	MOVQ	a_base+0(FP), AX
	MOVQ	b_base+24(FP), BX
	MOVQ	kc+48(FP), CX
	BSTRIDE(ldb+224(FP), 3)
	KLOOP(STEP, ZERO12, 8, VBROADCASTSD, VFMADD231PD, NEXTB)

	CMPQ	beta+88(FP), $0
	JEQ	addbias
	ROWS(c_base+56(FP), ldc+80(FP), 3, DI, SI, R8)
	ADDM(VADDPD, DI, SI, R8)

addbias:
	MOVQ	bias_base+96(FP), DI
	CMPQ	bias_len+104(FP), $0
	JEQ	storez
	VMOVUPD	(DI), Y0
	VMOVUPD	32(DI), Y1
	ADDV(VADDPD)

storez:
	CMPQ	z_len+128(FP), $0
	JEQ	storemask
	ROWS(z_base+120(FP), ldz+144(FP), 3, DI, SI, R8)
	STOREM(DI, SI, R8)

storemask:
	VXORPD	Y3, Y3, Y3
	CMPQ	bits_len+192(FP), $0
	JEQ	storer
	ROWS(bits_base+184(FP), stride+208(FP), 3, DI, SI, R8)
	MOVQ	shift+216(FP), R9
	ADDQ	R9, DI
	ADDQ	R9, SI
	MASK6(VCMPPD, VMOVMSKPD, 4, MOVB, DI, SI, R8)

storer:
	RELU(VMAXPD)
	ROWS(r_base+152(FP), ldr+176(FP), 3, DI, SI, R8)
	STOREM(DI, SI, R8)
	// The next whole tile down the column, if any (tall).
	MOVQ	mt+232(FP), CX
	DECQ	CX
	JLE	done
	MOVQ	CX, mt+232(FP)
	ADV6(kc+48(FP), 3, a_base+0(FP))
	ADV6(ldc+80(FP), 3, c_base+56(FP))
	ADV6(ldz+144(FP), 3, z_base+120(FP))
	ADV6(ldr+176(FP), 3, r_base+152(FP))
	ADV6(stride+208(FP), 3, bits_base+184(FP))
	JMP	tile

done:
	VZEROUPPER
	RET

// func rowsAVX2F64(ab []float64, m int, c []float64, ldc, beta, last int, bias, z []float64, ldz int, r []float64, ldr int, bits []uint64, stride, shift int)
TEXT ·rowsAVX2F64(SB), NOSPLIT, $0-208
	EPIROWS(3, VADDPD, VCMPPD, VMOVMSKPD, 4, MOVB, VMAXPD)

// func tileR4AVX2F64(a, b []float64, kc int, ab []float64, ldb int)
TEXT ·tileR4AVX2F64(SB), NOSPLIT, $0-88
	MOVQ	a_base+0(FP), AX
	MOVQ	b_base+24(FP), BX
	MOVQ	kc+48(FP), CX
	MOVQ	ab_base+56(FP), DI
	BSTRIDE(ldb+80(FP), 3)
	KLOOP(STEPR4, ZERO8, 8, VBROADCASTSD, VFMADD231PD, NOPF)
	STORER4
	VZEROUPPER
	RET

// ---- packers ------------------------------------------------------------------

// func packA6AVX2F32(dst, a []float32, lda, kb int)
TEXT ·packA6AVX2F32(SB), NOSPLIT, $0-64
	PACKA6(2, 4, 2, MOVL, TRANS4X6F32)

// func packA6AVX2F64(dst, a []float64, lda, kb int)
TEXT ·packA6AVX2F64(SB), NOSPLIT, $0-64
	PACKA6(3, 2, 1, MOVQ, TRANS2X6F64)

// func packB64AVX2F32(dst, b []float32, ldb, kb, np, rows int)
TEXT ·packB64AVX2F32(SB), NOSPLIT, $0-80
	PACKB64(2)

// func packB64AVX2F64(dst, b []float64, ldb, kb, np, rows int)
TEXT ·packB64AVX2F64(SB), NOSPLIT, $0-80
	PACKB64(3)

// func packBTAVX2F32(dst, b []float32, ldb, kb int)
TEXT ·packBTAVX2F32(SB), NOSPLIT, $0-64
	MOVQ	dst_base+0(FP), DI
	MOVQ	b_base+24(FP), SI
	MOVQ	ldb+48(FP), R8
	SHLQ	$2, R8
	LEAQ	(R8)(R8*2), R9
	LEAQ	(SI)(R8*4), R10 // rows 4-7
	LEAQ	(R10)(R8*4), R11 // rows 8-11
	LEAQ	(R11)(R8*4), R12 // rows 12-15
	MOVQ	kb+56(FP), CX
	MOVQ	CX, BX
	ANDQ	$3, BX
	SHRQ	$2, CX
	JZ	tail
group:
	BT4(SI, 0)
	BT4(R10, 16)
	BT4(R11, 32)
	BT4(R12, 48)
	ADDQ	$16, SI
	ADDQ	$16, R10
	ADDQ	$16, R11
	ADDQ	$16, R12
	ADDQ	$256, DI
	DECQ	CX
	JNZ	group
tail:
	TESTQ	BX, BX
	JZ	done
one:
	BT1(SI, 0, 4, MOVL)
	BT1(R10, 16, 4, MOVL)
	BT1(R11, 32, 4, MOVL)
	BT1(R12, 48, 4, MOVL)
	ADDQ	$4, SI
	ADDQ	$4, R10
	ADDQ	$4, R11
	ADDQ	$4, R12
	ADDQ	$64, DI
	DECQ	BX
	JNZ	one
done:
	RET

// func packBTAVX2F64(dst, b []float64, ldb, kb int)
TEXT ·packBTAVX2F64(SB), NOSPLIT, $0-64
	MOVQ	dst_base+0(FP), DI
	MOVQ	b_base+24(FP), SI
	MOVQ	ldb+48(FP), R8
	SHLQ	$3, R8
	LEAQ	(R8)(R8*2), R9
	LEAQ	(SI)(R8*4), R10 // rows 4-7
	MOVQ	kb+56(FP), CX
	MOVQ	CX, BX
	ANDQ	$1, BX
	SHRQ	$1, CX
	JZ	tail
group:
	// Rows 1, 3, 5, 7 through R11, R12 (SI+L, SI+3L …).
	LEAQ	(SI)(R8*1), R11
	LEAQ	(SI)(R9*1), R12
	BT2F64(SI, R11, 0)
	LEAQ	(SI)(R8*2), R11
	BT2F64(R11, R12, 16)
	LEAQ	(R10)(R8*1), R11
	LEAQ	(R10)(R9*1), R12
	BT2F64(R10, R11, 32)
	LEAQ	(R10)(R8*2), R11
	BT2F64(R11, R12, 48)
	ADDQ	$16, SI
	ADDQ	$16, R10
	ADDQ	$128, DI
	DECQ	CX
	JNZ	group
tail:
	TESTQ	BX, BX
	JZ	done
	BT1(SI, 0, 8, MOVQ)
	BT1(R10, 32, 8, MOVQ)
done:
	RET
