//go:build amd64 && gc && !purego

#include "textflag.h"

// The AVX-512 GEMM: register tiles with their epilogues, and the packers
// that feed them. The Go side (gemm_avx512_amd64.go) shows each function as
// the Go it replaces.
//
// The tiles are 16×16 (float32) and 16×8 (float64): one zmm of B per k step
// (Z16) and the 16 rows of A by embedded broadcast (VFMADD231PS.BCST: a
// 4-byte load that the FMA broadcasts), into 16 accumulators Z0–Z15, one
// row of the tile each. On Zen 4 a zmm FMA issues once a cycle (two 256-bit
// halves), so 16 independent chains cover its 4-cycle latency four times
// over, and 17 loads per 16 FMAs fit the load ports. Each tile row is 64
// bytes of C: one line, so the rows of a tile spread over the cache sets
// the same way for both types.

// One k step of the float32 tile: B's row of the step (at the address
// brow) into Z16, then row i of the tile += A(p, i)·B(p, ·) for the 16
// rows, A broadcast from memory (AX = step 0 of the unrolled four).
#define STEP32(brow, p) \
	VMOVUPS.Z brow, K1, Z16; \
	VFMADD231PS.BCST (p*64+0)(AX), Z16, Z0; \
	VFMADD231PS.BCST (p*64+4)(AX), Z16, Z1; \
	VFMADD231PS.BCST (p*64+8)(AX), Z16, Z2; \
	VFMADD231PS.BCST (p*64+12)(AX), Z16, Z3; \
	VFMADD231PS.BCST (p*64+16)(AX), Z16, Z4; \
	VFMADD231PS.BCST (p*64+20)(AX), Z16, Z5; \
	VFMADD231PS.BCST (p*64+24)(AX), Z16, Z6; \
	VFMADD231PS.BCST (p*64+28)(AX), Z16, Z7; \
	VFMADD231PS.BCST (p*64+32)(AX), Z16, Z8; \
	VFMADD231PS.BCST (p*64+36)(AX), Z16, Z9; \
	VFMADD231PS.BCST (p*64+40)(AX), Z16, Z10; \
	VFMADD231PS.BCST (p*64+44)(AX), Z16, Z11; \
	VFMADD231PS.BCST (p*64+48)(AX), Z16, Z12; \
	VFMADD231PS.BCST (p*64+52)(AX), Z16, Z13; \
	VFMADD231PS.BCST (p*64+56)(AX), Z16, Z14; \
	VFMADD231PS.BCST (p*64+60)(AX), Z16, Z15

// One k step of the float64 tile: B's row (8 columns) into Z16, A's row p
// (16 elements, 128 bytes) broadcast.
#define STEP64(brow, p) \
	VMOVUPD.Z brow, K1, Z16; \
	VFMADD231PD.BCST (p*128+0)(AX), Z16, Z0; \
	VFMADD231PD.BCST (p*128+8)(AX), Z16, Z1; \
	VFMADD231PD.BCST (p*128+16)(AX), Z16, Z2; \
	VFMADD231PD.BCST (p*128+24)(AX), Z16, Z3; \
	VFMADD231PD.BCST (p*128+32)(AX), Z16, Z4; \
	VFMADD231PD.BCST (p*128+40)(AX), Z16, Z5; \
	VFMADD231PD.BCST (p*128+48)(AX), Z16, Z6; \
	VFMADD231PD.BCST (p*128+56)(AX), Z16, Z7; \
	VFMADD231PD.BCST (p*128+64)(AX), Z16, Z8; \
	VFMADD231PD.BCST (p*128+72)(AX), Z16, Z9; \
	VFMADD231PD.BCST (p*128+80)(AX), Z16, Z10; \
	VFMADD231PD.BCST (p*128+88)(AX), Z16, Z11; \
	VFMADD231PD.BCST (p*128+96)(AX), Z16, Z12; \
	VFMADD231PD.BCST (p*128+104)(AX), Z16, Z13; \
	VFMADD231PD.BCST (p*128+112)(AX), Z16, Z14; \
	VFMADD231PD.BCST (p*128+120)(AX), Z16, Z15

// STEPDA32 and STEPDA64 are STEP32 and STEP64 with A where it lies, not
// packed (a tile's 16 rows lda apart, tile.lda ≠ 0): row i's value of the
// step broadcast from its own row, rows 4q … 4q+3 at base, base+lda,
// base+2·lda and base+3·lda (R14 = lda and R12 = 3·lda in bytes) from the
// bases AX, DX, SI and R10 of rows 0, 4, 8 and 12 (p: the step of the
// unrolled four, elements ahead of the bases).
#define STEPDA32(brow, p) \
	VMOVUPS.Z brow, K1, Z16; \
	DAROWS4(VFMADD231PS.BCST, p*4, AX, Z0, Z1, Z2, Z3); \
	DAROWS4(VFMADD231PS.BCST, p*4, DX, Z4, Z5, Z6, Z7); \
	DAROWS4(VFMADD231PS.BCST, p*4, SI, Z8, Z9, Z10, Z11); \
	DAROWS4(VFMADD231PS.BCST, p*4, R10, Z12, Z13, Z14, Z15)

#define STEPDA64(brow, p) \
	VMOVUPD.Z brow, K1, Z16; \
	DAROWS4(VFMADD231PD.BCST, p*8, AX, Z0, Z1, Z2, Z3); \
	DAROWS4(VFMADD231PD.BCST, p*8, DX, Z4, Z5, Z6, Z7); \
	DAROWS4(VFMADD231PD.BCST, p*8, SI, Z8, Z9, Z10, Z11); \
	DAROWS4(VFMADD231PD.BCST, p*8, R10, Z12, Z13, Z14, Z15)

#define DAROWS4(FMA, off, base, a0, a1, a2, a3) \
	FMA (off)(base), Z16, a0; \
	FMA (off)(base)(R14*1), Z16, a1; \
	FMA (off)(base)(R14*2), Z16, a2; \
	FMA (off)(base)(R12*1), Z16, a3

// ZERO16 zeroes the 16 accumulators Z0–Z15.
#define ZERO16 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

// PREFETCH16 prefetches the 16 rows of a tile, ld bytes apart from base,
// with op: both ends of each 64-byte row, as a row need not be aligned.
// Rows past the matrix's last are harmless to prefetch (a prefetch never
// faults). Clobbers R12.
#define PREFETCH16(op, base, ld) \
	MOVQ base, R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1); \
	LEAQ (R12)(ld*2), R12; \
	op (R12); op 63(R12); op (R12)(ld*1); op 63(R12)(ld*1)

