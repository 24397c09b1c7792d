package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/mmcloughlin/avo/build"
)

// TestAVX512TileShapes generates tiles of several shapes, today's and the
// two-FMA-pipe candidates (6×64, 8×32, 12×32, 14×32 float32; 6×32, 8×24,
// 12×16 float64), with A by embedded broadcast or broadcast into a
// register, into a package of their own, and runs them there
// against the Go the tile's doc states on small integers (every sum
// exact, so the comparison is exact), for edges of m, n and kc, both
// epilogues with and without β, Z and a mask offset, A and B packed or
// where they lie, and checks that nothing outside C, Z, R and the mask
// bits of the tile is written. It needs AVX-512 (Linux: /proc/cpuinfo).
func TestAVX512TileShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a package of generated tiles")
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || !strings.Contains(string(info), " avx512f") || !strings.Contains(string(info), " bmi2") {
		t.Skip("no AVX-512F and BMI2 here")
	}
	shapes := []avx512Tile{
		{t: f32, mr: 16, nr: 1},
		{t: f32, mr: 6, nr: 4},
		{t: f32, mr: 8, nr: 2},
		{t: f32, mr: 12, nr: 2},
		{t: f32, mr: 14, nr: 2},
		{t: f32, mr: 8, nr: 2, bcast: avx512BcastEmbedded},
		{t: f32, mr: 16, nr: 1, bcast: avx512BcastSplat},
		{t: f64, mr: 16, nr: 1},
		{t: f64, mr: 6, nr: 4},
		{t: f64, mr: 8, nr: 3},
		{t: f64, mr: 12, nr: 2},
		{t: f32, mr: 6, nr: 4, fullB: true},
		{t: f32, mr: 16, nr: 1, fullB: true},
		{t: f64, mr: 8, nr: 2, fullB: true},
	}
	dir := t.TempDir()
	tables := map[string]*strings.Builder{"F32": {}, "F64": {}}
	for _, s := range shapes {
		s.name = fmt.Sprintf("tile%s_%dx%d_%d_%v", s.t.Name, s.mr, s.cols(), s.bcast, s.fullB)
		avx512GenTile(s)
		fmt.Fprintf(tables[s.t.Name], "\t{%q, %d, %d, %s},\n", s.name, s.mr, s.cols(), s.name)
	}
	for name, v := range map[string]string{
		"out":   filepath.Join(dir, "tiles_amd64.s"),
		"stubs": filepath.Join(dir, "tiles_amd64.go"),
		"pkg":   "tiles",
	} {
		if err := flag.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	Generate()
	files := map[string]string{
		"go.mod":        "module tiles\n\ngo 1.26\n",
		"tiles_test.go": strings.NewReplacer("\t// F32\n", tables["F32"].String(), "\t// F64\n", tables["F64"].String()).Replace(avx512TileCheck),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-count=1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the generated tiles fail:\n%s", out)
	}
}

