package kernels

import (
	"fmt"
	"math"
	"testing"
)

// chunkBlocks returns a copy of p whose float32 blocks are small but
// whole multiples of roundChunk (kc = nc = 64), so that PackBF16Of takes
// its chunked route on the dot path across K blocks and column blocks
// at a few hundred rows; smallBlocks (kc = 8) takes its other route.
func chunkBlocks(p *impl) *impl {
	q := *p
	q.name = p.name + "/chunkblocks"
	q.b32 = blocking{mc: 2 * p.f32.mr, kc: 2 * roundChunk, nc: 2 * roundChunk, nc1: p.f32.nr, stream: 1}
	return &q
}

// TestPackBF16Of checks PackBF16Of against PackBF16 of ToBF16's rounding
// of the same W, panel bit for panel bit, on every path with its own
// blocking, small blocks and chunk-sized blocks: K and N of 0, 1, odd,
// either side of a chunk, a pair and a panel, across K and column blocks,
// rows further apart than N, specials (NaNs with payloads, ±Inf, ±0,
// denormals, values that round up to Inf) in W, forward only or not; a
// PackedW reused for a smaller W; W unchanged.
func TestPackBF16Of(t *testing.T) {
	for _, p := range impls {
		for _, q := range []*impl{p, smallBlocks(p), chunkBlocks(p)} {
			t.Run(q.name, func(t *testing.T) {
				setPath(t, q)
				testPackBF16Of(t)
			})
		}
	}
}

func testPackBF16Of(t *testing.T) {
	r := newRand(91)
	dims := []int{0, 1, 2, 7, 16, 31, 32, 33, 63, 64, 65, 97, 130, 200}
	of := new(PackedW[float32]) // reused across the cases, larger and smaller
	for it := range 120 {
		k, n := dims[r.IntN(len(dims))], dims[r.IntN(len(dims))]
		if it == 0 {
			k, n = 200, 130
		}
		ld := n + r.IntN(3)*r.IntN(5)
		fwdOnly := it%3 == 1
		w := make([]float32, max(0, (k-1)*ld+n))
		for i := range w {
			switch r.IntN(12) {
			case 0:
				w[i] = specials[float32]()[r.IntN(len(specials[float32]()))]
			case 1:
				w[i] = math.Float32frombits(0x7f800000 | uint32(1+r.IntN(0x7fffff)) | uint32(r.IntN(2))<<31) // any NaN
			case 2:
				w[i] = math.Float32frombits(0x7f7f8000 + uint32(r.IntN(0x8000))) // rounds to Inf or the largest
			default:
				w[i] = float32(r.NormFloat64())
			}
		}
		w0 := append([]float32(nil), w...)
		h := make([]BF16, k*n)
		for i := range k {
			ToBF16(h[i*n:(i+1)*n], w[i*ld:i*ld+n])
		}
		want := new(PackedW[float32])
		want.PackBF16(k, n, h, 0)
		of.PackBF16Of(k, n, w, ld, fwdOnly)
		name := fmt.Sprintf("%s k=%d n=%d ld=%d forwardOnly=%v", active.name, k, n, ld, fwdOnly)
		if of.k != k || of.n != n || of.dot != want.dot || of.fwdOnly != fwdOnly {
			t.Fatalf("%s: packed %d×%d dot=%v fwdOnly=%v, want %d×%d dot=%v", name, of.k, of.n, of.dot, of.fwdOnly, k, n, want.dot)
		}
		samePanels(t, name+" forward", of.fwd, want.fwd)
		if fwdOnly {
			if len(of.bwd) != 0 {
				t.Fatalf("%s: %d elements of Wᵀ's panels, want none", name, len(of.bwd))
			}
		} else {
			samePanels(t, name+" transposed", of.bwd, want.bwd)
		}
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(w0[i]) {
				t.Fatalf("%s: W changed at %d", name, i)
			}
		}
	}
}

