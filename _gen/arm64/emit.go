// Package arm64 writes the package's NEON assembly, kernels_arm64.s, and
// its Go declarations, kernels_arm64.go: the routines (neon.go) are each
// described once for both element types and, for the register tiles, for
// a tile shape; this file is their emitter.
package arm64

// The arm64 emitter: avo has no arm64, so the NEON routines are written
// as text by this small emitter (zeebo/blake3 does the same for its NEON
// code). It writes Go assembler lines as given, works out each routine's
// frame and its arguments' offsets from the Go declaration (the names go
// vet's asmdecl checks), writes the Go declarations, and encodes the
// instructions Go's assembler lacks (vector FP arithmetic and compares,
// FMLA by element) from their fields as WORDs, each with the instruction
// in Arm syntax beside it. emit_test.go checks every encoding it emits
// against aarch64-linux-gnu-as.

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"strings"
)

// elem describes an element type of the NEON routines: everything in
// which a float32 routine differs from its float64 twin.
type elem struct {
	T     string // Go type: float32 or float64
	bits  int    // 32 or 64
	size  int    // bytes: 4 or 8
	lanes int    // lanes of a 128-bit register: 4 or 2
	arr   string // Go assembler arrangement: S4 or D2
	gnu   string // Arm arrangement: 4s or 2d
	lane  string // Arm element of a by-element operand: s or d
	sz    uint32 // the sz field of the vector FP encodings: 0 or 1
	shift int    // log2(size), to turn an element count into bytes
}

var (
	f32 = elem{T: "float32", bits: 32, size: 4, lanes: 4, arr: "S4", gnu: "4s", lane: "s", sz: 0, shift: 2}
	f64 = elem{T: "float64", bits: 64, size: 8, lanes: 2, arr: "D2", gnu: "2d", lane: "d", sz: 1, shift: 3}
)

// sub replaces the placeholders of a doc comment or a declaration:
// {T} the Go type, {N} its bits (32 or 64), {F} F32 or F64, and the
// extra pairs given.
func (e elem) sub(s string, kv ...string) string {
	kv = append(kv, "{T}", e.T, "{N}", fmt.Sprint(e.bits), "{F}", fmt.Sprint("F", e.bits))
	return strings.NewReplacer(kv...).Replace(s)
}

// vregs lists n consecutive vector registers from V(first) in the
// arrangement arr, as a Go assembler register list: [V0.S4, V1.S4].
func vregs(first, n int, arr string) string {
	r := make([]string, n)
	for i := range r {
		r[i] = fmt.Sprintf("V%d.%s", first+i, arr)
	}
	return "[" + strings.Join(r, ", ") + "]"
}

// ---- encoded instructions ------------------------------------------------

// inst is an instruction that Go's assembler lacks: its encoding and its
// Arm (GNU) spelling.
type inst struct {
	enc uint32
	arm string
}

func checkReg(rs ...int) {
	for _, r := range rs {
		if r < 0 || r > 31 {
			panic(fmt.Sprintf("_gen: vector register V%d out of range", r))
		}
	}
}

// three encodes a vector FP instruction of the "Advanced SIMD three same"
// class, Q = 1: op | sz<<22 | m<<16 | n<<5 | d.
func (e elem) three(op uint32, name string, d, n, m int) inst {
	checkReg(d, n, m)
	return inst{
		enc: op | e.sz<<22 | uint32(m)<<16 | uint32(n)<<5 | uint32(d),
		arm: fmt.Sprintf("%s v%d.%s, v%d.%s, v%d.%s", name, d, e.gnu, n, e.gnu, m, e.gnu),
	}
}

// two encodes a vector FP instruction of the "Advanced SIMD two-register
// miscellaneous" class, Q = 1: op | sz<<22 | n<<5 | d.
func (e elem) two(op uint32, name, extra string, d, n int) inst {
	checkReg(d, n)
	return inst{
		enc: op | e.sz<<22 | uint32(n)<<5 | uint32(d),
		arm: fmt.Sprintf("%s v%d.%s, v%d.%s%s", name, d, e.gnu, n, e.gnu, extra),
	}
}

