//go:build linux && amd64 && gc && !purego

package kernels

import (
	"syscall"
	"testing"
	"unsafe"
)

// pageEnd returns n uint16 values ending where a page that may not be
// read or written begins: a routine that touches a lane past them
// faults. free unmaps them.
func pageEnd(t *testing.T, n int) (s []uint16, free func()) {
	t.Helper()
	ps := syscall.Getpagesize()
	size := (2*n+ps-1)/ps*ps + ps
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	if err := syscall.Mprotect(mem[size-ps:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	end := size - ps
	s = unsafe.Slice((*uint16)(unsafe.Pointer(&mem[end-2*n])), n)
	return s, func() { syscall.Munmap(mem) }
}

// TestSelectBF16PageEnd runs selectBF16AVX512 on rows of every length up
// to three mask words ending at a page that faults when touched, as dR
// and as dZ: the last partial word's loads and stores are masked to its
// values (a lane past them read or written would fault here).
func TestSelectBF16PageEnd(t *testing.T) {
	if !hasBF16Dot {
		t.Skip("no AVX512_BF16 (or FUSEDRELU_BF16DOT=0)")
	}
	r := newRand(5)
	for n := range 3*64 + 1 {
		dr, freeR := pageEnd(t, n)
		dz, freeZ := pageEnd(t, n)
		bits := make([]uint64, MaskWords(n))
		for i := range bits {
			bits[i] = r.Uint64()
		}
		for i := range dr {
			dr[i] = uint16(r.Uint32())
		}
		selectBF16AVX512(dz, dr, bits)
		for i, v := range dr {
			if bits[i/64]>>(i%64)&1 == 0 {
				v = 0
			}
			if dz[i] != v {
				t.Fatalf("n=%d: dz[%d] = %#04x, want %#04x", n, i, dz[i], v)
			}
		}
		freeR()
		freeZ()
	}
}
