//go:build amd64 && linux

package amxprobe

import (
	"bufio"
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestEncodings assembles each BYTE line's instruction (its comment, in
// Intel syntax) with GNU as and compares the bytes.
func TestEncodings(t *testing.T) {
	as, err := exec.LookPath("as")
	if err != nil {
		t.Skip("no GNU as (Debian: binutils)")
	}
	f, err := os.Open("amx_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^\s*((?:BYTE \$0x[0-9a-f]{2};?\s*)+)//\s*(.+)$`)
	byteRe := regexp.MustCompile(`\$0x([0-9a-f]{2})`)
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ins := strings.TrimSpace(m[2])
		var want []byte
		for _, b := range byteRe.FindAllStringSubmatch(m[1], -1) {
			v, _ := strconv.ParseUint(b[1], 16, 8)
			want = append(want, byte(v))
		}
		if seen[ins] {
			continue
		}
		seen[ins] = true
		got := assemble(t, as, ins)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: BYTE % x, as gives % x", ins, want, got)
		}
	}
	if len(seen) < 10 {
		t.Fatalf("only %d instructions found", len(seen))
	}
}

func assemble(t *testing.T, as, ins string) []byte {
	dir := t.TempDir()
	src, obj := filepath.Join(dir, "x.s"), filepath.Join(dir, "x.o")
	ins = strings.NewReplacer("[rdi+rdx]", "[rdi+rdx*1]", "[rsi+rcx]", "[rsi+rcx*1]", "[rbx+r8]", "[rbx+r8*1]").Replace(ins)
	if err := os.WriteFile(src, []byte(".intel_syntax noprefix\n"+ins+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(as, "--64", "-o", obj, src).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", ins, err, out)
	}
	e, err := elf.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b, err := e.Section(".text").Data()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
