//go:build arm64 && gc && !purego

package kernels

// The table entry of the arm64 assembly path (see config.go).

// neonPath is the NEON path: 12×8 (float32) and 6×8 (float64) tiles, one
// a call (gemm_neon_arm64.go), with Go packers written for them and NEON
// loops for the elementwise kernels, Adam, axpy and dot.
var neonPath = pathConfig{
	name: "neon",
	f32: ops[float32]{
		elementwise: elementwise[float32]{
			relu:         reluVia(reluNEONF32, 16),
			stepMask:     stepMaskVia(stepMaskNEONF32),
			stepGrad:     stepGradVia(stepGradNEONF32, 16, chunkLen[float32]()/2), // two inputs
			stepGradMask: stepGradMaskVia(stepGradMaskNEONF32),
			adam:         adamVia(adamNEONF32, 4, chunkLen[float32]()),
		},
		gemmConfig: gemmConfig[float32]{
			mr: neonMR32, nr: neonNR32, kernel: kernelNEON[float32],
			calls:  callTile,
			limits: defaultLimits,
			blocks: blockSizes,
			packA:  packANEON[float32], packB: packB8[float32],
		},
		rowsKernels: rowsKernels[float32]{axpy: axpyNEONF32, dot: dotNEONF32},
	},
	f64: ops[float64]{
		elementwise: elementwise[float64]{
			relu:         reluVia(reluNEONF64, 8),
			stepMask:     stepMaskVia(stepMaskNEONF64),
			stepGrad:     stepGradVia(stepGradNEONF64, 8, chunkLen[float64]()/2),
			stepGradMask: stepGradMaskVia(stepGradMaskNEONF64),
			adam:         adamVia(adamNEONF64, 2, chunkLen[float64]()),
		},
		gemmConfig: gemmConfig[float64]{
			mr: neonMR64, nr: neonNR64, kernel: kernelNEON[float64],
			calls:  callTile,
			limits: defaultLimits,
			blocks: blockSizes,
			packA:  packANEON[float64], packB: packB8[float64],
		},
		rowsKernels: rowsKernels[float64]{axpy: axpyNEONF64, dot: dotNEONF64},
	},
}

// classEntries: the NEON path is the same for every core class (core.go).
var classEntries = map[string]map[coreClass]pathConfig{}
