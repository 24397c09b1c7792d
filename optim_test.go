package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Tests of AdamUpdate: every path's kernel against adamGeneric, bit for
// bit (NaN for NaN), with special values, unaligned slices, lengths
// around the vector widths and the wrappers' chunks, guard bands around
// every output and g unchanged; adamGeneric against the documented
// formula; the argument checks; and a descent that converges.

// adamLens are lengths around every vector width (4 … 16 elements) and
// the wrappers' chunks (8192 float64s, 16384 float32s).
func adamLens() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 8191, 8192, 8193, 16383, 16384, 16385, 3*16384+77)
}

// adamCoefs are coefficients of steps 1, 2 and 1000 with the usual
// hyper-parameters, and unusual ones: a large learning rate, β = 0, and
// an ε of the scale of denormals.
func adamCoefs[T Float]() []AdamCoeffs[T] {
	return []AdamCoeffs[T]{
		NewAdamCoeffs[T](0.001, 0.9, 0.999, 1e-8, 1),
		NewAdamCoeffs[T](0.001, 0.9, 0.999, 1e-8, 2),
		NewAdamCoeffs[T](0.01, 0.9, 0.999, 1e-8, 1000),
		NewAdamCoeffs[T](3, 0, 0, 1e-3, 7),
		NewAdamCoeffs[T](0.5, 0.5, 0.25, 1e-40, 3),
	}
}

// adamFill fills s with values of the scale of gradients and moments,
// now and then a special value (NaN, ±Inf, ±0, denormals, extremes).
func adamFill[T Float](s []T, r *rand.Rand, tab []T, special bool) {
	for i := range s {
		if special && r.IntN(8) == 0 {
			s[i] = randSpecial(r, tab)
			continue
		}
		s[i] = randVal[T](r) * T(math.Ldexp(1, r.IntN(20)-10))
	}
}

// sameOrNaN reports whether got is want bit for bit, or both are NaNs
// (whose payloads the instructions choose).
func sameOrNaN[T Float](got, want T) bool {
	return bitsOf(got) == bitsOf(want) || isNaN(got) && isNaN(want)
}

func TestAdamPaths(t *testing.T) {
	for _, p := range impls {
		t.Run(p.name+"/f32", func(t *testing.T) { testAdamPath[float32](t, p) })
		t.Run(p.name+"/f64", func(t *testing.T) { testAdamPath[float64](t, p) })
	}
}

func testAdamPath[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	r := newRand(301)
	tab := specials[T]()
	fails := 0
	for _, n := range adamLens() {
		for ci, c := range adamCoefs[T]() {
			off := (n + ci) % 4 // unaligned starts
			special := ci%2 == 1
			k := c.kernel()
			var mats [4]*mat[T] // 1×n, in guard bands
			var views [4][]T
			for q := range mats {
				mats[q] = newMat[T](1, n, layout{mis: off})
				views[q] = mats[q].arg()
				adamFill(views[q], r, tab, special)
			}
			// v ≥ 0 as a training loop keeps it, but for the specials.
			for i, x := range views[3] {
				if !special || r.IntN(4) != 0 {
					views[3][i] = T(math.Abs(float64(x)))
				}
			}
			g0 := append([]T(nil), views[1]...)
			want := [4][]T{}
			for q := range want {
				want[q] = append([]T(nil), views[q]...)
			}
			adamGeneric(want[0], want[1], want[2], want[3], k)

			o.adam(views[0], views[1], views[2], views[3], k)

			what := fmt.Sprintf("n=%d off=%d coef %d", n, off, ci)
			for q, name := range []string{"p", "g", "m", "v"} {
				mats[q].checkGuard(t, what+": "+name)
				for i, x := range views[q] {
					if !sameOrNaN(x, want[q][i]) {
						t.Errorf("%s: %s[%d] = %s, generic %s", what, name, i, fmtBits(x), fmtBits(want[q][i]))
						if fails++; fails > 10 {
							t.FailNow()
						}
						break
					}
				}
			}
			checkSameBits(t, what+": g", views[1], g0)
		}
	}
}

// TestAdamGeneric checks adamGeneric against the formula of AdamUpdate's
// comment computed in float64 with each operation rounded to T, and the
// coefficients against NewAdamCoeffs's definitions.
func TestAdamGeneric(t *testing.T) {
	testAdamGeneric[float32](t)
	testAdamGeneric[float64](t)
}

