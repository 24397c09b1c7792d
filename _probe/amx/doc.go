// Package amxprobe is an experiment, not part of the kernels: AMX's
// TDPBF16PS run from Go on Linux, to measure its peak and to find, bit
// for bit, what it computes (TUNING.md, "AMX on a Sapphire Rapids core").
// The assembly is written by hand as BYTE lines (Go's assembler has no
// AMX); TestEncodings checks each against GNU as. A product route would
// generate its code in _gen like the rest.
//
// Run it on a core with AMX (elsewhere the tests skip):
//
//	cd _probe/amx && go test -v . && go test -run '^$' -bench Peak .
package amxprobe
