//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// randDotBF16 is a bfloat16 for the dot tile's tests: mostly normal
// values of a few binades, with denormals, ±0, ±Inf, quiet and signalling
// NaNs with payloads, and values near the ends of the range (products
// that overflow or underflow) among them.
func randDotBF16(r *rand.Rand) BF16 {
	sign := BF16(r.IntN(2)) << 15
	switch r.IntN(40) {
	case 0:
		return sign | BF16(1+r.IntN(0x7f)) // denormal
	case 1:
		return sign // ±0
	case 2:
		return sign | 0x7f80 // ±Inf
	case 3:
		return sign | 0x7f80 | BF16(1+r.IntN(0x7f)) // NaN, quiet or signalling
	case 4:
		return sign | BF16(0x7e00+r.IntN(0x180)) // huge
	case 5:
		return sign | BF16(0x0080+r.IntN(0x400)) // tiny, normal
	}
	return sign | BF16(0x3c00+r.IntN(0x400)) // 2⁻⁷ … 2
}

// TestDotTile runs the dot tiles on packed pairs, on A's pairs where
// they lie (lda ≠ 0, rows further apart than their pairs) and on B's
// bfloat16 rows where they lie (ldb < 0, rows up to 4 values further
// apart than the tiles' columns), β = 0 and β =
// 1, every row count and column count of a tile and a few columns of tiles,
// against dotStep lane by lane, bit for bit, NaN payloads included, with
// C's guard band. dotStep's NaN precedence was measured on a Zen 4 core
// and holds on a Sapphire Rapids one (20000 rounds of this test, there).
func TestDotTile(t *testing.T) {
	if !hasBF16Dot {
		t.Skip("no AVX512_BF16 (or FUSEDRELU_BF16DOT=0)")
	}
	for _, s := range avx512ShapesDot {
		testDotTile(t, s)
	}
}

func testDotTile(t *testing.T, s avx512Shape[float32]) {
	mr, nr := s.mr, s.nr
	r := newRand(71 + uint64(mr))
	for it := range 300 {
		m, n, kp := 1+r.IntN(2*mr), 1+r.IntN(3*nr), 1+r.IntN(40)
		special := it%2 == 0
		val := func() BF16 {
			if special {
				return randDotBF16(r)
			}
			return BF16From(float32(r.NormFloat64()))
		}
		rows, nt := ceilDiv(m, mr)*mr, ceilDiv(n, nr)
		lda := 0 // A packed; else A's pairs where they lie, lda apart
		if it%3 == 2 {
			lda = kp + r.IntN(3)
		}
		// B packed in pairs, or (rowsB) its bfloat16 rows where they lie,
		// ldbh apart (even, up to 4 past the tiles' columns), paired by
		// the tile (ldb < 0).
		rowsB := it%4 >= 2
		ldbh := nt*nr + 2*r.IntN(3)
		ldh := 2 * max(kp, lda)       // A's rows in ah
		ah := make([]BF16, rows*ldh)  // A(i, k) at ah[i*ldh+k]
		bh := make([]BF16, 2*kp*ldbh) // B(k, j) at bh[k*ldbh+j]
		for i := range ah {
			ah[i] = val()
		}
		for i := range bh {
			bh[i] = val()
		}
		a := make([]float32, rows*kp)
		packAPairs(nil, a, ah, ldh, 0, 0, rows, 2*kp, mr)
		if lda != 0 {
			a = unsafe.Slice((*float32)(unsafe.Pointer(&ah[0])), len(ah)/2)
		}
		b, ldb := make([]float32, nt*nr*kp), 0
		packBPairs(b, bh, ldbh, 0, 0, 2*kp, nt*nr, nr)
		if rowsB {
			b, ldb = unsafe.Slice((*float32)(unsafe.Pointer(&bh[0])), len(bh)/2), -ldbh/2
		}
		beta := it % 2
		ldc := n + r.IntN(5)
		c := make([]float32, (m+1)*ldc+16)
		for i := range c {
			c[i] = float32(r.NormFloat64())
		}
		if special {
			c[r.IntN(len(c))] = float32(math.NaN())
		}
		want := append([]float32(nil), c...)
		for i := range m {
			for j := range n {
				var acc float32
				for p := range kp {
					acc = dotStep(acc, bh[2*p*ldbh+j], bh[(2*p+1)*ldbh+j], ah[i*ldh+2*p], ah[i*ldh+2*p+1])
				}
				if beta == 1 {
					acc += want[i*ldc+j]
				}
				want[i*ldc+j] = acc
			}
		}
		tt := &tile[float32]{kc: kp, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, m: m, n: n, alpha: 1, beta: float32(beta)}
		s.kernel()(tt)
		name := fmt.Sprintf("%s m=%d n=%d kc=%d lda=%d ldb=%d beta=%d special=%v", s.name(), m, n, kp, lda, ldb, beta, special)
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
				row, col := i/ldc, i%ldc
				a0, b0 := ah[row*ldh:min(len(ah), row*ldh+2*kp)], []BF16{}
				if col < nt*nr {
					for p := range 2 * kp {
						b0 = append(b0, bh[p*ldbh+col])
					}
				}
				t.Fatalf("%s: C[%d,%d] = %#08x, want %#08x\nA row %x\nB column %x", name, row, col,
					math.Float32bits(c[i]), math.Float32bits(want[i]), a0, b0)
			}
		}
	}
}

