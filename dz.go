package kernels

import "unsafe"

// Building dZ = dR ⊙ [Z ≥ 0] for the backward GEMMs: the source rows,
// the dZ packers of A and B, and the visit that sums db and writes dZ.

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
	// drh, when not nil, is dR in bfloat16 in place of dr (lddr apart),
	// widened by widen (the path's FromBF16) before the select.
	drh   []BF16
	widen func(dst []float32, src []BF16)
	// dzh, when not nil, receives dZ in place of dz, in bfloat16 (its
	// values are dR's), rows lddz apart: BackwardBF16's dZ for dX.
	dzh []BF16
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
	if s.drh != nil {
		return T(s.drh[i*s.lddr+j].Float32())
	}
	return s.dr[i*s.lddr+j]
}

// row computes dZ(i, j0 … j0+len(out)−1) into out, with the path's
// elementwise kernels (the selects of at); on the visit it adds the values
// into db and writes them to dz.
func (s *dzSource[T]) row(out []T, i, j0 int, visit bool) {
	n := len(out)
	var dr []T
	if s.drh != nil {
		// Widened into out, then selected in place (the step kernels
		// allow dz = dr).
		h := s.drh[i*s.lddr+j0 : i*s.lddr+j0+n]
		if raceEnabled {
			raceRead(h)
			raceWrite(out)
		}
		s.widen(asF32(out), h)
		dr = out
	} else {
		dr = s.dr[i*s.lddr+j0 : i*s.lddr+j0+n]
	}
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
		h, bits := s.maskFrom(i, j0, n)
		for j := range h {
			out[j] = s.at(i, j0+j)
		}
		if h < n {
			if raceEnabled {
				raceRead(dr[h:])
				raceRead(bits)
				raceWrite(out[h:])
			}
			s.o.stepGradMask(out[h:], dr[h:], bits)
		}
	}
	if visit {
		s.visit(out, i, j0)
	}
}

// maskFrom splits columns j0 … j0+n−1 of row i at the first mask word
// boundary: head, the columns before it, and bits, the mask words of the
// rest (nil if none).
func (s *dzSource[T]) maskFrom(i, j0, n int) (head int, bits []uint64) {
	head = min(n, (64-j0%64)%64)
	if head < n {
		w := i*s.stride + (j0+head)/64
		bits = s.bits[w : w+MaskWords(n-head)]
	}
	return head, bits
}

// visit adds dZ(i, j0 … j0+len(out)−1), in out, into db and writes it to
// dz or dzh, where they are wanted.
func (s *dzSource[T]) visit(out []T, i, j0 int) {
	s.visitWide(out, i, j0)
	if s.dzh != nil {
		// out holds bfloat16 values widened to float32 (T is float32 in
		// a bfloat16 pass): their top halves, exactly.
		d := s.dzh[i*s.lddz+j0 : i*s.lddz+j0+len(out)]
		for j := range out {
			d[j] = BF16(*(*uint32)(unsafe.Pointer(&out[j])) >> 16)
		}
	}
}

// visitWide is visit without dzh: db and the float32 dz.
func (s *dzSource[T]) visitWide(out []T, i, j0 int) {
	if s.db != nil {
		// db += out, by the path's axpy: a multiply-add by 1 rounds as
		// the add does. Where db and out are both NaN it keeps the one
		// the core's FMA keeps (out's on Zen 4, not db's as db[j] += v
		// would): every route of a pass adds by it, so that thread
		// counts agree (selectAddBF16AVX512 uses the same instruction).
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

// The dZ packers build dZ a few rows at a time into scratch with the
// path's step kernels (dzSource.row: the visit adds them into db in row
// order), then pack those rows with the path's packers: both steps in
// assembly where the path has it, rather than scattering each element
// into the panels in Go (TUNING.md).

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
// raceDZPack tells the race detector what a one-pass dZ packer reads and
// writes: kb rows of nb values of dR (lddr apart) and of their mask bits
// (from bit bcol of each row's first word, stride words apart), all of
// packed, db, and dZ's rows (lddz apart) where it is not nil.
func raceDZPack[E, P, D any](dr []E, lddr int, bits []uint64, stride, bcol int, packed, db []P, dz []D, lddz, kb, nb int) {
	raceOperand(dr, lddr, false, 0, 0, kb, nb)
	raceOperand(bits, stride, false, 0, 0, kb, MaskWords(bcol+nb))
	raceWrite(packed)
	raceRead(db)
	raceWrite(db)
	if dz != nil {
		for p := range kb {
			raceWrite(dz[p*lddz : p*lddz+nb])
		}
	}
}

func packBdZ[T Float](o *ops[T], dst []T, s *dzSource[T], p0, j0, kb, nb, nr int, blk []T, visit bool) {
	if o.packDZB != nil && s.z == nil && s.drh == nil && j0%64 == 0 && kb > 0 {
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
			raceDZPack(dr, s.lddr, bits, s.stride, 0, dst[:ceilDiv(nb, nr)*nr*kb], db, dz, s.lddz, kb, nb)
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
