package main

// genDZPack writes the AVX-512 dZ packers of the backward pass.
func genDZPack() {}
