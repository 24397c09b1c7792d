//go:build arm64 && gc && !purego

#include "textflag.h"

// NEON elementwise kernels. The Go each function replaces is in the doc
// comment of its stub in elementwise_arm64.go; the wrappers there pass
// whole blocks only, so there is no tail code here.
//
// Semantics, bit for bit (design brief §2): the test "v < 0" is FCMLT
// against #0.0, which is false for NaN (any payload, signalling or not,
// either sign) and for −0, so those pass through relu and count as
// Step = 1. FMAX/FMAXNM are not used: they quiet signalling NaNs and give
// FMAX(−0, +0) = +0. Zeroing a lane is a bitwise select (BIT) or an AND
// with a lane mask, never a multiply, and gives +0. No FP arithmetic is
// done on the data; FCMLT only raises FPSR's cumulative Invalid flag on a
// NaN, which Go neither traps nor reads. FPCR.FZ (flush-to-zero) would
// make FCMLT see a negative denormal as −0, as it would Go's scalar FCMP;
// Go never sets it.
//
// Go's assembler has no vector FP compare, so FCMLT is emitted with
// WORD. Encoding (Arm ARM, "FCMLT (zero)", vector, single/double):
//
//	0 Q 0 01110 1 sz 10000 01110 10 Rn Rd, Q = 1 (128-bit)
//	FCMLT Vd.4S, Vn.4S, #0.0 = 0x4EA0E800 | Rn<<5 | Rd   (sz = 0)
//	FCMLT Vd.2D, Vn.2D, #0.0 = 0x4EE0E800 | Rn<<5 | Rd   (sz = 1)
//
// Verified by assembling with aarch64-linux-gnu-as (GNU Binutils 2.40)
// and disassembling with aarch64-linux-gnu-objdump ("fcmlt v4.4s, v0.4s,
// #0.0" is 4ea0e804, "fcmlt v5.4s, v17.4s, #0.0" is 4ea0ea25, "fcmlt
// v0.2d, v0.2d, #0.0" is 4ee0e800), and by disassembling the linked
// arm64 test binary with aarch64-linux-gnu-objdump, which shows each
// WORD below as the intended fcmlt.
#define FCMLT_4S(d, n) WORD $(0x4EA0E800 | ((n)<<5) | (d))
#define FCMLT_2D(d, n) WORD $(0x4EE0E800 | ((n)<<5) | (d))

// Operand order in Go's syntax: VBIT Vm, Vn, Vd is BIT Vd, Vn, Vm (where
// a bit of Vm is 1, Vd takes the bit of Vn); likewise VAND, VCMTST, VUZP1
// and VADDP take Vm, Vn, Vd, and UZP1/ADDP put Vn's part in the low half.

// byteBits: byte j of each 8-byte half is 1<<j, to turn 0x00/0xFF byte
// masks of elements 8i…8i+7 into the bits of mask byte i.
DATA byteBits<>+0(SB)/8, $0x8040201008040201
DATA byteBits<>+8(SB)/8, $0x8040201008040201
GLOBL byteBits<>(SB), RODATA|NOPTR, $16

// expandBits32: eight .4S vectors; lane j of vector k is 1<<(4k+j), the
// bit of element 4k+j in a 32-bit half of a mask word.
DATA expandBits32<>+0(SB)/8, $0x0000000200000001
DATA expandBits32<>+8(SB)/8, $0x0000000800000004
DATA expandBits32<>+16(SB)/8, $0x0000002000000010
DATA expandBits32<>+24(SB)/8, $0x0000008000000040
DATA expandBits32<>+32(SB)/8, $0x0000020000000100
DATA expandBits32<>+40(SB)/8, $0x0000080000000400
DATA expandBits32<>+48(SB)/8, $0x0000200000001000
DATA expandBits32<>+56(SB)/8, $0x0000800000004000
DATA expandBits32<>+64(SB)/8, $0x0002000000010000
DATA expandBits32<>+72(SB)/8, $0x0008000000040000
DATA expandBits32<>+80(SB)/8, $0x0020000000100000
DATA expandBits32<>+88(SB)/8, $0x0080000000400000
DATA expandBits32<>+96(SB)/8, $0x0200000001000000
DATA expandBits32<>+104(SB)/8, $0x0800000004000000
DATA expandBits32<>+112(SB)/8, $0x2000000010000000
DATA expandBits32<>+120(SB)/8, $0x8000000040000000
GLOBL expandBits32<>(SB), RODATA|NOPTR, $128

