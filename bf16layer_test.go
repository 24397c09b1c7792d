package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// The bfloat16 layers are the float32 kernels on the widened inputs
// (ForwardBF16's doc): each case runs ForwardBF16 or BackwardBF16 on
// guarded bfloat16 operands and Forward or Backward on the same values
// widened (W, or W packed when the case packs it), on the same path, and
// wants the same bits: the routes are chosen alike and compute alike.

// hGuard is the bfloat16 guard element: a signalling NaN no kernel makes.
const hGuard BF16 = 0x7FA5

// hmat is a guarded bfloat16 matrix laid out as its float32 twin f
// (same offset, leading dimension and guards): f holds the widened
// values of an input, or the reference of an output.
type hmat struct {
	f *mat[float32]
	h []BF16
}

// newHIn returns a bfloat16 input with random values, a fraction special
// of them special values, and its widened twin.
func newHIn(r *rand.Rand, rows, cols int, lo layout, special float64) *hmat {
	f := newMat[float32](rows, cols, lo)
	tab := specials[float32]()
	f.fill(func(int, int) float32 {
		v := randVal[float32](r)
		if r.Float64() < special {
			v = randSpecial(r, tab)
		}
		return BF16From(v).Float32()
	})
	m := &hmat{f: f, h: make([]BF16, len(f.buf))}
	for i := range m.h {
		m.h[i] = hGuard
	}
	for i := range rows {
		for j := range cols {
			m.h[f.off+i*f.ld+j] = BF16From(f.at(i, j))
		}
	}
	return m
}

// newHOut returns a bfloat16 output, every element guard.
func newHOut(rows, cols int, lo layout) *hmat {
	m := &hmat{f: newMat[float32](rows, cols, lo)}
	m.h = make([]BF16, len(m.f.buf))
	for i := range m.h {
		m.h[i] = hGuard
	}
	return m
}

func (m *hmat) arg() []BF16 {
	if m == nil {
		return nil
	}
	return m.h[m.f.off : m.f.off+m.f.n : m.f.off+m.f.n]
}

func (m *hmat) ldArg() int {
	if m == nil {
		return 0
	}
	return m.f.ldArg()
}

// checkOut checks an output: its elements ref rounded (BF16From; a NaN
// any NaN, as in sameElems), its guards untouched.
func (m *hmat) checkOut(tb testing.TB, name string, ref *mat[float32]) {
	tb.Helper()
	if m == nil {
		return
	}
	e := errs{tb: tb, what: name}
	for idx, v := range m.h {
		if !m.f.isElem(idx) {
			if v != hGuard {
				e.add("guard element %d was written: %#04x", idx, uint16(v))
			}
			continue
		}
		rel := idx - m.f.off
		i, j := rel/m.f.ld, rel%m.f.ld
		if want := BF16From(ref.at(i, j)); v != want && !(isNaN(ref.at(i, j)) && isNaN(v.Float32())) {
			e.add("[%d,%d] = %#04x, want %#04x (float32 %s rounded)", i, j, uint16(v), uint16(want), fmtBits(ref.at(i, j)))
		}
	}
	e.done()
}

// sameElems checks that the elements of got and want are the same bits
// (the guards of got apart: checkGuard checks them), a NaN any NaN: which
// NaN operand a sum propagates is not part of the contract (the routes
// of a float32 dX put the operands of their FMAs in different orders).
func sameElems(tb testing.TB, name string, got, want *mat[float32]) {
	tb.Helper()
	if got == nil {
		return
	}
	got.checkGuard(tb, name)
	e := errs{tb: tb, what: name}
	for i := range got.rows {
		for j := range got.cols {
			if bitsOf(got.at(i, j)) != bitsOf(want.at(i, j)) && !(isNaN(got.at(i, j)) && isNaN(want.at(i, j))) {
				e.add("[%d,%d] = %s, want %s", i, j, fmtBits(got.at(i, j)), fmtBits(want.at(i, j)))
			}
		}
	}
	e.done()
}

// pick returns v when keep, else nil.
func pick[P any](keep bool, v *P) *P {
	if keep {
		return v
	}
	return nil
}

