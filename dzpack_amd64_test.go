//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestAVX512PackDZB runs the dW packer's one-pass kernel (ops.packDZB)
// through packBdZ against packBdZ without it, on the path's other kernels
// (stepGradMask, db by axpy, the copy to dZ, packBRows, each tested against
// the generic code), bit for bit, NaN payloads included (db's NaN comes
// first in both, where Go's db[j] += v may take either): the packed panels with
// their zero padding, db and dZ, with and without db and dZ, over rows
// around the groups of 8 and the calls of 64, columns around the vector
// and the mask word, blocks that start inside the matrices, strided and
// misaligned operands in guard bands, special values in dR and db. dR and
// the mask must be unchanged.
func TestAVX512PackDZB(t *testing.T) {
	gemmAVX512Impl(t) // skips without AVX-512
	// The whole path's ops: the composition's db is its axpy, whose NaN
	// meeting a NaN is the instruction's; the generic db[j] += v leaves
	// that to the compiler, and it differs with -race.
	o32, o64 := avx512Path.f32, avx512Path.f64
	testPackDZB(t, &o32)
	testPackDZB(t, &o64)
}

func testPackDZB[T Float](t *testing.T, o *ops[T]) {
	if o.packDZB == nil {
		t.Fatal("the path has no packDZB")
	}
	g := *o // the path's four-pass composition
	g.packDZB = nil
	nr := o.nr
	r := newRand(uint64(nr) + 71)
	rowsCases := []int{1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 72, 131}
	nbCases := dedup(append(around(nr), 63, 64, 65, 127, 130))
	i := 0
	for _, rows := range rowsCases {
		for _, nb := range nbCases {
			if nb == 0 {
				continue
			}
			for _, want := range []struct{ db, dz bool }{{true, true}, {true, false}, {false, true}, {false, false}} {
				i++
				lo := layouts[i%len(layouts)]
				p0, j0 := i%3, 64*(i%2)
				name := fmt.Sprintf("%s/rows=%d/nb=%d/db=%v/dz=%v/p0=%d/j0=%d", typeName[T](), rows, nb, want.db, want.dz, p0, j0)
				checkPackDZB(t, name, o, &g, r, lo, p0, j0, rows, nb, nr, want.db, want.dz)
			}
		}
	}
}

func checkPackDZB[T Float](t *testing.T, name string, o, g *ops[T], r *rand.Rand, lo layout, p0, j0, kb, nb, nr int, withDB, withDZ bool) {
	t.Helper()
	m, n := p0+kb, j0+nb
	dr := newMat[T](m, n, lo)
	dr.fill(func(int, int) T {
		if r.IntN(8) == 0 {
			return randSpecial(r, specials[T]())
		}
		return randVal[T](r)
	})
	stride := MaskWords(n) + r.IntN(2)
	bits := make([]uint64, m*stride)
	for i := range bits {
		bits[i] = r.Uint64()
	}
	bits0 := append([]uint64(nil), bits...)
	dr0 := dr.clone()
	src := func(op *ops[T], db, dz *mat[T]) dzSource[T] {
		s := dzSource[T]{o: op, dr: dr.arg(), lddr: dr.ld, bits: bits, stride: stride}
		if db != nil {
			s.db = db.arg()
		}
		if dz != nil {
			s.dz, s.lddz = dz.arg(), dz.ld
		}
		return s
	}
	var db, dz *mat[T]
	if withDB {
		db = newMat[T](1, n, layout{})
		db.fill(func(int, int) T {
			if r.IntN(8) == 0 {
				return randSpecial(r, specials[T]())
			}
			return randVal[T](r)
		})
	}
	if withDZ {
		dz = newMat[T](m, n, layouts[(kb+nb)%len(layouts)])
	}
	// The packed block in a guard band.
	size := ceilDiv(nb, nr) * nr * kb
	out := make([]T, headGuard+size+tailGuard)
	for k := range out {
		out[k] = guard[T]()
	}
	want := append([]T(nil), out...)
	wdb, wdz := db.clone(), dz.clone()

	gs := src(g, wdb, wdz)
	blk := make([]T, 5*nb) // 5 rows a time: the generic route's chunks
	packBdZ(g, want[headGuard:headGuard+size], &gs, p0, j0, kb, nb, nr, blk, withDB || withDZ)
	os := src(o, db, dz)
	packBdZ(o, out[headGuard:headGuard+size], &os, p0, j0, kb, nb, nr, blk, withDB || withDZ)

	for k := range out {
		if bitsOf(out[k]) != bitsOf(want[k]) {
			t.Fatalf("%s: packed[%d] (from %d) = %s, want %s", name, k, headGuard, fmtBits(out[k]), fmtBits(want[k]))
		}
	}
	if db != nil {
		sameMat(t, name+"/db", db, wdb)
	}
	if dz != nil {
		sameMat(t, name+"/dz", dz, wdz)
	}
	sameMat(t, name+"/dr", dr, dr0)
	for k := range bits {
		if bits[k] != bits0[k] {
			t.Fatalf("%s: mask word %d changed", name, k)
		}
	}
}

// sameMat fails unless got's buffer, elements and guards, is want's bit
// for bit.
func sameMat[T Float](t *testing.T, name string, got, want *mat[T]) {
	t.Helper()
	for k := range want.buf {
		if bitsOf(got.buf[k]) != bitsOf(want.buf[k]) {
			t.Fatalf("%s: buf[%d] (element: %v) = %s, want %s", name, k, got.isElem(k), fmtBits(got.buf[k]), fmtBits(want.buf[k]))
		}
	}
}

// BenchmarkAVX512PackDZB measures the dW packer of B = dZ on a K panel of
// the standard shapes (kb rows of dR and the mask, nb columns, with db
// and dZ as on the backward pass's visit): the one-pass kernel (ops.packDZB)
// and the composition it replaces (stepGradMask into rows, db by axpy, the
// copy to dZ, packBRows), in G elements/s:
//
//	go test -run '^$' -bench 'AVX512PackDZB' -cpu 1 -count 3
func BenchmarkAVX512PackDZB(b *testing.B) {
	gemmAVX512Impl(b)
	o := avx512Path.f32
	two := o
	two.packDZB = nil
	for _, s := range [][2]int{{1024, 1024}, {256, 256}, {64, 256}} {
		kb, nb := s[0], s[1]
		r := newRand(3)
		dr := make([]float32, kb*nb)
		for i := range dr {
			dr[i] = randVal[float32](r)
		}
		bits := make([]uint64, kb*MaskWords(nb))
		for i := range bits {
			bits[i] = r.Uint64()
		}
		db, dz, dst := make([]float32, nb), make([]float32, kb*nb), make([]float32, kb*nb)
		blk := make([]float32, dzBElems)
		src := dzSource[float32]{dr: dr, lddr: nb, bits: bits, stride: MaskWords(nb), db: db, dz: dz, lddz: nb}
		for _, v := range []struct {
			name string
			o    *ops[float32]
		}{{"onepass", &o}, {"composed", &two}} {
			b.Run(fmt.Sprintf("%s/%dx%d", v.name, kb, nb), func(b *testing.B) {
				s := src
				s.o = v.o
				for b.Loop() {
					packBdZ(v.o, dst, &s, 0, 0, kb, nb, 16, blk[:min(dzBRows, dzBElems/nb)*nb], true)
				}
				b.ReportMetric(float64(kb*nb)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}