// expandBits64: eight .2D vectors; lane j of vector k is 1<<(2k+j), the
// bit of element 2k+j in the low 16 bits of a (shifted) mask word.
DATA expandBits64<>+0(SB)/8, $0x0000000000000001
DATA expandBits64<>+8(SB)/8, $0x0000000000000002
DATA expandBits64<>+16(SB)/8, $0x0000000000000004
DATA expandBits64<>+24(SB)/8, $0x0000000000000008
DATA expandBits64<>+32(SB)/8, $0x0000000000000010
DATA expandBits64<>+40(SB)/8, $0x0000000000000020
DATA expandBits64<>+48(SB)/8, $0x0000000000000040
DATA expandBits64<>+56(SB)/8, $0x0000000000000080
DATA expandBits64<>+64(SB)/8, $0x0000000000000100
DATA expandBits64<>+72(SB)/8, $0x0000000000000200
DATA expandBits64<>+80(SB)/8, $0x0000000000000400
DATA expandBits64<>+88(SB)/8, $0x0000000000000800
DATA expandBits64<>+96(SB)/8, $0x0000000000001000
DATA expandBits64<>+104(SB)/8, $0x0000000000002000
DATA expandBits64<>+112(SB)/8, $0x0000000000004000
DATA expandBits64<>+120(SB)/8, $0x0000000000008000
GLOBL expandBits64<>(SB), RODATA|NOPTR, $128

// func reluNEON32(dst, x []float32)
TEXT ·reluNEON32(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	CBZ  R2, relu32done
	VEOR V31.B16, V31.B16, V31.B16 // +0 in every lane

relu32loop:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	FCMLT_4S(4, 0)                 // V4 = x < 0, all ones or all zeros
	FCMLT_4S(5, 1)
	FCMLT_4S(6, 2)
	FCMLT_4S(7, 3)
	VBIT   V4.B16, V31.B16, V0.B16 // x = x < 0 ? +0 : x
	VBIT   V5.B16, V31.B16, V1.B16
	VBIT   V6.B16, V31.B16, V2.B16
	VBIT   V7.B16, V31.B16, V3.B16
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUBS   $16, R2
	BNE    relu32loop

relu32done:
	RET

// func reluNEON64(dst, x []float64)
TEXT ·reluNEON64(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	CBZ  R2, relu64done
	VEOR V31.B16, V31.B16, V31.B16

relu64loop:
	VLD1.P 64(R1), [V0.D2, V1.D2, V2.D2, V3.D2]
	FCMLT_2D(4, 0)
	FCMLT_2D(5, 1)
	FCMLT_2D(6, 2)
	FCMLT_2D(7, 3)
	VBIT   V4.B16, V31.B16, V0.B16
	VBIT   V5.B16, V31.B16, V1.B16
	VBIT   V6.B16, V31.B16, V2.B16
	VBIT   V7.B16, V31.B16, V3.B16
	VST1.P [V0.D2, V1.D2, V2.D2, V3.D2], 64(R0)
	SUBS   $8, R2
	BNE    relu64loop

relu64done:
	RET

// func stepGradNEON32(dz, dr, z []float32)
TEXT ·stepGradNEON32(SB), NOSPLIT, $0-72
	MOVD dz_base+0(FP), R0
	MOVD dr_base+24(FP), R1
	MOVD z_base+48(FP), R2
	MOVD z_len+56(FP), R3
	CBZ  R3, grad32done
	VEOR V31.B16, V31.B16, V31.B16

grad32loop:
	// Both inputs are loaded before dz is stored: dz may be dr or z.
	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4] // z
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4] // dr
	FCMLT_4S(0, 0)                              // z < 0
	FCMLT_4S(1, 1)
	FCMLT_4S(2, 2)
	FCMLT_4S(3, 3)
	VBIT   V0.B16, V31.B16, V4.B16              // dr = z < 0 ? +0 : dr
	VBIT   V1.B16, V31.B16, V5.B16
	VBIT   V2.B16, V31.B16, V6.B16
	VBIT   V3.B16, V31.B16, V7.B16
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUBS   $16, R3
	BNE    grad32loop

