package kernels

import (
	"math"
	"testing"
)

// The reference of the bfloat16 dot-product route (bf16dot.go): VDPBF16PS
// in Go, lane by lane, and the sums the route makes of it.

const (
	f32QuietBit   = 0x00400000
	f32DefaultNaN = 0xffc00000 // x86's result of an invalid operation
	f32MinNormal  = 0x1p-126
)

// fma32 is x·y + z rounded once to nearest even in float32 (finite
// operands). x·y is exact in float64; the sum is rounded to float64 with
// its error kept (TwoSum), and an inexact sum is rounded to odd before
// its rounding to float32, which then rounds as the exact sum would
// (53 bits ≥ 24 + 2).
func fma32(x, y, z float32) float32 {
	p, c := float64(x)*float64(y), float64(z)
	s := p + c
	if p == 0 || c == 0 || math.IsInf(s, 0) {
		return float32(s) // exact in float64: one rounding
	}
	bb := s - p
	e := (p - (s - bb)) + (c - bb)
	if e != 0 && math.Float64bits(s)&1 == 0 {
		// s is even: the odd neighbour on e's side is the rounding to odd.
		s = math.Nextafter(s, math.Inf(int(math.Copysign(1, e))))
	}
	return float32(s)
}

// flush reads a denormal as a zero of its sign (DAZ, FTZ).
func flush(v float32) float32 {
	if v != 0 && math.Abs(float64(v)) < f32MinNormal {
		return float32(math.Copysign(0, float64(v)))
	}
	return v
}

// dotFMA is one of VDPBF16PS's two FMAs, x·y + c with x from its first
// source (B's vector in the tile), y from its second (A's broadcast pair):
// a NaN operand gives its own NaN, quiet, in the order x, y, c; Inf·0 and
// Inf − Inf the default NaN; otherwise fma32 of the flushed operands,
// flushed.
func dotFMA(x, y, c float32) float32 {
	for _, v := range [...]float32{x, y, c} {
		if v != v {
			return math.Float32frombits(math.Float32bits(v) | f32QuietBit)
		}
	}
	x, y, c = flush(x), flush(y), flush(c)
	p := float64(x) * float64(y)
	if p != p || math.IsInf(p, 0) && math.IsInf(float64(c), 0) && (p > 0) != (c > 0) {
		return math.Float32frombits(f32DefaultNaN)
	}
	return flush(fma32(x, y, c))
}

// dotStep is one lane of VDPBF16PS: acc plus the products of B's pair
// (be, bo) and A's (ae, ao), the odd one first.
func dotStep(acc float32, be, bo, ae, ao BF16) float32 {
	return dotFMA(be.Float32(), ae.Float32(), dotFMA(bo.Float32(), ao.Float32(), acc))
}

// dotSum is the dot tile's sum of one element over K values a(p)·b(p),
// p < k, in K blocks of kc as the packed route runs them: each block's
// pairs from +0 (the last padded with +0), then added to the sum of the
// blocks before it (β = 1: v = block + C).
func dotSum(a, b func(p int) BF16, k, kc int) float32 {
	return dotSumFrom(a, b, k, kc, 0, false)
}

// dotSumFrom is dotSum from C = c0 when accumulate (an accumulated
// output: β = 1 from the first block on), from none otherwise (0 for K =
// 0).
func dotSumFrom(a, b func(p int) BF16, k, kc int, c0 float32, accumulate bool) float32 {
	var v float32
	if accumulate {
		v = c0
	}
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		var acc float32
		for p := 0; p < kb; p += 2 {
			ae, be := a(pc+p), b(pc+p)
			var ao, bo BF16
			if p+1 < kb {
				ao, bo = a(pc+p+1), b(pc+p+1)
			}
			acc = dotStep(acc, be, bo, ae, ao)
		}
		if pc == 0 && !accumulate {
			v = acc
		} else {
			v = acc + v
		}
	}
	return v
}

