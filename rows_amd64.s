//go:build amd64 && gc && !purego

#include "textflag.h"

// The vector loops of the rows route: axpy, axpy4 and dot, AVX-512 (zmm,
// K registers) and AVX2+FMA (ymm). The Go each function replaces is on its
// stub in rows_amd64.go; the wrappers there cut every slice to the length
// the function reads or writes and bound the length of one call.
//
// Registers: DI dst (or y of dot), SI x (x0 of axpy4), R8 R9 R10 x1 x2 x3,
// AX the byte offset of the current vector in every slice (one index
// register for all the slices, so the loop advances one register),
// BX the end of a loop in bytes, CX the length (elements, then bytes),
// Z0/Y0 alpha (Z0-Z3/Y0-Y3 a0-a3 for axpy4) or dot's first partial sums,
// K1/Y15 the lane mask of a tail, and for axpy and axpy4 the keep mask
// (Z5/Y5 for axpy, Z6/Y9 for axpy4): keep, all ones or all zeros in each
// lane, ANDed into every vector of dst as it is loaded, so that keep = 0
// takes dst as +0s (clear(dst) first, bit for bit) in the same single
// pass over dst: a chain of axpy calls into a fresh row does not need a
// pass of its own to clear it.
//
// Loops are counted in bytes: the length in elements shifted by the
// element size (SH: 2 for float32, 3 for float64), so that one macro
// serves both types: a zmm is 64 bytes (16 or 8 elements), a ymm 32.
//
// The main loops take 4 vectors an iteration (axpy4: 2 vectors of 4
// FMAs): independent chains of FMAs in flight (FMA latency 4 on Zen 4),
// and a fraction of the loop overhead; then single whole vectors, then
// the tail of less than a vector under a lane mask (see rows_amd64.go for
// why the tail is not left to Go). Loads and stores are unaligned (VMOVUPS): a slice of float32
// is only 4-byte aligned. The FMAs read x from memory (VFMADD231 with a
// memory operand: one instruction, no register for x). Every function
// ends with VZEROUPPER, as functions that leave the upper halves of the
// vector registers dirty must (SSE code after them would stall).
//
// Go writes VFMADD231PS m, b, acc for Intel's VFMADD231PS acc, b, m:
// acc = b·m + acc, rounded once.

// rowsTailMask is 32 bytes of ones, then 32 of zeros: the 32 bytes at
// rowsTailMask+32−t have ones in their first t bytes, the lane mask of
// the first t bytes of a ymm (VMASKMOVPS/PD read the top bit of each
// 32- or 64-bit lane), for the t < 32 bytes of a partial vector.
DATA	rowsTailMask<>+0(SB)/8, $-1
DATA	rowsTailMask<>+8(SB)/8, $-1
DATA	rowsTailMask<>+16(SB)/8, $-1
DATA	rowsTailMask<>+24(SB)/8, $-1
DATA	rowsTailMask<>+32(SB)/8, $0
DATA	rowsTailMask<>+40(SB)/8, $0
DATA	rowsTailMask<>+48(SB)/8, $0
DATA	rowsTailMask<>+56(SB)/8, $0
GLOBL	rowsTailMask<>(SB), RODATA|NOPTR, $64

// TAILMASK2 loads into Y15 the lane mask of the CX < 32 bytes of a
// partial ymm. VMASKMOVPS/PD loads read only the lanes of the mask and
// give 0 in the others; their stores write only the lanes of the mask;
// neither faults on the masked-off lanes. (Their stores are slow on AMD,
// tens of cycles: one per call.)
#define TAILMASK2 \
	LEAQ	rowsTailMask<>+32(SB), R11; \
	SUBQ	CX, R11; \
	VMOVDQU	(R11), Y15

// ---- axpy -------------------------------------------------------------