grad32done:
	RET

// func stepGradNEON64(dz, dr, z []float64)
TEXT ·stepGradNEON64(SB), NOSPLIT, $0-72
	MOVD dz_base+0(FP), R0
	MOVD dr_base+24(FP), R1
	MOVD z_base+48(FP), R2
	MOVD z_len+56(FP), R3
	CBZ  R3, grad64done
	VEOR V31.B16, V31.B16, V31.B16

grad64loop:
	VLD1.P 64(R2), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1.P 64(R1), [V4.D2, V5.D2, V6.D2, V7.D2]
	FCMLT_2D(0, 0)
	FCMLT_2D(1, 1)
	FCMLT_2D(2, 2)
	FCMLT_2D(3, 3)
	VBIT   V0.B16, V31.B16, V4.B16
	VBIT   V1.B16, V31.B16, V5.B16
	VBIT   V2.B16, V31.B16, V6.B16
	VBIT   V3.B16, V31.B16, V7.B16
	VST1.P [V4.D2, V5.D2, V6.D2, V7.D2], 64(R0)
	SUBS   $8, R3
	BNE    grad64loop

grad64done:
	RET

// PACK64 turns the byte masks of 64 elements, in order in the 16 bytes
// of V0, V1, V2 and V3 (0xFF where z < 0, 0x00 elsewhere), into the
// mask word [z ≥ 0] and stores it at (R0), advancing R0 by 8. Each byte
// keeps only its bit 1<<(j%8) (AND with V30 = byteBits); three rounds of
// pairwise adds (ADDP) then sum each run of eight bytes, whose bits are
// distinct, so the sum is their OR: byte i of V0's low half is the byte
// of bits of elements 8i…8i+7 of z < 0. MVN turns it into z ≥ 0, which
// is what StepMask stores (true for NaN and −0).
#define PACK64 \
	VAND  V30.B16, V0.B16, V0.B16 \
	VAND  V30.B16, V1.B16, V1.B16 \
	VAND  V30.B16, V2.B16, V2.B16 \
	VAND  V30.B16, V3.B16, V3.B16 \
	VADDP V1.B16, V0.B16, V0.B16  \
	VADDP V3.B16, V2.B16, V2.B16  \
	VADDP V2.B16, V0.B16, V0.B16  \
	VADDP V0.B16, V0.B16, V0.B16  \
	VMOV  V0.D[0], R4             \
	MVN   R4, R4                  \
	MOVD.P R4, 8(R0)

// func stepMaskNEON32(bits []uint64, z []float32)
TEXT ·stepMaskNEON32(SB), NOSPLIT, $0-48
	MOVD bits_base+0(FP), R0
	MOVD z_base+24(FP), R1
	MOVD z_len+32(FP), R2
	CBZ  R2, mask32done
	MOVD $byteBits<>(SB), R3
	VLD1 (R3), [V30.B16]

mask32loop:
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R1), [V12.S4, V13.S4, V14.S4, V15.S4]
	FCMLT_4S(0, 0)
	FCMLT_4S(1, 1)
	FCMLT_4S(2, 2)
	FCMLT_4S(3, 3)
	FCMLT_4S(4, 4)
	FCMLT_4S(5, 5)
	FCMLT_4S(6, 6)
	FCMLT_4S(7, 7)
	FCMLT_4S(8, 8)
	FCMLT_4S(9, 9)
	FCMLT_4S(10, 10)
	FCMLT_4S(11, 11)
	FCMLT_4S(12, 12)
	FCMLT_4S(13, 13)
	FCMLT_4S(14, 14)
	FCMLT_4S(15, 15)

	// Narrow the 32-bit lane masks to bytes, in element order: UZP1 of
	// .8H keeps the low half of each 32-bit lane, then UZP1 of .16B the
	// low byte of each 16-bit lane; all bits of a lane are equal.
	VUZP1 V1.H8, V0.H8, V16.H8
	VUZP1 V3.H8, V2.H8, V17.H8
	VUZP1 V5.H8, V4.H8, V18.H8
	VUZP1 V7.H8, V6.H8, V19.H8
	VUZP1 V9.H8, V8.H8, V20.H8
	VUZP1 V11.H8, V10.H8, V21.H8
	VUZP1 V13.H8, V12.H8, V22.H8
	VUZP1 V15.H8, V14.H8, V23.H8
	VUZP1 V17.B16, V16.B16, V0.B16 // elements 0…15
	VUZP1 V19.B16, V18.B16, V1.B16 // 16…31
	VUZP1 V21.B16, V20.B16, V2.B16 // 32…47
	VUZP1 V23.B16, V22.B16, V3.B16 // 48…63
	PACK64
	SUBS  $64, R2
	BNE   mask32loop

