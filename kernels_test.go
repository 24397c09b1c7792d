package kernels

// The kernel tests: every path in impls against the float64 reference and
// the definitions, on shapes that cross the tile and block boundaries of
// that path, with strided, misaligned, guarded operands. A new assembly
// path is covered as soon as archImpls returns it.
//
// The case types (gemmCase, fwdCase, bwdCase) hold one call's operands
// and check the active path on them; the sweeps and the fuzz targets
// build cases and run them on every path.

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// ---------------------------------------------------------------------------
// GEMM

type gemmCase[T Float] struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta T
	a, b, c     *mat[T] // c: C before the call (poison when β = 0)
	want        []acc   // the reference of each element of C
}

func (cs *gemmCase[T]) String() string {
	tr := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("GEMM[%s] %s%s m=%d n=%d k=%d α=%v β=%v lda=%d(+%d) ldb=%d(+%d) ldc=%d(+%d)",
		typeName[T](), tr(cs.tA), tr(cs.tB), cs.m, cs.n, cs.k, cs.alpha, cs.beta,
		cs.a.ldArg(), cs.a.off-headGuard, cs.b.ldArg(), cs.b.off-headGuard, cs.c.ldArg(), cs.c.off-headGuard)
}

// newGEMMCase returns a GEMM case with random operands in the given
// layouts; C is poison when β = 0.
func newGEMMCase[T Float](r *rand.Rand, tA, tB bool, m, n, k int, alpha, beta T, la, lb, lc layout) *gemmCase[T] {
	cs := &gemmCase[T]{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	cs.a = newMat[T](ar, ac, la).fillRand(r)
	cs.b = newMat[T](br, bc, lb).fillRand(r)
	cs.c = newMat[T](m, n, lc)
	if beta != 0 {
		cs.c.fillRand(r)
	}
	return cs
}

func (cs *gemmCase[T]) opA(i, p int) T {
	if cs.tA {
		return cs.a.at(p, i)
	}
	return cs.a.at(i, p)
}

func (cs *gemmCase[T]) opB(p, j int) T {
	if cs.tB {
		return cs.b.at(j, p)
	}
	return cs.b.at(p, j)
}

// reference computes want: α·Σ op(A)op(B) + β·C, the product left out
// when k = 0 or α = 0 and C left out when β = 0, as documented.
func (cs *gemmCase[T]) reference() {
	cs.want = make([]acc, cs.m*cs.n)
	for i := range cs.m {
		for j := range cs.n {
			var s acc
			if cs.k > 0 && cs.alpha != 0 {
				for p := range cs.k {
					s.addProd(float64(cs.opA(i, p)), float64(cs.opB(p, j)))
				}
				s = s.scaled(float64(cs.alpha))
			}
			s.n = cs.k
			if cs.beta != 0 {
				var bc acc
				bc.addProd(float64(cs.beta), float64(cs.c.at(i, j)))
				s = s.plus(bc)
			}
			cs.want[i*cs.n+j] = s
		}
	}
}

// check runs GEMM on the active path and checks C, its guard bands and
// the inputs.
func (cs *gemmCase[T]) check(tb testing.TB) *mat[T] {
	tb.Helper()
	if cs.want == nil {
		cs.reference()
	}
	a, b, c := cs.a.clone(), cs.b.clone(), cs.c.clone()
	what := fmt.Sprintf("%s on %s", cs, active.name)
	if !callOK(tb, what, func() {
		GEMM(Transpose(cs.tA), Transpose(cs.tB), cs.m, cs.n, cs.k, cs.alpha, a.arg(), a.ldArg(), b.arg(), b.ldArg(), cs.beta, c.arg(), c.ldArg())
	}) {
		return nil
	}
	a.unchanged(tb, what+": A", cs.a)
	b.unchanged(tb, what+": B", cs.b)
	c.checkGuard(tb, what+": C")
	e := errs{tb: tb, what: what}
	checkSums(&e, "C", c, cs.want)
	e.done()
	return c
}

// ---------------------------------------------------------------------------
// Forward

type fwdCase[T Float] struct {
	m, k, n int
	x, w    *mat[T]
	bias    *mat[T] // 1×N, nil for none
	hasZ    bool
	mask    *maskBuf // nil for none; a fresh copy is written each run
	lr, lz  layout
	want    []acc
}

func (cs *fwdCase[T]) String() string {
	return fmt.Sprintf("Forward[%s] M=%d K=%d N=%d bias=%v Z=%v mask=%v ldx=%d(+%d) ldw=%d(+%d) ldr=+%d ldz=+%d maskStride=%s",
		typeName[T](), cs.m, cs.k, cs.n, cs.bias != nil, cs.hasZ, cs.mask != nil,
		cs.x.ldArg(), cs.x.off-headGuard, cs.w.ldArg(), cs.w.off-headGuard, cs.lr.ldPad, cs.lz.ldPad, cs.maskStride())
}

func (cs *fwdCase[T]) maskStride() string {
	if cs.mask == nil {
		return "-"
	}
	return fmt.Sprint(cs.mask.m.Stride)
}

// fwdFlags: bit 0 bias, bit 1 Z, bit 2 mask.
func newFwdCase[T Float](r *rand.Rand, m, k, n int, flags int, lx, lw, lr, lz layout, maskPad int) *fwdCase[T] {
	cs := &fwdCase[T]{m: m, k: k, n: n, hasZ: flags&2 != 0, lr: lr, lz: lz}
	cs.x = newMat[T](m, k, lx).fillRand(r)
	cs.w = newMat[T](k, n, lw).fillRand(r)
	if flags&1 != 0 {
		cs.bias = newMat[T](1, n, layout{mis: lx.mis, slack: lw.slack}).fillRand(r)
	}
	if flags&4 != 0 {
		cs.mask = newMaskBuf(m, n, maskPad, lr.slack%3)
	}
	return cs
}

func (cs *fwdCase[T]) reference() {
	cs.want = make([]acc, cs.m*cs.n)
	for i := range cs.m {
		for j := range cs.n {
			var s acc
			for p := range cs.k {
				s.addProd(float64(cs.x.at(i, p)), float64(cs.w.at(p, j)))
			}
			if cs.bias != nil {
				s.add(float64(cs.bias.at(0, j)))
				s.n--
			}
			cs.want[i*cs.n+j] = s
		}
	}
}

type fwdOut[T Float] struct {
	r, z *mat[T]
	mask *maskBuf
}

// check runs Forward on the active path and checks R, Z and the mask:
// Z a sum within the bound (or of the right class), R = ReLU(Z) and the
// mask Step(Z) bit for bit on the path's own Z; without Z, R and the mask
// consistent with the reference.
func (cs *fwdCase[T]) check(tb testing.TB) fwdOut[T] {
	tb.Helper()
	if cs.want == nil {
		cs.reference()
	}
	x, w, bias := cs.x.clone(), cs.w.clone(), cs.bias.clone()
	out := fwdOut[T]{r: newMat[T](cs.m, cs.n, cs.lr), mask: cs.mask.clone()}
	args := &ForwardArgs[T]{M: cs.m, K: cs.k, N: cs.n, X: x.arg(), LdX: x.ldArg(), W: w.arg(), LdW: w.ldArg(),
		Bias: bias.arg(), R: out.r.arg(), LdR: out.r.ldArg()}
	if cs.hasZ {
		out.z = newMat[T](cs.m, cs.n, cs.lz)
		args.Z, args.LdZ = out.z.arg(), out.z.ldArg()
	}
	if out.mask != nil {
		args.Mask = out.mask.m
	}
	what := fmt.Sprintf("%s on %s", cs, active.name)
	if !callOK(tb, what, func() { Forward(args) }) {
		return out
	}
	x.unchanged(tb, what+": X", cs.x)
	w.unchanged(tb, what+": W", cs.w)
	bias.unchanged(tb, what+": Bias", cs.bias)
	out.r.checkGuard(tb, what+": R")
	out.z.checkGuard(tb, what+": Z")
	if out.mask != nil {
		out.mask.checkWritten(tb, what+": Mask")
	}
	e := errs{tb: tb, what: what}
	for i := range cs.m {
		for j := range cs.n {
			var zp *T
			if out.z != nil {
				zv := out.z.at(i, j)
				zp = &zv
			}
			bit := -1
			if out.mask != nil {
				bit = 0
				if out.mask.bit(i, j) {
					bit = 1
				}
			}
			if msg := fwdElemErr(out.r.at(i, j), zp, bit, &cs.want[i*cs.n+j]); msg != "" {
				e.add("[%d,%d]: %s", i, j, msg)
			}
		}
	}
	e.done()
	return out
}

// fwdElemErr checks one element of a forward pass: r = R, z = Z if
// stored, bit = the mask bit (−1 for none), want the reference of Z.
func fwdElemErr[T Float](r T, z *T, bit int, want *acc) string {
	if z != nil {
		if msg := sumErr(*z, want); msg != "" {
			return "Z: " + msg
		}
		if rw := reluWant(*z); bitsOf(r) != bitsOf(rw) {
			return fmt.Sprintf("R = %s, want ReLU(Z = %s) = %s", fmtBits(r), fmtBits(*z), fmtBits(rw))
		}
		if bit >= 0 && (bit == 1) != stepWant(*z) {
			return fmt.Sprintf("mask bit %d, want Step(Z = %s)", bit, fmtBits(*z))
		}
		return ""
	}
	cls := want.class()
	wantBit := -1 // −1: either
	switch cls {
	case "NaN":
		if !isNaN(r) {
			return fmt.Sprintf("R = %s, want NaN (Z is NaN)", fmtBits(r))
		}
		wantBit = 1
	case "+Inf":
		if !math.IsInf(float64(r), 1) {
			return fmt.Sprintf("R = %s, want +Inf (Z is +Inf)", fmtBits(r))
		}
		wantBit = 1
	case "-Inf":
		if bitsOf(r) != 0 {
			return fmt.Sprintf("R = %s, want +0 (Z is -Inf)", fmtBits(r))
		}
		wantBit = 0
	default:
		ex, bnd := want.value(), bound[T](want)
		switch {
		case overflowRisk[T](want):
			if r < 0 || bit == 0 && bitsOf(r) != 0 {
				return fmt.Sprintf("R = %s with mask bit %d", fmtBits(r), bit)
			}
		case isNaN(r) || r < 0 || math.IsInf(float64(r), 0):
			return fmt.Sprintf("R = %s, want ReLU of a finite sum ≈ %.17g", fmtBits(r), ex)
		case bit == 0:
			if bitsOf(r) != 0 {
				return fmt.Sprintf("R = %s with mask bit 0 (Z < 0), want +0", fmtBits(r))
			}
			if ex > bnd {
				return fmt.Sprintf("mask bit 0 (Z < 0) but the exact Z is %.17g > bound %.3g", ex, bnd)
			}
		case r == 0 && bit != 1:
			if ex > bnd {
				return fmt.Sprintf("R = %s, want ≈ %.17g (bound %.3g)", fmtBits(r), ex, bnd)
			}
		default:
			if d := math.Abs(float64(r) - ex); d > bnd {
				return fmt.Sprintf("R = %s, want %.17g: error %.3g > bound %.3g (%d terms, Σ|terms| = %.6g)", fmtBits(r), ex, d, bnd, want.n, want.abs)
			}
		}
	}
	if bit >= 0 && wantBit >= 0 && bit != wantBit {
		return fmt.Sprintf("mask bit %d, want %d (Z is %s)", bit, wantBit, cls)
	}
	return ""
}

// ---------------------------------------------------------------------------
// Backward

// bwdCase: outputs wanted by the bits of flags: 1 DX, 2 DW, 4 DB, 8 DZ;
// 16 mask instead of Z; 32 Accumulate.
type bwdCase[T Float] struct {
	m, k, n    int
	x, w, dr   *mat[T]
	z          *mat[T]  // the forward pass's Z (also the source of the mask)
	mask       *maskBuf // its mask, when the case uses the mask
	flags      int
	dx, dw, db *mat[T] // outputs before the call: random when accumulating, poison otherwise
	dzLay      layout
	nilUnused  bool // pass nil for X or W when not required
	ref        bool // the reference below is computed
	dz         []T  // the reference dZ
	wx, ww, wb []acc
}

const (
	bwdDX = 1 << iota
	bwdDW
	bwdDB
	bwdDZ
	bwdMask
	bwdAcc
)

func (cs *bwdCase[T]) String() string {
	var outs []string
	for i, s := range []string{"DX", "DW", "DB", "DZ"} {
		if cs.flags&(1<<i) != 0 {
			outs = append(outs, s)
		}
	}
	src := "Z"
	if cs.flags&bwdMask != 0 {
		src = fmt.Sprintf("Mask(stride %d)", cs.mask.m.Stride)
	}
	return fmt.Sprintf("Backward[%s] M=%d K=%d N=%d from %s, out %v, Accumulate=%v, ldx=%d ldw=%d lddr=%d(+%d)",
		typeName[T](), cs.m, cs.k, cs.n, src, outs, cs.flags&bwdAcc != 0, cs.x.ldArg(), cs.w.ldArg(), cs.dr.ldArg(), cs.dr.off-headGuard)
}

// newBwdCase: lay[0…6] are the layouts of X, W, DR, Z, DX, DW, DZ.
func newBwdCase[T Float](r *rand.Rand, m, k, n, flags int, lay [7]layout, maskPad int) *bwdCase[T] {
	cs := &bwdCase[T]{m: m, k: k, n: n, flags: flags, dzLay: lay[6], nilUnused: lay[0].mis%2 == 1}
	cs.x = newMat[T](m, k, lay[0]).fillRand(r)
	cs.w = newMat[T](k, n, lay[1]).fillRand(r)
	cs.dr = newMat[T](m, n, lay[2]).fillRand(r)
	cs.z = newMat[T](m, n, lay[3]).fillRand(r)
	accum := flags&bwdAcc != 0
	out := func(rows, cols int, lo layout) *mat[T] {
		o := newMat[T](rows, cols, lo)
		if accum {
			o.fillRand(r)
		}
		return o
	}
	if flags&bwdDX != 0 {
		cs.dx = out(m, k, lay[4])
	}
	if flags&bwdDW != 0 {
		cs.dw = out(k, n, lay[5])
	}
	if flags&bwdDB != 0 {
		cs.db = out(1, n, layout{mis: lay[5].mis + 1, slack: lay[4].slack})
	}
	if flags&bwdMask != 0 {
		cs.setMask(maskPad)
	}
	return cs
}

// setMask (re)builds the case's mask from Z; the bits of each row's last
// word past N keep the guard pattern, which the kernels must ignore.
func (cs *bwdCase[T]) setMask(pad int) {
	cs.mask = newMaskBuf(cs.m, cs.n, pad, 2)
	for i := range cs.m {
		for j := range cs.n {
			cs.mask.set(i, j, stepWant(cs.z.at(i, j)))
		}
	}
}

func (cs *bwdCase[T]) reference() {
	m, k, n := cs.m, cs.k, cs.n
	accum := cs.flags&bwdAcc != 0
	cs.ref = true
	cs.dz = make([]T, m*n)
	for i := range m {
		for j := range n {
			var v T // +0
			if cs.flags&bwdMask != 0 && cs.mask.bit(i, j) || cs.flags&bwdMask == 0 && stepWant(cs.z.at(i, j)) {
				v = cs.dr.at(i, j)
			}
			cs.dz[i*n+j] = v
		}
	}
	old := func(o *mat[T], i, j int, s *acc) {
		if accum {
			s.add(float64(o.at(i, j)))
			s.n--
		}
	}
	if cs.dx != nil {
		cs.wx = make([]acc, m*k)
		for i := range m {
			for p := range k {
				s := &cs.wx[i*k+p]
				for j := range n {
					s.addProd(float64(cs.dz[i*n+j]), float64(cs.w.at(p, j)))
				}
				old(cs.dx, i, p, s)
			}
		}
	}
	if cs.dw != nil {
		cs.ww = make([]acc, k*n)
		for p := range k {
			for j := range n {
				s := &cs.ww[p*n+j]
				for i := range m {
					s.addProd(float64(cs.x.at(i, p)), float64(cs.dz[i*n+j]))
				}
				old(cs.dw, p, j, s)
			}
		}
	}
	if cs.db != nil {
		cs.wb = make([]acc, n)
		for j := range n {
			s := &cs.wb[j]
			for i := range m {
				s.add(float64(cs.dz[i*n+j]))
			}
			old(cs.db, 0, j, s)
		}
	}
}

type bwdOut[T Float] struct{ dx, dw, db, dz *mat[T] }

// check runs Backward on the active path and checks every output against
// the reference (DZ bit for bit), the guard bands and the inputs.
func (cs *bwdCase[T]) check(tb testing.TB) bwdOut[T] {
	tb.Helper()
	if !cs.ref {
		cs.reference()
	}
	x, w, dr, z, mask := cs.x.clone(), cs.w.clone(), cs.dr.clone(), cs.z.clone(), cs.mask.clone()
	o := bwdOut[T]{dx: cs.dx.clone(), dw: cs.dw.clone(), db: cs.db.clone()}
	if cs.flags&bwdDZ != 0 {
		o.dz = newMat[T](cs.m, cs.n, cs.dzLay)
	}
	a := &BackwardArgs[T]{M: cs.m, K: cs.k, N: cs.n,
		X: x.arg(), LdX: x.ldArg(), W: w.arg(), LdW: w.ldArg(), DR: dr.arg(), LdDR: dr.ldArg(),
		DX: o.dx.arg(), LdDX: o.dx.ldArg(), DW: o.dw.arg(), LdDW: o.dw.ldArg(), DB: o.db.arg(),
		DZ: o.dz.arg(), LdDZ: o.dz.ldArg(), Accumulate: cs.flags&bwdAcc != 0}
	if cs.flags&bwdMask != 0 {
		a.Mask = mask.m
	} else {
		a.Z, a.LdZ = z.arg(), z.ldArg()
	}
	if cs.nilUnused {
		if o.dw == nil {
			a.X, a.LdX = nil, 0
		}
		if o.dx == nil {
			a.W, a.LdW = nil, 0
		}
	}
	what := fmt.Sprintf("%s on %s", cs, active.name)
	if !callOK(tb, what, func() { Backward(a) }) {
		return o
	}
	x.unchanged(tb, what+": X", cs.x)
	w.unchanged(tb, what+": W", cs.w)
	dr.unchanged(tb, what+": DR", cs.dr)
	z.unchanged(tb, what+": Z", cs.z)
	if mask != nil && !equalWords(mask.words, cs.mask.words) {
		tb.Errorf("%s: the input mask (with its guard words) changed", what)
	}
	o.dx.checkGuard(tb, what+": DX")
	o.dw.checkGuard(tb, what+": DW")
	o.db.checkGuard(tb, what+": DB")
	o.dz.checkGuard(tb, what+": DZ")
	e := errs{tb: tb, what: what}
	checkSums(&e, "DX", o.dx, cs.wx)
	checkSums(&e, "DW", o.dw, cs.ww)
	checkSums(&e, "DB", o.db, cs.wb)
	if o.dz != nil {
		for i := range cs.m {
			for j := range cs.n {
				if got, want := o.dz.at(i, j), cs.dz[i*cs.n+j]; bitsOf(got) != bitsOf(want) {
					e.add("DZ[%d,%d] = %s, want %s (DR %s, Z %s)", i, j, fmtBits(got), fmtBits(want), fmtBits(cs.dr.at(i, j)), fmtBits(cs.z.at(i, j)))
				}
			}
		}
	}
	e.done()
	return o
}

// ---------------------------------------------------------------------------
// Against the generic path

// vsGeneric runs f with the generic path active, its failures discarded
// (the generic path's own tests report them), and returns its result; ok
// is false when the active path is generic or the generic run failed.
func vsGeneric[R any](tb testing.TB, f func(tb testing.TB) R) (r R, ok bool) {
	if strings.HasPrefix(active.name, "generic") {
		return r, false
	}
	rec := &recorder{TB: tb}
	withPath(generic(), func() { r = f(rec) })
	return r, rec.fails == 0
}

// checkAll checks the active path against the reference and then against
// the generic path: the sums within twice the bound, everything else bit
// for bit.
func (cs *gemmCase[T]) checkAll(tb testing.TB) {
	tb.Helper()
	c := cs.check(tb)
	if ref, ok := vsGeneric(tb, cs.check); ok {
		crossSums(tb, fmt.Sprintf("%s: C on %s vs generic", cs, active.name), c, ref, cs.want)
	}
}

func (cs *fwdCase[T]) checkAll(tb testing.TB) { cs.checkAll2(tb) }

// checkAll2 is checkAll, returning the active path's outputs.
func (cs *fwdCase[T]) checkAll2(tb testing.TB) fwdOut[T] {
	tb.Helper()
	out := cs.check(tb)
	if ref, ok := vsGeneric(tb, cs.check); ok {
		what := fmt.Sprintf("%s: %%s on %s vs generic", cs, active.name)
		crossSums(tb, fmt.Sprintf(what, "R"), out.r, ref.r, cs.want)
		if out.z != nil && ref.z != nil {
			crossSums(tb, fmt.Sprintf(what, "Z"), out.z, ref.z, cs.want)
		}
	}
	return out
}

func (cs *bwdCase[T]) checkAll(tb testing.TB) {
	tb.Helper()
	out := cs.check(tb)
	if ref, ok := vsGeneric(tb, cs.check); ok {
		what := fmt.Sprintf("%s: %%s on %s vs generic", cs, active.name)
		crossSums(tb, fmt.Sprintf(what, "DX"), out.dx, ref.dx, cs.wx)
		crossSums(tb, fmt.Sprintf(what, "DW"), out.dw, ref.dw, cs.ww)
		crossSums(tb, fmt.Sprintf(what, "DB"), out.db, ref.db, cs.wb)
		if out.dz != nil && ref.dz != nil {
			checkSameBits(tb, fmt.Sprintf(what, "DZ"), out.dz.buf, ref.dz.buf)
		}
	}
}

// ---------------------------------------------------------------------------
// Sweeps

// gemmScalars are the (α, β) pairs the sweeps rotate through.
var gemmScalars = [][2]float64{{1, 0}, {1, 1}, {-0.5, 0}, {2.5, -1.5}, {1, 0.25}, {0, 0.5}, {-1, 1}, {0.75, 0}}

// sizes returns the M, N and K values of the sweeps for p and T: M and N
// around the tile, K around 8 and 16 (unrolled loops) and a few more.
func sizes[T Float](p *impl) (ms, ns, ks []int) {
	mr, nr, _ := tileOf[T](p)
	ms, ns = around(mr), around(nr)
	ks = []int{0, 1, 2, 3, 5, 8, 9, 16, 17, 33}
	if testing.Short() {
		ms = dedup([]int{0, 1, mr - 1, mr + 1, 2*mr + 1})
		ns = dedup([]int{0, 1, nr - 1, nr + 1, 2*nr + 1})
		ks = []int{0, 1, 8, 17}
	}
	return
}

// smallSizes are the sweeps for smallBlocks(p): M and N across 2 blocks
// (mc = 2·mr, nc = 2·nr), K across 3 panels of kc = 8.
func smallSizes[T Float](p *impl) (ms, ns, ks []int) {
	mr, nr, _ := tileOf[T](p)
	ms = dedup([]int{1, mr + 1, 2 * mr, 2*mr + 1, 4*mr + 1, 5*mr - 1})
	ns = dedup([]int{1, nr - 1, 2 * nr, 2*nr + 1, 4*nr + 1})
	ks = []int{0, 7, 8, 9, 17, 25}
	if testing.Short() {
		ms, ns, ks = dedup([]int{1, 2*mr + 1, 4*mr + 1}), dedup([]int{nr - 1, 2*nr + 1, 4*nr + 1}), []int{7, 17}
	}
	return
}

func lay(i int) layout { return layouts[i%len(layouts)] }

func sweepGEMM[T Float](t *testing.T, ms, ns, ks []int, seed uint64) {
	r := newRand(seed)
	sw := newSweep(t)
	defer sw.done()
	idx := 0
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				// Every transpose (one in short mode), the scalars and
				// layouts rotating.
				for tr := range 4 {
					if testing.Short() && tr != idx%4 {
						continue
					}
					idx++
					sc := gemmScalars[idx%len(gemmScalars)]
					cs := newGEMMCase[T](r, tr&1 != 0, tr&2 != 0, m, n, k, T(sc[0]), T(sc[1]), lay(idx), lay(idx+1), lay(idx+3))
					sw.do(cs.checkAll)
				}
			}
		}
	}
}