// The epilogues, one tile row at a time (acc is the row's accumulator).
// Registers: DX = the row of C, SI = ldc in bytes; R8/R9 Z and ldz; R10/R11
// R and ldr; R12 = the row's mask word plus the tile's byte offset in it,
// R13 = the mask stride in bytes; DI = rows left. K1 = the columns < n.
// Z16 = the bias (−0 for none: x + −0 = x for every x, −0 and NaN
// included), Z17 = +0. After the last row of the tile, or the matrix,
// they jump to done.

// ROWS16 is a tile's 16 rows of the epilogue ROW, Z0 to Z15.
#define ROWS16(ROW) \
	ROW(Z0); ROW(Z1); ROW(Z2); ROW(Z3); ROW(Z4); ROW(Z5); ROW(Z6); ROW(Z7); \
	ROW(Z8); ROW(Z9); ROW(Z10); ROW(Z11); ROW(Z12); ROW(Z13); ROW(Z14); ROW(Z15)

// GEMM_ROW: C row = acc on the columns < n (VMOVU: VMOVUPS or VMOVUPD).
#define GEMM_ROW(acc, VMOVU) \
	VMOVU acc, K1, (DX); \
	DECQ DI; \
	JZ done; \
	ADDQ SI, DX

// GEMM_ROW_B1: C row = acc + C row (merge-masked: the columns past n are
// neither read nor written).
#define GEMM_ROW_B1(acc, VADD, VMOVU) \
	VADD (DX), acc, K1, acc; \
	GEMM_ROW(acc, VMOVU)

// FWD_ROW: v = acc + bias; the row's mask bits [v ≥ 0] (compare
// predicate 5, NLT_US: not less than, true for NaN) for the columns < n,
// zero past n, stored whole at the tile's offset in the mask word
// (KMOV: KMOVW for 16 bits, KMOVB for 8); R row = ReLU(v) = VMAXP with
// +0 as Intel's first source and v as the second, which MAXP returns
// when either is NaN and when both are zeros: so NaN and −0 pass through
// bit for bit, and v < 0 gives +0. The instructions are the type's: PS
// or PD.
#define FWD_ROW(acc, VADD, VCMP, VMAX, VMOVU, KMOV) \
	VADD Z16, acc, acc; \
	FWD_OUT(acc, VCMP, VMAX, VMOVU, KMOV)

// FWD_ROWZ: the same, and Z row = v. (The rows without Z have their own
// epilogue rather than this one's store under an empty mask, which cost
// 1–2% of BenchmarkForward/f32/32x256x256's tile.)
#define FWD_ROWZ(acc, VADD, VCMP, VMAX, VMOVU, KMOV) \
	VADD Z16, acc, acc; \
	VMOVU acc, K1, (R8); \
	FWD_OUT(acc, VCMP, VMAX, VMOVU, KMOV)

#define FWD_OUT(acc, VCMP, VMAX, VMOVU, KMOV) \
	VCMP $5, Z17, acc, K1, K3; \
	VMAX acc, Z17, acc; \
	VMOVU acc, K1, (R10); \
	KMOV K3, (R12); \
	DECQ DI; \
	JZ done; \
	ADDQ R9, R8; \
	ADDQ R11, R10; \
	ADDQ R13, R12

// FWD_ROW_B1 and FWD_ROWZ_B1: the same from v = acc + C row + bias.
#define FWD_ROW_B1(acc, VADD, VCMP, VMAX, VMOVU, KMOV) \
	VADD (DX), acc, K1, acc; \
	ADDQ SI, DX; \
	FWD_ROW(acc, VADD, VCMP, VMAX, VMOVU, KMOV)

#define FWD_ROWZ_B1(acc, VADD, VCMP, VMAX, VMOVU, KMOV) \
	VADD (DX), acc, K1, acc; \
	ADDQ SI, DX; \
	FWD_ROWZ(acc, VADD, VCMP, VMAX, VMOVU, KMOV)

// The rows of each type, one argument each for ROWS16.
#define GEMM_ROW32(acc) GEMM_ROW(acc, VMOVUPS)
#define GEMM_ROW32_B1(acc) GEMM_ROW_B1(acc, VADDPS, VMOVUPS)
#define FWD_ROW32(acc) FWD_ROW(acc, VADDPS, VCMPPS, VMAXPS, VMOVUPS, KMOVW)
#define FWD_ROW32Z(acc) FWD_ROWZ(acc, VADDPS, VCMPPS, VMAXPS, VMOVUPS, KMOVW)
#define FWD_ROW32_B1(acc) FWD_ROW_B1(acc, VADDPS, VCMPPS, VMAXPS, VMOVUPS, KMOVW)
#define FWD_ROW32Z_B1(acc) FWD_ROWZ_B1(acc, VADDPS, VCMPPS, VMAXPS, VMOVUPS, KMOVW)
#define GEMM_ROW64(acc) GEMM_ROW(acc, VMOVUPD)
#define GEMM_ROW64_B1(acc) GEMM_ROW_B1(acc, VADDPD, VMOVUPD)
#define FWD_ROW64(acc) FWD_ROW(acc, VADDPD, VCMPPD, VMAXPD, VMOVUPD, KMOVB)
#define FWD_ROW64Z(acc) FWD_ROWZ(acc, VADDPD, VCMPPD, VMAXPD, VMOVUPD, KMOVB)
#define FWD_ROW64_B1(acc) FWD_ROW_B1(acc, VADDPD, VCMPPD, VMAXPD, VMOVUPD, KMOVB)
#define FWD_ROW64Z_B1(acc) FWD_ROWZ_B1(acc, VADDPD, VCMPPD, VMAXPD, VMOVUPD, KMOVB)

// NEXT_TILE goes on to the next row tile of a tile function, if rows are
// left: its micro-panel of A follows this one (or its rows are 16 rows of
// A on, when A lies where it is), and its rows of C, Z, R and
// the mask are 16 rows on (SH: log2 of 16 elements' bytes). The argument
// slots are the call's own (ABI0 arguments belong to the callee), and a
// pointer is only advanced onto a row that exists. Clobbers CX.
#define NEXT_TILE(SH) \
	MOVQ m+96(FP), CX; \
	SUBQ $16, CX; \
	JLE  return; \
	MOVQ CX, m+96(FP); \
	MOVQ lda+272(FP), CX; \
	TESTQ CX, CX; \
	CMOVQEQ kc+56(FP), CX; \
	SHLQ $SH, CX; \
	ADDQ CX, a_base+0(FP); \
	ADVANCE(ldc+88(FP), SH, c_base+64(FP)); \
	ADVANCE(ldz+176(FP), SH, z_base+152(FP)); \
	ADVANCE(ldr+216(FP), SH, r_base+192(FP)); \
	ADVANCE(stride+248(FP), 7, bits_base+224(FP)); \
	JMP  tile

