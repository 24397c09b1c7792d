//go:build amd64 && linux

package amxprobe

import (
	"syscall"
	"unsafe"
)

// amxDot adds to the 16×16 float32 tile c (rows ldc bytes apart) the
// products of steps 16×32 blocks of A (bfloat16 rows lda bytes apart, 64
// bytes a block) and B (1024-byte blocks of 16 rows of 16 column pairs):
// a TDPBF16PS a step, on configuration cfg.
//
//go:noescape
func amxDot(cfg *[64]byte, c *float32, ldc int, a *uint16, lda int, b *uint16, steps int)

// amxPeak runs n iterations of 4 independent TDPBF16PS on tiles loaded
// from buf (16 rows of 64 bytes).
//
//go:noescape
func amxPeak(cfg *[64]byte, buf *uint16, n int)

const (
	archGetXCompPerm  = 0x1022
	archReqXCompPerm  = 0x1023
	xfeatureXTileData = 18
)

// enable asks Linux for the AMX tile data state for this process (once
// per process, for all its threads; an error where the CPU or kernel has
// none).
func enable() error {
	if _, _, e := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXCompPerm, xfeatureXTileData, 0); e != 0 {
		return e
	}
	var mask uint64
	if _, _, e := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archGetXCompPerm, uintptr(unsafe.Pointer(&mask)), 0); e != 0 {
		return e
	}
	if mask&(1<<xfeatureXTileData) == 0 {
		return syscall.EPERM
	}
	return nil
}

// config16 is the tile configuration: palette 1, tiles 0…7 of 16 rows of
// 64 bytes.
func config16() *[64]byte {
	var c [64]byte
	c[0] = 1
	for t := range 8 {
		c[16+2*t] = 64
		c[48+t] = 16
	}
	return &c
}