// FADD Vd, Vn, Vm: Vd = Vn + Vm.
func (e elem) fadd(d, n, m int) inst { return e.three(0x4E20D400, "fadd", d, n, m) }

// FSUB Vd, Vn, Vm: Vd = Vn − Vm.
func (e elem) fsub(d, n, m int) inst { return e.three(0x4EA0D400, "fsub", d, n, m) }

// FMUL Vd, Vn, Vm: Vd = Vn · Vm.
func (e elem) fmul(d, n, m int) inst { return e.three(0x6E20DC00, "fmul", d, n, m) }

// FDIV Vd, Vn, Vm: Vd = Vn / Vm.
func (e elem) fdiv(d, n, m int) inst { return e.three(0x6E20FC00, "fdiv", d, n, m) }

// FSQRT Vd, Vn: Vd = √Vn.
func (e elem) fsqrt(d, n int) inst { return e.two(0x6EA1F800, "fsqrt", "", d, n) }

// FCMLT Vd, Vn, #0.0: each lane of Vd all ones where Vn < 0, else zero
// (false for NaN and −0).
func (e elem) fcmlt(d, n int) inst { return e.two(0x4EA0E800, "fcmlt", ", #0.0", d, n) }

// FMLA Vd, Vn, Vm[i] (by element): Vd += Vn · lane i of Vm, one rounding.
// The index is H:L for .S (Vm any of the 32 registers: M is m's bit 4)
// and H for .D (L = 0).
func (e elem) fmla(d, n, m, i int) inst {
	checkReg(d, n, m)
	if i < 0 || i >= e.lanes {
		panic(fmt.Sprintf("_gen: lane %d of a .%s register", i, e.gnu))
	}
	var h, l uint32
	if e.sz == 0 {
		h, l = uint32(i)>>1, uint32(i)&1
	} else {
		h = uint32(i)
	}
	return inst{
		enc: 0x4F801000 | e.sz<<22 | l<<21 | uint32(m)<<16 | h<<11 | uint32(n)<<5 | uint32(d),
		arm: fmt.Sprintf("fmla v%d.%s, v%d.%s, v%d.%s[%d]", d, e.gnu, n, e.gnu, m, e.lane, i),
	}
}

// ---- the file ------------------------------------------------------------

// asm collects the assembly file, its Go declarations and every WORD it
// emits.
type asm struct {
	s, stubs bytes.Buffer
	words    []inst
	args     map[string]int // the current TEXT's arguments: name → offset
}

func newAsm() *asm {
	a := &asm{}
	a.s.WriteString("// Code generated by _gen (go generate in the root package). DO NOT EDIT.\n\n")
	a.s.WriteString("//go:build arm64 && gc && !purego\n\n#include \"textflag.h\"\n")
	a.stubs.WriteString("// Code generated by _gen (go generate in the root package). DO NOT EDIT.\n\n")
	a.stubs.WriteString("//go:build arm64 && gc && !purego\n\npackage kernels\n")
	return a
}

// comment writes text as a block of // lines after a blank line.
func (a *asm) comment(text string) {
	a.s.WriteString("\n")
	a.note(text)
}

// note writes text as // lines at the margin; a line that starts with a
// tab is a code block, as in Go doc comments.
func (a *asm) note(text string) {
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		l = strings.TrimRight(l, " ")
		switch {
		case l == "":
			a.s.WriteString("//\n")
		case l[0] == '\t': // a code block, as in Go doc comments
			a.s.WriteString("//" + l + "\n")
		default:
			a.s.WriteString("// " + l + "\n")
		}
	}
}

// inote writes text as // lines inside a routine.
func (a *asm) inote(text string) {
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		a.s.WriteString("\t// " + strings.TrimSpace(l) + "\n")
	}
}

