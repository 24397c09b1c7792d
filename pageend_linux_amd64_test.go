//go:build linux && amd64 && gc && !purego

package kernels

import (
	"math"
	"syscall"
	"testing"
	"unsafe"
)

// pageEnd returns n values of E ending where a page that may not be
// read or written begins: a routine that touches a lane past them
// faults. free unmaps them.
func pageEnd[E uint16 | float32](t *testing.T, n int) (s []E, free func()) {
	t.Helper()
	ps, sz := syscall.Getpagesize(), int(unsafe.Sizeof(E(0)))
	size := (sz*n+ps-1)/ps*ps + ps
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	if err := syscall.Mprotect(mem[size-ps:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	end := size - ps
	s = unsafe.Slice((*E)(unsafe.Pointer(&mem[end-sz*n])), n)
	return s, func() { syscall.Munmap(mem) }
}

// TestSelectBF16PageEnd runs selectBF16AVX512 and selectAddBF16AVX512 on
// rows of every length up to three mask words ending at a page that
// faults when touched, as dR, dZ and db: the last partial word's (or
// step's) loads and stores are masked to its values (a lane past them
// read or written would fault here). db must be what the axpy by 1 makes
// of it, bit for bit.
func TestSelectBF16PageEnd(t *testing.T) {
	if !hasBF16Dot {
		t.Skip("no AVX512_BF16 (or FUSEDRELU_BF16DOT=0)")
	}
	r := newRand(5)
	for n := range 3*64 + 1 {
		dr, freeR := pageEnd[uint16](t, n)
		dz, freeZ := pageEnd[uint16](t, n)
		db, freeB := pageEnd[float32](t, n)
		bits := make([]uint64, MaskWords(n))
		for i := range bits {
			bits[i] = r.Uint64()
		}
		for i := range dr {
			dr[i] = uint16(r.Uint32())
			db[i] = randVal[float32](r)
		}
		want := make([]uint16, n)
		for i, v := range dr {
			if bits[i/64]>>(i%64)&1 != 0 {
				want[i] = v
			}
		}
		selectBF16AVX512(dz, dr, bits)
		for i := range want {
			if dz[i] != want[i] {
				t.Fatalf("select n=%d: dz[%d] = %#04x, want %#04x", n, i, dz[i], want[i])
			}
		}
		clear(dz)
		wide, wantDB := make([]float32, n), append([]float32(nil), db...)
		for i, v := range want {
			wide[i] = BF16(v).Float32()
		}
		if n > 0 {
			active.f32.axpy(wantDB, 1, wide)
		}
		selectAddBF16AVX512(dz, dr, bits, db)
		for i := range want {
			if dz[i] != want[i] || math.Float32bits(db[i]) != math.Float32bits(wantDB[i]) {
				t.Fatalf("select-add n=%d: [%d] dz %#04x db %#08x, want %#04x %#08x", n, i, dz[i], math.Float32bits(db[i]), want[i], math.Float32bits(wantDB[i]))
			}
		}
		freeR()
		freeZ()
		freeB()
	}
}