func testAdamGeneric[T Float](t *testing.T) {
	rd := func(x float64) float64 { return float64(T(x)) }
	r := newRand(302)
	for ci, c := range adamCoefs[T]() {
		n := 257
		p, g, m, v := make([]T, n), make([]T, n), make([]T, n), make([]T, n)
		adamFill(p, r, nil, false)
		adamFill(g, r, nil, false)
		adamFill(m, r, nil, false)
		adamFill(v, r, nil, false)
		for i := range v {
			v[i] = T(math.Abs(float64(v[i])))
		}
		p0, m0, v0 := append([]T(nil), p...), append([]T(nil), m...), append([]T(nil), v...)
		AdamUpdate(p, g, m, v, c)
		b1, b2 := float64(c.Beta1), float64(c.Beta2)
		c1, c2 := rd(1-b1), rd(1-b2)
		for i := range p {
			gi := float64(g[i])
			mi := rd(rd(b1*float64(m0[i])) + rd(c1*gi))
			vi := rd(rd(b2*float64(v0[i])) + rd(rd(c2*gi)*gi))
			d := rd(rd(rd(math.Sqrt(vi))*float64(c.Corr)) + float64(c.Eps))
			pi := rd(float64(p0[i]) - rd(rd(float64(c.Step)*mi)/d))
			if float64(m[i]) != mi || float64(v[i]) != vi || float64(p[i]) != pi {
				t.Fatalf("%s coef %d [%d]: p, m, v = %v, %v, %v, want %v, %v, %v", typeName[T](), ci, i, p[i], m[i], v[i], pi, mi, vi)
			}
		}
	}
	c := NewAdamCoeffs[T](0.002, 0.9, 0.999, 1e-8, 3)
	if want := T(0.002 / (1 - math.Pow(0.9, 3))); c.Step != want {
		t.Errorf("Step = %v, want %v", c.Step, want)
	}
	if want := T(1 / math.Sqrt(1-math.Pow(0.999, 3))); c.Corr != want {
		t.Errorf("Corr = %v, want %v", c.Corr, want)
	}
}

// TestAdamConverges minimizes Σ (p[i] − target[i])² with AdamUpdate on the
// active path.
func TestAdamConverges(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ *impl) {
		const n = 37
		p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		target := make([]float32, n)
		for i := range target {
			target[i] = float32(i%7) - 3
		}
		for step := 1; step <= 2000; step++ {
			for i := range g {
				g[i] = 2 * (p[i] - target[i])
			}
			AdamUpdate(p, g, m, v, NewAdamCoeffs[float32](0.05, 0.9, 0.999, 1e-8, step))
		}
		for i := range p {
			if math.Abs(float64(p[i]-target[i])) > 1e-2 {
				t.Fatalf("p[%d] = %v after 2000 steps, want %v", i, p[i], target[i])
			}
		}
	})
}

func TestAdamChecks(t *testing.T) {
	c := NewAdamCoeffs[float32](0.001, 0.9, 0.999, 1e-8, 1)
	buf := make([]float32, 40)
	p, g, m, v := buf[0:10], buf[10:20], buf[20:30], buf[30:40]
	other := make([]float32, 20)
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"short g", "len(g) = 9, want ≥ len(p) = 10", func() { AdamUpdate(p, g[:9], m, v, c) }},
		{"short m", "len(m) = 3, want ≥ len(p) = 10", func() { AdamUpdate(p, g, m[:3], v, c) }},
		{"short v", "len(v) = 0, want ≥ len(p) = 10", func() { AdamUpdate(p, g, m, nil, c) }},
		{"p is g", "p overlaps g", func() { AdamUpdate(p, p, m, v, c) }},
		{"m overlaps v", "m overlaps v", func() { AdamUpdate(p, g, buf[25:35], buf[30:40], c) }},
		{"p overlaps m", "p overlaps m", func() { AdamUpdate(other[0:10], g, other[5:15], v, c) }},
		{"t = 0", "Adam step t = 0, want ≥ 1", func() { NewAdamCoeffs[float32](0.001, 0.9, 0.999, 1e-8, 0) }},
		{"β = 1", "Adam betas 1, 0.999, want 0 ≤ β < 1", func() { NewAdamCoeffs[float32](0.001, 1, 0.999, 1e-8, 1) }},
	} {
		func() {
			defer func() {
				e := recover()
				if s, _ := e.(string); !strings.Contains(s, tc.msg) {
					t.Errorf("%s: panic %v, want one with %q", tc.name, e, tc.msg)
				}
			}()
			tc.f()
		}()
	}
	AdamUpdate[float32](nil, nil, nil, nil, c) // nothing to do
}

