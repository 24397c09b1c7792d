package kernels

import "unsafe"

// The loops of the packed route (see gemm.go): the column blocks (jc),
// the groups of K blocks (pc), and the items of tiles with the
// macro-kernel (ic, jr, ir), and the split of a block's tiles into items.

// maxGroup is the most kc blocks of K in a group (see packedPart).
const maxGroup = 4

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
// The loops are those of the comment in gemm.go, with the (jc, pc) steps
// of B packed a group at a time: as many kc×nb blocks as fit in the kc×nc
// of the blocking, up to maxGroup (K up to 4·kc in one group, for the
// usual shapes: nb is less than nc). The participants pack the group
// together, meet at a barrier, and then take items of tiles (a range of
// rows and one of columns), each through all the group's K panels in
// order: a tile's panels are summed in the same order as in those loops,
// and no barrier is needed between them. A participant keeps the group's
// packed blocks of A for the rows of its items, which usually share
// their rows (nextTile). With B prepacked, groups are of maxGroup blocks:
// no barrier at all for K ≤ maxGroup·kc and N ≤ nc.
//
// One function a loop level: packedPart (the job, jc), columnBlock (a
// column block, pc by groups), packGroup (a group's blocks of B), tiles
// (a group's items), item (an item's K panels and its packed A) and
// macroKernel (the jr and ir loops of the tiles).
func (w *work[T]) packedPart(s *scratch[T], id int) {
	j, o, bl := &w.job, w.o, w.bl
	l := packedLoop[T]{w: w, s: s, id: id}
	s.aIC, s.aHave, s.aPG = -1, 0, -1 // nothing packed yet for this job
	l.dzA = grow(&s.row, o.mr*bl.kc)
	if j.b.dz {
		nbr := roundUp(min(bl.nc, j.n), o.nr)
		l.dzB = grow(&s.brows, max(1, min(dzBRows, dzBElems/nbr))*nbr)
		if j.dot && len(l.dzB) < 2*nbr { // the dot tile's pairs of rows
			l.dzB = grow(&s.brows, 2*nbr)
		}
	}
	l.direct, l.dirA = directB(o, j), directA(o, j)
	l.aIn, l.aShift = j.a.s, 0
	if j.dot {
		l.aIn = dotDirectA(o, j, bl.kc)
		l.dirA, l.aShift = l.aIn != nil, 1
		l.bIn = dotDirectB(o, j, bl.kc)
		l.direct = l.bIn != nil
	}
	var z T
	l.stream = !j.fwd && j.rh == nil && j.beta == 0 && bl.stream > 0 && j.k <= bl.kc && j.m*j.n*int(unsafe.Sizeof(z)) >= bl.stream
	t := &s.t
	*t = tile[T]{alpha: j.alpha, ldc: j.ldc, nrMask: 1<<o.nr - 1}
	if l.direct {
		t.ldb = j.b.ld
		switch {
		case j.dot && j.b.round:
			t.ldb, t.bf = -j.b.ld, true // float32 rows rounded as read (dotDirectB)
		case j.dot:
			t.ldb = -j.b.ld / 2 // the dot tile's rows of bfloat16 B (dotDirectB)
		}
	}
	if j.fwd {
		t.ldz, t.ldr, t.stride = j.ldz, j.ldr, j.stride
	}
	if j.rh != nil {
		t.ldr = j.ldrh
	}
	for jc := 0; jc < j.n; jc += bl.nc {
		if !l.columnBlock(jc) {
			return
		}
	}
}

