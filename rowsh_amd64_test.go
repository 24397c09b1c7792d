//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The rows route's bfloat16 kernels (axpyH, axpy4H, dotH and the Z
// variants, AVX-512) bit for bit against the float32 kernels of the same
// path on the widened values, over every length up to 300 and around
// the chunks of one assembly call, offsets, random bits of every class in
// x (NaN payloads, subnormals, ±0, ±Inf) and special values in dst and
// the scalars; guard bands around every operand, and x unchanged.
func TestRowsH(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	k := avx512Rows32
	r := rand.New(rand.NewPCG(11, 12))
	tab := specials[float32]()
	rnd := func() float32 { return float32(r.Float64()*2 - 1) }
	// hbuf is a bfloat16 operand of n elements at offset off between
	// guard words, with random bits (every class now and then).
	type hbuf struct {
		buf    []BF16
		lo, n  int
		before []BF16
	}
	const hGuard = BF16(0x7fa5) // a NaN no kernel writes
	newH := func(n, off int) *hbuf {
		b := &hbuf{buf: make([]BF16, rowsGuard+off+n+rowsGuard), lo: rowsGuard + off, n: n}
		for i := range b.buf {
			b.buf[i] = hGuard
		}
		for i := range n {
			if r.IntN(4) == 0 {
				b.buf[b.lo+i] = BF16(r.Uint32()) // any bits: NaNs, Infs, subnormals, zeros
			} else {
				b.buf[b.lo+i] = BF16(math.Float32bits(rnd()) >> 16)
			}
		}
		b.before = append([]BF16(nil), b.buf...)
		return b
	}
	s := func(b *hbuf) []BF16 { return b.buf[b.lo : b.lo+b.n : b.lo+b.n] }
	wide := func(h []BF16) []float32 {
		w := make([]float32, len(h))
		for i, v := range h {
			w[i] = v.Float32()
		}
		return w
	}
	unchanged := func(b *hbuf, what string) {
		for i := range b.buf {
			if b.buf[i] != b.before[i] {
				t.Errorf("%s: bfloat16 operand word %d changed (offset %d, len %d)", what, i-b.lo, b.lo-rowsGuard, b.n)
				return
			}
		}
	}
	alphas := rowsAlphas[float32]()
	e := &errs{tb: t, what: "rowsH"} // for the guard bands (rowsBuf.checkGuard)
	defer e.done()
	for _, n := range rowsLens[float32](true) {
		for _, off := range rowsOffsets {
			what := func(f string) string { return fmt.Sprintf("%s n=%d off=%v", f, n, off) }
			dstInit := make([]float32, n)
			rowsFill(dstInit, r, rnd, true, tab)
			xs := []*hbuf{newH(n, off[1]), newH(n, (off[1]+1)%4), newH(n, (off[1]+2)%4), newH(n, (off[1]+3)%4)}
			a := [4]float32{alphas[r.IntN(len(alphas))], rnd(), rnd(), alphas[r.IntN(len(alphas))]}

			for _, z := range []bool{false, true} {
				got, want := newRowsBuf[float32](n, off[0]), make([]float32, n)
				copy(got.s(), dstInit)
				copy(want, dstInit)
				axpyH, axpy := k.axpyH, k.axpy
				axpy4H, axpy4 := k.axpy4H, k.axpy4
				name := ""
				if z {
					axpyH, axpy, axpy4H, axpy4, name = k.axpyHZ, k.axpyZ, k.axpy4HZ, k.axpy4Z, "Z"
				}
				axpyH(got.s(), a[0], s(xs[0]))
				axpy(want, a[0], wide(s(xs[0])))
				checkSameBits(t, what("axpyH"+name), got.s(), want)
				got.checkGuard(e, what("axpyH"+name))

				copy(got.s(), dstInit)
				copy(want, dstInit)
				axpy4H(got.s(), a[0], a[1], a[2], a[3], s(xs[0]), s(xs[1]), s(xs[2]), s(xs[3]))
				axpy4(want, a[0], a[1], a[2], a[3], wide(s(xs[0])), wide(s(xs[1])), wide(s(xs[2])), wide(s(xs[3])))
				checkSameBits(t, what("axpy4H"+name), got.s(), want)
				got.checkGuard(e, what("axpy4H"+name))
			}

			x := newRowsBuf[float32](n, off[0])
			rowsFill(x.s(), r, rnd, true, tab)
			got, want := k.dotH(x.s(), s(xs[0])), k.dot(x.s(), wide(s(xs[0])))
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("%s: %s, float32 kernel %s", what("dotH"), fmtBits(got), fmtBits(want))
			}
			x.checkGuard(e, what("dotH"))
			for i, b := range xs {
				unchanged(b, what(fmt.Sprint("x", i)))
			}
			if t.Failed() {
				return
			}
		}
	}
}