// AXPY512 is the body of axpyAsmAVX512F32/F64 once alpha is broadcast to
// Z0 and keep to Z5: dst[i] = fma(alpha, x[i], dst[i]&keep) for the CX
// elements at DI and SI.
// Its tail, the last partial vector, is done under the mask K1 of its
// lanes: the masked-off lanes are neither read (the zeroing load, the
// FMA's memory operand: no fault past the slices) nor written (the
// masked store).
#define AXPY512(VMOV, VFMA, SH) \
	SHLQ	$SH, CX; \
	XORL	AX, AX; \
	MOVQ	CX, BX; \
	ANDQ	$~255, BX; \ // BX = the bytes in blocks of 4 vectors
	JZ	one; \
loop4: \
	VMOV	(DI)(AX*1), Z1; \
	VMOV	64(DI)(AX*1), Z2; \
	VMOV	128(DI)(AX*1), Z3; \
	VMOV	192(DI)(AX*1), Z4; \
	VPANDD	Z5, Z1, Z1; \
	VPANDD	Z5, Z2, Z2; \
	VPANDD	Z5, Z3, Z3; \
	VPANDD	Z5, Z4, Z4; \
	VFMA	(SI)(AX*1), Z0, Z1; \
	VFMA	64(SI)(AX*1), Z0, Z2; \
	VFMA	128(SI)(AX*1), Z0, Z3; \
	VFMA	192(SI)(AX*1), Z0, Z4; \
	VMOV	Z1, (DI)(AX*1); \
	VMOV	Z2, 64(DI)(AX*1); \
	VMOV	Z3, 128(DI)(AX*1); \
	VMOV	Z4, 192(DI)(AX*1); \
	ADDQ	$256, AX; \
	CMPQ	AX, BX; \
	JB	loop4; \
one: \
	MOVQ	CX, BX; \
	ANDQ	$~63, BX; \ // the bytes in whole vectors
	CMPQ	AX, BX; \
	JAE	tail; \
loop1: \
	VMOV	(DI)(AX*1), Z1; \
	VPANDD	Z5, Z1, Z1; \
	VFMA	(SI)(AX*1), Z0, Z1; \
	VMOV	Z1, (DI)(AX*1); \
	ADDQ	$64, AX; \
	CMPQ	AX, BX; \
	JB	loop1; \
tail: \
	ANDQ	$63, CX; \ // the bytes of the last, partial vector
	JZ	done; \
	SHRQ	$SH, CX; \ // its elements, 1 … 15 or 7
	MOVL	$1, BX; \
	SHLL	CX, BX; \
	DECL	BX; \ // their lanes: the low CX bits
	KMOVW	BX, K1; \
	VMOV.Z	(DI)(AX*1), K1, Z1; \
	VPANDD	Z5, Z1, Z1; \
	VFMA	(SI)(AX*1), Z0, K1, Z1; \
	VMOV	Z1, K1, (DI)(AX*1); \
done: \
	VZEROUPPER; \
	RET

// func axpyAsmAVX512F32(dst, x []float32, alpha float32, keep int)
TEXT ·axpyAsmAVX512F32(SB), NOSPLIT, $0-64
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	VBROADCASTSS	alpha+48(FP), Z0
	VPBROADCASTQ	keep+56(FP), Z5
	AXPY512(VMOVUPS, VFMADD231PS, 2)

// func axpyAsmAVX512F64(dst, x []float64, alpha float64, keep int)
TEXT ·axpyAsmAVX512F64(SB), NOSPLIT, $0-64
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	VBROADCASTSD	alpha+48(FP), Z0
	VPBROADCASTQ	keep+56(FP), Z5
	AXPY512(VMOVUPD, VFMADD231PD, 3)

// AXPY2 is AXPY512 on ymm (keep in Y5), with the tail under the mask of
// TAILMASK2.
#define AXPY2(VMOV, VFMA, VMASKMOV, SH) \
	SHLQ	$SH, CX; \
	XORL	AX, AX; \
	MOVQ	CX, BX; \
	ANDQ	$~127, BX; \
	JZ	one; \