// checkForwardBF16 runs one forward case: the outputs of flags (bit 0 R,
// 1 R32, 2 Z, 3 mask, 4 PW, 5 bias, 6 W32 where not PW: W in float32,
// values that round to the case's bfloat16 W, with its layout and
// guards), at least one of R, R32 and Z.
func checkForwardBF16(tb testing.TB, r *rand.Rand, m, k, n, flags, idx int) {
	tb.Helper()
	if flags&7 == 0 {
		flags |= 1
	}
	c := fmt.Sprintf("ForwardBF16 M=%d K=%d N=%d flags=%#x: ", m, k, n, flags)
	x := newHIn(r, m, k, lay(idx), 0.03)
	w := newHIn(r, k, n, lay(idx+1), 0.03)
	var bias []float32
	if flags&32 != 0 {
		bias = make([]float32, n)
		for i := range bias {
			bias[i] = randVal[float32](r)
		}
		if n > 0 && r.IntN(2) == 0 {
			bias[r.IntN(n)] = randSpecial(r, specials[float32]())
		}
	}
	xh, wh, biasBefore := slices.Clone(x.h), slices.Clone(w.h), slices.Clone(bias)
	var w32, w32Before []float32
	useW32 := flags&16 == 0 && flags&64 != 0
	if useW32 {
		// Each value of W with low bits below a half (none for ±Inf,
		// whose low bits would make a NaN): ToBF16 gives W's back.
		w32 = make([]float32, len(w.h))
		for i, h := range w.h {
			low := uint32(r.IntN(0x8000))
			if h&0x7FFF == 0x7F80 {
				low = 0
			}
			w32[i] = math.Float32frombits(uint32(h)<<16 | low)
		}
		w32Before = slices.Clone(w32)
	}

	// The reference: Forward with W packed (the packed route, always).
	ref := struct {
		r, z *mat[float32]
		mask *maskBuf
	}{newMat[float32](m, n, layout{}), newMat[float32](m, n, layout{}), newMaskBuf(m, n, 0, 0)}
	fa := ForwardArgs[float32]{M: m, K: k, N: n, X: x.f.arg(), LdX: x.f.ldArg(), Bias: bias,
		R: ref.r.arg(), Z: ref.z.arg(), Mask: ref.mask.m}
	if flags&16 != 0 {
		fa.PW = PackW(k, n, w.f.arg(), w.f.ldArg())
	} else {
		fa.W, fa.LdW = w.f.arg(), w.f.ldArg()
	}
	Forward(&fa)
	job := gemmJob[float32]{m: m, n: n, k: k, a: operand[float32]{h: x.h}, b: operand[float32]{h: w.h, ld: w.f.ld, prepacked: flags&16 != 0, pairs: flags&16 != 0, round: useW32}}
	if k > 0 && takesDot(opsFor[float32](active), &job) {
		// The dot route: its own sums (dotZ), the same epilogue.
		kc := blocksFor[float32](active).kc
		for i := range m {
			for j := range n {
				v := dotZ(func(p int) BF16 { return x.h[x.f.off+i*x.f.ld+p] },
					func(p int) BF16 { return w.h[w.f.off+p*w.f.ld+j] }, k, kc, bias, j)
				ref.z.set(i, j, v)
				ref.r.set(i, j, reluWant(v))
				ref.mask.set(i, j, !(v < 0))
			}
		}
	}

	rh := pick(flags&1 != 0, newHOut(m, n, lay(idx+2)))
	r32 := pick(flags&2 != 0, newMat[float32](m, n, lay(idx+3)))
	z := pick(flags&4 != 0, newMat[float32](m, n, lay(idx+4)))
	mask := pick(flags&8 != 0, newMaskBuf(m, n, idx%2, idx%3))
	a := ForwardBF16Args{M: m, K: k, N: n, X: x.arg(), LdX: x.ldArg(), Bias: bias,
		R: rh.arg(), LdR: rh.ldArg(), R32: r32.arg(), LdR32: r32.ldArg(), Z: z.arg(), LdZ: z.ldArg()}
	if mask != nil {
		a.Mask = mask.m
	}
	switch {
	case flags&16 != 0:
		a.PW = new(PackedW[float32])
		a.PW.PackBF16(k, n, w.arg(), w.ldArg())
	case useW32:
		a.W32, a.LdW = w32[w.f.off:w.f.off+w.f.n:w.f.off+w.f.n], w.ldArg()
	default:
		a.W, a.LdW = w.arg(), w.ldArg()
	}
	ForwardBF16(&a)
	if useW32 {
		checkSameBits(tb, c+"W32 (an input)", w32, w32Before)
	}

	rh.checkOut(tb, c+"R", ref.r)
	sameElems(tb, c+"R32", r32, ref.r)
	sameElems(tb, c+"Z", z, ref.z)
	if mask != nil {
		mask.checkWritten(tb, c+"Mask")
		e := errs{tb: tb, what: c + "Mask"}
		for i := range m {
			for j := range n {
				if mask.bit(i, j) != ref.mask.bit(i, j) {
					e.add("[%d,%d] = %v, want %v (Z = %s)", i, j, mask.bit(i, j), ref.mask.bit(i, j), fmtBits(ref.z.at(i, j)))
				}
			}
		}
		e.done()
	}
	if !slices.Equal(x.h, xh) || !slices.Equal(w.h, wh) {
		tb.Errorf("%san input changed", c)
	}
	checkSameBits(tb, c+"Bias (an input)", bias, biasBefore)
}