func testGEMMTyped[T Float](t *testing.T, p *impl) {
	t.Run("tiles", func(t *testing.T) {
		ms, ns, ks := sizes[T](p)
		sweepGEMM[T](t, ms, ns, ks, 1)
	})
	t.Run("smallblocks", func(t *testing.T) {
		sweepSmall(t, p, sweepGEMM[T], smallSizes[T], 2)
	})
	t.Run("packedB", func(t *testing.T) {
		// A path that reads small jobs' B unpacked (directB) packs it for
		// the others: that route on the same sweeps.
		if opsFor[T](p).directB == directBNone {
			t.Skip("B is always packed on this path")
		}
		q := packedB(p)
		setPath(t, q)
		ms, ns, ks := sizes[T](q)
		sweepGEMM[T](t, ms, ns, ks, 6)
		sweepSmall(t, q, sweepGEMM[T], smallSizes[T], 7)
	})
	t.Run("blocks", func(t *testing.T) {
		// The real blocking: K across kc (every transpose), M across mc,
		// N across nc.
		mr, nr, bl := tileOf[T](p)
		r := newRand(3)
		idx := 0
		kks := []int{bl.kc - 1, bl.kc, bl.kc + 1, 2*bl.kc + 1}
		if testing.Short() {
			kks = []int{bl.kc + 1}
		}
		for _, k := range kks {
			for _, m := range []int{1, mr + 1} {
				for _, n := range []int{nr - 1, 2*nr + 1} {
					for tr := range 4 {
						idx++
						sc := gemmScalars[idx%len(gemmScalars)]
						newGEMMCase[T](r, tr&1 != 0, tr&2 != 0, m, n, k, T(sc[0]), T(sc[1]), lay(idx), lay(idx+2), lay(idx+4)).checkAll(t)
					}
				}
			}
		}
		for tr := range 4 {
			newGEMMCase[T](r, tr&1 != 0, tr&2 != 0, bl.mc+1, nr+1, 5, 1, 1, lay(tr), lay(tr+1), lay(tr+2)).checkAll(t)
			newGEMMCase[T](r, tr&1 != 0, tr&2 != 0, 2, bl.nc+1, 3, -1, 0, lay(tr), lay(tr+1), lay(tr+2)).checkAll(t)
		}
	})
	t.Run("scalars", func(t *testing.T) {
		// Every transpose with every (α, β) special case: β = 0 with NaN
		// in C (poison: not read), α = 0 with NaN in A and B (not
		// computed), k = 0.
		mr, nr, _ := tileOf[T](p)
		r := newRand(4)
		for tr := range 4 {
			for _, k := range []int{0, 9} {
				for _, ab := range [][2]float64{{1, 0}, {0, 0}, {0, 1}, {0, -2}, {-1, 1}, {0.5, -0.25}, {3, 0}, {1, 1}} {
					cs := newGEMMCase[T](r, tr&1 != 0, tr&2 != 0, 2*mr+1, nr+3, k, T(ab[0]), T(ab[1]), lay(tr), lay(tr+1), lay(tr+2))
					if ab[0] == 0 {
						cs.a.fill(func(i, j int) T { return poison[T]() })
						cs.b.fill(func(i, j int) T { return T(math.Inf(1)) })
					}
					cs.checkAll(t)
				}
			}
		}
	})
	t.Run("special", func(t *testing.T) {
		// NaN, ±Inf, ±0 and denormals in A, B and C: the class of each
		// sum, and the rounding bound on the finite ones.
		mr, nr, _ := tileOf[T](p)
		r := newRand(5)
		tab := sumSpecials[T]()
		for i := range 16 {
			sc := gemmScalars[i%len(gemmScalars)]
			if sc[0] == 0 {
				sc[0] = 1
			}
			cs := newGEMMCase[T](r, i&1 != 0, i&2 != 0, mr+1+i%3, 2*nr+1-i%2, 9+i, T(sc[0]), T(sc[1]), lay(i), lay(i+1), lay(i+2))
			for _, mt := range []*mat[T]{cs.a, cs.b, cs.c} {
				if mt == cs.c && cs.beta == 0 {
					continue
				}
				mt.fill(func(i, j int) T {
					if r.IntN(30) == 0 {
						return randSpecial(r, tab)
					}
					return mt.at(i, j)
				})
			}
			cs.checkAll(t)
		}
	})
}