loop4: \
	VMOV	(DI)(AX*1), Y1; \
	VMOV	32(DI)(AX*1), Y2; \
	VMOV	64(DI)(AX*1), Y3; \
	VMOV	96(DI)(AX*1), Y4; \
	VPAND	Y5, Y1, Y1; \
	VPAND	Y5, Y2, Y2; \
	VPAND	Y5, Y3, Y3; \
	VPAND	Y5, Y4, Y4; \
	VFMA	(SI)(AX*1), Y0, Y1; \
	VFMA	32(SI)(AX*1), Y0, Y2; \
	VFMA	64(SI)(AX*1), Y0, Y3; \
	VFMA	96(SI)(AX*1), Y0, Y4; \
	VMOV	Y1, (DI)(AX*1); \
	VMOV	Y2, 32(DI)(AX*1); \
	VMOV	Y3, 64(DI)(AX*1); \
	VMOV	Y4, 96(DI)(AX*1); \
	ADDQ	$128, AX; \
	CMPQ	AX, BX; \
	JB	loop4; \
one: \
	MOVQ	CX, BX; \
	ANDQ	$~31, BX; \
	CMPQ	AX, BX; \
	JAE	tail; \
loop1: \
	VMOV	(DI)(AX*1), Y1; \
	VPAND	Y5, Y1, Y1; \
	VFMA	(SI)(AX*1), Y0, Y1; \
	VMOV	Y1, (DI)(AX*1); \
	ADDQ	$32, AX; \
	CMPQ	AX, BX; \
	JB	loop1; \
tail: \
	ANDQ	$31, CX; \
	JZ	done; \
	TAILMASK2; \
	VMASKMOV	(DI)(AX*1), Y15, Y1; \
	VMASKMOV	(SI)(AX*1), Y15, Y2; \
	VPAND	Y5, Y1, Y1; \
	VFMA	Y2, Y0, Y1; \
	VMASKMOV	Y1, Y15, (DI)(AX*1); \
done: \
	VZEROUPPER; \
	RET

// func axpyAsmAVX2F32(dst, x []float32, alpha float32, keep int)
TEXT ·axpyAsmAVX2F32(SB), NOSPLIT, $0-64
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	VBROADCASTSS	alpha+48(FP), Y0
	VPBROADCASTQ	keep+56(FP), Y5
	AXPY2(VMOVUPS, VFMADD231PS, VMASKMOVPS, 2)

// func axpyAsmAVX2F64(dst, x []float64, alpha float64, keep int)
TEXT ·axpyAsmAVX2F64(SB), NOSPLIT, $0-64
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	VBROADCASTSD	alpha+48(FP), Y0
	VPBROADCASTQ	keep+56(FP), Y5
	AXPY2(VMOVUPD, VFMADD231PD, VMASKMOVPD, 3)

// ---- axpy4 ------------------------------------------------------------

// AXPY4STEP512 is one vector of axpy4 at byte OFF past AX: dst loaded
// once (and ANDed with keep), the four FMAs in the order of the Go (a0·x0 first), stored once.
// The four FMAs of a vector are a dependent chain; the loop keeps two
// vectors' chains in flight and the processor overlaps iterations.
#define AXPY4STEP512(VMOV, VFMA, OFF, V) \
	VMOV	OFF(DI)(AX*1), V; \
	VPANDD	Z6, V, V; \
	VFMA	OFF(SI)(AX*1), Z0, V; \
	VFMA	OFF(R8)(AX*1), Z1, V; \
	VFMA	OFF(R9)(AX*1), Z2, V; \
	VFMA	OFF(R10)(AX*1), Z3, V; \
	VMOV	V, OFF(DI)(AX*1)