// TestPackBPairs checks packBPairs with the assembly packers against the
// Go loops, for panels of 16 and 32 columns and B stored in bfloat16 or in
// float32 (rounded as it is packed: every rounding case, NaNs whose payload
// is all in the low half): every count of pairs around its groups of 8,
// odd K, columns across and within panels, rows further apart than their
// width, an offset start, and a guard band after the panels (nothing
// written past them, the source unchanged).
func TestPackBPairs(t *testing.T) {
	if packBPairsFast == nil || packBPairsOfFast == nil {
		t.Skip("no assembly packer")
	}
	t.Run("bf16", func(t *testing.T) { testPackBPairs(t, randDotBF16) })
	// The float32 packer on the integer bits, and by VCVTNE2PS2BF16 where
	// the core has it (about half the vectors hold a denormal lane, which
	// takes the integer rounding).
	asms := map[string]func(dst []float32, b []float32, ldb, pairs, nb, panel, step int){"f32": packBPairsOfAVX512}
	if hasCvtBF16 {
		asms["f32cvt"] = packBPairsOfCvtAVX512
	}
	for name, f := range asms {
		t.Run(name, func(t *testing.T) {
			defer func(saved func(dst []float32, b []float32, ldb, pairs, nb, panel, step int)) { packBPairsOfAsm = saved }(packBPairsOfAsm)
			packBPairsOfAsm = f
			testPackBPairs(t, randRoundF32)
		})
	}
}

// randRoundF32 is a float32 whose top half is randDotBF16's and whose low
// half is one that rounding treats apart (0, a tie, either side of one,
// all ones) or random; now and then a NaN with its payload in the low
// half alone, which rounding must keep a NaN.
func randRoundF32(r *rand.Rand) float32 {
	top := uint32(randDotBF16(r)) << 16
	if r.IntN(30) == 0 {
		top = uint32(r.IntN(2))<<31 | 0x7f800000
		return math.Float32frombits(top | uint32(1+r.IntN(0xffff)))
	}
	low := [...]uint32{0, 0x8000, 0x7fff, 0x8001, 0xffff, uint32(r.IntN(0x10000))}
	return math.Float32frombits(top | low[r.IntN(len(low))])
}

// stored16or32 is x's bits.
func stored16or32[E BF16 | float32](x E) uint32 {
	if unsafe.Sizeof(x) == 2 {
		return uint32(*(*uint16)(unsafe.Pointer(&x)))
	}
	return *(*uint32)(unsafe.Pointer(&x))
}

