package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	. "github.com/mmcloughlin/avo/build"
)

// The AVX2 tile description must make a tile of another shape with one
// more call (issue 17 adds tiles per core class). TestAVX2Shapes
// generates tiles of shapes the package does not use, with every
// epilogue the shape allows, into a package of their own in a temporary
// directory, and runs there a test (avx2ShapesTest) that checks each
// against Go on small integers (every sum exact, so the comparison is
// exact): a column of tiles with B packed and in place, β = 0 and 1, the
// forward epilogue with and without bias, Z and mask bits, the edge tile
// to a temporary tile and the row-at-a-time epilogue.

// avx2ShapeCase is one generated routine of the test package.
type avx2ShapeCase struct {
	tile avx2Tile
	epi  avx2Epi
	rows bool // genRows instead of gen
}

func (c avx2ShapeCase) name() string {
	kind := [...]string{"gemm", "fwd", "temp"}[c.epi]
	if c.rows {
		kind = "rows"
	}
	return fmt.Sprintf("%s%dx%dp%d%s", kind, c.tile.rows, c.tile.vecs, c.tile.panel, c.tile.t.Name)
}

// avx2ShapeCases are shapes other than the package's: 8 rows of one
// vector (a third row base; mask bytes), 3×3 vectors (rows of 96 bytes,
// no whole mask chunk: no forward epilogue), 2×4 float64 (16 mask bits a
// row), 7×1 float64 (a multiply by 7 with IMUL), and edge tiles over
// wider panels.
func avx2ShapeCases() []avx2ShapeCase {
	var cs []avx2ShapeCase
	add := func(t elemType, rows, panel, vecs int, epis ...avx2Epi) {
		k := avx2Tile{t: t, rows: rows, panel: panel, vecs: vecs}
		for _, e := range epis {
			cs = append(cs, avx2ShapeCase{tile: k, epi: e})
		}
	}
	add(f32, 8, 8, 1, avx2EpiGEMM, avx2EpiFwd)
	add(f32, 5, 8, 1, avx2EpiTemp)
	add(f32, 3, 3, 3, avx2EpiGEMM)
	add(f32, 2, 3, 3, avx2EpiTemp)
	add(f64, 2, 2, 4, avx2EpiGEMM, avx2EpiFwd)
	add(f64, 1, 2, 4, avx2EpiTemp)
	add(f64, 7, 7, 1, avx2EpiGEMM)
	cs = append(cs,
		avx2ShapeCase{tile: avx2Tile{t: f32, rows: 8, panel: 8, vecs: 1}, rows: true},
		avx2ShapeCase{tile: avx2Tile{t: f64, rows: 2, panel: 2, vecs: 4}, rows: true},
	)
	return cs
}

// TestAVX2ShapesGen is the generating half of TestAVX2Shapes, run by it
// in a process of its own (avo's build context is global) with
// AVX2_SHAPES_DIR set; otherwise it does nothing.
func TestAVX2ShapesGen(t *testing.T) {
	dir := os.Getenv("AVX2_SHAPES_DIR")
	if dir == "" {
		t.Skip("run by TestAVX2Shapes")
	}
	for _, c := range avx2ShapeCases() {
		if c.rows {
			c.tile.genRows(c.name())
		} else {
			c.tile.gen(c.name(), c.epi)
		}
	}
	for name, v := range map[string]string{"out": filepath.Join(dir, "tiles_amd64.s"), "stubs": filepath.Join(dir, "tiles_amd64.go"), "pkg": "tiles"} {
		if err := flag.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	Generate()
}

func TestAVX2Shapes(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 only")
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || !strings.Contains(string(info), " avx2") || !strings.Contains(string(info), " fma") {
		t.Skip("needs a CPU with AVX2 and FMA (read from /proc/cpuinfo)")
	}
	if testing.Short() {
		t.Skip("builds and tests a package of its own")
	}
	dir := t.TempDir()
	gen := exec.Command(os.Args[0], "-test.run=^TestAVX2ShapesGen$")
	gen.Env = append(os.Environ(), "AVX2_SHAPES_DIR="+dir)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generating: %v\n%s", err, out)
	}
	var table strings.Builder
	table.WriteString("package tiles\n\nimport \"testing\"\n\nfunc TestShapes(t *testing.T) {\n")
	for _, c := range avx2ShapeCases() {
		k := c.tile
		switch {
		case c.rows:
			fmt.Fprintf(&table, "\tcheckRows(t, %q, %s, %d, %d)\n", c.name(), c.name(), k.rows, k.nr())
		case c.epi == avx2EpiGEMM:
			fmt.Fprintf(&table, "\tcheckGEMM(t, %q, %s, %d, %d, %d)\n", c.name(), c.name(), k.rows, k.panel, k.nr())
		case c.epi == avx2EpiFwd:
			fmt.Fprintf(&table, "\tcheckFwd(t, %q, %s, %d, %d, %d)\n", c.name(), c.name(), k.rows, k.panel, k.nr())
		default:
			fmt.Fprintf(&table, "\tcheckTemp(t, %q, %s, %d, %d, %d)\n", c.name(), c.name(), k.rows, k.panel, k.nr())
		}
	}
	table.WriteString("}\n")
	files := map[string]string{
		"go.mod":        "module tiles\n\ngo 1.24\n",
		"cases_test.go": table.String(),
		"tiles_test.go": avx2ShapesTest,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := exec.Command("go", "test", "-count=1", ".")
	run.Dir = dir
	run.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("go test in the generated package: %v\n%s", err, out)
	}
}

