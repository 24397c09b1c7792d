package kernels

// FuzzArgs: every entry point with hostile arguments. The input decodes
// to one call (GEMM/GEMMThreads, Forward, Backward, ReLU, StepMask,
// StepGrad, StepGradMask, AdamUpdate or PackW) on one path (or its
// smallBlocks copy), with arbitrary dimensions, leading dimensions,
// strides, thread counts, slice lengths and offsets (lengths near what
// the shape needs, or any value), outputs sometimes placed inside
// another operand's memory, and values in small real buffers with guard
// bands. The call must either
//
//   - panic with a string that starts with "kernels:", every buffer
//     (outputs, inputs, guards) as it was before the call; or
//   - return, having written nothing but the elements of its outputs,
//     with the results the tests require: sums within the rounding bound
//     of the float64 reference and within twice that of the generic
//     path's, everything else bit for bit.
//
// A runtime error, a *workerPanic, any other panic value, a partial
// write or a wrong result fails. Buffers are at most argBufCap elements,
// so a call that passes its checks has little work, and one with a huge
// dimension must be caught by the checks or have nothing to do (it is
// then only checked to write nothing).
//
//	go test -run '^$' -fuzz '^FuzzArgs$' -fuzztime 10m .

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"testing"
)

const (
	argBufCap = 2048    // the most elements of a slice argument
	argCapDim = 1 << 14 // larger dimensions: the call must have nothing to do
	argHead   = 16      // guard elements (words) before each buffer's data
	argTail   = 16      // and after
)

// argSpecials are the integers that a byte ≥ 0xC0 selects: signs, the
// values around MaxInt and its halves and powers of two that wrap a
// product, and sizes a little past the buffers. (Written so that they
// compile on 32-bit machines; there the shifts give other large values.)
var argSpecials = [...]int{
	-1, -2, -63, -64, -65, math.MinInt, math.MinInt + 1,
	math.MaxInt, math.MaxInt - 1, math.MaxInt - 63, math.MaxInt - 64,
	math.MaxInt>>1 + 1, math.MaxInt>>1 + 2, math.MaxInt>>2 + 1, math.MaxInt/3 + 1,
	math.MaxInt>>3 + 1, math.MaxInt>>6 + 1, math.MaxInt>>6 + 2,
	math.MaxInt>>31 + 2, 1 << 30, 1<<31 - 1,
	255, 256, 257, 511, 1023, 1024, 1025, 2047, 2048, 2049, 4096,
}

// argReader decodes the fuzzer's bytes; past the end it reads zeros.
type argReader struct{ b []byte }