// ADVANCE adds ld<<SH to the pointer in slot ptr. Clobbers CX.
#define ADVANCE(ld, SH, ptr) \
	MOVQ ld, CX; \
	SHLQ $SH, CX; \
	ADDQ CX, ptr

// A call's tiles can also span several columns of tiles (n > LANES: the
// columns of tiles one after another, each a column of row tiles as
// above), so that a small pass is a few calls, not one a column: a call
// costs about 75 ns of Go around it (pprof of BenchmarkForward/f32/
// 32x256x256: 3% of the pass with a call a column of 2 row tiles).
// TILE_SAVE keeps the first column's m and pointers in the frame (0–40(SP);
// 48 and 56 are NEXT_PANEL's) for NEXT_COL, which goes on to the next
// column of tiles, if any: m and the row pointers back to the first row
// tile, those of C, Z and R and the bias 16 columns (64 bytes) on, the
// mask 2 bytes (float32) or 1 (float64) on in its words (BITS), and B bcol
// elements on (a packed micro-panel's size, or 16 columns of B where it
// lies). Clobbers CX.
#define TILE_SAVE \
	MOVQ m+96(FP), CX; \
	MOVQ CX, 0(SP); \
	MOVQ a_base+0(FP), CX; \
	MOVQ CX, 8(SP); \
	MOVQ c_base+64(FP), CX; \
	MOVQ CX, 16(SP); \
	MOVQ z_base+152(FP), CX; \
	MOVQ CX, 24(SP); \
	MOVQ r_base+192(FP), CX; \
	MOVQ CX, 32(SP); \
	MOVQ bits_base+224(FP), CX; \
	MOVQ CX, 40(SP)

#define NEXT_COL(LANES, SH, BITS) \
	MOVQ n+104(FP), CX; \
	SUBQ $LANES, CX; \
	JLE  finish; \
	MOVQ CX, n+104(FP); \
	MOVQ 0(SP), CX; \
	MOVQ CX, m+96(FP); \
	MOVQ 8(SP), CX; \
	MOVQ CX, a_base+0(FP); \
	ADDQ $64, 16(SP); \
	MOVQ 16(SP), CX; \
	MOVQ CX, c_base+64(FP); \
	ADDQ $64, 24(SP); \
	MOVQ 24(SP), CX; \
	MOVQ CX, z_base+152(FP); \
	ADDQ $64, 32(SP); \
	MOVQ 32(SP), CX; \
	MOVQ CX, r_base+192(FP); \
	MOVQ 40(SP), CX; \
	MOVQ CX, bits_base+224(FP); \
	ADDQ $BITS, shift+256(FP); \
	ADDQ $64, bias_base+128(FP); \
	ADVANCE(bcol+264(FP), SH, b_base+24(FP)); \
	JMP  panel

// NEXT_PANEL (label panel, after TILE_SAVE and at each NEXT_COL) sets
// the frame's 48(SP) and 56(SP) to the first and the last line of the
// micro-panel of B after this column's (kc·64 bytes on: a packed
// micro-panel is 64 bytes a k step for both types), which the row tiles of
// the column prefetch into L2, a line every four k steps (loopA). In a
// pass the packed block of B is a few MiB and lives in L3; without the
// prefetch each micro-panel came from there for its first row tile:
// BenchmarkAVX512Operands/fwd/tall ran at 103.0 GFLOPS, and at 111.6 with
// one micro-panel of B for every column, L2-resident (fwd/tall/B=L2;
// medians of 5 runs in turn); with it, both at 108–111. For B where it
// lies (ldb not 64 bytes) both are B's first line, a prefetch of a line
// already in L1. Clobbers CX and R12.
#define NEXT_PANEL(SH) \
panel: \
	MOVQ b_base+24(FP), R12; \
	MOVQ R12, 48(SP); \
	MOVQ R12, 56(SP); \
	MOVQ ldb+48(FP), CX; \
	SHLQ $SH, CX; \
	CMPQ CX, $64; \
	JNE  tile; \
	MOVQ kc+56(FP), CX; \
	SHLQ $6, CX; \
	ADDQ CX, R12; \
	MOVQ R12, 48(SP); \
	LEAQ -64(R12)(CX*1), R12; \
	MOVQ R12, 56(SP)

// STEP4 is four k steps of a tile (STEP = STEP32 or STEP64, A1 = the bytes
// of A a step), B's rows at BX, BX+ldb, BX+2·ldb, BX+3·ldb (R9 = ldb,
// R13 = 3·ldb), then A and B four steps on.
#define STEP4(STEP, A1) \
	STEP((BX), 0); \
	STEP((BX)(R9*1), 1); \
	STEP((BX)(R9*2), 2); \
	STEP((BX)(R13*1), 3); \
	ADDQ $(4*A1), AX; \
	LEAQ (BX)(R9*4), BX

// TILE_PRODUCT is the product part of both tile functions, from the start
// of a row tile (label tile, where NEXT_TILE returns) to its epilogue
// (label epilogue), with SH = log2 of the element's size, STEP = STEP32
// or STEP64, A1 = the bytes of A a k step (64 or 128), LANES the columns
// of a tile, and DSTEP (STEPDA32 or STEPDA64) and ES (the element's
// bytes) for A where it lies. In order:
//   - DX, SI = C and ldc; DI = the tile's rows, min(m, 16); R10, R11 = R
//     and ldr.
//   - C and R (when not C) start on their way to L2, and go into L1 32 k
//     steps before the end: a tile's rows of C are ld apart, often a
//     multiple of 4 KiB, so that they share one L1 set, and brought in
//     early they would only evict the micro-panel of B from it. With
//     fewer than 64 steps the L1 prefetch comes soon enough alone (the 64
//     more prefetches cost 5% of a tile of dW from a batch of 32).
//   - K1 = the columns < n of this column of tiles (at most LANES): B is
//     loaded under it, so that an unpacked B is never read past its n
//     columns.
//   - AX = A, BX = B, R9 = ldb and R13 = 3·ldb in bytes; Z0–Z15 zeroed.
//   - With lda ≠ 0 (A where it lies), all kc steps by DSTEP (label
//     direct), four at a time and then one at a time, with DX, SI and R10
//     as bases of A's rows 4, 8 and 12 and reloaded after, and without
//     the L1 prefetch of C (those registers are taken); the rest is for
//     packed A.
//   - CX = the steps before the L1 prefetch: kc − 32 rounded down to a
//     multiple of 4 (or 0), run four at a time (loopA), each four with a
//     PREFETCHT1 of the next line of the next micro-panel of B (R12, from
//     and back to 48(SP), held at its last line, 56(SP): see NEXT_PANEL);
//     R8 = the steps after it.
//   - The L1 prefetch; a short panel that only writes C (β = 0, no
//     epilogue) skips it too: its 16 stores follow at once, and the 32
//     prefetches in front of them cost 7% of a dW GEMM from a batch of 32
//     (BenchmarkBackward/f32/32x256x256).
//   - The R8 steps left, four at a time (loopB) and one at a time (loop1).
#define TILE_PRODUCT(SH, STEP, A1, LANES, DSTEP, ES) \
tile: \
	MOVQ c_base+64(FP), DX; \
	MOVQ ldc+88(FP), SI; \
	SHLQ $SH, SI; \
	MOVQ m+96(FP), DI; \
	MOVQ $16, CX; \
	CMPQ DI, CX; \
	CMOVQGT CX, DI; \
	MOVQ r_base+192(FP), R10; \
	MOVQ ldr+216(FP), R11; \
	SHLQ $SH, R11; \
	CMPQ kc+56(FP), $64; \
	JLT  early; \
	PREFETCH16(PREFETCHT1, DX, SI); \
	CMPQ R10, DX; \
	JEQ  early; \
	PREFETCH16(PREFETCHT1, R10, R11); \