// checkBackwardBF16 runs one backward case: the outputs of flags (bit 0
// DX, 1 DX32, 2 DW, 3 DB, 4 PW, 5 Accumulate: into DX32, DW and DB,
// while DX is DX32 rounded, or without DX32 a fresh dZ·Wᵀ rounded).
func checkBackwardBF16(tb testing.TB, r *rand.Rand, m, k, n, flags, idx int) {
	tb.Helper()
	if flags&15 == 0 {
		flags |= 1 | 4
	}
	c := fmt.Sprintf("BackwardBF16 M=%d K=%d N=%d flags=%#x: ", m, k, n, flags)
	accum := flags&32 != 0
	x := newHIn(r, m, k, lay(idx), 0.02)
	w := newHIn(r, k, n, lay(idx+1), 0.02)
	dr := newHIn(r, m, n, lay(idx+2), 0.02)
	mask := newMaskBuf(m, n, idx%2, 0)
	for i := range m {
		for j := range n {
			mask.set(i, j, r.IntN(3) != 0)
		}
	}
	if n%64 != 0 {
		for i := range m { // the bits past Cols are zero, as Forward leaves them
			mask.m.Bits[i*mask.m.Stride+(n-1)/64] &= 1<<(n%64) - 1
		}
	}
	inputs := [][]BF16{slices.Clone(x.h), slices.Clone(w.h), slices.Clone(dr.h)}
	maskBefore := slices.Clone(mask.words)

	// Initial values for Accumulate; the reference starts from the same.
	init := func(rows, cols int, lo layout, seed uint64) *mat[float32] {
		v := newMat[float32](rows, cols, lo)
		if accum {
			v.fillRand(newRand(seed))
		}
		return v
	}
	ref := struct{ dx, dw, db *mat[float32] }{init(m, k, layout{}, 1), init(k, n, layout{}, 2), init(1, n, layout{}, 3)}
	dx32 := pick(flags&2 != 0, init(m, k, lay(idx+3), 1))
	dw := pick(flags&4 != 0, init(k, n, lay(idx+4), 2))
	db := pick(flags&8 != 0, init(1, n, layout{mis: idx % 3}, 3))
	ba := BackwardArgs[float32]{M: m, K: k, N: n, X: x.f.arg(), LdX: x.f.ldArg(),
		DR: dr.f.arg(), LdDR: dr.f.ldArg(), Mask: mask.m,
		DX: ref.dx.arg(), DW: ref.dw.arg(), DB: ref.db.arg(), Accumulate: accum}
	if flags&16 != 0 {
		ba.PW = PackW(k, n, w.f.arg(), w.f.ldArg())
	} else {
		ba.W, ba.LdW = w.f.arg(), w.f.ldArg()
	}
	dx0, dw0 := init(m, k, layout{}, 1), init(k, n, layout{}, 2) // the initial values, for the dot route's reference
	Backward(&ba)
	dotBackwardRef(m, k, n, x, w, dr, mask, flags&16 != 0, flags&1 != 0 || flags&2 != 0, flags&4 != 0, accum, dx0, dw0, ref.dx, ref.dw)
	if accum && flags&1 != 0 && flags&2 == 0 {
		// DX without DX32 is written, not added into: its reference is
		// dX computed on its own, without Accumulate.
		fresh := newMat[float32](m, k, layout{})
		bx := ba
		bx.DX, bx.DW, bx.DB, bx.Accumulate = fresh.arg(), nil, nil, false
		Backward(&bx)
		dotBackwardRef(m, k, n, x, w, dr, mask, flags&16 != 0, true, false, false, newMat[float32](m, k, layout{}), dw0, fresh, ref.dw)
		ref.dx = fresh
	}

	dxh := pick(flags&1 != 0, newHOut(m, k, lay(idx+5)))
	a := BackwardBF16Args{M: m, K: k, N: n, X: x.arg(), LdX: x.ldArg(), DR: dr.arg(), LdDR: dr.ldArg(), Mask: mask.m,
		DX: dxh.arg(), LdDX: dxh.ldArg(), DX32: dx32.arg(), LdDX32: dx32.ldArg(), DW: dw.arg(), LdDW: dw.ldArg(),
		Accumulate: accum}
	if db != nil {
		a.DB = db.arg()
	}
	if flags&16 != 0 {
		a.PW = new(PackedW[float32])
		a.PW.PackBF16(k, n, w.arg(), w.ldArg())
	} else {
		a.W, a.LdW = w.arg(), w.ldArg()
	}
	BackwardBF16(&a)

	dxh.checkOut(tb, c+"DX", ref.dx)
	sameElems(tb, c+"DX32", dx32, ref.dx)
	sameElems(tb, c+"DB", db, ref.db)
	sameElems(tb, c+"DW", dw, ref.dw)
	if !slices.Equal(x.h, inputs[0]) || !slices.Equal(w.h, inputs[1]) || !slices.Equal(dr.h, inputs[2]) || !slices.Equal(mask.words, maskBefore) {
		tb.Errorf("%san input changed", c)
	}
}

