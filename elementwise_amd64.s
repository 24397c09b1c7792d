//go:build amd64 && gc && !purego

#include "textflag.h"

// The elementwise kernels, AVX-512 (zmm, K registers) and AVX2 (ymm).
// The Go each function replaces is on its stub in elementwise_amd64.go;
// the wrappers there hand these functions whole blocks only (whole vectors
// for relu and stepGrad, whole 64-bit mask words for stepMask and
// stepGradMask), at most 64 KiB of each input per call.
//
// Registers: DI the output (dst, dz or bits), SI the input x, z or dr,
// DX the second input of stepGrad (dr), BX the mask bits of stepGradMask,
// CX the count of blocks left, Z0/Y0 = +0.
//
// The loops move 4 vectors (or one 64-bit mask word) per iteration: enough
// to keep the loads and stores of a memory-bound loop in flight. Loads
// and stores are unaligned (VMOVUPS); a slice of float32 is only 4-byte
// aligned. Every function ends with VZEROUPPER, as functions that leave
// the upper halves of Y0-Y15 dirty must (SSE code after them would stall).
//
// Every element goes through a compare or a select, never arithmetic, so
// the results are exact bit copies or +0, whatever MXCSR holds:
//
//   - relu is VMAXPS/VMAXPD with +0 as Intel's first source and x as the
//     second. MAXPS dst, src1, src2 is dst = src1 > src2 ? src1 : src2,
//     so this is 0 > x ? 0 : x, which is relu(x) as the Go reads
//     (x < 0 ? 0 : x): when x is NaN the compare is false and MAXPS
//     returns its second source, x, unchanged (a signalling NaN is not
//     quieted, the sign and payload are kept); when x is −0, 0 > −0 is
//     false and the result is x = −0. Go writes the operands in reverse:
//     VMAXPS x, ZERO, DST.
//   - The step [z ≥ 0] is the compare z NLT 0 (predicate 0x05, NLT_US:
//     not less than, true when unordered), so NaN gives 1 and −0 gives 1,
//     as !(v < 0) does in Go. "Signalling" only sets MXCSR's invalid flag
//     on NaN, which Go neither unmasks nor reads. Go writes VCMPPS $0x05,
//     ZERO, Z, K for Intel's VCMPPS K, Z, ZERO, 0x05.
//   - Applying the mask is a select: AVX-512 moves dr under the mask with
//     zeroing (VMOVUPS.Z), AVX2 ANDs dr with the all-ones/all-zeros lanes
//     of a compare. Masked-off lanes become +0 whatever dr holds (Inf,
//     NaN).

// ---- relu ---------------------------------------------------------------

// RELU4 writes the relu of the 4 vectors of VB bytes at SI to DI.
#define RELU4(VMAX, V1, V2, V3, V4, ZERO, VB) \
	VMAX	(0*VB)(SI), ZERO, V1; \
	VMAX	(1*VB)(SI), ZERO, V2; \
	VMAX	(2*VB)(SI), ZERO, V3; \
	VMAX	(3*VB)(SI), ZERO, V4; \
	VMOVUPS	V1, (0*VB)(DI); \
	VMOVUPS	V2, (1*VB)(DI); \
	VMOVUPS	V3, (2*VB)(DI); \
	VMOVUPS	V4, (3*VB)(DI)

// ---- adam's macros (the functions are at the end) ----------------------

// ADAMLOOP is the loop of the adam functions once the coefficients are
// broadcast (B1 = β1, C1 = 1−β1, B2 = β2, C2 = 1−β2, CORR, EPS, STEP):
// one vector of each slice an iteration, at byte offset AX of p (DI), g
// (SI), m (DX) and v (R9), until CX bytes (a whole number of vectors).
// The operations are those of adamGeneric, one rounding each (no FMA),
// in its order; in Go's operand order VOP a, b, d is d = b op a. The
// square root and the division are the slow part (both correctly
// rounded, like Go's); the loop leaves their overlap across iterations
// to the processor.
#define ADAMLOOP(VMOV, VMUL, VADD, VSUB, VDIV, VSQRT, BYTES, B1, C1, B2, C2, CORR, EPS, STEP, XG, XM, XV, XP, XT, XS) \
	XORQ	AX, AX; \