early: \
	MOVQ n+104(FP), CX; \
	MOVQ $LANES, AX; \
	CMPQ CX, AX; \
	CMOVQGT AX, CX; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1; \
	MOVQ a_base+0(FP), AX; \
	MOVQ b_base+24(FP), BX; \
	MOVQ ldb+48(FP), R9; \
	SHLQ $SH, R9; \
	LEAQ (R9)(R9*2), R13; \
	ZERO16; \
	MOVQ lda+272(FP), R14; \
	TESTQ R14, R14; \
	JNZ  direct; \
	MOVQ kc+56(FP), R8; \
	MOVQ R8, CX; \
	SUBQ $32, CX; \
	JGE  phase; \
	XORL CX, CX; \
phase: \
	ANDQ $-4, CX; \
	SUBQ CX, R8; \
	TESTQ CX, CX; \
	JZ   late; \
	MOVQ 48(SP), R12; \
	PCALIGN $32; \
loopA: \
	STEP4(STEP, A1); \
	PREFETCHT1 (R12); \
	ADDQ $64, R12; \
	CMPQ R12, 56(SP); \
	CMOVQGT 56(SP), R12; \
	SUBQ $4, CX; \
	JNZ  loopA; \
	MOVQ R12, 48(SP); \
late: \
	CMPQ kc+56(FP), $64; \
	JGE  prefetch; \
	MOVQ beta+112(FP), R12; \
	ORQ  fwd+120(FP), R12; \
	JZ   rest; \
prefetch: \
	PREFETCH16(PREFETCHT0, DX, SI); \
	CMPQ R10, DX; \
	JEQ  rest; \
	PREFETCH16(PREFETCHT0, R10, R11); \
rest: \
	MOVQ R8, CX; \
	CMPQ CX, $4; \
	JB   tail; \
loopB: \
	STEP4(STEP, A1); \
	SUBQ $4, CX; \
	CMPQ CX, $4; \
	JAE  loopB; \
tail: \
	TESTQ CX, CX; \
	JZ   epilogue; \
loop1: \
	STEP((BX), 0); \
	ADDQ $A1, AX; \
	ADDQ R9, BX; \
	DECQ CX; \
	JNZ  loop1; \
	JMP  epilogue; \
direct: \
	SHLQ $SH, R14; \
	LEAQ (R14)(R14*2), R12; \
	LEAQ (AX)(R14*4), DX; \
	LEAQ (DX)(R14*4), SI; \
	LEAQ (SI)(R14*4), R10; \
	MOVQ kc+56(FP), CX; \
	MOVQ CX, R8; \
	ANDQ $3, R8; \
	SHRQ $2, CX; \
	JZ   dtail; \
dloop4: \
	DSTEP((BX), 0); \
	DSTEP((BX)(R9*1), 1); \
	DSTEP((BX)(R9*2), 2); \
	DSTEP((BX)(R13*1), 3); \
	ADDQ $(4*ES), AX; \
	ADDQ $(4*ES), DX; \
	ADDQ $(4*ES), SI; \
	ADDQ $(4*ES), R10; \
	LEAQ (BX)(R9*4), BX; \
	DECQ CX; \
	JNZ  dloop4; \
dtail: \
	TESTQ R8, R8; \
	JZ   drestore; \
dloop1: \
	DSTEP((BX), 0); \
	ADDQ $ES, AX; \
	ADDQ $ES, DX; \
	ADDQ $ES, SI; \
	ADDQ $ES, R10; \
	ADDQ R9, BX; \
	DECQ R8; \
	JNZ  dloop1; \
drestore: \
	MOVQ c_base+64(FP), DX; \
	MOVQ ldc+88(FP), SI; \
	SHLQ $SH, SI; \
	MOVQ r_base+192(FP), R10

// func tileAVX512F32(a, b []float32, ldb, kc int, c []float32, ldc, m, n, beta, fwd int, bias, z []float32, ldz, storeZ int, r []float32, ldr int, bits []uint64, stride, shift, bcol, lda int)
TEXT ·tileAVX512F32(SB), NOSPLIT, $64-280

	// The row tiles, 16 rows each, one after another, each with its
	// pointers in the argument slots (NEXT_TILE advances them).
	TILE_SAVE
	NEXT_PANEL(2)
	TILE_PRODUCT(2, STEP32, 64, 16, STEPDA32, 4)

epilogue:
	CMPQ fwd+120(FP), $0
	JNE  forward
	CMPQ beta+112(FP), $0
	JNE  gemm1
	ROWS16(GEMM_ROW32)
	JMP  done

gemm1:
	ROWS16(GEMM_ROW32_B1)
	JMP  done

forward:
	MOVQ bias_base+128(FP), CX
	VMOVUPS.Z (CX), K1, Z16
	VPXORD Z17, Z17, Z17
	MOVQ z_base+152(FP), R8
	MOVQ ldz+176(FP), R9
	SHLQ $2, R9
	MOVQ bits_base+224(FP), R12
	ADDQ shift+256(FP), R12
	MOVQ stride+248(FP), R13
	SHLQ $3, R13
	CMPQ storeZ+184(FP), $0
	JNE  forwardZ
	CMPQ beta+112(FP), $0
	JNE  forward1
	ROWS16(FWD_ROW32)
	JMP  done

