//go:build !amd64 || !gc || purego

package kernels

// packBPairsFast and packBPairsOfFast are nil: no path without AVX-512
// has the dot tile.
var (
	packBPairsFast   func(dst []float32, b []BF16, ldb, pairs, nb, panel, step int)
	packBPairsOfFast func(dst []float32, b []float32, ldb, pairs, nb, panel, step int)
)

func selectFast(dz, dr []BF16, bits []uint64) int { return 0 }

func selectAddFast(dz, dr []BF16, bits []uint64, db []float32) bool { return false }

// dzPairsFast is the one-pass dZ pairs packer: none here.
var dzPairsFast = func(dst []float32, dr []BF16, lddr int, bits []uint64, stride, bcol int, db []float32, dz []BF16, lddz, rows, nb, nr, kp int) bool {
	return false
}