func testPackBPairs[E BF16 | float32](t *testing.T, rnd func(*rand.Rand) E) {
	r := newRand(73)
	const guard = 37
	for it := range 800 {
		nr := 16 << (it % 2)
		kb, nb := 1+r.IntN(40), 1+r.IntN(70)
		if it%5 == 0 {
			kb = 16 * (1 + r.IntN(3)) // whole groups of 8 pairs
		}
		ld := nb + r.IntN(9)
		p0, j0 := r.IntN(3), r.IntN(3)
		h := make([]E, (p0+kb)*ld+j0+nb)
		for i := range h {
			h[i] = rnd(r)
		}
		h0 := append([]E(nil), h...)
		size := roundUp(nb, nr) * dotPairs(kb)
		pack := func(fast bool) []float32 {
			dst := make([]float32, size+guard)
			for i := range dst {
				dst[i] = float32(i) + 0.5
			}
			saved, savedOf := packBPairsFast, packBPairsOfFast
			if !fast {
				packBPairsFast, packBPairsOfFast = nil, nil
			}
			defer func() { packBPairsFast, packBPairsOfFast = saved, savedOf }()
			packBPairsPart(dst[:size], h, ld, p0, j0, kb, nb, nr, dotPairs(kb))
			return dst
		}
		got, want := pack(true), pack(false)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("nr=%d kb=%d nb=%d ld=%d p0=%d j0=%d: dst[%d] = %#08x, want %#08x (size %d)",
					nr, kb, nb, ld, p0, j0, i, math.Float32bits(got[i]), math.Float32bits(want[i]), size)
			}
		}
		for i := range h {
			if stored16or32(h[i]) != stored16or32(h0[i]) {
				t.Fatalf("kb=%d nb=%d: the source changed at %d", kb, nb, i)
			}
		}
	}
}

// TestDotPackedWPlain: a PackedW of bfloat16 pairs (PackBF16 with the dot
// tile) takes half the float32 panels' space, and is refused by Forward
// and by Backward for dX, whose float32 tiles would misread it; Backward
// without dX does not read it.
func TestDotPackedWPlain(t *testing.T) {
	if active.f32.dotTile == nil {
		t.Skip("no dot tile on the path in use")
	}
	const m, k, n = 5, 20, 18
	w := make([]BF16, k*n)
	for i := range w {
		w[i] = BF16From(float32(i%7) - 3)
	}
	pw := new(PackedW[float32])
	pw.PackBF16(k, n, w, 0)
	// Pairs take half the float32 panels' space (K and N even here).
	nr, bl := active.f32.nr, active.b32
	if 2*len(pw.fwd) != packedLen(k, n, nr, bl) || 2*len(pw.bwd) != packedLen(n, k, nr, bl) {
		t.Errorf("PackBF16's panels hold %d and %d elements, want half of %d and %d", len(pw.fwd), len(pw.bwd), packedLen(k, n, nr, bl), packedLen(n, k, nr, bl))
	}
	x, r := make([]float32, m*k), make([]float32, m*n)
	wantPanic(t, "Forward on a PackBF16 PackedW", "kernels: PW was packed by PackBF16 for the bfloat16 dot-product tiles, which Forward does not use: pack it with Pack or PackW", func() {
		Forward(&ForwardArgs[float32]{M: m, K: k, N: n, X: x, PW: pw, R: r})
	})
	dr, dx, dw := make([]float32, m*n), make([]float32, m*k), make([]float32, k*n)
	wantPanic(t, "Backward's dX on a PackBF16 PackedW", "kernels: PW was packed by PackBF16 for the bfloat16 dot-product tiles, which Backward does not use: pack it with Pack or PackW", func() {
		Backward(&BackwardArgs[float32]{M: m, K: k, N: n, PW: pw, DR: dr, Z: make([]float32, m*n), DX: dx})
	})
	wantNoPanic(t, "Backward's dW on a PackBF16 PackedW", func() {
		Backward(&BackwardArgs[float32]{M: m, K: k, N: n, X: x, PW: pw, DR: dr, Z: make([]float32, m*n), DW: dw})
	})
}

