//go:build amd64 && gc && !purego

package kernels

// packBPairsFast packs whole pairs of rows of an untransposed B for the
// dot tile (16-column panels), where the path has an assembly packer.
var packBPairsFast = packBPairsViaAVX512

// packBPairsOfFast is packBPairsFast for a float32 B, rounded to
// bfloat16 as it is packed.
var packBPairsOfFast = packBPairsOfViaAVX512

// packBPairsViaAVX512 checks the extent packBPairsAVX512 reads and
// writes: pairs·2 rows of nb columns from b, ldb apart, into ⌈nb/16⌉
// panels panel elements apart, steps step apart.
func packBPairsViaAVX512(dst []float32, b []BF16, ldb, pairs, nb, panel, step int) {
	if pairs == 0 || nb == 0 {
		return
	}
	b = b[:(2*pairs-1)*ldb+nb]
	dst = dst[:(ceilDiv(nb, 16)-1)*panel+(pairs-1)*step+16]
	packBPairsAVX512(dst, bf16Bits(b), ldb, pairs, nb, panel, step)
}

// packBPairsOfViaAVX512 is packBPairsViaAVX512 for a float32 b, rounded
// by packBPairsOfAsm.
func packBPairsOfViaAVX512(dst []float32, b []float32, ldb, pairs, nb, panel, step int) {
	if pairs == 0 || nb == 0 {
		return
	}
	b = b[:(2*pairs-1)*ldb+nb]
	dst = dst[:(ceilDiv(nb, 16)-1)*panel+(pairs-1)*step+16]
	packBPairsOfAsm(dst, b, ldb, pairs, nb, panel, step)
}

// packBPairsOfAsm is the float32 pairs packer: by VCVTNE2PS2BF16 where
// the core has it (hasCvtBF16), else on the integer bits.
var packBPairsOfAsm = func() func(dst []float32, b []float32, ldb, pairs, nb, panel, step int) {
	if hasCvtBF16 {
		return packBPairsOfCvtAVX512
	}
	return packBPairsOfAVX512
}()

// selectFast builds a row of dZ in bfloat16 from its first mask word on
// (rowH: dz[j] = dr[j] where bit j of bits is set, else +0) in assembly
// and returns how many values it did: all of them.
func selectFast(dz, dr []BF16, bits []uint64) int {
	n := min(len(dz), len(dr))
	if n > 0 {
		selectBF16AVX512(bf16Bits(dz[:n]), bf16Bits(dr[:n]), bits[:MaskWords(n)])
	}
	return n
}

// selectAddFast is selectFast that also adds the row into db (len(dz)
// values, as visitWide's axpy by 1 adds them) in the same pass, in
// assembly; it reports whether it did: always, here.
func selectAddFast(dz, dr []BF16, bits []uint64, db []float32) bool {
	n := len(dz)
	selectAddBF16AVX512(bf16Bits(dz), bf16Bits(dr[:n]), bits[:MaskWords(n)], db[:n])
	return true
}

// dzPairsFast builds rows × nb of dZ from a bfloat16 dR and the mask bits
// (from bit bcol of each row's words, a multiple of 16) and packs them in
// pairs into a K block's panels of nr columns and kp pair steps, adding
// them into db and writing them to dz where those are not empty, in one
// pass (packDZBPairsAVX512); it reports whether it did (always, here).
// The operands are sliced to what the assembly reads and writes, so that
// a short one panics here rather than faulting there. A wider panel (nr
// = 32) goes 16 columns at a time, each part's pairs nr apart.
var dzPairsFast = dzPairsViaAVX512

func dzPairsViaAVX512(dst []float32, dr []BF16, lddr int, bits []uint64, stride, bcol int, db []float32, dz []BF16, lddz, rows, nb, nr, kp int) bool {
	if rows <= 0 || nb <= 0 {
		return true
	}
	dst = dst[:(ceilDiv(nb, nr)-1)*nr*kp+ceilDiv(rows, 2)*nr]
	dr = dr[:(rows-1)*lddr+nb]
	bits = bits[:(rows-1)*stride+MaskWords(bcol+nb)]
	if len(db) != 0 {
		db = db[:nb]
	}
	if len(dz) != 0 {
		dz = dz[:(rows-1)*lddz+nb]
	}
	if nr == 16 {
		packDZBPairsAVX512(dst, bf16Bits(dr), lddr, bits, stride, bcol, db, bf16Bits(dz), lddz, rows, nb, 16*kp, 16)
		return true
	}
	for c := 0; c < nb; c += 16 {
		w := min(16, nb-c)
		var dbc []float32
		var dzc []BF16
		if len(db) != 0 {
			dbc = db[c : c+w]
		}
		if len(dz) != 0 {
			dzc = dz[c:]
		}
		packDZBPairsAVX512(dst[c/nr*nr*kp+c%nr:], bf16Bits(dr[c:]), lddr, bits[(bcol+c)/64:], stride, (bcol+c)%64, dbc, bf16Bits(dzc), lddz, rows, w, 16, nr)
	}
	if c := roundUp(nb, 16); c%nr != 0 { // the last panel's parts past nb
		last := dst[c/nr*nr*kp:]
		for q := range ceilDiv(rows, 2) {
			clear(last[q*nr+c%nr : (q+1)*nr])
		}
	}
	return true
}