func (r *argReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// int reads 0…127 from one byte below 0x80, 128…16511 from two bytes
// starting 0x80…0xBF, or argSpecials[c−0xC0] from a byte c ≥ 0xC0.
func (r *argReader) int() int {
	c := r.byte()
	switch {
	case c < 0x80:
		return int(c)
	case c < 0xC0:
		return 128 + (int(c-0x80)<<8 + int(r.byte()))
	}
	return argSpecials[int(c-0xC0)%len(argSpecials)]
}

// argWriter encodes seeds in the reader's format.
type argWriter struct{ b []byte }

func (w *argWriter) byte(c ...byte) *argWriter { w.b = append(w.b, c...); return w }

func (w *argWriter) int(vs ...int) *argWriter {
	for _, v := range vs {
		switch {
		case 0 <= v && v < 128:
			w.b = append(w.b, byte(v))
		case 128 <= v && v < 128+64<<8:
			w.b = append(w.b, byte(0x80+(v-128)>>8), byte(v-128))
		default:
			i := 0
			for i < len(argSpecials) && argSpecials[i] != v {
				i++
			}
			if i == len(argSpecials) {
				panic(fmt.Sprintf("argWriter: %d cannot be encoded", v))
			}
			w.b = append(w.b, byte(0xC0+i))
		}
	}
	return w
}

// Slice specifications: a mode byte, then an int for an explicit length.
// Bits 5–7 of the mode are an offset into the buffer (0…7 elements).
const (
	specNil  = 0 // a nil slice
	specLen  = 1 // the length follows
	specNeed = 4 // 2…7: the length the shape needs, −2…+3 (specNeed+d)
)

// need is the spec of the length the shape needs, plus d.
func (w *argWriter) need(d int) *argWriter { return w.byte(byte(specNeed + d)) }

// length is the spec of an explicit length n at offset off.
func (w *argWriter) length(n, off int) *argWriter {
	return w.byte(byte(specLen | off<<5)).int(n)
}

// The operations, the low 4 bits of the first byte (bit 7: float64).
const (
	argGEMM = iota
	argForward
	argBackward
	argReLU
	argStepMask
	argStepGrad
	argStepGradMask
	argAdam
	argPackW
	argOps
)

// argOp is a slice argument of the call.
type argOp[T Float] struct {
	name           string
	out            bool // written by the call
	rows, cols, ld int  // its matrix (ld the leading dimension in use), for outputs' views
	ldArg          int  // the leading dimension passed
	isNil          bool
	n              int // its length
	buf, off       int // bufs[buf][argHead+off:]
}

// argMask is a Mask argument: its words live in words[buf].
type argMask struct {
	out                bool
	rows, cols, stride int
	isNil              bool
	n, buf, off        int
	zero               bool // the zero Mask: none
}

// argCall is one decoded call: its operands, their buffers before and
// after, and a description for messages.
type argCall[T Float] struct {
	t     *testing.T
	r     *argReader
	rng   *rand.Rand
	desc  []string
	ops   []*argOp[T]
	masks []*argMask
	bufs  [][]T
	pre   [][]T
	words [][]uint64
	preW  [][]uint64
}

func (c *argCall[T]) note(format string, args ...any) {
	c.desc = append(c.desc, fmt.Sprintf(format, args...))
}

func (c *argCall[T]) what() string { return strings.Join(c.desc, " ") }

// span returns (rows−1)·ld + cols (0 for an empty matrix) and whether it
// is a valid, representable size.
func argSpan(rows, cols, ld int) (int, bool) {
	if rows < 0 || cols < 0 || ld < max(cols, 1) {
		return 0, false
	}
	if rows == 0 || cols == 0 {
		return 0, true
	}
	if rows-1 > (math.MaxInt-cols)/ld {
		return 0, false
	}
	return (rows-1)*ld + cols, true
}

// sliceLen reads a slice spec for a slice that needs need elements (ok:
// need is meaningful) and returns its length, offset and nil-ness.
func (c *argCall[T]) sliceLen(need int, ok bool) (n, off int, isNil bool) {
	mode := c.r.byte()
	off = int(mode >> 5)
	switch m := int(mode & 7); m {
	case specNil:
		return 0, off, true
	case specLen:
		n = c.r.int()
	default:
		if ok {
			n = need + m - specNeed
		} else {
			n = m - 2
		}
	}
	return min(max(n, 0), argBufCap), off, false
}

// operand reads the spec of a rows×cols matrix argument with leading
// dimension ldArg (0: tight).
func (c *argCall[T]) operand(name string, out bool, rows, cols, ldArg int) *argOp[T] {
	ld := ldArg
	if ld == 0 {
		ld = max(cols, 1)
	}
	need, ok := argSpan(rows, cols, ld)
	o := &argOp[T]{name: name, out: out, rows: rows, cols: cols, ld: ld, ldArg: ldArg, buf: len(c.bufs)}
	o.n, o.off, o.isNil = c.sliceLen(need, ok)
	c.ops = append(c.ops, o)
	c.bufs = append(c.bufs, nil)
	if o.isNil {
		c.note("%s=nil", name)
	} else {
		c.note("len(%s)=%d(+%d)", name, o.n, o.off)
	}
	return o
}

// vector is operand for a vector of n elements.
func (c *argCall[T]) vector(name string, out bool, n int) *argOp[T] {
	return c.operand(name, out, 1, n, 0)
}

// mask reads a mask argument: the zero Mask, or rows×cols with a stride
// (or, hostile, all three from the input) and a Bits spec.
func (c *argCall[T]) mask(out bool, mode, rows, cols int) *argMask {
	m := &argMask{out: out, buf: len(c.words)}
	c.words = append(c.words, nil)
	c.masks = append(c.masks, m)
	switch mode {
	case 0:
		m.zero = true
		c.note("Mask=none")
		return m
	case 1:
		m.rows, m.cols, m.stride = rows, cols, MaskWords(max(cols, 0))+int(c.r.byte()%4)
	case 2:
		m.rows, m.cols, m.stride = c.r.int(), c.r.int(), c.r.int()
	case 3:
		m.rows, m.cols, m.stride = rows, cols, c.r.int()
	}
	w := 0
	if m.cols >= 0 {
		w = MaskWords(m.cols)
	}
	need, ok := argSpan(m.rows, w, m.stride)
	if m.cols == 0 || w == 0 {
		need, ok = 0, m.rows >= 0 && m.stride >= 0
	}
	m.n, m.off, m.isNil = c.sliceLen(need, ok)
	c.note("Mask=%d×%d/stride %d len(Bits)=%d", m.rows, m.cols, m.stride, m.n)
	if m.rows == 0 && m.cols == 0 && m.stride == 0 && m.isNil {
		m.zero = true // the zero Mask, built the long way: no mask
	}
	return m
}

// alias reads two alias specs: each may move an output into the buffer
// of another operand, at an offset from that operand's start.
func (c *argCall[T]) alias() {
	var outs []*argOp[T]
	for _, o := range c.ops {
		if o.out && !o.isNil {
			outs = append(outs, o)
		}
	}
	for range 2 {
		a := c.r.byte()
		if a&3 == 0 || len(outs) == 0 {
			continue
		}
		o := outs[int(a>>2)%len(outs)]
		tg := c.ops[int(a>>4)%len(c.ops)]
		d := c.r.int()
		if tg == o || tg.isNil {
			continue
		}
		o.buf = tg.buf
		o.off = min(max(tg.off+d-8, 0), argBufCap)
		c.note("%s@%s%+d", o.name, tg.name, o.off-tg.off)
	}
}

// alloc allocates and fills the buffers: guard everywhere, then each
// output's slice (values when its old contents are read, else poison),
// then each input's (values, some special), and snapshots them.
func (c *argCall[T]) alloc(readOuts bool, tab []T) {
	size := make([]int, len(c.bufs))
	for _, o := range c.ops {
		size[o.buf] = max(size[o.buf], o.off+o.n)
	}
	g := guard[T]()
	for i := range c.bufs {
		c.bufs[i] = make([]T, argHead+size[i]+argTail)
		for j := range c.bufs[i] {
			c.bufs[i][j] = g
		}
	}
	val := func() T {
		if c.rng.IntN(16) == 0 {
			return tab[c.rng.IntN(len(tab))]
		}
		return randVal[T](c.rng)
	}
	for pass := range 2 {
		for _, o := range c.ops {
			if o.out != (pass == 0) || o.isNil {
				continue
			}
			s := c.slice(o)
			for j := range s {
				if o.out && !readOuts {
					s[j] = poison[T]()
				} else {
					s[j] = val()
				}
			}
		}
	}
	for i, m := range c.masks {
		if m.zero {
			continue
		}
		c.words[i] = make([]uint64, argHead+m.off+m.n+argTail)
		for j := range c.words[i] {
			c.words[i][j] = maskGuardWord
			if !m.out && j >= argHead+m.off && j < argHead+m.off+m.n {
				c.words[i][j] = c.rng.Uint64()
			}
		}
	}
	c.pre = make([][]T, len(c.bufs))
	for i, b := range c.bufs {
		c.pre[i] = append([]T(nil), b...)
	}
	c.preW = make([][]uint64, len(c.words))
	for i, w := range c.words {
		c.preW[i] = append([]uint64(nil), w...)
	}
}

// slice is the argument for o (capacity = length, so that nothing past
// it is reachable).
func (c *argCall[T]) slice(o *argOp[T]) []T {
	if o == nil || o.isNil {
		return nil
	}
	b := c.bufs[o.buf]
	return b[argHead+o.off : argHead+o.off+o.n : argHead+o.off+o.n]
}

func (c *argCall[T]) maskArg(m *argMask) Mask {
	if m == nil || m.zero {
		return Mask{}
	}
	var bits []uint64
	if !m.isNil {
		w := c.words[m.buf]
		bits = w[argHead+m.off : argHead+m.off+m.n : argHead+m.off+m.n]
	}
	return Mask{Rows: m.rows, Cols: m.cols, Stride: m.stride, Bits: bits}
}

// call runs f and reports whether it returned. A panic must be a string
// starting "kernels:", and must leave every buffer as it was.
func (c *argCall[T]) call(f func()) (ok bool) {
	var stack []byte
	func() {
		defer func() {
			if r := recover(); r != nil {
				stack = debug.Stack()
				s, isStr := r.(string)
				if !isStr || !strings.HasPrefix(s, "kernels:") {
					c.t.Fatalf("%s on %s: panic %T %v, want a string starting kernels:\n%s", c.what(), active.name, r, r, stack)
				}
				c.note("→ %q", s)
			}
		}()
		f()
		ok = true
	}()
	if !ok {
		c.unchanged(nil)
	}
	if argStats != nil {
		name := strings.Fields(c.desc[1])[0]
		if ok {
			argStats[name+" returned"]++
		} else {
			argStats[name+" panicked"]++
		}
	}
	return ok
}

// argStats, when not nil, counts the outcomes of the calls by entry
// point (TestArgSeeds).
var argStats map[string]int

// unchanged checks that every buffer holds what it held before the call,
// except the elements that allowed reports (nil: none).
func (c *argCall[T]) unchanged(allowed func(buf, idx int) bool) {
	c.t.Helper()
	for i, b := range c.bufs {
		bad := 0
		for j := range b {
			if bitsOf(b[j]) != bitsOf(c.pre[i][j]) && (allowed == nil || !allowed(i, j)) {
				if bad++; bad <= 3 {
					c.t.Errorf("%s on %s: buffer %d element %d (%d from its data) written: %s, was %s", c.what(), active.name, i, j, j-argHead, fmtBits(b[j]), fmtBits(c.pre[i][j]))
				}
			}
		}
	}
	for i, m := range c.masks {
		for j := range c.words[i] {
			if c.words[i][j] != c.preW[i][j] && (allowed == nil || !m.out || !c.maskWordOut(m, j)) {
				c.t.Errorf("%s on %s: mask word %d written: %#x, was %#x", c.what(), active.name, j-argHead, c.words[i][j], c.preW[i][j])
				break
			}
		}
	}
}

// isElem reports whether buffer index idx is an element of output o.
func (c *argCall[T]) isElem(o *argOp[T], idx int) bool {
	rel := idx - argHead - o.off
	if o.isNil || rel < 0 || o.rows <= 0 || o.cols <= 0 || o.ld < 1 || rel >= o.n {
		return false
	}
	return rel/o.ld < o.rows && rel%o.ld < o.cols
}

// maskWordOut reports whether word idx of an output mask's buffer holds
// bits of the mask.
func (c *argCall[T]) maskWordOut(m *argMask, idx int) bool {
	rel := idx - argHead - m.off
	w := MaskWords(max(m.cols, 0))
	if m.isNil || rel < 0 || rel >= m.n || m.rows <= 0 || w == 0 || m.stride < 1 {
		return false
	}
	return rel/m.stride < m.rows && rel%m.stride < w
}

// intact checks, after a call that returned, that only the elements of
// its outputs were written.
func (c *argCall[T]) intact() {
	c.t.Helper()
	c.unchanged(func(buf, idx int) bool {
		for _, o := range c.ops {
			if o.out && o.buf == buf && c.isElem(o, idx) {
				return true
			}
		}
		return false
	})
}

// mat returns o's matrix as a guarded mat holding the values it held
// before the call, in a buffer of its own (for the reference and the
// generic path's run), or nil for a nil slice.
func (c *argCall[T]) mat(o *argOp[T]) *mat[T] {
	if o == nil || o.isNil {
		return nil
	}
	m := &mat[T]{rows: o.rows, cols: o.cols, ld: o.ld, off: headGuard, n: o.n, tight: o.ldArg == 0}
	m.buf = make([]T, headGuard+o.n+tailGuard)
	g := guard[T]()
	for i := range m.buf {
		m.buf[i] = g
	}
	if o.rows > 0 && o.cols > 0 {
		src := c.pre[o.buf][argHead+o.off:]
		for i := range o.rows {
			for j := range o.cols {
				m.buf[headGuard+i*o.ld+j] = src[i*o.ld+j]
			}
		}
	}
	return m
}

// view is o's matrix in the buffer the call wrote.
func (c *argCall[T]) view(o *argOp[T]) *mat[T] {
	if o == nil || o.isNil {
		return nil
	}
	return &mat[T]{buf: c.bufs[o.buf], off: argHead + o.off, rows: o.rows, cols: o.cols, ld: o.ld, n: o.n}
}

// layoutOf is the layout in which the case types build an output like o.
func layoutOf[T Float](o *argOp[T]) layout {
	span, _ := argSpan(o.rows, o.cols, o.ld)
	return layout{ldPad: o.ld - o.cols, tight: o.ldArg == 0, slack: o.n - span}
}

// maskBufOf is m, before the call, as a maskBuf.
func (c *argCall[T]) maskBufOf(m *argMask) *maskBuf {
	if m == nil || m.zero {
		return nil
	}
	b := &maskBuf{words: append([]uint64(nil), c.preW[m.buf]...), off: argHead + m.off}
	b.m = Mask{Rows: m.rows, Cols: m.cols, Stride: m.stride, Bits: b.words[b.off : b.off+m.n : b.off+m.n]}
	return b
}

func (c *argCall[T]) small(dims ...int) bool {
	for _, d := range dims {
		if d > argCapDim {
			return false
		}
	}
	return true
}

func (c *argCall[T]) threads() int {
	th := c.r.int()
	c.note("Threads=%d", th)
	return th
}

// ---------------------------------------------------------------------------

// FuzzArgs: see the top of the file. The seeds are issue 20's
// reproductions and shapes on the tile boundaries of every path.
func FuzzArgs(f *testing.F) {
	for _, s := range argSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &argReader{b: data}
		op := r.byte()
		p := argPath(r.byte())
		h := fnv.New64a()
		h.Write(data)
		withPath(p, func() {
			if op&0x80 == 0 {
				fuzzArgs[float32](t, r, int(op&15)%argOps, h.Sum64())
			} else {
				fuzzArgs[float64](t, r, int(op&15)%argOps, h.Sum64())
			}
		})
	})
}