func TestGEMM(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("f32", func(t *testing.T) { testGEMMTyped[float32](t, p) })
		t.Run("f64", func(t *testing.T) { testGEMMTyped[float64](t, p) })
	})
}

func sweepForward[T Float](t *testing.T, ms, ns, ks []int, seed uint64) {
	r := newRand(seed)
	sw := newSweep(t)
	defer sw.done()
	idx := 0
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				idx++
				cs := newFwdCase[T](r, m, k, n, idx%8, lay(idx), lay(idx+1), lay(idx+2), lay(idx+3), idx%3)
				sw.do(cs.checkAll)
			}
		}
	}
}

func testForwardTyped[T Float](t *testing.T, p *impl) {
	t.Run("tiles", func(t *testing.T) {
		ms, ns, ks := sizes[T](p)
		ns = dedup(append(ns, 63, 64, 65, 129)) // mask words
		sweepForward[T](t, ms, ns, ks, 11)
	})
	t.Run("smallblocks", func(t *testing.T) {
		sweepSmall(t, p, sweepForward[T], smallSizes[T], 12)
	})
	t.Run("packedB", func(t *testing.T) {
		if opsFor[T](p).directB == directBNone {
			t.Skip("B is always packed on this path")
		}
		q := packedB(p)
		setPath(t, q)
		ms, ns, ks := sizes[T](q)
		ns = dedup(append(ns, 63, 64, 65, 129))
		sweepForward[T](t, ms, ns, ks, 16)
		sweepSmall(t, q, sweepForward[T], smallSizes[T], 17)
	})
	t.Run("flags", func(t *testing.T) {
		// Every combination of bias, Z and mask on shapes with edge tiles.
		mr, nr, bl := tileOf[T](p)
		r := newRand(13)
		for flags := range 8 {
			for i, sh := range [][3]int{{2*mr + 1, 9, 2*nr + 1}, {mr - 1, bl.kc + 1, nr + 1}, {3, 0, 70}} {
				newFwdCase[T](r, sh[0], sh[1], sh[2], flags, lay(i+flags), lay(i+flags+1), lay(i+flags+2), lay(i+flags+3), flags%2+i).checkAll(t)
			}
		}
	})
	t.Run("blocks", func(t *testing.T) {
		mr, nr, bl := tileOf[T](p)
		r := newRand(14)
		kks := []int{bl.kc - 1, bl.kc, bl.kc + 1, 2*bl.kc + 1}
		if testing.Short() {
			kks = []int{bl.kc + 1}
		}
		i := 0
		for _, k := range kks {
			for _, m := range []int{1, mr + 1} {
				i++
				newFwdCase[T](r, m, k, 2*nr+1, 7-i%8, lay(i), lay(i+1), lay(i+2), lay(i+3), 1).checkAll(t)
			}
		}
		newFwdCase[T](r, bl.mc+1, 4, nr+1, 7, lay(1), lay(2), lay(3), lay(4), 0).checkAll(t)
		newFwdCase[T](r, 2, 3, bl.nc+1, 5, lay(2), lay(3), lay(4), lay(5), 1).checkAll(t)
	})
	t.Run("special", func(t *testing.T) {
		testForwardSpecial[T](t, p)
	})
}

