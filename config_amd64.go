//go:build amd64 && gc && !purego

package kernels

// The table entries of the amd64 assembly paths (see config.go): each
// kernel is a Go wrapper around the assembly of its ISA and type; what an
// entry leaves out is the generic code's (withDefaults).

// avx2Path is the AVX2+FMA path: 6×16 (float32) and 6×8 (float64) tiles
// a column a call, reading B in place for whole tiles of columns
// (gemm_avx2_amd64.go).
var avx2Path = pathConfig{
	name: "avx2",
	f32: ops[float32]{
		elementwise: elementwise[float32]{
			relu:         reluVia(reluAVX2F32, 8),
			stepMask:     stepMaskVia(stepMaskAVX2F32),
			stepGrad:     stepGradVia(stepGradAVX2F32, 8, chunkLen[float32]()),
			stepGradMask: stepGradMaskVia(stepGradMaskAVX2F32),
			adam:         adamVia(adamAVX2F32, 8, chunkLen[float32]()),
		},
		gemmConfig:  avx2GEMM32,
		rowsKernels: avx2Rows32,
	},
	f64: ops[float64]{
		elementwise: elementwise[float64]{
			relu:         reluVia(reluAVX2F64, 4),
			stepMask:     stepMaskVia(stepMaskAVX2F64),
			stepGrad:     stepGradVia(stepGradAVX2F64, 4, chunkLen[float64]()),
			stepGradMask: stepGradMaskVia(stepGradMaskAVX2F64),
			adam:         adamVia(adamAVX2F64, 4, chunkLen[float64]()),
		},
		gemmConfig:  avx2GEMM64,
		rowsKernels: avx2Rows64,
	},
}

var (
	avx2GEMM32 = gemmConfig[float32]{
		mr: avx2MR32, nr: avx2NR32, kernel: kernelAVX2[float32],
		calls:   callColumn,
		directB: directBWhole,
		limits:  defaultLimits,
		blocks:  blockSizes,
		packA:   packA6Via(packA6AVX2F32), packB: packB64Via(packB64AVX2F32, packBTAVX2F32),
		packBRows:  packBRows64Via(packB64AVX2F32),
		packedRows: packedRowsVia(packedRows4AVX2F32, packedRows2AVX2F32, packedRows1AVX2F32),
	}
	avx2GEMM64 = gemmConfig[float64]{
		mr: avx2MR64, nr: avx2NR64, kernel: kernelAVX2[float64],
		calls:   callColumn,
		directB: directBWhole,
		limits:  defaultLimits,
		blocks:  blockSizes,
		packA:   packA6Via(packA6AVX2F64), packB: packB64Via(packB64AVX2F64, packBTAVX2F64),
		packBRows:  packBRows64Via(packB64AVX2F64),
		packedRows: packedRowsVia(packedRows4AVX2F64, packedRows2AVX2F64, packedRows1AVX2F64),
	}
	avx2Rows32 = rowsKernels[float32]{
		axpy: axpyVia(axpyAsmAVX2F32, keepDst), axpyZ: axpyVia(axpyAsmAVX2F32, zeroDst),
		axpy4: axpy4AVX2F32, axpy4Z: axpy4Via(axpy4AsmAVX2F32, zeroDst),
		dot: dotVia(dotAsmAVX2F32),
	}
	avx2Rows64 = rowsKernels[float64]{
		axpy: axpyVia(axpyAsmAVX2F64, keepDst), axpyZ: axpyVia(axpyAsmAVX2F64, zeroDst),
		axpy4: axpy4AVX2F64, axpy4Z: axpy4Via(axpy4AsmAVX2F64, zeroDst),
		dot: dotVia(dotAsmAVX2F64),
	}
)

