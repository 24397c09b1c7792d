//go:build arm64 && gc && !purego

#include "textflag.h"

// The NEON register tiles of the packed GEMM (gemm.go): 12×8 for float32,
// 6×8 for float64, and the vector loops of the rows route (axpy, dot). The
// Go each function replaces is on its stub in gemm_neon_arm64.go; the
// wrappers there cut every slice to the exact extent the function reads or
// writes, so nothing here checks a bound. One call is one tile (kc ≤ 512
// steps) or one bounded chunk of a vector, since assembly cannot be
// preempted.
//
// Registers of the tiles. R0 walks the packed micro-panel of A, R1 that of
// B, R2 and R3 count the k steps. V0-V23 are the 24 accumulators, one
// 128-bit register per 4 float32 or 2 float64 of a row of the tile:
//
//	float32 12×8: row i is V(2i) (columns 0-3) and V(2i+1) (4-7);
//	              per step A (12 values) is in V24-V26, B (8) in V28-V29
//	float64 6×8:  row i is V(4i) … V(4i+3) (columns 0-1, 2-3, 4-5, 6-7);
//	              per step A (6 values) is in V24-V26, B (8) in V27-V30
//
// and each FMA multiplies a vector of B by one lane of A (FMLA by element),
// so A needs no broadcast and no extra register per row.
//
// Instruction mix per k step (BLIS's armv8a kernels count the same way):
//
//	float32 12×8: 2 loads (LD1 of 3 and of 2 q registers: 48 + 32 bytes),
//	              24 FMLA (4S by element) = 26 instructions, FMA share
//	              24/26 = 92% (90.6% counting the loop's SUBS and BNE,
//	              one pair per 4 steps); 192 flops per step.
//	float64 6×8:  2 loads (LD1 of 3 and of 4 q registers: 48 + 64 bytes),
//	              24 FMLA (2D by element) = 26 instructions, FMA share
//	              24/26 = 92% (90.6% with the loop); 96 flops per step.
//
// 24 independent accumulators cover 2 FMA pipes × 4 cycles of latency
// (Neoverse N1, Cortex-A7x) three times over, and 4 pipes × 4 cycles
// (Neoverse V1/V2, Apple) with 8 to spare; the loads of the next step go
// to the same architectural registers, which renaming on out-of-order
// cores makes free (the registers left, 3 for float32 and 1 for float64,
// would not hold a second A and B). The k loop is unrolled by 4.
//
// The epilogues, per row of 8 elements: the GEMM's 6 instructions for
// float32 and 8 for float64 (load C, 2 or 4 FADD, store, the row count's
// SUBS and BEQ); the forward pass's 21 for float32 (load C, 4 FADD, store
// Z, 2 FCMLT, 7 to make and store the mask byte: 2 UZP1, AND, ADDV, UMOV,
// EOR, STRB; 2 BIT, store R, the mask pointer's ADD, the row count) and
// 32 for float64 (the bias loaded again, 8 FADD, 4 FCMLT, 4 UZP1, 4 BIT):
// with 12 (6) rows, about the cost of 10 (7) k steps, on the last K panel
// only.
//
// Go's assembler lacks the vector FP arithmetic and compares used here,
// so they are WORDs (encodings from the Arm ARM, A64 "Advanced SIMD"):
//
//	FMLA Vd.4S, Vn.4S, Vm.S[i] = 0x4F801000 | L<<21 | m<<16 | H<<11 | n<<5 | d, i = H:L
//	FMLA Vd.2D, Vn.2D, Vm.D[i] = 0x4FC01000 | m<<16 | i<<11 | n<<5 | d
//	FADD Vd.4S, Vn.4S, Vm.4S   = 0x4E20D400 | m<<16 | n<<5 | d
//	FADD Vd.2D, Vn.2D, Vm.2D   = 0x4E60D400 | m<<16 | n<<5 | d
//	FCMLT Vd.4S, Vn.4S, #0.0   = 0x4EA0E800 | n<<5 | d   (as elementwise_arm64.s)
//	FCMLT Vd.2D, Vn.2D, #0.0   = 0x4EE0E800 | n<<5 | d
//
// Verified by assembling the GNU spelling of each with aarch64-linux-gnu-as
// (GNU Binutils 2.40) and comparing with aarch64-linux-gnu-objdump
// ("fmla v0.4s, v1.4s, v2.s[0]" is 4f821020, "fmla v23.4s, v29.4s,
// v26.s[3]" is 4fba1bb7, "fmla v0.2d, v27.2d, v24.d[0]" is 4fd81360,
// "fmla v23.2d, v30.2d, v26.d[1]" is 4fda1bd7, "fadd v0.4s, v0.4s,
// v24.4s" is 4e38d400, "fadd v0.2d, v0.2d, v24.2d" is 4e78d400), and by
// disassembling the linked arm64 test binary with aarch64-linux-gnu-objdump,
// which shows every WORD of this file as the intended instruction.
#define FMLA_S4(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define FMLA_D2(d, n, m, i) WORD $(0x4FC01000 | ((m)<<16) | ((i)<<11) | ((n)<<5) | (d))
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FADD_2D(d, n, m) WORD $(0x4E60D400 | ((m)<<16) | ((n)<<5) | (d))
#define FCMLT_4S(d, n) WORD $(0x4EA0E800 | ((n)<<5) | (d))
#define FCMLT_2D(d, n) WORD $(0x4EE0E800 | ((n)<<5) | (d))

