//go:build amd64 && gc && !purego

#include "textflag.h"

// The dW GEMM's packer of B = dZ from dR and the mask bits, with db and dZ
// (packDZBAVX512F32, packDZBAVX512F64). Registers: SI, BX, R8 = row 0 of
// the current rows' dR, bits and dZ; DX, CX, R10 = their row strides in
// bytes; R13 = where the current rows go in the current panel, R11 = the
// panel stride in bytes; AX = the current panel's column offset in bytes
// of dR (and dZ and db, at DI); R12, R14, R9 = the current row's dR, bits
// and dZ in the panel. K3 is all ones and K2 the columns of the partial
// panel; K4/K5 mask dZ's stores and K6/K7 db's load and store, whole/
// partial panel: empty masks when dZ or db is not wanted, so that one
// loop serves the four cases without a branch (a masked store of an empty
// mask writes nothing and cannot fault).

// DZROW builds one row's vector of the panel: its mask bits (KMOV from
// R14) under the panel's columns KC select dR (the zeroing load is the
// select: a lane the mask drops is +0, as dZ(i,j) = 0 there), and the
// vector goes to the packed panel at OFF(R13), to dZ under KZ, and into
// the db accumulator Z9 by a multiply-add with Z8 = 1 in the operand order
// of the path's axpy (the composition's db += row), so that a NaN meeting
// a NaN comes out as it does there. Then R14, R12 and R9 move to the next
// row.
#define DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, OFF, KC, KZ) \
	KMOV	(R14), K1; \
	KAND	K1, KC, K1; \
	VMOVZ	(R12), K1, Z0; \
	VMOV	Z0, OFF(R13); \
	VMOV	Z0, KZ, (R9); \
	VFMA	Z0, Z8, Z9; \
	ADDQ	CX, R14; \
	ADDQ	DX, R12; \
	ADDQ	R10, R9

// DZPANEL sets R12, R14 and R9 to the current panel's columns of row 0 (a
// panel's bits are AX>>BSHIFT bytes into the row's words) and loads db's
// columns into Z9 under KB.
#define DZPANEL(VMOVZ, BSHIFT, KB) \
	LEAQ	(SI)(AX*1), R12; \
	MOVQ	AX, R14; \
	SHRQ	$BSHIFT, R14; \
	ADDQ	BX, R14; \
	LEAQ	(R8)(AX*1), R9; \
	VMOVZ	(DI)(AX*1), KB, Z9

// DZ4 is four rows of a panel.
#define DZ4(KMOV, KAND, VMOVZ, VMOV, VFMA, KC, KZ) \
	DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, 0, KC, KZ); \
	DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, 64, KC, KZ); \
	DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, 128, KC, KZ); \
	DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, 192, KC, KZ)

// DZSETUP sets the registers from the arguments, loaded by the function
// into SI (dR), DX (lddr), BX (bits), CX (stride), R11 (panel), R9 (nb),
// DI and R12 (db's base and length), R8 and R13 (dZ's), R10 (lddz), with
// the current rows' place in panel 0 at 0(SP) and the rows left at 8(SP):
// the strides in bytes, 16(SP) = the whole panels' bytes of a row, and the
// masks (see above), and Z8 = 1 (ONE's bits, by VBCST; LANES = 1<<VSHIFT elements of 1<<LSHIFT bytes a
// vector).
#define DZSETUP(LANES, VSHIFT, LSHIFT, ONE, VBCST) \
	MOVQ	$ONE, AX; \
	VBCST	AX, Z8; \
	SHLQ	$LSHIFT, DX; \
	SHLQ	$3, CX; \
	SHLQ	$LSHIFT, R11; \
	SHLQ	$LSHIFT, R10; \
	MOVQ	R9, AX; \
	SHRQ	$VSHIFT, AX; \
	SHLQ	$6, AX; \
	MOVQ	AX, 16(SP); \
	MOVQ	CX, AX; \
	MOVQ	R9, CX; \
	ANDQ	$(LANES-1), CX; \
	MOVL	$1, R9; \
	SHLL	CX, R9; \
	DECL	R9; \
	KMOVW	R9, K2; \
	MOVQ	AX, CX; \
	KXNORW	K3, K3, K3; \
	KXORW	K4, K4, K4; \
	KXORW	K5, K5, K5; \
	TESTQ	R13, R13; \
	JZ	nodz; \
	KMOVW	K3, K4; \
	KMOVW	K2, K5; \
	JMP	db; \
nodz: \
	MOVQ	SI, R8; \
	XORQ	R10, R10; \
db: \
	KXORW	K6, K6, K6; \
	KXORW	K7, K7, K7; \
	TESTQ	R12, R12; \
	JZ	nodb; \
	KMOVW	K3, K6; \
	KMOVW	K2, K7; \
	JMP	group; \
nodb: \
	MOVQ	SI, DI