// avx512Path is the AVX-512 (F, BW, VL, DQ) path: 16×16 (float32) and
// 16×8 (float64) tiles, a block of columns of tiles a call, reading A and
// B in place (gemm_avx512_amd64.go), the one-pass dZ packer of B
// (dzpack_amd64.go) and, for float32, dX with W in place (gemmNT).
var avx512Path = pathConfig{
	name: "avx512",
	f32: ops[float32]{
		elementwise: elementwise[float32]{
			relu:         reluVia(reluAVX512F32, 16),
			stepMask:     stepMaskVia(stepMaskAVX512F32),
			stepGrad:     stepGradVia(stepGradAVX512F32, 16, chunkLen[float32]()),
			stepGradMask: stepGradMaskVia(stepGradMaskAVX512F32),
			adam:         adamVia(adamAVX512F32, 16, chunkLen[float32]()),
		},
		gemmConfig:  avx512GEMM32,
		rowsKernels: avx512Rows32,
	},
	f64: ops[float64]{
		elementwise: elementwise[float64]{
			relu:         reluVia(reluAVX512F64, 8),
			stepMask:     stepMaskVia(stepMaskAVX512F64),
			stepGrad:     stepGradVia(stepGradAVX512F64, 8, chunkLen[float64]()),
			stepGradMask: stepGradMaskVia(stepGradMaskAVX512F64),
			adam:         adamVia(adamAVX512F64, 8, chunkLen[float64]()),
		},
		gemmConfig:  avx512GEMM64,
		rowsKernels: avx512Rows64,
	},
}

var (
	avx512GEMM32 = gemmConfig[float32]{
		mr: avx512MR32, nr: avx512NR32, kernel: avx512Tile16x16.kernel(),
		calls:   callBlock,
		directA: true,          // the tile reads A's rows lda apart
		directB: directBMasked, // and B's ldb apart under the mask of its n columns
		limits:  defaultLimits,
		blocks:  blockSizes,
		packA:   packAAVX512F32, packB: packBAVX512F32,
		packBRows: func(dst, b []float32, ldb, rows, nb, nr, panel int) {
			packBRowsAVX512(dst, b, ldb, rows, nb, nr, panel, packBRowsAVX512F32)
		},
		packBRowsH: packBRowsHAVX512,
		packBTH:    packBTHAVX512F32,
		packDZB:    packDZBAVX512(packDZBAVX512F32),
		gemmNT:     gemmNTAVX512F32,
		packedRows: packedRowsVia(packedRows4AVX512F32, packedRows2AVX512F32, packedRows1AVX512F32),
		dotTile:    avx512DotTileFor(avx512Tile16x16),
	}
	avx512GEMM64 = gemmConfig[float64]{
		mr: avx512MR64, nr: avx512NR64, kernel: avx512Tile16x8.kernel(),
		calls:   callBlock,
		directA: true,
		directB: directBMasked,
		limits:  defaultLimits,
		blocks:  blockSizes,
		packA:   packAAVX512F64, packB: packBAVX512F64,
		packBRows: func(dst, b []float64, ldb, rows, nb, nr, panel int) {
			packBRowsAVX512(dst, b, ldb, rows, nb, nr, panel, packBRowsAVX512F64)
		},
		packDZB:    packDZBAVX512(packDZBAVX512F64),
		packedRows: packedRowsVia(packedRows4AVX512F64, packedRows2AVX512F64, packedRows1AVX512F64),
	}
	avx512Rows32 = rowsKernels[float32]{
		axpy: axpyVia(axpyAsmAVX512F32, keepDst), axpyZ: axpyVia(axpyAsmAVX512F32, zeroDst),
		axpy4: axpy4AVX512F32, axpy4Z: axpy4Via(axpy4AsmAVX512F32, zeroDst),
		dot:   dotVia(dotAsmAVX512F32),
		axpyH: axpyHAVX512F32(keepDst), axpyHZ: axpyHAVX512F32(zeroDst),
		axpy4H: axpy4HAVX512F32(keepDst), axpy4HZ: axpy4HAVX512F32(zeroDst),
		dotH: dotHAVX512F32,
	}
	avx512Rows64 = rowsKernels[float64]{
		axpy: axpyVia(axpyAsmAVX512F64, keepDst), axpyZ: axpyVia(axpyAsmAVX512F64, zeroDst),
		axpy4: axpy4AVX512F64, axpy4Z: axpy4Via(axpy4AsmAVX512F64, zeroDst),
		dot: dotVia(dotAsmAVX512F64),
	}
)