// dotBackwardRef replaces, in dx and dw (the float32 Backward's on the
// widened values, accumulated into the initial values dx0 and dw0 when
// accum), the outputs of the GEMMs that take the dot tile on the active
// path with the dot tile's sums: dX = dZ·Wᵀ (W packed when pw) and dW =
// Xᵀ·dZ, dZ = dR where the mask is set, +0 elsewhere.
func dotBackwardRef(m, k, n int, x, w, dr *hmat, mask *maskBuf, pw, wantDX, wantDW, accum bool, dx0, dw0, dx, dw *mat[float32]) {
	o := opsFor[float32](active)
	kc := blocksFor[float32](active).kc
	at := func(h *hmat, i, j int) BF16 { return h.h[h.f.off+i*h.f.ld+j] }
	dz := func(i, j int) BF16 {
		if mask.bit(i, j) {
			return at(dr, i, j)
		}
		return 0
	}
	src := dzSource[float32]{drh: dr.h}
	dxJob := gemmJob[float32]{m: m, n: k, k: n, a: operand[float32]{dz: true}, b: operand[float32]{h: w.h, trans: true, prepacked: pw, pairs: pw}, src: src}
	if wantDX && m > 0 && k > 0 && takesDot(o, &dxJob) {
		for i := range m {
			for q := range k {
				dx.set(i, q, dotSumFrom(func(p int) BF16 { return dz(i, p) }, func(p int) BF16 { return at(w, q, p) }, n, kc, dx0.at(i, q), accum))
			}
		}
	}
	dwJob := gemmJob[float32]{m: k, n: n, k: m, a: operand[float32]{h: x.h, trans: true}, b: operand[float32]{dz: true}, src: src}
	if wantDW && k > 0 && n > 0 && takesDot(o, &dwJob) {
		for q := range k {
			for j := range n {
				dw.set(q, j, dotSumFrom(func(p int) BF16 { return at(x, p, q) }, func(p int) BF16 { return dz(p, j) }, m, kc, dw0.at(q, j), accum))
			}
		}
	}
}

// dotZ is the forward pass's Z on the dot route: the sum plus the bias
// (−0 for none, which adds nothing).
func dotZ(a, b func(p int) BF16, k, kc int, bias []float32, j int) float32 {
	bj := float32(math.Copysign(0, -1))
	if bias != nil {
		bj = bias[j]
	}
	return dotSum(a, b, k, kc) + bj
}

// TestDotModel checks the reference itself on the cases that tell the
// models apart: the odd pair first, a rounding after each product,
// denormals flushed, NaN precedence and the default NaN.
func TestDotModel(t *testing.T) {
	h := func(f float32) BF16 { return BF16(math.Float32bits(f) >> 16) }
	one := h(1)
	cases := []struct {
		acc            float32
		be, bo, ae, ao BF16
		want           uint32
	}{
		// 1 + 2⁻²⁴ + 2⁻²⁴: a tie each time, to even: 1 (not 1 + 2⁻²³).
		{1, h(0x1p-12), h(0x1p-12), h(0x1p-12), h(0x1p-12), 0x3f800000},
		// odd first: (−1 + 1) + 2⁻³⁰ is 2⁻³⁰; even first it would be 0.
		{-1, h(0x1p-15), one, h(0x1p-15), one, math.Float32bits(0x1p-30)},
		// a denormal acc is read as 0; a denormal product result flushed.
		{math.Float32frombits(1), 0, 0, 0, 0, 0},
		{0, h(0x1p-70), 0, h(0x1p-70), 0, 0},
		// NaNs: B's even over A's; A's odd over acc; the odd's carried
		// through the even FMA unless that has a NaN operand of its own.
		{1, 0x7fc3, one, 0x7fc5, one, 0x7fc30000},
		{float32(math.NaN()), one, one, one, 0x7fc7, 0x7fc70000},
		{1, 0x7f83, one, one, one, 0x7fc30000}, // signalling: quietened
		{1, 0x7fc3, one, one, 0x7fc7, 0x7fc30000},
		// Inf·0 and Inf − Inf: the default NaN.
		{1, 0x7f80, one, 0, one, f32DefaultNaN},
		{1, 0x7f80, 0xff80, one, one, f32DefaultNaN},
	}
	for _, c := range cases {
		if got := math.Float32bits(dotStep(c.acc, c.be, c.bo, c.ae, c.ao)); got != c.want {
			t.Errorf("dotStep(%v, %#x, %#x, %#x, %#x) = %#08x, want %#08x", c.acc, c.be, c.bo, c.ae, c.ao, got, c.want)
		}
	}
}

// TestFMA32 checks fma32 where rounding through float64 would be wrong:
// x·y + 1 = 1 + 2⁻²⁴ + 2⁻⁶⁰ (x = 4097·2⁻¹², y = 16773121·2⁻⁴⁸, x·y =
// (2³⁶ + 1)·2⁻⁶⁰) is just above the tie between 1 and 1 + 2⁻²³, so it
// rounds up once; in float64 it is the tie, which then rounds to even, 1.
func TestFMA32(t *testing.T) {
	x, y := float32(4097*0x1p-12), float32(16773121*0x1p-48)
	if got, want := fma32(x, y, 1), float32(1+0x1p-23); got != want {
		t.Errorf("fma32(x, y, 1) = %v, want %v", got, want)
	}
	if got, want := fma32(-x, y, -1), float32(-1-0x1p-23); got != want {
		t.Errorf("fma32(−x, y, −1) = %v, want %v", got, want)
	}
	if got, naive := fma32(x, y, 1), float32(float64(x)*float64(y)+1); got == naive {
		t.Errorf("the case does not tell fma32 from a double rounding (%v)", got)
	}
}