// testForwardSpecial: special values in X, W and the bias, and in Z
// itself: K = 0 makes Z the bias, so the epilogue sees NaNs with their
// payloads, ±Inf, ±0 and denormals directly.
func testForwardSpecial[T Float](t testing.TB, p *impl) {
	mr, nr, _ := tileOf[T](p)
	r := newRand(15)
	for i := range 16 {
		cs := newFwdCase[T](r, mr+1+i%3, 5+i, 2*nr+1+i%5, i%8, lay(i), lay(i+1), lay(i+2), lay(i+3), i%2)
		tab := sumSpecials[T]()
		for _, mt := range []*mat[T]{cs.x, cs.w, cs.bias} {
			if mt == nil {
				continue
			}
			mt.fill(func(i, j int) T {
				if r.IntN(25) == 0 {
					return randSpecial(r, tab)
				}
				return mt.at(i, j)
			})
		}
		cs.checkAll(t)
	}
	// The epilogue on every special value, with every flag combination:
	// Z = bias (K = 0), and Z = x·w + bias with w special and x one of 1,
	// −1 and 0 (K = 1; K = 9 and 17 with the rest of the sum zero, for
	// the packed tiles: M ≥ mr and K > smallK).
	tab := specials[T]()
	n := len(tab)
	m := mr + 2
	for flags := range 8 {
		for _, k := range []int{0, 1, 9, 17} {
			cs := newFwdCase[T](r, m, k, n, flags|1, lay(flags), lay(flags+1), lay(flags+2), lay(flags+3), 1)
			cs.bias.fill(func(_, j int) T { return tab[j] })
			if k > 0 {
				cs.bias.fill(func(_, j int) T {
					if flags&1 == 0 {
						return 0
					}
					return tab[(j+5)%n]
				})
				cs.x.fill(func(i, p int) T {
					if p > 0 {
						return 0
					}
					return []T{1, -1, 0}[i%3]
				})
				cs.w.fill(func(p, j int) T {
					if p > 0 {
						return 0
					}
					return tab[j]
				})
			}
			out := cs.checkAll2(t)
			// With K = 0 the sum is the bias alone: Z must be the bias bit
			// for bit (denormals included), or +0 for a zero bias, or a NaN
			// for a NaN.
			if k == 0 && out.z != nil {
				for i := range m {
					for j := range n {
						got, b := out.z.at(i, j), tab[j]
						if !(bitsOf(got) == bitsOf(b) || b == 0 && got == 0 || isNaN(b) && isNaN(got)) {
							t.Errorf("%s on %s: Z[%d,%d] = %s, want the bias %s", cs, active.name, i, j, fmtBits(got), fmtBits(b))
						}
					}
				}
			}
		}
	}
}

func TestForward(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("f32", func(t *testing.T) { testForwardTyped[float32](t, p) })
		t.Run("f64", func(t *testing.T) { testForwardTyped[float64](t, p) })
	})
}

// bwdLayouts returns a rotation of the seven layouts of a backward case.
func bwdLayouts(i int) (l [7]layout) {
	for j := range l {
		l[j] = lay(i + j*5)
	}
	return l
}

func sweepBackward[T Float](t *testing.T, ms, ns, ks []int, seed uint64) {
	r := newRand(seed)
	sw := newSweep(t)
	defer sw.done()
	idx := 0
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				idx++
				// Rotate through the 64 combinations of outputs, source and
				// Accumulate, skipping the one without outputs.
				flags := idx * 37 % 64
				if flags&15 == 0 {
					flags |= bwdDX | bwdDB
				}
				cs := newBwdCase[T](r, m, k, n, flags, bwdLayouts(idx), idx%3)
				sw.do(cs.checkAll)
			}
		}
	}
}

