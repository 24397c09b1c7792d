//go:build amd64 && linux

package amxprobe

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func bf16(x float32) uint16 { // to nearest even, for the test data (no NaN inputs here)
	b := math.Float32bits(x)
	return uint16((b + 0x7fff + (b >> 16 & 1)) >> 16)
}

// daz widens a bfloat16, a denormal as a zero of its sign.
func daz(h uint16) float32 {
	if h&0x7f80 == 0 {
		return math.Float32frombits(uint32(h&0x8000) << 16)
	}
	return math.Float32frombits(uint32(h) << 16)
}

// ftz is x with a denormal flushed to a zero of its sign.
func ftz(x float32) float32 {
	if b := math.Float32bits(x); b&0x7f800000 == 0 {
		return math.Float32frombits(b & 0x80000000)
	}
	return x
}

// tdpStep is the model of one TDPBF16PS step of an output: x and w are its
// 32 bfloat16 values of A's row and B's column (pairs 2p, 2p+1). The even
// products and the odd ones are summed in two float32 chains from +0 (the
// products exact, each sum rounded to nearest even and flushed when
// denormal); their sum is added to c, itself flushed when denormal.
func tdpStep(c float32, x, w *[32]uint16) float32 {
	var e, o float32
	for p := 0; p < 32; p += 2 {
		e = ftz(e + daz(x[p])*daz(w[p]))
		o = ftz(o + daz(x[p+1])*daz(w[p+1]))
	}
	return ftz(ftz(c) + ftz(e+o))
}

// vdpStep is VDPBF16PS's order over the same step, for comparison: one
// chain through c, the odd product of each pair first.
func vdpStep(c float32, x, w *[32]uint16) float32 {
	for p := 0; p < 32; p += 2 {
		c = ftz(c + daz(x[p+1])*daz(w[p+1]))
		c = ftz(c + daz(x[p])*daz(w[p]))
	}
	return c
}

// runTile runs amxDot on random A (16 rows × 32·steps), B and C from the
// generators and counts the outputs that differ from model's (a NaN is
// any NaN).
func runTile(steps int, gen func() uint16, genC func() float32, models ...func(float32, *[32]uint16, *[32]uint16) float32) []int {
	k := 32 * steps
	a := make([]uint16, 16*k) // A(m, q) at a[m*k+q]
	b := make([][16]uint16, k)
	for i := range a {
		a[i] = gen()
	}
	for q := range b {
		for n := range 16 {
			b[q][n] = gen()
		}
	}
	bp := make([]uint16, k*16) // a step: 16 rows of 16 column pairs
	for s := range steps {
		for p := range 16 {
			for n := range 16 {
				bp[s*512+p*32+2*n] = b[s*32+2*p][n]
				bp[s*512+p*32+2*n+1] = b[s*32+2*p+1][n]
			}
		}
	}
	c := make([]float32, 256)
	for i := range c {
		c[i] = genC()
	}
	c0 := append([]float32(nil), c...)
	amxDot(config16(), &c[0], 64, &a[0], 2*k, &bp[0], steps)
	miss := make([]int, len(models))
	for i, model := range models {
		for m := range 16 {
			for n := range 16 {
				acc := c0[m*16+n]
				for s := range steps {
					var x, w [32]uint16
					for q := range 32 {
						x[q], w[q] = a[m*k+s*32+q], b[s*32+q][n]
					}
					acc = model(acc, &x, &w)
				}
				if got := c[m*16+n]; math.Float32bits(got) != math.Float32bits(acc) && !(got != got && acc != acc) {
					miss[i]++
				}
			}
		}
	}
	return miss
}

// TestModel: TDPBF16PS computes tdpStep, bit for bit, over normal values,
// a wide range of exponents, special values (denormals, ±0, ±Inf, NaN),
// sums near the denormal boundary and denormal products; VDPBF16PS's
// order (vdpStep) is logged beside it.
func TestModel(t *testing.T) {
	if err := enable(); err != nil {
		t.Skipf("no AMX here: %v", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	sign := func() uint16 { return uint16(r.IntN(2)) << 15 }
	normal := func() float32 { return float32(r.NormFloat64()) }
	tiny := func() float32 { return float32(r.NormFloat64() * 0x1p-120) }
	for _, tc := range []struct {
		name string
		gen  func() uint16
		genC func() float32
	}{
		{"normal", func() uint16 { return bf16(normal()) }, normal},
		{"wide", func() uint16 { return bf16(float32(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-20)))) }, normal},
		{"special", func() uint16 {
			switch r.IntN(30) {
			case 0:
				return sign() | uint16(1+r.IntN(0x7f)) // denormal
			case 1:
				return sign() // ±0
			case 2:
				return sign() | 0x7f80 // ±Inf
			case 3:
				return sign() | 0x7f80 | uint16(1+r.IntN(0x7f)) // NaN
			case 4:
				return sign() | uint16(0x0080+r.IntN(0x400)) // tiny normal
			}
			return bf16(normal())
		}, normal},
		{"near 2^-126", func() uint16 {
			if r.IntN(4) == 0 {
				return sign() | uint16(r.IntN(0x80)) // zero or denormal
			}
			return sign() | uint16(0x2000+r.IntN(0x280)) // products 2^-126 … 2^-117
		}, tiny},
		{"denormal products", func() uint16 { return sign() | uint16(0x1f00+r.IntN(0x300)) }, tiny},
	} {
		var miss, vdp, lanes int
		for it := range 500 {
			m := runTile(1+it%4, tc.gen, tc.genC, tdpStep, vdpStep)
			miss, vdp, lanes = miss+m[0], vdp+m[1], lanes+256
		}
		if miss > 0 {
			t.Errorf("%s: %d of %d outputs differ from tdpStep", tc.name, miss, lanes)
		}
		t.Logf("%s: %d of %d outputs differ from tdpStep, %d from VDPBF16PS's order", tc.name, miss, lanes, vdp)
	}
}

// BenchmarkPeak: 4 independent TDPBF16PS an iteration, 16·16·32·2 flops
// each.
func BenchmarkPeak(b *testing.B) {
	if err := enable(); err != nil {
		b.Skipf("no AMX here: %v", err)
	}
	buf := make([]uint16, 16*32)
	cfg := config16()
	const n = 1 << 10
	start := time.Now()
	for b.Loop() {
		amxPeak(cfg, &buf[0], n)
	}
	b.ReportMetric(float64(b.N)*n*4*16*16*32*2/time.Since(start).Seconds()/1e9, "GFLOPS")
}