// The epilogues, row by row (rows past the stub's m are neither read nor
// written: the wrapper runs edge tiles of fewer rows here too), in the
// order of tile.finish (gemm.go): v = AB + C, v += bias, Z = v, the mask
// bits [v ≥ 0], R = ReLU(v). The wrapper makes the optional parts
// unconditional, so that a row has no branch but its count:
//
//   - β = 0: C is a row of −0 with row stride 0 (the wrapper's), and
//     v = AB + (−0) is AB bit for bit (−0 stays −0, +0 + −0 = +0, a NaN
//     keeps its payload; AB is never a signalling NaN: FMLA quiets
//     them, and a product of no steps is +0), so C is not read;
//   - no bias: the bias is −0, for the same reason;
//   - no Z: Z is a scratch row of the wrapper with row stride 0;
//   - no mask: the bits go to a scratch word, with row stride 0.
//
// FADD takes the accumulator as its first operand (Vn) and C or the bias
// as its second, the order of Go's v += c: when both are NaN, Arm returns
// the first one's payload, as tile.finish compiled for arm64 does.
//
// Every output element is a copy, a compare or a select of v (design
// brief §2, and elementwise_arm64.s): the mask bit and the ReLU both
// come from FCMLT v < 0 (false for NaN and −0); the mask bit is its
// complement, and R is BIT with +0 where v < 0, so NaN and −0 pass
// through bit for bit. FMAX is not used: FMAX(−0, +0) is +0 and it
// quiets signalling NaNs.
//
// A row's 8 mask bits (nr = 8 for both types) are one byte of the mask
// word, at byte (col%64)/8 since col is a multiple of 8: a byte store
// leaves the other tiles' bits of the word alone without reading it. The
// row's lane masks are narrowed to 8 bytes in column order (UZP1 keeps
// the low half of each lane: all bits of a lane are equal), ANDed with
// byteBits (byte j = 1<<j) and summed across (ADDV: the bits are
// distinct, so the sum is their OR), then inverted to [v ≥ 0].
//
// Registers of the epilogues: R4 C (post-incremented by its row stride
// in bytes, R5), R6 R (R7), R8 the rows left, R9 the bias, R10 Z (R11),
// R12 the mask byte (R13), R14 scratch; V24-V29 scratch, V30 byteBits,
// V31 +0. Operand order in Go's syntax: VBIT Vm, Vn, Vd is BIT Vd, Vn, Vm
// (where a bit of Vm is 1, Vd takes the bit of Vn); VUZP1 Vm, Vn, Vd puts
// Vn's part in the low half.

// ---- shared pieces -----------------------------------------------------------

#define ZERO24 \
	VEOR V0.B16, V0.B16, V0.B16; \
	VEOR V1.B16, V1.B16, V1.B16; \
	VEOR V2.B16, V2.B16, V2.B16; \
	VEOR V3.B16, V3.B16, V3.B16; \
	VEOR V4.B16, V4.B16, V4.B16; \
	VEOR V5.B16, V5.B16, V5.B16; \
	VEOR V6.B16, V6.B16, V6.B16; \
	VEOR V7.B16, V7.B16, V7.B16; \
	VEOR V8.B16, V8.B16, V8.B16; \
	VEOR V9.B16, V9.B16, V9.B16; \
	VEOR V10.B16, V10.B16, V10.B16; \
	VEOR V11.B16, V11.B16, V11.B16; \
	VEOR V12.B16, V12.B16, V12.B16; \
	VEOR V13.B16, V13.B16, V13.B16; \
	VEOR V14.B16, V14.B16, V14.B16; \
	VEOR V15.B16, V15.B16, V15.B16; \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VEOR V20.B16, V20.B16, V20.B16; \
	VEOR V21.B16, V21.B16, V21.B16; \
	VEOR V22.B16, V22.B16, V22.B16; \
	VEOR V23.B16, V23.B16, V23.B16

