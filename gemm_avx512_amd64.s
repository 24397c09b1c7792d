//go:build amd64 && gc && !purego

#include "textflag.h"

// The AVX-512 GEMM: register tiles with their epilogues, and the packers
// that feed them. The Go side (gemm_avx512_amd64.go) shows each function as
// the Go it replaces.
//
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