// argPath is the path a byte selects: impls[b%len(impls)], with its
// cache blocks shrunk (smallBlocks) when bit 6 is set, so that small
// shapes cross the mc, kc and nc boundaries.
func argPath(b byte) *impl {
	p := impls[int(b&63)%len(impls)]
	if b&64 != 0 {
		p = smallBlocks(p)
	}
	return p
}

func fuzzArgs[T Float](t *testing.T, r *argReader, op int, seed uint64) {
	c := &argCall[T]{t: t, r: r, rng: newRand(seed)}
	c.note("%s", typeName[T]())
	switch op {
	case argGEMM:
		argsGEMM(c)
	case argForward:
		argsForward(c)
	case argBackward:
		argsBackward(c)
	case argReLU, argStepMask, argStepGrad, argStepGradMask:
		argsElementwise(c, op)
	case argAdam:
		argsAdam(c)
	case argPackW:
		argsPackW(c)
	}
}

// argsGEMM: flags (bit 0 tA, 1 tB, 2–4 (α, β), 5 GEMMThreads), m, n, k,
// lda, ldb, ldc, threads, the specs of A, B, C, two alias specs.
func argsGEMM[T Float](c *argCall[T]) {
	fl := c.r.byte()
	tA, tB := fl&1 != 0, fl&2 != 0
	sc := gemmScalars[fl>>2&7]
	alpha, beta := T(sc[0]), T(sc[1])
	m, n, k := c.r.int(), c.r.int(), c.r.int()
	lda, ldb, ldc := c.r.int(), c.r.int(), c.r.int()
	threads := c.r.int()
	c.note("GEMM tA=%v tB=%v m=%d n=%d k=%d α=%v β=%v lda=%d ldb=%d ldc=%d threads=%d(%v)", tA, tB, m, n, k, alpha, beta, lda, ldb, ldc, threads, fl&32 != 0)
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	a := c.operand("A", false, ar, ac, lda)
	b := c.operand("B", false, br, bc, ldb)
	cc := c.operand("C", true, m, n, ldc)
	c.alias()
	c.alloc(beta != 0, sumSpecials[T]())
	if !c.call(func() {
		if fl&32 != 0 {
			GEMMThreads(threads, Transpose(tA), Transpose(tB), m, n, k, alpha, c.slice(a), lda, c.slice(b), ldb, beta, c.slice(cc), ldc)
		} else {
			GEMM(Transpose(tA), Transpose(tB), m, n, k, alpha, c.slice(a), lda, c.slice(b), ldb, beta, c.slice(cc), ldc)
		}
	}) {
		return
	}
	c.intact()
	if !c.small(m, n, k) || c.t.Failed() {
		return
	}
	cs := &gemmCase[T]{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: c.mat(a), b: c.mat(b), c: c.mat(cc)}
	if cs.a == nil { // only when the call reads none of A: give the case an empty one
		cs.a = &mat[T]{rows: ar, cols: ac, ld: 1, buf: make([]T, headGuard+tailGuard), off: headGuard}
	}
	if cs.b == nil {
		cs.b = &mat[T]{rows: br, cols: bc, ld: 1, buf: make([]T, headGuard+tailGuard), off: headGuard}
	}
	cs.reference()
	got := c.view(cc)
	e := errs{tb: c.t, what: c.what() + " on " + active.name}
	checkSums(&e, "C", got, cs.want)
	e.done()
	if ref, ok := vsGeneric(c.t, cs.check); ok {
		crossSums(c.t, c.what()+": C on "+active.name+" vs generic", got, ref, cs.want)
	}
}

