package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// withNC1 returns a copy of p whose blockings have nc1 set (0: the rule
// off, every job on the path's nc), under the given name.
func withNC1(p *impl, name string, nc1 func(bl blocking, nr int) int) *impl {
	q := *p
	q.name = p.name + "/" + name
	q.b32.nc1 = nc1(p.b32, p.f32.nr)
	q.b64.nc1 = nc1(p.b64, p.f64.nr)
	return &q
}

// TestForJob checks the rule that picks a job's column block: nc1 for a
// job of at most mc rows, nc above, and nc itself where nc1 is 0 or
// larger.
func TestForJob(t *testing.T) {
	bl := blocking{mc: 128, kc: 1024, nc: 8192, nc1: 256}
	for _, c := range []struct{ m, want int }{{1, 256}, {127, 256}, {128, 256}, {129, 8192}, {1000, 8192}} {
		if got := bl.forJob(c.m).nc; got != c.want {
			t.Errorf("forJob(%d) on %+v: nc %d, want %d", c.m, bl, got, c.want)
		}
	}
	if got := (blocking{mc: 128, kc: 1024, nc: 8192}).forJob(1).nc; got != 8192 {
		t.Errorf("forJob with nc1 = 0: nc %d, want 8192", got)
	}
	if got := (blocking{mc: 128, kc: 1024, nc: 64, nc1: 256}).forJob(1).nc; got != 64 {
		t.Errorf("forJob with nc1 > nc: nc %d, want 64", got)
	}
	for _, p := range impls {
		for _, b := range []blocking{p.b32, p.b64} {
			if b.nc1 <= 0 || b.nc1 > b.nc {
				t.Errorf("%s: blocking %+v: nc1 not in [1, nc]", p.name, b)
			}
		}
	}
}

// TestNC1 checks that the jobs of at most mc rows that pack B, on their
// column blocks of nc1 (forJob), give the results of the path's nc bit
// for bit: Forward's R, Z and mask, Backward's dX, dW and db, and GEMM's
// C (with B and Bᵀ), with special values among the operands, one and
// three threads, guard bands and inputs unchanged; on every path, with
// its own blocking and with small blocks that a few columns cross.
func TestNC1(t *testing.T) {
	small := func(p *impl) *impl {
		q := smallBlocks(p)
		q.b32.nc, q.b64.nc = 8*p.f32.nr, 8*p.f64.nr
		return q
	}
	// B packed by every job that does not take the rows route: neither
	// read in place (directB) nor dX's W through the NT kernel.
	packed := func(p *impl) *impl {
		q := packedB(p)
		q.f32.gemmNT, q.f64.gemmNT = nil, nil
		return q
	}
	for _, p := range impls {
		for _, base := range []*impl{p, packed(p), small(packed(p))} {
			on := withNC1(base, "nc1", func(bl blocking, nr int) int {
				if bl.nc1 > 0 {
					return bl.nc1
				}
				return 2 * nr // small blocks: a column block of two micro-panels
			})
			off := withNC1(base, "nc", func(blocking, int) int { return 0 })
			t.Run(on.name, func(t *testing.T) {
				testNC1[float32](t, on, off)
				testNC1[float64](t, on, off)
			})
		}
	}
}

func testNC1[T Float](t *testing.T, on, off *impl) {
	bl := blocksFor[T](on)
	nr := opsFor[T](on).nr
	r := newRand(31)
	// Small blocks cross every block; the path's own cross its nc1 with
	// short sums (the generic path's tiles are slow).
	ms, ks := []int{1, 5, 17, bl.mc}, []int{9, bl.kc + 7}
	if bl.kc > 64 {
		ms, ks = []int{3, 17}, []int{9, 40}
	}
	ns := []int{bl.nc1 + 1, 2*bl.nc1 + nr + 3, min(3*bl.nc1+5, bl.nc+9)}
	if testing.Short() {
		ms, ns = ms[1:], ns[1:]
	}
	idx := 0
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				idx++
				checkNC1[T](t, on, off, r, m, k, n, idx, 1+2*(idx%2))
				if t.Failed() {
					return
				}
			}
		}
	}
}