// AXPY4512 is the body of axpy4AsmAVX512F32/F64 once a0 … a3 are
// broadcast to Z0 … Z3 and keep to Z6. Its tail is AXPY512's with the four FMAs.
#define AXPY4512(VMOV, VFMA, SH) \
	SHLQ	$SH, CX; \
	XORL	AX, AX; \
	MOVQ	CX, BX; \
	ANDQ	$~127, BX; \ // the bytes in blocks of 2 vectors
	JZ	one; \
loop2: \
	AXPY4STEP512(VMOV, VFMA, 0, Z4); \
	AXPY4STEP512(VMOV, VFMA, 64, Z5); \
	ADDQ	$128, AX; \
	CMPQ	AX, BX; \
	JB	loop2; \
one: \
	MOVQ	CX, BX; \
	ANDQ	$~63, BX; \
	CMPQ	AX, BX; \
	JAE	tail; \
	AXPY4STEP512(VMOV, VFMA, 0, Z4); \ // at most one whole vector left
	ADDQ	$64, AX; \
tail: \
	ANDQ	$63, CX; \
	JZ	done; \
	SHRQ	$SH, CX; \
	MOVL	$1, BX; \
	SHLL	CX, BX; \
	DECL	BX; \
	KMOVW	BX, K1; \
	VMOV.Z	(DI)(AX*1), K1, Z4; \
	VPANDD	Z6, Z4, Z4; \
	VFMA	(SI)(AX*1), Z0, K1, Z4; \
	VFMA	(R8)(AX*1), Z1, K1, Z4; \
	VFMA	(R9)(AX*1), Z2, K1, Z4; \
	VFMA	(R10)(AX*1), Z3, K1, Z4; \
	VMOV	Z4, K1, (DI)(AX*1); \
done: \
	VZEROUPPER; \
	RET

// func axpy4AsmAVX512F32(dst, x0, x1, x2, x3 []float32, a0, a1, a2, a3 float32, keep int)
TEXT ·axpy4AsmAVX512F32(SB), NOSPLIT, $0-144
	MOVQ	dst_base+0(FP), DI
	MOVQ	dst_len+8(FP), CX
	MOVQ	x0_base+24(FP), SI
	MOVQ	x1_base+48(FP), R8
	MOVQ	x2_base+72(FP), R9
	MOVQ	x3_base+96(FP), R10
	VBROADCASTSS	a0+120(FP), Z0
	VBROADCASTSS	a1+124(FP), Z1
	VBROADCASTSS	a2+128(FP), Z2
	VBROADCASTSS	a3+132(FP), Z3
	VPBROADCASTQ	keep+136(FP), Z6
	AXPY4512(VMOVUPS, VFMADD231PS, 2)

// func axpy4AsmAVX512F64(dst, x0, x1, x2, x3 []float64, a0, a1, a2, a3 float64, keep int)
TEXT ·axpy4AsmAVX512F64(SB), NOSPLIT, $0-160
	MOVQ	dst_base+0(FP), DI
	MOVQ	dst_len+8(FP), CX
	MOVQ	x0_base+24(FP), SI
	MOVQ	x1_base+48(FP), R8
	MOVQ	x2_base+72(FP), R9
	MOVQ	x3_base+96(FP), R10
	VBROADCASTSD	a0+120(FP), Z0
	VBROADCASTSD	a1+128(FP), Z1
	VBROADCASTSD	a2+136(FP), Z2
	VBROADCASTSD	a3+144(FP), Z3
	VPBROADCASTQ	keep+152(FP), Z6
	AXPY4512(VMOVUPD, VFMADD231PD, 3)

// AXPY4STEP2 is AXPY4STEP512 on ymm.
#define AXPY4STEP2(VMOV, VFMA, OFF, V) \
	VMOV	OFF(DI)(AX*1), V; \
	VPAND	Y9, V, V; \
	VFMA	OFF(SI)(AX*1), Y0, V; \
	VFMA	OFF(R8)(AX*1), Y1, V; \
	VFMA	OFF(R9)(AX*1), Y2, V; \
	VFMA	OFF(R10)(AX*1), Y3, V; \
	VMOV	V, OFF(DI)(AX*1)

