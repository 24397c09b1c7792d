//go:build openblas && cgo

package main

// OpenBLAS through cgo, built with -tags openblas; Debian's
// libopenblas-dev provides the library and cblas.h.

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

// Declared here too, in case cblas.h is another BLAS's.
char *openblas_get_corename(void);
char *openblas_get_config(void);
void openblas_set_num_threads(int);
*/
import "C"

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

const haveOpenBLAS = true

func cTrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

func openblasSgemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.cblas_sgemm(C.CblasRowMajor, cTrans(tA), cTrans(tB), C.blasint(m), C.blasint(n), C.blasint(k), 1,
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

func openblasDgemm(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	C.cblas_dgemm(C.CblasRowMajor, cTrans(tA), cTrans(tB), C.blasint(m), C.blasint(n), C.blasint(k), 1,
		(*C.double)(unsafe.Pointer(&a[0])), C.blasint(lda), (*C.double)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

func measureOpenBLAS(req request) reply { return measureBLAS(req, openblasSgemm, openblasDgemm) }

func openblasCore() string   { return C.GoString(C.openblas_get_corename()) }
func openblasConfig() string { return C.GoString(C.openblas_get_config()) }

func openblasThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// openblasCoreEnv is set, in the process that bench re-runs, to the core
// type that bench chose for OpenBLAS.
const openblasCoreEnv = "FUSEDRELU_BENCH_OPENBLAS_CORETYPE"

// openblasSetup makes sure that OpenBLAS runs kernels for the vector unit
// this CPU has. OpenBLAS picks its kernels once, when the library loads
// (before main), from cpuid or from OPENBLAS_CORETYPE; version 0.3.21
// does not recognise some recent CPUs and falls back to an SSE3 kernel 4-5
// times slower. When the variable is unset and the core OpenBLAS chose
// lacks the CPU's vector unit, openblasSetup sets OPENBLAS_CORETYPE and
// re-runs the program (os.Setenv alone comes too late), and it never
// overrides the user's own setting. It returns a line for the report.
func openblasSetup() string {
	core := openblasCore()
	if chosen := os.Getenv(openblasCoreEnv); chosen != "" {
		return fmt.Sprintf("%s (OPENBLAS_CORETYPE=%s, set by bench: on its own OpenBLAS chose a core without this CPU's vector unit)", core, chosen)
	}
	if v := os.Getenv("OPENBLAS_CORETYPE"); v != "" {
		if want := openblasWantCore(core, cpuFeatureSet()); want != "" {
			fmt.Fprintf(os.Stderr, "bench: OPENBLAS_CORETYPE=%s gives OpenBLAS core %s, without this CPU's vector unit; %s would be faster\n", v, core, want)
		}
		return fmt.Sprintf("%s (OPENBLAS_CORETYPE=%s, set by you)", core, v)
	}
	want := openblasWantCore(core, cpuFeatureSet())
	if want == "" {
		return core + " (chosen by OpenBLAS)"
	}
	fmt.Fprintf(os.Stderr, "bench: OpenBLAS chose core %s for this CPU, without its vector unit; re-running with OPENBLAS_CORETYPE=%s (set it yourself to choose)\n", core, want)
	exe, err := os.Executable()
	if err == nil {
		os.Setenv("OPENBLAS_CORETYPE", want)
		os.Setenv(openblasCoreEnv, want)
		err = syscall.Exec(exe, os.Args, os.Environ())
	}
	fmt.Fprintf(os.Stderr, "bench: cannot re-run (%v): run it again with OPENBLAS_CORETYPE=%s in the environment\n", err, want)
	return fmt.Sprintf("%s (chosen by OpenBLAS; OPENBLAS_CORETYPE=%s would be faster)", core, want)
}

// cpuFeatureSet is cpuFeatures as a set (here, with its only user).
func cpuFeatureSet() map[string]bool {
	m := map[string]bool{}
	for _, f := range cpuFeatures() {
		m[f] = true
	}
	return m
}