// pwArg packs W for Forward or Backward as mode says: 0 none, 1 W itself
// (K×N), 2 W with dimensions from the input, 3 the zero PackedW. The
// packing is part of the call (its panics are checked the same way).
func pwArg[T Float](c *argCall[T], mode, k, n int) (pack func(w []T, ldw int) *PackedW[T]) {
	switch mode {
	case 1:
		return func(w []T, ldw int) *PackedW[T] { return PackW(k, n, w, ldw) }
	case 2:
		k2, n2 := c.r.int(), c.r.int()
		c.note("PW=%d×%d", k2, n2)
		return func(w []T, ldw int) *PackedW[T] { return PackW(k2, n2, w, ldw) }
	case 3:
		return func([]T, int) *PackedW[T] { return new(PackedW[T]) }
	}
	return nil
}

// argsForward: flags (bit 0 Z, 1 Bias, 2–3 mask mode, 4–5 PW mode, 6
// Forward(nil), 7 W passed as nil beside a PW), M, K, N, LdX, LdW, LdR,
// LdZ, threads, [PW dims], the specs of X, W, Bias, R, Z, the mask, two
// alias specs.
func argsForward[T Float](c *argCall[T]) {
	fl := c.r.byte()
	m, k, n := c.r.int(), c.r.int(), c.r.int()
	ldx, ldw, ldr, ldz := c.r.int(), c.r.int(), c.r.int(), c.r.int()
	c.note("Forward M=%d K=%d N=%d LdX=%d LdW=%d LdR=%d LdZ=%d", m, k, n, ldx, ldw, ldr, ldz)
	threads := c.threads()
	pack := pwArg(c, int(fl>>4&3), k, n)
	x := c.operand("X", false, m, k, ldx)
	w := c.operand("W", false, k, n, ldw)
	var bias, z *argOp[T]
	if fl&2 != 0 {
		bias = c.vector("Bias", false, n)
	}
	rr := c.operand("R", true, m, n, ldr)
	if fl&1 != 0 {
		z = c.operand("Z", true, m, n, ldz)
	}
	mk := c.mask(true, int(fl>>2&3), m, n)
	c.alias()
	c.alloc(false, sumSpecials[T]())
	var pw *PackedW[T]
	if !c.call(func() {
		if fl&64 != 0 {
			Forward[T](nil)
		}
		a := &ForwardArgs[T]{M: m, K: k, N: n, X: c.slice(x), LdX: ldx, W: c.slice(w), LdW: ldw, Bias: c.slice(bias),
			R: c.slice(rr), LdR: ldr, Z: c.slice(z), LdZ: ldz, Mask: c.maskArg(mk), Threads: threads}
		if pack != nil {
			pw = pack(c.slice(w), ldw)
			a.PW = pw
			if fl&128 != 0 {
				a.W, a.LdW = nil, 0
			}
		}
		Forward(a)
	}) {
		return
	}
	c.intact()
	if !c.small(m, n, k) || c.t.Failed() || m == 0 || n == 0 {
		return
	}
	cs := &fwdCase[T]{m: m, k: k, n: n, x: c.mat(x), w: c.mat(w), bias: c.mat(bias), hasZ: z != nil && !z.isNil, mask: c.maskBufOf(mk), lr: layoutOf(rr)}
	if cs.hasZ {
		cs.lz = layoutOf(z)
	}
	if cs.x == nil || cs.w == nil { // K = 0: no element of either is read
		cs.x, cs.w = newMat[T](m, k, layout{}), newMat[T](k, n, layout{})
	}
	cs.reference()
	gr, gz := c.view(rr), c.view(z)
	mwords := c.words[mk.buf]
	bitAt := func(i, j int) int {
		if mk.zero {
			return -1
		}
		return int(mwords[argHead+mk.off+i*mk.stride+j/64] >> (j % 64) & 1)
	}
	e := errs{tb: c.t, what: c.what() + " on " + active.name}
	for i := range m {
		for j := range n {
			var zp *T
			if gz != nil {
				zv := gz.at(i, j)
				zp = &zv
			}
			if msg := fwdElemErr(gr.at(i, j), zp, bitAt(i, j), &cs.want[i*n+j]); msg != "" {
				e.add("[%d,%d]: %s", i, j, msg)
			}
		}
		if !mk.zero && n%64 != 0 {
			if v := mwords[argHead+mk.off+i*mk.stride+(n-1)/64]; v>>(n%64) != 0 {
				e.add("mask row %d: bits past N set: %#x", i, v)
			}
		}
	}
	e.done()
	if ref, ok := vsGeneric(c.t, cs.check); ok {
		what := c.what() + ": %s on " + active.name + " vs generic"
		crossSums(c.t, fmt.Sprintf(what, "R"), gr, ref.r, cs.want)
		if gz != nil && ref.z != nil {
			crossSums(c.t, fmt.Sprintf(what, "Z"), gz, ref.z, cs.want)
		}
		if pw == nil && ref.mask != nil { // a PackedW may round Z differently
			for i := range m {
				for j := range n {
					if g := ref.mask.bit(i, j); (bitAt(i, j) == 1) != g {
						c.t.Errorf(what+": mask bit [%d,%d] = %d, generic %v", "Mask", i, j, bitAt(i, j), g)
					}
				}
			}
		}
	}
}

