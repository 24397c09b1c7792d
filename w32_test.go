package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// w32Value is a float32 W value for the W32 tests: mostly normals, then
// the values rounding treats apart (ties, either side of one, NaNs whose
// payload is in the low half alone), ±0, ±Inf and denormals, a third of
// them within 2^-134 of 2^-126, which ToBF16 rounds up to 2^-126 where
// VCVTNE2PS2BF16 flushes them to zero.
func w32Value(r *rand.Rand) float32 {
	sign := uint32(r.IntN(2)) << 31
	switch r.IntN(16) {
	case 0:
		return math.Float32frombits(sign | uint32(r.IntN(0x10000))<<16 | [...]uint32{0x8000, 0x7fff, 0x8001, 0xffff}[r.IntN(4)])
	case 1:
		return math.Float32frombits(sign | 0x7f800000 | uint32(1+r.IntN(0xffff))) // NaN, payload low
	case 2:
		return math.Float32frombits(sign | [...]uint32{0, 0x7f800000}[r.IntN(2)])
	case 3:
		if r.IntN(3) == 0 {
			return math.Float32frombits(sign | 0x007f8000 | uint32(r.IntN(0x8000)))
		}
		return math.Float32frombits(sign | uint32(1+r.IntN(0x7fffff)))
	}
	return float32(r.NormFloat64())
}

// TestForwardBF16W32: ForwardBF16 with W32 gives bit for bit what it gives
// on the dot tile with a PW packed from it by PackBF16Of, and where W's
// route is the same (3 rows or more and K > 8) or there is no dot tile
// what it gives with W = ToBF16(W32), on every path and blocking, over
// shapes around
// the tiles' and the dot route's bounds (up to 128 rows of X and even K
// read W's float32 rows where they lie; more rows and odd K pack them;
// the other routes round into scratch), rows of W further apart than its
// width and an unaligned start, X's rows one-hot now and then (so that a
// single weight, a denormal near 2^-126 among them, makes Z), on one
// thread and two; W32 is left unchanged.
func TestForwardBF16W32(t *testing.T) {
	ms := []int{1, 2, 3, 16, 17, 33, 64, 127, 128, 129}
	ks := []int{0, 2, 8, 9, 10, 31, 32, 34, 66, 130}
	ns := []int{1, 15, 16, 17, 32, 33, 47, 70}
	for _, p := range impls {
		for _, q := range []*impl{p, smallBlocks(p)} {
			t.Run(q.name, func(t *testing.T) {
				setPath(t, q)
				r := newRand(107)
				for it := range 120 {
					m, k, n := ms[r.IntN(len(ms))], ks[r.IntN(len(ks))], ns[r.IntN(len(ns))]
					if it < len(ms) {
						m = ms[it]
					}
					checkForwardBF16W32(t, r, m, k, n)
				}
			})
		}
	}
}

func checkForwardBF16W32(t *testing.T, r *rand.Rand, m, k, n int) {
	t.Helper()
	ldw, off := n+r.IntN(3), r.IntN(3)
	wbuf := make([]float32, off+max(0, (k-1)*ldw+n))
	for i := range wbuf {
		wbuf[i] = w32Value(r)
	}
	w32 := wbuf[off:]
	w0 := append([]float32(nil), wbuf...)
	h := make([]BF16, len(w32))
	ToBF16(h, w32)
	pw := new(PackedW[float32])
	pw.PackBF16Of(k, n, w32, ldw, true)
	x := make([]BF16, m*k)
	oneHot := r.IntN(3) == 0
	for i := range m {
		for p := range k {
			v := float32(r.NormFloat64())
			if oneHot {
				v = 0
				if p == (i*7)%k {
					v = 1
				}
			}
			x[i*k+p] = BF16From(v)
		}
	}
	bias := make([]float32, n)
	for j := range bias {
		bias[j] = float32(r.NormFloat64())
	}
	if oneHot {
		bias = nil
	}
	type outs struct {
		r    []BF16
		r32  []float32
		z    []float32
		mask Mask
	}
	run := func(w string, threads int) outs {
		o := outs{make([]BF16, m*n), make([]float32, m*n), make([]float32, m*n), NewMask(m, n)}
		a := &ForwardBF16Args{M: m, K: k, N: n, X: x, LdW: ldw, Bias: bias, R: o.r, R32: o.r32, Z: o.z, Mask: o.mask, Threads: threads}
		switch w {
		case "W32":
			a.W32 = w32
		case "PW":
			a.PW, a.LdW = pw, 0
		default:
			a.W = h
		}
		ForwardBF16(a)
		return o
	}
	wants := []string{"W"} // without a dot tile: ToBF16(W32)'s results
	if opsFor[float32](active).dotTile != nil {
		wants = []string{"PW"}
		if m >= 3 && k > smallK {
			wants = append(wants, "W")
		}
	}
	for _, ref := range wants {
		want := run(ref, 1)
		for _, threads := range []int{1, 2} {
			got := run("W32", threads)
			name := fmt.Sprintf("%d×%d×%d ldw=%d off=%d oneHot=%v threads=%d, against %s", m, k, n, ldw, off, oneHot, threads, ref)
			for i := range want.r32 {
				if math.Float32bits(got.z[i]) != math.Float32bits(want.z[i]) || math.Float32bits(got.r32[i]) != math.Float32bits(want.r32[i]) || got.r[i] != want.r[i] {
					t.Fatalf("%s: element %d: Z, R32, R = %#08x %#08x %#04x, want %#08x %#08x %#04x", name, i,
						math.Float32bits(got.z[i]), math.Float32bits(got.r32[i]), got.r[i], math.Float32bits(want.z[i]), math.Float32bits(want.r32[i]), want.r[i])
				}
			}
			for i := range want.mask.Bits {
				if got.mask.Bits[i] != want.mask.Bits[i] {
					t.Fatalf("%s: mask word %d = %#x, want %#x", name, i, got.mask.Bits[i], want.mask.Bits[i])
				}
			}
		}
	}
	for i := range wbuf {
		if math.Float32bits(wbuf[i]) != math.Float32bits(w0[i]) {
			t.Fatalf("%d×%d×%d: W32 changed at %d", m, k, n, i)
		}
	}
}

