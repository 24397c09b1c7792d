package kernels

import "unsafe"

// The bfloat16 dot-product route. On a core with AVX512_BF16 the AVX-512
// path has a second float32 tile (gemmConfig.dotTile) whose k step is a pair
// of bfloat16 values: VDPBF16PS multiplies the pair of A's row by the
// pairs of B's columns and adds both products into the float32
// accumulator, twice the products of an FMA a cycle. A job whose A and B
// are both bfloat16 (gemmJob.dot) runs on it: its packers lay out pairs
// instead of widened values, and everything else (blocking, threads, the
// epilogues) is the float32 job's.
//
// A pair sits in a float32's 4 bytes, the even k in the low half (the
// first in memory): packed A holds, for a panel of mr rows, step p's
// pair of each row, mr·4 bytes a step; packed B, for a panel of nr
// columns, step p's pair of each column. A K block of kb values is
// dotPairs(kb) steps, its last pair padded with +0 for odd kb (+0·+0 = +0
// adds nothing: the accumulator starts at +0 and never holds −0).
//
// What a step computes (Intel's definition, measured bit for bit on Zen
// 4): acc = fma(e_B, e_A, fma(o_B, o_A, acc)) for the even (e) and odd (o)
// values of the pairs, in float32, each FMA rounded to nearest even with
// denormal inputs (the bfloat16 values and acc) read as zero and denormal
// results flushed to zero. The sums are those of the float32 tiles on the
// widened values but for that flushing and the order: the float32 tile
// adds k in order, one FMA each; here the odd value of a pair is added
// before the even one. ForwardBF16's doc says it for users.

// takesDot reports whether job j runs on the dot tile: where the path has
// one and A and B are bfloat16, on B prepacked in pairs always (and never
// on B prepacked otherwise), on a float32 B to round (operand.round)
// always too, so that ForwardBF16's W32 gives what a PW packed from it
// gives, on other B unless the job takes the rows route, which reads B
// where it lies rather than packing all of it for a few rows: below
// routeLimits.dotRowsBelow rows or for K ≤ smallK. The jobs of the dot
// tile have its sums, the others the float32 kernels' on the widened
// values.
func takesDot[T Float](o *ops[T], j *gemmJob[T]) bool {
	if o.dotTile == nil || !dotOperand(&j.a, &j.src) {
		return false
	}
	if j.b.prepacked {
		return j.b.pairs
	}
	if j.b.round {
		return true
	}
	return dotOperand(&j.b, &j.src) && j.m >= o.limits.dotRowsBelow && j.k > o.limits.smallK
}

// dotRowsBelow is routeLimits.dotRowsBelow of every class: on Zen 4 the
// rows route ran a 784×256 bfloat16 W at 34 GFLOPS for 1 to 8 rows, the
// dot tile with W packed in pairs first at 20 (1 row), 36 (2) and 51 (4)
// (TUNING.md).
const dotRowsBelow = 3

// dotPairs is the k steps of the dot tile for kb values of K.
func dotPairs(kb int) int { return (kb + 1) / 2 }

// dotSteps is the dot tile's k steps in the first k values of K, in
// blocks of kc: a PackedW of pairs (PackBF16) holds a column block's K
// blocks one after another, each dotPairs(kb) steps of its nbr columns,
// its column blocks dotSteps(K, kc)·nbr elements each: half of the
// float32 panels' space.
func dotSteps(k, kc int) int { return k/kc*dotPairs(kc) + dotPairs(k%kc) }

// steps is the tile's k steps for k values of K in blocks of kc: k, or
// the dot tile's pairs (dotSteps).
func (j *gemmJob[T]) steps(k, kc int) int {
	if j.dot {
		return dotSteps(k, kc)
	}
	return k
}

