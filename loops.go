package kernels

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