forward1:
	ROWS16(FWD_ROW32_B1)
	JMP  done

forwardZ:
	CMPQ beta+112(FP), $0
	JNE  forwardZ1
	ROWS16(FWD_ROW32Z)
	JMP  done

forwardZ1:
	ROWS16(FWD_ROW32Z_B1)

done:
	NEXT_TILE(6)

return:
	NEXT_COL(16, 2, 2)

finish:
	VZEROUPPER
	RET

// func tileAVX512F64(a, b []float64, ldb, kc int, c []float64, ldc, m, n, beta, fwd int, bias, z []float64, ldz, storeZ int, r []float64, ldr int, bits []uint64, stride, shift, bcol, lda int)
TEXT ·tileAVX512F64(SB), NOSPLIT, $64-280

	// The row tiles, 16 rows each, one after another, each with its
	// pointers in the argument slots (NEXT_TILE advances them).
	TILE_SAVE
	NEXT_PANEL(3)
	TILE_PRODUCT(3, STEP64, 128, 8, STEPDA64, 8)

epilogue:
	CMPQ fwd+120(FP), $0
	JNE  forward
	CMPQ beta+112(FP), $0
	JNE  gemm1
	ROWS16(GEMM_ROW64)
	JMP  done

gemm1:
	ROWS16(GEMM_ROW64_B1)
	JMP  done

forward:
	MOVQ bias_base+128(FP), CX
	VMOVUPD.Z (CX), K1, Z16
	VPXORD Z17, Z17, Z17
	MOVQ z_base+152(FP), R8
	MOVQ ldz+176(FP), R9
	SHLQ $3, R9
	MOVQ bits_base+224(FP), R12
	ADDQ shift+256(FP), R12
	MOVQ stride+248(FP), R13
	SHLQ $3, R13
	CMPQ storeZ+184(FP), $0
	JNE  forwardZ
	CMPQ beta+112(FP), $0
	JNE  forward1
	ROWS16(FWD_ROW64)
	JMP  done

forward1:
	ROWS16(FWD_ROW64_B1)
	JMP  done

forwardZ:
	CMPQ beta+112(FP), $0
	JNE  forwardZ1
	ROWS16(FWD_ROW64Z)
	JMP  done

forwardZ1:
	ROWS16(FWD_ROW64Z_B1)

done:
	NEXT_TILE(7)

return:
	NEXT_COL(8, 3, 1)

finish:
	VZEROUPPER
	RET

// TRANSPOSE16 transposes the 16×16 float32 block in Z0–Z15 (row i in
// Zi) with Z16–Z31 as scratch, in four stages of shuffles: pairs of rows
// interleaved within 128-bit lanes (VUNPCKL/HPS), then pairs of pairs
// (VUNPCKL/HPD), so that lane l of U(g, j) holds column 4l+j of rows
// 4g … 4g+3; then the lanes of one column gathered from the four groups
// (VSHUFF32X4: imm 0x88 takes lanes 0 and 2 of each source, 0xDD lanes 1
// and 3), twice. Column j ends in Z0, Z4, Z8, Z12, Z2, Z6, Z10, Z14, Z1,
// Z5, Z9, Z13, Z3, Z7, Z11, Z15 for j = 0 … 15.
#define TRANSPOSE16 \
	VUNPCKLPS Z1, Z0, Z16; \
	VUNPCKHPS Z1, Z0, Z17; \
	VUNPCKLPS Z3, Z2, Z18; \
	VUNPCKHPS Z3, Z2, Z19; \
	VUNPCKLPS Z5, Z4, Z20; \
	VUNPCKHPS Z5, Z4, Z21; \
	VUNPCKLPS Z7, Z6, Z22; \
	VUNPCKHPS Z7, Z6, Z23; \
	VUNPCKLPS Z9, Z8, Z24; \
	VUNPCKHPS Z9, Z8, Z25; \
	VUNPCKLPS Z11, Z10, Z26; \
	VUNPCKHPS Z11, Z10, Z27; \
	VUNPCKLPS Z13, Z12, Z28; \
	VUNPCKHPS Z13, Z12, Z29; \
	VUNPCKLPS Z15, Z14, Z30; \
	VUNPCKHPS Z15, Z14, Z31; \
	VUNPCKLPD Z18, Z16, Z0; \
	VUNPCKHPD Z18, Z16, Z1; \
	VUNPCKLPD Z19, Z17, Z2; \
	VUNPCKHPD Z19, Z17, Z3; \
	VUNPCKLPD Z22, Z20, Z4; \
	VUNPCKHPD Z22, Z20, Z5; \
	VUNPCKLPD Z23, Z21, Z6; \
	VUNPCKHPD Z23, Z21, Z7; \
	VUNPCKLPD Z26, Z24, Z8; \
	VUNPCKHPD Z26, Z24, Z9; \
	VUNPCKLPD Z27, Z25, Z10; \
	VUNPCKHPD Z27, Z25, Z11; \
	VUNPCKLPD Z30, Z28, Z12; \
	VUNPCKHPD Z30, Z28, Z13; \
	VUNPCKLPD Z31, Z29, Z14; \
	VUNPCKHPD Z31, Z29, Z15; \
	VSHUFF32X4 $0x88, Z4, Z0, Z16; \
	VSHUFF32X4 $0xDD, Z4, Z0, Z17; \
	VSHUFF32X4 $0x88, Z12, Z8, Z18; \
	VSHUFF32X4 $0xDD, Z12, Z8, Z19; \
	VSHUFF32X4 $0x88, Z5, Z1, Z20; \
	VSHUFF32X4 $0xDD, Z5, Z1, Z21; \
	VSHUFF32X4 $0x88, Z13, Z9, Z22; \
	VSHUFF32X4 $0xDD, Z13, Z9, Z23; \
	VSHUFF32X4 $0x88, Z6, Z2, Z24; \
	VSHUFF32X4 $0xDD, Z6, Z2, Z25; \
	VSHUFF32X4 $0x88, Z14, Z10, Z26; \
	VSHUFF32X4 $0xDD, Z14, Z10, Z27; \
	VSHUFF32X4 $0x88, Z7, Z3, Z28; \
	VSHUFF32X4 $0xDD, Z7, Z3, Z29; \
	VSHUFF32X4 $0x88, Z15, Z11, Z30; \
	VSHUFF32X4 $0xDD, Z15, Z11, Z31; \
	VSHUFF32X4 $0x88, Z18, Z16, Z0; \
	VSHUFF32X4 $0xDD, Z18, Z16, Z1; \
	VSHUFF32X4 $0x88, Z19, Z17, Z2; \
	VSHUFF32X4 $0xDD, Z19, Z17, Z3; \
	VSHUFF32X4 $0x88, Z22, Z20, Z4; \
	VSHUFF32X4 $0xDD, Z22, Z20, Z5; \
	VSHUFF32X4 $0x88, Z23, Z21, Z6; \
	VSHUFF32X4 $0xDD, Z23, Z21, Z7; \
	VSHUFF32X4 $0x88, Z26, Z24, Z8; \
	VSHUFF32X4 $0xDD, Z26, Z24, Z9; \
	VSHUFF32X4 $0x88, Z27, Z25, Z10; \
	VSHUFF32X4 $0xDD, Z27, Z25, Z11; \
	VSHUFF32X4 $0x88, Z30, Z28, Z12; \
	VSHUFF32X4 $0xDD, Z30, Z28, Z13; \
	VSHUFF32X4 $0x88, Z31, Z29, Z14; \
	VSHUFF32X4 $0xDD, Z31, Z29, Z15

