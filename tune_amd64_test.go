//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// BenchmarkAVX512Tiles measures every register tile of the package
// (avx512Shapes32/64) bare, as BenchmarkAVX512Tile does today's: β = 1,
// no epilogue, the panels of A and B the same on every call (in L1 for
// kc = 256; in L2 for the wide tiles at kc = 1024). Run it beside
// BenchmarkAVX512FMAPeak:
//
//	go test -run '^$' -bench 'AVX512(Tiles|FMAPeak)$' -count 5 .
func BenchmarkAVX512Tiles(b *testing.B) {
	gemmAVX512Impl(b)
	for _, kc := range []int{256, 1024} {
		for _, s := range avx512Shapes32 {
			benchTileShape(b, s, kc)
		}
		for _, s := range avx512Shapes64 {
			benchTileShape(b, s, kc)
		}
		if hasBF16Dot {
			// kc bfloat16 values: kc/2 steps of pairs, two products each.
			for _, s := range avx512ShapesDot {
				benchTileShape(b, s, kc/2)
			}
		}
	}
}

func benchTileShape[T Float](b *testing.B, s avx512Shape[T], kc int) {
	name, flops := x512TypeName[T](), 2*s.mr*s.nr*kc
	if d, ok := any(s).(avx512Shape[float32]); ok && slices.Contains(avx512ShapesDot, d) {
		name, flops = "bf16", 2*flops
	}
	b.Run(fmt.Sprintf("%s/%s/kc=%d", name, s.name(), kc), func(b *testing.B) {
		a, bb, c := make([]T, s.mr*kc), make([]T, s.nr*kc), make([]T, s.mr*s.nr)
		benchLoop(b, float64(flops), func() {
			s.call(a, bb, s.nr, kc, c, s.nr, s.mr, s.nr, 1, 0, nil, nil, 0, 0, c, s.nr, nil, 0, 0, 0, 0, 0)
		})
	})
}

// tuneCandidate is one configuration BenchmarkTune measures: a tile of
// each type and a blocking rule.
type tuneCandidate struct {
	name string
	p    *impl
}

// tuneBlockings are the blockings BenchmarkTune tries with each tile: the
// model's (cpu.go: blockSizes) and the model's with kc doubled (up to
// 1024, mc shrunk to keep the block of A's bytes), as the model's rule
// for kc (the micro-panel of B twice L1) was set with 16-column tiles.
var tuneBlockings = []struct {
	name string
	f    func(size, mr, nr int) blocking
}{
	{"model", blockSizes},
	{"mc/2", blockSizesQuarterA},
	{"kc×2", func(size, mr, nr int) blocking {
		bl := blockSizes(size, mr, nr)
		kc := min(2*bl.kc, 1024)
		mc := max(bl.mc*bl.kc/kc/mr*mr, mr)
		return blocking{mc: mc, kc: kc, nc: bl.nc}
	}},
}

// tuneCandidates are the AVX-512 tiles of the package, paired (float32
// with the float64 tile of the same rows), with each blocking, and the
// route limits l.
func tuneCandidates(l routeLimits) []tuneCandidate {
	var cs []tuneCandidate
	for i, s32 := range avx512Shapes32 {
		s64 := avx512Shapes64[i]
		for _, bl := range tuneBlockings {
			c := withBlocks(avx512WithTiles(s32, s64, l), bl.f)
			name := fmt.Sprintf("%s+%s/%s", s32.name(), s64.name(), bl.name)
			cs = append(cs, tuneCandidate{name, newImpl(c.name, c.f32, c.f64)})
		}
	}
	return cs
}

// BenchmarkTune is the tuning report of the AVX-512 path on the core at
// hand: every candidate tile with each blocking (tuneCandidates) on the
// standard shapes, forward and backward, float32 and float64, single
// thread, the best of a few rounds of about 50 ms each; it prints, per
// shape, the candidates' GFLOPS, the best, and the configuration of this
// core's class (classEntries, FUSEDRELU_CORE). About a minute:
//
//	go test -run '^$' -bench '^BenchmarkTune$' -benchtime 1x .
func BenchmarkTune(b *testing.B) {
	gemmAVX512Impl(b)
	mine := newPath(avx512Path)
	cands := tuneCandidates(mine.f32.limits) // the class's route limits
	name := func(tile string, mr, nr int) string {
		if tile == "" {
			return fmt.Sprintf("%dx%d", mr, nr)
		}
		return tile
	}
	fmt.Printf("core %s (family %d model %d), class %s: tile %s kc %d (f32), %s kc %d (f64)\n",
		cpuName(), cpuid.CPU.Family, cpuid.CPU.Model, core, name(mine.f32.tile, mine.f32.mr, mine.f32.nr), mine.b32.kc,
		name(mine.f64.tile, mine.f64.mr, mine.f64.nr), mine.b64.kc)
	defer SetThreads(SetThreads(1)) // one thread: the figures are a core's
	tuneType[float32](b, "f32", cands, mine)
	tuneType[float64](b, "f64", cands, mine)
}