// KLOOP runs STEP kc (R2) times, 4 at a time then one at a time, after
// zeroing the accumulators. It has labels, so it appears once per
// function.
#define KLOOP(STEP) \
	ZERO24; \
	LSR  $2, R2, R3; \
	AND  $3, R2, R2; \
	CBZ  R3, tail; \
loop4: \
	STEP; \
	STEP; \
	STEP; \
	STEP; \
	SUBS $1, R3, R3; \
	BNE  loop4; \
tail: \
	CBZ  R2, kdone; \
loop1: \
	STEP; \
	SUBS $1, R2, R2; \
	BNE  loop1; \
kdone:

// PREFETCH asks for the m (R8) output rows at R6 (stride R7, for a store)
// and the rows of C at R4 (stride R5) while the k loop runs, so that the
// epilogue does not wait for them: the first and the last byte of each row
// (of LAST+1 bytes), in case it straddles two cache lines. It has labels.
#define PREFETCH(LAST) \
	MOVD R8, R14; \
	MOVD R6, R15; \
	MOVD R4, R16; \
prefetch: \
	ADD  $LAST, R15, R17; \
	PRFM (R15), PSTL1KEEP; \
	PRFM (R17), PSTL1KEEP; \
	ADD  $LAST, R16, R17; \
	PRFM (R16), PLDL1KEEP; \
	PRFM (R17), PLDL1KEEP; \
	ADD  R7, R15, R15; \
	ADD  R5, R16, R16; \
	SUBS $1, R14, R14; \
	BNE  prefetch

// NEXT ends a row other than the last: done when it was row m−1.
#define NEXT \
	SUBS $1, R8, R8; \
	BEQ  done

// ---- float32, 12×8 -------------------------------------------------------------

// STEP32 is one k step: B's 8 values, A's 12, and the 24 FMAs, row i
// taking lane i%4 of V(24+i/4).
#define STEP32 \
	VLD1.P 32(R1), [V28.S4, V29.S4]; \
	VLD1.P 48(R0), [V24.S4, V25.S4, V26.S4]; \
	FMLA_S4(0, 28, 24, 0); \
	FMLA_S4(1, 29, 24, 0); \
	FMLA_S4(2, 28, 24, 1); \
	FMLA_S4(3, 29, 24, 1); \
	FMLA_S4(4, 28, 24, 2); \
	FMLA_S4(5, 29, 24, 2); \
	FMLA_S4(6, 28, 24, 3); \
	FMLA_S4(7, 29, 24, 3); \
	FMLA_S4(8, 28, 25, 0); \
	FMLA_S4(9, 29, 25, 0); \
	FMLA_S4(10, 28, 25, 1); \
	FMLA_S4(11, 29, 25, 1); \
	FMLA_S4(12, 28, 25, 2); \
	FMLA_S4(13, 29, 25, 2); \
	FMLA_S4(14, 28, 25, 3); \
	FMLA_S4(15, 29, 25, 3); \
	FMLA_S4(16, 28, 26, 0); \
	FMLA_S4(17, 29, 26, 0); \
	FMLA_S4(18, 28, 26, 1); \
	FMLA_S4(19, 29, 26, 1); \
	FMLA_S4(20, 28, 26, 2); \
	FMLA_S4(21, 29, 26, 2); \
	FMLA_S4(22, 28, 26, 3); \
	FMLA_S4(23, 29, 26, 3)

// GROW32 is a row of the GEMM epilogue: R = AB + C.
#define GROW32(V0, V1, n0, n1) \
	VLD1.P (R4)(R5), [V24.S4, V25.S4]; \
	FADD_4S(n0, n0, 24); \
	FADD_4S(n1, n1, 25); \
	VST1.P [V0.S4, V1.S4], (R6)(R7)

