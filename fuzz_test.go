package kernels

// Fuzz targets, one per family. Each derives a small case (at most about
// three tiles of the largest tile of any path, so that every edge-tile
// shape is reachable), its layouts, flags and values from the input, puts
// special values where the input says, and checks every path in impls
// with the rules of the tests (kernels_test.go): the sums against the
// float64 reference within the rounding bound and against the generic
// path's within twice that, everything else bit for bit (against the
// definitions, which the generic path follows), guard bands, inputs
// unchanged.
//
// The fuzzer sees no coverage inside assembly, so the seeds sit on the
// tile and block boundaries of every path:
//
//	go test -run XXX -fuzz FuzzGEMM -fuzztime 30s .

import "testing"

// fuzzLayouts are the layouts a 3-bit field of the options selects.
var fuzzLayouts = [8]layout{
	{tight: true},
	{mis: 1},
	{ldPad: 1, mis: 3, slack: 2},
	{ldPad: 5},
	{ldPad: 17, mis: 2, slack: 1},
	{ldPad: 64, mis: 1},
	{ldPad: 2, mis: 5},
	{mis: 7, slack: 9},
}

func fuzzLay(opts uint32, shift uint) layout { return fuzzLayouts[opts>>shift&7] }

// fuzzDims maps the fuzzer's bytes to M, N (up to three tiles and a bit
// of the largest tile of any path) and K (up to 71: across the kc = 8
// panels of smallBlocks and the unrolled loops).
func fuzzDims(m, n, k uint8) (int, int, int) {
	mr, nr := maxTile()
	return int(m) % (3*mr + 2), int(n) % (3*nr + 2), int(k) % 72
}

// fuzzPaths returns the paths to run: impls, or their smallBlocks copies.
func fuzzPaths(small bool) []*impl {
	if !small {
		return impls
	}
	ps := make([]*impl, len(impls))
	for i, p := range impls {
		ps[i] = smallBlocks(p)
	}
	return ps
}

// applySpecials puts special values into mats as special says: each
// triple of bytes (matrix, position, value) sets one element of
// mats[matrix % len] to tab[value % len].
func applySpecials[T Float](special []byte, tab []T, mats ...*mat[T]) {
	for i := 0; i+2 < len(special) && i < 3*64; i += 3 {
		mt := mats[int(special[i])%len(mats)]
		if mt == nil || mt.rows*mt.cols == 0 {
			continue
		}
		e := (int(special[i+1]) * 97) % (mt.rows * mt.cols)
		mt.set(e/mt.cols, e%mt.cols, tab[int(special[i+2])%len(tab)])
	}
}