func tuneType[T Float](b *testing.B, dtype string, cands []tuneCandidate, mine *impl) {
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		if m < 32 {
			continue // the rows route: no tile
		}
		for _, pass := range []string{"fwd", "bwd"} {
			run := tuneRun[T](pass, m, k, n)
			measure := func(p *impl) float64 {
				var gf float64
				withPath(p, func() {
					run() // warm-up
					for range 3 {
						gf = max(gf, tuneTime(run, float64(m)*float64(k)*float64(n)*map[string]float64{"fwd": 2, "bwd": 4}[pass]))
					}
				})
				return gf
			}
			line := fmt.Sprintf("%s %s %dx%dx%d:", dtype, pass, m, k, n)
			best, bestName := 0.0, ""
			for _, c := range cands {
				gf := measure(c.p)
				line += fmt.Sprintf(" %s %.1f", c.name, gf)
				if gf > best {
					best, bestName = gf, c.name
				}
			}
			fmt.Printf("%s\n    best %s %.1f; this class's table %.1f GFLOPS\n", line, bestName, best, measure(mine))
		}
	}
}

// tuneRun returns one pass of the given shape on fresh operands.
func tuneRun[T Float](pass string, m, k, n int) func() {
	r := rand.New(rand.NewPCG(1, 2))
	x, w, bias := benchRand[T](m*k, r), benchRand[T](k*n, r), benchRand[T](n, r)
	mask := NewMask(m, n)
	fa := &ForwardArgs[T]{M: m, K: k, N: n, X: x, W: w, Bias: bias, R: make([]T, m*n), Mask: mask}
	if pass == "fwd" {
		return func() { Forward(fa) }
	}
	Forward(fa)
	ba := &BackwardArgs[T]{M: m, K: k, N: n, X: x, W: w, DR: benchRand[T](m*n, r), Mask: mask,
		DX: make([]T, m*k), DW: make([]T, k*n), DB: make([]T, n)}
	return func() { Backward(ba) }
}

// tuneTime runs f for about 50 ms and returns its GFLOPS.
func tuneTime(f func(), flops float64) float64 {
	start, n := time.Now(), 0
	for time.Since(start) < 50*time.Millisecond {
		f()
		n++
	}
	return flops * float64(n) / time.Since(start).Seconds() / 1e9
}

// TestIntelServerBlocking: intel-server's entry blocks A in a quarter of
// L2 (blockSizesQuarterA, TUNING.md), the other classes in the model's
// half.
func TestIntelServerBlocking(t *testing.T) {
	for _, class := range coreClasses {
		c := forCore(avx512Path, class)
		p := newImpl(c.name, c.f32, c.f64)
		want32, want64 := blockSizes(4, p.f32.mr, p.f32.nr), blockSizes(8, p.f64.mr, p.f64.nr)
		if class == coreIntelServer {
			want32, want64 = quarterA(want32, p.f32.mr), quarterA(want64, p.f64.mr)
		}
		if p.b32 != want32 || p.b64 != want64 {
			t.Errorf("%s: blocking f32 %+v, f64 %+v; want %+v, %+v", class, p.b32, p.b64, want32, want64)
		}
	}
}

// TestDirectMaxLd: intel-server's entry reads B in place for no job when
// its rows are 12 KiB or more apart (BenchmarkLargeW, TUNING.md), the
// other classes' whatever the distance for one row tile; the same rule
// in bytes for float64.
func TestDirectMaxLd(t *testing.T) {
	for _, class := range coreClasses {
		c := forCore(avx512Path, class)
		p := newImpl(c.name, c.f32, c.f64)
		limit := 0
		if class == coreIntelServer {
			limit = 12 << 10
		}
		if p.f32.limits.directMaxLd != limit || p.f64.limits.directMaxLd != limit {
			t.Errorf("%s: directMaxLd %d (f32), %d (f64), want %d", class, p.f32.limits.directMaxLd, p.f64.limits.directMaxLd, limit)
		}
		for _, ldBytes := range []int{4 << 10, 12<<10 - 64, 12 << 10, 64 << 10} {
			want := limit == 0 || ldBytes < limit
			j32 := &gemmJob[float32]{m: p.f32.mr, n: 64, k: 64, b: operand[float32]{ld: ldBytes / 4}}
			j64 := &gemmJob[float64]{m: p.f64.mr, n: 64, k: 64, b: operand[float64]{ld: ldBytes / 8}}
			if got := directB(&p.f32, j32); got != want {
				t.Errorf("%s f32: one row tile, rows %d bytes apart: directB %v, want %v", class, ldBytes, got, want)
			}
			if got := directB(&p.f64, j64); got != want {
				t.Errorf("%s f64: one row tile, rows %d bytes apart: directB %v, want %v", class, ldBytes, got, want)
			}
		}
	}
}

// TestClassDotTile: intel-server's entry has no bfloat16 dot tile (its
// VDPBF16PS issues at half the FMA's rate: BenchmarkAVX512FMAPeak), and
// the layers then widen (Path().BF16Dot false under that class); the
// other classes have the dot tile of their float32 tile's shape wherever
// the core has AVX512_BF16 (hasBF16Dot).
func TestClassDotTile(t *testing.T) {
	for _, class := range coreClasses {
		c := forCore(avx512Path, class)
		want := hasBF16Dot && class != coreIntelServer
		if got := c.f32.dotTile != nil; got != want {
			t.Errorf("%s: dot tile %v, want %v (hasBF16Dot %v)", class, got, want, hasBF16Dot)
		}
	}
	if a := Path(); a.ISA == "avx512" && a.BF16Dot != (hasBF16Dot && core != coreIntelServer) {
		t.Errorf("Path() under %s: BF16Dot %v, hasBF16Dot %v", core, a.BF16Dot, hasBF16Dot)
	}
}