// The tile of dX = dZ·Wᵀ read the other way round (dXᵀ = W·dZᵀ): W's
// rows are A where they lie, so that W is never transposed. Row i of the
// tile is row k0+i of W, broadcast a step at a time from its place (16
// rows lda apart, by 4 base registers and 1, 2 and 3 times ldw), times a
// packed step of dZᵀ (16 batch rows, one zmm); the 16×16 result is
// transposed in registers (TRANSPOSE16) and each of its rows stored as a
// row of dX.

// STEPNT is step s of the unrolled four: B's row at BX+64s into Z16, then
// row i += W(i, p)·B(p, ·) for the 16 rows, four rows from each base
// register (NT_ROWS4).
#define STEPNT(s) \
	VMOVUPS (s*64)(BX), Z16; \
	NT_ROWS4(s, R8, Z0, Z1, Z2, Z3); \
	NT_ROWS4(s, R9, Z4, Z5, Z6, Z7); \
	NT_ROWS4(s, R10, Z8, Z9, Z10, Z11); \
	NT_ROWS4(s, R11, Z12, Z13, Z14, Z15)

// NT_ROWS4: the rows at base, base+ldw, base+2·ldw, base+3·ldw (DX = ldw,
// R12 = 3·ldw) of step s, into four accumulators.
#define NT_ROWS4(s, base, a0, a1, a2, a3) \
	VFMADD231PS.BCST (s*4)(base), Z16, a0; \
	VFMADD231PS.BCST (s*4)(base)(DX*1), Z16, a1; \
	VFMADD231PS.BCST (s*4)(base)(DX*2), Z16, a2; \
	VFMADD231PS.BCST (s*4)(base)(R12*1), Z16, a3

// NT_ROW: dX row j = the tile's column j on the columns < m (K1); then on
// to the next row, or done after the last of n.
#define NT_ROW(r) \
	VMOVUPS r, K1, (DI); \
	DECQ AX; \
	JZ   done; \
	ADDQ SI, DI

// NT_ROW_B1: the same, adding the row of dX there (merge-masked).
#define NT_ROW_B1(r) \
	VADDPS (DI), r, K1, r; \
	NT_ROW(r)