// packedLoop is a participant's state in packedPart's loops: the job's
// routes and dZ scratch, then the current column block and group.
type packedLoop[T Float] struct {
	w  *work[T]
	s  *scratch[T]
	id int

	direct, dirA bool // B, A read where they lie (directB, directA)
	stream       bool // C written with streaming stores (item)
	dzA, dzB     []T  // scratch of the dZ packers

	// A where it lies (dirA): row i's value k at aIn[(i*ld+k)>>aShift]
	// (the dot tile's pairs: dotDirectA's view, 1).
	aIn    []T
	aShift uint
	// The dot tile's B where it lies (direct): dotDirectB's view, row k's
	// values j and j+1 (j even) in bIn[(k*ld+j)/2].
	bIn []T

	// The column block: columns jc … jc+nb−1 (nbr: nb rounded up to
	// nr), split into items by sp.
	jc, nb, nbr int
	sp          tileSplit
	// A's packed blocks: block q of the group at a[q*astride:] when
	// items share their rows (keep), else one block at a time.
	keep    bool
	astride int
	a       []T

	// The group: K rows pg … pe−1; its packed blocks of B, block pc at
	// bg[(pc-pg)*nbr:] (prepacked: all of B's column block, at pc*nbr).
	pg, pe int
	bg     []T
}

// columnBlock runs the groups of K blocks of the column block at jc. It
// returns false if the call was aborted.
func (l *packedLoop[T]) columnBlock(jc int) bool {
	w, s := l.w, l.s
	j, bl := &w.job, w.bl
	m, n, k := j.m, j.n, j.k
	mr, nr, np := w.o.mr, w.o.nr, w.n
	l.jc, l.nb = jc, min(bl.nc, n-jc)
	l.nbr = roundUp(l.nb, nr)
	l.sp = splitTiles(m, jc, l.nb, mr, bl.mc, np)
	if l.direct && np > 1 && m <= bl.mc {
		// Unpacked B is read again by every range of rows: split the
		// columns only, so that each participant reads its part of B
		// (packing all the rows of A for itself; A is small here).
		l.sp.rc, l.sp.nRow = roundUp(m, mr), 1
		l.sp.nCol = min(l.sp.groups, 4*np)
	}
	// The K rows of a group of blocks: those whose packed blocks of B
	// fit in kc×nc, and at most maxGroup blocks, which a participant's
	// packed A holds for its rows.
	kg := maxGroup * bl.kc
	if !j.b.prepacked && !l.direct {
		kg = min(max(1, bl.nc/l.nbr), maxGroup) * bl.kc
	}
	l.keep = l.sp.nCol > 1
	slots := 1
	if l.keep {
		slots = min(maxGroup, ceilDiv(max(k, 1), bl.kc))
	}
	old, oldStride := l.a, l.astride
	l.astride = roundUp(min(l.sp.rc, m), mr) * min(bl.kc, k)
	l.a = grow(&s.a, l.astride*slots)
	if l.astride != oldStride || len(old) == 0 || len(l.a) == 0 || &old[0] != &l.a[0] {
		s.aIC = -1 // A's packed blocks moved: none kept
	}
	// A forward pass with k = 0 still runs one empty panel for its
	// epilogue: Z = bias.
	for pg := 0; pg < k || pg == 0; pg += kg {
		l.pg, l.pe = pg, min(pg+kg, k)
		l.bg = nil
		if j.b.prepacked {
			l.bg = j.b.packed[packedOffset(jc, 0, j.steps(k, bl.kc), l.nbr):]
		} else if !l.direct && !l.packGroup() {
			return false
		}
		l.tiles()
		// The next group overwrites B; the next phase's items start
		// from 0.
		if (l.pe < k || jc+l.nb < n) && !w.sync() {
			return false
		}
	}
	return true
}