mask32done:
	RET

// MASK16x64 loads 16 float64 from (R1), advancing R1, and leaves their
// byte masks [z < 0] in element order in dst: three rounds of UZP1 keep
// the low 32, 16 and 8 bits of each lane.
#define MASK16x64(dst) \
	VLD1.P 64(R1), [V4.D2, V5.D2, V6.D2, V7.D2]     \
	VLD1.P 64(R1), [V8.D2, V9.D2, V10.D2, V11.D2]   \
	FCMLT_2D(4, 4)                                  \
	FCMLT_2D(5, 5)                                  \
	FCMLT_2D(6, 6)                                  \
	FCMLT_2D(7, 7)                                  \
	FCMLT_2D(8, 8)                                  \
	FCMLT_2D(9, 9)                                  \
	FCMLT_2D(10, 10)                                \
	FCMLT_2D(11, 11)                                \
	VUZP1  V5.S4, V4.S4, V12.S4                     \
	VUZP1  V7.S4, V6.S4, V13.S4                     \
	VUZP1  V9.S4, V8.S4, V14.S4                     \
	VUZP1  V11.S4, V10.S4, V15.S4                   \
	VUZP1  V13.H8, V12.H8, V12.H8                   \
	VUZP1  V15.H8, V14.H8, V14.H8                   \
	VUZP1  V14.B16, V12.B16, dst.B16

// func stepMaskNEON64(bits []uint64, z []float64)
TEXT ·stepMaskNEON64(SB), NOSPLIT, $0-48
	MOVD bits_base+0(FP), R0
	MOVD z_base+24(FP), R1
	MOVD z_len+32(FP), R2
	CBZ  R2, mask64done
	MOVD $byteBits<>(SB), R3
	VLD1 (R3), [V30.B16]

mask64loop:
	MASK16x64(V0) // elements 0…15
	MASK16x64(V1) // 16…31
	MASK16x64(V2) // 32…47
	MASK16x64(V3) // 48…63
	PACK64
	SUBS $64, R2
	BNE  mask64loop

mask64done:
	RET

// SELECT4(s) expands mask bits into lane masks and selects: with the
// bits broadcast to every 32-bit (float32) or 64-bit (float64) lane of
// s, and the constants of the lanes' bits in c0…c3, it loads four
// vectors of dr from (R1) and stores them to (R0), advancing both, with
// each lane whose bit is clear set to +0 (CMTST: lane = all ones if
// s AND c ≠ 0; then AND with dr).
#define SELECT4(s, c0, c1, c2, c3, arr) \
	VLD1.P 64(R1), [V0.arr, V1.arr, V2.arr, V3.arr] \
	VCMTST c0.arr, s.arr, V4.arr                    \
	VCMTST c1.arr, s.arr, V5.arr                    \
	VCMTST c2.arr, s.arr, V6.arr                    \
	VCMTST c3.arr, s.arr, V7.arr                    \
	VAND   V4.B16, V0.B16, V0.B16                   \
	VAND   V5.B16, V1.B16, V1.B16                   \
	VAND   V6.B16, V2.B16, V2.B16                   \
	VAND   V7.B16, V3.B16, V3.B16                   \
	VST1.P [V0.arr, V1.arr, V2.arr, V3.arr], 64(R0)

// func stepGradMaskNEON32(dz, dr []float32, bits []uint64)
TEXT ·stepGradMaskNEON32(SB), NOSPLIT, $0-72
	MOVD dz_base+0(FP), R0
	MOVD dr_base+24(FP), R1
	MOVD dr_len+32(FP), R2
	MOVD bits_base+48(FP), R3
	CBZ  R2, gradmask32done
	MOVD $expandBits32<>(SB), R4
	VLD1 (R4), [V20.S4, V21.S4, V22.S4, V23.S4] // lane bits of elements 0…15 of a half word
	ADD  $64, R4
	VLD1 (R4), [V24.S4, V25.S4, V26.S4, V27.S4] // 16…31

