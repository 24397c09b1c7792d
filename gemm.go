package kernels

import (
	"sync"
	"unsafe"
)

// The packed GEMM, in the structure of BLIS and GotoBLAS:
//
//	for jc over n in steps of nc:            B block in L3
//	  for pc over k in steps of kc:          pack B[pc:pc+kc, jc:jc+nc] into kc×nr micro-panels
//	    for ic over m in steps of mc:        A block in L2
//	      pack A[ic:ic+mc, pc:pc+kc] into mr×kc micro-panels
//	      for jr over the block's columns in steps of nr:
//	        for ir over its rows in steps of mr:
//	          the mr×nr register tile: C[ir, jr] (+)= A-panel · B-panel, then its epilogue
//
// Micro-panels are zero-padded to mr rows and nr columns, so the register
// tile always runs whole; the epilogue writes only the tile's m×n part.
// A path whose tile can read B in place (ops.directB: AVX-512 loads a row
// of B under the mask of its columns; AVX2 whole tiles of columns, with a
// narrower rule, see directB) skips packing an untransposed B for jobs of
// up to directMaxTiles row tiles, where the copy costs more than it
// saves; likewise a tile that can read A in place (ops.directA, AVX-512)
// skips packing an untransposed A for jobs of few columns (directA).
// The fused forward pass is this GEMM with its epilogue on the last K
// panel, and the backward pass is two such GEMMs whose packers build dZ
// from dR and the mask as they pack it.
//
// # Threads
//
// With several participants (parallel.go), the steps of a column block
// are taken a group of K blocks at a time (packedPart): the participants
// pack the group's blocks of B together, in ranges of whole micro-panels,
// meet at a barrier, and compute its tiles in items of (a range of rows, a
// range of columns), each item through the group's K panels in order and
// each participant packing the rows of A of its items into its own buffer.
// The rows are split into ranges of a multiple of mr rows (at most mc), at
// least one a participant, and the columns at multiples of 64 columns of
// the matrix (splitTiles, nextTile). The rows route (runRows) splits into
// fixed column chunks and ranges of rows. dZ's visit (below) is done where
// each column has one owner.
//
// # Determinism
//
// The results are the same bits for any number of threads, because the
// thread count changes only who computes a tile and how the rows of A are
// grouped into packed blocks, never the arithmetic of an element:
//
//   - every element of C is computed by one participant, in a register
//     tile at the same place of the same grid (rows in steps of mr from 0,
//     columns in steps of nr from the start of its nc block), from the same
//     packed values (packing copies; the padding is the same zeros), over
//     the same kc panels in the same order: each panel's product is added
//     to C (β = 1 after the first), by the participant of its item within
//     a group and after a barrier between groups;
//   - on the rows route an element is one dot product, or one chain of
//     axpy calls (axpy4 is four of them, bit for bit), over the same
//     slices: the column chunks are fixed (rowsChunk), not derived from
//     the thread count;
//   - db is summed, and dZ written, in one pass over dZ that adds the rows
//     in order, 0 to M−1, into each column from its initial value, with
//     each column range owned by one participant: the dW GEMM's packing of
//     its B = dZ (split by columns; its K panels are the blocks of rows, in
//     order), a pass of its own split by columns, or, on one thread, the
//     packing of dX's A = dZ (row blocks in order). Each gives the same sum.
//
// A tile writes its nr mask bits into a 64-bit word shared with other
// tiles of its row, so columns are split only at whole words.

// tile is what the microkernel needs to compute one register tile and
// apply its epilogue.
type tile[T Float] struct {
	kc   int
	a, b []T // packed micro-panels: a[p*mr+i], b[p*nr+j] for p < kc
	// ldb ≠ 0: b is B where it lies, b[p*ldb+j] for j < n (ops.directB).
	ldb int
	// lda ≠ 0: a is A where it lies, a[i*lda+p] for the tiles' rows i,
	// all mr rows of each (ops.directA).
	lda int
	c   []T // the tile's origin in the accumulating matrix
	ldc int
	// Rows and columns of the tile that lie inside the matrix; with
	// ops.tall, m rows of ⌈m/mr⌉ tiles down a column, a holding their
	// micro-panels one after another; with ops.wide, n columns of
	// ⌈n/nr⌉ columns of tiles, b holding their micro-panels one after
	// another (or B where it lies: n columns of it).
	m, n int

	// C = α·AB + β·C; β = 0 means C is not read. A fused forward pass has
	// α = 1 and β = 0 on its first K panel, 1 on the others.
	alpha, beta T

	// The forward epilogue, on the last K panel of a fused forward pass:
	// v = β·C + AB + bias; Z = v when z is not nil; R = ReLU(v); the mask
	// bits [v ≥ 0] of columns col … col+nr−1 when bits is not nil (zero
	// past n). c is z when Z is stored, r otherwise.
	last   bool
	bias   []T // bias of the tile's first column, nil for none
	z      []T
	ldz    int
	r      []T
	ldr    int
	bits   []uint64 // the mask words of the tile's first row
	stride int      // words per mask row
	col    int      // the tile's first column in the matrix (a multiple of nr)
	nrMask uint64   // nr one bits
}

