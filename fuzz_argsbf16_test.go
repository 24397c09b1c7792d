package kernels

// FuzzArgsBF16: ForwardBF16 and BackwardBF16 with hostile arguments, as
// FuzzArgs does for the float32 entry points. The input decodes to one
// call with arbitrary dimensions, leading dimensions, thread counts and
// slices placed anywhere in three shared buffers (bfloat16, float32 and
// mask words, so that operands may overlap), of lengths near what the
// shape needs or any. The call must either panic with a "kernels:"
// message having written nothing, or return having written only the
// elements of its outputs, with the values the same call gives on clean,
// separate copies of its operands.
//
//	go test -run '^$' -fuzz '^FuzzArgsBF16$' -fuzztime 5m .

import (
	"slices"
	"strings"
	"testing"
)

// bf16Arg is one operand of a call: where it lies in its buffer (nil:
// absent) and its leading dimension as passed (0: tight).
type bf16Arg struct {
	off, n int
	isNil  bool
	ld     int
}

// bf16Slice decodes an operand that needs need elements: a mode byte (0
// nil; else bits 0–1: the length need, need−1, need+3 or an explicit
// one) and an offset byte (elements into the buffer, scaled).
func bf16Slice(r *argReader, need, capacity int) bf16Arg {
	mode := r.byte()
	if mode == 0 {
		return bf16Arg{isNil: true}
	}
	off := int(r.byte()) * 8 % capacity
	n := need
	switch mode & 3 {
	case 1:
		n = need - 1
	case 2:
		n = need + 3
	case 3:
		n = r.int()
	}
	n = max(0, min(n, capacity-off))
	return bf16Arg{off: off, n: n}
}

// span is what a rows×cols matrix with leading dimension ld (0: cols)
// needs, for the decoder (clamped: the checks see the real arguments).
func argNeed(rows, cols, ld int) int {
	if ld == 0 {
		ld = cols
	}
	if rows <= 0 || cols <= 0 || rows > argBufCap || cols > argBufCap || ld > argBufCap {
		return 0
	}
	return (rows-1)*ld + cols
}