// FROW32 is a row of the forward epilogue (see the top), bias in V26:V27.
#define FROW32(V0, V1, n0, n1) \
	VLD1.P (R4)(R5), [V24.S4, V25.S4]; \
	FADD_4S(n0, n0, 24); \
	FADD_4S(n1, n1, 25); \
	FADD_4S(n0, n0, 26); \
	FADD_4S(n1, n1, 27); \
	VST1.P [V0.S4, V1.S4], (R10)(R11); \
	FCMLT_4S(24, n0); \
	FCMLT_4S(25, n1); \
	VUZP1  V25.H8, V24.H8, V28.H8; \
	VUZP1  V28.B16, V28.B16, V28.B16; \
	VAND   V30.B16, V28.B16, V28.B16; \
	VADDV  V28.B8, V28; \
	VMOV   V28.B[0], R14; \
	EOR    $0xff, R14, R14; \
	MOVB   R14, (R12); \
	ADD    R13, R12, R12; \
	VBIT   V24.B16, V31.B16, V0.B16; \
	VBIT   V25.B16, V31.B16, V1.B16; \
	VST1.P [V0.S4, V1.S4], (R6)(R7)

#define ROWS32(ROW) \
	ROW(V0, V1, 0, 1); NEXT; \
	ROW(V2, V3, 2, 3); NEXT; \
	ROW(V4, V5, 4, 5); NEXT; \
	ROW(V6, V7, 6, 7); NEXT; \
	ROW(V8, V9, 8, 9); NEXT; \
	ROW(V10, V11, 10, 11); NEXT; \
	ROW(V12, V13, 12, 13); NEXT; \
	ROW(V14, V15, 14, 15); NEXT; \
	ROW(V16, V17, 16, 17); NEXT; \
	ROW(V18, V19, 18, 19); NEXT; \
	ROW(V20, V21, 20, 21); NEXT; \
	ROW(V22, V23, 22, 23)

// func tileNEONF32(a, b []float32, kc int, cin []float32, ldcin int, r []float32, ldr, m int)
TEXT ·tileNEONF32(SB), NOSPLIT, $0-128
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD kc+48(FP), R2
	MOVD cin_base+56(FP), R4
	MOVD ldcin+80(FP), R5
	LSL  $2, R5, R5
	MOVD r_base+88(FP), R6
	MOVD ldr+112(FP), R7
	LSL  $2, R7, R7
	MOVD m+120(FP), R8
	PREFETCH(31)
	KLOOP(STEP32)
	ROWS32(GROW32)

done:
	RET

// func tileFwdNEONF32(a, b []float32, kc int, cin []float32, ldcin int, bias, z []float32, ldz int, r []float32, ldr int, bits []uint64, stride, shift, m int)
TEXT ·tileFwdNEONF32(SB), NOSPLIT, $0-224
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD kc+48(FP), R2
	MOVD cin_base+56(FP), R4
	MOVD ldcin+80(FP), R5
	LSL  $2, R5, R5
	MOVD r_base+144(FP), R6
	MOVD ldr+168(FP), R7
	LSL  $2, R7, R7
	MOVD m+216(FP), R8
	PREFETCH(31)
	KLOOP(STEP32)

	MOVD bias_base+88(FP), R9
	VLD1 (R9), [V26.S4, V27.S4]
	MOVD z_base+112(FP), R10
	MOVD ldz+136(FP), R11
	LSL  $2, R11, R11
	MOVD bits_base+176(FP), R12
	MOVD shift+208(FP), R14
	ADD  R14, R12, R12
	MOVD stride+200(FP), R13
	LSL  $3, R13, R13
	VMOVD $0x8040201008040201, V30
	VEOR  V31.B16, V31.B16, V31.B16
	ROWS32(FROW32)

done:
	RET

// ---- float64, 6×8 --------------------------------------------------------------