// dzSource builds dZ = dR ⊙ [Z ≥ 0] from dR and either Z or the mask bits,
// for the packers of the backward GEMMs. On the visit that sees each
// element once, they also add dZ into db and write it to dz.
type dzSource[T Float] struct {
	o      *ops[T] // its stepGrad and stepGradMask build the rows
	dr     []T
	lddr   int
	z      []T // nil: use bits
	ldz    int
	bits   []uint64
	stride int
	db     []T // nil: not wanted
	dz     []T // nil: not wanted
	lddz   int
}

// at returns dZ(i, j): a select, never a multiply.
func (s *dzSource[T]) at(i, j int) T {
	if s.z != nil {
		if s.z[i*s.ldz+j] < 0 {
			return 0
		}
	} else if s.bits[i*s.stride+j/64]>>(j%64)&1 == 0 {
		return 0
	}
	return s.dr[i*s.lddr+j]
}

// row computes dZ(i, j0 … j0+len(out)−1) into out, with the path's
// elementwise kernels (the selects of at); on the visit it adds the values
// into db and writes them to dz.
func (s *dzSource[T]) row(out []T, i, j0 int, visit bool) {
	n := len(out)
	dr := s.dr[i*s.lddr+j0 : i*s.lddr+j0+n]
	if s.z != nil {
		z := s.z[i*s.ldz+j0 : i*s.ldz+j0+n]
		if raceEnabled {
			raceRead(dr)
			raceRead(z)
			raceWrite(out)
		}
		s.o.stepGrad(out, dr, z)
	} else {
		// Up to a mask word by at, then whole words and the rest by
		// stepGradMask.
		h := min(n, (64-j0%64)%64)
		for j := range h {
			out[j] = s.at(i, j0+j)
		}
		if h < n {
			w := i*s.stride + (j0+h)/64
			bits := s.bits[w : w+MaskWords(n-h)]
			if raceEnabled {
				raceRead(dr[h:])
				raceRead(bits)
				raceWrite(out[h:])
			}
			s.o.stepGradMask(out[h:], dr[h:], bits)
		}
	}
	if !visit {
		return
	}
	if s.db != nil {
		// db += out, by the path's axpy: a multiply-add by 1 rounds as
		// the add does, and NaNs of db take precedence as in db[j] += v.
		db := s.db[j0 : j0+len(out)]
		if raceEnabled {
			raceRead(out)
			raceWrite(db)
		}
		s.o.axpy(db, 1, out)
	}
	if s.dz != nil {
		copy(s.dz[i*s.lddz+j0:], out)
	}
}

// operand is one GEMM operand: op(s) with leading dimension ld, dZ built
// by the job's src, or (B only) already packed.
type operand[T Float] struct {
	s     []T
	ld    int
	trans bool
	dz    bool // the operand is dZ, built by the job's src
	// prepacked: op(B) comes packed for the path's blocking in packed,
	// block after block as packedOffset says (a PackedW's panels); s is
	// not used.
	prepacked bool
	packed    []T
}

type gemmJob[T Float] struct {
	m, n, k     int
	a, b        operand[T]
	src         dzSource[T] // the dZ operand's source
	c           []T
	ldc         int
	alpha, beta T
	fwd         bool // fused forward epilogue on the last K panel
	visit       bool // the dZ operand's packer accumulates db and writes dZ
	// The forward pass's outputs (see tile).
	bias   []T
	z, r   []T
	ldz    int
	ldr    int
	bits   []uint64
	stride int
}

// packedOffset is where the packed block of op(B) at rows pc … and
// columns jc … starts in a B packed whole (k rows, in blocks of kc rows
// within blocks of nc columns): the earlier column blocks take k·nc
// elements each, and each earlier row block of this one kc·nbr, where nbr
// is the block's width rounded up to nr.
func packedOffset(jc, pc, k, nbr int) int { return jc*k + pc*nbr }

// wideCols and wideSteps bound a call of a wide kernel (ops.wide): at
// most wideCols columns (a multiple of 64, for the mask words), and about
// wideSteps k steps of register tiles, 16 multiply-adds each: about 60 µs
// at this core's peak, short enough for a call that cannot be preempted.
const wideCols, wideSteps = 256, 1 << 14

// maxGroup is the most kc blocks of K in a group (see packedPart).
const maxGroup = 4

// smallK is the longest sum that runRows computes rather than the tiles.
const smallK = 8

// rowsChunk is the width of runRows's column chunks: whole mask words,
// and a fixed split of the columns whatever the thread count. Wide, so
// that B streams through in long runs: with 256 columns (1 KiB of float32
// in every 4 KiB row of a 1024-wide W) the hardware prefetchers fell
// behind and a batch of one ran at half the speed of 1024 columns
// (BenchmarkForward/f32/1x1024x1024: 15 against 32 GFLOPS); the chunk's
// row of C, 4 or 8 KiB, stays in L1.
func rowsChunk(bl blocking) int { return min(max(bl.nc&^63, 64), 1024) }

// directMaxTiles is the most row tiles (rows/mr) for which the tiles of
// a job read an untransposed B where it lies (ldb apart) rather than
// packed: packing copies all of B once, and pays when many row tiles
// reuse each packed panel; with few, the copy costs more than the strided
// reads it saves. Measured with BenchmarkDirectB (bench_test.go).
var directMaxTiles = 16

