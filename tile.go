package kernels

// The microkernel contract: a register tile's operands, its output and
// its epilogue, as the driver hands them to ops.kernel.

// tile is what the microkernel needs to compute one register tile and
// apply its epilogue.
type tile[T Float] struct {
	kc   int
	a, b []T // packed micro-panels: a[p*mr+i], b[p*nr+j] for p < kc
	// ldb ≠ 0: b is B where it lies, b[p*ldb+j] for j < n (ops.directB).
	// The dot tile's ldb < 0: B's rows where they lie, in bfloat16 (b the
	// float32s of two values each, rows −ldb apart), or with bf in float32
	// (rows −ldb apart), rounded to bfloat16 as they are read (dotDirectB).
	ldb int
	bf  bool
	// lda ≠ 0: a is A where it lies, a[i*lda+p] for the tiles' rows i,
	// all mr rows of each (ops.directA).
	lda int
	c   []T // the tile's origin in the accumulating matrix
	ldc int
	// Rows and columns of the tile that lie inside the matrix; with
	// callColumn, m rows of ⌈m/mr⌉ tiles down a column, a holding their
	// micro-panels one after another; with callBlock, n columns of
	// ⌈n/nr⌉ columns of tiles, b holding their micro-panels one after
	// another (or B where it lies: n columns of it).
	m, n int

	// C = α·AB + β·C; β = 0 means C is not read. A fused forward pass has
	// α = 1 and β = 0 on its first K panel, 1 on the others.
	alpha, beta T
	// stream: with β = 0 and no epilogue, C may be written with streaming
	// stores, where the kernel has them and C's alignment allows: C is
	// larger than the caches keep until it is read (blocking.stream).
	stream bool

	// The forward epilogue, on the last K panel of a fused forward pass:
	// v = β·C + AB + bias; Z = v when z is not nil; R = ReLU(v); the mask
	// bits [v ≥ 0] of columns col … col+nr−1 when bits is not nil (zero
	// past n). c is z when Z is stored, r otherwise.
	last bool
	bias []T // bias of the tile's first column, nil for none
	z    []T
	ldz  int
	r    []T
	ldr  int
	// rh, when not nil, takes r's place: R in bfloat16 (gemmJob.rh), ldr
	// its leading dimension; β is 0. Not last (a GEMM job), it takes c's:
	// C in bfloat16, c not written.
	rh     []BF16
	bits   []uint64 // the mask words of the tile's first row
	stride int      // words per mask row
	col    int      // the tile's first column in the matrix (a multiple of nr)
	nrMask uint64   // nr one bits
}

// wideCols and wideSteps bound a call of a wide kernel (callBlock): at
// most wideCols columns (a multiple of 64, for the mask words), and about
// wideSteps k steps of register tiles, 16 multiply-adds each: tens of
// microseconds, short enough for a call that cannot be preempted.
const wideCols, wideSteps = 256, 1 << 14