// BenchmarkAdam measures AdamUpdate on the parameters of the nn package's
// benchmark network (784-256-256-10: 269,322 of them, 4.3 MB of p, g, m
// and v in float32) on each path, in G elements/s:
//
//	go test -run '^$' -bench Adam -cpu 1
func BenchmarkAdam(b *testing.B) {
	const n = 784*256 + 256 + 256*256 + 256 + 256*10 + 10
	r := newRand(303)
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	adamFill(p, r, nil, false)
	adamFill(g, r, nil, false)
	c := NewAdamCoeffs[float32](0.001, 0.9, 0.999, 1e-8, 10)
	for _, pa := range impls {
		b.Run(pa.name, func(b *testing.B) {
			setPath(b, pa)
			for b.Loop() {
				AdamUpdate(p, g, m, v, c)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}

// FuzzAdam compares every path's Adam kernel with adamGeneric on a case
// the input derives: length (seeded around the vector widths), offsets,
// coefficients (any finite β1, β2 in [0, 1), ε and learning rate), values
// and special values where the input says.
//
//	go test -run XXX -fuzz FuzzAdam -fuzztime 30s .
func FuzzAdam(f *testing.F) {
	for i, n := range []uint16{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 129} {
		f.Add(n, uint8(i), uint64(i), 0.001, 0.9, 0.999, 1e-8, []byte(nil))
		f.Add(n, uint8(i*37), uint64(i), 3.0, 0.0, 0.5, 1e-30, []byte{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25})
	}
	f.Fuzz(func(t *testing.T, n16 uint16, opts uint8, seed uint64, lr, b1, b2, eps float64, vals []byte) {
		if !(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1) || math.IsNaN(lr) || math.IsNaN(eps) {
			return
		}
		if opts&1 == 0 {
			fuzzAdam[float32](t, int(n16)%300, opts, seed, lr, b1, b2, eps, vals)
		} else {
			fuzzAdam[float64](t, int(n16)%300, opts, seed, lr, b1, b2, eps, vals)
		}
	})
}

func fuzzAdam[T Float](t *testing.T, n int, opts uint8, seed uint64, lr, b1, b2, eps float64, vals []byte) {
	r := newRand(seed)
	c := NewAdamCoeffs[T](lr, b1, b2, eps, 1+int(opts>>1))
	k := c.kernel()
	tab := specials[T]()
	off := int(opts>>5) & 3
	var in [4][]T
	for q := range in {
		in[q] = make([]T, n+off)[off:]
		adamFill(in[q], r, tab, false)
	}
	for i, b := range vals {
		if b&1 != 0 && n > 0 {
			in[i%4][(i*7)%n] = tab[int(b/2)%len(tab)]
		}
	}
	want := [4][]T{}
	for q := range want {
		want[q] = append([]T(nil), in[q]...)
	}
	adamGeneric(want[0], want[1], want[2], want[3], k)
	for _, p := range impls[1:] {
		var mats [4]*mat[T] // copies of the inputs, in guard bands
		var got [4][]T
		for q := range mats {
			mats[q] = newMat[T](1, n, layout{mis: off})
			got[q] = mats[q].arg()
			copy(got[q], in[q])
		}
		opsFor[T](p).adam(got[0], got[1], got[2], got[3], k)
		for q, name := range []string{"p", "g", "m", "v"} {
			mats[q].checkGuard(t, fmt.Sprintf("%s n=%d: %s", p.name, n, name))
			for i := range n {
				if !sameOrNaN(got[q][i], want[q][i]) {
					t.Fatalf("%s n=%d %+v: %s[%d] = %s, generic %s", p.name, n, c, name, i, fmtBits(got[q][i]), fmtBits(want[q][i]))
				}
			}
		}
	}
}