// directB reports whether a job's tiles read op(B) unpacked.
func directB[T Float](o *ops[T], j *gemmJob[T]) bool {
	tiles := ceilDiv(j.m, o.mr)
	if !o.directB || j.b.prepacked || j.b.dz || j.b.trans || j.k == 0 || tiles > directMaxTiles {
		return false
	}
	if o.directWhole {
		// The AVX2 tile (one call a tile, no masked loads): whole tiles
		// of columns only, and rows of B 4 KiB or more apart only for
		// one or two row tiles. Their micro-panels of B (a line a row)
		// fall in few sets of L1 and L2 and are read again from further
		// out for every row tile (BenchmarkDirectB, FUSEDRELU_ISA=avx2,
		// GFLOPS packed → direct: 6×1024×1024 56 → 78, 12×1024×1024
		// 75 → 81, 24×1024×1024 81 → 78, 96×1024×1024 101 → 60; with
		// rows 1 or 2 KiB apart direct won up to 16 tiles: 24×784×256
		// 86 → 104, 96×784×256 101 → 106, 96×512×512 100 → 106).
		var z T
		if j.n%o.nr != 0 || j.b.ld*int(unsafe.Sizeof(z)) >= 4096 && tiles > 2 {
			return false
		}
	}
	return true
}

// directA reports whether the tiles of a job read an untransposed A where
// it lies (ops.directA, tile.lda) rather than packed, for its blocks of
// whole row tiles: packing A costs a pass over it for the few column
// tiles that use each block (16 at N = 256: 2.4% of
// BenchmarkForward/f32/32x256x256), while the tile broadcasts a row's
// value from the row wherever it is, as fast while the 16 rows of a tile
// spread over L1's sets, that is unless they are a multiple of 2 KiB
// apart (4 KiB: all in one set of 8 ways). BenchmarkForward f32, packed →
// direct (binaries in turn, medians of 5 runs of 0.3 s, GFLOPS):
// 32×256×256 110.1 → 112.0, 64×784×256 112.2 → 114.4; a temporary
// benchmark, medians of 3: 256×784×256 112.3 → 113.9, 96×1000×256 111.9
// → 114.2, and at N = 1024 a tie (64×784×1024 112.7 and 112.7,
// 128×784×1024 111.5 and 112.0).
func directA[T Float](o *ops[T], j *gemmJob[T]) bool {
	var z T
	return o.directA && !j.a.dz && !j.a.trans && j.k > 0 && j.n <= directMaxACols &&
		j.a.ld*int(unsafe.Sizeof(z))%2048 != 0
}

// directMaxACols is the widest job whose A is read where it lies.
const directMaxACols = 1024

// onRows reports whether a job takes the rows route (runRows) rather than
// the packed tiles.
func onRows[T Float](o *ops[T], j *gemmJob[T]) bool {
	return !j.b.prepacked && (j.m < o.mr || j.k <= smallK)
}

// planThreads returns the number of threads a job gets when its call
// allows threads: see jobThreads.
func planThreads[T Float](o *ops[T], bl blocking, j *gemmJob[T], threads int) int {
	m, n, k := j.m, j.n, j.k
	if threads <= 1 || m == 0 || n == 0 || !j.fwd && (k == 0 || j.alpha == 0) {
		return 1
	}
	items, rows := ceilDiv(m, o.mr)*ceilDiv(n, 64), onRows(o, j)
	if rows {
		items = ceilDiv(n, rowsChunk(bl)) * m
	}
	return jobThreads(threads, float64(m)*float64(n)*float64(max(k, 1)), minMACs(o, bl, rows), items)
}

// Kinds of parallel work.
const (
	kindPacked = iota // the packed tiles
	kindRows          // runRows
	kindVisit         // visitDZ
)

// work is the state of one call: the job, the shared packed blocks of B,
// each participant's scratch, and the team. Calls take it from a free
// list and put it back, so that calls in steady state allocate nothing.
type work[T Float] struct {
	team
	kind int
	o    *ops[T]
	bl   blocking
	job  gemmJob[T]
	b    []T // the packed blocks of B, shared
	sc   []*scratch[T]
}

// scratch is one participant's: its packed blocks of A and its tile.
type scratch[T Float] struct {
	_     [128]byte // no false sharing with another participant's scratch
	a     []T
	row   []T // one row of dZ
	arow  []T // runRows: a row of A
	brows []T // runRows: the rows of a dZ operand B
	acc   []T // runRows: a row of C
	t     tile[T]
	// a holds the packed blocks of A of rows aIC … of the current group
	// whose bits are set in aHave.
	aIC   int
	aHave uint64
	_     [128]byte
}

// The free lists of work, per element type. A free list rather than a
// sync.Pool, which the garbage collector empties: a call after a
// collection would allocate its buffers again. At most maxFreeWork are
// kept (one per goroutine calling at once).
var workLists [2]struct {
	mu   sync.Mutex
	free []any
}

const maxFreeWork = 16

func getWork[T Float](o *ops[T], bl blocking) *work[T] {
	var z T
	l := &workLists[unsafe.Sizeof(z)/8]
	var w *work[T]
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		w = l.free[n-1].(*work[T])
		l.free[n-1] = nil
		l.free = l.free[:n-1]
	}
	l.mu.Unlock()
	if w == nil {
		w = new(work[T])
	}
	w.o, w.bl = o, bl
	return w
}