// AXPY42 is AXPY4512 on ymm (keep in Y9), with AXPY2's masked tail.
#define AXPY42(VMOV, VFMA, VMASKMOV, SH) \
	SHLQ	$SH, CX; \
	XORL	AX, AX; \
	MOVQ	CX, BX; \
	ANDQ	$~63, BX; \
	JZ	one; \
loop2: \
	AXPY4STEP2(VMOV, VFMA, 0, Y4); \
	AXPY4STEP2(VMOV, VFMA, 32, Y5); \
	ADDQ	$64, AX; \
	CMPQ	AX, BX; \
	JB	loop2; \
one: \
	MOVQ	CX, BX; \
	ANDQ	$~31, BX; \
	CMPQ	AX, BX; \
	JAE	tail; \
	AXPY4STEP2(VMOV, VFMA, 0, Y4); \
	ADDQ	$32, AX; \
tail: \
	ANDQ	$31, CX; \
	JZ	done; \
	TAILMASK2; \
	VMASKMOV	(DI)(AX*1), Y15, Y4; \
	VMASKMOV	(SI)(AX*1), Y15, Y5; \
	VMASKMOV	(R8)(AX*1), Y15, Y6; \
	VMASKMOV	(R9)(AX*1), Y15, Y7; \
	VMASKMOV	(R10)(AX*1), Y15, Y8; \
	VPAND	Y9, Y4, Y4; \
	VFMA	Y5, Y0, Y4; \
	VFMA	Y6, Y1, Y4; \
	VFMA	Y7, Y2, Y4; \
	VFMA	Y8, Y3, Y4; \
	VMASKMOV	Y4, Y15, (DI)(AX*1); \
done: \
	VZEROUPPER; \
	RET

// func axpy4AsmAVX2F32(dst, x0, x1, x2, x3 []float32, a0, a1, a2, a3 float32, keep int)
TEXT ·axpy4AsmAVX2F32(SB), NOSPLIT, $0-144
	MOVQ	dst_base+0(FP), DI
	MOVQ	dst_len+8(FP), CX
	MOVQ	x0_base+24(FP), SI
	MOVQ	x1_base+48(FP), R8
	MOVQ	x2_base+72(FP), R9
	MOVQ	x3_base+96(FP), R10
	VBROADCASTSS	a0+120(FP), Y0
	VBROADCASTSS	a1+124(FP), Y1
	VBROADCASTSS	a2+128(FP), Y2
	VBROADCASTSS	a3+132(FP), Y3
	VPBROADCASTQ	keep+136(FP), Y9
	AXPY42(VMOVUPS, VFMADD231PS, VMASKMOVPS, 2)

// func axpy4AsmAVX2F64(dst, x0, x1, x2, x3 []float64, a0, a1, a2, a3 float64, keep int)
TEXT ·axpy4AsmAVX2F64(SB), NOSPLIT, $0-160
	MOVQ	dst_base+0(FP), DI
	MOVQ	dst_len+8(FP), CX
	MOVQ	x0_base+24(FP), SI
	MOVQ	x1_base+48(FP), R8
	MOVQ	x2_base+72(FP), R9
	MOVQ	x3_base+96(FP), R10
	VBROADCASTSD	a0+120(FP), Y0
	VBROADCASTSD	a1+128(FP), Y1
	VBROADCASTSD	a2+136(FP), Y2
	VBROADCASTSD	a3+144(FP), Y3
	VPBROADCASTQ	keep+152(FP), Y9
	AXPY42(VMOVUPD, VFMADD231PD, VMASKMOVPD, 3)

// ---- dot --------------------------------------------------------------

