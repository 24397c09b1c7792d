package kernels

// Test helpers shared by the tests, the fuzz targets and the benchmarks:
//
//   - paths: setPath / withPath / forEachPath make each code path in impls
//     the active one in turn; smallBlocks shrinks a path's cache blocking so
//     that small shapes cross every block boundary.
//   - values: bitsOf / fromBits, the special-value tables, random fill.
//   - guarded operands: mat (a strided matrix inside a buffer whose every
//     element outside the matrix holds a sentinel NaN) and maskBuf (a Mask
//     with guard words), with checks that nothing outside was written and
//     that inputs were not changed.
//   - sums: acc, an accurate float64 reference sum that also tracks
//     NaN/Inf; bound, the rounding bound γ·(n+2)·Σ|terms| with γ = 4u;
//     sumErr (a result against the reference) and crossSums (two paths'
//     results against each other).
//   - reporting: errs (the first few failures of a comparison), sweep
//     (many cases, the first few failing ones in full, the rest
//     summarised), recorder (counts failures without failing), callOK
//     (a panic as a failure), wantPanic / wantNoPanic.
//
// A benchmark can use them too, e.g.
//
//	for _, p := range impls {
//		b.Run(p.name, func(b *testing.B) {
//			setPath(b, p)
//			x := newMat[float32](m, k, layout{mis: 1}).fillRand(newRand(1))
//			…
//		})
//	}

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"testing"
	"unsafe"
)

// ---------------------------------------------------------------------------
// Paths

// setPath makes p the active path until tb ends.
func setPath(tb testing.TB, p *impl) {
	tb.Helper()
	old := active
	active = p
	tb.Cleanup(func() { active = old })
}

// withPath runs f with p active, then restores the previous path.
func withPath(p *impl, f func()) {
	old := active
	active = p
	defer func() { active = old }()
	f()
}

// forEachPath runs f as a subtest, named after the path, for every path
// this machine supports, with that path active.
func forEachPath(t *testing.T, f func(t *testing.T, p *impl)) {
	t.Helper()
	for _, p := range impls {
		t.Run(p.name, func(t *testing.T) {
			setPath(t, p)
			f(t, p)
		})
	}
}

// forEachPathBlocks runs f as subtests for every path and its smallBlocks
// copy, each made the active path, and within them for float32 and
// float64 (f32, f64).
func forEachPathBlocks(t *testing.T, f32 func(t *testing.T, p *impl), f64 func(t *testing.T, p *impl)) {
	t.Helper()
	for _, p := range impls {
		for _, q := range []*impl{p, smallBlocks(p)} {
			t.Run(q.name, func(t *testing.T) {
				setPath(t, q)
				t.Run("f32", func(t *testing.T) { f32(t, q) })
				t.Run("f64", func(t *testing.T) { f64(t, q) })
			})
		}
	}
}

// generic is the reference path.
func generic() *impl { return impls[0] }

// smallBlocks returns a copy of p with tiny cache blocks (mc = 2·mr,
// kc = 8, nc = 2·nr: the invariants of blockSizes, mc a multiple of mr,
// kc of 8 and nc of nr, still hold), so that shapes of a few tiles cross
// the mc, kc and nc block boundaries and every K panel but the last is
// short.
func smallBlocks(p *impl) *impl {
	q := *p
	q.name = p.name + "/smallblocks"
	// nc1 and stream on too: jobs of up to 2·mr rows take column blocks
	// of one micro-panel, and C of one K panel (K ≤ 8) is streamed where
	// the kernel can (blocking.forJob, packedLoop.item).
	q.b32 = blocking{mc: 2 * p.f32.mr, kc: 8, nc: 2 * p.f32.nr, nc1: p.f32.nr, stream: 1}
	q.b64 = blocking{mc: 2 * p.f64.mr, kc: 8, nc: 2 * p.f64.nr, nc1: p.f64.nr, stream: 1}
	return &q
}

// sweepSmall runs sweep on smallBlocks(p), over the sizes that cross its
// blocks.
func sweepSmall(t *testing.T, p *impl, sweep func(t *testing.T, ms, ns, ks []int, seed uint64), sizes func(*impl) (ms, ns, ks []int), seed uint64) {
	q := smallBlocks(p)
	setPath(t, q)
	ms, ns, ks := sizes(q)
	sweep(t, ms, ns, ks, seed)
}