func putWork[T Float](w *work[T]) {
	// Drop the references to the caller's slices.
	w.job = gemmJob[T]{}
	w.o = nil
	for _, s := range w.sc {
		if s != nil {
			s.t = tile[T]{}
		}
	}
	var z T
	l := &workLists[unsafe.Sizeof(z)/8]
	l.mu.Lock()
	if len(l.free) < maxFreeWork {
		l.free = append(l.free, w)
	}
	l.mu.Unlock()
}

// scale sets C = β·C (C = 0 when β = 0, whatever C held).
func scale[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// run computes one GEMM job with up to np threads (see planThreads).
func run[T Float](o *ops[T], bl blocking, j *gemmJob[T], np int) {
	m, n, k := j.m, j.n, j.k
	if m == 0 || n == 0 {
		return
	}
	if !j.fwd && (k == 0 || j.alpha == 0) {
		scale(m, n, j.beta, j.c, j.ldc)
		return
	}
	w := getWork[T](o, bl)
	defer putWork(w)
	w.job = *j
	w.kind = kindPacked
	if onRows(o, j) {
		w.kind = kindRows
	} else if !j.b.prepacked && !directB(o, j) {
		nbr := roundUp(min(bl.nc, n), o.nr)
		grow(&w.b, min(k*nbr, bl.kc*bl.nc)) // the largest group of blocks (packedPart)
	}
	w.exec(np)
}

// visitDZ sums db and writes dZ, for a backward pass whose GEMMs did
// not, with up to threads threads: one column chunk per item, its rows in
// order.
func visitDZ[T Float](o *ops[T], bl blocking, src *dzSource[T], m, n, threads int) {
	w := getWork[T](o, bl)
	defer putWork(w)
	w.job = gemmJob[T]{m: m, n: n, src: *src}
	w.kind = kindVisit
	// An element of dZ costs a few loads and a select, and db an add:
	// call it 4 multiply-adds.
	w.exec(jobThreads(threads, 4*float64(m)*float64(n), minMACs(o, bl, true), ceilDiv(n, rowsChunk(bl))))
}

func (w *work[T]) exec(np int) {
	if len(w.sc) < np {
		w.sc = append(w.sc, make([]*scratch[T], np-len(w.sc))...)
	}
	counters := 1
	if w.kind == kindPacked {
		// The most row ranges a split can have.
		counters += splitTiles(w.job.m, 0, w.job.n, w.o.mr, w.bl.mc, np).nRow
	}
	w.counters(counters)
	w.team.run(w, np)
}

// part is participant id's part of the call.
func (w *work[T]) part(id int) {
	s := w.sc[id]
	if s == nil {
		s = new(scratch[T])
		w.sc[id] = s
	}
	switch w.kind {
	case kindPacked:
		w.packedPart(s, id)
	case kindRows:
		w.rowsPart(s)
	case kindVisit:
		w.visitPart(s)
	}
}

// tileSplit is the split of a column block's tiles into items: nRow
// ranges of rc rows times nCol ranges of whole mask words of columns.
type tileSplit struct {
	m, rc, nRow int
	jc, nb      int
	g0, groups  int // the step's first 64-column group of the matrix, and how many it touches
	nCol        int
}

// splitTiles splits an m×nb step at column jc among np participants.
// One participant takes the rows in blocks of mc, as the loops above. More
// split the rows into at least np ranges (a multiple of mr rows, at most
// mc), each packed into A by the participant that claims it, and each
// range's columns into at least 4 ranges (more when there are fewer row
// ranges than participants), for the participants that finish early to
// take over (nextTile). With a range of rows each, the participants share
// the packed block of B, and each reuses a micro-panel of B for the rc/mr
// tiles of its rows, as one participant does for its mc/mr.
func splitTiles(m, jc, nb, mr, mc, np int) tileSplit {
	sp := tileSplit{m: m, rc: mc, jc: jc, nb: nb, g0: jc / 64, nCol: 1}
	sp.groups = (jc+nb-1)/64 - sp.g0 + 1
	if np > 1 {
		nRow := min(ceilDiv(m, mr), max(np, ceilDiv(m, mc)))
		sp.rc = roundUp(ceilDiv(m, nRow), mr)
	}
	sp.nRow = ceilDiv(m, sp.rc)
	if np > 1 {
		sp.nCol = min(sp.groups, max(4, ceilDiv(4*np, sp.nRow)))
	}
	return sp
}

// item returns item (ri, ci): rows ic … ic+mb−1, and columns j0 … j1−1
// of the step (multiples of nr, and of 64 in the matrix, apart from the
// ends).
func (sp *tileSplit) item(ri, ci int) (ic, mb, j0, j1 int) {
	ic = ri * sp.rc
	mb = min(sp.rc, sp.m-ic)
	j0 = max(0, (sp.g0+ci*sp.groups/sp.nCol)*64-sp.jc)
	j1 = min(sp.nb, (sp.g0+(ci+1)*sp.groups/sp.nCol)*64-sp.jc)
	return
}

// packedPart is a participant's part of a job on the packed route.
//
// The loops are those of the comment at the top, with the (jc, pc) steps
// of B packed a group at a time: as many kc×nb blocks as fit in the kc×nc
// of the blocking, up to maxGroup (K up to 4·kc in one group, for the
// usual shapes: nb is less than nc). The participants pack the group
// together, meet at a barrier, and then take items of tiles (a range of
// rows and one of columns), each through all the group's K panels in
// order: a tile's panels are summed in the same order as in the loops
// above, and no barrier is needed between them. A participant keeps the
// group's packed blocks of A for the rows of its items, which usually
// share their rows (nextTile). With B prepacked, groups are of maxGroup
// blocks: no barrier at all for K ≤ maxGroup·kc and N ≤ nc.
func (w *work[T]) packedPart(s *scratch[T], id int) {
	j, o, bl := &w.job, w.o, w.bl
	m, n, k := j.m, j.n, j.k
	mr, nr, np := o.mr, o.nr, w.n
	dzA := grow(&s.row, mr*bl.kc)
	var dzB []T
	if j.b.dz {
		nbr := roundUp(min(bl.nc, n), nr)
		dzB = grow(&s.brows, max(1, min(dzBRows, dzBElems/nbr))*nbr)
	}
	direct, dirA := directB(o, j), directA(o, j)
	t := &s.t
	*t = tile[T]{alpha: j.alpha, ldc: j.ldc, nrMask: 1<<nr - 1}
	if direct {
		t.ldb = j.b.ld
	}
	if j.fwd {
		t.ldz, t.ldr, t.stride = j.ldz, j.ldr, j.stride
	}
	for jc := 0; jc < n; jc += bl.nc {
		nb := min(bl.nc, n-jc)
		nbr := roundUp(nb, nr)
		sp := splitTiles(m, jc, nb, mr, bl.mc, np)
		if direct && np > 1 && m <= bl.mc {
			// Unpacked B is read again by every range of rows: split the
			// columns only, so that each participant reads its part of B
			// (packing all the rows of A for itself; A is small here).
			sp.rc, sp.nRow = roundUp(m, mr), 1
			sp.nCol = min(sp.groups, 4*np)
		}
		// The K rows of a group of blocks: those whose packed blocks of
		// B fit in kc×nc, and at most maxGroup blocks, which a
		// participant's packed A holds for its rows.
		kg := maxGroup * bl.kc
		if !j.b.prepacked && !direct {
			kg = min(max(1, bl.nc/nbr), maxGroup) * bl.kc
		}
		// A's blocks: block q of the group at a[q*astride:], when items
		// share their rows; else one block at a time.
		keep := sp.nCol > 1
		slots := 1
		if keep {
			slots = min(maxGroup, ceilDiv(max(k, 1), bl.kc))
		}
		astride := roundUp(min(sp.rc, m), mr) * min(bl.kc, k)
		a := grow(&s.a, astride*slots)
		// A forward pass with k = 0 still runs one empty panel for its
		// epilogue: Z = bias.
		for pg := 0; pg < k || pg == 0; pg += kg {
			pe := min(pg+kg, k)
			// Block pc of the group is bg[(pc-pg)*nbr:], kb×nbr.
			var bg []T
			if j.b.prepacked {
				bg = j.b.packed[packedOffset(jc, 0, k, nbr):]
			} else if !direct {
				// Pack the group, in ranges of whole micro-panels, each
				// through the group's blocks in order. dZ is built a row
				// segment of an item's columns at a time, from dR read
				// ldb apart: one item a participant, as wide as it can
				// be, for the hardware prefetchers to lock on (items
				// of 128 columns on 2 threads left 8 cache lines a
				// segment, and dZ's rows took 5.5% of a 256×1024×1024
				// backward pass against 2% with 512).
				bg = w.b[:(pe-pg)*nbr]
				panels := nbr / nr
				items := 1
				if np > 1 {
					items = min(panels, 4*np)
					if j.b.dz {
						items = min(panels, np)
					}
				}
				for it := w.grab(); it < items; it = w.grab() {
					p0, p1 := it*panels/items, (it+1)*panels/items
					c0, c1 := p0*nr, min(nb, p1*nr)
					for pc := pg; pc < pe; pc += bl.kc {
						kb := min(bl.kc, k-pc)
						bp := bg[(pc-pg)*nbr : (pc-pg)*nbr+kb*nbr]
						dst := bp[c0*kb : p1*nr*kb]
						if j.b.dz {
							packBdZ(o, dst, &j.src, pc, jc+c0, kb, c1-c0, nr, dzB, j.visit)
						} else {
							if raceEnabled {
								raceOperand(j.b.s, j.b.ld, j.b.trans, pc, jc+c0, kb, c1-c0)
								raceWrite(dst)
							}
							o.packB(dst, j.b.s, j.b.ld, j.b.trans, pc, jc+c0, kb, c1-c0, nr)
						}
					}
				}
				if !w.sync() {
					return
				}
			}
			s.aIC, s.aHave = -1, 0
			cl := newClaim(id, np, sp.nRow)
			for {
				ri, ci, ok := w.nextTile(sp.nRow, sp.nCol, &cl)
				if !ok {
					break
				}
				ic, mb, j0, j1 := sp.item(ri, ci)
				if ic != s.aIC {
					s.aIC, s.aHave = ic, 0
				}
				for pc := pg; pc < pe || pc == 0 && k == 0; pc += bl.kc {
					kb := min(bl.kc, k-pc)
					var bp []T
					if !direct {
						off := (pc - pg) * nbr
						if j.b.prepacked {
							off = pc * nbr
						}
						bp = bg[off : off+kb*nbr]
					}
					t.kc = kb
					t.beta = j.beta
					if pc > 0 {
						t.beta = 1
					}
					t.last = j.fwd && pc+kb >= k
					q := (pc - pg) / bl.kc
					if !keep {
						q, s.aHave = 0, 0
					}
					ap := a[q*astride : q*astride+kb*roundUp(mb, mr)]
					t.lda = 0
					if dirA && mb%mr == 0 {
						t.lda = j.a.ld
					} else if s.aHave&(1<<q) == 0 {
						if j.a.dz {
							packAdZ(o, ap, &j.src, ic, pc, mb, kb, mr, dzA, j.visit && jc == 0)
						} else {
							if raceEnabled {
								raceOperand(j.a.s, j.a.ld, j.a.trans, ic, pc, mb, kb)
								raceWrite(ap)
							}
							o.packA(ap, j.a.s, j.a.ld, j.a.trans, ic, pc, mb, kb, mr)
						}
						s.aHave |= 1 << q
					}
					// The row tiles of a column: one kernel call, or
					// one each; and with ops.wide several columns a
					// call, up to wideSteps k steps of tiles.
					step, width := mr, nr
					if o.tall {
						step = roundUp(mb, mr)
					}
					if o.wide && o.tall {
						width = nr * clamp(wideSteps/(ceilDiv(mb, mr)*max(kb, 1)), 1, wideCols/nr)
					}
					for jr := j0; jr < j1; jr += width {
						col := jc + jr
						t.n = min(width, j1-jr, nb-jr)
						if direct {
							o := pc*t.ldb + col // kb > 0: directB needs k > 0
							t.b = j.b.s[o : o+(kb-1)*t.ldb+t.n]
						} else {
							t.b = bp[jr*kb : (jr+roundUp(t.n, nr))*kb]
						}
						if t.last {
							t.col = col
							t.bias = nil
							if j.bias != nil {
								t.bias = j.bias[col:]
							}
						}
						for ir := 0; ir < mb; ir += step {
							row := ic + ir
							if t.lda == 0 {
								t.a = ap[ir*kb : (ir+step)*kb]
							} else {
								t.a = j.a.s[row*t.lda+pc:]
							}
							t.m = min(step, mb-ir)
							t.c = j.c[row*j.ldc+col:]
							if t.last {
								t.r = j.r[row*j.ldr+col:]
								t.z = nil
								if j.z != nil {
									t.z = j.z[row*j.ldz+col:]
								}
								t.bits = nil
								if j.bits != nil {
									t.bits = j.bits[row*j.stride:]
								}
							}
							if raceEnabled {
								raceTile(t, mr, nr)
							}
							o.kernel(t)
						}
					}
				}
			}
			// The next group overwrites B; the next phase's items start
			// from 0.
			if (pe < k || jc+nb < n) && !w.sync() {
				return
			}
		}
	}
}

// runRows computes, without packing, a job with fewer rows than a
// register tile (a batch of one, say: the tile would spend most of its
// flops on padding) or a short sum (dW from a small batch: the tile would
// spend its time on calls and epilogues). Row i of C is the row i of A
// times B, accumulated rowsChunk columns at a time: a sum of rows of B
// when B is untransposed, else dot products with the rows of the stored
// Bᵀ. B streams through once per row of A. A dZ operand is built a row at
// a time (B's once per column chunk, into scratch). The epilogue is the
// tile's, on 64 columns (one mask word) at a time.
//
// Its items are (column chunk, range of rows); a dZ operand B is visited
// by the item of its chunk's first rows, and a dZ operand A (one
// participant only) on the first chunk.
func (w *work[T]) rowsPart(s *scratch[T]) {
	j, o, bl := &w.job, w.o, w.bl
	m, n, k := j.m, j.n, j.k
	chunk := rowsChunk(bl)
	nCh := ceilDiv(n, chunk)
	nRR := 1
	if np := w.n; np > 1 {
		nRR = min(ceilDiv(4*np, nCh), m)
		if j.b.dz {
			// Each range builds the chunk's rows of B again: keep
			// ranges long.
			nRR = min(nRR, max(1, m/16))
		}
	}
	per := ceilDiv(m, nRR)
	nRR = ceilDiv(m, per)
	// The scratch at its largest for the job, whichever items come.
	arow := grow(&s.arow, k)
	grow(&s.acc, min(chunk, n))
	if j.b.dz {
		grow(&s.brows, k*min(chunk, n))
	}
	// Without an epilogue (α = 1, β = 0 or 1, no forward pass) a sum of
	// rows of B accumulates in C itself.
	intoC := !j.fwd && !j.b.trans && j.alpha == 1 && (j.beta == 0 || j.beta == 1)
	t := &s.t
	*t = tile[T]{m: 1, alpha: j.alpha, beta: j.beta, last: j.fwd,
		ldc: j.ldc, ldz: j.ldz, ldr: j.ldr, stride: j.stride,
		nrMask: ^uint64(0)} // a segment starts a mask word and owns all of it
	for it := w.grab(); it < nCh*nRR; it = w.grab() {
		jc := it / nRR * chunk
		nb := min(chunk, n-jc)
		i0 := it % nRR * per
		i1 := min(m, i0+per)
		b, ldb, b0 := j.b.s, j.b.ld, jc // element (p, jj) of the chunk: b[p*ldb+b0+jj]
		if j.b.dz {
			b, ldb, b0 = grow(&s.brows, k*nb), nb, 0
			for p := range k {
				j.src.row(b[p*nb:(p+1)*nb], p, jc, j.visit && i0 == 0)
			}
		}
		acc := grow(&s.acc, nb)
		for i := i0; i < i1; i++ {
			a := arow
			switch {
			case j.a.dz:
				j.src.row(a, i, 0, j.visit && jc == 0)
			case j.a.trans:
				for p := range a {
					a[p] = j.a.s[p*j.a.ld+i]
				}
			case k == 0: // A may be empty
			default:
				a = j.a.s[i*j.a.ld : i*j.a.ld+k]
			}
			dst := acc
			if intoC {
				// C's row segment is the accumulator: no copy through
				// acc, no epilogue (the outer products of dW from a
				// batch of one spent 90% of their time in those).
				dst = j.c[i*j.ldc+jc : i*j.ldc+jc+nb]
			}
			if j.b.trans { // not intoC
				for jj := range acc {
					bj := b[(b0+jj)*ldb : (b0+jj)*ldb+k]
					if raceEnabled {
						raceRead(a)
						raceRead(bj)
					}
					acc[jj] = o.dot(a, bj)
				}
			} else {
				p := 0
				if !intoC || j.beta == 0 {
					// dst starts from zeros: the chain's first call
					// takes it as zeros where the path can (axpyZ,
					// axpy4Z: the same bits in one pass over dst).
					p = rowsStart(o, dst, a, b, ldb, b0)
				}
				if o.axpy4 != nil {
					// Four rows of B a call: dst is loaded and stored
					// once per four rows, with the same roundings.
					for ; p+4 <= len(a); p += 4 {
						bp0, bp1, bp2, bp3 := rowsOf4(b, p*ldb+b0, ldb, nb)
						if raceEnabled {
							raceWrite(dst)
						}
						o.axpy4(dst, a[p], a[p+1], a[p+2], a[p+3], bp0, bp1, bp2, bp3)
					}
				}
				for ; p < len(a); p++ {
					bp := b[p*ldb+b0 : p*ldb+b0+nb]
					if raceEnabled {
						raceRead(bp)
						raceWrite(dst)
					}
					o.axpy(dst, a[p], bp)
				}
			}
			if intoC {
				continue
			}
			for seg := 0; seg < nb; seg += 64 {
				col := jc + seg
				t.n = min(64, nb-seg)
				t.c = j.c[i*j.ldc+col:]
				if j.fwd {
					t.col, t.bias, t.z, t.bits = col, nil, nil, nil
					t.r = j.r[i*j.ldr+col:]
					if j.bias != nil {
						t.bias = j.bias[col:]
					}
					if j.z != nil {
						t.z = j.z[i*j.ldz+col:]
					}
					if j.bits != nil {
						t.bits = j.bits[i*j.stride:]
					}
				}
				t.finish(acc[seg:], 0)
			}
		}
	}
}

// rowsStart starts runRows's chain of axpy calls dst += a[p]·B[p, b0:]
// into a dst of zeros: clear(dst) and no row of B, or as the path's
// axpy4Z or axpyZ the same bits for the first four rows or the first
// row. It returns the number of rows done.
func rowsStart[T Float](o *ops[T], dst, a, b []T, ldb, b0 int) int {
	nb := len(dst)
	switch {
	case o.axpy4Z != nil && len(a) >= 4:
		r0, r1, r2, r3 := rowsOf4(b, b0, ldb, nb)
		if raceEnabled {
			raceWrite(dst)
		}
		o.axpy4Z(dst, a[0], a[1], a[2], a[3], r0, r1, r2, r3)
		return 4
	case o.axpyZ != nil && len(a) >= 1:
		r0 := b[b0 : b0+nb]
		if raceEnabled {
			raceRead(r0)
			raceWrite(dst)
		}
		o.axpyZ(dst, a[0], r0)
		return 1
	}
	clear(dst)
	return 0
}

// rowsOf4 returns the four rows of B at b[off:], ldb apart, of nb
// elements each (an axpy4's), reported read to the race detector.
func rowsOf4[T Float](b []T, off, ldb, nb int) (r0, r1, r2, r3 []T) {
	r0, r1 = b[off:off+nb], b[off+ldb:off+ldb+nb]
	r2, r3 = b[off+2*ldb:off+2*ldb+nb], b[off+3*ldb:off+3*ldb+nb]
	if raceEnabled {
		raceRead(r0)
		raceRead(r1)
		raceRead(r2)
		raceRead(r3)
	}
	return
}

// visitPart is a participant's part of visitDZ.
func (w *work[T]) visitPart(s *scratch[T]) {
	j := &w.job
	chunk := rowsChunk(w.bl)
	grow(&s.acc, min(chunk, j.n))
	for it := w.grab(); it < ceilDiv(j.n, chunk); it = w.grab() {
		jc := it * chunk
		out := grow(&s.acc, min(chunk, j.n-jc))
		for i := range j.m {
			j.src.row(out, i, jc, true)
		}
	}
}

// grow returns (*buf)[:n], reallocating *buf if it is shorter.
func grow[T any](buf *[]T, n int) []T {
	if len(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

func roundUp(v, to int) int { return (v + to - 1) / to * to }

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// packAGeneric packs rows i0 … i0+mb−1 and columns p0 … p0+kb−1 of op(A)
// into mr-row micro-panels: element (i, p) of the block goes to
// dst[(i/mr)*mr*kb + p*mr + i%mr], rows past mb are zero.
func packAGeneric[T Float](dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int) {
	for ip := 0; ip < mb; ip += mr {
		panel := dst[ip*kb : (ip+mr)*kb]
		rows := min(mr, mb-ip)
		for p := 0; p < kb; p++ {
			out := panel[p*mr : p*mr+mr]
			for ii := range rows {
				if trans {
					out[ii] = a[(p0+p)*lda+i0+ip+ii]
				} else {
					out[ii] = a[(i0+ip+ii)*lda+p0+p]
				}
			}
			clear(out[rows:])
		}
	}
}

// packBGeneric packs rows p0 … p0+kb−1 and columns j0 … j0+nb−1 of op(B)
// into nr-column micro-panels: element (p, j) of the block goes to
// dst[(j/nr)*nr*kb + p*nr + j%nr], columns past nb are zero.
func packBGeneric[T Float](dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	if !trans {
		if kb > 0 {
			packBRowsGeneric(dst, b[p0*ldb+j0:], ldb, kb, nb, nr, nr*kb)
		}
		return
	}
	for jp := 0; jp < nb; jp += nr {
		panel := dst[jp*kb : (jp+nr)*kb]
		cols := min(nr, nb-jp)
		for p := 0; p < kb; p++ {
			out := panel[p*nr : p*nr+nr]
			for jj := range cols {
				out[jj] = b[(j0+jp+jj)*ldb+p0+p]
			}
			clear(out[cols:])
		}
	}
}

// packBRowsGeneric packs rows rows of b (nb columns, ldb apart) into
// nr-column micro-panels panel elements apart: element (p, j) goes to
// dst[(j/nr)*panel + p*nr + j%nr], and columns past nb of the last panel
// are zero. With panel = nr·kb it packs rows p … of a kb-row block at
// dst[p*nr:].
func packBRowsGeneric[T Float](dst, b []T, ldb, rows, nb, nr, panel int) {
	for p := range rows {
		row := b[p*ldb : p*ldb+nb]
		for jp := 0; jp < nb; jp += nr {
			out := dst[jp/nr*panel+p*nr : jp/nr*panel+p*nr+nr]
			clear(out[copy(out, row[jp:]):])
		}
	}
}

// The dZ packers build dZ a few rows at a time into scratch with the
// path's step kernels (dzSource.row: the visit adds them into db in row
// order), then pack those rows with the path's packers: both steps in
// assembly where the path has it. Scattering each row into the panels in
// Go instead took 10-25% of a small backward pass.

// dzBRows and dzBElems bound packBdZ's scratch: up to 16 rows at a time,
// of at most 16 Ki elements in all (64 KiB of float32, in L2).
const dzBRows, dzBElems = 16, 1 << 14

// packAdZ packs dZ(i0 … i0+mb−1, p0 … p0+kb−1) as packAGeneric packs A,
// building dZ a micro-panel of rows at a time into blk (mr·kb elements).
func packAdZ[T Float](o *ops[T], dst []T, s *dzSource[T], i0, p0, mb, kb, mr int, blk []T, visit bool) {
	blk = blk[:mr*kb]
	for ip := 0; ip < mb; ip += mr {
		rows := min(mr, mb-ip)
		for q := range rows {
			s.row(blk[q*kb:(q+1)*kb], i0+ip+q, p0, visit)
		}
		panel := dst[ip*kb : (ip+mr)*kb]
		if raceEnabled {
			raceRead(blk[:rows*kb])
			raceWrite(panel)
		}
		o.packA(panel, blk, kb, false, 0, 0, rows, kb, mr)
	}
}

// packBdZ packs dZ(p0 … p0+kb−1, j0 … j0+nb−1) as packBGeneric packs B,
// building dZ len(blk)/nb rows at a time into blk.
func packBdZ[T Float](o *ops[T], dst []T, s *dzSource[T], p0, j0, kb, nb, nr int, blk []T, visit bool) {
	if o.packDZB != nil && s.z == nil && j0%64 == 0 && kb > 0 {
		// In one pass (ops.packDZB); the mask words of column j0 on.
		dr := s.dr[p0*s.lddr+j0:]
		bits := s.bits[p0*s.stride+j0/64:]
		var db, dz []T
		if visit && s.db != nil {
			db = s.db[j0 : j0+nb]
		}
		if visit && s.dz != nil {
			dz = s.dz[p0*s.lddz+j0:]
		}
		if raceEnabled {
			raceOperand(dr, s.lddr, false, 0, 0, kb, nb)
			raceOperand(bits, s.stride, false, 0, 0, kb, MaskWords(nb))
			raceWrite(dst[:ceilDiv(nb, nr)*nr*kb])
			raceRead(db)
			raceWrite(db)
			if dz != nil {
				for p := range kb {
					raceWrite(dz[p*s.lddz : p*s.lddz+nb])
				}
			}
		}
		o.packDZB(dst, dr, s.lddr, bits, s.stride, db, dz, s.lddz, kb, nb, nr, nr*kb)
		return
	}
	r := len(blk) / nb
	for p := 0; p < kb; p += r {
		n := min(r, kb-p)
		for q := range n {
			s.row(blk[q*nb:(q+1)*nb], p0+p+q, j0, visit)
		}
		if raceEnabled {
			raceRead(blk[:n*nb])
			raceWrite(dst[p*nr:])
		}
		o.packBRows(dst[p*nr:], blk[:n*nb], nb, n, nb, nr, nr*kb)
	}
}