func sweepBF16(t *testing.T, ms, ns, ks []int, seed uint64) {
	r := newRand(seed)
	for _, dir := range []string{"forward", "backward"} {
		t.Run(dir, func(t *testing.T) {
			sw := newSweep(t)
			defer sw.done()
			idx := 0
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						idx++
						flags := idx * 37 % 128
						sw.do(func(tb testing.TB) {
							tb.Helper()
							callOK(tb, fmt.Sprintf("M=%d K=%d N=%d flags=%#x", m, k, n, flags), func() {
								if dir == "forward" {
									checkForwardBF16(tb, r, m, k, n, flags, idx)
								} else {
									checkBackwardBF16(tb, r, m, k, n, flags, idx)
								}
							})
						})
					}
				}
			}
		})
	}
}

// TestLayersBF16 checks ForwardBF16 and BackwardBF16 against Forward and
// Backward on the widened inputs, on every path, over shapes that cross
// every tile boundary and (smallblocks) every cache block.
func TestLayersBF16(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("tiles", func(t *testing.T) {
			ms, ns, ks := sizes[float32](p)
			sweepBF16(t, ms, dedup(append(ns, 65)), ks, 41)
		})
		t.Run("smallblocks", func(t *testing.T) {
			q := smallBlocks(p)
			setPath(t, q)
			ms, ns, ks := smallSizes[float32](q)
			sweepBF16(t, dedup(append(ms, 9, 17)), ns, ks, 42)
		})
	})
}