loop: \
	VMOV	(SI)(AX*1), XG; \
	VMOV	(DX)(AX*1), XM; \
	VMOV	(R9)(AX*1), XV; \
	VMUL	B1, XM, XM; \ // β1·m
	VMUL	XG, C1, XT; \ // (1−β1)·g
	VADD	XT, XM, XM; \
	VMOV	XM, (DX)(AX*1); \
	VMUL	B2, XV, XV; \ // β2·v
	VMUL	XG, C2, XT; \ // ((1−β2)·g)·g
	VMUL	XG, XT, XT; \
	VADD	XT, XV, XV; \
	VMOV	XV, (R9)(AX*1); \
	VSQRT	XV, XS; \ // √v·Corr + ε
	VMUL	CORR, XS, XS; \
	VADD	EPS, XS, XS; \
	VMUL	STEP, XM, XT; \ // (Step·m) / that
	VDIV	XS, XT, XT; \
	VMOV	(DI)(AX*1), XP; \
	VSUB	XT, XP, XP; \ // p − the quotient
	VMOV	XP, (DI)(AX*1); \
	ADDQ	$BYTES, AX; \
	CMPQ	AX, CX; \
	JB	loop

// ADAMARGS loads the slices' bases into DI, SI, DX, R9 and the length of
// p in bytes (SH: 2 for float32, 3 for float64) into CX.
#define ADAMARGS(SH) \
	MOVQ	p_base+0(FP), DI; \
	MOVQ	p_len+8(FP), CX; \
	MOVQ	g_base+24(FP), SI; \
	MOVQ	m_base+48(FP), DX; \
	MOVQ	v_base+72(FP), R9; \
	SHLQ	$SH, CX

// func reluAVX512F32(dst, x []float32)
TEXT ·reluAVX512F32(SB), NOSPLIT, $0-48
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	SHRQ	$4, CX         // vectors of 16
	VXORPS	X0, X0, X0     // Z0 = +0 (a VEX write clears the upper bits)
	JMP	check4

loop4:
	RELU4(VMAXPS, Z1, Z2, Z3, Z4, Z0, 64)
	ADDQ	$256, SI
	ADDQ	$256, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	VMAXPS	(SI), Z0, Z1
	VMOVUPS	Z1, (DI)
	ADDQ	$64, SI
	ADDQ	$64, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// func reluAVX512F64(dst, x []float64)
TEXT ·reluAVX512F64(SB), NOSPLIT, $0-48
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	SHRQ	$3, CX         // vectors of 8
	VXORPD	X0, X0, X0
	JMP	check4

loop4:
	RELU4(VMAXPD, Z1, Z2, Z3, Z4, Z0, 64)
	ADDQ	$256, SI
	ADDQ	$256, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	VMAXPD	(SI), Z0, Z1
	VMOVUPD	Z1, (DI)
	ADDQ	$64, SI
	ADDQ	$64, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// func reluAVX2F32(dst, x []float32)
TEXT ·reluAVX2F32(SB), NOSPLIT, $0-48
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	SHRQ	$3, CX         // vectors of 8
	VXORPS	Y0, Y0, Y0
	JMP	check4

loop4:
	RELU4(VMAXPS, Y1, Y2, Y3, Y4, Y0, 32)
	ADDQ	$128, SI
	ADDQ	$128, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	VMAXPS	(SI), Y0, Y1
	VMOVUPS	Y1, (DI)
	ADDQ	$32, SI
	ADDQ	$32, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// func reluAVX2F64(dst, x []float64)
TEXT ·reluAVX2F64(SB), NOSPLIT, $0-48
	MOVQ	dst_base+0(FP), DI
	MOVQ	x_base+24(FP), SI
	MOVQ	x_len+32(FP), CX
	SHRQ	$2, CX         // vectors of 4
	VXORPD	Y0, Y0, Y0
	JMP	check4

