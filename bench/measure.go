package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fusedrelu/kernels"
)

// timing is the time of one call of a measured function.
type timing struct {
	Best   float64 `json:"ns_per_op"`        // the fastest batch, ns per call
	Median float64 `json:"median_ns_per_op"` // the median batch, ns per call
	Calls  int     `json:"calls"`            // timed calls in all
}

// timeIt times f: one warm-up call, then batches of calls that each take
// about a tenth of the budget, until the budget is spent, with at least 3
// batches. The best batch is the figure (the machine's noise only ever
// slows a batch down); the median says how noisy it was.
func timeIt(budget time.Duration, f func()) timing {
	start := time.Now()
	f()
	one := max(time.Since(start), 50*time.Nanosecond)
	reps := max(1, int(budget/10/one))
	var per []float64
	calls := 0
	for end := time.Now().Add(budget); len(per) < 3 || time.Now().Before(end); {
		t0 := time.Now()
		for range reps {
			f()
		}
		per = append(per, float64(time.Since(t0).Nanoseconds())/float64(reps))
		calls += reps
	}
	slices.Sort(per)
	return timing{Best: per[0], Median: per[len(per)/2], Calls: calls}
}

func random[T kernels.Float](n int, r *rand.Rand) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64() - 0.5)
	}
	return s
}

// operands are the matrices of one shape, the same for every
// implementation: X (M×K), W (K×N), bias (N), dR (M×N).
type operands[T kernels.Float] struct {
	m, k, n    int
	x, w, b    []T
	dr         []T
	r, z       []T // outputs of the forward pass (z: for the peers' backward)
	dx, dw, db []T
}

func newOperands[T kernels.Float](s shape) *operands[T] {
	r := rand.New(rand.NewPCG(uint64(s.M)<<40|uint64(s.K)<<20|uint64(s.N), 2))
	m, k, n := s.M, s.K, s.N
	return &operands[T]{m: m, k: k, n: n,
		x: random[T](m*k, r), w: random[T](k*n, r), b: random[T](n, r), dr: random[T](m*n, r),
		r: make([]T, m*n), z: make([]T, m*n),
		dx: make([]T, m*k), dw: make([]T, k*n), db: make([]T, n)}
}

// kernelsFunc returns the call of the kernels that op measures on o:
// the fused forward pass with bias, R and the mask (as a training step
// keeps it); the backward pass from dR and that mask to dX, dW and db;
// the plain GEMM.
func kernelsFunc[T kernels.Float](op string, o *operands[T]) (func(), error) {
	m, k, n := o.m, o.k, o.n
	switch op {
	case "fwd":
		a := &kernels.ForwardArgs[T]{M: m, K: k, N: n, X: o.x, W: o.w, Bias: o.b, R: o.r, Mask: kernels.NewMask(m, n)}
		return func() { kernels.Forward(a) }, nil
	case "bwd":
		mask := kernels.NewMask(m, n)
		kernels.Forward(&kernels.ForwardArgs[T]{M: m, K: k, N: n, X: o.x, W: o.w, Bias: o.b, R: o.r, Mask: mask})
		a := &kernels.BackwardArgs[T]{M: m, K: k, N: n, X: o.x, W: o.w, DR: o.dr, Mask: mask, DX: o.dx, DW: o.dw, DB: o.db}
		return func() { kernels.Backward(a) }, nil
	case "gemm":
		return func() { kernels.GEMM(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, o.x, k, o.w, n, 0, o.r, n) }, nil
	}
	return nil, fmt.Errorf("unknown op %q", op)
}

// bf16Operands are o's operands in bfloat16 for the bfloat16 layers: X,
// W and dR rounded to bfloat16, R and dX in bfloat16, and the mask.
type bf16Operands struct {
	x, w, dr, r, dx []kernels.BF16
	mask            kernels.Mask
}

func newBF16Operands(o *operands[float32]) *bf16Operands {
	bf := func(s []float32) []kernels.BF16 {
		h := make([]kernels.BF16, len(s))
		kernels.ToBF16(h, s)
		return h
	}
	return &bf16Operands{x: bf(o.x), w: bf(o.w), dr: bf(o.dr),
		r: make([]kernels.BF16, o.m*o.n), dx: make([]kernels.BF16, o.m*o.k), mask: kernels.NewMask(o.m, o.n)}
}

// kernelsBF16Func returns the call of the bfloat16 layers that op
// measures, on o's values rounded to bfloat16 (the bias stays float32).
// There is no bfloat16 GEMM.
func kernelsBF16Func(op string, o *operands[float32]) (func(), error) {
	if op == "gemm" {
		return nil, fmt.Errorf("no bf16 %s (the bfloat16 layers are fwd and bwd)", op)
	}
	return bf16LayerFunc(op, o, newBF16Operands(o))
}

