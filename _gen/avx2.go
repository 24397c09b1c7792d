package main

// genAVX2 writes the AVX2+FMA GEMM tiles and packers.
func genAVX2() {}