func samePanels(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", name, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %#08x, want %#08x", name, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
}

// TestPackBF16OfForwardOnly: a PackedW packed for the forward pass only
// serves ForwardBF16 and BackwardBF16 without dX as one packed whole,
// bit for bit, and BackwardBF16 and Backward refuse it for dX.
func TestPackBF16OfForwardOnly(t *testing.T) {
	const m, k, n = 21, 70, 45
	r := newRand(93)
	w := make([]float32, k*n)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	h := make([]BF16, k*n)
	ToBF16(h, w)
	x, dr := make([]BF16, m*k), make([]BF16, m*n)
	for i := range x {
		x[i] = BF16From(float32(r.NormFloat64()))
	}
	for i := range dr {
		dr[i] = BF16From(float32(r.NormFloat64()))
	}
	whole, fo := new(PackedW[float32]), new(PackedW[float32])
	whole.PackBF16(k, n, h, 0)
	fo.PackBF16Of(k, n, w, 0, true)
	outs := func(pw *PackedW[float32]) (r32, dw, db []float32) {
		mask := NewMask(m, n)
		r32, dw, db = make([]float32, m*n), make([]float32, k*n), make([]float32, n)
		ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, PW: pw, R32: r32, Mask: mask})
		BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, X: x, PW: pw, DR: dr, Mask: mask, DW: dw, DB: db})
		return r32, dw, db
	}
	r1, dw1, db1 := outs(whole)
	r2, dw2, db2 := outs(fo)
	samePanels(t, "R32", r2, r1)
	samePanels(t, "DW", dw2, dw1)
	samePanels(t, "DB", db2, db1)
	mask := NewMask(m, n)
	wantPanic(t, "BackwardBF16's dX on a forward-only PackedW", "kernels: PW was packed for the forward pass only (PackBF16Of with forwardOnly), BackwardBF16 wants dX from it: pack it with forwardOnly false", func() {
		BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, PW: fo, DR: dr, Mask: mask, DX32: make([]float32, m*k)})
	})
	if !fo.dot {
		wantPanic(t, "Backward's dX on a forward-only PackedW", "kernels: PW was packed for the forward pass only (PackBF16Of with forwardOnly), Backward wants dX from it: pack it with forwardOnly false", func() {
			Backward(&BackwardArgs[float32]{M: m, K: k, N: n, PW: fo, DR: make([]float32, m*n), Mask: mask, DX: make([]float32, m*k)})
		})
	}
	// Packed again in whole, the same PackedW serves dX.
	fo.PackBF16Of(k, n, w, 0, false)
	wantNoPanic(t, "BackwardBF16's dX after packing in whole", func() {
		BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, PW: fo, DR: dr, Mask: mask, DX32: make([]float32, m*k)})
	})
}

// BenchmarkPackBF16Of: a float32 W rounded and packed for the bfloat16
// layers, as ToBF16 into a copy then PackBF16 (two) and as PackBF16Of
// (of), for both passes and the forward pass only (of-fwd), at a first
// and a hidden layer's shape.
func BenchmarkPackBF16Of(b *testing.B) {
	for _, s := range [][2]int{{784, 256}, {256, 256}, {1024, 1024}} {
		k, n := s[0], s[1]
		w := make([]float32, k*n)
		r := newRand(5)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		h, pw := make([]BF16, k*n), new(PackedW[float32])
		for _, v := range []string{"two", "of", "of-fwd"} {
			b.Run(fmt.Sprintf("%dx%d/%s", k, n, v), func(b *testing.B) {
				b.SetBytes(int64(4 * k * n))
				for b.Loop() {
					switch v {
					case "two":
						ToBF16(h, w)
						pw.PackBF16(k, n, h, 0)
					case "of":
						pw.PackBF16Of(k, n, w, 0, false)
					default:
						pw.PackBF16Of(k, n, w, 0, true)
					}
				}
			})
		}
	}
}
