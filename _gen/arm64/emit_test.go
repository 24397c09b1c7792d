package arm64

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The encodings of the WORDs the arm64 emitter writes are checked against
// bytes from a real assembler, GNU as for aarch64, kept as test vectors in
// testdata so that the test needs no binutils. After a change to the
// routines or the encoders, regenerate them (Debian's
// binutils-aarch64-linux-gnu) in _gen/arm64 with
//
//	go test -run TestARM64Encodings -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite "+vectorsFile+" with aarch64-linux-gnu-as")

const vectorsFile = "testdata/encodings.txt"

// emitted is every distinct encoded instruction of the generated code.
func emitted(t *testing.T) []inst {
	var out []inst
	seen := map[string]uint32{}
	for _, in := range buildARM64().words {
		if enc, ok := seen[in.arm]; ok {
			if enc != in.enc {
				t.Errorf("%s encoded both as %08x and %08x", in.arm, enc, in.enc)
			}
			continue
		}
		seen[in.arm] = in.enc
		out = append(out, in)
	}
	return out
}

// sweep is each encoder with each of its register fields in turn set to
// 0, 31 and every single bit, the other fields fixed, and FMLA with every
// lane: an encoding with a field in the wrong place or too narrow fails
// here even if the routines do not use such a register yet.
func sweep() []inst {
	var out []inst
	for _, e := range []elem{f32, f64} {
		for _, r := range []int{0, 1, 2, 4, 8, 16, 31} {
			for _, f := range []func(d, n, m int) inst{e.fadd, e.fsub, e.fmul, e.fdiv, e.fcmeq} {
				out = append(out, f(r, 3, 5), f(3, r, 5), f(3, 5, r))
			}
			for _, f := range []func(d, n int) inst{e.fsqrt, e.fcmlt} {
				out = append(out, f(r, 3), f(3, r))
			}
			out = append(out, e.fmla(r, 3, 5, 0), e.fmla(3, r, 5, 0), e.fmla(3, 5, r, e.lanes-1))
		}
		for i := range e.lanes {
			out = append(out, e.fmla(3, 5, 7, i))
		}
	}
	return out
}

func TestARM64Encodings(t *testing.T) {
	used := emitted(t)
	all := slices.Clone(used)
	seen := map[string]bool{}
	for _, in := range used {
		seen[in.arm] = true
	}
	for _, in := range sweep() {
		if !seen[in.arm] {
			seen[in.arm] = true
			all = append(all, in)
		}
	}
	if *update {
		writeVectors(t, all)
	}
	want := readVectors(t)
	check := func(ins []inst) int {
		n := 0
		for _, in := range ins {
			enc, ok := want[in.arm]
			switch {
			case !ok:
				t.Errorf("%s (%08x) has no test vector: run go test -run TestARM64Encodings -update", in.arm, in.enc)
			case enc != in.enc:
				t.Errorf("%s: emitted %08x, aarch64-linux-gnu-as %08x", in.arm, in.enc, enc)
			default:
				n++
			}
		}
		return n
	}
	n := check(used)
	t.Logf("%d distinct encodings of the generated code match aarch64-linux-gnu-as", n)
	n = check(all[len(used):])
	t.Logf("%d more of the field sweep match", n)
	if len(used) == 0 {
		t.Fatal("the generated code has no encoded instruction")
	}
}

// readVectors reads the test vectors: lines "hex<TAB>instruction", after
// comment lines starting with #.
func readVectors(t *testing.T) map[string]uint32 {
	f, err := os.Open(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]uint32{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		h, arm, ok := strings.Cut(l, "\t")
		enc, err := strconv.ParseUint(h, 16, 32)
		if !ok || err != nil {
			t.Fatalf("%s: bad line %q", vectorsFile, l)
		}
		m[arm] = uint32(enc)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// writeVectors assembles the instructions with aarch64-linux-gnu-as and
// writes their encodings, as the assembler made them, to vectorsFile.
func writeVectors(t *testing.T, ins []inst) {
	dir := t.TempDir()
	var src bytes.Buffer
	src.WriteString("\t.text\n")
	for _, in := range ins {
		src.WriteString("\t" + in.arm + "\n")
	}
	s, o, bin := filepath.Join(dir, "v.s"), filepath.Join(dir, "v.o"), filepath.Join(dir, "v.bin")
	if err := os.WriteFile(s, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	version, _, _ := strings.Cut(run("aarch64-linux-gnu-as", "--version"), "\n")
	run("aarch64-linux-gnu-as", "-o", o, s)
	run("aarch64-linux-gnu-objcopy", "-O", "binary", "-j", ".text", o, bin)
	code, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 4*len(ins) {
		t.Fatalf("aarch64-linux-gnu-as made %d bytes of %d instructions", len(code), len(ins))
	}
	lines := make([]string, len(ins))
	for i, in := range ins {
		lines[i] = fmt.Sprintf("%08x\t%s", binary.LittleEndian.Uint32(code[4*i:]), in.arm)
	}
	slices.Sort(lines)
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Encodings by %s of the instructions\n", version)
	out.WriteString("# the arm64 emitter writes as WORD (emit_test.go; regenerate with\n")
	out.WriteString("# go test -run TestARM64Encodings -update). Little-endian words.\n")
	for _, l := range lines {
		out.WriteString(l + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsFile, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTileShapes checks that a tile shape other than neonTiles' is one
// more entry (the routines emit it, with mr·nr/lanes FMAs a k step, 5
// steps in the loops) and that shapes the routines cannot emit panic.
func TestTileShapes(t *testing.T) {
	for _, s := range []tileShape{
		{e: f32, mr: 8, nr: 8, bReg: 28},
		{e: f64, mr: 4, nr: 8, bReg: 26},
		{e: f64, mr: 2, nr: 8, bReg: 12},
	} {
		a := newAsm()
		s.check()
		s.gemm(a)
		fmla := 0
		for _, in := range a.words {
			if strings.HasPrefix(in.arm, "fmla ") {
				fmla++
			}
		}
		if want := 5 * s.mr * s.nr / s.e.lanes; fmla != want {
			t.Errorf("%s %d×%d: %d FMLAs, want %d", s.e.T, s.mr, s.nr, fmla, want)
		}
	}
	for _, s := range []tileShape{
		{e: f32, mr: 12, nr: 16, bReg: 28}, // a row is not one mask byte
		{e: f32, mr: 10, nr: 8, bReg: 28},  // mr not a multiple of the lanes
		{e: f32, mr: 12, nr: 8, bReg: 25},  // B over A
		{e: f64, mr: 6, nr: 8, bReg: 29},   // B past V31
		{e: f64, mr: 8, nr: 8, bReg: 28},   // 32 accumulators: no room for A and B
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s %d×%d, B at V%d: no panic", s.e.T, s.mr, s.nr, s.bReg)
				}
			}()
			s.check()
		}()
	}
}
