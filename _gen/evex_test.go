package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The VDPBF16PS, VCVTNEPS2BF16 and VCVTNE2PS2BF16 bytes the generator
// writes (evex.go) are checked against GNU as's, kept as test vectors in
// testdata so that the test needs no binutils. After a change to the
// encoder or the cases, regenerate them (Debian's binutils) in _gen with
//
//	go test -run TestEVEXEncodings -update-evex
//
// and review the diff.
var updateEVEX = flag.Bool("update-evex", false, "rewrite "+evexVectors+" with GNU as")

const evexVectors = "testdata/evex.txt"

// gp64 are the AT&T names of the general registers by number.
var gp64 = [...]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

type evexCase struct {
	src3      Op
	src2, dst VecPhysical
	cvt       bool // VCVTNEPS2BF16 src3 (a zmm), dst's ymm; src2 unused
	cvt2      bool // VCVTNE2PS2BF16 src3 (a zmm: the low half), src2 (the high), dst
}

// enc is the generator's encoding of the case.
func (c evexCase) enc() []byte {
	switch {
	case c.cvt:
		return encCVTNEPS2BF16(c.src3.(VecPhysical), c.dst)
	case c.cvt2:
		return encCVTNE2PS2BF16(c.src3.(VecPhysical), c.src2, c.dst)
	}
	return encDPBF16PS(c.src3, c.src2, c.dst)
}

// att is the case in GNU as's AT&T syntax.
func (c evexCase) att() string {
	switch {
	case c.cvt:
		return fmt.Sprintf("vcvtneps2bf16 %%zmm%d, %%ymm%d", c.src3.(VecPhysical).PhysicalIndex(), c.dst.PhysicalIndex())
	case c.cvt2:
		return fmt.Sprintf("vcvtne2ps2bf16 %%zmm%d, %%zmm%d, %%zmm%d", c.src3.(VecPhysical).PhysicalIndex(), c.src2.PhysicalIndex(), c.dst.PhysicalIndex())
	}
	s3 := ""
	switch o := c.src3.(type) {
	case VecPhysical:
		s3 = fmt.Sprintf("%%zmm%d", o.PhysicalIndex())
	case Mem:
		b := gp64[o.Base.(GPPhysical).PhysicalIndex()]
		if o.Index != nil {
			s3 = fmt.Sprintf("%d(%%%s,%%%s,%d){1to16}", o.Disp, b, gp64[o.Index.(GPPhysical).PhysicalIndex()], o.Scale)
		} else {
			s3 = fmt.Sprintf("%d(%%%s){1to16}", o.Disp, b)
		}
	}
	return fmt.Sprintf("vdpbf16ps %s, %%zmm%d, %%zmm%d", s3, c.src2.PhysicalIndex(), c.dst.PhysicalIndex())
}

// evexCases cover every field of the encoding: each register number in
// each place, every base register (SP and R12 need a SIB byte, BP and R13
// a displacement), indexes and scales, and displacements of 0, of 8 bits
// scaled by 4 at both ends, and of 32 bits (not a multiple of 4, or past
// the 8 bits' reach), besides every form the tiles use.
func evexCases() []evexCase {
	var cs []evexCase
	gps := []GPPhysical{RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15}
	for _, d := range []int{0, 7, 8, 15, 16, 23, 24, 31} {
		for _, v := range []int{0, 9, 16, 31} {
			cs = append(cs, evexCase{src3: mem(RAX, 64), src2: zmm[v], dst: zmm[d]})
			for _, r := range []int{0, 8, 16, 31} {
				cs = append(cs, evexCase{src3: zmm[r], src2: zmm[v], dst: zmm[d]})
			}
		}
	}
	for _, b := range gps {
		for _, disp := range []int{0, 4, 6, 60, 64, 508, 512, 1020, -4, -512, -516, 100000} {
			cs = append(cs, evexCase{src3: mem(b, disp), src2: Z16, dst: Z3})
		}
		for _, x := range []GPPhysical{RCX, R9, R12, R14} {
			for _, sc := range []uint8{1, 2, 4, 8} {
				cs = append(cs, evexCase{src3: memxs(b, x, sc, 0), src2: Z16, dst: Z11}, evexCase{src3: memxs(b, x, sc, 132), src2: Z17, dst: Z5})
			}
		}
	}
	// VCVTNEPS2BF16: every source register into destinations with each
	// of their bits 3 and 4 both ways.
	for r := range 32 {
		for _, d := range []int{0, 7, 8, 15, 16, 21, 23, 31} {
			cs = append(cs, evexCase{src3: zmm[r], dst: zmm[d], cvt: true})
		}
	}
	// VCVTNE2PS2BF16: every low-half source with high-half sources and
	// destinations with each of their bits 3 and 4 both ways.
	for r := range 32 {
		for _, v := range []int{0, 9, 16, 31} {
			for _, d := range []int{0, 7, 8, 15, 16, 23, 24, 31} {
				cs = append(cs, evexCase{src3: zmm[r], src2: zmm[v], dst: zmm[d], cvt2: true})
			}
		}
	}
	return cs
}

func TestEVEXEncodings(t *testing.T) {
	cs := evexCases()
	if *updateEVEX {
		writeEVEXVectors(t, cs)
	}
	f, err := os.Open(evexVectors)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ins, enc, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", evexVectors, sc.Text())
		}
		want[ins] = enc
	}
	n := 0
	for _, c := range cs {
		w, ok := want[c.att()]
		if !ok {
			t.Errorf("%s: not in %s (regenerate it: -update-evex)", c.att(), evexVectors)
			continue
		}
		if got := hex.EncodeToString(c.enc()); got != w {
			t.Errorf("%s: encoded %s, GNU as %s", c.att(), got, w)
		}
		n++
	}
	t.Logf("%d encodings match GNU as's", n)
}

// writeEVEXVectors assembles the cases with GNU as and writes each
// instruction's bytes (objdump's listing of them) to evexVectors.
func writeEVEXVectors(t *testing.T, cs []evexCase) {
	dir := t.TempDir()
	s, o := filepath.Join(dir, "e.s"), filepath.Join(dir, "e.o")
	var src strings.Builder
	src.WriteString(".text\n")
	for _, c := range cs {
		src.WriteString(c.att() + "\n")
	}
	if err := os.WriteFile(s, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("as", "--64", "-o", o, s).CombinedOutput(); err != nil {
		t.Fatalf("as: %v\n%s", err, out)
	}
	out, err := exec.Command("objdump", "-d", "--insn-width=16", o).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	var encs []string
	for _, line := range strings.Split(string(out), "\n") {
		// "   0:\t62 f2 76 50 52 40 10 \tvdpbf16ps ..."
		f := strings.Split(line, "\t")
		if len(f) < 3 || !strings.HasSuffix(strings.TrimSpace(f[0]), ":") {
			continue
		}
		encs = append(encs, strings.ReplaceAll(strings.TrimSpace(f[1]), " ", ""))
	}
	if len(encs) != len(cs) {
		t.Fatalf("objdump listed %d instructions of %d", len(encs), len(cs))
	}
	var b strings.Builder
	for i, c := range cs {
		fmt.Fprintf(&b, "%s\t%s\n", c.att(), encs[i])
	}
	if err := os.WriteFile(evexVectors, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