// argsBackward: flags (bit 0 DX, 1 DW, 2 DB, 3 DZ, 4 Accumulate, 5
// Backward(nil), 6–7 source: Z, mask, both, neither), flags2 (bits 0–1
// PW mode, 2–3 mask mode when the source has a mask), M, K, N, LdX, LdW,
// LdDR, LdZ, LdDX, LdDW, LdDZ, threads, [PW dims], the specs of X, W,
// DR, Z, DX, DW, DB, DZ, the mask, two alias specs.
func argsBackward[T Float](c *argCall[T]) {
	fl, fl2 := c.r.byte(), c.r.byte()
	m, k, n := c.r.int(), c.r.int(), c.r.int()
	ldx, ldw, lddr, ldz := c.r.int(), c.r.int(), c.r.int(), c.r.int()
	lddx, lddw, lddz := c.r.int(), c.r.int(), c.r.int()
	accum := fl&16 != 0
	c.note("Backward M=%d K=%d N=%d LdX=%d LdW=%d LdDR=%d LdZ=%d LdDX=%d LdDW=%d LdDZ=%d Accumulate=%v",
		m, k, n, ldx, ldw, lddr, ldz, lddx, lddw, lddz, accum)
	threads := c.threads()
	src := int(fl >> 6)
	pack := pwArg(c, int(fl2&3), k, n)
	x := c.operand("X", false, m, k, ldx)
	w := c.operand("W", false, k, n, ldw)
	dr := c.operand("DR", false, m, n, lddr)
	var z, dx, dw, db, dz *argOp[T]
	if src == 0 || src == 2 {
		z = c.operand("Z", false, m, n, ldz)
	}
	if fl&1 != 0 {
		dx = c.operand("DX", true, m, k, lddx)
	}
	if fl&2 != 0 {
		dw = c.operand("DW", true, k, n, lddw)
	}
	if fl&4 != 0 {
		db = c.vector("DB", true, n)
	}
	if fl&8 != 0 {
		dz = c.operand("DZ", true, m, n, lddz)
	}
	mmode := 0
	if src == 1 || src == 2 {
		mmode = 1 + int(fl2>>2&3)%3
	}
	mk := c.mask(false, mmode, m, n)
	c.alias()
	c.alloc(accum, sumSpecials[T]())
	if !c.call(func() {
		if fl&32 != 0 {
			Backward[T](nil)
		}
		a := &BackwardArgs[T]{M: m, K: k, N: n, X: c.slice(x), LdX: ldx, W: c.slice(w), LdW: ldw, DR: c.slice(dr), LdDR: lddr,
			Z: c.slice(z), LdZ: ldz, Mask: c.maskArg(mk), DX: c.slice(dx), LdDX: lddx, DW: c.slice(dw), LdDW: lddw,
			DB: c.slice(db), DZ: c.slice(dz), LdDZ: lddz, Accumulate: accum, Threads: threads}
		if pack != nil {
			a.PW = pack(c.slice(w), ldw)
		}
		Backward(a)
	}) {
		return
	}
	c.intact()
	outX, outW := dx != nil && !dx.isNil, dw != nil && !dw.isNil
	if !outX && !outW && k > argCapDim {
		k = 0 // K is not used: no output has it
	}
	if !c.small(m, n, k) || c.t.Failed() {
		return
	}
	cs := &bwdCase[T]{m: m, k: k, n: n, dr: c.mat(dr), dx: c.mat(dx), dw: c.mat(dw), db: c.mat(db)}
	if outW {
		cs.x = c.mat(x)
	}
	if outX {
		cs.w = c.mat(w)
	}
	for i, o := range []*argOp[T]{dx, dw, db, dz} {
		if o != nil && !o.isNil {
			cs.flags |= 1 << i
		}
	}
	if accum {
		cs.flags |= bwdAcc
	}
	if mk.zero {
		cs.z = c.mat(z)
	} else {
		cs.flags |= bwdMask
		cs.mask = c.maskBufOf(mk)
	}
	if dz != nil && !dz.isNil {
		cs.dzLay = layoutOf(dz)
	}
	if cs.dr == nil { // M·N = 0
		cs.dr = newMat[T](m, n, layout{})
	}
	if cs.x == nil && outW {
		cs.x = newMat[T](m, k, layout{})
	}
	if cs.w == nil && outX {
		cs.w = newMat[T](k, n, layout{})
	}
	cs.reference()
	e := errs{tb: c.t, what: c.what() + " on " + active.name}
	gx, gw, gb, gz := c.view(dx), c.view(dw), c.view(db), c.view(dz)
	checkSums(&e, "DX", gx, cs.wx)
	checkSums(&e, "DW", gw, cs.ww)
	checkSums(&e, "DB", gb, cs.wb)
	if gz != nil {
		for i := range m {
			for j := range n {
				if g, want := gz.at(i, j), cs.dz[i*n+j]; bitsOf(g) != bitsOf(want) {
					e.add("DZ[%d,%d] = %s, want %s", i, j, fmtBits(g), fmtBits(want))
				}
			}
		}
	}
	e.done()
	if ref, ok := vsGeneric(c.t, cs.check); ok {
		what := c.what() + ": %s on " + active.name + " vs generic"
		crossSums(c.t, fmt.Sprintf(what, "DX"), gx, ref.dx, cs.wx)
		crossSums(c.t, fmt.Sprintf(what, "DW"), gw, ref.dw, cs.ww)
		crossSums(c.t, fmt.Sprintf(what, "DB"), gb, ref.db, cs.wb)
	}
}

