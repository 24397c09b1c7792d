package main

// genARM64 writes the NEON assembly and its Go declarations.
func genARM64(out, stubs string) {}