// asU32 is s's memory as uint32: a packed pair is bits, never a float32
// value (a NaN pattern must not pass through a float register).
func asU32(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// pair is the packed pair of e (the even k) and o.
func pair(e, o BF16) uint32 { return uint32(e) | uint32(o)<<16 }

// bf16Of is x as a bfloat16: itself, or a float32 rounded (BF16From).
func bf16Of[E BF16 | float32](x E) BF16 {
	if unsafe.Sizeof(x) == 2 {
		return *(*BF16)(unsafe.Pointer(&x))
	}
	return BF16From(*(*float32)(unsafe.Pointer(&x)))
}

// pairsFast is the path's assembly packer of pairs of rows of a B stored
// as E (packBPairsFast, packBPairsOfFast), or nil.
func pairsFast[E BF16 | float32]() func(dst []float32, b []E, ldb, pairs, nb, panel, step int) {
	var f any = packBPairsFast
	if unsafe.Sizeof(*new(E)) == 4 {
		f = packBPairsOfFast
	}
	fast, _ := f.(func(dst []float32, b []E, ldb, pairs, nb, panel, step int))
	return fast
}

// packAPairs is ops.packA for the dot tile: rows i0 … i0+mb−1 and columns
// p0 … p0+kb−1 of A stored in h (leading dimension ld; a transposed A
// is packBPairs' packing of h), into panels of mr rows and dotPairs(kb)
// steps, dst[q·mr·kp + p·mr + i] the pair of row q·mr+i at step p; rows
// past mb are +0.
//
// An untransposed A of even ld, even kb and 4-byte aligned rows is a
// float32 matrix of its pairs (ld/2 apart, kb/2 columns): the path's
// float32 packer (pack32) packs it so, as it would any float32 A.
func packAPairs(pack32 func(dst, a []float32, lda int, trans bool, i0, p0, mb, kb, mr int), dst []float32, h []BF16, ld int, i0, p0, mb, kb, mr int) {
	if mb == 0 || kb == 0 {
		return
	}
	kp := dotPairs(kb)
	if start := i0*ld + p0; pack32 != nil && ld%2 == 0 && kb%2 == 0 && uintptr(unsafe.Pointer(&h[start]))%4 == 0 {
		n := (mb-1)*(ld/2) + kp
		_ = h[start+2*n-1] // the pairs packed are within h
		if raceEnabled {
			raceOperand(h, ld, false, i0, p0, mb, kb)
		}
		pack32(dst, unsafe.Slice((*float32)(unsafe.Pointer(&h[start])), n), ld/2, false, 0, 0, mb, kp, mr)
		return
	}
	u := asU32(dst[:roundUp(mb, mr)*kp])
	if raceEnabled {
		raceOperand(h, ld, false, i0, p0, mb, kb)
		raceWrite(dst[:len(u)])
	}
	for q := 0; q < mb; q += mr {
		pu := u[q*kp : (q+mr)*kp]
		rows := min(mr, mb-q)
		for i := range rows {
			row := h[(i0+q+i)*ld+p0:]
			row = row[:kb]
			for p := range kb / 2 {
				pu[p*mr+i] = pair(row[2*p], row[2*p+1])
			}
			if kb%2 != 0 {
				pu[(kp-1)*mr+i] = pair(row[kb-1], 0)
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kp {
				pu[p*mr+i] = 0
			}
		}
	}
}

// packBPairs is ops.packB for the dot tile: rows p0 … p0+kb−1 and columns
// j0 … j0+nb−1 of B stored in h (leading dimension ld; a transposed B is
// packAPairs' packing of h), into panels of nr columns and dotPairs(kb)
// steps, dst[q·nr·kp + p·nr + j] the pair of column q·nr+j at step p;
// columns past nb are +0.
func packBPairs(dst []float32, h []BF16, ld int, p0, j0, kb, nb, nr int) {
	packBPairsPart(dst, h, ld, p0, j0, kb, nb, nr, dotPairs(kb))
}

// packBPairsPart is packBPairs into the first dotPairs(kb) steps of panels
// of kp steps (kp ≥ dotPairs(kb)), dst[q·nr·kp + p·nr + j]: a part of a
// K block's packing, the rest of its steps left as they are. B is stored
// in bfloat16 or in float32, rounded as it is packed (BF16From: the pairs
// are those of ToBF16's result).
func packBPairsPart[E BF16 | float32](dst []float32, h []E, ld int, p0, j0, kb, nb, nr, kp int) {
	if kb == 0 || nb == 0 {
		return
	}
	kq := dotPairs(kb) // the steps written
	u := asU32(dst[:(ceilDiv(nb, nr)-1)*nr*kp+kq*nr])
	if raceEnabled {
		raceOperand(h, ld, false, p0, j0, kb, nb)
		raceWrite(dst[:len(u)])
	}
	// Two rows of h a step, each panel's nr columns of them.
	from := 0 // the first pair left to Go
	if fast := pairsFast[E](); fast != nil && nr%16 == 0 && kb > 1 {
		if nr == 16 {
			fast(dst, h[p0*ld+j0:], ld, kb/2, nb, nr*kp, nr)
		} else { // a 16-column part of a wider panel at a time
			for c := 0; c < nb; c += 16 {
				fast(dst[c/nr*nr*kp+c%nr:], h[p0*ld+j0+c:], ld, kb/2, min(16, nb-c), nr*kp, nr)
			}
		}
		from = kb / 2
	}
	for p := from; p < kq; p++ {
		e := h[(p0+2*p)*ld+j0:]
		e = e[:nb]
		var o []E
		if 2*p+1 < kb {
			o = h[(p0+2*p+1)*ld+j0:]
			o = o[:nb]
		}
		for q := 0; q < nb; q += nr {
			pu := u[q*kp+p*nr : q*kp+p*nr+min(nr, nb-q)]
			if o == nil {
				for j := range pu {
					pu[j] = pair(bf16Of(e[q+j]), 0)
				}
				continue
			}
			for j := range pu {
				pu[j] = pair(bf16Of(e[q+j]), bf16Of(o[q+j]))
			}
		}
	}
	if r := nb % nr; r != 0 { // the last panel's columns past nb
		// fast wrote zeros past nb in its 16-column part: only the
		// parts it never reached, and the pair left to Go, are cleared.
		last := u[(nb-r)*kp:]
		if lo := roundUp(r, 16); lo < nr {
			for p := range from {
				clear(last[p*nr+lo : (p+1)*nr])
			}
		}
		for p := from; p < kq; p++ {
			clear(last[p*nr+r : (p+1)*nr])
		}
	}
}

// dotOperand reports whether op holds bfloat16 values the dot tile can
// pack in pairs: stored bfloat16 (h: also dZ kept by an earlier GEMM of a
// bfloat16 backward pass), or dZ built from a bfloat16 dR.
func dotOperand[T Float](op *operand[T], src *dzSource[T]) bool {
	return op.h != nil || op.dz && src.drh != nil
}

// packAPairsOf packs rows i0 … i0+mb−1, columns p0 … p0+kb−1 of the dot
// job's op(A) in pairs (packAPairs' layout), from whichever form A has;
// dZ is built a panel at a time in blk (mr·kb elements), visited as
// packAdZ visits it.
func packAPairsOf(o *ops[float32], j *gemmJob[float32], dst []float32, i0, p0, mb, kb, mr int, blk []float32, visit bool) {
	a := &j.a
	switch {
	case a.dz:
		packAdZPairs(o, dst, &j.src, i0, p0, mb, kb, mr, blk, visit)
	case a.h != nil && a.trans:
		// op(A) = hᵀ: A's k are h's rows, its rows h's columns: B's
		// packing of h, mr columns a panel.
		packBPairs(dst, a.h, a.ld, p0, i0, kb, mb, mr)
	case a.h != nil:
		packAPairs(o.packA, dst, a.h, a.ld, i0, p0, mb, kb, mr)
	default:
		panic("kernels: internal error: no bfloat16 A for the dot tile")
	}
}

// packBPairsOf is packAPairsOf for op(B): rows p0 … p0+kb−1, columns j0 …
// j0+nb−1 in packBPairs' layout; dZ built len(blk)/nb rows at a time.
func packBPairsOf(o *ops[float32], j *gemmJob[float32], dst []float32, p0, j0, kb, nb, nr int, blk []float32, visit bool) {
	b := &j.b
	switch {
	case b.dz:
		packBdZPairs(o, dst, &j.src, p0, j0, kb, nb, nr, blk, visit)
	case b.h != nil && b.trans:
		// op(B) = hᵀ: B's columns are h's rows, A's packing of h.
		packAPairs(packAOfWidth(o, nr), dst, b.h, b.ld, j0, p0, nb, kb, nr)
	case b.h != nil:
		packBPairs(dst, b.h, b.ld, p0, j0, kb, nb, nr)
	case b.round:
		packBPairsPart(dst, b.s, b.ld, p0, j0, kb, nb, nr, dotPairs(kb))
	default:
		panic("kernels: internal error: no bfloat16 B for the dot tile")
	}
}

// packAOfWidth is the float32 packer of A for panels nr high, packing a
// transposed B's pairs as A's: the path's where its panels are that high,
// else the generic one.
func packAOfWidth(o *ops[float32], nr int) func(dst, a []float32, lda int, trans bool, i0, p0, mb, kb, mr int) {
	if o.mr == nr {
		return o.packA
	}
	return packAGeneric[float32]
}

// asBF16 is s's memory as bfloat16 values, two an element.
func asBF16(s []float32) []BF16 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*BF16)(unsafe.Pointer(&s[0])), 2*len(s))
}