// TestForwardBF16W32Args: W32 takes W's checks, and is one of them; with
// K = 0 (X nil, W32 empty) Z is the bias on every path.
func TestForwardBF16W32Args(t *testing.T) {
	const m, k, n = 4, 6, 5
	x, r := make([]BF16, m*k), make([]BF16, m*n)
	for _, p := range impls {
		withPath(p, func() {
			bias, z := []float32{1, -2, 3, -4, 5}, make([]float32, m*n)
			ForwardBF16(&ForwardBF16Args{M: m, K: 0, N: n, W32: []float32{}, Bias: bias, Z: z})
			for i := range z {
				if z[i] != bias[i%n] {
					t.Fatalf("%s: K = 0: Z[%d] = %v, want the bias %v", p.name, i, z[i], bias[i%n])
				}
			}
		})
	}
	wantPanic(t, "W and W32", "kernels: both W and W32 given, want one of them", func() {
		ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, W: make([]BF16, k*n), W32: make([]float32, k*n), R: r})
	})
	wantPanic(t, "short W32", "kernels: len(w32) = 29, want ≥ 30 for K=6, N=5, ldw=5", func() {
		ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, W32: make([]float32, k*n-1), R: r})
	})
}

// BenchmarkForwardBF16W32: a forward pass from a float32 W, packed first
// (PackBF16Of for the forward pass, then ForwardBF16 on the PackedW) or
// read as W32, at nn's first and hidden layers' shapes (a batch of 64),
// on one W (hot) and on one of 12 in turn (cold, as a trainer's W is by
// its next step).
func BenchmarkForwardBF16W32(b *testing.B) {
	const nw = 12
	for _, s := range [][3]int{{64, 784, 256}, {64, 256, 256}} {
		m, k, n := s[0], s[1], s[2]
		r := newRand(11)
		x, rh := make([]BF16, m*k), make([]BF16, m*n)
		for i := range x {
			x[i] = BF16From(float32(r.NormFloat64()))
		}
		bias, mask := make([]float32, n), NewMask(m, n)
		ws := make([][]float32, nw)
		for i := range ws {
			ws[i] = make([]float32, k*n)
			for j := range ws[i] {
				ws[i][j] = float32(r.NormFloat64()) / 16
			}
		}
		pw := new(PackedW[float32])
		for _, cold := range []bool{false, true} {
			for _, v := range []string{"packed", "w32"} {
				name := fmt.Sprintf("%dx%dx%d/%s/%s", m, k, n, v, map[bool]string{false: "hot", true: "cold"}[cold])
				b.Run(name, func(b *testing.B) {
					i := 0
					for b.Loop() {
						w := ws[0]
						if cold {
							w = ws[i%nw]
							i++
						}
						a := ForwardBF16Args{M: m, K: k, N: n, X: x, Bias: bias, R: rh, Mask: mask, Threads: 1}
						if v == "packed" {
							pw.PackBF16Of(k, n, w, 0, true)
							a.PW = pw
						} else {
							a.W32 = w
						}
						ForwardBF16(&a)
					}
				})
			}
		}
	}
}
