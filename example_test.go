package kernels_test

import (
	"fmt"

	"github.com/fusedrelu/kernels"
)

// A layer of 3 inputs and 2 outputs on a batch of 2 examples: Z = X·W + b,
// R = ReLU(Z) and the step mask [Z ≥ 0].
func ExampleForward() {
	x := []float32{ // 2×3
		1, 2, 3,
		-1, 0, 1,
	}
	w := []float32{ // 3×2
		1, -1,
		0, 1,
		1, -2,
	}
	b := []float32{0.5, 0}
	r := make([]float32, 2*2)
	mask := kernels.NewMask(2, 2)
	kernels.Forward(&kernels.ForwardArgs[float32]{
		M: 2, K: 3, N: 2,
		X: x, W: w, Bias: b,
		R: r, Mask: mask,
	})
	fmt.Println("R:", r)
	fmt.Println("mask:", mask.At(0, 0), mask.At(0, 1), mask.At(1, 0), mask.At(1, 1))
	// Output:
	// R: [4.5 0 0.5 0]
	// mask: true false true false
}

// The gradients of the layer of the Forward example for dR = 1: dZ is dR
// where Z ≥ 0 and 0 elsewhere, dX = dZ·Wᵀ, dW = Xᵀ·dZ, db = Σ dZ.
func ExampleBackward() {
	x := []float32{1, 2, 3, -1, 0, 1}
	w := []float32{1, -1, 0, 1, 1, -2}
	r := make([]float32, 4)
	mask := kernels.NewMask(2, 2)
	kernels.Forward(&kernels.ForwardArgs[float32]{M: 2, K: 3, N: 2, X: x, W: w, Bias: []float32{0.5, 0}, R: r, Mask: mask})

	dr := []float32{1, 1, 1, 1}
	dx, dw, db := make([]float32, 2*3), make([]float32, 3*2), make([]float32, 2)
	kernels.Backward(&kernels.BackwardArgs[float32]{
		M: 2, K: 3, N: 2,
		X: x, W: w, DR: dr, Mask: mask,
		DX: dx, DW: dw, DB: db,
	})
	fmt.Println("dX:", dx)
	fmt.Println("dW:", dw)
	fmt.Println("db:", db)
	// Output:
	// dX: [1 0 1 1 0 1]
	// dW: [0 0 2 0 4 0]
	// db: [2 0]
}

// C = A·B with the packed GEMM (α = 1, β = 0), leading dimensions tight.
func ExampleGEMM() {
	a := []float64{1, 2, 3, 4} // 2×2
	b := []float64{5, 6, 7, 8} // 2×2
	c := make([]float64, 4)    // 2×2
	kernels.GEMM(kernels.NoTrans, kernels.NoTrans, 2, 2, 2, 1, a, 0, b, 0, 0, c, 0)
	fmt.Println(c)
	// Output:
	// [19 22 43 50]
}

// Steps of Adam on f(p) = (p − 3)², whose gradient is 2(p − 3).
func ExampleAdamUpdate() {
	p, g, m, v := []float64{0}, []float64{0}, []float64{0}, []float64{0}
	for t := 1; t <= 500; t++ {
		g[0] = 2 * (p[0] - 3)
		kernels.AdamUpdate(p, g, m, v, kernels.NewAdamCoeffs[float64](0.1, 0.9, 0.999, 1e-8, t))
	}
	fmt.Printf("%.3f\n", p[0])
	// Output:
	// 3.000
}

// A bfloat16 layer on float32 master weights: W rounded to bfloat16 as it
// is packed (1.01171875 lies halfway between the bfloat16 values 1.0078125
// and 1.015625 and goes to the even one, 1.015625), then the forward pass
// with bfloat16 X, float32 accumulation and bias, and R in float32.
func ExamplePackedW_PackBF16Of() {
	w := []float32{ // 3×2, float32 master weights
		1.01171875, -1,
		0, 1,
		1, -2,
	}
	pw := new(kernels.PackedW[float32])
	pw.PackBF16Of(3, 2, w, 0, true) // forward pass only: no dX wanted from this layer
	x := make([]kernels.BF16, 2*3)
	kernels.ToBF16(x, []float32{1, 2, 3, -1, 0, 1})
	r32 := make([]float32, 2*2)
	kernels.ForwardBF16(&kernels.ForwardBF16Args{
		M: 2, K: 3, N: 2,
		X: x, PW: pw, Bias: []float32{0.5, 0},
		R32: r32,
	})
	fmt.Println(r32)
	// Output:
	// [4.515625 0 0.484375 0]
}
