package kernels

// The configuration of a code path, as BLIS's bli_cntx_init_<core>: for
// each element type, its elementwise kernels, its GEMM register tile,
// microkernel, packers and route rules, and the vector loops of the rows
// route, declared as one table entry per path (pathConfig: genericPath in
// config_generic.go, the assembly paths in config_amd64.go and
// config_arm64.go), and selected per core class (core.go: forCore). The
// cache blocking is the entry's model (blocks) applied to the tile.

// pathConfig is the table entry of one code path.
type pathConfig struct {
	name string
	f32  ops[float32]
	f64  ops[float64]
}

// ops are the kernels and rules of one code path for one element type: a
// table entry's sections, completed by withDefaults where a section
// leaves a kernel out.
type ops[T Float] struct {
	elementwise[T]
	gemmConfig[T]
	rowsKernels[T]
}

// elementwise are the kernels of the elementwise API and the optimiser.
type elementwise[T Float] struct {
	relu         func(dst, x []T)                // len(dst) == len(x)
	stepMask     func(bits []uint64, z []T)      // len(bits) ≥ MaskWords(len(z))
	stepGrad     func(dz, dr, z []T)             // equal lengths
	stepGradMask func(dz, dr []T, bits []uint64) // len(dz) == len(dr)

	// adam is AdamUpdate's loop (adamGeneric), len(g) = len(m) = len(v) = len(p).
	adam func(p, g, m, v []T, k adamCoef[T])
}

// gemmConfig is a path's GEMM: the microkernel contract (tile.go), the
// packers, and the routes its tile allows with their thresholds.
type gemmConfig[T Float] struct {
	// The register tile is mr×nr; nr divides 64 so that a tile's mask
	// bits never straddle a 64-bit word.
	mr, nr int
	tile   string // the tile's name in reports (BenchmarkTune), "" for mr×nr
	kernel func(t *tile[T])
	// calls: how many tiles one kernel call takes.
	calls tileCalls
	// directA: kernel reads an untransposed A unpacked, t.lda apart,
	// when t.lda ≠ 0 (directA in route.go says when).
	directA bool
	// directB: whether and how kernel reads B unpacked, t.ldb apart,
	// when t.ldb ≠ 0 (directB in route.go says when).
	directB directBRule
	limits  routeLimits
	// blocks returns the cache blocking of a size-byte element type for
	// an mr×nr tile (blockSizes: cpu.go's model on this machine's caches).
	blocks func(size, mr, nr int) blocking

	packA func(dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int)
	packB func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int)
	// packBRows is packBRowsGeneric: rows of B into micro-panels panel
	// elements apart, so that a block can be packed a few rows at a time.
	packBRows func(dst, b []T, ldb, rows, nb, nr, panel int)
	// packBRowsH, when not nil, is packBRows for a bfloat16 B, widened
	// as it is packed: what packBH otherwise does through a buffer of
	// widened rows, bit for bit, in one pass over B.
	packBRowsH func(dst []T, b []BF16, ldb, rows, nb, nr, panel int)
	// packBTH, when not nil, packs one whole micro-panel of op(B) = hᵀ
	// for a bfloat16 h: nr stored rows ldb apart, kb steps, widened as
	// packed (packBH's transposed case, bit for bit).
	packBTH func(dst []T, b []BF16, ldb, kb int)
	// packDZB, when not nil, packs rows of dZ built from dR and the mask
	// bits (of column 0 of the rows), adding them into db and writing
	// them to dz when those are not empty, in one pass: what packBdZ
	// otherwise does with stepGradMask, axpy, copy and packBRows, bit for
	// bit (see packDZBAVX512F32).
	packDZB func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int)
	// gemmNT, when not nil, computes the backward's dX with W read where
	// it lies (runNT, gemmNTAVX512F32).
	gemmNT *ntKernel[T]
	// packedRows, when not nil, sets dst's rows i < rows (1, 2 or 4; ldd
	// apart, np·nr elements each) to the products of rows of A (a, lda
	// apart, kb elements) and np packed micro-panels of B (panel q at
	// b[q*nr*kb:]), every element the register tile's sum: the rows
	// route of a job of few rows on a prepacked B (packedRowsItem).
	packedRows func(dst []T, ldd int, a []T, lda int, b []T, kb, np, rows int)
	// dotTile, when not nil, is the bfloat16 dot-product tile (bf16dot.go),
	// mr×nr as kernel: a job with both operands bfloat16 runs on it, k
	// steps of pairs packed by packAPairs and packBPairs.
	dotTile func(t *tile[T])
}