// packedB returns a copy of p whose tiles always read B packed: the
// route that a path with a directB rule takes only for jobs of more than
// directMaxTiles row tiles (or transposed B).
func packedB(p *impl) *impl {
	q := *p
	q.name = p.name + "/packedB"
	q.f32.directB, q.f64.directB = directBNone, directBNone
	return &q
}

// tileOf returns p's register tile and blocking for T.
func tileOf[T Float](p *impl) (mr, nr int, bl blocking) {
	o := opsFor[T](p)
	return o.mr, o.nr, blocksFor[T](p)
}

// maxTile returns the largest mr and nr of any path, for either type.
func maxTile() (mr, nr int) {
	for _, p := range impls {
		mr = max(mr, p.f32.mr, p.f64.mr)
		nr = max(nr, p.f32.nr, p.f64.nr)
	}
	return mr, nr
}

// around returns the sizes that cross tile boundaries of a tile of t:
// 0, 1, t−1, t, t+1, 2t+1, 3t+1 (deduplicated, in order).
func around(t int) []int { return dedup([]int{0, 1, t - 1, t, t + 1, 2*t + 1, 3*t + 1}) }

func dedup(v []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range v {
		if x >= 0 && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// typeName is "f32" or "f64".
func typeName[T Float]() string {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return "f32"
	}
	return "f64"
}

// ---------------------------------------------------------------------------
// Values

// bitsOf returns the bits of x (zero-extended for float32).
func bitsOf[T Float](x T) uint64 {
	if is32[T]() {
		return uint64(*(*uint32)(unsafe.Pointer(&x)))
	}
	return *(*uint64)(unsafe.Pointer(&x))
}

// fromBits returns the T with bits b (the low 32 bits for float32): NaN
// payloads survive, which a conversion from float64 would not promise.
func fromBits[T Float](b uint64) T {
	var x T
	if is32[T]() {
		*(*uint32)(unsafe.Pointer(&x)) = uint32(b)
	} else {
		*(*uint64)(unsafe.Pointer(&x)) = b
	}
	return x
}

// fmtBits prints x with its bits, so that NaN payloads and −0 show.
func fmtBits[T Float](x T) string {
	if is32[T]() {
		return fmt.Sprintf("%v (%#08x)", x, bitsOf(x))
	}
	return fmt.Sprintf("%v (%#016x)", x, bitsOf(x))
}

// The sentinels: guard fills every element a kernel must not write,
// poison the elements of an output that a kernel must not read (C when
// β = 0, R, Z and DZ, and DX, DW, DB unless accumulating). Both are NaNs
// with payloads that no arithmetic produces, and guard is a signalling
// NaN: arithmetic returns one quieted, so a write past an output of a
// value computed from its own guard (an accumulation, an Adam step) still
// changes the guard's bits, where a quiet NaN's would pass through.
func guard[T Float]() T {
	if is32[T]() {
		return fromBits[T](0x7fa5a5a5)
	}
	return fromBits[T](0x7ff4a5a5a5a5a5a5)
}

func poison[T Float]() T {
	if is32[T]() {
		return fromBits[T](0xffc0dead)
	}
	return fromBits[T](0xfff8deaddeaddead)
}

// unitRoundoff is u = 2^-24 for float32, 2^-53 for float64.
func unitRoundoff[T Float]() float64 {
	if is32[T]() {
		return 0x1p-24
	}
	return 0x1p-53
}

// tinyOf is T's smallest denormal: the absolute error of an operation
// whose result underflows is at most half of it.
func tinyOf[T Float]() float64 {
	if is32[T]() {
		return math.SmallestNonzeroFloat32
	}
	return math.SmallestNonzeroFloat64
}

// specials are values for the elementwise kernels and the forward
// epilogue: NaNs with various payloads (quiet and signalling, both
// signs), ±Inf, ±0, denormals, the extremes of the normal range.
func specials[T Float]() []T {
	if is32[T]() {
		b := []uint64{
			0x7fc00000, 0xffc00000, 0x7fc12345, 0xffd00001, 0x7f800001, 0x7fa00000, 0xff800123, // NaN
			0x7f800000, 0xff800000, // ±Inf
			0x00000000, 0x80000000, // ±0
			0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00012345, 0x80400000, // denormals
			0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, // min normal, max finite
			0x3f800000, 0xbf800000, 0x2f800000, 0xaf800000, // ±1, ±2^-32
		}
		out := make([]T, len(b))
		for i, v := range b {
			out[i] = fromBits[T](v)
		}
		return out
	}
	b := []uint64{
		0x7ff8000000000000, 0xfff8000000000000, 0x7ff8000012345678, 0xfffa000000000001, 0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000000000123,
		0x7ff0000000000000, 0xfff0000000000000,
		0x0000000000000000, 0x8000000000000000,
		0x0000000000000001, 0x8000000000000001, 0x000fffffffffffff, 0x800fffffffffffff, 0x0000000123456789, 0x8008000000000000,
		0x0010000000000000, 0x8010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
		0x3ff0000000000000, 0xbff0000000000000, 0x3df0000000000000, 0xbdf0000000000000,
	}
	out := make([]T, len(b))
	for i, v := range b {
		out[i] = fromBits[T](v)
	}
	return out
}

// sumSpecials are the special values for the inputs of a sum (GEMM,
// forward, backward): the specials whose products and sums of a few
// thousand terms stay far from overflow, so that the class of a result
// (NaN, ±Inf, finite) does not depend on the order of summation.
func sumSpecials[T Float]() []T {
	var out []T
	for _, v := range specials[T]() {
		if f := math.Abs(float64(v)); f != f || f <= 1 || math.IsInf(f, 0) {
			out = append(out, v)
		}
	}
	return append(out, 1e6, -1e6, 0.5, -3)
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// randVal returns a uniform value in [−1, 1), and exactly zero now and then.
func randVal[T Float](r *rand.Rand) T {
	if r.IntN(64) == 0 {
		return 0
	}
	return T(2*r.Float64() - 1)
}

// randSpecial returns an element of tab.
func randSpecial[T Float](r *rand.Rand, tab []T) T { return tab[r.IntN(len(tab))] }

func isNaN[T Float](x T) bool { return x != x }

// classOf is "NaN", "+Inf", "-Inf" or "finite".
func classOf(x float64) string {
	switch {
	case x != x:
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return "finite"
}

// reluWant and stepWant are the definitions, spelled on bits: ReLU(x) is
// +0 where x < 0 and x itself (same bits) otherwise; Step(x) is 1 unless
// x < 0 (so 1 for NaN and −0).
func reluWant[T Float](x T) T {
	if x < 0 {
		return fromBits[T](0)
	}
	return x
}

func stepWant[T Float](x T) bool { return !(x < 0) }

// ---------------------------------------------------------------------------
// Guarded operands

const (
	headGuard = 37 // elements before a matrix (odd, so that offsets misalign)
	tailGuard = 67 // elements after it: more than a 64-byte vector of either type
)

// layout says how a matrix sits in its buffer.
type layout struct {
	ldPad int  // ld = cols + ldPad
	tight bool // pass 0 for the leading dimension (only when ldPad = 0 and cols > 0)
	mis   int  // extra elements before (0, 0), to misalign it
	slack int  // elements past the last one that the argument slice includes (still guard)
}

// layouts is a rotation of layouts for the sweeps: tight, padded, and
// misaligned by 1 or 3 elements.
var layouts = []layout{
	{tight: true},
	{ldPad: 3, mis: 1},
	{ldPad: 1, mis: 3, slack: 5},
	{ldPad: 17, mis: 2},
	{ldPad: 0, mis: 1, slack: 1},
	{ldPad: 64, mis: 5},
}

// mat is a rows×cols matrix with leading dimension ld at buf[off:],
// inside guard bands. Every element of buf that is not an element of the
// matrix (before, after, and between rows when ld > cols) holds guard.
type mat[T Float] struct {
	buf            []T
	off            int // element (0, 0)
	rows, cols, ld int
	tight          bool
	n              int // len of the argument slice
}

// newMat returns a guarded rows×cols matrix whose elements hold poison.
func newMat[T Float](rows, cols int, lo layout) *mat[T] {
	ld := max(cols+lo.ldPad, 1)
	m := &mat[T]{rows: rows, cols: cols, ld: ld, off: headGuard + lo.mis, tight: lo.tight && lo.ldPad == 0 && cols > 0}
	m.n = m.span() + lo.slack
	m.buf = make([]T, m.off+m.span()+tailGuard+lo.slack)
	g, p := guard[T](), poison[T]()
	for i := range m.buf {
		m.buf[i] = g
	}
	for i := range rows {
		for j := range cols {
			m.buf[m.off+i*ld+j] = p
		}
	}
	return m
}

// span is the number of elements from (0, 0) to the last one, inclusive.
func (m *mat[T]) span() int {
	if m.rows == 0 || m.cols == 0 {
		return 0
	}
	return (m.rows-1)*m.ld + m.cols
}

// arg is the slice to pass: it starts at (0, 0).
func (m *mat[T]) arg() []T {
	if m == nil {
		return nil
	}
	return m.buf[m.off : m.off+m.n : m.off+m.n]
}

// ldArg is the leading dimension to pass (0 for a tight one).
func (m *mat[T]) ldArg() int {
	if m == nil || m.tight {
		return 0
	}
	return m.ld
}

func (m *mat[T]) at(i, j int) T     { return m.buf[m.off+i*m.ld+j] }
func (m *mat[T]) set(i, j int, v T) { m.buf[m.off+i*m.ld+j] = v }

// isElem reports whether buf[idx] is an element of the matrix.
func (m *mat[T]) isElem(idx int) bool {
	rel := idx - m.off
	if rel < 0 || rel >= m.span() {
		return false
	}
	return rel%m.ld < m.cols
}

// fill sets every element to f(i, j).
func (m *mat[T]) fill(f func(i, j int) T) {
	for i := range m.rows {
		for j := range m.cols {
			m.set(i, j, f(i, j))
		}
	}
}

// fillRand fills the elements with randVal.
func (m *mat[T]) fillRand(r *rand.Rand) *mat[T] {
	m.fill(func(int, int) T { return randVal[T](r) })
	return m
}

// clone returns a deep copy.
func (m *mat[T]) clone() *mat[T] {
	if m == nil {
		return nil
	}
	c := *m
	c.buf = append([]T(nil), m.buf...)
	return &c
}

// checkGuard reports every element of buf outside the matrix that no
// longer holds guard, bitwise.
func (m *mat[T]) checkGuard(tb testing.TB, name string) {
	tb.Helper()
	if m == nil {
		return
	}
	g := bitsOf(guard[T]())
	bad := 0
	for idx, v := range m.buf {
		if m.isElem(idx) || bitsOf(v) == g {
			continue
		}
		if bad++; bad <= 5 {
			rel := idx - m.off
			where := "before the matrix"
			switch {
			case rel >= m.span():
				where = fmt.Sprintf("%d past the last element", rel-m.span())
			case rel >= 0:
				where = fmt.Sprintf("in the gap after row %d, column %d", rel/m.ld, rel%m.ld)
			}
			tb.Errorf("%s (%d×%d, ld %d): guard element %d (%s) was written: %s", name, m.rows, m.cols, m.ld, idx, where, fmtBits(v))
		}
	}
	if bad > 5 {
		tb.Errorf("%s: %d guard elements written in all", name, bad)
	}
}

// checkSameBits reports every element where got and want differ in any
// bit: inputs that must not change (whole buffers, guards included), or
// the outputs of two paths that must agree bit for bit.
func checkSameBits[T Float](tb testing.TB, name string, got, want []T) {
	tb.Helper()
	bad := 0
	for i := range want {
		if bitsOf(got[i]) != bitsOf(want[i]) {
			if bad++; bad <= 5 {
				tb.Errorf("%s: element %d is %s, want %s", name, i, fmtBits(got[i]), fmtBits(want[i]))
			}
		}
	}
	if bad > 5 {
		tb.Errorf("%s: %d elements differ in all", name, bad)
	}
}

// unchanged checks that m holds what its clone before the call held.
func (m *mat[T]) unchanged(tb testing.TB, name string, before *mat[T]) {
	tb.Helper()
	if m != nil {
		checkSameBits(tb, name+" (input)", m.buf, before.buf)
	}
}

const maskGuardWord = 0xdeadbeefcafef00d

// maskBuf is a Mask with guard words before its first row, between rows
// (Stride > MaskWords(Cols)) and after its last row.
type maskBuf struct {
	words []uint64
	off   int
	m     Mask
}

// newMaskBuf returns a guarded rows×cols mask, Stride = MaskWords(cols) +
// stridePad, every word (the mask's own too) holding maskGuardWord, so
// that a kernel that writes the mask must write every bit.
func newMaskBuf(rows, cols, stridePad, slack int) *maskBuf {
	w := MaskWords(cols)
	stride := w + stridePad
	need := 0
	if rows > 0 && cols > 0 {
		need = (rows-1)*stride + w
	}
	b := &maskBuf{off: 3, words: make([]uint64, 3+need+slack+4)}
	for i := range b.words {
		b.words[i] = maskGuardWord
	}
	b.m = Mask{Rows: rows, Cols: cols, Stride: stride, Bits: b.words[b.off : b.off+need+slack : b.off+need+slack]}
	return b
}

func (b *maskBuf) bit(i, j int) bool { return b.m.At(i, j) }

func (b *maskBuf) set(i, j int, v bool) {
	w := &b.m.Bits[i*b.m.Stride+j/64]
	if v {
		*w |= 1 << (j % 64)
	} else {
		*w &^= 1 << (j % 64)
	}
}

func (b *maskBuf) clone() *maskBuf {
	if b == nil {
		return nil
	}
	c := *b
	c.words = append([]uint64(nil), b.words...)
	c.m.Bits = c.words[b.off : b.off+len(b.m.Bits) : b.off+len(b.m.Bits)]
	return &c
}

// isBit reports whether word idx of words holds bits of the mask, and how
// many (the rest of a row's last word must be zero).
func (b *maskBuf) isBit(idx int) (ok bool, nbits int) {
	rel := idx - b.off
	w := MaskWords(b.m.Cols)
	if rel < 0 || b.m.Rows == 0 || b.m.Cols == 0 || rel >= (b.m.Rows-1)*b.m.Stride+w || rel%b.m.Stride >= w {
		return false, 0
	}
	if rel%b.m.Stride == w-1 {
		return true, b.m.Cols - 64*(w-1)
	}
	return true, 64
}

// checkWritten checks a mask that a kernel wrote: guard words untouched,
// the bits of each row's last word past Cols zero.
func (b *maskBuf) checkWritten(tb testing.TB, name string) {
	tb.Helper()
	bad := 0
	for idx, v := range b.words {
		ok, nb := b.isBit(idx)
		var msg string
		switch {
		case !ok && v != maskGuardWord:
			msg = fmt.Sprintf("guard word %d was written: %#x", idx, v)
		case ok && nb < 64 && v>>nb != 0:
			msg = fmt.Sprintf("word %d: bits past Cols=%d are not zero: %#x", idx, b.m.Cols, v)
		default:
			continue
		}
		if bad++; bad <= 5 {
			tb.Errorf("%s (%d×%d, Stride %d): %s", name, b.m.Rows, b.m.Cols, b.m.Stride, msg)
		}
	}
}

// ---------------------------------------------------------------------------
// Sums

// acc is an accurate float64 sum of terms (compensated: TwoSum and an FMA
// TwoProduct, so as if in twice float64's precision), with Σ|terms| and
// the NaN/Inf terms counted apart, for the reference of every sum.
type acc struct {
	s, c            float64 // value s + c
	abs             float64 // Σ|terms| (finite terms)
	n               int     // number of terms
	nan, pinf, ninf bool
}

func (a *acc) addInf(p float64) bool {
	switch {
	case p != p:
		a.nan = true
	case math.IsInf(p, 1):
		a.pinf = true
	case math.IsInf(p, -1):
		a.ninf = true
	default:
		return false
	}
	return true
}

func (a *acc) twoSum(p float64) {
	s := a.s + p
	bb := s - a.s
	a.c += (a.s - (s - bb)) + (p - bb)
	a.s = s
}

// addProd adds the term x·y.
func (a *acc) addProd(x, y float64) {
	a.n++
	p := x * y
	if a.addInf(p) {
		return
	}
	a.c += math.FMA(x, y, -p)
	a.twoSum(p)
	a.abs += math.Abs(p)
}

// add adds the term x.
func (a *acc) add(x float64) {
	a.n++
	if a.addInf(x) {
		return
	}
	a.twoSum(x)
	a.abs += math.Abs(x)
}

// scaled returns f·a (f finite; it rounds once in float64, far below
// the bounds of the tests).
func (a acc) scaled(f float64) acc {
	r := acc{s: a.s * f, c: a.c * f, abs: a.abs * math.Abs(f), n: a.n, nan: a.nan, pinf: a.pinf, ninf: a.ninf}
	if f < 0 {
		r.pinf, r.ninf = a.ninf, a.pinf
	}
	if f == 0 && (a.pinf || a.ninf) {
		r.nan = true
	}
	return r
}

// plus returns a + b (the terms of both; n is a's).
func (a acc) plus(b acc) acc {
	a.nan, a.pinf, a.ninf = a.nan || b.nan, a.pinf || b.pinf, a.ninf || b.ninf
	a.c += b.c
	a.twoSum(b.s)
	a.abs += b.abs
	return a
}

// class is the class of the exact sum: order-independent, since no
// finite partial sum comes near overflow in the tests.
func (a *acc) class() string {
	switch {
	case a.nan || a.pinf && a.ninf:
		return "NaN"
	case a.pinf:
		return "+Inf"
	case a.ninf:
		return "-Inf"
	}
	return "finite"
}

func (a *acc) value() float64 { return a.s + a.c }

// bound is the largest rounding error allowed for a sum of a.n terms
// computed in T in any order, with or without FMA, plus up to two more
// operations (α, β·C, the bias): γ·(n+2)·Σ|terms| with γ = 4u, plus the
// underflow of each operation.
func bound[T Float](a *acc) float64 {
	k := float64(a.n + 2)
	return 4*unitRoundoff[T]()*k*a.abs + k*tinyOf[T]()
}

// sumErr returns "" when got is the sum a within the bound (or of the
// same class, for a NaN or infinite sum) and the reason otherwise.
func sumErr[T Float](got T, a *acc) string {
	g := float64(got)
	if overflowRisk[T](a) {
		return ""
	}
	if c := a.class(); c != "finite" || classOf(g) != "finite" {
		if classOf(g) != c {
			return fmt.Sprintf("got %s, want a %s sum (exact value %g)", fmtBits(got), c, a.value())
		}
		return ""
	}
	if d, b := math.Abs(g-a.value()), bound[T](a); d > b {
		return fmt.Sprintf("got %s, want %.17g: error %.3g > bound %.3g (%d terms, Σ|terms| = %.6g)", fmtBits(got), a.value(), d, b, a.n, a.abs)
	}
	return ""
}

// maxFinite is T's largest finite value.
func maxFinite[T Float]() float64 {
	if is32[T]() {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

// overflowRisk reports whether some partial sum of a may overflow T, so
// that its result depends on the order of summation (+Inf, −Inf, NaN or
// finite are all possible): then nothing is checked about the value.
func overflowRisk[T Float](a *acc) bool {
	return !(a.abs < maxFinite[T]()/4) || math.IsInf(a.s, 0) || a.s != a.s
}

// checkSums reports to e every element of got (nil: none) that is not
// within the rounding bound of its exact sum in want (sumErr).
func checkSums[T Float](e *errs, name string, got *mat[T], want []acc) {
	if got == nil {
		return
	}
	for i := range got.rows {
		for j := range got.cols {
			if msg := sumErr(got.at(i, j), &want[i*got.cols+j]); msg != "" {
				e.add("%s[%d,%d]: %s", name, i, j, msg)
			}
		}
	}
}

// crossSums compares the sums got of one path with those of another,
// ref (the generic path's): both are within bound of the exact sum, so
// they differ by at most twice the bound, and a NaN or infinite sum is
// of the same class on both.
func crossSums[T Float](tb testing.TB, what string, got, ref *mat[T], want []acc) {
	tb.Helper()
	if got == nil || ref == nil {
		return
	}
	e := errs{tb: tb, what: what}
	for i := range got.rows {
		for j := range got.cols {
			a := &want[i*got.cols+j]
			g, r := got.at(i, j), ref.at(i, j)
			if overflowRisk[T](a) {
				continue
			}
			if classOf(float64(g)) != classOf(float64(r)) {
				e.add("[%d,%d] = %s, generic %s", i, j, fmtBits(g), fmtBits(r))
			} else if d := math.Abs(float64(g) - float64(r)); d > 2*bound[T](a) {
				e.add("[%d,%d] = %s, generic %s: differ by %.3g > 2·bound %.3g", i, j, fmtBits(g), fmtBits(r), d, 2*bound[T](a))
			}
		}
	}
	e.done()
}

// errs collects the failures of a comparison and reports the first few.
type errs struct {
	tb   testing.TB
	what string
	n    int
}

func (e *errs) add(format string, args ...any) {
	e.tb.Helper()
	if e.n++; e.n <= 6 {
		e.tb.Errorf("%s: %s", e.what, fmt.Sprintf(format, args...))
	}
}

func (e *errs) done() {
	e.tb.Helper()
	if e.n > 6 {
		e.tb.Errorf("%s: %d failures in all", e.what, e.n)
	}
}

// sweep runs the cases of a sweep. The failures of its first few failing
// cases are reported in full; later failing cases are still run, and
// summarised at the end by kind (the message without the case and its
// numbers), so that one bug does not flood the log or hide another.
type sweep struct {
	t      *testing.T
	failed int
	kinds  map[string]*kindCount
	order  []string
}

type kindCount struct {
	n       int
	example string
}

// shownCases is the number of failing cases of a sweep reported in full.
const shownCases = 4

// counter counts the failures reported through it; quiet, it keeps the
// first instead of reporting it.
type counter struct {
	testing.TB
	quiet bool
	fails int
	first string
}

func (c *counter) Errorf(format string, args ...any) {
	c.TB.Helper()
	c.fails++
	if !c.quiet {
		c.TB.Errorf(format, args...)
	} else if c.fails == 1 {
		c.first = fmt.Sprintf(format, args...)
	}
}

func (c *counter) Error(args ...any) {
	c.TB.Helper()
	c.Errorf("%s", fmt.Sprint(args...))
}

func newSweep(t *testing.T) *sweep { return &sweep{t: t, kinds: map[string]*kindCount{}} }

// do runs one case.
func (s *sweep) do(f func(tb testing.TB)) {
	s.t.Helper()
	c := &counter{TB: s.t, quiet: s.failed >= shownCases}
	f(c)
	if c.fails == 0 {
		return
	}
	s.failed++
	if c.quiet {
		k := failureKind(c.first)
		if s.kinds[k] == nil {
			s.kinds[k] = &kindCount{example: c.first}
			s.order = append(s.order, k)
		}
		s.kinds[k].n++
	}
}

// done reports the failing cases not shown.
func (s *sweep) done() {
	s.t.Helper()
	if len(s.order) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d failing cases in all, %d not shown; by kind:", s.failed, s.failed-shownCases)
	for _, k := range s.order {
		ex := s.kinds[k].example
		if i := strings.IndexByte(ex, '\n'); i >= 0 {
			ex = ex[:i]
		}
		fmt.Fprintf(&b, "\n\t%d× e.g. %.300s", s.kinds[k].n, ex)
	}
	s.t.Error(b.String())
}

// failureKind is a failure message without its case (up to "on path: ")
// and with its digits blanked.
func failureKind(msg string) string {
	if i := strings.Index(msg, " on "); i >= 0 {
		if j := strings.Index(msg[i:], ": "); j >= 0 {
			msg = msg[i+j+2:]
		}
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	b := []byte(msg)
	for i, c := range b {
		if '0' <= c && c <= '9' {
			b[i] = '#'
		}
	}
	return string(b[:min(len(b), 100)])
}

// recorder counts the failures reported to it instead of failing.
type recorder struct {
	testing.TB
	fails int
	first string
}

func (r *recorder) Errorf(format string, args ...any) {
	if r.fails == 0 {
		r.first = fmt.Sprintf(format, args...)
	}
	r.fails++
}

func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Helper()           {}

// equalWords reports whether two word slices are equal.
func equalWords(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Panics

// panicMsg runs f and returns its panic message, "" if it did not panic.
func panicMsg(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic message)"
			}
		}
	}()
	f()
	return ""
}

// wantPanic checks that f panics with exactly msg.
func wantPanic(tb testing.TB, name, msg string, f func()) {
	tb.Helper()
	got := panicMsg(f)
	switch {
	case got == "":
		tb.Errorf("%s: no panic, want %q", name, msg)
	case got != msg:
		tb.Errorf("%s: panic %q, want %q", name, got, msg)
	}
}

// callOK calls f and reports a panic as a failure of what (with the stack),
// so that one bad case does not end the whole test binary; it returns
// whether f returned normally.
func callOK(tb testing.TB, what string, f func()) (ok bool) {
	tb.Helper()
	defer func() {
		if r := recover(); r != nil {
			tb.Errorf("%s: panic: %v\n%s", what, r, debug.Stack())
			ok = false
		}
	}()
	f()
	return true
}

// wantNoPanic checks that f returns.
func wantNoPanic(tb testing.TB, name string, f func()) {
	tb.Helper()
	if got := panicMsg(f); got != "" {
		tb.Errorf("%s: panic %q, want none", name, got)
	}
}

// checkTileSums checks a register tile's output: element (i, j) of c
// (row stride ld) for i < rows, j < cols against the accurate sum over p <
// kc of a[p*mr+i]·b[p*ldb+j] (a packed micro-panel of A, B's rows ldb
// apart), plus c0's element when beta = 1, within the rounding bound; and
// every other element of the first bufRows rows of ld against c0 (nothing
// written outside the tile).
func checkTileSums[T Float](e *errs, what string, c, c0, a, b []T, mr, ldb, kc, beta, rows, cols, ld, bufRows int) {
	for i := range bufRows {
		for j := range ld {
			got := c[i*ld+j]
			if j >= cols || i >= rows {
				if bitsOf(got) != bitsOf(c0[i*ld+j]) {
					e.add("%s: C[%d,%d] past the tile written", what, i, j)
				}
				continue
			}
			var s acc
			for p := range kc {
				s.addProd(float64(a[p*mr+i]), float64(b[p*ldb+j]))
			}
			if beta == 1 {
				s.add(float64(c0[i*ld+j]))
			}
			if msg := sumErr(got, &s); msg != "" {
				e.add("%s: C[%d,%d]: %s", what, i, j, msg)
			}
		}
	}
}

// checkSameForward fails the test unless a forward pass's outputs (R, Z
// with their guard bands, and the mask) are want's bit for bit; against
// names want's way.
func checkSameForward[T Float](t *testing.T, what, against string, gotR, gotZ *mat[T], gotM Mask, wantR, wantZ *mat[T], wantM Mask) {
	t.Helper()
	gotR.checkGuard(t, what+": R")
	gotZ.checkGuard(t, what+": Z")
	checkSameBits(t, what+": R"+against, gotR.buf, wantR.buf)
	checkSameBits(t, what+": Z"+against, gotZ.buf, wantZ.buf)
	if !equalWords(gotM.Bits, wantM.Bits) {
		t.Errorf("%s: the mask differs%s", what, against)
	}
}

// randOrSpecial returns a random value (randVal), or, one time in oneIn
// (never for 0), one of the special values sp.
func randOrSpecial[T Float](r *rand.Rand, sp []T, oneIn int) T {
	if oneIn > 0 && r.IntN(oneIn) == 0 {
		return sp[r.IntN(len(sp))]
	}
	return randVal[T](r)
}

// fillSpecial fills mt with randOrSpecial's values and returns it.
func fillSpecial[T Float](mt *mat[T], r *rand.Rand, sp []T, oneIn int) *mat[T] {
	mt.fill(func(int, int) T { return randOrSpecial(r, sp, oneIn) })
	return mt
}