// avx2ShapesTest checks the generated routines against Go.
const avx2ShapesTest = `package tiles

import (
	"math/rand/v2"
	"testing"
)

type float interface{ ~float32 | ~float64 }

// fill sets x to small integers, some negative, some zero.
func fill[T float](rng *rand.Rand, x []T) {
	for i := range x {
		x[i] = T(rng.IntN(9) - 4)
	}
}

func clone[T any](x []T) []T { return append([]T(nil), x...) }

// product is row i, column j of the product of the micro-panel of A at a
// (panel values a step) and B (rows ldb apart).
func product[T float](a, b []T, kc, panel, ldb, i, j int) T {
	var v T
	for p := range kc {
		v += a[p*panel+i] * b[p*ldb+j]
	}
	return v
}

func relu[T float](v T) T { return max(v, 0) }

func same[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

var kcs = []int{1, 3, 4, 9}

func checkGEMM[T float](t *testing.T, name string, f func(a, b []T, kc int, c []T, ldc, beta, ldb, mt int), rows, panel, nr int) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kc := range kcs {
		for _, mt := range []int{1, 3} {
			for _, ldb := range []int{nr, nr + 5} {
				for beta := range 2 {
					a := make([]T, mt*panel*kc)
					b := make([]T, (kc-1)*ldb+nr)
					ldc := nr + 3
					c := make([]T, (rows*mt-1)*ldc+nr)
					fill(rng, a)
					fill(rng, b)
					fill(rng, c)
					want := clone(c)
					for i := range rows * mt {
						for j := range nr {
							v := product(a[i/rows*panel*kc:], b, kc, panel, ldb, i%rows, j)
							if beta == 1 {
								v += c[i*ldc+j]
							}
							want[i*ldc+j] = v
						}
					}
					f(a, b, kc, c, ldc, beta, ldb, mt)
					same(t, name, c, want)
				}
			}
		}
	}
}

// epilogue applies the forward epilogue to v, row i, column j.
func epilogue[T float](v T, i, j int, bias, z []T, ldz int, r []T, ldr int, bits []uint64, stride, shift int) {
	if len(bias) > 0 {
		v += bias[j]
	}
	if len(z) > 0 {
		z[i*ldz+j] = v
	}
	if len(bits) > 0 {
		bit := uint64(1) << (8*shift + j)
		bits[i*stride] &^= bit
		if !(v < 0) {
			bits[i*stride] |= bit
		}
	}
	r[i*ldr+j] = relu(v)
}

func checkFwd[T float](t *testing.T, name string, f func(a, b []T, kc int, c []T, ldc, beta int, bias, z []T, ldz int, r []T, ldr int, bits []uint64, stride, shift, ldb, mt int), rows, panel, nr int) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kc := range kcs {
		for _, mt := range []int{1, 2} {
			for opts := range 8 {
				ldb, beta := nr+2, opts&1
				m := rows * mt
				a := make([]T, mt*panel*kc)
				b := make([]T, (kc-1)*ldb+nr)
				ldc, ldz, ldr, stride := nr+1, nr+3, nr+4, 2
				c := make([]T, (m-1)*ldc+nr)
				r := make([]T, (m-1)*ldr+nr)
				var bias, z []T
				var bits []uint64
				shift := 0
				if opts&2 != 0 {
					bias = make([]T, nr)
					fill(rng, bias)
				}
				if opts&4 != 0 {
					z = make([]T, (m-1)*ldz+nr)
					bits = make([]uint64, (m-1)*stride+1)
					for i := range bits {
						bits[i] = rng.Uint64()
					}
					shift = (nr / 8) * rng.IntN(64/nr)
				}
				fill(rng, a)
				fill(rng, b)
				fill(rng, c)
				fill(rng, r)
				wz, wr, wbits := clone(z), clone(r), clone(bits)
				for i := range m {
					for j := range nr {
						v := product(a[i/rows*panel*kc:], b, kc, panel, ldb, i%rows, j)
						if beta == 1 {
							v += c[i*ldc+j]
						}
						epilogue(v, i, j, bias, wz, ldz, wr, ldr, wbits, stride, shift)
					}
				}
				f(a, b, kc, c, ldc, beta, bias, z, ldz, r, ldr, bits, stride, shift, ldb, mt)
				same(t, name+" R", r, wr)
				same(t, name+" Z", z, wz)
				same(t, name+" bits", bits, wbits)
			}
		}
	}
}

func checkTemp[T float](t *testing.T, name string, f func(a, b []T, kc int, ab []T, ldb int), rows, panel, nr int) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kc := range kcs {
		for _, ldb := range []int{nr, nr + 7} {
			a := make([]T, panel*kc)
			b := make([]T, (kc-1)*ldb+nr)
			fill(rng, a)
			fill(rng, b)
			ab := make([]T, rows*nr)
			want := make([]T, rows*nr)
			for i := range rows {
				for j := range nr {
					want[i*nr+j] = product(a, b, kc, panel, ldb, i, j)
				}
			}
			f(a, b, kc, ab, ldb)
			same(t, name, ab, want)
		}
	}
}

func checkRows[T float](t *testing.T, name string, f func(ab []T, m int, c []T, ldc, beta, last int, bias, z []T, ldz int, r []T, ldr int, bits []uint64, stride, shift int), rows, nr int) {
	rng := rand.New(rand.NewPCG(7, 8))
	for m := 1; m <= rows; m++ {
		for opts := range 16 {
			beta, last := opts&1, opts>>3&1
			ab := make([]T, m*nr)
			ldc, ldz, ldr, stride := nr+1, nr+2, nr+3, 3
			c := make([]T, (m-1)*ldc+nr)
			r := make([]T, (m-1)*ldr+nr)
			var bias, z []T
			var bits []uint64
			shift := 0
			if last == 1 && opts&2 != 0 {
				bias = make([]T, nr)
				fill(rng, bias)
			}
			if last == 1 && opts&4 != 0 {
				z = make([]T, (m-1)*ldz+nr)
				bits = make([]uint64, (m-1)*stride+1)
				for i := range bits {
					bits[i] = rng.Uint64()
				}
				shift = (nr / 8) * rng.IntN(64/nr)
			}
			fill(rng, ab)
			fill(rng, c)
			fill(rng, r)
			wc, wz, wr, wbits := clone(c), clone(z), clone(r), clone(bits)
			for i := range m {
				for j := range nr {
					v := ab[i*nr+j]
					if beta == 1 {
						v += c[i*ldc+j]
					}
					if last == 0 {
						wc[i*ldc+j] = v
						continue
					}
					epilogue(v, i, j, bias, wz, ldz, wr, ldr, wbits, stride, shift)
				}
			}
			f(ab, m, c, ldc, beta, last, bias, z, ldz, r, ldr, bits, stride, shift)
			same(t, name+" C", c, wc)
			same(t, name+" R", r, wr)
			same(t, name+" Z", z, wz)
			same(t, name+" bits", bits, wbits)
		}
	}
}
`