// ntKernel computes C = A·Wᵀ (+ C for beta = 1), A m×k, W n×k, without
// transposing W: A packed once, then C's columns in blocks of ntRows
// (ntRows rows of W each), the blocks in any order and on any thread.
type ntKernel[T Float] struct {
	// takes reports whether the kernel computes this product.
	takes func(m, n, k int, beta T) bool
	// pack packs A into panels (ceilDiv(m, ntRows)·ntRows·k elements).
	pack func(panels, a []T, lda, m, k int)
	// block computes C's columns k0 … min(k0+ntRows, n)−1 from the
	// packed A, with pad (ntRows·k elements) as scratch.
	block func(panels []T, m, k int, w []T, ldw int, c []T, ldc int, beta T, k0, n int, pad []T)
}

// ntRows is the rows of W (columns of C) a block of ntKernel.
const ntRows = 16

// tileCalls is how many register tiles one call of a kernel computes.
type tileCalls uint8

const (
	// callTile: one tile, t.m ≤ mr and t.n ≤ nr.
	callTile tileCalls = iota
	// callColumn: the ⌈t.m/mr⌉ tiles down a column of C (any t.m ≥ 1),
	// their micro-panels of A one after another in t.a.
	callColumn
	// callBlock: columns of tiles as callColumn, t.n up to wideCols, the
	// micro-panels of B one after another in t.b (or B where it lies).
	callBlock
)

// directBRule is what a kernel that reads B where it lies allows.
type directBRule uint8

const (
	// directBNone: B is always packed.
	directBNone directBRule = iota
	// directBMasked: any columns; the tile loads B's rows under the mask
	// of its n columns.
	directBMasked
	// directBWhole: whole tiles of nr columns only (no masked loads), so
	// only for N a multiple of nr, and for rows of B 4 KiB or more apart
	// only for 1 or 2 row tiles (directB in route.go).
	directBWhole
)

// routeLimits are a path's thresholds of the route rules (route.go).
type routeLimits struct {
	smallK         int // the longest sum the rows route computes (onRows)
	directMaxTiles int // the most row tiles whose B is read in place (directB)
	// directMax4K: the most row tiles whose B is read in place when its
	// rows are 4 KiB or more apart (directBMasked; directBWhole has its
	// own rule): such rows fall in few sets of L1 and L2.
	directMax4K int
	// directMaxLd, when not 0: B is read in place only for rows fewer
	// bytes apart than this, for any number of row tiles. Rows further
	// apart each start a page of their own in every k step, and the
	// tile's one line a row came from memory at half the speed of packing
	// the block (blocking.forJob) on an Intel server core (TUNING.md).
	directMaxLd    int
	directMaxACols int // the widest job whose A is read in place (directA)
	// rowsBelow, when not 0, sends only jobs of fewer rows than it (and
	// than the tile's mr) on the rows route (onRows): a tile a few rows
	// full can beat reading all of B again for each row of C. 0: every
	// job of fewer rows than mr. The rule is the same for bfloat16
	// operands, so that their sums stay those of float32 (the two routes
	// add an accumulated C at different points).
	rowsBelow int
	// packedRowsBelow: jobs on a prepacked B (a PackedW) of fewer rows
	// than this take the rows route over its panels where the path has
	// ops.packedRows (packedRowsItem), whose sums are the tiles' own: a
	// tile a few rows full spends most of its FMAs on padding and has too
	// few chains to cover their latency.
	packedRowsBelow int
	// dotRowsBelow: a job of bfloat16 A and B on a path with the dot tile
	// takes the rows route (widening B as it reads it where it lies) below
	// this many rows or for K ≤ smallK, the dot tile otherwise, which
	// packs all of B in pairs first (takesDot).
	dotRowsBelow int
}