loop4:
	RELU4(VMAXPD, Y1, Y2, Y3, Y4, Y0, 32)
	ADDQ	$128, SI
	ADDQ	$128, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	VMAXPD	(SI), Y0, Y1
	VMOVUPD	Y1, (DI)
	ADDQ	$32, SI
	ADDQ	$32, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// ---- stepMask -------------------------------------------------------------

// AVX-512: compare each vector into a K register, one bit a lane, and
// store the K register: 16 bits (KMOVW) for 16 float32 lanes, 8 bits
// (KMOVB, AVX-512 DQ) for 8 float64 lanes. Bit j of the vector at byte
// offset 64·v of z lands at bit j of byte offset 2·v (or v) of bits,
// which on a little-endian machine is the mask layout.

// STEP512 sets K to the step of the vector at SI+OFF, via V.
#define STEP512(VCMP, OFF, V, K) \
	VMOVUPS	OFF(SI), V; \
	VCMP	$0x05, Z0, V, K

// func stepMaskAVX512F32(bits []uint64, z []float32)
TEXT ·stepMaskAVX512F32(SB), NOSPLIT, $0-48
	MOVQ	bits_base+0(FP), DI
	MOVQ	z_base+24(FP), SI
	MOVQ	z_len+32(FP), CX
	SHRQ	$6, CX         // words of 64 elements
	JZ	done
	VXORPS	X0, X0, X0

loop:
	STEP512(VCMPPS, 0, Z1, K1)
	STEP512(VCMPPS, 64, Z2, K2)
	STEP512(VCMPPS, 128, Z3, K3)
	STEP512(VCMPPS, 192, Z4, K4)
	KMOVW	K1, 0(DI)
	KMOVW	K2, 2(DI)
	KMOVW	K3, 4(DI)
	KMOVW	K4, 6(DI)
	ADDQ	$256, SI
	ADDQ	$8, DI
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// func stepMaskAVX512F64(bits []uint64, z []float64)
TEXT ·stepMaskAVX512F64(SB), NOSPLIT, $0-48
	MOVQ	bits_base+0(FP), DI
	MOVQ	z_base+24(FP), SI
	MOVQ	z_len+32(FP), CX
	SHRQ	$6, CX
	JZ	done
	VXORPD	X0, X0, X0

loop:
	STEP512(VCMPPD, 0, Z1, K1)
	STEP512(VCMPPD, 64, Z2, K2)
	STEP512(VCMPPD, 128, Z3, K3)
	STEP512(VCMPPD, 192, Z4, K4)
	KMOVB	K1, 0(DI)
	KMOVB	K2, 1(DI)
	KMOVB	K3, 2(DI)
	KMOVB	K4, 3(DI)
	STEP512(VCMPPD, 256, Z1, K1)
	STEP512(VCMPPD, 320, Z2, K2)
	STEP512(VCMPPD, 384, Z3, K3)
	STEP512(VCMPPD, 448, Z4, K4)
	KMOVB	K1, 4(DI)
	KMOVB	K2, 5(DI)
	KMOVB	K3, 6(DI)
	KMOVB	K4, 7(DI)
	ADDQ	$512, SI
	ADDQ	$8, DI
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// AVX2: the compare gives all-ones lanes; VMOVMSKPS/VMOVMSKPD gathers
// their sign bits into a general register (8 or 4 bits, lane j at bit
// j), and shifts and ORs assemble a 64-bit word.

// STEP256 sets V to all-ones lanes where the vector at SI+OFF is not less
// than 0.
#define STEP256(VCMP, OFF, V) \
	VMOVUPS	OFF(SI), V; \
	VCMP	$0x05, Y0, V, V

// MSKOR ORs the lane sign bits of V, shifted left by SH, into AX.
#define MSKOR(VMOVMSK, V, SH) \
	VMOVMSK	V, BX; \
	SHLQ	$SH, BX; \
	ORQ	BX, AX