gradmask32loop:
	// The 64 bits of one mask word cover 64 elements; one word is read
	// before any of the 64 elements of dz is stored (dz may be dr).
	MOVD.P 8(R3), R5
	VDUP   R5, V16.S4 // bits 0…31 in every lane (DUP Vd.4S, Wn)
	LSR    $32, R5, R6
	VDUP   R6, V17.S4 // bits 32…63
	SELECT4(V16, V20, V21, V22, V23, S4) // elements 0…15
	SELECT4(V16, V24, V25, V26, V27, S4) // 16…31
	SELECT4(V17, V20, V21, V22, V23, S4) // 32…47
	SELECT4(V17, V24, V25, V26, V27, S4) // 48…63
	SUBS   $64, R2
	BNE    gradmask32loop

gradmask32done:
	RET

// func stepGradMaskNEON64(dz, dr []float64, bits []uint64)
TEXT ·stepGradMaskNEON64(SB), NOSPLIT, $0-72
	MOVD dz_base+0(FP), R0
	MOVD dr_base+24(FP), R1
	MOVD dr_len+32(FP), R2
	MOVD bits_base+48(FP), R3
	CBZ  R2, gradmask64done
	MOVD $expandBits64<>(SB), R4
	VLD1 (R4), [V20.D2, V21.D2, V22.D2, V23.D2] // lane bits of elements 0…7 of 16 bits
	ADD  $64, R4
	VLD1 (R4), [V24.D2, V25.D2, V26.D2, V27.D2] // 8…15

gradmask64loop:
	MOVD.P 8(R3), R5
	VDUP   R5, V16.D2 // the word in both lanes
	SELECT4(V16, V20, V21, V22, V23, D2) // elements 0…7
	SELECT4(V16, V24, V25, V26, V27, D2) // 8…15
	VUSHR  $16, V16.D2, V16.D2           // next 16 bits to the bottom
	SELECT4(V16, V20, V21, V22, V23, D2) // 16…23
	SELECT4(V16, V24, V25, V26, V27, D2) // 24…31
	VUSHR  $16, V16.D2, V16.D2
	SELECT4(V16, V20, V21, V22, V23, D2) // 32…39
	SELECT4(V16, V24, V25, V26, V27, D2) // 40…47
	VUSHR  $16, V16.D2, V16.D2
	SELECT4(V16, V20, V21, V22, V23, D2) // 48…55
	SELECT4(V16, V24, V25, V26, V27, D2) // 56…63
	SUBS   $64, R2
	BNE    gradmask64loop

gradmask64done:
	RET

// ---- adam ------------------------------------------------------------------

// The Adam update (adamGeneric in optim.go) needs vector FMUL, FADD, FSUB,
// FDIV and FSQRT, which Go's assembler does not have: they are emitted
// with WORD from their encodings (Arm ARM, "Advanced SIMD three same" and
// "two-register miscellaneous", Q = 1; sz = 0 for .4S, 1 for .2D):
//
//	FADD  Vd, Vn, Vm  0x4E20D400 | sz<<22 | m<<16 | n<<5 | d   Vd = Vn + Vm
//	FSUB  Vd, Vn, Vm  0x4EA0D400 | sz<<22 | …                  Vd = Vn − Vm
//	FMUL  Vd, Vn, Vm  0x6E20DC00 | sz<<22 | …                  Vd = Vn · Vm
//	FDIV  Vd, Vn, Vm  0x6E20FC00 | sz<<22 | …                  Vd = Vn / Vm
//	FSQRT Vd, Vn      0x6EA1F800 | sz<<22 | n<<5 | d           Vd = √Vn
//
// Each rounds once, as Go's scalar FADDS … FSQRTD do (no fused
// multiply-add: adamGeneric's conversions keep Go from fusing), so the
// results are adamGeneric's bits; TestAdamPaths checks them under qemu.
#define FADD_4S(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB_4S(d, n, m) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMUL_4S(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FDIV_4S(d, n, m) WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
#define FSQRT_4S(d, n) WORD $(0x6EA1F800 | ((n)<<5) | (d))
#define FADD_2D(d, n, m) WORD $(0x4E60D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB_2D(d, n, m) WORD $(0x4EE0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMUL_2D(d, n, m) WORD $(0x6E60DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FDIV_2D(d, n, m) WORD $(0x6E60FC00 | ((m)<<16) | ((n)<<5) | (d))
#define FSQRT_2D(d, n) WORD $(0x6EE1F800 | ((n)<<5) | (d))

