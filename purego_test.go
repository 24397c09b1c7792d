package kernels

// The purego build: no assembly is built, and only the generic path runs.

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// builtWithTag reports whether this test binary was built with the build
// tag, from its build information (ok false when that is missing).
func builtWithTag(tag string) (has, ok bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false, false
	}
	for _, s := range bi.Settings {
		if s.Key == "-tags" {
			for _, t := range strings.Split(s.Value, ",") {
				if strings.TrimSpace(t) == tag {
					return true, true
				}
			}
		}
	}
	return false, true
}

// TestPuregoImpls: a purego build has the generic path only; a build
// without assembly for its architecture likewise.
func TestPuregoImpls(t *testing.T) {
	purego, ok := builtWithTag("purego")
	if !ok {
		t.Skip("no build information")
	}
	asmArch := runtime.Compiler == "gc" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64")
	if purego || !asmArch {
		if len(impls) != 1 || impls[0].name != "generic" || active != impls[0] {
			var names []string
			for _, p := range impls {
				names = append(names, p.name)
			}
			t.Errorf("purego=%v GOARCH=%s: paths %v (active %s), want only generic", purego, runtime.GOARCH, names, active.name)
		}
		if info := Path(); info.ISA != "generic" || len(info.Supported) != 1 {
			t.Errorf("Path() = %v, want generic only", info)
		}
	}
	t.Logf("purego=%v: paths %v", purego, Path().Supported)
}

// goList runs go list on this package with the given environment and
// flags and returns its output.
func goList(t *testing.T, env []string, args ...string) string {
	t.Helper()
	// go test puts its own GOROOT/bin first in the test's PATH, so this
	// is the go command that runs the test.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command(gobin, append([]string{"list"}, append(args, ".")...)...)
	cmd.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v %v: %v\n%s", env, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPuregoNoAssembly: under -tags purego no .s file is built, on any
// architecture, and the fallback file is; without the tag, every .s file
// of amd64 and arm64 is built for its architecture. Every .s file and
// every Go file beside it that is not built under purego says
// !purego in its build constraint.
func TestPuregoNoAssembly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	sfiles, _ := filepath.Glob("*.s")
	for _, arch := range []string{"amd64", "arm64", "386", "riscv64"} {
		env := []string{"GOOS=linux", "GOARCH=" + arch}
		if got := goList(t, env, "-tags", "purego", "-f", "{{.SFiles}}"); got != "[]" {
			t.Errorf("GOARCH=%s -tags purego: SFiles %s, want none", arch, got)
		}
		goFiles := goList(t, env, "-tags", "purego", "-f", "{{.GoFiles}}")
		if !strings.Contains(goFiles, "kernels_noasm.go") {
			t.Errorf("GOARCH=%s -tags purego: GoFiles %s, want kernels_noasm.go", arch, goFiles)
		}
		for _, f := range strings.Fields(strings.Trim(goFiles, "[]")) {
			if strings.HasSuffix(f, "_amd64.go") || strings.HasSuffix(f, "_arm64.go") {
				t.Errorf("GOARCH=%s -tags purego: %s is built", arch, f)
			}
		}
		if arch != "amd64" && arch != "arm64" {
			continue
		}
		got := goList(t, env, "-f", "{{.SFiles}}")
		for _, s := range sfiles {
			if strings.HasSuffix(s, "_"+arch+".s") && !strings.Contains(got, s) {
				t.Errorf("GOARCH=%s: %s is not built (SFiles %s)", arch, s, got)
			}
		}
		if goFiles := goList(t, env, "-f", "{{.GoFiles}}"); strings.Contains(goFiles, "kernels_noasm.go") {
			t.Errorf("GOARCH=%s: kernels_noasm.go is built beside the assembly", arch)
		}
	}
	for _, s := range sfiles {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if c := buildLine(string(b)); !strings.Contains(c, "!purego") || !strings.Contains(c, "gc") {
			t.Errorf("%s: build constraint %q, want one with gc && !purego", s, c)
		}
	}
}

// buildLine returns the //go:build line of a file, "" if none.
func buildLine(src string) string {
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, "//go:build ") {
			return l
		}
	}
	return ""
}