// func stepMaskAVX2F32(bits []uint64, z []float32)
TEXT ·stepMaskAVX2F32(SB), NOSPLIT, $0-48
	MOVQ	bits_base+0(FP), DI
	MOVQ	z_base+24(FP), SI
	MOVQ	z_len+32(FP), CX
	SHRQ	$6, CX
	JZ	done
	VXORPS	Y0, Y0, Y0

loop:
	STEP256(VCMPPS, 0, Y1)
	STEP256(VCMPPS, 32, Y2)
	STEP256(VCMPPS, 64, Y3)
	STEP256(VCMPPS, 96, Y4)
	STEP256(VCMPPS, 128, Y5)
	STEP256(VCMPPS, 160, Y6)
	STEP256(VCMPPS, 192, Y7)
	STEP256(VCMPPS, 224, Y8)
	VMOVMSKPS	Y1, AX
	MSKOR(VMOVMSKPS, Y2, 8)
	MSKOR(VMOVMSKPS, Y3, 16)
	MSKOR(VMOVMSKPS, Y4, 24)
	MSKOR(VMOVMSKPS, Y5, 32)
	MSKOR(VMOVMSKPS, Y6, 40)
	MSKOR(VMOVMSKPS, Y7, 48)
	MSKOR(VMOVMSKPS, Y8, 56)
	MOVQ	AX, (DI)
	ADDQ	$256, SI
	ADDQ	$8, DI
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// func stepMaskAVX2F64(bits []uint64, z []float64)
TEXT ·stepMaskAVX2F64(SB), NOSPLIT, $0-48
	MOVQ	bits_base+0(FP), DI
	MOVQ	z_base+24(FP), SI
	MOVQ	z_len+32(FP), CX
	SHRQ	$6, CX
	JZ	done
	VXORPD	Y0, Y0, Y0

loop:
	STEP256(VCMPPD, 0, Y1)
	STEP256(VCMPPD, 32, Y2)
	STEP256(VCMPPD, 64, Y3)
	STEP256(VCMPPD, 96, Y4)
	STEP256(VCMPPD, 128, Y5)
	STEP256(VCMPPD, 160, Y6)
	STEP256(VCMPPD, 192, Y7)
	STEP256(VCMPPD, 224, Y8)
	VMOVMSKPD	Y1, AX
	MSKOR(VMOVMSKPD, Y2, 4)
	MSKOR(VMOVMSKPD, Y3, 8)
	MSKOR(VMOVMSKPD, Y4, 12)
	MSKOR(VMOVMSKPD, Y5, 16)
	MSKOR(VMOVMSKPD, Y6, 20)
	MSKOR(VMOVMSKPD, Y7, 24)
	MSKOR(VMOVMSKPD, Y8, 28)
	STEP256(VCMPPD, 256, Y1)
	STEP256(VCMPPD, 288, Y2)
	STEP256(VCMPPD, 320, Y3)
	STEP256(VCMPPD, 352, Y4)
	STEP256(VCMPPD, 384, Y5)
	STEP256(VCMPPD, 416, Y6)
	STEP256(VCMPPD, 448, Y7)
	STEP256(VCMPPD, 480, Y8)
	MSKOR(VMOVMSKPD, Y1, 32)
	MSKOR(VMOVMSKPD, Y2, 36)
	MSKOR(VMOVMSKPD, Y3, 40)
	MSKOR(VMOVMSKPD, Y4, 44)
	MSKOR(VMOVMSKPD, Y5, 48)
	MSKOR(VMOVMSKPD, Y6, 52)
	MSKOR(VMOVMSKPD, Y7, 56)
	MSKOR(VMOVMSKPD, Y8, 60)
	MOVQ	AX, (DI)
	ADDQ	$512, SI
	ADDQ	$8, DI
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// ---- stepGrad -------------------------------------------------------------

// GRAD512 writes to DI+OFF the vector of DX+OFF (dr) where the vector of
// SI+OFF (z) is not less than 0, +0 elsewhere: the compare sets K, and
// the load of dr under K with zeroing (VMOVUPS.Z) is the select. VMOVZ
// must have the lane width of the element (VMOVUPD.Z for float64).
// Reading z and dr before writing dz allows dz to be z or dr.
#define GRAD512(VCMP, VMOVZ, OFF, V, K) \
	VMOVUPS	OFF(SI), V; \
	VCMP	$0x05, Z0, V, K; \
	VMOVZ	OFF(DX), K, V; \
	VMOVUPS	V, OFF(DI)