// argsElementwise: the length L, then the specs (for L elements) of the
// inputs and the output, two alias specs (an output at its input's
// offset is the in-place call).
func argsElementwise[T Float](c *argCall[T], op int) {
	l := c.r.int()
	tab := specials[T]()
	switch op {
	case argReLU:
		c.note("ReLU")
		x := c.vector("x", false, l)
		dst := c.vector("dst", true, l)
		c.alias()
		x.cols, dst.cols = x.n, x.n // the call's length: len(x)
		dst.ld = max(x.n, 1)
		c.alloc(false, tab)
		if !c.call(func() { ReLU(c.slice(dst), c.slice(x)) }) {
			return
		}
		c.intact()
		xs, got := c.pre[x.buf][argHead+x.off:], c.slice(dst)
		for i := range x.n {
			if want := reluWant(xs[i]); bitsOf(got[i]) != bitsOf(want) {
				c.t.Errorf("%s on %s: dst[%d] = %s, want ReLU(%s) = %s", c.what(), active.name, i, fmtBits(got[i]), fmtBits(xs[i]), fmtBits(want))
				return
			}
		}
	case argStepMask:
		c.note("StepMask")
		z := c.vector("z", false, l)
		mk := &argMask{out: true, buf: 0, rows: 1}
		mk.n, mk.off, mk.isNil = c.sliceLen(MaskWords(max(l, 0)), true)
		c.masks, c.words = append(c.masks, mk), append(c.words, nil)
		c.note("len(bits)=%d", mk.n)
		c.alloc(false, tab)
		mk.cols, mk.stride = z.n, max(MaskWords(z.n), 1)
		bits := c.maskArg(mk).Bits
		if !c.call(func() { StepMask(bits, c.slice(z)) }) {
			return
		}
		c.intact()
		zs := c.pre[z.buf][argHead+z.off:]
		for i := range z.n {
			if got := bits[i/64]>>(i%64)&1 == 1; got != stepWant(zs[i]) {
				c.t.Errorf("%s on %s: bit %d = %v, want Step(%s)", c.what(), active.name, i, got, fmtBits(zs[i]))
				return
			}
		}
		if z.n%64 != 0 && bits[z.n/64]>>(z.n%64) != 0 {
			c.t.Errorf("%s on %s: bits past len(z) set: %#x", c.what(), active.name, bits[z.n/64])
		}
	case argStepGrad:
		c.note("StepGrad")
		z := c.vector("z", false, l)
		dr := c.vector("dr", false, l)
		dz := c.vector("dz", true, l)
		c.alias()
		dz.cols, dz.ld = z.n, max(z.n, 1)
		c.alloc(false, tab)
		if !c.call(func() { StepGrad(c.slice(dz), c.slice(dr), c.slice(z)) }) {
			return
		}
		c.intact()
		zs, drs, got := c.pre[z.buf][argHead+z.off:], c.pre[dr.buf][argHead+dr.off:], c.slice(dz)
		for i := range z.n {
			var want T
			if stepWant(zs[i]) {
				want = drs[i]
			}
			if bitsOf(got[i]) != bitsOf(want) {
				c.t.Errorf("%s on %s: dz[%d] = %s, want %s (dr %s, z %s)", c.what(), active.name, i, fmtBits(got[i]), fmtBits(want), fmtBits(drs[i]), fmtBits(zs[i]))
				return
			}
		}
	case argStepGradMask:
		c.note("StepGradMask")
		dr := c.vector("dr", false, l)
		dz := c.vector("dz", true, l)
		mk := &argMask{buf: 0, rows: 1}
		mk.n, mk.off, mk.isNil = c.sliceLen(MaskWords(max(l, 0)), true)
		c.masks, c.words = append(c.masks, mk), append(c.words, nil)
		c.note("len(bits)=%d", mk.n)
		c.alias()
		dz.cols, dz.ld = dr.n, max(dr.n, 1)
		c.alloc(false, tab)
		mk.cols, mk.stride = dr.n, max(MaskWords(dr.n), 1)
		bits := c.maskArg(mk).Bits
		if !c.call(func() { StepGradMask(c.slice(dz), c.slice(dr), bits) }) {
			return
		}
		c.intact()
		drs, got := c.pre[dr.buf][argHead+dr.off:], c.slice(dz)
		for i := range dr.n {
			var want T
			if bits[i/64]>>(i%64)&1 == 1 {
				want = drs[i]
			}
			if bitsOf(got[i]) != bitsOf(want) {
				c.t.Errorf("%s on %s: dz[%d] = %s, want %s", c.what(), active.name, i, fmtBits(got[i]), fmtBits(want))
				return
			}
		}
	}
}

