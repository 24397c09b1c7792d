package main

// genRows writes the rows route's axpy, axpy4 and dot for AVX2 and AVX-512.
func genRows() {}