// func tileNTAVX512F32(w []float32, ldw int, b []float32, kc int, c []float32, ldc, m, n, beta int)
TEXT ·tileNTAVX512F32(SB), NOSPLIT, $0-120
	// R8, R9, R10, R11: rows 0, 4, 8, 12 of W; DX, R12 = ldw, 3·ldw in
	// bytes; BX = the packed dZᵀ.
	MOVQ w_base+0(FP), R8
	MOVQ ldw+24(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R12
	LEAQ (R8)(DX*4), R9
	LEAQ (R9)(DX*4), R10
	LEAQ (R10)(DX*4), R11
	MOVQ b_base+32(FP), BX
	ZERO16
	MOVQ kc+56(FP), CX
	MOVQ CX, AX
	ANDQ $3, AX
	SHRQ $2, CX
	JZ   tail
	PCALIGN $32

loop4:
	STEPNT(0)
	STEPNT(1)
	STEPNT(2)
	STEPNT(3)
	ADDQ $256, BX
	ADDQ $16, R8
	ADDQ $16, R9
	ADDQ $16, R10
	ADDQ $16, R11
	DECQ CX
	JNZ  loop4

tail:
	TESTQ AX, AX
	JZ   epilogue

loop1:
	STEPNT(0)
	ADDQ $64, BX
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	ADDQ $4, R11
	DECQ AX
	JNZ  loop1

epilogue:
	TRANSPOSE16
	// DI = dX's row, SI = ldc in bytes, AX = the rows (n ≥ 1), K1 =
	// the columns < m (m ≥ 1).
	MOVQ c_base+64(FP), DI
	MOVQ ldc+88(FP), SI
	SHLQ $2, SI
	MOVQ m+96(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ n+104(FP), AX
	CMPQ beta+112(FP), $0
	JNE  acc
	NT_ROW(Z0)
	NT_ROW(Z4)
	NT_ROW(Z8)
	NT_ROW(Z12)
	NT_ROW(Z2)
	NT_ROW(Z6)
	NT_ROW(Z10)
	NT_ROW(Z14)
	NT_ROW(Z1)
	NT_ROW(Z5)
	NT_ROW(Z9)
	NT_ROW(Z13)
	NT_ROW(Z3)
	NT_ROW(Z7)
	NT_ROW(Z11)
	NT_ROW(Z15)
	JMP  done

acc:
	NT_ROW_B1(Z0)
	NT_ROW_B1(Z4)
	NT_ROW_B1(Z8)
	NT_ROW_B1(Z12)
	NT_ROW_B1(Z2)
	NT_ROW_B1(Z6)
	NT_ROW_B1(Z10)
	NT_ROW_B1(Z14)
	NT_ROW_B1(Z1)
	NT_ROW_B1(Z5)
	NT_ROW_B1(Z9)
	NT_ROW_B1(Z13)
	NT_ROW_B1(Z3)
	NT_ROW_B1(Z7)
	NT_ROW_B1(Z11)
	NT_ROW_B1(Z15)

done:
	VZEROUPPER
	RET

// The packer of A (float32): a 16×16 block of A, read as 16 rows of 16
// columns, is transposed in registers (64 shuffles) and stored as 16 steps
// of the micro-panel.
// func packAPanelAVX512F32(dst, a []float32, lda, kb int)
TEXT ·packAPanelAVX512F32(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), R8
	MOVQ lda+48(FP), DX
	SHLQ $2, DX
	// R8, R9, R10, R11: rows 0, 4, 8, 12; DX, R12 = lda, 3·lda in bytes.
	LEAQ (DX)(DX*2), R12
	LEAQ (R8)(DX*4), R9
	LEAQ (R9)(DX*4), R10
	LEAQ (R10)(DX*4), R11
	MOVQ kb+56(FP), CX
	SHRQ $4, CX
	JZ   done

loop:
	VMOVUPS (R8), Z0
	VMOVUPS (R8)(DX*1), Z1
	VMOVUPS (R8)(DX*2), Z2
	VMOVUPS (R8)(R12*1), Z3
	VMOVUPS (R9), Z4
	VMOVUPS (R9)(DX*1), Z5
	VMOVUPS (R9)(DX*2), Z6
	VMOVUPS (R9)(R12*1), Z7
	VMOVUPS (R10), Z8
	VMOVUPS (R10)(DX*1), Z9
	VMOVUPS (R10)(DX*2), Z10
	VMOVUPS (R10)(R12*1), Z11
	VMOVUPS (R11), Z12
	VMOVUPS (R11)(DX*1), Z13
	VMOVUPS (R11)(DX*2), Z14
	VMOVUPS (R11)(R12*1), Z15
	TRANSPOSE16
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z4, 64(DI)
	VMOVUPS Z8, 128(DI)
	VMOVUPS Z12, 192(DI)
	VMOVUPS Z2, 256(DI)
	VMOVUPS Z6, 320(DI)
	VMOVUPS Z10, 384(DI)
	VMOVUPS Z14, 448(DI)
	VMOVUPS Z1, 512(DI)
	VMOVUPS Z5, 576(DI)
	VMOVUPS Z9, 640(DI)
	VMOVUPS Z13, 704(DI)
	VMOVUPS Z3, 768(DI)
	VMOVUPS Z7, 832(DI)
	VMOVUPS Z11, 896(DI)
	VMOVUPS Z15, 960(DI)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $1024, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// The packer of A (float64): a 16×8 block, as two 8×8 transposes (24
// shuffles each) of rows 0–7 and 8–15, each step of the micro-panel being
// 16 elements: the first transpose fills the low halves of steps 0–7, the
// second their high halves.
// func packAPanelAVX512F64(dst, a []float64, lda, kb int)
TEXT ·packAPanelAVX512F64(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), R8
	MOVQ lda+48(FP), DX
	SHLQ $3, DX
	// R8, R9, R10, R11: rows 0, 4, 8, 12; DX, R12 = lda, 3·lda in bytes.
	LEAQ (DX)(DX*2), R12
	LEAQ (R8)(DX*4), R9
	LEAQ (R9)(DX*4), R10
	LEAQ (R10)(DX*4), R11
	MOVQ kb+56(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPD (R8), Z0
	VMOVUPD (R8)(DX*1), Z1
	VMOVUPD (R8)(DX*2), Z2
	VMOVUPD (R8)(R12*1), Z3
	VMOVUPD (R9), Z4
	VMOVUPD (R9)(DX*1), Z5
	VMOVUPD (R9)(DX*2), Z6
	VMOVUPD (R9)(R12*1), Z7
	VMOVUPD (R10), Z8
	VMOVUPD (R10)(DX*1), Z9
	VMOVUPD (R10)(DX*2), Z10
	VMOVUPD (R10)(R12*1), Z11
	VMOVUPD (R11), Z12
	VMOVUPD (R11)(DX*1), Z13
	VMOVUPD (R11)(DX*2), Z14
	VMOVUPD (R11)(R12*1), Z15
	VUNPCKLPD Z1, Z0, Z16
	VUNPCKHPD Z1, Z0, Z17
	VUNPCKLPD Z3, Z2, Z18
	VUNPCKHPD Z3, Z2, Z19
	VUNPCKLPD Z5, Z4, Z20
	VUNPCKHPD Z5, Z4, Z21
	VUNPCKLPD Z7, Z6, Z22
	VUNPCKHPD Z7, Z6, Z23
	VSHUFF64X2 $0x88, Z18, Z16, Z0
	VSHUFF64X2 $0xDD, Z18, Z16, Z1
	VSHUFF64X2 $0x88, Z19, Z17, Z2
	VSHUFF64X2 $0xDD, Z19, Z17, Z3
	VSHUFF64X2 $0x88, Z22, Z20, Z4
	VSHUFF64X2 $0xDD, Z22, Z20, Z5
	VSHUFF64X2 $0x88, Z23, Z21, Z6
	VSHUFF64X2 $0xDD, Z23, Z21, Z7
	VSHUFF64X2 $0x88, Z4, Z0, Z16
	VSHUFF64X2 $0xDD, Z4, Z0, Z17
	VSHUFF64X2 $0x88, Z5, Z1, Z18
	VSHUFF64X2 $0xDD, Z5, Z1, Z19
	VSHUFF64X2 $0x88, Z6, Z2, Z20
	VSHUFF64X2 $0xDD, Z6, Z2, Z21
	VSHUFF64X2 $0x88, Z7, Z3, Z22
	VSHUFF64X2 $0xDD, Z7, Z3, Z23
	VUNPCKLPD Z9, Z8, Z24
	VUNPCKHPD Z9, Z8, Z25
	VUNPCKLPD Z11, Z10, Z26
	VUNPCKHPD Z11, Z10, Z27
	VUNPCKLPD Z13, Z12, Z28
	VUNPCKHPD Z13, Z12, Z29
	VUNPCKLPD Z15, Z14, Z30
	VUNPCKHPD Z15, Z14, Z31
	VSHUFF64X2 $0x88, Z26, Z24, Z8
	VSHUFF64X2 $0xDD, Z26, Z24, Z9
	VSHUFF64X2 $0x88, Z27, Z25, Z10
	VSHUFF64X2 $0xDD, Z27, Z25, Z11
	VSHUFF64X2 $0x88, Z30, Z28, Z12
	VSHUFF64X2 $0xDD, Z30, Z28, Z13
	VSHUFF64X2 $0x88, Z31, Z29, Z14
	VSHUFF64X2 $0xDD, Z31, Z29, Z15
	VSHUFF64X2 $0x88, Z12, Z8, Z24
	VSHUFF64X2 $0xDD, Z12, Z8, Z25
	VSHUFF64X2 $0x88, Z13, Z9, Z26
	VSHUFF64X2 $0xDD, Z13, Z9, Z27
	VSHUFF64X2 $0x88, Z14, Z10, Z28
	VSHUFF64X2 $0xDD, Z14, Z10, Z29
	VSHUFF64X2 $0x88, Z15, Z11, Z30
	VSHUFF64X2 $0xDD, Z15, Z11, Z31
	VMOVUPD Z16, 0(DI)
	VMOVUPD Z24, 64(DI)
	VMOVUPD Z20, 128(DI)
	VMOVUPD Z28, 192(DI)
	VMOVUPD Z18, 256(DI)
	VMOVUPD Z26, 320(DI)
	VMOVUPD Z22, 384(DI)
	VMOVUPD Z30, 448(DI)
	VMOVUPD Z17, 512(DI)
	VMOVUPD Z25, 576(DI)
	VMOVUPD Z21, 640(DI)
	VMOVUPD Z29, 704(DI)
	VMOVUPD Z19, 768(DI)
	VMOVUPD Z27, 832(DI)
	VMOVUPD Z23, 896(DI)
	VMOVUPD Z31, 960(DI)
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $1024, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// The packer of B copies rows (float64 too: packBRowsAVX512F64 hands it
// the same bytes): each row of a micro-panel is one zmm (16 float32 or 8
// float64), so row p of the block is loaded a vector at a time and stored
// into its panel, panel elements apart; the last, partial panel
// is loaded under the mask of its columns with the rest zeroed. It goes
// 8 rows at a time, across the panels: 8 lines of a panel stored in a row,
// each row read in order. Row by row, the stores of a row were panel
// elements apart (a multiple of 4 KiB when kc is a multiple of 64) and
// fought over one L1 set; a panel at a time down all the rows, the loads
// were ldb apart and the prefetchers lost them. BenchmarkAVX512Pack/rows,
// row by row against 8 rows at a time (two runs each): 256×256 5.7-6.4 →
// 12.1-12.3 G elements/s, 64×784 6.2-6.4 → 11.6-13.4, 1024×1024 5.0-5.4
// → 6.8-7.2.
// COPY8 copies row R12 and the 7 below it (DX = ldb, R11 = 3·ldb, in
// bytes), 64 bytes each under the load mask K (zeroing the lanes it
// leaves out), to the 8 rows of the micro-panel at R13. Clobbers BX,
// Z0–Z7.
#define COPY8(K) \
	LEAQ (R12)(DX*4), BX; \
	VMOVUPS.Z (R12), K, Z0; \
	VMOVUPS.Z (R12)(DX*1), K, Z1; \
	VMOVUPS.Z (R12)(DX*2), K, Z2; \
	VMOVUPS.Z (R12)(R11*1), K, Z3; \
	VMOVUPS.Z (BX), K, Z4; \
	VMOVUPS.Z (BX)(DX*1), K, Z5; \
	VMOVUPS.Z (BX)(DX*2), K, Z6; \
	VMOVUPS.Z (BX)(R11*1), K, Z7; \
	VMOVUPS Z0, (R13); \
	VMOVUPS Z1, 64(R13); \
	VMOVUPS Z2, 128(R13); \
	VMOVUPS Z3, 192(R13); \
	VMOVUPS Z4, 256(R13); \
	VMOVUPS Z5, 320(R13); \
	VMOVUPS Z6, 384(R13); \
	VMOVUPS Z7, 448(R13)

// func packBRowsAVX512F32(dst, b []float32, ldb, rows, nb, panel int)
TEXT ·packBRowsAVX512F32(SB), NOSPLIT, $0-80
	// R9 = the whole panels, K1 = the columns of the partial one, K2
	// all 16; DX, R11 = ldb, 3·ldb and R8 = panel, in bytes.
	MOVQ dst_base+0(FP), DI
	MOVQ b_base+24(FP), SI
	MOVQ ldb+48(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R11
	MOVQ panel+72(FP), R8
	SHLQ $2, R8
	MOVQ nb+64(FP), CX
	MOVQ CX, R9
	SHRQ $4, R9
	ANDQ $15, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	KXNORW K2, K2, K2
	MOVQ rows+56(FP), R10

	// Groups of 8 rows, a panel at a time.
group:
	CMPQ R10, $8
	JB   rows
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R9, AX
	TESTQ AX, AX
	JZ   gpartial

gpanel:
	COPY8(K2)
	ADDQ $64, R12
	ADDQ R8, R13
	DECQ AX
	JNZ  gpanel

gpartial:
	KORTESTW K1, K1
	JZ   gnext
	COPY8(K1)

gnext:
	LEAQ (SI)(DX*8), SI
	ADDQ $512, DI
	SUBQ $8, R10
	JMP  group

	// The last rows (fewer than 8), one at a time across the panels.
rows:
	TESTQ R10, R10
	JZ   done

row:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R9, R13
	CMPQ R13, $4
	JB   one

four:
	VMOVUPS (R11), Z0
	VMOVUPS 64(R11), Z1
	VMOVUPS 128(R11), Z2
	VMOVUPS 192(R11), Z3
	VMOVUPS Z0, (R12)
	ADDQ R8, R12
	VMOVUPS Z1, (R12)
	ADDQ R8, R12
	VMOVUPS Z2, (R12)
	ADDQ R8, R12
	VMOVUPS Z3, (R12)
	ADDQ R8, R12
	ADDQ $256, R11
	SUBQ $4, R13
	CMPQ R13, $4
	JAE  four

one:
	TESTQ R13, R13
	JZ   partial
	VMOVUPS (R11), Z0
	VMOVUPS Z0, (R12)
	ADDQ R8, R12
	ADDQ $64, R11
	DECQ R13
	JMP  one

partial:
	KORTESTW K1, K1
	JZ   next
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS Z0, (R12)

next:
	ADDQ DX, SI
	ADDQ $64, DI
	DECQ R10
	JNZ  row

done:
	VZEROUPPER
	RET

// func fmaPeakAVX512(n int)
//
// The FMA peak, for the benchmarks to state speeds as a fraction of it: n
// iterations of 12 independent register-only VFMADD231PS (12·32 flops
// each), enough chains to cover the FMA latency.
TEXT ·fmaPeakAVX512(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	TESTQ CX, CX
	JZ   done
	PCALIGN $32

loop:
	VFMADD231PS Z12, Z13, Z0
	VFMADD231PS Z12, Z13, Z1
	VFMADD231PS Z12, Z13, Z2
	VFMADD231PS Z12, Z13, Z3
	VFMADD231PS Z12, Z13, Z4
	VFMADD231PS Z12, Z13, Z5
	VFMADD231PS Z12, Z13, Z6
	VFMADD231PS Z12, Z13, Z7
	VFMADD231PS Z12, Z13, Z8
	VFMADD231PS Z12, Z13, Z9
	VFMADD231PS Z12, Z13, Z10
	VFMADD231PS Z12, Z13, Z11
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
