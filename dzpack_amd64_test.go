//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math"
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

// TestPackDZBPairs runs the dot job's one-pass dZ packer (dzPairsFast,
// packDZBPairsAVX512) through packBdZPairs against packBdZPairs without
// it (rowH's select, selectAddBF16AVX512's db, the copy to dZ and the
// pairs packer, each tested on its own), bit for bit, NaN payloads
// included: the panels with their zero padding (an odd last row's high
// halves too) in guard bands, db and dZ (bfloat16, rows in guard bands),
// with and without each, over rows around the groups of 4 and 2, columns
// around the 16-column step and the mask word, a first column inside a
// mask word (j0 = 16, 48, 80), and 16- and 32-column panels. dR and the
// mask must be unchanged.
func TestPackDZBPairs(t *testing.T) {
	if !hasBF16Dot {
		t.Skip("no AVX512_BF16 (or FUSEDRELU_BF16DOT=0)")
	}
	r := newRand(29)
	saved := dzPairsFast
	defer func() { dzPairsFast = saved }()
	const g = 23 // guard elements
	for _, nr := range []int{16, 32} {
		for _, kb := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 64} {
			for _, nb := range []int{1, 10, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130} {
				for c := range 4 {
					withDB, withDZ := c&1 != 0, c&2 != 0
					p0, j0 := r.IntN(3), []int{0, 16, 48, 64, 80}[r.IntN(5)]
					m, n := p0+kb, j0+nb
					lddr, stride, lddz := n+r.IntN(4), MaskWords(n)+r.IntN(2), n+r.IntN(4)
					drh := make([]BF16, m*lddr)
					for i := range drh {
						drh[i] = randDotBF16(r)
					}
					bits := make([]uint64, m*stride)
					for i := range bits {
						bits[i] = r.Uint64()
					}
					drh0, bits0 := append([]BF16(nil), drh...), append([]uint64(nil), bits...)
					kp := dotPairs(kb)
					size := ceilDiv(nb, nr) * nr * kp
					run := func(fast bool) (out, db []float32, dz []BF16) {
						out = make([]float32, g+size+g)
						for i := range out {
							out[i] = float32(i) + 0.25
						}
						s := dzSource[float32]{o: &active.f32, drh: drh, lddr: lddr, bits: bits, stride: stride, widen: active.bf16.from}
						if withDB {
							rb := newRand(uint64(kb*nb + c))
							db = make([]float32, g+n+g)
							for i := range db {
								db[i] = randVal[float32](rb)
							}
							db[g+j0+rb.IntN(nb)] = float32(math.NaN())
							s.db = db[g:]
						}
						if withDZ {
							dz = make([]BF16, g+m*lddz+g)
							for i := range dz {
								dz[i] = 0xDEAD
							}
							s.dzh, s.lddz = dz[g:], lddz
						}
						dzPairsFast = saved
						if !fast {
							dzPairsFast = func([]float32, []BF16, int, []uint64, int, int, []float32, []BF16, int, int, int, int, int) bool {
								return false
							}
						}
						blk := make([]float32, 2*max(4*nr, nb+nr))
						packBdZPairs(&active.f32, out[g:g+size], &s, p0, j0, kb, nb, nr, blk, true)
						return out, db, dz
					}
					got, gdb, gdz := run(true)
					want, wdb, wdz := run(false)
					name := fmt.Sprintf("nr=%d kb=%d nb=%d p0=%d j0=%d db=%v dz=%v", nr, kb, nb, p0, j0, withDB, withDZ)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: packed[%d] (from %d) = %#08x, want %#08x", name, i, g, math.Float32bits(got[i]), math.Float32bits(want[i]))
						}
					}
					for i := range wdb {
						if math.Float32bits(gdb[i]) != math.Float32bits(wdb[i]) {
							t.Fatalf("%s: db[%d] (from %d) = %#08x, want %#08x", name, i, g, math.Float32bits(gdb[i]), math.Float32bits(wdb[i]))
						}
					}
					for i := range wdz {
						if gdz[i] != wdz[i] {
							t.Fatalf("%s: dz[%d] (from %d) = %#04x, want %#04x", name, i, g, gdz[i], wdz[i])
						}
					}
					for i := range drh {
						if drh[i] != drh0[i] {
							t.Fatalf("%s: dR changed at %d", name, i)
						}
					}
					for i := range bits {
						if bits[i] != bits0[i] {
							t.Fatalf("%s: mask word %d changed", name, i)
						}
					}
				}
			}
		}
	}
}