// defaultLimits are the thresholds of every path today (route.go).
var defaultLimits = routeLimits{smallK: smallK, directMaxTiles: directMaxTiles, directMax4K: directMaxTiles, directMaxACols: directMaxACols,
	packedRowsBelow: packedRowsBelow, dotRowsBelow: dotRowsBelow}

// rowsKernels are the vector loops of the rows route (runRows).
type rowsKernels[T Float] struct {
	axpy func(dst []T, alpha T, x []T) // dst[i] += alpha·x[i], len(dst) == len(x)
	// axpy4 is, bit for bit, axpy(dst, a0, x0) … axpy(dst, a3, x3).
	axpy4 func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
	// axpyZ and axpy4Z are, bit for bit, clear(dst) then axpy or axpy4,
	// in one pass over dst where the path has them.
	axpyZ  func(dst []T, alpha T, x []T)
	axpy4Z func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
	dot    func(x, y []T) T // Σ x[i]·y[i], len(x) == len(y)

	// The same five on a bfloat16 x (y for dot), widened to float32 as
	// they load it: bit for bit the kernels above on the widened values,
	// so that the rows route reads a bfloat16 B where it lies rather than
	// widening blocks of it first (rowsGroupH). float32 only; nil where
	// the path has none (the route then widens).
	axpyH, axpyHZ   func(dst []T, alpha T, x []BF16)
	axpy4H, axpy4HZ func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []BF16)
	dotH            func(x []T, y []BF16) T
}

// withDefaults returns o with the generic kernels where it has none: the
// generic elementwise kernels, the generic GEMM when it has no tile, the
// model's blocking, the generic rows packer, and axpy, dot and the compositions of axpy that
// axpy4, axpyZ and axpy4Z stand for.
func (o ops[T]) withDefaults() ops[T] {
	g := genericOps[T]()
	e := &o.elementwise
	if e.relu == nil {
		e.relu = g.relu
	}
	if e.stepMask == nil {
		e.stepMask = g.stepMask
	}
	if e.stepGrad == nil {
		e.stepGrad = g.stepGrad
	}
	if e.stepGradMask == nil {
		e.stepGradMask = g.stepGradMask
	}
	if e.adam == nil {
		e.adam = g.adam
	}
	if o.kernel == nil {
		o.gemmConfig = g.gemmConfig
	}
	if o.blocks == nil {
		o.blocks = blockSizes
	}
	if o.packBRows == nil {
		o.packBRows = packBRowsGeneric[T]
	}
	r := &o.rowsKernels
	if r.axpy == nil {
		r.axpy = g.axpy
	}
	if r.dot == nil {
		r.dot = g.dot
	}
	axpy := r.axpy
	if r.axpy4 == nil {
		r.axpy4 = func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T) {
			axpy(dst, a0, x0[:len(dst)])
			axpy(dst, a1, x1[:len(dst)])
			axpy(dst, a2, x2[:len(dst)])
			axpy(dst, a3, x3[:len(dst)])
		}
	}
	if r.axpyZ == nil {
		r.axpyZ = func(dst []T, alpha T, x []T) {
			clear(dst)
			axpy(dst, alpha, x)
		}
	}
	if r.axpy4Z == nil {
		axpy4 := r.axpy4
		r.axpy4Z = func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T) {
			clear(dst)
			axpy4(dst, a0, a1, a2, a3, x0, x1, x2, x3)
		}
	}
	return o
}
