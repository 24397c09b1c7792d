package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fusedrelu/kernels/internal/shapes"
)

// The benchmarks run on the path FUSEDRELU_ISA selects (the best one by
// default), with the package's default thread count (GOMAXPROCS): use
// -cpu 1 for single-thread figures. Sub-benchmarks are named dtype/M×K×N, over the standard shapes
// of the design brief, and report GFLOPS (forward and GEMM 2·M·K·N flops,
// backward 4·M·K·N for dX and dW) or, for the elementwise kernels, GB/s of
// memory read and written. Compare paths and versions with benchstat:
//
//	go test -run '^$' -bench . -count 10 > new.txt
//	FUSEDRELU_ISA=generic go test -run '^$' -bench . -count 10 > generic.txt

var benchShapes = shapes.Standard

func benchRand[T Float](n int, r *rand.Rand) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64() - 0.5)
	}
	return s
}

func benchShape[T Float](b *testing.B, dtype string, run func(b *testing.B, m, k, n int)) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%s/%dx%dx%d", dtype, s[0], s[1], s[2]), func(b *testing.B) {
			run(b, s[0], s[1], s[2])
		})
	}
}

func reportGFLOPS(b *testing.B, flops float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func benchForward[T Float](b *testing.B, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	a := &ForwardArgs[T]{M: m, K: k, N: n,
		X: benchRand[T](m*k, r), W: benchRand[T](k*n, r), Bias: benchRand[T](n, r),
		R: make([]T, m*n), Mask: NewMask(m, n)}
	Forward(a) // warm-up: the first call of a process creates the scratch
	b.ReportAllocs()
	for b.Loop() {
		Forward(a)
	}
	reportGFLOPS(b, 2*float64(m)*float64(k)*float64(n))
}

func benchBackward[T Float](b *testing.B, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	x, w := benchRand[T](m*k, r), benchRand[T](k*n, r)
	mask := NewMask(m, n)
	Forward(&ForwardArgs[T]{M: m, K: k, N: n, X: x, W: w, R: make([]T, m*n), Mask: mask})
	a := &BackwardArgs[T]{M: m, K: k, N: n, X: x, W: w, DR: benchRand[T](m*n, r), Mask: mask,
		DX: make([]T, m*k), DW: make([]T, k*n), DB: make([]T, n)}
	Backward(a)
	b.ReportAllocs()
	for b.Loop() {
		Backward(a)
	}
	reportGFLOPS(b, 4*float64(m)*float64(k)*float64(n))
}

func benchGEMM[T Float](b *testing.B, m, k, n int) { benchGEMMOp[T](b, NoTrans, m, n, k) }

// benchGEMMNT is the backward pass's dX product on its own: C (m×k) =
// dZ (m×n) · Wᵀ, W stored k×n, as GEMM(NoTrans, Trans).
func benchGEMMNT[T Float](b *testing.B, m, k, n int) { benchGEMMOp[T](b, Trans, m, k, n) }

// benchGEMMOp measures C (m×n) = A (m×k) · op(B), op as tB says.
func benchGEMMOp[T Float](b *testing.B, tB Transpose, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 2))
	a, bm, c := benchRand[T](m*k, r), benchRand[T](k*n, r), make([]T, m*n)
	ldb := n
	if tB {
		ldb = k
	}
	GEMM(NoTrans, tB, m, n, k, 1, a, k, bm, ldb, 0, c, n)
	b.ReportAllocs()
	for b.Loop() {
		GEMM(NoTrans, tB, m, n, k, 1, a, k, bm, ldb, 0, c, n)
	}
	reportGFLOPS(b, 2*float64(m)*float64(k)*float64(n))
}

// benchHalf returns n random bfloat16 values.
func benchHalf(n int, r *rand.Rand) []BF16 {
	s := make([]BF16, n)
	ToBF16(s, benchRand[float32](n, r))
	return s
}

