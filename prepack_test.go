package kernels

// Tests of prepacked weights (prepack.go): Forward and Backward with a
// PackedW against the same calls with W (the same bits where both pack W)
// and against the float64 reference, on every path with its real and
// with small blocks; the checks of a PackedW; and the benchmark of the
// prepacked against the plain forward pass.

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestPackedW(t *testing.T) {
	forEachPathBlocks(t, testPackedW[float32], testPackedW[float64])
}

func testPackedW[T Float](t *testing.T, p *impl) {
	mr, nr, bl := tileOf[T](p)
	shapes := [][3]int{
		{2*mr + 1, 9, 2*nr + 1}, {5*mr + 3, 27, 9*nr + 5}, {mr + 1, bl.kc + 1, 2*nr + 3},
		{mr - 1, 20, 30}, {2 * mr, 5, 70}, {3, 0, 70}, {1, 1, 1}, {mr + 2, 12, 8},
	}
	if testing.Short() {
		shapes = [][3]int{{2*mr + 1, 9, 2*nr + 1}, {5*mr + 3, 27, 9*nr + 5}, {mr - 1, 20, 30}, {3, 0, 70}}
	}
	r := newRand(31)
	for i, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		for _, threads := range []int{1, 3} {
			func() {
				if threads > 1 {
					old := parallelMinMACs
					parallelMinMACs = 1
					defer func() { parallelMinMACs = old }()
				}
				fwd := newFwdCase[T](r, m, k, n, 7, lay(i), lay(i+1), lay(i+2), lay(i+3), i%2)
				testPackedForward(t, fwd, threads, m >= mr && k > smallK)
				bwd := newBwdCase[T](r, m, k, n, bwdDX|bwdDB|bwdDZ|(i%2)*bwdMask, bwdLayouts(i), i%3)
				testPackedBackward(t, bwd, threads, m >= mr && n > smallK)
			}()
		}
	}
}

// testPackedForward runs the forward case with W packed, checks it
// against the reference, and when same is true, against the call with W
// bit for bit.
func testPackedForward[T Float](t *testing.T, cs *fwdCase[T], threads int, same bool) {
	t.Helper()
	cs.reference()
	pw := PackW(cs.k, cs.n, cs.w.arg(), cs.w.ldArg())
	run := func(packed bool) fwdOut[T] {
		out := fwdOut[T]{r: newMat[T](cs.m, cs.n, cs.lr), z: newMat[T](cs.m, cs.n, cs.lz), mask: cs.mask.clone()}
		a := &ForwardArgs[T]{M: cs.m, K: cs.k, N: cs.n, X: cs.x.arg(), LdX: cs.x.ldArg(), W: cs.w.arg(), LdW: cs.w.ldArg(),
			Bias: cs.bias.arg(), R: out.r.arg(), LdR: out.r.ldArg(), Z: out.z.arg(), LdZ: out.z.ldArg(), Mask: out.mask.m, Threads: threads}
		if packed {
			a.W, a.LdW, a.PW = nil, 0, pw
		}
		Forward(a)
		return out
	}
	got, plain := run(true), run(false)
	what := fmt.Sprintf("%s with PW, %d threads, on %s", cs, threads, active.name)
	got.r.checkGuard(t, what+": R")
	got.z.checkGuard(t, what+": Z")
	got.mask.checkWritten(t, what+": Mask")
	e := errs{tb: t, what: what}
	for i := range cs.m {
		for j := range cs.n {
			z, bit := got.z.at(i, j), 0
			if got.mask.bit(i, j) {
				bit = 1
			}
			if msg := fwdElemErr(got.r.at(i, j), &z, bit, &cs.want[i*cs.n+j]); msg != "" {
				e.add("[%d,%d]: %s", i, j, msg)
			}
		}
	}
	e.done()
	if same {
		checkSameBits(t, what+": R against W", got.r.buf, plain.r.buf)
		checkSameBits(t, what+": Z against W", got.z.buf, plain.z.buf)
		if !equalWords(got.mask.words, plain.mask.words) {
			t.Errorf("%s: the mask differs from the call with W", what)
		}
	}
}

// testPackedBackward is testPackedForward for the backward case (its
// outputs DX, DB and DZ).
func testPackedBackward[T Float](t *testing.T, cs *bwdCase[T], threads int, same bool) {
	t.Helper()
	cs.reference()
	pw := PackW(cs.k, cs.n, cs.w.arg(), cs.w.ldArg())
	run := func(packed bool) bwdOut[T] {
		o := bwdOut[T]{dx: cs.dx.clone(), db: cs.db.clone(), dz: newMat[T](cs.m, cs.n, cs.dzLay)}
		a := &BackwardArgs[T]{M: cs.m, K: cs.k, N: cs.n, W: cs.w.arg(), LdW: cs.w.ldArg(), DR: cs.dr.arg(), LdDR: cs.dr.ldArg(),
			DX: o.dx.arg(), LdDX: o.dx.ldArg(), DB: o.db.arg(), DZ: o.dz.arg(), LdDZ: o.dz.ldArg(), Threads: threads}
		if cs.flags&bwdMask != 0 {
			a.Mask = cs.mask.m
		} else {
			a.Z, a.LdZ = cs.z.arg(), cs.z.ldArg()
		}
		if packed {
			a.W, a.LdW, a.PW = nil, 0, pw
		}
		Backward(a)
		return o
	}
	got, plain := run(true), run(false)
	what := fmt.Sprintf("%s with PW, %d threads, on %s", cs, threads, active.name)
	got.dx.checkGuard(t, what+": DX")
	got.db.checkGuard(t, what+": DB")
	got.dz.checkGuard(t, what+": DZ")
	e := errs{tb: t, what: what}
	checkSums(&e, "DX", got.dx, cs.wx)
	e.done()
	checkSameBits(t, what+": DB against W", got.db.buf, plain.db.buf)
	checkSameBits(t, what+": DZ against W", got.dz.buf, plain.dz.buf)
	if same {
		checkSameBits(t, what+": DX against W", got.dx.buf, plain.dx.buf)
	}
}

