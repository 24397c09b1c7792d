package main

import (
	"reflect"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sys/cpu"
)

// cpuFeatures lists the features golang.org/x/sys/cpu reports for this
// CPU (its HasXxx fields that are true, lower case: avx2, avx512f, fma,
// asimd, ...). x/sys/cpu reports a feature only when the operating system
// also saves its registers.
func cpuFeatures() []string {
	var v reflect.Value
	switch runtime.GOARCH {
	case "amd64", "386":
		v = reflect.ValueOf(cpu.X86)
	case "arm64":
		v = reflect.ValueOf(cpu.ARM64)
	case "arm":
		v = reflect.ValueOf(cpu.ARM)
	case "ppc64", "ppc64le":
		v = reflect.ValueOf(cpu.PPC64)
	case "s390x":
		v = reflect.ValueOf(cpu.S390X)
	default:
		return nil
	}
	var out []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if name, ok := strings.CutPrefix(f.Name, "Has"); ok && f.Type.Kind() == reflect.Bool && v.Field(i).Bool() {
			out = append(out, strings.ToLower(name))
		}
	}
	slices.Sort(out)
	return out
}

// openblasWantCore returns the OPENBLAS_CORETYPE that gives OpenBLAS
// kernels for the vector unit of a CPU with the given x/sys/cpu features,
// when core, the one OpenBLAS chose, lacks it: SkylakeX for AVX-512 (F, CD,
// BW, DQ, VL, as OpenBLAS's SkylakeX kernels need), Haswell for AVX2 and
// FMA. It returns "" when core is right, or the CPU has neither.
func openblasWantCore(core string, features map[string]bool) string {
	core = strings.ToLower(core)
	avx512Cores := []string{"skylakex", "cooperlake", "sapphirerapids"}
	avx2Cores := append([]string{"haswell", "zen"}, avx512Cores...)
	switch {
	case features["avx512f"] && features["avx512cd"] && features["avx512bw"] && features["avx512dq"] && features["avx512vl"]:
		if !slices.Contains(avx512Cores, core) {
			return "SkylakeX"
		}
	case features["avx2"] && features["fma"]:
		if !slices.Contains(avx2Cores, core) {
			return "Haswell"
		}
	}
	return ""
}