func FuzzArgsBF16(f *testing.F) {
	// Well-formed calls (every mode 0x04: the needed length), then
	// overlaps and short slices.
	f.Add([]byte{0, 5, 7, 9, 0, 4, 0, 0, 4, 10, 0, 4, 40, 0, 4, 0, 0, 4, 20, 0, 4, 60, 0, 4, 0})
	f.Add([]byte{1, 5, 7, 9, 1, 4, 0, 0, 4, 10, 0, 4, 40, 0, 4, 0, 0, 4, 20, 0, 4, 60, 0, 4, 80, 0, 4, 0, 0})
	f.Add([]byte{0, 17, 33, 3, 2, 4, 0, 0, 4, 0, 0, 4, 0, 0, 4, 0, 0, 4, 0, 0, 4, 0, 0, 4, 0})
	f.Add([]byte{0, 3, 4, 5, 0, 4, 0, 0, 4, 2, 0, 4, 2, 0, 5, 0, 0, 4, 0, 0, 4, 0, 0, 4, 0})
	f.Add([]byte{1, 9, 5, 70, 3, 4, 0, 0, 4, 20, 0, 4, 40, 0, 1, 0, 0, 4, 0, 0, 4, 30, 0, 4, 0, 0, 4, 0, 1})
	f.Add([]byte{0, 0xC7, 3, 3, 0, 4, 0, 0, 4, 10, 0, 4, 40, 0, 4, 0, 0, 4, 20, 0, 4, 60, 0, 4, 0})
	// W32: well-formed, then overlapping Z.
	f.Add([]byte{2, 20, 8, 33, 0, 4, 0, 0, 4, 10, 0, 4, 40, 0, 4, 0, 0, 4, 20, 0, 4, 200, 0, 4, 0})
	f.Add([]byte{2, 20, 8, 33, 0, 4, 0, 0, 4, 10, 0, 4, 40, 0, 4, 0, 0, 4, 20, 0, 4, 30, 0, 4, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := &argReader{b: in}
		op := r.byte()
		m, k, n := r.int(), r.int(), r.int()
		threads := int(r.byte() % 4)
		hb := make([]BF16, argBufCap)
		fb := make([]float32, argBufCap)
		mb := make([]uint64, argBufCap/8)
		vals := newRand(uint64(len(in)) + uint64(m)<<8 + uint64(n)<<16 + uint64(k)<<24)
		for i := range hb {
			hb[i] = BF16From(randVal[float32](vals))
		}
		for i := range fb {
			fb[i] = randVal[float32](vals)
		}
		for i := range mb {
			mb[i] = vals.Uint64()
		}
		ld := func() int {
			if c := r.byte(); c < 0xC0 {
				return int(c % 4) // mostly tight, or a small (maybe too small) ld
			} else {
				return argSpecials[int(c-0xC0)%len(argSpecials)]
			}
		}
		type mat struct {
			bf16Arg
			rows, cols int
		}
		operand := func(rows, cols, capacity int) mat {
			a := mat{rows: rows, cols: cols}
			a.ld = ld()
			ldn := a.ld
			if ldn > 0 && ldn < 4 {
				ldn += cols // a small ld means padding of 1–3
				a.ld = ldn
			}
			a.bf16Arg = withLd(bf16Slice(r, argNeed(rows, cols, ldn), capacity), a.ld)
			return a
		}
		// The operands: slices of the shared buffers, or (clean) copies
		// of the same lengths in memory of their own, kept in refs by
		// operand for the comparison.
		clean := false
		refs := map[*mat]any{}
		hs := func(a *mat) []BF16 {
			switch {
			case a.isNil:
				return nil
			case clean:
				c := slices.Clone(hb[a.off : a.off+a.n : a.off+a.n])
				refs[a] = c
				return c
			}
			return hb[a.off : a.off+a.n : a.off+a.n]
		}
		fs := func(a *mat) []float32 {
			switch {
			case a.isNil:
				return nil
			case clean:
				c := slices.Clone(fb[a.off : a.off+a.n : a.off+a.n])
				refs[a] = c
				return c
			}
			return fb[a.off : a.off+a.n : a.off+a.n]
		}
		mask := func() *mat {
			stride := MaskWords(max(n, 0))
			if c := r.byte(); c&1 != 0 {
				stride += int(c >> 1 % 3)
			}
			a := &mat{rows: m, cols: n, bf16Arg: bf16Slice(r, argNeed(m, MaskWords(max(n, 0)), stride), len(mb))}
			a.ld = stride
			return a
		}
		ms := func(a *mat) Mask {
			switch {
			case a.isNil:
				return Mask{}
			case clean:
				c := slices.Clone(mb[a.off : a.off+a.n : a.off+a.n])
				refs[a] = c
				return Mask{Rows: m, Cols: n, Stride: a.ld, Bits: c}
			}
			return Mask{Rows: m, Cols: n, Stride: a.ld, Bits: mb[a.off : a.off+a.n : a.off+a.n]}
		}
		var call func()
		var outs []*mat // the outputs: kind 0 bf16, 1 float32, 2 mask words
		var kinds []int
		if op&1 == 0 {
			// op bit 1: W as W32, float32 in fb beside R32 and Z.
			w32 := op&2 != 0
			wcap := len(hb)
			if w32 {
				wcap = len(fb)
			}
			x, w, bias := operand(m, k, len(hb)), operand(k, n, wcap), operand(1, n, len(fb))
			rr, r32, z := operand(m, n, len(hb)), operand(m, n, len(fb)), operand(m, n, len(fb))
			mk := mask()
			outs, kinds = []*mat{&rr, &r32, &z, mk}, []int{0, 1, 1, 2}
			call = func() {
				a := &ForwardBF16Args{M: m, K: k, N: n, X: hs(&x), LdX: x.ld, LdW: w.ld, Bias: fs(&bias),
					R: hs(&rr), LdR: rr.ld, R32: fs(&r32), LdR32: r32.ld, Z: fs(&z), LdZ: z.ld, Mask: ms(mk), Threads: threads}
				if w32 {
					a.W32 = fs(&w)
				} else {
					a.W = hs(&w)
				}
				ForwardBF16(a)
			}
		} else {
			x, w, dr := operand(m, k, len(hb)), operand(k, n, len(hb)), operand(m, n, len(hb))
			mk := mask()
			dx, dx32, dw, db := operand(m, k, len(hb)), operand(m, k, len(fb)), operand(k, n, len(fb)), operand(1, n, len(fb))
			acc := op&2 != 0
			outs, kinds = []*mat{&dx, &dx32, &dw, &db}, []int{0, 1, 1, 1}
			call = func() {
				BackwardBF16(&BackwardBF16Args{M: m, K: k, N: n, X: hs(&x), LdX: x.ld, W: hs(&w), LdW: w.ld,
					DR: hs(&dr), LdDR: dr.ld, Mask: ms(mk), DX: hs(&dx), LdDX: dx.ld, DX32: fs(&dx32), LdDX32: dx32.ld,
					DW: fs(&dw), LdDW: dw.ld, DB: fs(&db), Accumulate: acc, Threads: threads})
			}
		}
		hb0, fb0, mb0 := slices.Clone(hb), slices.Clone(fb), slices.Clone(mb)
		msg := panicMsg(call)
		if msg != "" {
			if !strings.HasPrefix(msg, "kernels:") {
				t.Fatalf("M=%d K=%d N=%d: panic %q", m, k, n, msg)
			}
			if !slices.Equal(hb, hb0) || !slices.Equal(fb, fb0) || !slices.Equal(mb, mb0) {
				t.Fatalf("M=%d K=%d N=%d: panic %q after writing", m, k, n, msg)
			}
			return
		}
		// Accepted: the same call on clean copies of the operands (the
		// values they held, each in memory of its own) is the reference.
		// Every element outside the outputs must be unchanged, every
		// element of an output the reference's.
		hb, hb0 = hb0, hb // the copies are taken from the original values
		fb, fb0 = fb0, fb
		mb, mb0 = mb0, mb
		clean = true
		call()
		after := [3]func(i int) uint64{
			func(i int) uint64 { return uint64(hb0[i]) },
			func(i int) uint64 { return uint64(bitsOf(fb0[i])) },
			func(i int) uint64 { return mb0[i] },
		}
		before := [3]func(i int) uint64{
			func(i int) uint64 { return uint64(hb[i]) },
			func(i int) uint64 { return uint64(bitsOf(fb[i])) },
			func(i int) uint64 { return mb[i] },
		}
		written := [3]map[int]uint64{{}, {}, {}}
		for i, o := range outs {
			if o.isNil || o.rows <= 0 || o.cols <= 0 {
				continue
			}
			cols := o.cols
			if kinds[i] == 2 {
				cols = MaskWords(o.cols)
			}
			ldv := o.ld
			if ldv == 0 {
				ldv = cols
			}
			for row := range o.rows {
				for c := range cols {
					e := row*ldv + c
					var want uint64
					switch ref := refs[o].(type) {
					case []BF16:
						want = uint64(ref[e])
					case []float32:
						want = uint64(bitsOf(ref[e]))
					case []uint64:
						want = ref[e]
					}
					written[kinds[i]][o.off+e] = want
				}
			}
		}
		for kind, size := range [3]int{len(hb), len(fb), len(mb)} {
			for i := range size {
				want, ok := written[kind][i]
				if !ok {
					want = before[kind](i)
				}
				if got := after[kind](i); got != want {
					t.Fatalf("M=%d K=%d N=%d: buffer %d element %d is %#x, want %#x (before %#x)", m, k, n, kind, i, got, want, before[kind](i))
				}
			}
		}
	})
}

func withLd(a bf16Arg, ld int) bf16Arg {
	a.ld = ld
	return a
}