// ADAMNEON is the loop of adamNEON32/64: one vector (ARR lanes, ELEMS
// elements) of each slice an iteration, p at R0, g at R1, m at R2, v at
// R3, R4 elements; the coefficients in V16 … V22 (β1, 1−β1, β2, 1−β2,
// Corr, ε, Step).
#define ADAMNEON(ARR, ELEMS, ADD, SUB, MUL, DIV, SQRT) \
adamloop: \
	VLD1.P 16(R1), [V0.ARR]; \ // g
	VLD1   (R2), [V1.ARR]; \    // m
	VLD1   (R3), [V2.ARR]; \    // v
	MUL(1, 1, 16); \            // β1·m
	MUL(3, 0, 17); \            // (1−β1)·g
	ADD(1, 1, 3); \
	VST1.P [V1.ARR], 16(R2); \
	MUL(2, 2, 18); \            // β2·v
	MUL(3, 0, 19); \            // ((1−β2)·g)·g
	MUL(3, 3, 0); \
	ADD(2, 2, 3); \
	VST1.P [V2.ARR], 16(R3); \
	SQRT(4, 2); \               // √v·Corr + ε
	MUL(4, 4, 20); \
	ADD(4, 4, 21); \
	MUL(3, 1, 22); \            // (Step·m) / that
	DIV(3, 3, 4); \
	VLD1   (R0), [V5.ARR]; \
	SUB(5, 5, 3); \             // p − the quotient
	VST1.P [V5.ARR], 16(R0); \
	SUBS   $ELEMS, R4; \
	BNE    adamloop

// func adamNEON32(p, g, m, v []float32, b1, c1, b2, c2, corr, eps, step float32)
TEXT ·adamNEON32(SB), NOSPLIT, $0-124
	MOVD  p_base+0(FP), R0
	MOVD  p_len+8(FP), R4
	MOVD  g_base+24(FP), R1
	MOVD  m_base+48(FP), R2
	MOVD  v_base+72(FP), R3
	CBZ   R4, adam32done
	MOVWU b1+96(FP), R5
	VDUP  R5, V16.S4
	MOVWU c1+100(FP), R5
	VDUP  R5, V17.S4
	MOVWU b2+104(FP), R5
	VDUP  R5, V18.S4
	MOVWU c2+108(FP), R5
	VDUP  R5, V19.S4
	MOVWU corr+112(FP), R5
	VDUP  R5, V20.S4
	MOVWU eps+116(FP), R5
	VDUP  R5, V21.S4
	MOVWU step+120(FP), R5
	VDUP  R5, V22.S4
	ADAMNEON(S4, 4, FADD_4S, FSUB_4S, FMUL_4S, FDIV_4S, FSQRT_4S)

adam32done:
	RET

// func adamNEON64(p, g, m, v []float64, b1, c1, b2, c2, corr, eps, step float64)
TEXT ·adamNEON64(SB), NOSPLIT, $0-152
	MOVD p_base+0(FP), R0
	MOVD p_len+8(FP), R4
	MOVD g_base+24(FP), R1
	MOVD m_base+48(FP), R2
	MOVD v_base+72(FP), R3
	CBZ  R4, adam64done
	MOVD b1+96(FP), R5
	VDUP R5, V16.D2
	MOVD c1+104(FP), R5
	VDUP R5, V17.D2
	MOVD b2+112(FP), R5
	VDUP R5, V18.D2
	MOVD c2+120(FP), R5
	VDUP R5, V19.D2
	MOVD corr+128(FP), R5
	VDUP R5, V20.D2
	MOVD eps+136(FP), R5
	VDUP R5, V21.D2
	MOVD step+144(FP), R5
	VDUP R5, V22.D2
	ADAMNEON(D2, 2, FADD_2D, FSUB_2D, FMUL_2D, FDIV_2D, FSQRT_2D)

adam64done:
	RET
