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
func pageEnd[E uint16 | uint64 | float32 | float64](t *testing.T, n int) (s []E, free func()) {
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

// TestPackAPanelPageEnd runs packAPanelAVX512F32 and F64 on 16 rows whose
// last ends at a page that faults when touched, for every kb to three
// blocks of lanes: the last kb mod lanes columns are read under a mask,
// and nothing of a row past its kb columns may be. The panel must be the
// Go of the doc comment's, bit for bit (NaN payloads too), and the guard
// after it untouched.
func TestPackAPanelPageEnd(t *testing.T) {
	testPackAPanelPageEnd(t, packAPanelAVX512F32, 16)
	testPackAPanelPageEnd(t, packAPanelAVX512F64, 8)
}

func testPackAPanelPageEnd[T Float](t *testing.T, panel func(dst, a []T, lda, kb int), lanes int) {
	r := newRand(uint64(lanes))
	for kb := 1; kb <= 3*lanes; kb++ {
		for _, lda := range []int{kb, kb + 3, 2*kb + lanes + 1} {
			a, free := pageEnd[T](t, 15*lda+kb)
			for i := range a {
				a[i] = fromBits[T](r.Uint64())
			}
			dst := make([]T, 16*kb+guardLen)
			for i := range dst {
				dst[i] = -7
			}
			panel(dst[:16*kb], a, lda, kb)
			for p := range kb {
				for i := range 16 {
					got, want := dst[p*16+i], a[i*lda+p]
					if bitsOf(got) != bitsOf(want) {
						t.Fatalf("%T kb=%d lda=%d: step %d row %d = %v, want %v", want, kb, lda, p, i, got, want)
					}
				}
			}
			for i, v := range dst[16*kb:] {
				if v != -7 {
					t.Fatalf("%T kb=%d lda=%d: guard[%d] = %v written", v, kb, lda, i, v)
				}
			}
			free()
		}
	}
}

// TestPackDZBPairsPageEnd runs packDZBPairsAVX512 with dR, the mask
// words, db and dZ each ending at a page that faults when touched, for
// rows to 5 and every nb to 80 (whole and partial 16-column steps, the
// mask bits from a word's start or its bit 16): its masked loads and
// stores touch nothing past the values, nor its 16-bit mask loads past
// the words. The panels, db and dZ must be what the pairs packer, the
// axpy and the select make of them.
func TestPackDZBPairsPageEnd(t *testing.T) {
	if !hasBF16Dot {
		t.Skip("no AVX512_BF16 (or FUSEDRELU_BF16DOT=0)")
	}
	r := newRand(31)
	for rows := 1; rows <= 5; rows++ {
		for nb := 1; nb <= 80; nb++ {
			bcol := 16 * (nb % 2)
			stride := MaskWords(bcol + nb)
			dr, freeR := pageEnd[uint16](t, rows*nb)
			bits, freeM := pageEnd[uint64](t, rows*stride)
			db, freeB := pageEnd[float32](t, nb)
			dz, freeZ := pageEnd[uint16](t, rows*nb)
			for i := range dr {
				dr[i] = uint16(randDotBF16(r))
			}
			for i := range bits {
				bits[i] = r.Uint64()
			}
			wantDB := make([]float32, nb)
			for i := range db {
				db[i] = randVal[float32](r)
				wantDB[i] = db[i]
			}
			sel := func(p, j int) uint16 {
				if c := bcol + j; p < rows && j < nb && bits[p*stride+c/64]>>(c%64)&1 == 1 {
					return dr[p*nb+j]
				}
				return 0
			}
			panel := ceilDiv(rows, 2) * 16
			dst := make([]float32, ceilDiv(nb, 16)*panel)
			packDZBPairsAVX512(dst, dr, nb, bits, stride, bcol, db, dz, nb, rows, nb, panel, 16)
			wide := make([]float32, nb)
			for p := range rows {
				for j := range nb {
					wide[j] = BF16(sel(p, j)).Float32()
					if dz[p*nb+j] != sel(p, j) {
						t.Fatalf("rows=%d nb=%d: dz[%d][%d] = %#04x, want %#04x", rows, nb, p, j, dz[p*nb+j], sel(p, j))
					}
				}
				active.f32.axpy(wantDB, 1, wide)
			}
			for j := range nb {
				if math.Float32bits(db[j]) != math.Float32bits(wantDB[j]) {
					t.Fatalf("rows=%d nb=%d: db[%d] = %#08x, want %#08x", rows, nb, j, math.Float32bits(db[j]), math.Float32bits(wantDB[j]))
				}
			}
			for p := 0; p < rows; p += 2 {
				for j := range roundUp(nb, 16) {
					want := uint32(sel(p, j)) | uint32(sel(p+1, j))<<16
					if got := math.Float32bits(dst[j/16*panel+p/2*16+j%16]); got != want {
						t.Fatalf("rows=%d nb=%d: pair %d column %d = %#08x, want %#08x", rows, nb, p/2, j, got, want)
					}
				}
			}
			freeR()
			freeM()
			freeB()
			freeZ()
		}
	}
}

// TestForwardBF16W32PageEnd runs ForwardBF16 with a W32 that ends at a
// page that faults when touched, on the dot tile's rows route (the tile
// loads W's float32 rows where they lie, its last column of tiles under
// the column masks): every width around the tiles' columns, K even, rows
// tight and further apart. The results must be those of a PW packed from
// W32 (TestForwardBF16W32 has the rest).
func TestForwardBF16W32PageEnd(t *testing.T) {
	if opsFor[float32](active).dotTile == nil {
		t.Skip("no dot tile on the path in use (AVX512_BF16, FUSEDRELU_BF16DOT, FUSEDRELU_ISA)")
	}
	r := newRand(37)
	const m, k = 20, 6
	for n := 1; n <= 70; n++ {
		for _, extra := range []int{0, 3} {
			ld := n + extra
			w32, free := pageEnd[float32](t, (k-1)*ld+n)
			for i := range w32 {
				w32[i] = w32Value(r)
			}
			x := make([]BF16, m*k)
			for i := range x {
				x[i] = BF16From(float32(r.NormFloat64()))
			}
			pw := new(PackedW[float32])
			pw.PackBF16Of(k, n, w32, ld, true)
			got, want := make([]float32, m*n), make([]float32, m*n)
			ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, W32: w32, LdW: ld, Z: got})
			ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, PW: pw, Z: want})
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d ld=%d: Z[%d] = %#08x, want %#08x", n, ld, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
			free()
		}
	}
}