// GRAD256 is GRAD512 in AVX2: the compare gives all-ones lanes where z
// is not less than 0 and zero lanes elsewhere, and ANDing them with dr
// keeps dr's bits or gives +0.
#define GRAD256(VCMP, OFF, V) \
	VMOVUPS	OFF(SI), V; \
	VCMP	$0x05, Y0, V, V; \
	VANDPS	OFF(DX), V, V; \
	VMOVUPS	V, OFF(DI)

// func stepGradAVX512F32(dz, dr, z []float32)
TEXT ·stepGradAVX512F32(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), DX
	MOVQ	z_base+48(FP), SI
	MOVQ	z_len+56(FP), CX
	SHRQ	$4, CX
	VXORPS	X0, X0, X0
	JMP	check4

loop4:
	GRAD512(VCMPPS, VMOVUPS.Z, 0, Z1, K1)
	GRAD512(VCMPPS, VMOVUPS.Z, 64, Z2, K2)
	GRAD512(VCMPPS, VMOVUPS.Z, 128, Z3, K3)
	GRAD512(VCMPPS, VMOVUPS.Z, 192, Z4, K4)
	ADDQ	$256, SI
	ADDQ	$256, DX
	ADDQ	$256, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	GRAD512(VCMPPS, VMOVUPS.Z, 0, Z1, K1)
	ADDQ	$64, SI
	ADDQ	$64, DX
	ADDQ	$64, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// func stepGradAVX512F64(dz, dr, z []float64)
TEXT ·stepGradAVX512F64(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), DX
	MOVQ	z_base+48(FP), SI
	MOVQ	z_len+56(FP), CX
	SHRQ	$3, CX
	VXORPD	X0, X0, X0
	JMP	check4

loop4:
	GRAD512(VCMPPD, VMOVUPD.Z, 0, Z1, K1)
	GRAD512(VCMPPD, VMOVUPD.Z, 64, Z2, K2)
	GRAD512(VCMPPD, VMOVUPD.Z, 128, Z3, K3)
	GRAD512(VCMPPD, VMOVUPD.Z, 192, Z4, K4)
	ADDQ	$256, SI
	ADDQ	$256, DX
	ADDQ	$256, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	GRAD512(VCMPPD, VMOVUPD.Z, 0, Z1, K1)
	ADDQ	$64, SI
	ADDQ	$64, DX
	ADDQ	$64, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// func stepGradAVX2F32(dz, dr, z []float32)
TEXT ·stepGradAVX2F32(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), DX
	MOVQ	z_base+48(FP), SI
	MOVQ	z_len+56(FP), CX
	SHRQ	$3, CX
	VXORPS	Y0, Y0, Y0
	JMP	check4

loop4:
	GRAD256(VCMPPS, 0, Y1)
	GRAD256(VCMPPS, 32, Y2)
	GRAD256(VCMPPS, 64, Y3)
	GRAD256(VCMPPS, 96, Y4)
	ADDQ	$128, SI
	ADDQ	$128, DX
	ADDQ	$128, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	GRAD256(VCMPPS, 0, Y1)
	ADDQ	$32, SI
	ADDQ	$32, DX
	ADDQ	$32, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// func stepGradAVX2F64(dz, dr, z []float64)
TEXT ·stepGradAVX2F64(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), DX
	MOVQ	z_base+48(FP), SI
	MOVQ	z_len+56(FP), CX
	SHRQ	$2, CX
	VXORPD	Y0, Y0, Y0
	JMP	check4

loop4:
	GRAD256(VCMPPD, 0, Y1)
	GRAD256(VCMPPD, 32, Y2)
	GRAD256(VCMPPD, 64, Y3)
	GRAD256(VCMPPD, 96, Y4)
	ADDQ	$128, SI
	ADDQ	$128, DX
	ADDQ	$128, DI
	SUBQ	$4, CX