// benchForwardBF16 is benchForward for ForwardBF16: R in bfloat16 only,
// as the input of a next layer.
func benchForwardBF16(b *testing.B, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	a := &ForwardBF16Args{M: m, K: k, N: n,
		X: benchHalf(m*k, r), W: benchHalf(k*n, r), Bias: benchRand[float32](n, r),
		R: make([]BF16, m*n), Mask: NewMask(m, n)}
	ForwardBF16(a)
	b.ReportAllocs()
	for b.Loop() {
		ForwardBF16(a)
	}
	reportGFLOPS(b, 2*float64(m)*float64(k)*float64(n))
}

// benchBackwardBF16 is benchBackward for BackwardBF16: dX in bfloat16,
// dW and db in float32.
func benchBackwardBF16(b *testing.B, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	x, w := benchHalf(m*k, r), benchHalf(k*n, r)
	mask := NewMask(m, n)
	ForwardBF16(&ForwardBF16Args{M: m, K: k, N: n, X: x, W: w, R: make([]BF16, m*n), Mask: mask})
	a := &BackwardBF16Args{M: m, K: k, N: n, X: x, W: w, DR: benchHalf(m*n, r), Mask: mask,
		DX: make([]BF16, m*k), DW: make([]float32, k*n), DB: make([]float32, n)}
	BackwardBF16(a)
	b.ReportAllocs()
	for b.Loop() {
		BackwardBF16(a)
	}
	reportGFLOPS(b, 4*float64(m)*float64(k)*float64(n))
}

func BenchmarkForward(b *testing.B) {
	benchShape[float32](b, "f32", benchForward[float32])
	benchShape[float32](b, "bf16", benchForwardBF16)
	benchShape[float64](b, "f64", benchForward[float64])
}

func BenchmarkBackward(b *testing.B) {
	benchShape[float32](b, "f32", benchBackward[float32])
	benchShape[float32](b, "bf16", benchBackwardBF16)
	benchShape[float64](b, "f64", benchBackward[float64])
}

// largeWShapes are layers whose W is far larger than L2 at batches of at
// most one block of A's rows (MC), where each packed block of W is read
// once (blocking.forJob), and W read in place at a batch of one row tile
// (directB).
var largeWShapes = [][3]int{{4, 4096, 4096}, {16, 4096, 4096}, {32, 4096, 4096}, {64, 1024, 4096}, {64, 4096, 1024}, {128, 2048, 2048}}

// BenchmarkLargeW measures the fused passes, float32, on largeWShapes.
func BenchmarkLargeW(b *testing.B) {
	for _, s := range largeWShapes {
		name := fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2])
		b.Run("fwd/f32/"+name, func(b *testing.B) { benchForward[float32](b, s[0], s[1], s[2]) })
		b.Run("bwd/f32/"+name, func(b *testing.B) { benchBackward[float32](b, s[0], s[1], s[2]) })
	}
}

func BenchmarkGEMM(b *testing.B) {
	benchShape[float32](b, "f32", benchGEMM[float32])
	benchShape[float64](b, "f64", benchGEMM[float64])
}

// BenchmarkGEMMNT measures GEMM(NoTrans, Trans) on the backward's dX
// shapes (M×N times (K×N)ᵀ for each M×K×N of BenchmarkGEMM).
func BenchmarkGEMMNT(b *testing.B) {
	benchShape[float32](b, "f32", benchGEMMNT[float32])
	benchShape[float64](b, "f64", benchGEMMNT[float64])
}

// The elementwise kernels run over 16 MiB of input, more than fits in L2,
// so they measure the memory bandwidth of one core; GB/s counts the bytes
// read and written.
const benchElemBytes = 16 << 20

func benchElem[T Float](b *testing.B, name string, size int, bytesPerElem float64, f func(dz, dr, z []T, bits []uint64)) {
	n := benchElemBytes / size
	r := rand.New(rand.NewPCG(1, 2))
	z, dr, dz := benchRand[T](n, r), benchRand[T](n, r), make([]T, n)
	bits := make([]uint64, MaskWords(n))
	StepMask(bits, z)
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f(dz, dr, z, bits)
		}
		b.ReportMetric(bytesPerElem*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}