func testBackwardTyped[T Float](t *testing.T, p *impl) {
	t.Run("tiles", func(t *testing.T) {
		ms, ns, ks := sizes[T](p)
		ns = dedup(append(ns, 63, 65, 129))
		sweepBackward[T](t, ms, ns, ks, 21)
	})
	t.Run("smallblocks", func(t *testing.T) {
		q := smallBlocks(p)
		setPath(t, q)
		ms, ns, ks := smallSizes[T](q)
		// Both GEMMs of the backward pass sum over M or N: sweep those
		// across kc too.
		ms = dedup(append(ms, 7, 9, 17))
		sweepBackward[T](t, ms, ns, ks, 22)
	})
	t.Run("flags", func(t *testing.T) {
		// All 64 combinations of outputs, source and Accumulate.
		mr, nr, _ := tileOf[T](p)
		r := newRand(23)
		for flags := range 64 {
			for i, sh := range [][3]int{{2*mr + 1, nr + 3, 2*nr + 1}, {mr - 1, 2, 66}} {
				newBwdCase[T](r, sh[0], sh[1], sh[2], flags, bwdLayouts(flags+i), flags%3).checkAll(t)
			}
		}
	})
	t.Run("blocks", func(t *testing.T) {
		// The real blocking: M and N are the inner dimensions of the two
		// GEMMs, so they cross kc here; K crosses nc of dX.
		mr, nr, bl := tileOf[T](p)
		r := newRand(24)
		kc := bl.kc
		shapes := [][3]int{{kc + 1, 3, nr + 1}, {mr + 1, 5, kc + 1}, {2*kc + 1, 2, 3}, {3, 2, 2*kc + 1}, {kc - 1, mr + 1, kc}, {2, bl.nc + 1, 3}, {bl.mc + 1, 3, 2}}
		if testing.Short() {
			shapes = shapes[:2]
		}
		for i, sh := range shapes {
			newBwdCase[T](r, sh[0], sh[1], sh[2], []int{15, 31, 47, 63, 11, 29, 7}[i%7], bwdLayouts(i), i%2).checkAll(t)
		}
	})
	t.Run("special", func(t *testing.T) {
		// Special values in DR (Inf and NaN where Z < 0 must give +0), in
		// Z (NaN, ±0: Step = 1), in X and W.
		mr, nr, _ := tileOf[T](p)
		r := newRand(25)
		tab := sumSpecials[T]()
		all := specials[T]()
		for i := range 32 {
			cs := newBwdCase[T](r, mr+1+i%4, 3+i%7, 2*nr+1+i%3, 15|(i%4)<<4, bwdLayouts(i), i%2)
			cs.z.fill(func(i, j int) T {
				if r.IntN(4) == 0 {
					return randSpecial(r, all)
				}
				return cs.z.at(i, j)
			})
			cs.dr.fill(func(i, j int) T {
				if cs.z.at(i, j) < 0 && r.IntN(2) == 0 {
					return randSpecial(r, all) // masked off: anything
				}
				if r.IntN(40) == 0 {
					return randSpecial(r, tab)
				}
				return cs.dr.at(i, j)
			})
			if i%3 == 0 {
				for _, mt := range []*mat[T]{cs.x, cs.w} {
					mt.fill(func(i, j int) T {
						if r.IntN(30) == 0 {
							return randSpecial(r, tab)
						}
						return mt.at(i, j)
					})
				}
			}
			if cs.flags&bwdMask != 0 {
				cs.setMask(i % 2)
			}
			cs.checkAll(t)
		}
	})
}

func TestBackward(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("f32", func(t *testing.T) { testBackwardTyped[float32](t, p) })
		t.Run("f64", func(t *testing.T) { testBackwardTyped[float64](t, p) })
	})
}

// TestBackwardFiniteDiff checks the fused backward pass against central
// differences of the forward pass, in float64, on the cost
// C = Σ g ⊙ ReLU(X·W + b) with random g, inputs kept away from the kink:
// C is linear near such inputs, so the differences are exact up to
// rounding.
func TestBackwardFiniteDiff(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		for _, sh := range [][3]int{{5, 7, 6}, {p.f64.mr + 1, 9, p.f64.nr + 3}} {
			m, k, n := sh[0], sh[1], sh[2]
			r := newRand(uint64(31 + m))
			x := make([]float64, m*k)
			w := make([]float64, k*n)
			b := make([]float64, n)
			g := make([]float64, m*n)
			z := make([]float64, m*n)
			rr := make([]float64, m*n)
			fwd := func() float64 {
				Forward(&ForwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, Bias: b, R: rr, Z: z})
				var c float64
				for i := range rr {
					c += g[i] * rr[i]
				}
				return c
			}
			// Inputs with every |Z| ≥ 0.05 (and about half the Z negative).
			for try := 0; ; try++ {
				for _, s := range [][]float64{x, w, b, g} {
					for i := range s {
						s[i] = 2*r.Float64() - 1
					}
				}
				fwd()
				ok := true
				for _, v := range z {
					ok = ok && math.Abs(v) >= 0.05
				}
				if ok {
					break
				}
				if try > 1000 {
					t.Fatal("no inputs away from the kink")
				}
			}
			for _, useMask := range []bool{false, true} {
				dx := make([]float64, m*k)
				dw := make([]float64, k*n)
				db := make([]float64, n)
				a := &BackwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, DR: g, DX: dx, DW: dw, DB: db}
				if useMask {
					mask := NewMask(m, n)
					Forward(&ForwardArgs[float64]{M: m, K: k, N: n, X: x, W: w, Bias: b, R: rr, Mask: mask})
					a.Mask = mask
				} else {
					a.Z = z
				}
				Backward(a)
				const h = 1e-6
				check := func(name string, s, grad []float64) {
					for i := range s {
						old := s[i]
						s[i] = old + h
						cp := fwd()
						s[i] = old - h
						cm := fwd()
						s[i] = old
						fd := (cp - cm) / (2 * h)
						if math.Abs(fd-grad[i]) > 1e-6*(1+math.Abs(fd)) {
							t.Errorf("M=%d K=%d N=%d mask=%v: d%s[%d] = %.12g, finite difference %.12g", m, k, n, useMask, name, i, grad[i], fd)
						}
					}
				}
				check("X", x, dx)
				check("W", w, dw)
				check("b", b, db)
				fwd() // restore z for the next source
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Elementwise

// elemLens are the vector lengths of the elementwise tests: around the
// vector widths and unrolled blocks, mask words, and the 64 KiB chunks of
// the assembly wrappers (8 Ki float64 or 16 Ki float32 elements).
func elemLens() []int {
	v := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 96, 127, 128, 129, 191, 255, 256, 257, 511, 513, 1000, 1025}
	if !testing.Short() {
		v = append(v, 8191, 8192, 8193, 16383, 16384, 16385, 32768+64+3, 3*16384+1)
	}
	return v
}

// elemVec returns a guarded vector of n elements starting at mis, with a
// mix of random, special and small values.
func elemVec[T Float](r *rand.Rand, n, mis int, special bool) *mat[T] {
	v := newMat[T](1, n, layout{mis: mis, slack: mis % 2})
	tab := specials[T]()
	v.fill(func(_, _ int) T {
		switch x := r.IntN(8); {
		case special && x < 3:
			return randSpecial(r, tab)
		case x == 3:
			return T(r.NormFloat64() * 1e-3)
		}
		return randVal[T](r)
	})
	return v
}

// elemCase holds the operands of one call of each elementwise function:
// ReLU(x), StepMask(z), StepGrad(dr, z), StepGradMask(dr, bits).
type elemCase[T Float] struct {
	n          int
	x, z, dr   *mat[T]
	bits       *maskBuf // random words, garbage past n, for StepGradMask
	outMis     int      // misalignment of the outputs
	reluIn     bool     // ReLU in place
	gradMode   int      // StepGrad: 0 into dz, 1 in place over dr, 2 in place over z
	gradMaskIn bool     // StepGradMask in place over dr
}

func newElemCase[T Float](r *rand.Rand, n, mis int, special bool) *elemCase[T] {
	cs := &elemCase[T]{n: n, outMis: (mis + 3) % 4}
	cs.x = elemVec[T](r, n, mis, special)
	cs.z = elemVec[T](r, n, (mis+1)%4, special)
	cs.dr = elemVec[T](r, n, (mis+2)%4, special)
	cs.bits = newMaskBuf(1, n, 0, 1)
	for i := range cs.bits.m.Bits {
		cs.bits.m.Bits[i] = r.Uint64()
	}
	return cs
}

// check runs the four functions on the active path and checks them bit
// for bit against the definitions (which the generic code spells out),
// the guard bands and the inputs. Inputs are passed with exactly n
// elements, outputs with a longer slice (the functions must stop at n).
// elemOut are the outputs of elemCase.check (nil where a call panicked).
type elemOut[T Float] struct {
	relu, grad, gradMask []T
	mask                 []uint64 // with its guard words
}