// TestLayersBF16Threads: the same bits for any number of threads, and no
// allocation once the scratch is warm.
func TestLayersBF16Threads(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		const m, k, n = 150, 300, 200
		r := newRand(7)
		x, w, dr := newHIn(r, m, k, layout{}, 0.01), newHIn(r, k, n, layout{}, 0.01), newHIn(r, m, n, layout{}, 0.01)
		bias := make([]float32, n)
		for i := range bias {
			bias[i] = randVal[float32](r)
		}
		type outs struct {
			r, dx     []BF16
			z, dw, db []float32
			mask      Mask
		}
		run := func(threads int) outs {
			o := outs{r: make([]BF16, m*n), dx: make([]BF16, m*k), z: make([]float32, m*n),
				dw: make([]float32, k*n), db: make([]float32, n), mask: NewMask(m, n)}
			ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x.arg(), W: w.arg(), Bias: bias,
				R: o.r, Z: o.z, Mask: o.mask, Threads: threads})
			BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, X: x.arg(), W: w.arg(), DR: dr.arg(),
				Mask: o.mask, DX: o.dx, DW: o.dw, DB: o.db, Threads: threads})
			return o
		}
		one := run(1)
		for _, threads := range []int{2, 3} {
			got := run(threads)
			if !slices.Equal(got.r, one.r) || !slices.Equal(got.dx, one.dx) || !slices.Equal(got.mask.Bits, one.mask.Bits) {
				t.Errorf("threads=%d: R, DX or the mask differ from one thread's (R %v, DX %v, mask %v)", threads, slices.Equal(got.r, one.r), slices.Equal(got.dx, one.dx), slices.Equal(got.mask.Bits, one.mask.Bits))
			}
			checkSameBits(t, fmt.Sprintf("threads=%d Z", threads), got.z, one.z)
			checkSameBits(t, fmt.Sprintf("threads=%d DW", threads), got.dw, one.dw)
			checkSameBits(t, fmt.Sprintf("threads=%d DB", threads), got.db, one.db)
		}
		if raceEnabled {
			return // the detector allocates
		}
		o := run(1)
		pw := new(PackedW[float32])
		pw.PackBF16(k, n, w.arg(), 0)
		allocs := testing.AllocsPerRun(5, func() {
			ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x.arg(), PW: pw, Bias: bias, R: o.r, Mask: o.mask, Threads: 1})
			BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, X: x.arg(), PW: pw, DR: dr.arg(), Mask: o.mask, DX: o.dx, DW: o.dw, DB: o.db, Threads: 1})
			pw.PackBF16(k, n, w.arg(), 0)
		})
		if allocs != 0 {
			t.Errorf("%v allocations a forward, backward and PackBF16, want 0", allocs)
		}
	})
}