// checkNC1 runs one case of TestNC1: m×k×n on path on against path off.
func checkNC1[T Float](t *testing.T, on, off *impl, r *rand.Rand, m, k, n, idx, threads int) {
	t.Helper()
	sp := specials[T]()
	fill := func(mt *mat[T]) *mat[T] { return fillSpecial(mt, r, sp, 16) }
	x := fill(newMat[T](m, k, lay(idx)))
	w := fill(newMat[T](k, n, lay(idx+1)))
	bias := fill(newMat[T](1, n, lay(idx+2)))
	dr := fill(newMat[T](m, n, lay(idx+3)))
	xs, ws, bs, drs := x.clone(), w.clone(), bias.clone(), dr.clone()
	what := fmt.Sprintf("%s %d×%d×%d, %d threads", on.name, m, k, n, threads)

	forward := func(p *impl) (rr, z *mat[T], mask Mask) {
		rr, z = newMat[T](m, n, lay(idx+4)), newMat[T](m, n, lay(idx+5))
		mask = NewMask(m, n)
		a := &ForwardArgs[T]{M: m, K: k, N: n, X: x.arg(), LdX: x.ldArg(), W: w.arg(), LdW: w.ldArg(),
			Bias: bias.arg(), R: rr.arg(), LdR: rr.ldArg(), Z: z.arg(), LdZ: z.ldArg(), Mask: mask, Threads: threads}
		withPath(p, func() { Forward(a) })
		return
	}
	gotR, gotZ, gotM := forward(on)
	wantR, wantZ, wantM := forward(off)
	checkSameForward(t, what, " against the path's nc", gotR, gotZ, gotM, wantR, wantZ, wantM)

	backward := func(p *impl) (dx, dw, db *mat[T]) {
		dx, dw, db = newMat[T](m, k, lay(idx+6)), newMat[T](k, n, lay(idx+7)), newMat[T](1, n, lay(idx+8))
		a := &BackwardArgs[T]{M: m, K: k, N: n, X: x.arg(), LdX: x.ldArg(), W: w.arg(), LdW: w.ldArg(),
			DR: dr.arg(), LdDR: dr.ldArg(), Mask: gotM, DX: dx.arg(), LdDX: dx.ldArg(),
			DW: dw.arg(), LdDW: dw.ldArg(), DB: db.arg(), Threads: threads}
		withPath(p, func() { Backward(a) })
		return
	}
	gotDX, gotDW, gotDB := backward(on)
	wantDX, wantDW, wantDB := backward(off)
	for _, c := range []struct {
		name      string
		got, want *mat[T]
	}{{"DX", gotDX, wantDX}, {"DW", gotDW, wantDW}, {"DB", gotDB, wantDB}} {
		c.got.checkGuard(t, what+": "+c.name)
		checkSameBits(t, what+": "+c.name, c.got.buf, c.want.buf)
	}

	// GEMM: C (m×n) = X·W and X·(Wᵀ)ᵀ, β = 1 on a random C.
	wt := fill(newMat[T](n, k, lay(idx+9)))
	wts := wt.clone()
	c0 := fill(newMat[T](m, n, lay(idx+10)))
	for _, tB := range []Transpose{NoTrans, Trans} {
		gemm := func(p *impl) *mat[T] {
			c := c0.clone()
			b, ldb := w.arg(), w.ld
			if tB {
				b, ldb = wt.arg(), wt.ld
			}
			withPath(p, func() {
				GEMMThreads(threads, NoTrans, tB, m, n, k, 1, x.arg(), x.ld, b, ldb, 1, c.arg(), c.ld)
			})
			return c
		}
		got, want := gemm(on), gemm(off)
		got.checkGuard(t, fmt.Sprintf("%s: GEMM C (tB %v)", what, tB))
		checkSameBits(t, fmt.Sprintf("%s: GEMM C (tB %v)", what, tB), got.buf, want.buf)
	}
	x.unchanged(t, what+": X", xs)
	w.unchanged(t, what+": W", ws)
	wt.unchanged(t, what+": Wᵀ", wts)
	bias.unchanged(t, what+": Bias", bs)
	dr.unchanged(t, what+": DR", drs)
}