func (cs *elemCase[T]) check(tb testing.TB) (outs elemOut[T]) {
	tb.Helper()
	n := cs.n
	name := fmt.Sprintf("%s n=%d offsets %d,%d,%d on %s", typeName[T](), n, cs.x.off-headGuard, cs.z.off-headGuard, cs.dr.off-headGuard, active.name)
	out := func() *mat[T] { return newMat[T](1, n, layout{mis: cs.outMis, slack: 2}) }

	// ReLU.
	x0 := cs.x.clone()
	dst := out()
	if cs.reluIn {
		dst = x0
	}
	what := fmt.Sprintf("ReLU %s in place %v", name, cs.reluIn)
	if callOK(tb, what, func() { ReLU(dst.arg(), x0.arg()[:n]) }) {
		dst.checkGuard(tb, what+": dst")
		if !cs.reluIn {
			x0.unchanged(tb, what+": x", cs.x)
		}
		outs.relu = dst.arg()[:n]
		e := errs{tb: tb, what: what}
		for i := range n {
			if got, want := dst.at(0, i), reluWant(cs.x.at(0, i)); bitsOf(got) != bitsOf(want) {
				e.add("dst[%d] = %s, want ReLU(%s) = %s", i, fmtBits(got), fmtBits(cs.x.at(0, i)), fmtBits(want))
			}
		}
		e.done()
	}

	// StepMask: whole words, zero past n; the words past MaskWords(n) of a
	// longer slice untouched.
	mb := newMaskBuf(1, n, 0, 2)
	z0 := cs.z.clone()
	what = "StepMask " + name
	if callOK(tb, what, func() { StepMask(mb.m.Bits, z0.arg()[:n]) }) {
		z0.unchanged(tb, what+": z", cs.z)
		mb.checkWritten(tb, what)
		outs.mask = mb.words
		e := errs{tb: tb, what: what}
		for i := range n {
			if got, want := mb.bit(0, i), stepWant(cs.z.at(0, i)); got != want {
				e.add("bit %d = %v, want Step(%s) = %v", i, got, fmtBits(cs.z.at(0, i)), want)
			}
		}
		e.done()
	}

	// StepGrad.
	dr0, z0 := cs.dr.clone(), cs.z.clone()
	dz := out()
	switch cs.gradMode {
	case 1:
		dz = dr0
	case 2:
		dz = z0
	}
	what = fmt.Sprintf("StepGrad %s mode %s", name, []string{"dz", "dz=dr", "dz=z"}[cs.gradMode])
	if callOK(tb, what, func() { StepGrad(dz.arg(), dr0.arg(), z0.arg()[:n]) }) {
		dz.checkGuard(tb, what+": dz")
		if cs.gradMode != 1 {
			dr0.unchanged(tb, what+": dr", cs.dr)
		}
		if cs.gradMode != 2 {
			z0.unchanged(tb, what+": z", cs.z)
		}
		outs.grad = dz.arg()[:n]
		e := errs{tb: tb, what: what}
		for i := range n {
			want := fromBits[T](0)
			if stepWant(cs.z.at(0, i)) {
				want = cs.dr.at(0, i)
			}
			if got := dz.at(0, i); bitsOf(got) != bitsOf(want) {
				e.add("dz[%d] = %s, want %s (dr %s, z %s)", i, fmtBits(got), fmtBits(want), fmtBits(cs.dr.at(0, i)), fmtBits(cs.z.at(0, i)))
			}
		}
		e.done()
	}

	// StepGradMask.
	dr0, bits0 := cs.dr.clone(), cs.bits.clone()
	dz = out()
	if cs.gradMaskIn {
		dz = dr0
	}
	what = fmt.Sprintf("StepGradMask %s in place %v", name, cs.gradMaskIn)
	if callOK(tb, what, func() { StepGradMask(dz.arg(), dr0.arg()[:n], bits0.m.Bits) }) {
		dz.checkGuard(tb, what+": dz")
		if !cs.gradMaskIn {
			dr0.unchanged(tb, what+": dr", cs.dr)
		}
		if !equalWords(bits0.words, cs.bits.words) {
			tb.Errorf("%s: bits changed", what)
		}
		outs.gradMask = dz.arg()[:n]
		e := errs{tb: tb, what: what}
		for i := range n {
			want := fromBits[T](0)
			if cs.bits.bit(0, i) {
				want = cs.dr.at(0, i)
			}
			if got := dz.at(0, i); bitsOf(got) != bitsOf(want) {
				e.add("dz[%d] = %s, want %s (dr %s)", i, fmtBits(got), fmtBits(want), fmtBits(cs.dr.at(0, i)))
			}
		}
		e.done()
	}
	return outs
}

// checkAll checks the active path against the definitions and then
// against the generic path, bit for bit.
func (cs *elemCase[T]) checkAll(tb testing.TB) {
	tb.Helper()
	out := cs.check(tb)
	ref, ok := vsGeneric(tb, cs.check)
	if !ok {
		return
	}
	what := fmt.Sprintf("%s n=%d on %s vs generic: %%s", typeName[T](), cs.n, active.name)
	for _, c := range []struct {
		name     string
		got, ref []T
	}{{"ReLU", out.relu, ref.relu}, {"StepGrad", out.grad, ref.grad}, {"StepGradMask", out.gradMask, ref.gradMask}} {
		if c.got != nil && c.ref != nil {
			checkSameBits(tb, fmt.Sprintf(what, c.name), c.got, c.ref)
		}
	}
	if out.mask != nil && ref.mask != nil && !equalWords(out.mask, ref.mask) {
		tb.Errorf(what, "StepMask words differ")
	}
}

func testElementwiseTyped[T Float](t *testing.T) {
	r := newRand(41)
	sw := newSweep(t)
	defer sw.done()
	for _, n := range elemLens() {
		for _, mis := range []int{0, 1, 3} {
			cs := newElemCase[T](r, n, mis, (n+mis)%3 != 0)
			// Three runs: every StepGrad mode, ReLU and StepGradMask
			// in place and not.
			for mode := range 3 {
				cs.reluIn, cs.gradMode, cs.gradMaskIn = mode == 1, mode, mode == 1
				sw.do(cs.checkAll)
			}
		}
	}
}

func TestElementwise(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("f32", testElementwiseTyped[float32])
		t.Run("f64", testElementwiseTyped[float64])
	})
}

// TestElementwiseSpecial runs every special value through every lane
// position of a vector: each element of specials at each index of a
// vector of a few vector widths.
func TestElementwiseSpecial(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("f32", func(t *testing.T) { testElementwiseSpecialTyped[float32](t) })
		t.Run("f64", func(t *testing.T) { testElementwiseSpecialTyped[float64](t) })
	})
}

func testElementwiseSpecialTyped[T Float](tb testing.TB) {
	tab := specials[T]()
	const n = 3*64 + 5
	for rot := range len(tab) {
		cs := &elemCase[T]{n: n, outMis: rot % 4, reluIn: rot%2 == 1, gradMode: rot % 3, gradMaskIn: rot%2 == 0}
		cs.x = newMat[T](1, n, layout{mis: rot % 3})
		cs.z = newMat[T](1, n, layout{mis: rot % 2})
		cs.dr = newMat[T](1, n, layout{})
		cs.x.fill(func(_, i int) T { return tab[(i+rot)%len(tab)] })
		cs.z.fill(func(_, i int) T { return tab[(i*3+rot)%len(tab)] })
		cs.dr.fill(func(_, i int) T { return tab[(i*7+rot)%len(tab)] })
		cs.bits = newMaskBuf(1, n, 0, 0)
		StepMask(cs.bits.m.Bits, cs.z.arg())                                       // bits of a valid mask …
		cs.bits.m.Bits[rot%len(cs.bits.m.Bits)] ^= 0x5555555555555555 << (rot % 2) // … with some flipped
		cs.checkAll(tb)
	}
	// The definitions' own examples.
	for _, c := range []struct {
		x    T
		relu T
		step bool
	}{
		{T(math.NaN()), T(math.NaN()), true},
		{T(math.Copysign(0, -1)), T(math.Copysign(0, -1)), true},
		{0, 0, true},
		{T(math.Inf(1)), T(math.Inf(1)), true},
		{T(math.Inf(-1)), 0, false},
		{-1, 0, false},
		{T(-math.SmallestNonzeroFloat32), 0, false},
		{2, 2, true},
	} {
		out := []T{1}
		ReLU(out, []T{c.x})
		bits := []uint64{^uint64(0)}
		StepMask(bits, []T{c.x})
		if bitsOf(out[0]) != bitsOf(c.relu) || (bits[0] == 1) != c.step || bits[0] > 1 {
			tb.Errorf("ReLU(%s) = %s, Step bits %#x; want %s, %v", fmtBits(c.x), fmtBits(out[0]), bits[0], fmtBits(c.relu), c.step)
		}
	}
}

// ---------------------------------------------------------------------------
// Wide tiles

// kernelAny is a plain Go microkernel for any mr×nr tile.
func kernelAny[T Float](mr, nr int) func(t *tile[T]) {
	return func(t *tile[T]) {
		ab := make([]T, mr*nr)
		for p := range t.kc {
			b := t.b[p*nr : p*nr+nr]
			for i, av := range t.a[p*mr : p*mr+mr] {
				row := ab[i*nr : i*nr+nr]
				for j, bv := range b {
					row[j] += av * bv
				}
			}
		}
		t.finish(ab, nr)
	}
}

