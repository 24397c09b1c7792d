//go:build !openblas || !cgo

package main

// Without -tags openblas (or without cgo) there is no OpenBLAS to compare.

const haveOpenBLAS = false

func measureOpenBLAS(req request) reply { return reply{Err: "built without -tags openblas"} }
func openblasSetup() string             { return "" }
func openblasConfig() string            { return "" }
func openblasThreads(int)               {}

func openblasSgemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("built without -tags openblas")
}

func openblasDgemm(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	panic("built without -tags openblas")
}