// DOT512 sums x[i]·y[i] into Z0 … Z3 (zeroed first): vector v of each
// block of 4 into Zv, the whole vectors after the blocks into Z0, the
// masked tail into Z1 (merge masking: its masked-off lanes keep their
// value, and are not read). Then Z0 = (Z0+Z1) + (Z2+Z3). x is at SI, y at
// DI, CX elements.
#define DOT512(VMOV, VFMA, VADD, SH) \
	SHLQ	$SH, CX; \
	VPXORD	Z0, Z0, Z0; \
	VPXORD	Z1, Z1, Z1; \
	VPXORD	Z2, Z2, Z2; \
	VPXORD	Z3, Z3, Z3; \
	XORL	AX, AX; \
	MOVQ	CX, BX; \
	ANDQ	$~255, BX; \
	JZ	one; \
loop4: \
	VMOV	(SI)(AX*1), Z4; \
	VMOV	64(SI)(AX*1), Z5; \
	VMOV	128(SI)(AX*1), Z6; \
	VMOV	192(SI)(AX*1), Z7; \
	VFMA	(DI)(AX*1), Z4, Z0; \
	VFMA	64(DI)(AX*1), Z5, Z1; \
	VFMA	128(DI)(AX*1), Z6, Z2; \
	VFMA	192(DI)(AX*1), Z7, Z3; \
	ADDQ	$256, AX; \
	CMPQ	AX, BX; \
	JB	loop4; \
one: \
	MOVQ	CX, BX; \
	ANDQ	$~63, BX; \
	CMPQ	AX, BX; \
	JAE	tail; \
loop1: \
	VMOV	(SI)(AX*1), Z4; \
	VFMA	(DI)(AX*1), Z4, Z0; \
	ADDQ	$64, AX; \
	CMPQ	AX, BX; \
	JB	loop1; \
tail: \
	ANDQ	$63, CX; \
	JZ	sum; \
	SHRQ	$SH, CX; \
	MOVL	$1, BX; \
	SHLL	CX, BX; \
	DECL	BX; \
	KMOVW	BX, K1; \
	VMOV.Z	(SI)(AX*1), K1, Z4; \
	VFMA	(DI)(AX*1), Z4, K1, Z1; \
sum: \
	VADD	Z1, Z0, Z0; \
	VADD	Z3, Z2, Z2; \
	VADD	Z2, Z0, Z0

// func dotAsmAVX512F32(x, y []float32) float32
TEXT ·dotAsmAVX512F32(SB), NOSPLIT, $0-52
	MOVQ	x_base+0(FP), SI
	MOVQ	x_len+8(FP), CX
	MOVQ	y_base+24(FP), DI
	DOT512(VMOVUPS, VFMADD231PS, VADDPS, 2)
	// Halve the 16 lanes 4 times: lane l += lane l+8, l+4, l+2, l+1.
	VEXTRACTF64X4	$1, Z0, Y1
	VADDPS	Y1, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VMOVHLPS	X0, X0, X1 // X1[0:2] = X0[2:4]
	VADDPS	X1, X0, X0
	VMOVSHDUP	X0, X1 // X1[0] = X0[1]
	VADDSS	X1, X0, X0
	VMOVSS	X0, ret+48(FP)
	VZEROUPPER
	RET

// func dotAsmAVX512F64(x, y []float64) float64
TEXT ·dotAsmAVX512F64(SB), NOSPLIT, $0-56
	MOVQ	x_base+0(FP), SI
	MOVQ	x_len+8(FP), CX
	MOVQ	y_base+24(FP), DI
	DOT512(VMOVUPD, VFMADD231PD, VADDPD, 3)
	// Halve the 8 lanes 3 times: lane l += lane l+4, l+2, l+1.
	VEXTRACTF64X4	$1, Z0, Y1
	VADDPD	Y1, Y0, Y0
	VEXTRACTF128	$1, Y0, X1
	VADDPD	X1, X0, X0
	VUNPCKHPD	X0, X0, X1 // X1[0] = X0[1]
	VADDSD	X1, X0, X0
	VMOVSD	X0, ret+48(FP)
	VZEROUPPER
	RET