// fuzzSeedShapes returns (m, n, k) on the tile boundaries of every path
// and type, K around 8, 16 and the small kc.
func fuzzSeedShapes() [][3]uint8 {
	seen := map[[3]uint8]bool{}
	var out [][3]uint8
	add := func(m, n, k int) {
		s := [3]uint8{uint8(max(m, 0)), uint8(max(n, 0)), uint8(max(k, 0))}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, p := range impls {
		for _, t := range [][2]int{{p.f32.mr, p.f32.nr}, {p.f64.mr, p.f64.nr}} {
			mr, nr := t[0], t[1]
			add(0, nr, 8)
			add(1, 1, 1)
			add(mr-1, nr+1, 16)
			add(mr, nr-1, 9)
			add(mr+1, 2*nr+1, 17)
			add(2*mr+1, nr, 7)
			add(3*mr+1, 3*nr+1, 8)
			add(mr+1, nr, 0)
			add(2*mr, 2*nr-1, 25)
			add(mr+2, 0, 3)
		}
	}
	return out
}

// ---------------------------------------------------------------------------

// FuzzGEMM options: bit 0 float64, 1 tA, 2 tB, 3 smallBlocks, 4–6 (α, β)
// from gemmScalars, 7–9, 10–12, 13–15 the layouts of A, B and C; special
// values go into A, B and C (C only when β ≠ 0).
func FuzzGEMM(f *testing.F) {
	for i, s := range fuzzSeedShapes() {
		f.Add(s[0], s[1], s[2], uint32(i*0x2c9)&0xfffe, uint64(i), []byte(nil))
		f.Add(s[0], s[1], s[2], uint32(i*0x1d3)|1|8, uint64(i), []byte{0, 3, 0, 1, 5, 7, 2, 9, 9})
	}
	f.Fuzz(func(t *testing.T, m, n, k uint8, opts uint32, seed uint64, special []byte) {
		if opts&1 == 0 {
			fuzzGEMM[float32](t, m, n, k, opts, seed, special)
		} else {
			fuzzGEMM[float64](t, m, n, k, opts, seed, special)
		}
	})
}

func fuzzGEMM[T Float](t *testing.T, m8, n8, k8 uint8, opts uint32, seed uint64, special []byte) {
	m, n, k := fuzzDims(m8, n8, k8)
	sc := gemmScalars[opts>>4&7]
	cs := newGEMMCase[T](newRand(seed), opts&2 != 0, opts&4 != 0, m, n, k, T(sc[0]), T(sc[1]), fuzzLay(opts, 7), fuzzLay(opts, 10), fuzzLay(opts, 13))
	c := cs.c
	if cs.beta == 0 {
		c = nil
	}
	applySpecials(special, sumSpecials[T](), cs.a, cs.b, c)
	for _, p := range fuzzPaths(opts&8 != 0) {
		withPath(p, func() { cs.checkAll(t) })
	}
}

// FuzzForward options: bit 0 float64, 1 smallBlocks, 2 bias, 3 Z, 4 mask,
// 5–6 mask stride padding, 7–9, 10–12, 13–15, 16–18 the layouts of X, W,
// R and Z, 19 N mod 64 (+64 if bit 20): across a mask word; special
// values go into X, W and the bias.
func FuzzForward(f *testing.F) {
	for i, s := range fuzzSeedShapes() {
		f.Add(s[0], s[1], s[2], uint32(i*0x2c9)&^1|0x1c, uint64(i), []byte(nil))
		f.Add(s[0], s[1], s[2], uint32(i*0x3b1)|1|2, uint64(i), []byte{2, 1, 0, 2, 4, 9, 0, 7, 20})
	}
	f.Fuzz(func(t *testing.T, m, n, k uint8, opts uint32, seed uint64, special []byte) {
		if opts&1 == 0 {
			fuzzForward[float32](t, m, n, k, opts, seed, special)
		} else {
			fuzzForward[float64](t, m, n, k, opts, seed, special)
		}
	})
}

func fuzzForward[T Float](t *testing.T, m8, n8, k8 uint8, opts uint32, seed uint64, special []byte) {
	m, n, k := fuzzDims(m8, n8, k8)
	if opts>>19&1 != 0 {
		n = n%64 + 64*int(opts>>20&1) // across a mask word
	}
	cs := newFwdCase[T](newRand(seed), m, k, n, int(opts>>2&7), fuzzLay(opts, 7), fuzzLay(opts, 10), fuzzLay(opts, 13), fuzzLay(opts, 16), int(opts>>5&3))
	applySpecials(special, sumSpecials[T](), cs.x, cs.w, cs.bias)
	for _, p := range fuzzPaths(opts&2 != 0) {
		withPath(p, func() { cs.checkAll(t) })
	}
}

// FuzzBackward options: bit 0 float64, 1 smallBlocks, 2–7 the case flags
// (DX, DW, DB, DZ, mask, Accumulate), 8–9 mask stride padding, then seven
// 3-bit layouts (X, W, DR, Z, DX, DW, DZ) from bit 10, bit 31 DZ laid out
// as DR; special values go into X, W, DR and Z (the mask follows Z).
func FuzzBackward(f *testing.F) {
	for i, s := range fuzzSeedShapes() {
		f.Add(s[0], s[1], s[2], uint32(i*0x9e37)&^1|0xf<<2, uint64(i), []byte(nil))
		f.Add(s[0], s[1], s[2], uint32(i*0x7f4a)|1|2|0x1f<<2, uint64(i), []byte{2, 1, 1, 3, 4, 9, 2, 7, 7, 3, 8, 0})
		f.Add(s[0], s[1], s[2], uint32(i*0x3c6e)|0x3f<<2, uint64(i), []byte{2, 5, 8, 3, 6, 20})
	}
	f.Fuzz(func(t *testing.T, m, n, k uint8, opts uint32, seed uint64, special []byte) {
		if opts&1 == 0 {
			fuzzBackward[float32](t, m, n, k, opts, seed, special)
		} else {
			fuzzBackward[float64](t, m, n, k, opts, seed, special)
		}
	})
}

func fuzzBackward[T Float](t *testing.T, m8, n8, k8 uint8, opts uint32, seed uint64, special []byte) {
	m, n, k := fuzzDims(m8, n8, k8)
	var lays [7]layout
	for i := range lays {
		lays[i] = fuzzLayouts[(opts>>(10+3*uint(i)))&7]
	}
	if opts>>31 != 0 {
		lays[6] = lays[2] // DZ laid out as DR
	}
	cs := newBwdCase[T](newRand(seed), m, k, n, int(opts>>2&63), lays, int(opts>>8&3))
	// DR specials: any special where Z < 0 is masked off, and the sums
	// where Z ≥ 0 see NaN and Inf; Z specials: NaN and ±0 give Step = 1.
	applySpecials(special, sumSpecials[T](), cs.x, cs.w, cs.dr, nil)
	zs := special
	if len(zs) > 0 {
		zs = zs[1:] // another phase of the same bytes
	}
	applySpecials(zs, specials[T](), nil, nil, nil, cs.z)
	if cs.flags&bwdMask != 0 {
		cs.setMask(int(opts >> 8 & 3))
	}
	for _, p := range fuzzPaths(opts&2 != 0) {
		withPath(p, func() { cs.checkAll(t) })
	}
}

// FuzzElementwise options: bit 0 float64, 1–2 misalignment, 3–4 output
// misalignment, 5 ReLU in place, 6–7 StepGrad mode (3 means 0), 8
// StepGradMask in place; vals gives element values: an odd byte b puts
// specials[b/2] at that position of x, z and dr (at different phases).
func FuzzElementwise(f *testing.F) {
	for i, n := range []uint16{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 200, 257, 1025} {
		f.Add(n, uint32(i*0x55), uint64(i), []byte(nil))
		f.Add(n, uint32(i*0x93)|1, uint64(i), []byte{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49})
	}
	f.Fuzz(func(t *testing.T, n uint16, opts uint32, seed uint64, vals []byte) {
		if opts&1 == 0 {
			fuzzElementwise[float32](t, n, opts, seed, vals)
		} else {
			fuzzElementwise[float64](t, n, opts, seed, vals)
		}
	})
}

func fuzzElementwise[T Float](t *testing.T, n16 uint16, opts uint32, seed uint64, vals []byte) {
	n := int(n16) % 1100
	r := newRand(seed)
	cs := newElemCase[T](r, n, int(opts>>1&3), r.IntN(2) == 0)
	cs.outMis = int(opts >> 3 & 3)
	cs.reluIn = opts>>5&1 != 0
	cs.gradMode = int(opts>>6&3) % 3
	cs.gradMaskIn = opts>>8&1 != 0
	tab := specials[T]()
	for i, b := range vals {
		if i >= n {
			break
		}
		if b&1 != 0 {
			v := tab[int(b/2)%len(tab)]
			cs.x.set(0, i, v)
			cs.z.set(0, (i+n/3)%n, v)
			cs.dr.set(0, (i+2*n/3)%n, v)
		}
	}
	for _, p := range impls {
		withPath(p, func() { cs.checkAll(t) })
	}
}
