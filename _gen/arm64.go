package main

import (
	"fmt"
	"os"

	"github.com/fusedrelu/kernels/_gen/arm64"
)

// genARM64 writes the NEON assembly and its Go declarations with the
// emitter of package arm64 (avo has no arm64).
func genARM64(out, stubs string) {
	if err := arm64.Generate(out, stubs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