// rowH is dzSource.row for the dot tile's packers, in bfloat16:
// dZ(i, j0 … j0+len(out)−1) = dR where the mask bit is set, else +0 (the
// select of at: the values row builds, not widened), into out; on the
// visit, copied to dzh and widened into wide (len(out) elements at least)
// for db and dz. The source is a bfloat16 dR and the mask (dotOperand).
func rowH(s *dzSource[float32], out []BF16, i, j0 int, visit bool, wide []float32) {
	n := len(out)
	h := s.drh[i*s.lddr+j0 : i*s.lddr+j0+n]
	bit := func(j int) bool { return s.bits[i*s.stride+j/64]>>(j%64)&1 != 0 }
	sel := func(j int) {
		out[j] = 0
		if bit(j0 + j) {
			out[j] = h[j]
		}
	}
	// Up to a mask word by Go, then the rest in assembly where there is
	// (selectFast; by Go elsewhere), which on a visit that wants dZ only
	// for db adds it there in the same pass (selectAddFast).
	head, bits := s.maskFrom(i, j0, n)
	for j := range head {
		sel(j)
	}
	done, added := head, false
	if head < n {
		if raceEnabled {
			raceRead(h[head:])
			raceRead(bits)
			raceWrite(out[head:])
		}
		if visit && s.db != nil && s.dz == nil {
			db := s.db[j0+head : j0+n]
			if raceEnabled {
				raceRead(db)
				raceWrite(db)
			}
			added = selectAddFast(out[head:], h[head:], bits, db)
		}
		if added {
			done = n
		} else {
			done += selectFast(out[head:], h[head:], bits)
		}
	}
	for j := done; j < n; j++ {
		sel(j)
	}
	if !visit {
		return
	}
	if s.dzh != nil {
		copy(s.dzh[i*s.lddz+j0:i*s.lddz+j0+n], out)
	}
	if s.db != nil || s.dz != nil {
		v := out
		if added {
			v = out[:head] // the rest is in db already
		}
		if len(v) == 0 {
			return
		}
		wide = wide[:len(v)]
		if raceEnabled {
			raceRead(v)
			raceWrite(wide)
		}
		s.widen(wide, v)
		s.visitWide(wide, i, j0)
	}
}