check4:
	CMPQ	CX, $4
	JAE	loop4
	JMP	check1

loop1:
	GRAD256(VCMPPD, 0, Y1)
	ADDQ	$32, SI
	ADDQ	$32, DX
	ADDQ	$32, DI
	DECQ	CX

check1:
	TESTQ	CX, CX
	JNZ	loop1
	VZEROUPPER
	RET

// ---- stepGradMask ---------------------------------------------------------

// AVX-512: the mask bits of a vector load straight into a K register
// (KMOVW: 16 bits for 16 float32 lanes; KMOVB, AVX-512 DQ: 8 bits for 8
// float64 lanes), and a load of dr under it with zeroing is the select.

// GRADMASK512 writes to DI+OFF the vector of SI+OFF (dr) under the mask
// bits at BX+BOFF, via K and V.
#define GRADMASK512(KMOV, VMOVZ, BOFF, OFF, V, K) \
	KMOV	BOFF(BX), K; \
	VMOVZ	OFF(SI), K, V; \
	VMOVUPS	V, OFF(DI)

// func stepGradMaskAVX512F32(dz, dr []float32, bits []uint64)
TEXT ·stepGradMaskAVX512F32(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), SI
	MOVQ	dr_len+32(FP), CX
	MOVQ	bits_base+48(FP), BX
	SHRQ	$6, CX
	JZ	done

loop:
	GRADMASK512(KMOVW, VMOVUPS.Z, 0, 0, Z1, K1)
	GRADMASK512(KMOVW, VMOVUPS.Z, 2, 64, Z2, K2)
	GRADMASK512(KMOVW, VMOVUPS.Z, 4, 128, Z3, K3)
	GRADMASK512(KMOVW, VMOVUPS.Z, 6, 192, Z4, K4)
	ADDQ	$256, SI
	ADDQ	$256, DI
	ADDQ	$8, BX
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// func stepGradMaskAVX512F64(dz, dr []float64, bits []uint64)
TEXT ·stepGradMaskAVX512F64(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), SI
	MOVQ	dr_len+32(FP), CX
	MOVQ	bits_base+48(FP), BX
	SHRQ	$6, CX
	JZ	done

loop:
	GRADMASK512(KMOVB, VMOVUPD.Z, 0, 0, Z1, K1)
	GRADMASK512(KMOVB, VMOVUPD.Z, 1, 64, Z2, K2)
	GRADMASK512(KMOVB, VMOVUPD.Z, 2, 128, Z3, K3)
	GRADMASK512(KMOVB, VMOVUPD.Z, 3, 192, Z4, K4)
	GRADMASK512(KMOVB, VMOVUPD.Z, 4, 256, Z1, K1)
	GRADMASK512(KMOVB, VMOVUPD.Z, 5, 320, Z2, K2)
	GRADMASK512(KMOVB, VMOVUPD.Z, 6, 384, Z3, K3)
	GRADMASK512(KMOVB, VMOVUPD.Z, 7, 448, Z4, K4)
	ADDQ	$512, SI
	ADDQ	$512, DI
	ADDQ	$8, BX
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// AVX2 has no mask registers, so the bits are expanded to lanes: one
// byte of bits (8 elements) is broadcast to every byte of a vector
// (VPBROADCASTB), so that every 32-bit (64-bit) lane holds it in its low
// byte; ANDing lane j with the constant 1<<j keeps only bit j, and
// comparing for equality with the same constant (VPCMPEQD/VPCMPEQQ)
// turns the lane into all-ones where the bit is set and zero where it is
// clear. ANDing that with dr is the select.

// laneBits32 is lane j = 1<<j in eight 32-bit lanes.
DATA laneBits32<>+0x00(SB)/4, $0x01
DATA laneBits32<>+0x04(SB)/4, $0x02
DATA laneBits32<>+0x08(SB)/4, $0x04
DATA laneBits32<>+0x0c(SB)/4, $0x08
DATA laneBits32<>+0x10(SB)/4, $0x10
DATA laneBits32<>+0x14(SB)/4, $0x20
DATA laneBits32<>+0x18(SB)/4, $0x40
DATA laneBits32<>+0x1c(SB)/4, $0x80
GLOBL laneBits32<>(SB), RODATA|NOPTR, $32