// TestSelectBF16 checks rowH, dZ in bfloat16 from dR and the mask bits
// (assembly from the first mask word on, Go before it), against at:
// rows starting at every offset within a mask word, lengths around the
// words, specials in dR (the select keeps NaN payloads, and −0 where the
// bit is set), a guard after out, dR and the bits unchanged; on the
// visit, db and dz as row adds and writes them.
func TestSelectBF16(t *testing.T) {
	r := newRand(83)
	const m, n = 3, 300
	stride := MaskWords(n) + 1
	for it := range 400 {
		i, j0 := r.IntN(m), r.IntN(70)
		ln := r.IntN(n - j0)
		drh := make([]BF16, m*n)
		for k := range drh {
			drh[k] = randDotBF16(r)
		}
		bits := make([]uint64, m*stride)
		for k := range bits {
			bits[k] = r.Uint64()
		}
		if it%4 == 0 {
			bits[i*stride+r.IntN(stride)] = ^uint64(0)
		}
		dr0, bits0 := append([]BF16(nil), drh...), append([]uint64(nil), bits...)
		var db, dz []float32
		visit := it%2 == 1
		if visit {
			db, dz = make([]float32, n), make([]float32, m*n)
			for k := range db {
				db[k] = float32(k)
			}
		}
		s := &dzSource[float32]{o: &active.f32, drh: drh, lddr: n, bits: bits, stride: stride, db: db, dz: dz, lddz: n, widen: active.bf16.from}
		out := make([]BF16, ln+3)
		out[ln], out[ln+1], out[ln+2] = 7, 8, 9
		wide := make([]float32, ln)
		rowH(s, out[:ln], i, j0, visit, wide)
		for j := range ln {
			want := s.at(i, j0+j)
			if math.Float32bits(out[j].Float32()) != math.Float32bits(want) {
				t.Fatalf("i=%d j0=%d n=%d: dZ[%d] = %#04x, want %#08x", i, j0, ln, j, uint16(out[j]), math.Float32bits(want))
			}
			if visit && (math.Float32bits(dz[i*n+j0+j]) != math.Float32bits(want) || !sameF32(db[j0+j], float32(j0+j)+want)) {
				t.Fatalf("i=%d j0=%d n=%d: visit of %d: dz %#08x, db %v, want %#08x, %v", i, j0, ln, j, math.Float32bits(dz[i*n+j0+j]), db[j0+j], math.Float32bits(want), float32(j0+j)+want)
			}
		}
		if out[ln] != 7 || out[ln+1] != 8 || out[ln+2] != 9 {
			t.Fatalf("i=%d j0=%d n=%d: rowH wrote past the row", i, j0, ln)
		}
		for k := range drh {
			if drh[k] != dr0[k] {
				t.Fatalf("dR changed at %d", k)
			}
		}
		for k := range bits {
			if bits[k] != bits0[k] {
				t.Fatalf("the mask changed at word %d", k)
			}
		}
	}
}

// sameF32: a and b are the same float32, or both NaN.
func sameF32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestDotDirectA: the dot tile reads a forward job's bfloat16 A where it
// lies exactly when its pairs are whole float32 words of a matrix: K, the
// leading dimension and kc even, rows 4-byte aligned, untransposed, and
// as directA has it for float32 (N up to directMaxACols, rows not a
// multiple of 2 KiB apart).
func TestDotDirectA(t *testing.T) {
	o := &active.f32 // the dot tile is on the AVX-512 path, which reads A in place
	if o.dotTile == nil {
		t.Skip("no dot tile")
	}
	h := make([]BF16, 64*1000+2)
	job := func(k, ld, off, n int, trans bool) *gemmJob[float32] {
		return &gemmJob[float32]{m: 64, n: n, k: k, dot: true, a: operand[float32]{h: h[off:], ld: ld, trans: trans}}
	}
	for _, c := range []struct {
		k, ld, off, n, kc int
		trans             bool
		want              bool
	}{
		{784, 784, 0, 256, 1024, false, true},
		{784, 786, 2, 256, 1024, false, true},
		{784, 786, 1, 256, 1024, false, false}, // rows at odd BF16 offsets: pairs straddle words
		{783, 784, 0, 256, 1024, false, false}, // odd K: the last pair is padded when packed
		{784, 785, 0, 256, 1024, false, false}, // odd ld
		{784, 784, 0, 256, 1022 + 1, false, false},
		{784, 784, 0, 256, 1024, true, false},
		{784, 784, 0, directMaxACols + 16, 1024, false, false},
		{1024, 1024, 0, 256, 1024, false, false}, // rows 2 KiB apart
		{0, 784, 0, 256, 1024, false, false},
	} {
		got := dotDirectA(o, job(c.k, c.ld, c.off, c.n, c.trans), c.kc) != nil
		if got != c.want {
			t.Errorf("k=%d ld=%d offset=%d n=%d kc=%d trans=%v: A where it lies %v, want %v", c.k, c.ld, c.off, c.n, c.kc, c.trans, got, c.want)
		}
	}
}