// wideImpl is the generic path with the register tiles of the assembly
// paths (kernelAny as the microkernel), to test the shared driver, the
// packers and the mask epilogue with tiles as wide as 32 columns before
// and beside the assembly.
func wideImpl(mr32, nr32, mr64, nr64 int) *impl {
	o32, o64 := genericOps[float32](), genericOps[float64]()
	o32.mr, o32.nr, o32.kernel = mr32, nr32, kernelAny[float32](mr32, nr32)
	o64.mr, o64.nr, o64.kernel = mr64, nr64, kernelAny[float64](mr64, nr64)
	return newImpl(fmt.Sprintf("go%dx%d", mr32, nr32), o32, o64)
}

func TestWideTiles(t *testing.T) {
	ps := []*impl{wideImpl(12, 32, 12, 16), wideImpl(6, 16, 6, 8), wideImpl(8, 64, 3, 1)}
	if testing.Short() {
		ps = ps[:1]
	}
	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			setPath(t, p)
			t.Run("GEMM/f32", func(t *testing.T) { testGEMMTyped[float32](t, p) })
			t.Run("GEMM/f64", func(t *testing.T) { testGEMMTyped[float64](t, p) })
			t.Run("Forward/f32", func(t *testing.T) { testForwardTyped[float32](t, p) })
			t.Run("Forward/f64", func(t *testing.T) { testForwardTyped[float64](t, p) })
			t.Run("Backward/f32", func(t *testing.T) { testBackwardTyped[float32](t, p) })
			t.Run("Backward/f64", func(t *testing.T) { testBackwardTyped[float64](t, p) })
		})
	}
}

// ---------------------------------------------------------------------------
// Determinism

// TestDeterministic: every path gives the same bits on every call and for
// any GOMAXPROCS, on shapes that cross the real mc and kc blocks.
func TestDeterministic(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		t.Run("f32", func(t *testing.T) { testDeterministic[float32](t, p) })
		t.Run("f64", func(t *testing.T) { testDeterministic[float64](t, p) })
	})
}