// TestLayersBF16Panics: bad arguments panic with a message, before
// anything is written.
func TestLayersBF16Panics(t *testing.T) {
	const m, k, n = 4, 5, 6
	x, w, dr := make([]BF16, m*k), make([]BF16, k*n), make([]BF16, m*n)
	r, r32, z := make([]BF16, m*n), make([]float32, m*n), make([]float32, m*n)
	mask := NewMask(m, n)
	fwd := func(edit func(a *ForwardBF16Args)) func() {
		return func() {
			a := ForwardBF16Args{M: m, K: k, N: n, X: x, W: w, R: r, R32: r32, Z: z, Mask: mask}
			edit(&a)
			ForwardBF16(&a)
		}
	}
	bwd := func(edit func(a *BackwardBF16Args)) func() {
		return func() {
			a := BackwardBF16Args{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: mask,
				DX32: make([]float32, m*k), DW: make([]float32, k*n), DB: make([]float32, n)}
			edit(&a)
			BackwardBF16(&a)
		}
	}
	pw5x7 := new(PackedW[float32])
	pw5x7.PackBF16(5, 7, make([]BF16, 35), 0)
	for _, c := range []struct {
		name, msg string
		f         func()
	}{
		{"nil forward", "kernels: ForwardBF16(nil), want a *ForwardBF16Args", func() { ForwardBF16(nil) }},
		{"nil backward", "kernels: BackwardBF16(nil), want a *BackwardBF16Args", func() { BackwardBF16(nil) }},
		{"no output", "kernels: none of R, R32 and Z given, want at least one", fwd(func(a *ForwardBF16Args) { a.R, a.R32, a.Z = nil, nil, nil })},
		{"short X", "kernels: len(x) = 19, want ≥ 20 for M=4, K=5, ldx=5", fwd(func(a *ForwardBF16Args) { a.X = x[:19] })},
		{"short R", "kernels: len(r) = 23, want ≥ 24 for M=4, N=6, ldr=6", fwd(func(a *ForwardBF16Args) { a.R = r[:23] })},
		{"R32 is Z", "kernels: R32 overlaps Z, want separate memory for an output", fwd(func(a *ForwardBF16Args) { a.Z = a.R32 })},
		{"PW dims", "kernels: PW is 5×7, want K×N = 5×6", fwd(func(a *ForwardBF16Args) { a.PW = pw5x7 })},
		{"negative M", "kernels: M = -1, want ≥ 0", fwd(func(a *ForwardBF16Args) { a.M = -1 })},
		{"no mask", "kernels: no Mask given, want the forward pass's mask", bwd(func(a *BackwardBF16Args) { a.Mask = Mask{} })},
		{"short DR", "kernels: len(dr) = 5, want ≥ 24 for M=4, N=6, lddr=6", bwd(func(a *BackwardBF16Args) { a.DR = dr[:5] })},
		{"DB short", "kernels: len(DB) = 5, want ≥ N=6 (or nil)", bwd(func(a *BackwardBF16Args) { a.DB = a.DB[:5] })},
		{"PackBF16 f64", "kernels: PackBF16 on a *PackedW[float64], want a *PackedW[float32]",
			func() { new(PackedW[float64]).PackBF16(k, n, w, 0) }},
		{"PackBF16Of f64", "kernels: PackBF16Of on a *PackedW[float64], want a *PackedW[float32]",
			func() { new(PackedW[float64]).PackBF16Of(k, n, make([]float32, k*n), 0, false) }},
		{"PackBF16Of nil", "kernels: PackBF16Of on a nil *PackedW, want a PackedW (its zero value is ready)",
			func() { (*PackedW[float32])(nil).PackBF16Of(k, n, make([]float32, k*n), 0, false) }},
		{"PackBF16Of short W", "kernels: len(w) = 29, want ≥ 30 for K=5, N=6, ldw=6",
			func() { new(PackedW[float32]).PackBF16Of(k, n, make([]float32, k*n-1), 0, true) }},
		{"PackBF16Of small ldw", "kernels: LdW = 5, want ≥ 6 (the width of W) or 0 for tight",
			func() { new(PackedW[float32]).PackBF16Of(k, n, make([]float32, 99), 5, false) }},
		{"PackBF16Of negative K", "kernels: K = -1, want ≥ 0",
			func() { new(PackedW[float32]).PackBF16Of(-1, n, make([]float32, 99), 0, false) }},
	} {
		wantPanic(t, c.name, c.msg, c.f)
	}
	// Overlaps between the bfloat16 and float32 operands are found too
	// (the checks compare memory, whatever the element type).
	shared := make([]float32, m*n)
	asHalf := unsafe.Slice((*BF16)(unsafe.Pointer(&shared[0])), 2*len(shared))
	wantPanic(t, "R32 over R", "kernels: R overlaps R32, want separate memory for an output", fwd(func(a *ForwardBF16Args) {
		a.R, a.R32 = asHalf[m*n:], shared
	}))
	wantPanic(t, "DX over X", "kernels: DX overlaps X, want separate memory for an output", bwd(func(a *BackwardBF16Args) {
		a.DX, a.X, a.DW = x, x, make([]float32, k*n)
	}))
	buf := make([]float32, m*k+k*n)
	wantPanic(t, "DX32 over DW", "kernels: DX32 overlaps DW, want separate memory for an output", bwd(func(a *BackwardBF16Args) {
		a.DX32, a.DW = buf[:m*k], buf[m*k-1:]
	}))
}