// TestPackedWChecks: a PackedW of other dimensions, or packed for
// another path, is refused.
func TestPackedWChecks(t *testing.T) {
	w := make([]float32, 12)
	pw := PackW(3, 4, w, 0)
	if k, n := pw.Dims(); k != 3 || n != 4 {
		t.Errorf("Dims() = %d, %d, want 3, 4", k, n)
	}
	x, r := make([]float32, 8), make([]float32, 8)
	wantPanic(t, "Forward with a 3×4 PW for K=4, N=3", "kernels: PW is 3×4, want K×N = 4×3", func() {
		Forward(&ForwardArgs[float32]{M: 2, K: 4, N: 3, X: x, PW: pw, R: r})
	})
	wantPanic(t, "Backward with a 3×4 PW for K=4, N=3", "kernels: PW is 3×4, want K×N = 4×3", func() {
		Backward(&BackwardArgs[float32]{M: 2, K: 4, N: 3, PW: pw, DR: r, Z: r, DX: make([]float32, 8)})
	})
	wantPanic(t, "Forward with the zero PackedW", "kernels: PW is 0×0, want K×N = 3×4", func() {
		Forward(&ForwardArgs[float32]{M: 2, K: 3, N: 4, X: x, PW: new(PackedW[float32]), R: r})
	})
	wantPanic(t, "Pack with a short W", "kernels: len(w) = 12, want ≥ 15 for K=3, N=5, ldw=5", func() {
		pw.Pack(3, 5, w, 0)
	})
	q := smallBlocks(active)
	withPath(q, func() {
		wantPanic(t, "Forward on another path", fmt.Sprintf("kernels: PW was packed for path %s, the path in use is %s: pack it again", pw.path.name, q.name), func() {
			Forward(&ForwardArgs[float32]{M: 2, K: 3, N: 4, X: x, PW: pw, R: r})
		})
		pw.Pack(3, 4, w, 0)
		Forward(&ForwardArgs[float32]{M: 2, K: 3, N: 4, X: x, PW: pw, R: r})
	})
}

// BenchmarkPrepacked measures the fused forward and backward passes, f32,
// with W and with W prepacked, on one thread, for the target (prepacked
// forward ≥ 1.15 × plain on the small MLP shapes):
//
//	go test -run '^$' -bench 'Prepacked' -count 5
func BenchmarkPrepacked(b *testing.B) {
	for _, s := range [][3]int{{32, 256, 256}, {64, 784, 256}} {
		for _, packed := range []bool{false, true} {
			name := fmt.Sprintf("%dx%dx%d/plain", s[0], s[1], s[2])
			if packed {
				name = fmt.Sprintf("%dx%dx%d/packed", s[0], s[1], s[2])
			}
			b.Run("fwd/f32/"+name, func(b *testing.B) { benchForwardThreads[float32](b, s[0], s[1], s[2], 1, packed) })
			b.Run("bwd/f32/"+name, func(b *testing.B) { benchBackwardThreads[float32](b, s[0], s[1], s[2], 1, packed) })
		}
	}
}

// BenchmarkPackedRows measures the forward pass of a few rows with W
// where it lies and with W packed, float32 and bfloat16, one thread: the
// packed panels feed register tiles 16 rows tall, so for one or two rows
// W in place (the rows route) is faster (nn.BF16Network's
// bf16InPlaceRows):
//
//	go test -run '^$' -bench 'PackedRows' -cpu 1
func BenchmarkPackedRows(b *testing.B) {
	for _, s := range [][3]int{{1, 784, 256}, {2, 784, 256}, {4, 784, 256}, {8, 784, 256}, {16, 784, 256}} {
		m, k, n := s[0], s[1], s[2]
		for _, packed := range []bool{false, true} {
			name := fmt.Sprintf("%dx%dx%d/plain", m, k, n)
			if packed {
				name = fmt.Sprintf("%dx%dx%d/packed", m, k, n)
			}
			b.Run("f32/"+name, func(b *testing.B) { benchForwardThreads[float32](b, m, k, n, 1, packed) })
			b.Run("bf16/"+name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				a := &ForwardBF16Args{M: m, K: k, N: n, X: benchHalf(m*k, r), W: benchHalf(k*n, r),
					Bias: benchRand[float32](n, r), R: make([]BF16, m*n), Threads: 1}
				if packed {
					a.PW = new(PackedW[float32])
					a.PW.PackBF16(k, n, a.W, 0)
				}
				ForwardBF16(a)
				b.ReportAllocs()
				for b.Loop() {
					ForwardBF16(a)
				}
				reportGFLOPS(b, 2*float64(m)*float64(k)*float64(n))
			})
		}
	}
}
