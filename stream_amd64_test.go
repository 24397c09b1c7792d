//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

// alignedAt returns the first index of s whose element is 64-byte
// aligned, plus the given elements.
func alignedAt[T Float](s []T, plus int) int {
	size := int(unsafe.Sizeof(s[0]))
	off := (64 - int(uintptr(unsafe.Pointer(unsafe.SliceData(s))))%64) % 64
	return off/size + plus
}

// TestAVX512TileStream checks the tiles' streaming epilogue (β = 2 in the
// assembly, through tile.stream): C bit for bit as the β = 0 epilogue
// writes it, nothing outside the tiles' rows and columns written, for
// every tile shape, whole and partial columns of tiles (the latter under
// the column masks), one column of tiles or several a call, packed A and
// A where it lies, C aligned (streamed) and not (the kernel falls back to
// its plain stores).
func TestAVX512TileStream(t *testing.T) {
	gemmAVX512Impl(t)
	for _, s := range avx512Shapes32 {
		testTileStream(t, s)
	}
	for _, s := range avx512Shapes64 {
		testTileStream(t, s)
	}
}

func testTileStream[T Float](t *testing.T, s avx512Shape[T]) {
	nr, mr := s.nr, s.mr
	lanes := 64 / int(unsafe.Sizeof(T(0)))
	r := newRand(uint64(nr) + 17 + 100*uint64(mr))
	for i := range 200 {
		m, kc := 1+r.IntN(3*mr), 1+r.IntN(80)
		n := 1 + r.IntN(3*nr)
		if i%2 == 0 {
			n = nr * (1 + r.IntN(3)) // whole columns of tiles
		}
		ldc := roundUp(n+r.IntN(2*lanes), lanes) // rows 64 bytes apart…
		misaligned := i%5 == 4
		if i%7 == 6 {
			ldc++ // …or not
		}
		nt := ceilDiv(n, nr)
		rows, lda := ceilDiv(m, mr)*mr, kc+r.IntN(9)
		araw := x512Rand[T](r, (rows-1)*lda+kc, 0.05)
		a := make([]T, rows*kc)
		packAGeneric(a, araw, lda, false, 0, 0, rows, kc, mr)
		dirA := r.IntN(2) == 0
		b := x512Rand[T](r, nt*nr*kc, 0.05)
		buf := x512Rand[T](r, (m+2)*ldc+2*lanes, 0.05) // C's guard band: the rest of buf
		run := func(stream, byColumn bool) []T {
			out := append([]T(nil), buf...)
			c0 := alignedAt(out, lanes)
			if misaligned {
				c0++
			}
			call := func(q, width int) {
				tt := &tile[T]{kc: kc, a: a, b: b[q*nr*kc:], c: out[c0+q*nr:], ldc: ldc, m: m, n: width, alpha: 1, stream: stream}
				if dirA {
					tt.a, tt.lda = araw, lda
				}
				s.kernel()(tt)
			}
			if byColumn {
				for q := range nt {
					call(q, min(nr, n-q*nr))
				}
			} else {
				call(0, n)
			}
			return out
		}
		name := fmt.Sprintf("%s %dx%d m=%d kc=%d n=%d ldc=%d misaligned=%v directA=%v", x512TypeName[T](), mr, nr, m, kc, n, ldc, misaligned, dirA)
		want := run(false, true)
		checkSameBits(t, name+": streamed, one call", run(true, false), want)
		checkSameBits(t, name+": streamed, a call a column of tiles", run(true, true), want)
		if t.Failed() {
			return
		}
	}
}

// TestStream checks that the jobs whose C exceeds blocking.stream (here
// every one of one K panel) give the results of plain stores bit for bit:
// GEMM with β = 0, and Backward's dW and dX, with C aligned (streamed)
// and not, on every path, with the path's blocking and small blocks.
func TestStream(t *testing.T) {
	for _, p := range impls {
		for _, base := range []*impl{p, smallBlocks(p)} {
			on, off := *base, *base
			on.name += "/stream"
			on.b32.stream, on.b64.stream = 1, 1
			off.b32.stream, off.b64.stream = 0, 0
			t.Run(on.name, func(t *testing.T) {
				testStream[float32](t, &on, &off)
				testStream[float64](t, &on, &off)
			})
		}
	}
}

func testStream[T Float](t *testing.T, on, off *impl) {
	bl := blocksFor[T](on)
	lanes := 64 / int(unsafe.Sizeof(T(0)))
	r := newRand(41)
	sp := specials[T]()
	rnd := func(n int) []T {
		s := make([]T, n)
		for i := range s {
			s[i] = randOrSpecial(r, sp, 16)
		}
		return s
	}
	for _, c := range [][3]int{{5, 9, 3 * lanes}, {33, min(bl.kc, 40), 2*lanes + 3}, {40, 17, 4 * lanes}, {17, bl.kc + 5, 2 * lanes}} {
		m, k, n := c[0], c[1], c[2]
		for _, pad := range []int{0, lanes, 1} {
			ldc := n + pad
			if pad == 0 {
				ldc = roundUp(n, lanes)
			}
			what := fmt.Sprintf("%s %d×%d×%d ldc=%d", on.name, m, k, n, ldc)
			a, b := rnd(m*k), rnd(k*n)
			buf := rnd(m*ldc + 3*lanes)
			gemm := func(p *impl) []T {
				out := append([]T(nil), buf...)
				c0 := alignedAt(out, 0)
				withPath(p, func() { GEMM(NoTrans, NoTrans, m, n, k, 1, a, k, b, n, 0, out[c0:], ldc) })
				return out
			}
			checkSameBits(t, what+": GEMM", gemm(on), gemm(off))

			// Backward: dW (K×N, ldDW = ldc) and dX (M×K) from m rows.
			mask := NewMask(m, n)
			withPath(off, func() { Forward(&ForwardArgs[T]{M: m, K: k, N: n, X: a, W: b, R: make([]T, m*n), Mask: mask}) })
			dr := rnd(m * n)
			backward := func(p *impl) (dw, dx []T) {
				dwBuf := rnd(0)
				dwBuf = append(dwBuf, make([]T, k*ldc+3*lanes)...)
				c0 := alignedAt(dwBuf, 0)
				dx = make([]T, m*k)
				withPath(p, func() {
					Backward(&BackwardArgs[T]{M: m, K: k, N: n, X: a, W: b, DR: dr, Mask: mask,
						DX: dx, DW: dwBuf[c0 : c0+(k-1)*ldc+n], LdDW: ldc})
				})
				return dwBuf, dx
			}
			gotW, gotX := backward(on)
			wantW, wantX := backward(off)
			checkSameBits(t, what+": DW", gotW, wantW)
			checkSameBits(t, what+": DX", gotX, wantX)
			if t.Failed() {
				return
			}
		}
	}
}