// FuzzLayersBF16 options: bit 0 backward, 1 smallBlocks, 2–8 the case
// flags (checkForwardBF16, checkBackwardBF16), 9–11 the layout rotation;
// the seed draws the values (specials among them). Every path.
func FuzzLayersBF16(f *testing.F) {
	for i, s := range fuzzSeedShapes() {
		f.Add(s[0], s[1], s[2], uint32(i*0x2c9)&^1, uint64(i))
		f.Add(s[0], s[1], s[2], uint32(i*0x3b1)|1|2, uint64(i))
	}
	f.Fuzz(func(t *testing.T, m8, n8, k8 uint8, opts uint32, seed uint64) {
		m, n, k := fuzzDims(m8, n8, k8)
		flags, idx := int(opts>>2&127), int(opts>>9&7)
		for _, p := range fuzzPaths(opts&2 != 0) {
			withPath(p, func() {
				r := newRand(seed)
				if opts&1 == 0 {
					checkForwardBF16(t, r, m, k, n, flags, idx)
				} else {
					checkBackwardBF16(t, r, m, k, n, flags, idx)
				}
			})
		}
	})
}

// TestLayersBF16Bound checks the numerics the README states for the
// bfloat16 layers, on every path, against a float64 reference of the
// bfloat16 inputs (compensated sums, acc): every float32 output, Z, dX32,
// dW and dB, within the float32 rounding bound of its exact sum (bound:
// γ·(n+2)·Σ|terms| with γ = 4u, u = 2⁻²⁴, for the n products and the
// bias), the mask [Z ≥ 0] of the Z returned, R32 = ReLU(Z) and R and dX
// the float32 values rounded to nearest even. The widening paths compute
// in float32 on the widened values, so their error is float32's; the dot
// route's FMAs round as float32's do (its flushing of denormals does not
// arise: no input or product here is near float32's smallest normal).
func TestLayersBF16Bound(t *testing.T) {
	for _, p := range impls {
		withPath(p, func() {
			for _, s := range [][3]int{{1, 7, 5}, {17, 33, 19}, {64, 100, 48}, {3, 300, 70}} {
				m, k, n := s[0], s[1], s[2]
				r := newRand(uint64(m*k*n + 1))
				half := func(l int) []BF16 {
					f := make([]float32, l)
					for i := range f {
						if r.IntN(16) > 0 { // some exact zeros
							f[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(9)-4)))
						}
					}
					h := make([]BF16, l)
					ToBF16(h, f)
					return h
				}
				x, w, dr := half(m*k), half(k*n), half(m*n)
				bias := make([]float32, n)
				for j := range bias {
					bias[j] = float32(r.NormFloat64())
				}
				z, r32, rh, mask := make([]float32, m*n), make([]float32, m*n), make([]BF16, m*n), NewMask(m, n)
				ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, W: w, Bias: bias, Z: z, R32: r32, R: rh, Mask: mask})
				dx32, dxh, dw, db := make([]float32, m*k), make([]BF16, m*k), make([]float32, k*n), make([]float32, n)
				BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: mask, DX32: dx32, DX: dxh, DW: dw, DB: db})

				e := errs{tb: t, what: fmt.Sprintf("%s %dx%dx%d", p.name, m, k, n)}
				check := func(name string, got float32, a *acc) {
					if msg := sumErr(got, a); msg != "" {
						e.add("%s: %s", name, msg)
					}
				}
				rounded := func(name string, got BF16, v float32) {
					var want [1]BF16
					ToBF16(want[:], []float32{v})
					if got != want[0] {
						e.add("%s = %#04x, want %#04x (%v rounded)", name, uint16(got), uint16(want[0]), v)
					}
				}
				dz := make([]float64, m*n)
				for i := range m {
					for j := range n {
						var a acc
						for q := range k {
							a.addProd(float64(x[i*k+q].Float32()), float64(w[q*n+j].Float32()))
						}
						a.add(float64(bias[j]))
						zz := z[i*n+j]
						check(fmt.Sprintf("Z[%d,%d]", i, j), zz, &a)
						if mask.At(i, j) != (zz >= 0) {
							e.add("mask[%d,%d] = %v for Z = %v", i, j, mask.At(i, j), zz)
						}
						if want := max(zz, 0); r32[i*n+j] != want {
							e.add("R32[%d,%d] = %v, want ReLU(%v)", i, j, r32[i*n+j], zz)
						}
						rounded(fmt.Sprintf("R[%d,%d]", i, j), rh[i*n+j], r32[i*n+j])
						if mask.At(i, j) {
							dz[i*n+j] = float64(dr[i*n+j].Float32())
						}
					}
				}
				for i := range m {
					for q := range k {
						var a acc
						for j := range n {
							a.addProd(dz[i*n+j], float64(w[q*n+j].Float32()))
						}
						check(fmt.Sprintf("DX32[%d,%d]", i, q), dx32[i*k+q], &a)
						rounded(fmt.Sprintf("DX[%d,%d]", i, q), dxh[i*k+q], dx32[i*k+q])
					}
				}
				for q := range k {
					for j := range n {
						var a acc
						for i := range m {
							a.addProd(float64(x[i*k+q].Float32()), dz[i*n+j])
						}
						check(fmt.Sprintf("DW[%d,%d]", q, j), dw[q*n+j], &a)
					}
				}
				for j := range n {
					var a acc
					for i := range m {
						a.add(dz[i*n+j])
					}
					check(fmt.Sprintf("DB[%d]", j), db[j], &a)
				}
				e.done()
			}
		})
	}
}