// bf16LayerFunc returns the call of the bfloat16 layers that op measures
// on h (and o's bias, dW and db): ForwardBF16 to R in bfloat16 and the
// mask, as a mixed-precision training step keeps them; BackwardBF16 from
// dR in bfloat16 and the mask of a ForwardBF16 to dX in bfloat16 and dW,
// db in float32 (the master gradients).
func bf16LayerFunc(op string, o *operands[float32], h *bf16Operands) (func(), error) {
	m, k, n := o.m, o.k, o.n
	fa := &kernels.ForwardBF16Args{M: m, K: k, N: n, X: h.x, W: h.w, Bias: o.b, R: h.r, Mask: h.mask}
	switch op {
	case "fwd":
		return func() { kernels.ForwardBF16(fa) }, nil
	case "bwd":
		kernels.ForwardBF16(fa)
		ba := &kernels.BackwardBF16Args{M: m, K: k, N: n, X: h.x, W: h.w, DR: h.dr, Mask: h.mask, DX: h.dx, DW: o.dw, DB: o.db}
		return func() { kernels.BackwardBF16(ba) }, nil
	}
	return nil, fmt.Errorf("unknown op %q", op)
}

// gemmFunc is a row-major BLAS GEMM with α = 1: C = op(A)·op(B) + β·C.
type gemmFunc[T kernels.Float] func(tA, tB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// blasFunc returns what a user of a BLAS writes for op, as
// ../shared/peers does: forward = copy the bias into Z, Z += X·W, then a
// ReLU pass into R; backward = dZ = dR ⊙ [Z ≥ 0] and db = Σ dZ in one
// pass, then dX = dZ·Wᵀ and dW = Xᵀ·dZ; GEMM = C = X·W.
func blasFunc[T kernels.Float](op string, o *operands[T], gemm gemmFunc[T]) (func(), error) {
	m, k, n := o.m, o.k, o.n
	fwd := func() {
		for i := range m {
			copy(o.z[i*n:(i+1)*n], o.b[:n])
		}
		gemm(false, false, m, n, k, o.x, k, o.w, n, 1, o.z, n)
		r := o.r[:len(o.z)]
		for i, v := range o.z {
			if v < 0 {
				r[i] = 0
			} else {
				r[i] = v
			}
		}
	}
	switch op {
	case "fwd":
		return fwd, nil
	case "bwd":
		fwd()
		dz := make([]T, m*n)
		return func() {
			clear(o.db)
			for i := range m {
				zi, dri, dzi := o.z[i*n:(i+1)*n], o.dr[i*n:(i+1)*n], dz[i*n:(i+1)*n]
				db := o.db[:n]
				for j, v := range zi {
					d := dri[j]
					if v < 0 {
						d = 0
					}
					dzi[j] = d
					db[j] += d
				}
			}
			gemm(false, true, m, k, n, dz, n, o.w, n, 0, o.dx, k)
			gemm(true, false, k, n, m, o.x, k, dz, n, 0, o.dw, n)
		}, nil
	case "gemm":
		return func() { gemm(false, false, m, n, k, o.x, k, o.w, n, 0, o.r, n) }, nil
	}
	return nil, fmt.Errorf("unknown op %q", op)
}

// request is one measurement: an operation, an element type and a shape,
// with a time budget.
type request struct {
	Op     string        `json:"op"`
	Dtype  string        `json:"dtype"`
	Shape  shape         `json:"shape"`
	Budget time.Duration `json:"budget"`
}

// reply is a measurement's outcome.
type reply struct {
	T   timing `json:"t"`
	Err string `json:"err,omitempty"`
}

// measureWith runs a request on the function that build makes from the
// operands, recovering a panic (a bad shape, a kernel's check) into an
// error rather than losing the whole run.
func measureWith[T kernels.Float](req request, build func(string, *operands[T]) (func(), error)) (rep reply) {
	defer func() {
		if e := recover(); e != nil {
			rep = reply{Err: fmt.Sprint(e)}
		}
	}()
	f, err := build(req.Op, newOperands[T](req.Shape))
	if err != nil {
		return reply{Err: err.Error()}
	}
	return reply{T: timeIt(req.Budget, f)}
}

// measureKernels measures the kernels, on the path this process runs.
func measureKernels(req request) reply {
	switch req.Dtype {
	case "f32":
		return measureWith(req, kernelsFunc[float32])
	case "f64":
		return measureWith(req, kernelsFunc[float64])
	case "bf16":
		return measureWith(req, kernelsBF16Func)
	}
	return reply{Err: fmt.Sprintf("unknown dtype %q", req.Dtype)}
}

// measureBLAS measures a peer through its GEMMs.
func measureBLAS(req request, g32 gemmFunc[float32], g64 gemmFunc[float64]) reply {
	switch req.Dtype {
	case "f32":
		return measureWith(req, func(op string, o *operands[float32]) (func(), error) { return blasFunc(op, o, g32) })
	case "f64":
		return measureWith(req, func(op string, o *operands[float64]) (func(), error) { return blasFunc(op, o, g64) })
	}
	return reply{Err: fmt.Sprintf("unknown dtype %q", req.Dtype)}
}