// avx512DotTileFor is the bfloat16 dot-product tile of float32 tile s's
// shape where the core has AVX512_BF16 (hasBF16Dot), else nil (also for
// a shape with no dot tile).
func avx512DotTileFor(s avx512Shape[float32]) func(t *tile[float32]) {
	for _, d := range avx512ShapesDot {
		if hasBF16Dot && d.mr == s.mr && d.nr == s.nr {
			return d.kernel()
		}
	}
	return nil
}

// avx512GEMM32For is the AVX-512 float32 GEMM with tile s: today's entry
// with s's kernel and packers for its mr and nr. A: the AVX-512 packer
// for 16 rows, the AVX2 one (packA6Via) for 6, packA8AVX512 for 8, the
// generic one for other heights (a pass over A per block, off the hot loop; directA reads A in
// place for the jobs of few columns where packing costs most). B: the
// one-vector packers, widened to nr columns through a buffer in L1
// (widePackB, widePackBRows, widePackDZB). dX keeps gemmNTAVX512F32, its
// own 16×16 tile with W read in place, whatever s is.
func avx512GEMM32For(s avx512Shape[float32]) gemmConfig[float32] {
	g := avx512GEMM32
	g.mr, g.nr, g.kernel, g.tile = s.mr, s.nr, s.kernel(), s.name()
	if s.nr != avx512NR32 {
		g.packedRows = nil // its packed panels are wider than one vector
	}
	g.dotTile = avx512DotTileFor(s)
	switch s.mr {
	case 16:
	case 6:
		g.packA = packA6Via(packA6AVX2F32)
	case 8:
		g.packA = packA8AVX512[float32]
	default:
		g.packA = packAGeneric[float32]
	}
	if s.nr != 16 {
		g.packB = widePackB(16, g.packB)
		g.packBRows = widePackBRows(16, g.packBRows)
		g.packBRowsH, g.packBTH = nil, nil // packBH widens through a buffer, then packs
		g.packDZB = widePackDZB(16, g.packDZB)
	}
	return g
}

// avx512GEMM64For is avx512GEMM32For for float64 (no gemmNT).
func avx512GEMM64For(s avx512Shape[float64]) gemmConfig[float64] {
	g := avx512GEMM64
	g.mr, g.nr, g.kernel, g.tile = s.mr, s.nr, s.kernel(), s.name()
	if s.nr != avx512NR64 {
		g.packedRows = nil // its packed panels are wider than one vector
	}
	switch s.mr {
	case 16:
	case 6:
		g.packA = packA6Via(packA6AVX2F64)
	case 8:
		g.packA = packA8AVX512[float64]
	default:
		g.packA = packAGeneric[float64]
	}
	if s.nr != 8 {
		g.packB = widePackB(8, g.packB)
		g.packBRows = widePackBRows(8, g.packBRows)
		g.packDZB = widePackDZB(8, g.packDZB)
	}
	return g
}

// avx512WithTiles is the AVX-512 entry with tiles s32 and s64 and route
// limits l.
func avx512WithTiles(s32 avx512Shape[float32], s64 avx512Shape[float64], l routeLimits) pathConfig {
	p := avx512Path
	p.f32.gemmConfig = avx512GEMM32For(s32)
	p.f64.gemmConfig = avx512GEMM64For(s64)
	p.f32.limits, p.f64.limits = l, l
	return p
}

// withRowsBelow is p with the rows route limited to jobs of fewer than
// r32 (float32) and r64 (float64) rows (routeLimits.rowsBelow).
func withRowsBelow(p pathConfig, r32, r64 int) pathConfig {
	p.f32.limits.rowsBelow, p.f64.limits.rowsBelow = r32, r64
	return p
}

// withBlocks is p with the cache blocking f for both element types.
func withBlocks(p pathConfig, f func(size, mr, nr int) blocking) pathConfig {
	p.f32.blocks, p.f64.blocks = f, f
	return p
}

