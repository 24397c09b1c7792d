//go:build amd64 && gc && !purego

package kernels

// packBPairsFast packs whole pairs of rows of an untransposed B for the
// dot tile (16-column panels), where the path has an assembly packer.
var packBPairsFast = packBPairsViaAVX512

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

// narrowPairsFast narrows the leading pairs of row into d (narrowRow)
// 16 at a time in assembly and returns how many it did.
func narrowPairsFast(d, row []uint32) int {
	n := len(row) / 32 * 16
	if n > 0 {
		narrowPairsAVX512(d[:n], row[:2*n], n)
	}
	return n
}

// interleaveFast sets d[j] = narrowPair(e[j], o[j]) for the leading j, 16
// at a time in assembly, and returns how many it did.
func interleaveFast(d, e, o []uint32) int {
	n := len(d) / 16 * 16
	if n > 0 {
		interleavePairsAVX512(d[:n], e[:n], o[:n], n)
	}
	return n
}