// packGroup packs the group's blocks of B with the other participants,
// in ranges of whole micro-panels, each through the group's blocks in
// order, then waits for them at a barrier. dZ is built a row segment of
// an item's columns at a time, from dR read ldb apart: one item a
// participant, as wide as it can be, for the hardware prefetchers to
// lock on (TUNING.md). It returns false if the call was aborted.
func (l *packedLoop[T]) packGroup() bool {
	w := l.w
	j, o, bl := &w.job, w.o, w.bl
	k, nr, np := j.k, o.nr, w.n
	l.bg = w.b[:(l.pe-l.pg)*l.nbr]
	panels := l.nbr / nr
	items := 1
	if np > 1 {
		items = min(panels, 4*np)
		if j.b.dz {
			items = min(panels, np)
		}
	}
	for it := w.grab(); it < items; it = w.grab() {
		p0, p1 := it*panels/items, (it+1)*panels/items
		c0, c1 := p0*nr, min(l.nb, p1*nr)
		for pc := l.pg; pc < l.pe; pc += bl.kc {
			kb := min(bl.kc, k-pc)
			bp := l.bg[(pc-l.pg)*l.nbr : (pc-l.pg)*l.nbr+kb*l.nbr]
			if j.dot {
				kp := j.steps(kb, bl.kc)
				packBPairsOf(any(o).(*ops[float32]), any(j).(*gemmJob[float32]), asF32(bp[c0*kp:p1*nr*kp]), pc, l.jc+c0, kb, c1-c0, nr, asF32(l.dzB), j.visit)
				continue
			}
			dst := bp[c0*kb : p1*nr*kb]
			if j.b.dz {
				packBdZ(o, dst, &j.src, pc, l.jc+c0, kb, c1-c0, nr, l.dzB, j.visit)
			} else if j.b.h != nil {
				packBH(o, j.widen, dst, j.b.h, j.b.ld, j.b.trans, pc, l.jc+c0, kb, c1-c0, nr, &l.s.wide)
			} else {
				if raceEnabled {
					raceOperand(j.b.s, j.b.ld, j.b.trans, pc, l.jc+c0, kb, c1-c0)
					raceWrite(dst)
				}
				o.packB(dst, j.b.s, j.b.ld, j.b.trans, pc, l.jc+c0, kb, c1-c0, nr)
			}
		}
	}
	return w.sync()
}

// tiles computes the group's items of tiles, as nextTile hands them out.
func (l *packedLoop[T]) tiles() {
	s, sp := l.s, &l.sp
	// The packed blocks of A of the last group stay valid if this group
	// starts at the same K row and keeps its blocks the same way; without
	// keep, a only holds the last K panel packed, so only for a group of
	// one panel.
	if s.aPG != l.pg || s.aKeep != l.keep || !l.keep && l.pe-l.pg > l.w.bl.kc {
		s.aIC, s.aHave = -1, 0
	}
	s.aPG, s.aKeep = l.pg, l.keep
	cl := newClaim(l.id, l.w.n, sp.nRow)
	for {
		ri, ci, ok := l.w.nextTile(sp.nRow, sp.nCol, &cl)
		if !ok {
			return
		}
		l.item(sp.item(ri, ci))
	}
}