// argsAdam: the length L, the step t, a byte for the rates, the specs of
// p, g, m, v, two alias specs.
func argsAdam[T Float](c *argCall[T]) {
	l, step, rates := c.r.int(), c.r.int(), c.r.byte()
	lr := []float64{0.001, 0.1, 1e6, 0}[rates&3]
	b1 := []float64{0.9, 0, 0.5, 1}[rates>>2&3]
	b2 := []float64{0.999, 0.9, 0, -0.1}[rates>>4&3]
	c.note("AdamUpdate t=%d lr=%v β1=%v β2=%v", step, lr, b1, b2)
	p := c.vector("p", true, l)
	g := c.vector("g", false, l)
	m := c.vector("m", true, l)
	v := c.vector("v", true, l)
	c.alias()
	for _, o := range []*argOp[T]{m, v} {
		o.cols, o.ld = p.n, max(p.n, 1)
	}
	p.cols, p.ld = p.n, max(p.n, 1)
	c.alloc(true, specials[T]())
	for j := argHead + v.off; j < argHead+v.off+v.n; j++ { // v ≥ 0, as Adam keeps it
		c.bufs[v.buf][j] = T(math.Abs(float64(c.bufs[v.buf][j])))
		c.pre[v.buf][j] = c.bufs[v.buf][j]
	}
	var coef AdamCoeffs[T]
	if !c.call(func() {
		coef = NewAdamCoeffs[T](lr, b1, b2, 1e-8, step)
		AdamUpdate(c.slice(p), c.slice(g), c.slice(m), c.slice(v), coef)
	}) {
		return
	}
	c.intact()
	n := p.n
	pre := func(o *argOp[T]) []T { return append([]T(nil), c.pre[o.buf][argHead+o.off:argHead+o.off+n]...) }
	wp, wg, wm, wv := pre(p), pre(g), pre(m), pre(v)
	adamGeneric(wp, wg, wm, wv, coef.kernel())
	for _, cmp := range []struct {
		name      string
		got, want []T
	}{{"p", c.slice(p), wp}, {"m", c.slice(m), wm}, {"v", c.slice(v), wv}} {
		for i := range n {
			if g, w := cmp.got[i], cmp.want[i]; bitsOf(g) != bitsOf(w) && !(isNaN(g) && isNaN(w)) {
				c.t.Errorf("%s on %s: %s[%d] = %s, want %s", c.what(), active.name, cmp.name, i, fmtBits(g), fmtBits(w))
				return
			}
		}
	}
}

// argsPackW: flags (bit 0 Pack on a nil *PackedW, bit 1 Pack into a
// PackedW of other dimensions), K, N, LdW, the spec of W; a W that packs
// is then checked through a Forward pass of a few rows.
func argsPackW[T Float](c *argCall[T]) {
	fl := c.r.byte()
	k, n, ldw := c.r.int(), c.r.int(), c.r.int()
	c.note("PackW K=%d N=%d LdW=%d flags=%d", k, n, ldw, fl&3)
	w := c.operand("W", false, k, n, ldw)
	c.alloc(false, sumSpecials[T]())
	var pw *PackedW[T]
	if !c.call(func() {
		switch fl & 3 {
		case 1:
			var nilPW *PackedW[T]
			nilPW.Pack(k, n, c.slice(w), ldw)
		case 2:
			pw = PackW(3, 5, make([]T, 15), 0)
			pw.Pack(k, n, c.slice(w), ldw)
		default:
			pw = PackW(k, n, c.slice(w), ldw)
		}
	}) {
		return
	}
	c.intact()
	if pw == nil {
		c.t.Fatalf("%s on %s: Pack on a nil *PackedW returned", c.what(), active.name)
	}
	if gk, gn := pw.Dims(); gk != k || gn != n {
		c.t.Errorf("%s on %s: Dims() = %d, %d", c.what(), active.name, gk, gn)
	}
	if !c.small(k, n) || k == 0 || n == 0 {
		return
	}
	m := 1 + int(fl>>2&3)*3
	cs := &fwdCase[T]{m: m, k: k, n: n, x: newMat[T](m, k, layout{tight: true}).fillRand(c.rng), w: c.mat(w)}
	cs.reference()
	r := newMat[T](m, n, layout{tight: true})
	Forward(&ForwardArgs[T]{M: m, K: k, N: n, X: cs.x.arg(), PW: pw, R: r.arg()})
	e := errs{tb: c.t, what: c.what() + " then Forward with it, on " + active.name}
	for i := range m {
		for j := range n {
			if msg := fwdElemErr(r.at(i, j), nil, -1, &cs.want[i*n+j]); msg != "" {
				e.add("R[%d,%d]: %s", i, j, msg)
			}
		}
	}
	e.done()
}

// ---------------------------------------------------------------------------
// Seeds