// laneBits64 is lane j = 1<<j in eight 64-bit lanes: two vectors, for
// the low and the high nibble of a byte.
DATA laneBits64<>+0x00(SB)/8, $0x01
DATA laneBits64<>+0x08(SB)/8, $0x02
DATA laneBits64<>+0x10(SB)/8, $0x04
DATA laneBits64<>+0x18(SB)/8, $0x08
DATA laneBits64<>+0x20(SB)/8, $0x10
DATA laneBits64<>+0x28(SB)/8, $0x20
DATA laneBits64<>+0x30(SB)/8, $0x40
DATA laneBits64<>+0x38(SB)/8, $0x80
GLOBL laneBits64<>(SB), RODATA|NOPTR, $64

// EXPAND sets V to all-ones lanes where the bit of lane j of B (a
// broadcast byte) is set in the lane-bits constant L, zero elsewhere.
#define EXPAND(VPCMPEQ, B, L, V) \
	VPAND	L, B, V; \
	VPCMPEQ	L, V, V

// SEL256 writes to DI+OFF the vector of SI+OFF (dr) ANDed with the lane
// mask V.
#define SEL256(OFF, V) \
	VPAND	OFF(SI), V, V; \
	VMOVDQU	V, OFF(DI)

// GRADMASK8F32 does the 8 float32 elements of mask byte BOFF, at byte
// offset 32·BOFF of dr and dz, via V; Y15 holds laneBits32.
#define GRADMASK8F32(BOFF, V) \
	VPBROADCASTB	BOFF(BX), V; \
	EXPAND(VPCMPEQD, V, Y15, V); \
	SEL256(32*BOFF, V)

// func stepGradMaskAVX2F32(dz, dr []float32, bits []uint64)
TEXT ·stepGradMaskAVX2F32(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), SI
	MOVQ	dr_len+32(FP), CX
	MOVQ	bits_base+48(FP), BX
	SHRQ	$6, CX
	JZ	done
	VMOVDQU	laneBits32<>(SB), Y15

loop:
	GRADMASK8F32(0, Y1)
	GRADMASK8F32(1, Y2)
	GRADMASK8F32(2, Y3)
	GRADMASK8F32(3, Y4)
	GRADMASK8F32(4, Y5)
	GRADMASK8F32(5, Y6)
	GRADMASK8F32(6, Y7)
	GRADMASK8F32(7, Y8)
	ADDQ	$256, SI
	ADDQ	$256, DI
	ADDQ	$8, BX
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// GRADMASK8F64 does the 8 float64 elements of mask byte BOFF, two
// vectors at byte offset 64·BOFF of dr and dz, via V and W; Y14 and Y15
// hold laneBits64 (bits 0-3 and 4-7).
#define GRADMASK8F64(BOFF, V, W) \
	VPBROADCASTB	BOFF(BX), V; \
	EXPAND(VPCMPEQQ, V, Y14, W); \
	EXPAND(VPCMPEQQ, V, Y15, V); \
	SEL256(64*BOFF, W); \
	SEL256(64*BOFF+32, V)

// func stepGradMaskAVX2F64(dz, dr []float64, bits []uint64)
TEXT ·stepGradMaskAVX2F64(SB), NOSPLIT, $0-72
	MOVQ	dz_base+0(FP), DI
	MOVQ	dr_base+24(FP), SI
	MOVQ	dr_len+32(FP), CX
	MOVQ	bits_base+48(FP), BX
	SHRQ	$6, CX
	JZ	done
	VMOVDQU	laneBits64<>+0(SB), Y14
	VMOVDQU	laneBits64<>+32(SB), Y15