// avx512TileCheck is the test of the generated tiles' package.
const avx512TileCheck = `package tiles

import (
	"fmt"
	"math/rand"
	"testing"
)

type tileFunc[T float32 | float64] func(a, b []T, ldb, kc int, c []T, ldc, m, n, beta, fwd int, bias, z []T, ldz, storeZ int, r []T, ldr int, bits []uint64, stride, shift, bcol, lda int)

type shape[T float32 | float64] struct {
	name     string
	mr, cols int
	fn       tileFunc[T]
}

var shapes32 = []shape[float32]{
	// F32
}

var shapes64 = []shape[float64]{
	// F64
}

func TestTiles(t *testing.T) {
	for _, s := range shapes32 {
		check(t, s)
	}
	for _, s := range shapes64 {
		check(t, s)
	}
}

const sentinel = 12345

func ints[T float32 | float64](rng *rand.Rand, n, lim int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.Intn(2*lim+1) - lim)
	}
	return s
}

func fill[T float32 | float64](n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = sentinel
	}
	return s
}

func check[T float32 | float64](t *testing.T, s shape[T]) {
	rng := rand.New(rand.NewSource(1))
	mr, cols := s.mr, s.cols
	for _, m := range []int{1, mr - 1, mr, 2*mr + 1} {
		if m < 1 {
			continue
		}
		for _, n := range []int{1, cols - 1, cols, cols + 3, 2 * cols} {
			for _, kc := range []int{1, 6, 37, 70} {
				for v := 0; v < 32; v++ {
					beta, fwd, storeZ := v&1, v>>1&1, v>>2&1
					directA, directB := v>>3&1 == 1, v>>4&1 == 1
					if fwd == 0 && storeZ == 1 {
						continue
					}
					name := fmt.Sprintf("%s m=%d n=%d kc=%d beta=%d fwd=%d storeZ=%d directA=%v directB=%v", s.name, m, n, kc, beta, fwd, storeZ, directA, directB)
					one(t, s, rng, name, m, n, kc, beta, fwd, storeZ, directA, directB)
				}
			}
		}
	}
}

func one[T float32 | float64](t *testing.T, s shape[T], rng *rand.Rand, name string, m, n, kc, beta, fwd, storeZ int, directA, directB bool) {
	mr, cols := s.mr, s.cols
	mt, nt := (m+mr-1)/mr, (n+cols-1)/cols
	var a []T
	lda := 0
	A := func(i, p int) T { return a[i/mr*mr*kc+p*mr+i%mr] }
	if directA {
		lda = kc + 3
		a = ints[T](rng, (mt*mr-1)*lda+kc, 3)
		A = func(i, p int) T { return a[i*lda+p] }
	} else {
		a = ints[T](rng, mt*mr*kc, 3)
	}
	ldb, bcol := cols, cols*kc
	b := ints[T](rng, nt*cols*kc, 3)
	if directB {
		ldb, bcol = n+5, cols
		b = ints[T](rng, (kc-1)*ldb+n, 3)
	}
	B := func(p, j int) T { return b[j/cols*bcol+p*ldb+j%cols] }
	ldc, ldz, ldr := n+2, n+1, n+4
	c := ints[T](rng, mt*mr*ldc, 8)
	c0 := append([]T(nil), c...)
	var bias, z, r []T
	var bits []uint64
	stride, shift := 0, 0
	zArg, ldzArg, rArg, ldrArg := []T(nil), 0, c, ldc
	if fwd == 1 {
		bias = ints[T](rng, nt*cols, 8)
		z, r = fill[T](mt*mr*ldz), fill[T](mt*mr*ldr)
		zArg, ldzArg, rArg, ldrArg = r, ldr, r, ldr
		if storeZ == 1 {
			zArg, ldzArg = z, ldz
		}
		if cols < 64 && n%2 == 1 {
			shift = cols / 8
		}
		stride = (8*shift+nt*cols+63)/64 + 1
		bits = make([]uint64, mt*mr*stride)
		for i := range bits {
			bits[i] = rng.Uint64()
		}
	}
	bits0 := append([]uint64(nil), bits...)
	s.fn(a, b, ldb, kc, c, ldc, m, n, beta, fwd, bias, zArg, ldzArg, storeZ, rArg, ldrArg, bits, stride, shift, bcol, lda)
	// V is the tile's v before the epilogue's bias.
	V := func(i, j int) T {
		var v T
		for p := 0; p < kc; p++ {
			v += A(i, p) * B(p, j)
		}
		if beta == 1 {
			v += c0[i*ldc+j]
		}
		return v
	}
	for i := 0; i < mt*mr; i++ {
		for j := 0; j < ldc; j++ {
			want := c0[i*ldc+j]
			if i < m && j < n {
				v := V(i, j)
				if fwd == 0 {
					want = v
				} else {
					v += bias[j]
					if storeZ == 1 && z[i*ldz+j] != v {
						t.Fatalf("%s: z[%d][%d] = %v, want %v", name, i, j, z[i*ldz+j], v)
					}
					rv := v
					if v < 0 {
						rv = 0
					}
					if r[i*ldr+j] != rv {
						t.Fatalf("%s: r[%d][%d] = %v, want %v", name, i, j, r[i*ldr+j], rv)
					}
				}
			}
			if c[i*ldc+j] != want {
				t.Fatalf("%s: c[%d][%d] = %v, want %v", name, i, j, c[i*ldc+j], want)
			}
		}
	}
	if fwd == 0 {
		return
	}
	for i := 0; i < mt*mr; i++ {
		for j := 0; j < ldz; j++ {
			if (i >= m || j >= n || storeZ == 0) && z[i*ldz+j] != sentinel {
				t.Fatalf("%s: z[%d][%d] written", name, i, j)
			}
		}
		for j := 0; j < ldr; j++ {
			if (i >= m || j >= n) && r[i*ldr+j] != sentinel {
				t.Fatalf("%s: r[%d][%d] written", name, i, j)
			}
		}
		for k := 0; k < 64*stride; k++ {
			word, bit := i*stride+k/64, uint(k%64)
			got, want := bits[word]>>bit&1, bits0[word]>>bit&1
			if j := k - 8*shift; i < m && j >= 0 && j < nt*cols {
				want = 0 // the columns from n to the tile's last are cleared
				if j < n && V(i, j)+bias[j] >= 0 {
					want = 1
				}
			}
			if got != want {
				t.Fatalf("%s: mask bit %d of row %d = %d, want %d", name, k, i, got, want)
			}
		}
	}
}
`
