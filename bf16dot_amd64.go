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

// packBPairsOfAsm is the float32 pairs packer: by VCVTNEPS2BF16 where
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