func BenchmarkReLU(b *testing.B) {
	benchElem(b, "f32/16MiB", 4, 8, func(dz, dr, z []float32, _ []uint64) { ReLU(dz, z) })
	benchElem(b, "f64/16MiB", 8, 16, func(dz, dr, z []float64, _ []uint64) { ReLU(dz, z) })
}

// BenchmarkStepMask measures the step-mask kernels: the bits of [Z ≥ 0]
// from Z (mask), and dZ = dR ⊙ [Z ≥ 0] from Z (grad) and from the bits
// (gradmask).
func BenchmarkStepMask(b *testing.B) {
	benchElem(b, "f32/16MiB/mask", 4, 4+1.0/8, func(_, _, z []float32, bits []uint64) { StepMask(bits, z) })
	benchElem(b, "f32/16MiB/grad", 4, 12, func(dz, dr, z []float32, _ []uint64) { StepGrad(dz, dr, z) })
	benchElem(b, "f32/16MiB/gradmask", 4, 8+1.0/8, func(dz, dr, _ []float32, bits []uint64) { StepGradMask(dz, dr, bits) })
	benchElem(b, "f64/16MiB/mask", 8, 8+1.0/8, func(_, _, z []float64, bits []uint64) { StepMask(bits, z) })
	benchElem(b, "f64/16MiB/grad", 8, 24, func(dz, dr, z []float64, _ []uint64) { StepGrad(dz, dr, z) })
	benchElem(b, "f64/16MiB/gradmask", 8, 16+1.0/8, func(dz, dr, _ []float64, bits []uint64) { StepGradMask(dz, dr, bits) })
}