// withoutDot is p with no bfloat16 dot tile: the bfloat16 layers widen
// their operands to float32 and run the float32 tile.
func withoutDot(p pathConfig) pathConfig {
	p.f32.dotTile = nil
	return p
}

// classEntries are the table entries of the core classes whose entry is
// not the path's own (forCore), by path name.
//
//   - zen4, intel-client, unknown: the path's entry (16×16 float32, 16×8
//     float64, B read in place for up to 16 row tiles): tuned on Zen 4,
//     where a 512-bit FMA issues once a cycle and the tile's 17 loads per
//     16 FMAs fit; Intel's client cores have one 512-bit FMA pipe too. An
//     unknown core gets the entry that is right wherever one FMA a cycle
//     is the bound, and was within a few percent of the best candidate on
//     a two-pipe Intel core (BenchmarkTune, TUNING.md): a conservative
//     choice, unlike a wide tile tuned for two pipes.
//   - intel-server (two 512-bit FMA pipes, measured on an Emerald Rapids
//     core): the same tiles with B loaded unmasked (16×16u, 16×8u: a
//     masked load takes a slot of an FMA port there; the same sums, bit
//     for bit), and B read in place only for one row tile when its rows
//     are 4 KiB or more apart (BenchmarkDirectB), and not at all when
//     they are 12 KiB or more apart (BenchmarkLargeW). The wide tiles (6×64,
//     8×32, 12×32) ran no faster there, bare or in the passes. The rows
//     route only below 3 rows (float32) and 6 (float64): from there a
//     16-row tile partly filled, running the loops of its first 4 or 8
//     rows, was faster over a forward and backward pass than the rows
//     route, which reads all of B again for each row of C
//     (BenchmarkRowsBelow). A's packed block a quarter of L2, not half
//     (blockSizesQuarterA: mc 128 float32, 64 float64): the passes of
//     more rows than that ran 2–5% faster. A PackedW's panels read a few
//     rows at a time for fewer than 12 rows (packedRowsBelow), where the
//     16-row tile partly filled was slower (BenchmarkPackedRowsRoute).
//     No bfloat16 dot tile: VDPBF16PS issues at half the float32 FMA's
//     rate there (BenchmarkAVX512FMAPeak/bf16dot against /f32 on a
//     Sapphire Rapids core), so its two products an instruction give the
//     FMA's flops at best; the layers widen to the float32 tile, which
//     ran them faster at every standard shape.
//   - zen5: two 512-bit FMA pipes and two 512-bit loads a cycle, so a
//     tile needs well under a load per FMA: 8×32 float32 (1 + 2 loads per
//     16 FMAs) and 8×16 float64, 8 rows leaving no edge tiles at batch
//     sizes that are multiples of 8; B in place up to 64 rows, 16 when
//     its rows are 4 KiB apart. Chosen by that arithmetic and issue 17's
//     Zen 5 figures (the 16×16 tile at 88% of the FMA peak; in-place B
//     losing from 32 rows 4 KiB apart and from 128 rows 1 KiB apart), not
//     measured on a Zen 5 core.
//   - avx2: no AVX-512; the AVX2 path is the same for every class.
var classEntries = map[string]map[coreClass]pathConfig{
	"avx512": {
		coreIntelServer: withoutDot(withBlocks(withRowsBelow(avx512WithTiles(avx512Tile16x16u, avx512Tile16x8u,
			routeLimits{smallK: smallK, directMaxTiles: directMaxTiles, directMax4K: 1, directMaxLd: 12 << 10, directMaxACols: directMaxACols,
				packedRowsBelow: 12, dotRowsBelow: dotRowsBelow}), 3, 6),
			blockSizesQuarterA)),
		coreZen5: avx512WithTiles(avx512Tile8x32, avx512Tile8x16,
			routeLimits{smallK: smallK, directMaxTiles: 8, directMax4K: 2, directMaxACols: directMaxACols,
				packedRowsBelow: packedRowsBelow, dotRowsBelow: dotRowsBelow}),
	},
}
