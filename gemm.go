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
// The fused forward pass is this GEMM with its epilogue on the last K
// panel, and the backward pass is two such GEMMs whose packers build dZ
// from dR and the mask as they pack it.

// tile is what the microkernel needs to compute one register tile and
// apply its epilogue.
type tile[T Float] struct {
	kc   int
	a, b []T // packed micro-panels: a[p*mr+i], b[p*nr+j] for p < kc
	c    []T // the tile's origin in the accumulating matrix
	ldc  int
	m, n int // rows and columns of the tile that lie inside the matrix

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

// row computes dZ(i, j0 … j0+len(out)−1) into out; on the visit it adds
// the values into db and writes them to dz.
func (s *dzSource[T]) row(out []T, i, j0 int, visit bool) {
	for j := range out {
		out[j] = s.at(i, j0+j)
	}
	if !visit {
		return
	}
	if s.db != nil {
		db := s.db[j0 : j0+len(out)]
		for j, v := range out {
			db[j] += v
		}
	}
	if s.dz != nil {
		copy(s.dz[i*s.lddz+j0:], out)
	}
}

// operand is one GEMM operand: op(s) with leading dimension ld, or dZ
// built by dz.
type operand[T Float] struct {
	s     []T
	ld    int
	trans bool
	dz    *dzSource[T]
}

type gemmJob[T Float] struct {
	m, n, k     int
	a, b        operand[T]
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

// work is the per-call scratch: the packed blocks and the tile. It is
// pooled, so that calls in steady state allocate nothing.
type work[T Float] struct {
	a, b  []T
	row   []T // one row of dZ
	arow  []T // runRows: a row of A
	brows []T // runRows: the rows of a dZ operand B
	acc   []T // runRows: a row of C
	t     tile[T]
}

// smallK is the longest sum that runRows computes rather than the tiles.
const smallK = 8

var workPools [2]sync.Pool // float32, float64

func getWork[T Float](bl blocking) *work[T] {
	var z T
	pool := &workPools[unsafe.Sizeof(z)/8]
	w, _ := pool.Get().(*work[T])
	if w == nil {
		w = new(work[T])
	}
	if len(w.a) < bl.mc*bl.kc {
		w.a = make([]T, bl.mc*bl.kc)
	}
	if len(w.b) < bl.kc*bl.nc {
		w.b = make([]T, bl.kc*bl.nc)
	}
	if len(w.row) < bl.kc {
		w.row = make([]T, bl.kc)
	}
	return w
}

func putWork[T Float](w *work[T]) {
	var z T
	w.t = tile[T]{} // drop references to the caller's slices
	workPools[unsafe.Sizeof(z)/8].Put(w)
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

// run computes one GEMM job.
func run[T Float](o *ops[T], bl blocking, j *gemmJob[T]) {
	m, n, k := j.m, j.n, j.k
	if m == 0 || n == 0 {
		return
	}
	if !j.fwd && (k == 0 || j.alpha == 0) {
		scale(m, n, j.beta, j.c, j.ldc)
		return
	}
	if m < o.mr || k <= smallK {
		runRows(o, bl, j)
		return
	}
	mr, nr := o.mr, o.nr
	w := getWork[T](bl)
	defer putWork(w)
	t := &w.t
	t.alpha = j.alpha
	t.ldc = j.ldc
	t.nrMask = 1<<nr - 1
	if j.fwd {
		t.ldz, t.ldr, t.stride = j.ldz, j.ldr, j.stride
	}
	for jc := 0; jc < n; jc += bl.nc {
		nb := min(bl.nc, n-jc)
		// A forward pass with k = 0 still runs one empty panel for its
		// epilogue: Z = bias.
		for pc := 0; pc < k || pc == 0; pc += bl.kc {
			kb := min(bl.kc, k-pc)
			first, last := pc == 0, pc+kb >= k
			bp := w.b[:kb*roundUp(nb, nr)]
			if j.b.dz != nil {
				packBdZ(bp, j.b.dz, pc, jc, kb, nb, nr, j.visit)
			} else {
				o.packB(bp, j.b.s, j.b.ld, j.b.trans, pc, jc, kb, nb, nr)
			}
			for ic := 0; ic < m; ic += bl.mc {
				mb := min(bl.mc, m-ic)
				ap := w.a[:kb*roundUp(mb, mr)]
				if j.a.dz != nil {
					packAdZ(ap, j.a.dz, ic, pc, mb, kb, mr, w.row, j.visit && jc == 0)
				} else {
					o.packA(ap, j.a.s, j.a.ld, j.a.trans, ic, pc, mb, kb, mr)
				}
				t.kc = kb
				t.beta = j.beta
				if !first {
					t.beta = 1
				}
				t.last = j.fwd && last
				for jr := 0; jr < nb; jr += nr {
					col := jc + jr
					t.b = bp[jr*kb : (jr+nr)*kb]
					t.n = min(nr, nb-jr)
					if t.last {
						t.col = col
						t.bias = nil
						if j.bias != nil {
							t.bias = j.bias[col:]
						}
					}
					for ir := 0; ir < mb; ir += mr {
						row := ic + ir
						t.a = ap[ir*kb : (ir+mr)*kb]
						t.m = min(mr, mb-ir)
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
						o.kernel(t)
					}
				}
			}
		}
	}
}

// runRows computes, without packing, a job with fewer rows than a
// register tile (a batch of one, say: the tile would spend most of its
// flops on padding) or a short sum (dW from a small batch: the tile would
// spend its time on calls and epilogues). Row i of C is the row i of A
// times B, accumulated nc columns at a time: a sum of rows of B when B is
// untransposed, else dot products with the rows of the stored Bᵀ. B streams
// through once per row of A. A dZ operand is built a row at a time (B's
// once per column block, into scratch). The epilogue is the tile's, on 64
// columns (one mask word) at a time.
func runRows[T Float](o *ops[T], bl blocking, j *gemmJob[T]) {
	m, n, k := j.m, j.n, j.k
	w := getWork[T](bl)
	defer putWork(w)
	arow := grow(&w.arow, k)
	t := &w.t
	t.m, t.alpha, t.beta, t.last = 1, j.alpha, j.beta, j.fwd
	t.ldc, t.ldz, t.ldr, t.stride = j.ldc, j.ldz, j.ldr, j.stride
	t.nrMask = ^uint64(0) // a segment starts a mask word and owns all of it
	// Column blocks of a whole number of mask words, so that each
	// epilogue segment starts a word.
	chunk := max(bl.nc&^63, 64)
	for jc := 0; jc < n; jc += chunk {
		nb := min(chunk, n-jc)
		b, ldb, b0 := j.b.s, j.b.ld, jc // element (p, jj) of the block: b[p*ldb+b0+jj]
		if j.b.dz != nil {
			b, ldb, b0 = grow(&w.brows, k*nb), nb, 0
			for p := range k {
				j.b.dz.row(b[p*nb:(p+1)*nb], p, jc, j.visit)
			}
		}
		acc := grow(&w.acc, nb)
		for i := range m {
			a := arow
			switch {
			case j.a.dz != nil:
				j.a.dz.row(a, i, 0, j.visit && jc == 0)
			case j.a.trans:
				for p := range a {
					a[p] = j.a.s[p*j.a.ld+i]
				}
			case k == 0: // A may be empty
			default:
				a = j.a.s[i*j.a.ld : i*j.a.ld+k]
			}
			if j.b.trans {
				for jj := range acc {
					acc[jj] = o.dot(a, b[(jc+jj)*ldb:(jc+jj)*ldb+k])
				}
			} else {
				clear(acc)
				for p, x := range a {
					o.axpy(acc, x, b[p*ldb+b0:p*ldb+b0+nb])
				}
			}
			for s := 0; s < nb; s += 64 {
				col := jc + s
				t.n = min(64, nb-s)
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
				t.finish(acc[s:], 0)
			}
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
	for jp := 0; jp < nb; jp += nr {
		panel := dst[jp*kb : (jp+nr)*kb]
		cols := min(nr, nb-jp)
		for p := 0; p < kb; p++ {
			out := panel[p*nr : p*nr+nr]
			if trans {
				for jj := range cols {
					out[jj] = b[(j0+jp+jj)*ldb+p0+p]
				}
			} else {
				copy(out[:cols], b[(p0+p)*ldb+j0+jp:])
			}
			clear(out[cols:])
		}
	}
}

// packAdZ packs dZ(i0 … i0+mb−1, p0 … p0+kb−1) as packAGeneric packs A,
// building dZ from its source a row at a time.
func packAdZ[T Float](dst []T, s *dzSource[T], i0, p0, mb, kb, mr int, row []T, visit bool) {
	row = row[:kb]
	for i := 0; i < roundUp(mb, mr); i++ {
		panel := dst[(i/mr)*mr*kb : (i/mr+1)*mr*kb]
		if i >= mb {
			for p := range kb {
				panel[p*mr+i%mr] = 0
			}
			continue
		}
		s.row(row, i0+i, p0, visit)
		for p, v := range row {
			panel[p*mr+i%mr] = v
		}
	}
}

// packBdZ packs dZ(p0 … p0+kb−1, j0 … j0+nb−1) as packBGeneric packs B.
func packBdZ[T Float](dst []T, s *dzSource[T], p0, j0, kb, nb, nr int, visit bool) {
	for p := range kb {
		for jp := 0; jp < nb; jp += nr {
			cols := min(nr, nb-jp)
			out := dst[jp*kb+p*nr : jp*kb+p*nr+nr]
			s.row(out[:cols], p0+p, j0+jp, visit)
			clear(out[cols:])
		}
	}
}