// BenchmarkScalarPeak measures the ceiling of the generic Go code: a
// register-only loop of eight independent float32 multiply-add chains,
// which is as much as the compiler gives without vector instructions
// (GOAMD64=v1). The generic GEMM cannot exceed it; gonum's Sgemm, with
// its SSE assembly, is not bound by it.
func BenchmarkScalarPeak(b *testing.B) {
	const n = 1 << 16
	for b.Loop() {
		scalarSink = scalarLoop(n, 1.0001, 0.9999)
	}
	b.ReportMetric(16*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

var scalarSink float32

func scalarLoop(n int, a, b float32) float32 {
	var c0, c1, c2, c3, c4, c5, c6, c7 float32
	for range n {
		c0 += a * b
		c1 += a * b
		c2 += a * b
		c3 += a * b
		c4 += a * b
		c5 += a * b
		c6 += a * b
		c7 += a * b
		a += 1e-30 // keeps the product from being hoisted out of the loop
	}
	return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7
}

// BenchmarkDirectB chooses directMaxTiles: the fused forward pass with
// B packed and read where it lies (direct), for batches of 1 to 32 row
// tiles, on shapes of the design brief's MLPs. The direct route wins
// while its GFLOPS are higher; on a path without it (directBNone)
// both rows are the packed route.
//
//	go test -run '^$' -bench DirectB -cpu 1 -count 5
func BenchmarkDirectB(b *testing.B) {
	b.Run("f32", benchDirectB[float32])
	b.Run("f64", benchDirectB[float64])
}

func benchDirectB[T Float](b *testing.B) {
	o := opsFor[T](active)
	defer func(l routeLimits) { o.limits = l }(o.limits)
	for _, kn := range [][2]int{{256, 256}, {784, 256}, {512, 512}, {1024, 1024}} {
		for _, tiles := range []int{1, 2, 4, 8, 16, 32} {
			m := tiles * o.mr
			for _, route := range []string{"packed", "direct"} {
				b.Run(fmt.Sprintf("%dx%dx%d/%s", m, kn[0], kn[1], route), func(b *testing.B) {
					o.limits.directMaxTiles, o.limits.directMax4K = 0, 0
					if route == "direct" {
						o.limits.directMaxTiles, o.limits.directMax4K = 1<<30, 1<<30
					}
					benchForward[T](b, m, kn[0], kn[1])
				})
			}
		}
	}
}

// BenchmarkKC compares the blocking's K panel (kc: a micro-panel of B
// twice L1, cpu.go) with half of it (the micro-panel in L1), mc following
// the model (the packed block of A in half of L2), on the fused passes at
// 1024³, rounds interleaved:
//
//	go test -run '^$' -bench KC -cpu 1
func BenchmarkKC(b *testing.B) {
	p := active
	defer func(b32, b64 blocking) { p.b32, p.b64 = b32, b64 }(p.b32, p.b64)
	for round := range 3 {
		for _, scale := range []float64{0.5, 1} {
			name := fmt.Sprintf("round=%d/kc=", round)
			_, l2, _ := cacheSizes()
			if l2 <= 0 {
				l2 = defaultL2
			}
			set := func(bl blocking, size, mr int) blocking {
				bl.kc = max(8, int(float64(bl.kc)*scale)) &^ 7
				bl.mc = max(mr, l2/2/(bl.kc*size)/mr*mr)
				return bl
			}
			b32, b64 := p.b32, p.b64
			k32 := set(b32, 4, p.f32.mr)
			b.Run(fmt.Sprintf("%s%d/fwd/f32", name, k32.kc), func(b *testing.B) {
				p.b32 = k32
				benchForward[float32](b, 1024, 1024, 1024)
				p.b32 = b32
			})
			b.Run(fmt.Sprintf("%s%d/bwd/f32", name, k32.kc), func(b *testing.B) {
				p.b32 = k32
				benchBackward[float32](b, 1024, 1024, 1024)
				p.b32 = b32
			})
			k64 := set(b64, 8, p.f64.mr)
			b.Run(fmt.Sprintf("%s%d/fwd/f64", name, k64.kc), func(b *testing.B) {
				p.b64 = k64
				benchForward[float64](b, 1024, 1024, 1024)
				p.b64 = b64
			})
		}
	}
}

// BenchmarkRowsBelow measures the fused passes of a few rows on the rows
// route and on the tiles (routeLimits.rowsBelow: 16 sends every job of
// fewer than 16 rows on the rows route, 1 none), the active path and
// class, one thread, rounds interleaved:
//
//	go test -run '^$' -bench RowsBelow -cpu 1 -benchtime 0.2s
func BenchmarkRowsBelow(b *testing.B) {
	for round := range 2 {
		for _, s := range [][3]int{{1, 784, 256}, {2, 784, 256}, {3, 784, 256}, {4, 784, 256}, {5, 784, 256}, {6, 784, 256}, {8, 784, 256}, {12, 1024, 1024}} {
			for _, below := range []int{16, 1} {
				route := map[int]string{16: "rows", 1: "tiles"}[below]
				name := fmt.Sprintf("round=%d/%dx%dx%d/%s", round, s[0], s[1], s[2], route)
				b.Run("fwd/f32/"+name, func(b *testing.B) {
					withRowsBelowOf(&active.f32, below, func() { benchForward[float32](b, s[0], s[1], s[2]) })
				})
				b.Run("bwd/f32/"+name, func(b *testing.B) {
					withRowsBelowOf(&active.f32, below, func() { benchBackward[float32](b, s[0], s[1], s[2]) })
				})
				b.Run("fwd/f64/"+name, func(b *testing.B) {
					withRowsBelowOf(&active.f64, below, func() { benchForward[float64](b, s[0], s[1], s[2]) })
				})
				b.Run("bwd/f64/"+name, func(b *testing.B) {
					withRowsBelowOf(&active.f64, below, func() { benchBackward[float64](b, s[0], s[1], s[2]) })
				})
			}
		}
	}
}

// withRowsBelowOf runs f with o's rowsBelow set to below.
func withRowsBelowOf[T Float](o *ops[T], below int, f func()) {
	defer func(r int) { o.limits.rowsBelow = r }(o.limits.rowsBelow)
	o.limits.rowsBelow = below
	f()
}