// packAdZPairs is packAdZ in pairs: a panel of dZ's rows built in
// bfloat16 (rowH; visited in order) in blk's first mr·kp elements, each
// row of pairs kp apart (an odd kb's last pair padded with +0), then
// packed by the path's float32 packer as a float32 A of its pairs; blk's
// next kb elements widen a row for the visit.
func packAdZPairs(o *ops[float32], dst []float32, s *dzSource[float32], i0, p0, mb, kb, mr int, blk []float32, visit bool) {
	kp := dotPairs(kb)
	rowsH, wide := asBF16(blk[:mr*kp]), blk[mr*kp:mr*kp+kb]
	for ip := 0; ip < mb; ip += mr {
		rows := min(mr, mb-ip)
		for q := range rows {
			row := rowsH[2*q*kp : 2*(q+1)*kp]
			rowH(s, row[:kb], i0+ip+q, p0, visit, wide)
			if kb%2 != 0 {
				row[kb] = 0
			}
		}
		panel := dst[ip*kp : (ip+mr)*kp]
		if raceEnabled {
			raceWrite(panel)
		}
		o.packA(panel, blk[:mr*kp], kp, false, 0, 0, rows, kp, mr)
	}
}

// packBdZPairs is packBdZ in pairs: an even number of dZ's rows built in
// bfloat16 (rowH; visited in order) at a time in blk's first half, then
// packed in pairs of rows by packBPairsPart into their steps of the
// panels; blk's second half widens a row for the visit. Columns go in
// chunks of half of blk's width at most.
func packBdZPairs(o *ops[float32], dst []float32, s *dzSource[float32], p0, j0, kb, nb, nr int, blk []float32, visit bool) {
	if kb == 0 || nb == 0 {
		return
	}
	kp := dotPairs(kb)
	if s.z == nil && s.bits != nil && s.dz == nil && j0%16 == 0 {
		// In one pass where the path has it (dzPairsFast): the mask
		// words of column j0 on, db, and dZ in bfloat16 for dX.
		var db []float32
		var dzh []BF16
		if visit && s.db != nil {
			db = s.db[j0 : j0+nb]
		}
		if visit && s.dzh != nil {
			dzh = s.dzh[p0*s.lddz+j0:]
		}
		dr, bits := s.drh[p0*s.lddr+j0:], s.bits[p0*s.stride+j0/64:]
		if raceEnabled {
			raceDZPack(dr, s.lddr, bits, s.stride, j0%64, dst[:ceilDiv(nb, nr)*nr*kp], db, dzh, s.lddz, kb, nb)
		}
		if dzPairsFast(dst, dr, s.lddr, bits, s.stride, j0%64, db, dzh, s.lddz, kb, nb, nr, kp) {
			return
		}
	}
	rowsH, wide := asBF16(blk[:len(blk)/2]), blk[len(blk)/2:]
	for c0 := 0; c0 < nb; {
		// Columns of this chunk: at least one panel, and two rows of them
		// in rowsH, and a row in wide.
		cw := min(nb-c0, max(nr, len(wide)/nr*nr))
		rows := len(rowsH) / cw &^ 1 // an even number of rows a pass
		if rows < 2 || cw > len(wide) {
			panic("kernels: internal error: dZ scratch of fewer than two rows")
		}
		for p := 0; p < kb; p += rows {
			n := min(rows, kb-p)
			for q := range n {
				rowH(s, rowsH[q*cw:(q+1)*cw], p0+p+q, j0+c0, visit, wide)
			}
			packBPairsPart(dst[c0*kp+p/2*nr:], rowsH, cw, 0, 0, n, cw, nr, kp)
		}
		c0 += cw
	}
}
