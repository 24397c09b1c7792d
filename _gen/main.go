// Command _gen writes the package's assembly and its Go declarations from
// one description of each routine: kernels_amd64.s and kernels_amd64.go
// with avo, tiles_amd64.go (the Go side of the AVX-512 tiles' table),
// kernels_arm64.s and kernels_arm64.go with the emitter in arm64.go (avo
// has no arm64). Run it with go generate in the root
// package; CI regenerates and fails on any difference.
package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
)

var (
	arm64Out   = flag.String("arm64-out", "", "arm64 assembly file to write")
	arm64Stubs = flag.String("arm64-stubs", "", "arm64 Go declarations file to write")
	tilesOut   = flag.String("tiles-out", "", "Go file of the AVX-512 tiles' table to write (tiles_amd64.go)")
)

func main() {
	// avo's Generate parses the flags (its -out, -stubs, -pkg and ours).
	ConstraintExpr("amd64,gc,!purego")
	genElementwise()
	genRows()
	genDZPack()
	genAVX2()
	genAVX512()
	genPackedRowsAll()
	genBF16()
	genBF16Dot()
	Generate()
	if *tilesOut != "" {
		if err := writeAVX512Table(*tilesOut); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	genARM64(*arm64Out, *arm64Stubs)
}
