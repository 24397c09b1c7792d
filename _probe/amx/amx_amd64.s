//go:build amd64 && linux

#include "textflag.h"

// func amxDot(cfg *[64]byte, c *float32, ldc int, a *uint16, lda int, b *uint16, steps int)
TEXT ·amxDot(SB), NOSPLIT, $0-56
	MOVQ cfg+0(FP), DI
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x07 // ldtilecfg [rdi]
	MOVQ c+8(FP), DI
	MOVQ ldc+16(FP), DX
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x17 // tileloadd tmm0, [rdi+rdx]
	MOVQ a+24(FP), SI
	MOVQ lda+32(FP), CX
	MOVQ b+40(FP), BX
	MOVQ $64, R8
	MOVQ steps+48(FP), R9
loop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x0e // tileloadd tmm4, [rsi+rcx]
	BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x03 // tileloadd tmm6, [rbx+r8]
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // tdpbf16ps tmm0, tmm4, tmm6
	ADDQ $64, SI
	ADDQ $1024, BX
	DECQ R9
	JNZ loop
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x17 // tilestored [rdi+rdx], tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // tilerelease
	RET

// func amxPeak(cfg *[64]byte, buf *uint16, n int): 4 independent TDPBF16PS an iteration
TEXT ·amxPeak(SB), NOSPLIT, $0-24
	MOVQ cfg+0(FP), DI
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x07 // ldtilecfg [rdi]
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // tilezero tmm0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // tilezero tmm1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 // tilezero tmm2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8 // tilezero tmm3
	MOVQ buf+8(FP), SI
	MOVQ $64, CX
	MOVQ SI, BX
	MOVQ $64, R8
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x0e // tileloadd tmm4, [rsi+rcx]
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x0e // tileloadd tmm5, [rsi+rcx]
	BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x03 // tileloadd tmm6, [rbx+r8]
	BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x3c; BYTE $0x03 // tileloadd tmm7, [rbx+r8]
	MOVQ n+16(FP), R9
	TESTQ R9, R9
	JZ done
ploop:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4 // tdpbf16ps tmm0, tmm4, tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc // tdpbf16ps tmm1, tmm4, tmm7
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5 // tdpbf16ps tmm2, tmm5, tmm6
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd // tdpbf16ps tmm3, tmm5, tmm7
	DECQ R9
	JNZ ploop
done:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // tilerelease
	RET