// STEP64 is one k step: B's 8 values, A's 6, and the 24 FMAs, row i
// taking lane i%2 of V(24+i/2).
#define STEP64 \
	VLD1.P 64(R1), [V27.D2, V28.D2, V29.D2, V30.D2]; \
	VLD1.P 48(R0), [V24.D2, V25.D2, V26.D2]; \
	FMLA_D2(0, 27, 24, 0); \
	FMLA_D2(1, 28, 24, 0); \
	FMLA_D2(2, 29, 24, 0); \
	FMLA_D2(3, 30, 24, 0); \
	FMLA_D2(4, 27, 24, 1); \
	FMLA_D2(5, 28, 24, 1); \
	FMLA_D2(6, 29, 24, 1); \
	FMLA_D2(7, 30, 24, 1); \
	FMLA_D2(8, 27, 25, 0); \
	FMLA_D2(9, 28, 25, 0); \
	FMLA_D2(10, 29, 25, 0); \
	FMLA_D2(11, 30, 25, 0); \
	FMLA_D2(12, 27, 25, 1); \
	FMLA_D2(13, 28, 25, 1); \
	FMLA_D2(14, 29, 25, 1); \
	FMLA_D2(15, 30, 25, 1); \
	FMLA_D2(16, 27, 26, 0); \
	FMLA_D2(17, 28, 26, 0); \
	FMLA_D2(18, 29, 26, 0); \
	FMLA_D2(19, 30, 26, 0); \
	FMLA_D2(20, 27, 26, 1); \
	FMLA_D2(21, 28, 26, 1); \
	FMLA_D2(22, 29, 26, 1); \
	FMLA_D2(23, 30, 26, 1)

// GROW64 is a row of the GEMM epilogue: R = AB + C.
#define GROW64(V0, V1, V2, V3, n) \
	VLD1.P (R4)(R5), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FADD_2D(n, n, 24); \
	FADD_2D(n+1, n+1, 25); \
	FADD_2D(n+2, n+2, 26); \
	FADD_2D(n+3, n+3, 27); \
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], (R6)(R7)

// FROW64 is a row of the forward epilogue (see the top). The bias takes
// four registers: it is loaded again for each row (from L1) rather than
// kept, which leaves V24-V29 for the row.
#define FROW64(V0, V1, V2, V3, n) \
	VLD1.P (R4)(R5), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FADD_2D(n, n, 24); \
	FADD_2D(n+1, n+1, 25); \
	FADD_2D(n+2, n+2, 26); \
	FADD_2D(n+3, n+3, 27); \
	VLD1   (R9), [V24.D2, V25.D2, V26.D2, V27.D2]; \
	FADD_2D(n, n, 24); \
	FADD_2D(n+1, n+1, 25); \
	FADD_2D(n+2, n+2, 26); \
	FADD_2D(n+3, n+3, 27); \
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], (R10)(R11); \
	FCMLT_2D(24, n); \
	FCMLT_2D(25, n+1); \
	FCMLT_2D(26, n+2); \
	FCMLT_2D(27, n+3); \
	VUZP1  V25.S4, V24.S4, V28.S4; \
	VUZP1  V27.S4, V26.S4, V29.S4; \
	VUZP1  V29.H8, V28.H8, V28.H8; \
	VUZP1  V28.B16, V28.B16, V28.B16; \
	VAND   V30.B16, V28.B16, V28.B16; \
	VADDV  V28.B8, V28; \
	VMOV   V28.B[0], R14; \
	EOR    $0xff, R14, R14; \
	MOVB   R14, (R12); \
	ADD    R13, R12, R12; \
	VBIT   V24.B16, V31.B16, V0.B16; \
	VBIT   V25.B16, V31.B16, V1.B16; \
	VBIT   V26.B16, V31.B16, V2.B16; \
	VBIT   V27.B16, V31.B16, V3.B16; \
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], (R6)(R7)

#define ROWS64(ROW) \
	ROW(V0, V1, V2, V3, 0); NEXT; \
	ROW(V4, V5, V6, V7, 4); NEXT; \
	ROW(V8, V9, V10, V11, 8); NEXT; \
	ROW(V12, V13, V14, V15, 12); NEXT; \
	ROW(V16, V17, V18, V19, 16); NEXT; \
	ROW(V20, V21, V22, V23, 20)

// func tileNEONF64(a, b []float64, kc int, cin []float64, ldcin int, r []float64, ldr, m int)
TEXT ·tileNEONF64(SB), NOSPLIT, $0-128
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD kc+48(FP), R2
	MOVD cin_base+56(FP), R4
	MOVD ldcin+80(FP), R5
	LSL  $3, R5, R5
	MOVD r_base+88(FP), R6
	MOVD ldr+112(FP), R7
	LSL  $3, R7, R7
	MOVD m+120(FP), R8
	PREFETCH(63)
	KLOOP(STEP64)
	ROWS64(GROW64)

done:
	RET

