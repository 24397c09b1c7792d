package kernels

// The route rules: which jobs take the rows route, which read A or B in
// place rather than packed, and how many threads a job gets.

import "unsafe"

// smallK is the longest sum that runRows computes rather than the tiles.
const smallK = 8

// rowsChunk is the width of runRows's column chunks: whole mask words,
// and a fixed split of the columns whatever the thread count. Wide (up to
// 1024 columns), so that B streams through in long runs the hardware
// prefetchers keep up with (TUNING.md); the chunk's row of C, 4 or 8 KiB,
// stays in L1.
func rowsChunk(bl blocking) int { return min(max(bl.nc&^63, 64), 1024) }

// directMaxTiles is the most row tiles (rows/mr) for which the tiles of
// a job read an untransposed B where it lies (ldb apart) rather than
// packed: packing copies all of B once, and pays when many row tiles
// reuse each packed panel; with few, the copy costs more than the strided
// reads it saves. Measured with BenchmarkDirectB (bench_test.go; figures
// in TUNING.md).
const directMaxTiles = 16

// directB reports whether a job's tiles read op(B) unpacked.
func directB[T Float](o *ops[T], j *gemmJob[T]) bool {
	if j.dot || j.b.prepacked || j.b.dz || j.b.h != nil || j.b.trans || j.k == 0 {
		return false
	}
	var z T
	return directBFits(o, j, j.b.ld*int(unsafe.Sizeof(z)))
}

// dotDirectB is directB for a dot job (whose B directB never takes): an
// untransposed bfloat16 B of even K, rows an even number of values apart
// and 4-byte aligned, is read by the dot tile where it lies, two rows a
// step paired as they are loaded (the tile's ldb < 0), for up to
// dotDirectBMaxRows rows and as many row tiles as directB allows a
// float32 B whose rows are as many bytes apart. It returns B as float32s
// of two columns each, the tile's view, or nil where B is to be packed in
// pairs (as for odd K, whose last pair packing pads with +0).
func dotDirectB[T Float](o *ops[T], j *gemmJob[T], kc int) []T {
	b := &j.b
	if b.trans || b.prepacked || b.dz || j.k == 0 || j.m > dotDirectBMaxRows || j.k%2 != 0 || kc%2 != 0 {
		return nil
	}
	if b.round { // float32 rows, rounded as they are read (the tile's bf)
		if !directBFits(o, j, 4*b.ld) {
			return nil
		}
		return b.s
	}
	if b.h == nil || b.ld%2 != 0 || uintptr(unsafe.Pointer(&b.h[0]))%4 != 0 || !directBFits(o, j, 2*b.ld) {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b.h[0])), len(b.h)/2)
}

// dotDirectBMaxRows is the most rows of a dot job whose B is read where
// it lies. Every tile pairs B's rows again, where packing pairs them once:
// on Zen 4 (16×16 dot tile) reading them in place won up to 128 rows, by
// 11–13% for 32 rows, and lost up to 2% at 256 (TUNING.md).
const dotDirectBMaxRows = 128

// directBFits is what directB and dotDirectB ask of a job whose rows of
// B are ldBytes apart: the path's rule (ops.directB) for its row tiles.
func directBFits[T Float](o *ops[T], j *gemmJob[T], ldBytes int) bool {
	tiles := ceilDiv(j.m, o.mr)
	if tiles > o.limits.directMaxTiles {
		return false
	}
	if l := o.limits.directMaxLd; l > 0 && ldBytes >= l {
		return false
	}
	switch o.directB {
	case directBMasked:
		return ldBytes < 4096 || tiles <= o.limits.directMax4K
	case directBWhole:
		// The AVX2 tile (no masked loads): whole tiles of columns only,
		// and rows of B 4 KiB or more apart only for one or two row
		// tiles: their micro-panels of B (a line a row) fall in few sets
		// of L1 and L2 and are read again from further out for every row
		// tile (BenchmarkDirectB, TUNING.md).
		return j.n%o.nr == 0 && !(ldBytes >= 4096 && tiles > 2)
	}
	return false
}