// DZLOOP is the loop of both functions, after DZSETUP (BSHIFT: a panel's
// mask bits are the byte AX>>BSHIFT of its row's words). Groups of 4 rows
// go panel by panel, so that db's vector is loaded and stored once for 4
// rows and each panel receives 256 contiguous bytes; then the last rows
// one at a time. Four rows, not more nor fewer: BenchmarkAVX512PackDZB,
// G elements/s, 1024×1024 / 256×256: groups of 2 rows 2.8–3.1 / 5.8–6.1,
// 4 rows 3.4–3.6 / 8.2–8.4, 8 rows 2.7–2.8 / 8.2 (more streams of dR and
// dZ at once than the prefetchers follow), all one at a time 2.9–3.1 /
// 3.4 (db through memory from row to row).
#define DZLOOP(BSHIFT, KMOV, KAND, KORTEST, VMOVZ, VMOV, VFMA) \
group: \
	CMPQ	8(SP), $4; \
	JB	single; \
	XORQ	AX, AX; \
	MOVQ	0(SP), R13; \
gpanel: \
	CMPQ	AX, 16(SP); \
	JAE	gpartial; \
	DZPANEL(VMOVZ, BSHIFT, K6); \
	DZ4(KMOV, KAND, VMOVZ, VMOV, VFMA, K3, K4); \
	VMOV	Z9, K6, (DI)(AX*1); \
	ADDQ	$64, AX; \
	ADDQ	R11, R13; \
	JMP	gpanel; \
gpartial: \
	KORTEST	K2, K2; \
	JZ	gnext; \
	DZPANEL(VMOVZ, BSHIFT, K7); \
	DZ4(KMOV, KAND, VMOVZ, VMOV, VFMA, K2, K5); \
	VMOV	Z9, K7, (DI)(AX*1); \
gnext: \
	LEAQ	(SI)(DX*4), SI; \
	LEAQ	(BX)(CX*4), BX; \
	LEAQ	(R8)(R10*4), R8; \
	ADDQ	$256, 0(SP); \
	SUBQ	$4, 8(SP); \
	JMP	group; \
single: \
	CMPQ	8(SP), $0; \
	JE	done; \
	XORQ	AX, AX; \
	MOVQ	0(SP), R13; \
spanel: \
	CMPQ	AX, 16(SP); \
	JAE	spartial; \
	DZPANEL(VMOVZ, BSHIFT, K6); \
	DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, 0, K3, K4); \
	VMOV	Z9, K6, (DI)(AX*1); \
	ADDQ	$64, AX; \
	ADDQ	R11, R13; \
	JMP	spanel; \
spartial: \
	KORTEST	K2, K2; \
	JZ	snext; \
	DZPANEL(VMOVZ, BSHIFT, K7); \
	DZROW(KMOV, KAND, VMOVZ, VMOV, VFMA, 0, K2, K5); \
	VMOV	Z9, K7, (DI)(AX*1); \
snext: \
	ADDQ	DX, SI; \
	ADDQ	CX, BX; \
	ADDQ	R10, R8; \
	ADDQ	$64, 0(SP); \
	DECQ	8(SP); \
	JMP	single; \
done: \
	VZEROUPPER; \
	RET

// func packDZBAVX512F32(dst, dr []float32, lddr int, bits []uint64, stride int, db, dz []float32, lddz, rows, nb, panel int)
TEXT ·packDZBAVX512F32(SB), NOSPLIT, $24-168
	MOVQ	dst_base+0(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	rows+144(FP), AX
	MOVQ	AX, 8(SP)
	MOVQ	dr_base+24(FP), SI
	MOVQ	lddr+48(FP), DX
	MOVQ	bits_base+56(FP), BX
	MOVQ	stride+80(FP), CX
	MOVQ	panel+160(FP), R11
	MOVQ	nb+152(FP), R9
	MOVQ	db_base+88(FP), DI
	MOVQ	db_len+96(FP), R12
	MOVQ	dz_base+112(FP), R8
	MOVQ	dz_len+120(FP), R13
	MOVQ	lddz+136(FP), R10
	DZSETUP(16, 4, 2, 0x3f800000, VPBROADCASTD)
	DZLOOP(5, KMOVW, KANDW, KORTESTW, VMOVUPS.Z, VMOVUPS, VFMADD231PS)

// func packDZBAVX512F64(dst, dr []float64, lddr int, bits []uint64, stride int, db, dz []float64, lddz, rows, nb, panel int)
TEXT ·packDZBAVX512F64(SB), NOSPLIT, $24-168
	MOVQ	dst_base+0(FP), AX
	MOVQ	AX, 0(SP)
	MOVQ	rows+144(FP), AX
	MOVQ	AX, 8(SP)
	MOVQ	dr_base+24(FP), SI
	MOVQ	lddr+48(FP), DX
	MOVQ	bits_base+56(FP), BX
	MOVQ	stride+80(FP), CX
	MOVQ	panel+160(FP), R11
	MOVQ	nb+152(FP), R9
	MOVQ	db_base+88(FP), DI
	MOVQ	db_len+96(FP), R12
	MOVQ	dz_base+112(FP), R8
	MOVQ	dz_len+120(FP), R13
	MOVQ	lddz+136(FP), R10
	DZSETUP(8, 3, 3, 0x3ff0000000000000, VPBROADCASTQ)
	DZLOOP(6, KMOVB, KANDB, KORTESTB, VMOVUPD.Z, VMOVUPD, VFMADD231PD)