// func tileFwdNEONF64(a, b []float64, kc int, cin []float64, ldcin int, bias, z []float64, ldz int, r []float64, ldr int, bits []uint64, stride, shift, m int)
TEXT ·tileFwdNEONF64(SB), NOSPLIT, $0-224
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD kc+48(FP), R2
	MOVD cin_base+56(FP), R4
	MOVD ldcin+80(FP), R5
	LSL  $3, R5, R5
	MOVD r_base+144(FP), R6
	MOVD ldr+168(FP), R7
	LSL  $3, R7, R7
	MOVD m+216(FP), R8
	PREFETCH(63)
	KLOOP(STEP64)

	MOVD bias_base+88(FP), R9
	MOVD z_base+112(FP), R10
	MOVD ldz+136(FP), R11
	LSL  $3, R11, R11
	MOVD bits_base+176(FP), R12
	MOVD shift+208(FP), R14
	ADD  R14, R12, R12
	MOVD stride+200(FP), R13
	LSL  $3, R13, R13
	VMOVD $0x8040201008040201, V30
	VEOR  V31.B16, V31.B16, V31.B16
	ROWS64(FROW64)

done:
	RET

// ---- the rows route: axpy and dot ------------------------------------------------

// func axpyNEON32(dst, x []float32, alpha float32)
TEXT ·axpyNEON32(SB), NOSPLIT, $0-52
	MOVD  dst_base+0(FP), R0
	MOVD  x_base+24(FP), R1
	MOVD  x_len+32(FP), R2
	FMOVS alpha+48(FP), F16
	VDUP  V16.S[0], V16.S4
	CBZ   R2, axpy32done

axpy32loop:
	// dst is read before it is written, 16 elements at a time: dst may be x.
	VLD1   (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V16.S4, V4.S4, V0.S4 // dst += x·alpha, one rounding
	VFMLA  V16.S4, V5.S4, V1.S4
	VFMLA  V16.S4, V6.S4, V2.S4
	VFMLA  V16.S4, V7.S4, V3.S4
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $16, R2, R2
	BNE    axpy32loop

axpy32done:
	RET

// func axpyNEON64(dst, x []float64, alpha float64)
TEXT ·axpyNEON64(SB), NOSPLIT, $0-56
	MOVD  dst_base+0(FP), R0
	MOVD  x_base+24(FP), R1
	MOVD  x_len+32(FP), R2
	FMOVD alpha+48(FP), F16
	VDUP  V16.D[0], V16.D2
	CBZ   R2, axpy64done

axpy64loop:
	VLD1   (R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P 64(R1), [V4.D2, V5.D2, V6.D2, V7.D2]
	VFMLA  V16.D2, V4.D2, V0.D2
	VFMLA  V16.D2, V5.D2, V1.D2
	VFMLA  V16.D2, V6.D2, V2.D2
	VFMLA  V16.D2, V7.D2, V3.D2
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R0)
	SUBS   $8, R2, R2
	BNE    axpy64loop

axpy64done:
	RET

// func dotNEON32(acc, x, y []float32)
TEXT ·dotNEON32(SB), NOSPLIT, $0-72
	MOVD acc_base+0(FP), R3
	MOVD x_base+24(FP), R0
	MOVD x_len+32(FP), R2
	MOVD y_base+48(FP), R1
	VLD1 (R3), [V0.S4, V1.S4, V2.S4, V3.S4]
	CBZ  R2, dot32done

dot32loop:
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VFMLA  V8.S4, V4.S4, V0.S4 // lane l of acc[v] += x[16i+4v+l]·y[16i+4v+l]
	VFMLA  V9.S4, V5.S4, V1.S4
	VFMLA  V10.S4, V6.S4, V2.S4
	VFMLA  V11.S4, V7.S4, V3.S4
	SUBS   $16, R2, R2
	BNE    dot32loop

dot32done:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R3)
	RET

// func dotNEON64(acc, x, y []float64)
TEXT ·dotNEON64(SB), NOSPLIT, $0-72
	MOVD acc_base+0(FP), R3
	MOVD x_base+24(FP), R0
	MOVD x_len+32(FP), R2
	MOVD y_base+48(FP), R1
	VLD1 (R3), [V0.D2, V1.D2, V2.D2, V3.D2]
	CBZ  R2, dot64done

dot64loop:
	VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1.P 64(R1), [V8.D2, V9.D2, V10.D2, V11.D2]
	VFMLA  V8.D2, V4.D2, V0.D2
	VFMLA  V9.D2, V5.D2, V1.D2
	VFMLA  V10.D2, V6.D2, V2.D2
	VFMLA  V11.D2, V7.D2, V3.D2
	SUBS   $8, R2, R2
	BNE    dot64loop

dot64done:
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R3)
	RET