func testDeterministic[T Float](t *testing.T, p *impl) {
	mr, nr, bl := tileOf[T](p)
	m, k, n := bl.mc+mr+1, bl.kc+3, 3*nr+65
	if testing.Short() {
		m, k, n = 2*mr+1, bl.kc+3, 2*nr+1
	}
	r := newRand(51)
	vec := func(l int) []T {
		v := make([]T, l)
		for i := range v {
			v[i] = randVal[T](r)
		}
		return v
	}
	x, w, bias, dr := vec(m*k), vec(k*n), vec(n), vec(m*n)
	out := func() ([][]T, []uint64) {
		c := make([]T, m*n)
		for i := range c {
			c[i] = T(i%7) - 3
		}
		wt := make([]T, n*k) // Wᵀ for the B = Trans case
		for i := range k {
			for j := range n {
				wt[j*k+i] = w[i*n+j]
			}
		}
		GEMM(NoTrans, Trans, m, n, k, T(0.5), x, 0, wt, 0, T(-1.5), c, 0)
		rr, z := make([]T, m*n), make([]T, m*n)
		mask := NewMask(m, n)
		Forward(&ForwardArgs[T]{M: m, K: k, N: n, X: x, W: w, Bias: bias, R: rr, Z: z, Mask: mask})
		dx, dw, db, dz := make([]T, m*k), make([]T, k*n), make([]T, n), make([]T, m*n)
		Backward(&BackwardArgs[T]{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: mask, DX: dx, DW: dw, DB: db, DZ: dz})
		return [][]T{c, rr, z, dx, dw, db, dz}, mask.Bits
	}
	procs := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(procs)
	want, wantBits := out()
	for _, np := range []int{1, max(2, procs), 4} {
		runtime.GOMAXPROCS(np)
		got, bits := out()
		if !equalWords(bits, wantBits) {
			t.Errorf("Forward mask M=%d K=%d N=%d, GOMAXPROCS %d: differs", m, k, n, np)
		}
		for i, name := range []string{"GEMM C", "Forward R", "Forward Z", "DX", "DW", "DB", "DZ"} {
			for j := range want[i] {
				if bitsOf(got[i][j]) != bitsOf(want[i][j]) {
					t.Errorf("%s M=%d K=%d N=%d, GOMAXPROCS %d: element %d = %s, was %s", name, m, k, n, np, j, fmtBits(got[i][j]), fmtBits(want[i][j]))
					break
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Paths and dispatch

func TestImpls(t *testing.T) {
	if len(impls) == 0 || impls[0].name != "generic" {
		t.Fatalf("impls[0] is not the generic path")
	}
	seen := map[string]bool{}
	for _, p := range impls {
		if seen[p.name] {
			t.Errorf("path %s twice in impls", p.name)
		}
		seen[p.name] = true
		known := false
		for _, n := range pathNames {
			known = known || n == p.name
		}
		if !known {
			t.Errorf("path %q is not in pathNames", p.name)
		}
		for _, tb := range []struct {
			name   string
			mr, nr int
			bl     blocking
			ok     bool
		}{
			{"f32", p.f32.mr, p.f32.nr, p.b32, p.f32.relu != nil && p.f32.stepMask != nil && p.f32.stepGrad != nil && p.f32.stepGradMask != nil && p.f32.kernel != nil && p.f32.packA != nil && p.f32.packB != nil},
			{"f64", p.f64.mr, p.f64.nr, p.b64, p.f64.relu != nil && p.f64.stepMask != nil && p.f64.stepGrad != nil && p.f64.stepGradMask != nil && p.f64.kernel != nil && p.f64.packA != nil && p.f64.packB != nil},
		} {
			if !tb.ok {
				t.Errorf("%s %s: an ops field is nil", p.name, tb.name)
			}
			if tb.mr < 1 || tb.nr < 1 || 64%tb.nr != 0 {
				t.Errorf("%s %s: tile %d×%d, want nr dividing 64", p.name, tb.name, tb.mr, tb.nr)
			}
			if tb.bl.mc < tb.mr || tb.bl.mc%tb.mr != 0 || tb.bl.kc < 1 || tb.bl.nc < tb.nr || tb.bl.nc%tb.nr != 0 {
				t.Errorf("%s %s: blocking %+v does not fit the tile %d×%d", p.name, tb.name, tb.bl, tb.mr, tb.nr)
			}
		}
	}
	t.Logf("paths: %v", Path())
}

func TestPath(t *testing.T) {
	for _, p := range impls {
		withPath(p, func() {
			info := Path()
			if info.ISA != p.name {
				t.Errorf("Path().ISA = %q with %s active", info.ISA, p.name)
			}
			if info.F32.MR != p.f32.mr || info.F32.NR != p.f32.nr || info.F32.KC != p.b32.kc || info.F64.MC != p.b64.mc || info.F64.NC != p.b64.nc {
				t.Errorf("Path() = %+v, does not match %s", info, p.name)
			}
			if len(info.Supported) != len(impls) || info.Supported[len(impls)-1] != impls[len(impls)-1].name {
				t.Errorf("Path().Supported = %v", info.Supported)
			}
			if !strings.Contains(info.String(), "path "+p.name) {
				t.Errorf("Path().String() = %q", info.String())
			}
		})
	}
}

// TestChoosePath: FUSEDRELU_ISA unset, each supported name (any case,
// spaces), a known name this machine lacks, and garbage.
func TestChoosePath(t *testing.T) {
	fake := func(names ...string) []*impl {
		var ps []*impl
		for _, n := range names {
			ps = append(ps, newImpl(n, genericOps[float32](), genericOps[float64]()))
		}
		return ps
	}
	sets := [][]*impl{impls, fake("generic"), fake("generic", "avx2", "avx512"), fake("generic", "neon")}
	for _, sup := range sets {
		var names []string
		for _, p := range sup {
			names = append(names, p.name)
		}
		best := sup[len(sup)-1]
		supported := strings.Join(names, ", ")
		check := func(want string, wp *impl, wmsg string) {
			t.Helper()
			p, msg := choosePath(sup, want)
			if p != wp || msg != wmsg {
				t.Errorf("supported %v, FUSEDRELU_ISA=%q: got %s, %q; want %s, %q", names, want, p.name, msg, wp.name, wmsg)
			}
		}
		check("", best, "")
		check("  ", best, "")
		for _, p := range sup {
			check(p.name, p, "")
			check(strings.ToUpper(p.name)+" ", p, "")
		}
		for _, n := range pathNames {
			if !strings.Contains(", "+supported+", ", ", "+n+", ") {
				check(n, best, fmt.Sprintf("kernels: FUSEDRELU_ISA=%s is not supported by this CPU or build (supported: %s); using %s", n, supported, best.name))
			}
		}
		for _, g := range []string{"sse2", "avx-512", "x", "generic,avx2"} {
			check(g, best, fmt.Sprintf("kernels: FUSEDRELU_ISA=%q is not a path name (known: generic, avx2, avx512, neon; supported here: %s); using %s", g, supported, best.name))
		}
	}
}

// TestISAEnv runs this test binary again with FUSEDRELU_ISA set, to check
// that init honours it and says why when it cannot.
func TestISAEnv(t *testing.T) {
	if os.Getenv("FUSEDRELU_TEST_PRINT_PATH") != "" {
		fmt.Printf("active=%s\n", active.name)
		return
	}
	if testing.Short() {
		t.Skip("re-runs the test binary")
	}
	best := impls[len(impls)-1].name
	cases := []struct{ env, want, msg string }{
		{"", best, ""},
		{"bogus", best, `FUSEDRELU_ISA="bogus" is not a path name`},
	}
	for _, p := range impls {
		cases = append(cases, struct{ env, want, msg string }{p.name, p.name, ""})
	}
	for _, n := range pathNames {
		supported := false
		for _, p := range impls {
			supported = supported || p.name == n
		}
		if !supported {
			cases = append(cases, struct{ env, want, msg string }{n, best, "FUSEDRELU_ISA=" + n + " is not supported"})
		}
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestISAEnv$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FUSEDRELU_TEST_PRINT_PATH=1", "FUSEDRELU_ISA="+c.env)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if errors.Is(err, syscall.ENOEXEC) {
			// Under go test -exec qemu-aarch64 the binary is not native.
			t.Skipf("cannot re-run the test binary: %v", err)
		}
		if err != nil {
			t.Fatalf("FUSEDRELU_ISA=%s: %v\n%s", c.env, err, stderr.String())
		}
		if !strings.Contains(string(out), "active="+c.want+"\n") {
			t.Errorf("FUSEDRELU_ISA=%q: output %q, want active=%s", c.env, out, c.want)
		}
		if c.msg == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("FUSEDRELU_ISA=%q: stderr %q, want %q", c.env, stderr.String(), c.msg)
		}
	}
}

// ---------------------------------------------------------------------------
// The harness itself

// harnessRun runs a few float32 cases of every family on the active path.
func harnessRun(tb testing.TB) {
	p := active
	r := newRand(99)
	mr, nr, _ := tileOf[float32](p)
	for i, sh := range [][3]int{{2*mr + 1, 2*nr + 1, 9}, {mr, nr + 1, 20}} {
		for tr := range 4 {
			newGEMMCase[float32](r, tr&1 != 0, tr&2 != 0, sh[0], sh[1], sh[2], 1, 0.5, lay(i+tr), lay(i+tr+1), lay(1)).check(tb)
		}
		newFwdCase[float32](r, sh[0], sh[2], sh[1], 7, lay(i), lay(i+1), lay(1), lay(3), 1).check(tb)
		for _, fl := range []int{15, 31} {
			newBwdCase[float32](r, sh[0], sh[2], sh[1], fl, bwdLayouts(i+1), 1).check(tb)
		}
	}
	testForwardSpecial[float32](tb, p)
	testElementwiseSpecialTyped[float32](tb)
	for _, n := range []int{70, 200} {
		cs := newElemCase[float32](r, n, 1, true)
		for mode := range 3 {
			cs.reluIn, cs.gradMode, cs.gradMaskIn = mode == 1, mode, mode == 1
			cs.check(tb)
		}
	}
}

// TestHarness checks the checks: the generic path passes harnessRun, and
// each of a set of paths broken on purpose, in the ways an assembly
// kernel can go wrong, fails it.
func TestHarness(t *testing.T) {
	rec := &recorder{TB: t}
	withPath(generic(), func() { harnessRun(rec) })
	baseline := rec.fails
	if baseline != 0 {
		// A bug of the generic path: a broken path must fail more.
		t.Errorf("the generic path fails the harness: %d failures, first: %.300s", rec.fails, rec.first)
	}
	perturb := func(dst []float32) {
		if len(dst) > 0 {
			dst[0] *= 1 + 0x1p-12
		}
	}
	// The broken paths on one thread: a kernel that writes outside its
	// tile would race with the participant computing the tile it writes
	// into (the race detector caught it, 2026-12-07).
	defer SetThreads(SetThreads(1))
	for _, b := range []struct {
		name string
		mod  func(o *ops[float32])
	}{
		{"ReLU changes NaN payloads", func(o *ops[float32]) {
			o.relu = func(dst, x []float32) {
				reluGeneric(dst, x)
				for i, v := range x {
					if v != v {
						dst[i] = float32(math.NaN())
					}
				}
			}
		}},
		{"ReLU as x > 0 ? x : 0", func(o *ops[float32]) {
			o.relu = func(dst, x []float32) {
				for i, v := range x {
					dst[i] = 0
					if v > 0 {
						dst[i] = v
					}
				}
			}
		}},
		{"ReLU writes one element past len(x)", func(o *ops[float32]) {
			o.relu = func(dst, x []float32) {
				reluGeneric(dst, x)
				if cap(dst) > len(x) {
					dst[:cap(dst)][len(x)] = 0 // a vector store that overruns
				}
			}
		}},
		{"StepMask keeps stale bits", func(o *ops[float32]) {
			o.stepMask = func(bits []uint64, z []float32) {
				old := append([]uint64(nil), bits[:MaskWords(len(z))]...)
				stepMaskGeneric(bits, z)
				if n := len(old); n > 0 {
					bits[n-1] |= old[n-1] &^ (1<<(len(z)%64) - 1) & ^uint64(0) >> 1
				}
			}
		}},
		{"StepMask writes a word too many", func(o *ops[float32]) {
			o.stepMask = func(bits []uint64, z []float32) {
				stepMaskGeneric(bits, z)
				if w := MaskWords(len(z)); len(bits) > w {
					bits[w] = 0
				}
			}
		}},
		{"StepGrad multiplies", func(o *ops[float32]) {
			o.stepGrad = func(dz, dr, z []float32) {
				for i, v := range z {
					s := float32(1)
					if v < 0 {
						s = 0
					}
					dz[i] = dr[i] * s
				}
			}
		}},
		{"StepGradMask reads bit i+1", func(o *ops[float32]) {
			o.stepGradMask = func(dz, dr []float32, bits []uint64) {
				for i, v := range dr {
					j := min(i+1, len(dr)-1)
					if bits[j/64]>>(j%64)&1 == 0 {
						v = 0
					}
					dz[i] = v
				}
			}
		}},
		{"packA rounds wrong", func(o *ops[float32]) {
			o.packA = func(dst, a []float32, lda int, trans bool, i0, p0, mb, kb, mr int) {
				packAGeneric(dst, a, lda, trans, i0, p0, mb, kb, mr)
				perturb(dst)
			}
		}},
		{"packB rounds wrong", func(o *ops[float32]) {
			o.packB = func(dst, b []float32, ldb int, trans bool, p0, j0, kb, nb, nr int) {
				packBGeneric(dst, b, ldb, trans, p0, j0, kb, nb, nr)
				perturb(dst)
			}
		}},
		{"packA writes its source", func(o *ops[float32]) {
			o.packA = func(dst, a []float32, lda int, trans bool, i0, p0, mb, kb, mr int) {
				packAGeneric(dst, a, lda, trans, i0, p0, mb, kb, mr)
				if mb > 0 && kb > 0 && !trans {
					a[i0*lda+p0] = -a[i0*lda+p0] - 1
				}
			}
		}},
		{"kernel writes past the tile's columns", func(o *ops[float32]) {
			nr := o.nr
			o.kernel = func(t *tile[float32]) {
				kernelGeneric(t)
				if t.n < nr {
					c, ld := t.c, t.ldc
					if t.last {
						c, ld = t.r, t.ldr
					}
					for i := range t.m {
						if k := i*ld + t.n; k < len(c) {
							c[k] = 0
						}
					}
				}
			}
		}},
		{"kernel drops the bias", func(o *ops[float32]) {
			o.kernel = func(t *tile[float32]) {
				t.bias = nil
				kernelGeneric(t)
			}
		}},
		{"epilogue mask is [R > 0]", func(o *ops[float32]) {
			o.kernel = func(t *tile[float32]) {
				kernelGeneric(t)
				if t.last && t.bits != nil {
					for i := range t.m {
						for j := range t.n {
							w := &t.bits[i*t.stride+(t.col+j)/64]
							bit := uint64(1) << ((t.col + j) % 64)
							if t.r[i*t.ldr+j] > 0 {
								*w |= bit
							} else {
								*w &^= bit
							}
						}
					}
				}
			}
		}},
	} {
		o := genericOps[float32]()
		b.mod(&o)
		bad := newImpl("broken", o, genericOps[float64]())
		rec := &recorder{TB: t}
		withPath(bad, func() { callOK(rec, b.name, func() { harnessRun(rec) }) })
		if rec.fails <= baseline {
			t.Errorf("a path where %s passes the tests", b.name)
		} else {
			t.Logf("%s: %d failures, first: %.200s", b.name, rec.fails, rec.first)
		}
	}
}