// TestForwardBF16DenormalR: R in bfloat16 is ToBF16 of R in float32, bit
// for bit, where R is denormal too. The dot tiles round R in their
// epilogue with VCVTNEPS2BF16, which flushes denormal lanes to zero, and
// fix such rows up; rows of X that are zero make R = ReLU(bias) there, and
// the bias holds denormals of every rounding case (one that carries into
// the smallest normal among them), normals, zeros and negatives. Every
// path, with and without Z, across tile edges of both dot tiles.
func TestForwardBF16DenormalR(t *testing.T) {
	bias := []float32{
		math.Float32frombits(0x00000001), math.Float32frombits(0x00008000), math.Float32frombits(0x00018000),
		math.Float32frombits(0x0000ffff), math.Float32frombits(0x007fffff), math.Float32frombits(0x00400000),
		math.Float32frombits(0x80000001), math.Float32frombits(0x00017fff), 0, 1.5, -2, math.Float32frombits(0x80000000),
	}
	forEachPath(t, func(t *testing.T, p *impl) {
		r := newRand(91)
		for _, m := range []int{1, 5, 16, 17, 40} {
			for _, n := range []int{7, 16, 33, 70} {
				for _, k := range []int{2, 7, 64} {
					x, w := make([]BF16, m*k), make([]BF16, k*n)
					for i := range x {
						if i/k%3 != 1 { // every third row zero
							x[i] = BF16From(randVal[float32](r))
						}
					}
					for i := range w {
						w[i] = BF16From(randVal[float32](r))
					}
					b := make([]float32, n)
					for j := range b {
						b[j] = bias[(j+m)%len(bias)]
					}
					pw := new(PackedW[float32])
					pw.PackBF16(k, n, w, 0)
					for _, withZ := range []bool{false, true} {
						var z []float32
						if withZ {
							z = make([]float32, m*n)
						}
						rh, r32 := make([]BF16, m*n), make([]float32, m*n)
						ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, PW: pw, Bias: b, R: rh, Z: z})
						ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, PW: pw, Bias: b, R32: r32})
						denormal := 0
						for i, v := range r32 {
							if want := BF16From(v); rh[i] != want {
								t.Fatalf("M=%d K=%d N=%d Z=%v: R[%d] = %#04x, want %#04x (R32 %#08x)",
									m, k, n, withZ, i, rh[i], want, math.Float32bits(v))
							}
							if rh[i]&0x7f80 == 0 && rh[i]&0x7f != 0 {
								denormal++
							}
						}
						if m > 1 && denormal == 0 {
							t.Fatalf("M=%d K=%d N=%d: no denormal in R: the test misses its case", m, k, n)
						}
					}
				}
			}
		}
	})
}