// TestDotDirectB: the dot tile reads a forward job's bfloat16 B where it
// lies (its rows, paired as loaded) exactly when its rows hold whole
// float32 words: K, the leading dimension and kc even, rows 4-byte
// aligned, untransposed, not prepacked, up to dotDirectBMaxRows rows and
// as many row tiles as directB allows a float32 B whose rows are as many
// bytes apart (the class's directMaxTiles, directMax4K and directMaxLd).
func TestDotDirectB(t *testing.T) {
	o := &active.f32
	if o.dotTile == nil {
		t.Skip("no dot tile")
	}
	h := make([]BF16, 4096*1000+2)
	maxRows, l := min(o.mr*o.limits.directMaxTiles, dotDirectBMaxRows), o.limits
	job := func(m, k, ld, off int, trans bool) *gemmJob[float32] {
		return &gemmJob[float32]{m: m, n: 256, k: k, dot: true, b: operand[float32]{h: h[off:], ld: ld, trans: trans}}
	}
	type tc struct {
		m, k, ld, off, kc int
		trans             bool
		want              bool
	}
	cases := []tc{
		{64, 256, 256, 0, 1024, false, true},
		{64, 256, 258, 2, 1024, false, true},
		{maxRows, 256, 256, 0, 1024, false, true},
		{maxRows + 1, 256, 256, 0, 1024, false, false}, // one row tile more than directB's
		{64, 256, 258, 1, 1024, false, false},          // rows at odd BF16 offsets: words straddle pairs
		{64, 255, 256, 0, 1024, false, false},          // odd K: the last pair is padded when packed
		{64, 256, 257, 0, 1024, false, false},          // odd ld
		{64, 256, 256, 0, 1023, false, false},          // odd kc
		{64, 256, 256, 0, 1024, true, false},
		{64, 0, 256, 0, 1024, false, false},
	}
	if l.directMax4K < l.directMaxTiles { // rows 4 KiB apart: fewer row tiles
		cases = append(cases, tc{o.mr * l.directMax4K, 256, 2048, 0, 1024, false, true},
			tc{o.mr*l.directMax4K + 1, 256, 2048, 0, 1024, false, false})
	}
	if l.directMaxLd > 0 {
		cases = append(cases, tc{64, 256, l.directMaxLd / 2, 0, 1024, false, false},
			tc{64, 256, l.directMaxLd/2 - 2, 0, 1024, false, l.directMaxLd/2-2 < 2048 || 4 <= l.directMax4K})
	}
	for _, c := range cases {
		got := dotDirectB(o, job(c.m, c.k, c.ld, c.off, c.trans), c.kc) != nil
		if got != c.want {
			t.Errorf("m=%d k=%d ld=%d offset=%d kc=%d trans=%v: B where it lies %v, want %v", c.m, c.k, c.ld, c.off, c.kc, c.trans, got, c.want)
		}
	}
	j := job(64, 256, 256, 0, false)
	j.b.prepacked = true
	if dotDirectB(o, j, 1024) != nil {
		t.Error("a prepacked B read where it lies")
	}
}