loop:
	GRADMASK8F64(0, Y1, Y2)
	GRADMASK8F64(1, Y3, Y4)
	GRADMASK8F64(2, Y5, Y6)
	GRADMASK8F64(3, Y7, Y8)
	GRADMASK8F64(4, Y1, Y2)
	GRADMASK8F64(5, Y3, Y4)
	GRADMASK8F64(6, Y5, Y6)
	GRADMASK8F64(7, Y7, Y8)
	ADDQ	$512, SI
	ADDQ	$512, DI
	ADDQ	$8, BX
	DECQ	CX
	JNZ	loop
	VZEROUPPER

done:
	RET

// ---- adam -------------------------------------------------------------

// func adamAVX512F32(p, g, m, v []float32, b1, c1, b2, c2, corr, eps, step float32)
TEXT ·adamAVX512F32(SB), NOSPLIT, $0-124
	ADAMARGS(2)
	JZ	done
	VBROADCASTSS	b1+96(FP), Z0
	VBROADCASTSS	c1+100(FP), Z1
	VBROADCASTSS	b2+104(FP), Z2
	VBROADCASTSS	c2+108(FP), Z3
	VBROADCASTSS	corr+112(FP), Z4
	VBROADCASTSS	eps+116(FP), Z5
	VBROADCASTSS	step+120(FP), Z6
	ADAMLOOP(VMOVUPS, VMULPS, VADDPS, VSUBPS, VDIVPS, VSQRTPS, 64, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z8, Z9, Z10, Z11, Z12, Z13)
	VZEROUPPER
done:
	RET

// func adamAVX512F64(p, g, m, v []float64, b1, c1, b2, c2, corr, eps, step float64)
TEXT ·adamAVX512F64(SB), NOSPLIT, $0-152
	ADAMARGS(3)
	JZ	done
	VBROADCASTSD	b1+96(FP), Z0
	VBROADCASTSD	c1+104(FP), Z1
	VBROADCASTSD	b2+112(FP), Z2
	VBROADCASTSD	c2+120(FP), Z3
	VBROADCASTSD	corr+128(FP), Z4
	VBROADCASTSD	eps+136(FP), Z5
	VBROADCASTSD	step+144(FP), Z6
	ADAMLOOP(VMOVUPD, VMULPD, VADDPD, VSUBPD, VDIVPD, VSQRTPD, 64, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z8, Z9, Z10, Z11, Z12, Z13)
	VZEROUPPER
done:
	RET

// func adamAVX2F32(p, g, m, v []float32, b1, c1, b2, c2, corr, eps, step float32)
TEXT ·adamAVX2F32(SB), NOSPLIT, $0-124
	ADAMARGS(2)
	JZ	done
	VBROADCASTSS	b1+96(FP), Y0
	VBROADCASTSS	c1+100(FP), Y1
	VBROADCASTSS	b2+104(FP), Y2
	VBROADCASTSS	c2+108(FP), Y3
	VBROADCASTSS	corr+112(FP), Y4
	VBROADCASTSS	eps+116(FP), Y5
	VBROADCASTSS	step+120(FP), Y6
	ADAMLOOP(VMOVUPS, VMULPS, VADDPS, VSUBPS, VDIVPS, VSQRTPS, 32, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y8, Y9, Y10, Y11, Y12, Y13)
	VZEROUPPER
done:
	RET

// func adamAVX2F64(p, g, m, v []float64, b1, c1, b2, c2, corr, eps, step float64)
TEXT ·adamAVX2F64(SB), NOSPLIT, $0-152
	ADAMARGS(3)
	JZ	done
	VBROADCASTSD	b1+96(FP), Y0
	VBROADCASTSD	c1+104(FP), Y1
	VBROADCASTSD	b2+112(FP), Y2
	VBROADCASTSD	c2+120(FP), Y3
	VBROADCASTSD	corr+128(FP), Y4
	VBROADCASTSD	eps+136(FP), Y5
	VBROADCASTSD	step+144(FP), Y6
	ADAMLOOP(VMOVUPD, VMULPD, VADDPD, VSUBPD, VDIVPD, VSQRTPD, 32, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y8, Y9, Y10, Y11, Y12, Y13)
	VZEROUPPER
done:
	RET