// directA reports whether the tiles of a job read an untransposed A where
// it lies (ops.directA, tile.lda) rather than packed, for its blocks of
// whole row tiles: packing A costs a pass over it for the few column
// tiles that use each block, while the tile broadcasts a row's value from
// the row wherever it is, as fast while the mr rows of a tile spread over
// L1's sets, that is unless they are a multiple of 2 KiB apart (4 KiB:
// all in one set of 8 ways). It wins up to N = 1024 and ties there
// (TUNING.md).
func directA[T Float](o *ops[T], j *gemmJob[T]) bool {
	var z T
	return !j.dot && !j.a.dz && j.a.h == nil && directAFits(o, j, j.a.ld*int(unsafe.Sizeof(z)))
}

// directAFits is what directA and dotDirectA both ask of a job whose A is
// stored rowBytes apart: a tile that reads A in place, A untransposed, a
// K, N up to directMaxACols, rows not a multiple of 2 KiB apart.
func directAFits[T Float](o *ops[T], j *gemmJob[T], rowBytes int) bool {
	return o.directA && !j.a.trans && j.k > 0 && j.n <= o.limits.directMaxACols && rowBytes%2048 != 0
}

// dotDirectA is directA for a dot job (whose A directA never takes): an
// untransposed bfloat16 A of even K, rows an even number of values apart
// and 4-byte aligned is a float32 matrix of its pairs, ld/2 apart, whose
// K blocks (kc even) start at whole pairs: the dot tile broadcasts a pair
// from where it lies as the float32 tile does a value. It returns that
// view of A, or nil where A is to be packed (as directA, and for odd K,
// whose last pair packing pads with +0).
func dotDirectA[T Float](o *ops[T], j *gemmJob[T], kc int) []T {
	a := &j.a
	if a.h == nil || !directAFits(o, j, 2*a.ld) || j.k%2 != 0 || kc%2 != 0 || a.ld%2 != 0 ||
		uintptr(unsafe.Pointer(&a.h[0]))%4 != 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&a.h[0])), len(a.h)/2)
}

// directMaxACols is the widest job whose A is read where it lies.
const directMaxACols = 1024

// onRows reports whether a job takes the rows route (runRows) rather than
// the packed tiles.
func onRows[T Float](o *ops[T], j *gemmJob[T]) bool {
	if j.b.prepacked {
		return j.m < packedRowsLimit(&o.gemmConfig)
	}
	return j.m < rowsBelow(o) || j.k <= o.limits.smallK
}

// packedRowsLimit is the fewest rows of a job on a prepacked B that take
// the register tiles: routeLimits.packedRowsBelow where the path has
// ops.packedRows, else 0 (every job takes them). Path and the tuning
// report show it.
func packedRowsLimit[T Float](g *gemmConfig[T]) int {
	if g.packedRows == nil {
		return 0
	}
	return g.limits.packedRowsBelow
}

// packedRowsBelow is routeLimits.packedRowsBelow where a class has not
// measured its own: 1 and 2 rows, where a tile's loop for its fewest rows
// (4 on AVX-512 and AVX2) spends half its FMAs or more on padding.
const packedRowsBelow = 3

// rowsBelow is the fewest rows a job needs to take the tiles (unless its
// B is prepacked): mr, or the path's rowsBelow when smaller.
func rowsBelow[T Float](o *ops[T]) int {
	if r := o.limits.rowsBelow; r > 0 {
		return min(o.mr, r)
	}
	return o.mr
}

// planThreads returns the number of threads a job gets when its call
// allows threads: see jobThreads.
func planThreads[T Float](o *ops[T], bl blocking, j *gemmJob[T], threads int) int {
	m, n, k := j.m, j.n, j.k
	if threads <= 1 || m == 0 || n == 0 || !j.fwd && (k == 0 || j.alpha == 0) {
		return 1
	}
	items, rows := ceilDiv(m, o.mr)*ceilDiv(n, 64), !takesDot(o, j) && onRows(o, j) // run's route
	if rows {
		items = ceilDiv(n, rowsChunk(bl)) * m
	}
	return jobThreads(threads, float64(m)*float64(n)*float64(max(k, 1)), minMACs(o, bl, rows), items)
}