// item computes the tiles of rows ic … ic+mb−1 and columns j0 … j1−1 of
// the column block through the group's K panels in order, packing (or
// reusing) their rows of A for each panel.
func (l *packedLoop[T]) item(ic, mb, j0, j1 int) {
	w, s := l.w, l.s
	j, o, bl := &w.job, w.o, w.bl
	k, mr := j.k, o.mr
	t := &s.t
	if ic != s.aIC || mb != s.aMB {
		s.aIC, s.aMB, s.aHave = ic, mb, 0
	}
	for pc := l.pg; pc < l.pe || pc == 0 && k == 0; pc += bl.kc {
		kb := min(bl.kc, k-pc)
		var bp []T
		if !l.direct {
			off, size := (pc-l.pg)*l.nbr, kb*l.nbr
			if j.b.prepacked {
				off, size = j.steps(pc, bl.kc)*l.nbr, j.steps(kb, bl.kc)*l.nbr
			}
			bp = l.bg[off : off+size]
		}
		t.kc = j.steps(kb, bl.kc)
		t.beta = j.beta
		if pc > 0 {
			t.beta = 1
		}
		// C of one K panel and more bytes than blocking.stream is written
		// once and not read here again: streaming stores write it without
		// reading each line in first.
		t.stream = l.stream
		t.last = j.fwd && pc+kb >= k
		q := (pc - l.pg) / bl.kc
		if !l.keep {
			// One block at a time: kept for the next column block only if
			// the group is one K panel.
			q = 0
			if l.pe-l.pg > bl.kc {
				s.aHave = 0
			}
		}
		ap := l.a[q*l.astride : q*l.astride+kb*roundUp(mb, mr)]
		t.lda = 0
		if l.dirA && mb%mr == 0 {
			t.lda = j.a.ld >> l.aShift
		} else if s.aHave&(1<<q) == 0 {
			if j.dot {
				packAPairsOf(any(o).(*ops[float32]), any(j).(*gemmJob[float32]), asF32(ap), ic, pc, mb, kb, mr, asF32(l.dzA), j.visit && l.jc == 0)
			} else if j.a.dz {
				packAdZ(o, ap, &j.src, ic, pc, mb, kb, mr, l.dzA, j.visit && l.jc == 0)
			} else if j.a.h != nil {
				packAH(o, j.widen, ap, j.a.h, j.a.ld, j.a.trans, ic, pc, mb, kb, mr, &s.wide)
			} else {
				if raceEnabled {
					raceOperand(j.a.s, j.a.ld, j.a.trans, ic, pc, mb, kb)
					raceWrite(ap)
				}
				o.packA(ap, j.a.s, j.a.ld, j.a.trans, ic, pc, mb, kb, mr)
			}
			s.aHave |= 1 << q
		}
		l.macroKernel(ap, bp, ic, mb, pc, kb, j0, j1)
	}
}

// macroKernel runs the register tiles of one K panel of an item: rows
// ic … ic+mb−1 (A packed in ap, or where it lies when t.lda ≠ 0) and
// columns j0 … j1−1 of the column block (B packed in bp, or where it
// lies). The row tiles of a column are one kernel call (callColumn) or
// one each; with callBlock, several columns a call, up to wideSteps k
// steps of tiles.
func (l *packedLoop[T]) macroKernel(ap, bp []T, ic, mb, pc, kb, j0, j1 int) {
	j, o := &l.w.job, l.w.o
	mr, nr := o.mr, o.nr
	t := &l.s.t
	step, width := mr, nr
	ks := t.kc // k steps: kb, or pairs on the dot tile
	kernel := o.kernel
	if j.dot {
		kernel = o.dotTile
	}
	if o.calls >= callColumn {
		step = roundUp(mb, mr)
	}
	if o.calls == callBlock {
		width = nr * clamp(wideSteps/(ceilDiv(mb, mr)*max(kb, 1)), 1, wideCols/nr)
	}
	for jr := j0; jr < j1; jr += width {
		col := l.jc + jr
		t.n = min(width, j1-jr, l.nb-jr)
		if l.direct && j.dot && !j.b.round {
			// kb > 0 and even, and col a multiple of nr: off is whole.
			off := (pc*j.b.ld + col) / 2
			t.b = l.bIn[off:min(len(l.bIn), off+((kb-1)*j.b.ld+t.n+1)/2)]
		} else if l.direct {
			// B's own elements: a float32 B (directB), or one the dot
			// tile rounds as it reads it (j.b.round).
			off := pc*j.b.ld + col // kb > 0: directB needs k > 0
			t.b = j.b.s[off : off+(kb-1)*j.b.ld+t.n]
		} else {
			t.b = bp[jr*ks : (jr+roundUp(t.n, nr))*ks]
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
				t.a = ap[ir*ks : (ir+step)*ks]
			} else {
				t.a = l.aIn[row*t.lda+pc>>l.aShift:]
			}
			t.m = min(step, mb-ir)
			t.c = j.c[row*j.ldc+col:]
			if j.rh != nil { // R, or a GEMM job's C, in bfloat16 (gemmJob.rh)
				t.rh = j.rh[row*j.ldrh+col:]
			}
			if t.last {
				if j.rh == nil {
					t.r = j.r[row*j.ldr+col:]
				}
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
			kernel(t)
		}
	}
}