func argSeeds() [][]byte {
	var out [][]byte
	add := func(w *argWriter) { out = append(out, w.b) }
	op := func(o int, f64 bool, path int) *argWriter {
		b := byte(o)
		if f64 {
			b |= 0x80
		}
		return (&argWriter{}).byte(b, byte(path))
	}
	maxInt := math.MaxInt
	for path := range impls {
		// Issue 20: Forward with LdR = MaxInt and a one-element R.
		add(op(argForward, false, path).byte(0).int(2, 1, 1, 0, 0, maxInt, 0, 0).
			need(0).need(0).length(1, 1).byte(specNil).byte(0, 0))
		// GEMM with m = 1<<62 + 1 and slices of 4, 16, 4.
		add(op(argGEMM, false, path).byte(0).int(math.MaxInt>>1+2, 4, 4, 0, 0, 0, 0).
			length(4, 0).length(16, 0).length(4, 0).byte(0, 0))
		// A mask with Stride = MaxInt and one word.
		add(op(argForward, true, path).byte(2<<2).int(2, 1, 64, 0, 0, 0, 0, 0).
			need(0).need(0).need(0).int(2, 64, maxInt).length(1, 0).byte(0, 0))
		// Forward(nil), Backward(nil).
		add(op(argForward, false, path).byte(64).int(2, 3, 4, 0, 0, 0, 0, 0).need(0).need(0).need(0).byte(0, 0))
		add(op(argBackward, false, path).byte(32|15, 0).int(2, 3, 4).int(0, 0, 0, 0, 0, 0, 0, 0).
			need(0).need(0).need(0).need(0).need(0).need(0).need(0).need(0).byte(0, 0))
	}
	// Tile-boundary shapes, valid and with one thing wrong, on each path.
	for path, p := range impls {
		if path%2 == 1 {
			path |= 64 // smallBlocks(p): the same tile, tiny cache blocks
		}
		for _, f64 := range []bool{false, true} {
			mr, nr := p.f32.mr, p.f32.nr
			if f64 {
				mr, nr = p.f64.mr, p.f64.nr
			}
			for i, s := range [][3]int{{mr, nr, 8}, {mr + 1, nr + 1, 9}, {2*mr + 1, nr - 1, 17}, {1, 3*nr + 1, 3}, {mr - 1, 2 * nr, 1}} {
				m, n, k := s[0], s[1], s[2]
				d := []int{0, -1, 1, 0, 3}[i] // the length of one operand: short, long
				add(op(argGEMM, f64, path).byte(byte(i)<<2|byte(i&3)).int(m, n, k, 0, 0, 0, i).need(0).need(0).need(d).byte(0, 0))
				add(op(argGEMM, f64, path).byte(1<<2|32).int(m, n, k, k+3, n+1, n+2, 2).need(0).need(d).need(0).byte(0, 0))
				// Forward with bias, Z and a mask (stride pad 1); R and Z
				// interleaved (LdR = LdZ = 2N, Z in R's buffer at +N).
				add(op(argForward, f64, path).byte(1|2|1<<2).int(m, k, n, 0, 0, 0, 0, i).
					need(0).need(0).need(0).need(0).need(d).byte(1).need(0).byte(0, 0))
				add(op(argForward, f64, path).byte(1|2|1<<4).int(m, k, n, 0, 0, 2*n, 2*n, 0).
					need(0).need(0).need(0).need(0).need(0).byte(0).byte(1 | 1<<2 | 3<<4).int(n + 8).byte(0))
				// Backward, every output, from Z and from a mask, accumulating.
				add(op(argBackward, f64, path).byte(15, 0).int(m, k, n).int(0, 0, 0, 0, 0, 0, 0, i).
					need(0).need(0).need(0).need(0).need(0).need(0).need(0).need(d).byte(0, 0))
				add(op(argBackward, f64, path).byte(15|16|1<<6, 1).int(m, k, n).int(k+1, 0, n+2, 0, 0, n+1, 0, 1).
					need(0).need(0).need(0).need(0).need(0).need(0).need(0).byte(2).need(0).byte(0, 0))
			}
			for _, l := range []int{0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 129} {
				for o := argReLU; o <= argStepGradMask; o++ {
					add(op(o, f64, path).int(l).need(0).need(0).need(0).need(0).byte(0, 0))
				}
				// In place: the output at its first input's offset.
				add(op(argReLU, f64, path).int(l).need(0).need(0).byte(1 | 1<<2).int(8).byte(0))
				add(op(argStepGrad, f64, path).int(l).need(0).need(0).need(0).byte(1 | 1<<4).int(8).byte(0))
				add(op(argAdam, f64, path).int(l, 1).byte(0).need(0).need(0).need(0).need(0).byte(0, 0))
				if l > 0 { // one short or overlapping argument
					add(op(argReLU, f64, path).int(l).need(0).need(-1).byte(0, 0))
					add(op(argReLU, f64, path).int(l).need(0).need(0).byte(1 | 1<<2).int(9).byte(0))
					add(op(argStepMask, f64, path).int(l).need(0).need(-1))
					add(op(argStepGrad, f64, path).int(l).need(0).need(-1).need(0).byte(0, 0))
					add(op(argStepGrad, f64, path).int(l).need(0).need(0).need(0).byte(1 | 0<<4).int(7).byte(0))
					add(op(argStepGradMask, f64, path).int(l).need(0).need(0).need(-1).byte(0, 0))
					add(op(argAdam, f64, path).int(l, 1).byte(0).need(0).need(0).need(-1).need(0).byte(0, 0))
					add(op(argAdam, f64, path).int(l, 1).byte(0).need(0).need(0).need(0).need(0).byte(1 | 1<<2 | 0<<4).int(9).byte(0))
					add(op(argAdam, f64, path).int(l, 0).byte(0).need(0).need(0).need(0).need(0).byte(0, 0))
				}
			}
			add(op(argPackW, f64, path).byte(4).int(17, 2*nr+1, 0).need(0))
			add(op(argPackW, f64, path).byte(0).int(0, maxInt, 0).need(0))
			add(op(argPackW, f64, path).byte(1).int(3, 3, 0).need(0))
		}
	}
	return out
}

// TestArgSeeds: the seeds' encoding round-trips through the reader, so
// that the seeds say what they mean.
func TestArgSeeds(t *testing.T) {
	w := (&argWriter{}).int(0, 127, 128, 16511, -1, math.MaxInt, math.MaxInt>>1+2)
	r := &argReader{b: w.b}
	for _, want := range []int{0, 127, 128, 16511, -1, math.MaxInt, math.MaxInt>>1 + 2} {
		if got := r.int(); got != want {
			t.Errorf("argReader.int() = %d, want %d", got, want)
		}
	}
	// The seeds reach both outcomes of every entry point: calls that
	// return (and are checked against the reference) and calls that
	// panic.
	argStats = map[string]int{}
	defer func() { argStats = nil }()
	seeds := argSeeds()
	for _, s := range seeds {
		r := &argReader{b: s}
		op := r.byte()
		p := argPath(r.byte())
		withPath(p, func() {
			if op&0x80 == 0 {
				fuzzArgs[float32](t, r, int(op&15)%argOps, 1)
			} else {
				fuzzArgs[float64](t, r, int(op&15)%argOps, 2)
			}
		})
	}
	for _, name := range []string{"GEMM", "Forward", "Backward", "ReLU", "StepMask", "StepGrad", "StepGradMask", "AdamUpdate", "PackW"} {
		for _, o := range []string{" returned", " panicked"} {
			if argStats[name+o] == 0 {
				t.Errorf("no seed of %s%s", name, o)
			}
		}
	}
	t.Logf("%d seeds: %v", len(seeds), argStats)
}