// DOT2 is DOT512 on ymm, with AXPY2's masked loads in the tail: the
// masked-off lanes of x and y read as 0, and fma(0, 0, s) = s + 0 = s
// for every partial sum s (s is never −0: the sums start at +0, and an
// FMA or an add gives −0 only from two −0s).
#define DOT2(VMOV, VFMA, VMASKMOV, VADD, SH) \
	SHLQ	$SH, CX; \
	VXORPS	Y0, Y0, Y0; \
	VXORPS	Y1, Y1, Y1; \
	VXORPS	Y2, Y2, Y2; \
	VXORPS	Y3, Y3, Y3; \
	XORL	AX, AX; \
	MOVQ	CX, BX; \
	ANDQ	$~127, BX; \
	JZ	one; \
loop4: \
	VMOV	(SI)(AX*1), Y4; \
	VMOV	32(SI)(AX*1), Y5; \
	VMOV	64(SI)(AX*1), Y6; \
	VMOV	96(SI)(AX*1), Y7; \
	VFMA	(DI)(AX*1), Y4, Y0; \
	VFMA	32(DI)(AX*1), Y5, Y1; \
	VFMA	64(DI)(AX*1), Y6, Y2; \
	VFMA	96(DI)(AX*1), Y7, Y3; \
	ADDQ	$128, AX; \
	CMPQ	AX, BX; \
	JB	loop4; \
one: \
	MOVQ	CX, BX; \
	ANDQ	$~31, BX; \
	CMPQ	AX, BX; \
	JAE	tail; \
loop1: \
	VMOV	(SI)(AX*1), Y4; \
	VFMA	(DI)(AX*1), Y4, Y0; \
	ADDQ	$32, AX; \
	CMPQ	AX, BX; \
	JB	loop1; \
tail: \
	ANDQ	$31, CX; \
	JZ	sum; \
	TAILMASK2; \
	VMASKMOV	(SI)(AX*1), Y15, Y4; \
	VMASKMOV	(DI)(AX*1), Y15, Y5; \
	VFMA	Y5, Y4, Y1; \
sum: \
	VADD	Y1, Y0, Y0; \
	VADD	Y3, Y2, Y2; \
	VADD	Y2, Y0, Y0

// func dotAsmAVX2F32(x, y []float32) float32
TEXT ·dotAsmAVX2F32(SB), NOSPLIT, $0-52
	MOVQ	x_base+0(FP), SI
	MOVQ	x_len+8(FP), CX
	MOVQ	y_base+24(FP), DI
	DOT2(VMOVUPS, VFMADD231PS, VMASKMOVPS, VADDPS, 2)
	// Halve the 8 lanes 3 times: lane l += lane l+4, l+2, l+1.
	VEXTRACTF128	$1, Y0, X1
	VADDPS	X1, X0, X0
	VMOVHLPS	X0, X0, X1
	VADDPS	X1, X0, X0
	VMOVSHDUP	X0, X1
	VADDSS	X1, X0, X0
	VMOVSS	X0, ret+48(FP)
	VZEROUPPER
	RET

// func dotAsmAVX2F64(x, y []float64) float64
TEXT ·dotAsmAVX2F64(SB), NOSPLIT, $0-56
	MOVQ	x_base+0(FP), SI
	MOVQ	x_len+8(FP), CX
	MOVQ	y_base+24(FP), DI
	DOT2(VMOVUPD, VFMADD231PD, VMASKMOVPD, VADDPD, 3)
	// Halve the 4 lanes twice: lane l += lane l+2, l+1.
	VEXTRACTF128	$1, Y0, X1
	VADDPD	X1, X0, X0
	VUNPCKHPD	X0, X0, X1
	VADDSD	X1, X0, X0
	VMOVSD	X0, ret+48(FP)
	VZEROUPPER
	RET