// line writes an instruction, its mnemonic padded so that the operands
// line up, and a comment if given.
func (a *asm) line(in, comment string) {
	if op, operands, ok := strings.Cut(in, " "); ok {
		in = fmt.Sprintf("%-6s %s", op, operands)
	}
	if comment != "" {
		in += " // " + comment
	}
	a.s.WriteString("\t" + in + "\n")
}

// op writes one Go assembler instruction.
func (a *asm) op(format string, args ...any) {
	a.line(fmt.Sprintf(format, args...), "")
}

// opc writes one Go assembler instruction with a comment.
func (a *asm) opc(comment, format string, args ...any) {
	a.line(fmt.Sprintf(format, args...), comment)
}

// word writes an encoded instruction, with its Arm spelling (and the
// comments given) beside it.
func (a *asm) word(in inst, comment ...string) {
	a.words = append(a.words, in)
	c := in.arm
	if len(comment) > 0 {
		c += ": " + strings.Join(comment, " ")
	}
	a.line(fmt.Sprintf("WORD $0x%08x", in.enc), c)
}

// label writes a label after a blank line.
func (a *asm) label(l string) { a.s.WriteString("\n" + l + ":\n") }

// data writes a read-only, pointer-free 16-byte-aligned table of 64-bit
// words.
func (a *asm) data(name, doc string, words []uint64) {
	a.comment(doc)
	for i, w := range words {
		a.s.WriteString(fmt.Sprintf("DATA %s<>+%d(SB)/8, $0x%016x\n", name, 8*i, w))
	}
	a.s.WriteString(fmt.Sprintf("GLOBL %s<>(SB), RODATA|NOPTR, $%d\n", name, 8*len(words)))
}

// text starts a NOSPLIT routine without locals whose Go declaration is
// decl ("name(params)") with the doc comment doc: the declaration goes to
// the stubs with //go:noescape, the arguments' offsets to a.arg.
func (a *asm) text(decl, doc string) {
	name, params, ok := strings.Cut(decl, "(")
	if !ok {
		panic("_gen: declaration without parameters: " + decl)
	}
	x, err := parser.ParseExpr("func(" + params)
	if err != nil {
		panic(fmt.Sprintf("_gen: %s: %v", decl, err))
	}
	a.args = map[string]int{}
	off := 0
	for _, f := range x.(*ast.FuncType).Params.List {
		size := 0
		switch t := f.Type.(type) {
		case *ast.ArrayType: // a slice
			size = 24
		case *ast.Ident:
			size = map[string]int{"int": 8, "uint64": 8, "float64": 8, "float32": 4}[t.Name]
		}
		if size == 0 {
			panic(fmt.Sprintf("_gen: %s: unknown parameter type", decl))
		}
		for _, n := range f.Names {
			align := min(size, 8)
			off = (off + align - 1) / align * align
			if size == 24 {
				a.args[n.Name+"_base"] = off
				a.args[n.Name+"_len"] = off + 8
				a.args[n.Name+"_cap"] = off + 16
			} else {
				a.args[n.Name] = off
			}
			off += size
		}
	}
	a.stubs.WriteString("\n")
	for _, l := range strings.Split(strings.TrimSpace(doc), "\n") {
		switch {
		case l == "":
			a.stubs.WriteString("//\n")
		case l[0] == '\t':
			a.stubs.WriteString("//" + l + "\n")
		default:
			a.stubs.WriteString("// " + l + "\n")
		}
	}
	a.stubs.WriteString("//\n//go:noescape\nfunc " + decl + "\n")
	a.s.WriteString(fmt.Sprintf("\n// func %s\nTEXT ·%s(SB), NOSPLIT, $0-%d\n", decl, name, off))
}

// arg is the operand of the current routine's argument name (a_base,
// x_len, kc): name+offset(FP).
func (a *asm) arg(name string) string {
	off, ok := a.args[name]
	if !ok {
		panic("_gen: no argument " + name)
	}
	return fmt.Sprintf("%s+%d(FP)", name, off)
}
