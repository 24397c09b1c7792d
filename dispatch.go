package kernels

import (
	"fmt"
	"math"
	"os"
	"strings"
	"unsafe"
)

// ops are the kernels of one code path for one element type. The generic
// Go code fills every field; an assembly path replaces what it has.
type ops[T Float] struct {
	relu         func(dst, x []T)                // len(dst) == len(x)
	stepMask     func(bits []uint64, z []T)      // len(bits) ≥ MaskWords(len(z))
	stepGrad     func(dz, dr, z []T)             // equal lengths
	stepGradMask func(dz, dr []T, bits []uint64) // len(dz) == len(dr)

	// The GEMM register tile is mr×nr; nr divides 64 so that a tile's
	// mask bits never straddle a 64-bit word.
	mr, nr int
	kernel func(t *tile[T])
	// tall: kernel takes any t.m ≥ 1, the ⌈m/mr⌉ tiles down a column of
	// C, their micro-panels of A one after another in t.a; else m ≤ mr.
	tall bool
	// wide: kernel takes t.n > nr, up to wideCols, the columns of tiles
	// one after another (with tall, each a column of tiles).
	wide bool
	// gemmNT, when not nil, may compute C = A·Wᵀ (+ C for beta = 1), A
	// m×k, W n×k, on one thread, for the backward's dX; it reports false
	// for a shape it does not take (see gemmNTAVX512F32).
	gemmNT func(m, n, k int, a []T, lda int, w []T, ldw int, c []T, ldc int, beta T, scratch *[]T) bool
	// directB: kernel reads B unpacked, t.ldb apart, when t.ldb ≠ 0
	// (directB in route.go says when the driver asks it to); directWhole:
	// the AVX2 tile's narrower rule, whole tiles of nr columns only (it
	// has no masked loads), so only for N a multiple of nr, and for rows
	// of B 4 KiB or more apart only 1 or 2 row tiles.
	directB, directWhole bool
	// directA: kernel reads an untransposed A unpacked, t.lda apart,
	// when t.lda ≠ 0 (directA in route.go says when).
	directA bool
	packA   func(dst, a []T, lda int, trans bool, i0, p0, mb, kb, mr int)
	packB   func(dst, b []T, ldb int, trans bool, p0, j0, kb, nb, nr int)
	// packBRows is packBRowsGeneric: rows of B into micro-panels panel
	// elements apart, so that a block can be packed a few rows at a time.
	packBRows func(dst, b []T, ldb, rows, nb, nr, panel int)
	// packDZB, when not nil, packs rows of dZ built from dR and the mask
	// bits (of column 0 of the rows), adding them into db and writing
	// them to dz when those are not empty, in one pass: what packBdZ
	// otherwise does with stepGradMask, axpy, copy and packBRows, bit for
	// bit (see packDZBAVX512F32).
	packDZB func(dst, dr []T, lddr int, bits []uint64, stride int, db, dz []T, lddz, rows, nb, nr, panel int)
	axpy    func(dst []T, alpha T, x []T) // dst[i] += alpha·x[i], len(dst) == len(x)
	// axpy4 is, bit for bit, axpy(dst, a0, x0) … axpy(dst, a3, x3) (nil:
	// the path has none, and the rows route makes the four calls).
	axpy4 func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
	// axpyZ and axpy4Z are, bit for bit, clear(dst) then axpy or axpy4,
	// in one pass over dst (nil: the path has none, and the rows route
	// clears dst first).
	axpyZ  func(dst []T, alpha T, x []T)
	axpy4Z func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
	dot    func(x, y []T) T // Σ x[i]·y[i], len(x) == len(y)

	// adam is AdamUpdate's loop (adamGeneric), len(g) = len(m) = len(v) = len(p).
	adam func(p, g, m, v []T, k adamCoef[T])
}

// blocking is the BLIS cache blocking of one element type on one path:
// B is packed in kc×nc blocks (L3), A in mc×kc blocks (L2), and a kc×nr
// micro-panel of B is reused by the mr×nr tiles of a block of A (cpu.go's
// blockSizes says where each lives).
type blocking struct{ mc, kc, nc int }

// impl is one code path.
type impl struct {
	name     string
	f32      ops[float32]
	f64      ops[float64]
	b32, b64 blocking
}

// opsFor returns p's kernels for T. T is float32 or float64, and
// ops[float32] is ops[T] when T is float32, so the conversion only
// renames the type; the size test is a constant in each instantiation.
func opsFor[T Float](p *impl) *ops[T] {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return (*ops[T])(unsafe.Pointer(&p.f32))
	}
	return (*ops[T])(unsafe.Pointer(&p.f64))
}

func blocksFor[T Float](p *impl) blocking {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return p.b32
	}
	return p.b64
}

// is32 reports whether T is float32; a constant in each instantiation.
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// asF32 and asF64 give s as the slice type T is (is32 says which), for
// calling a type's assembly from code generic in T: the conversion only
// renames the type, as in opsFor, and the call stays direct, so that the
// assembly's //go:noescape holds for a caller's stack arrays.
func asF32[T Float](s []T) []float32 { return *(*[]float32)(unsafe.Pointer(&s)) }
func asF64[T Float](s []T) []float64 { return *(*[]float64)(unsafe.Pointer(&s)) }

// negZeros returns n (at most wideCols) copies of −0 as []T: the bias of a tile
// without one, as x + (−0) = x for every x, −0 and NaN included, so that
// the assembly adds a bias unconditionally.
func negZeros[T Float](n int) []T {
	if is32[T]() {
		s := negZero32[:n]
		return *(*[]T)(unsafe.Pointer(&s))
	}
	s := negZero64[:n]
	return *(*[]T)(unsafe.Pointer(&s))
}

var (
	negZero32 = func() (r [wideCols]float32) {
		for i := range r {
			r[i] = float32(math.Copysign(0, -1))
		}
		return
	}()
	negZero64 = func() (r [wideCols]float64) {
		for i := range r {
			r[i] = math.Copysign(0, -1)
		}
		return
	}()
)

// The path names FUSEDRELU_ISA accepts, from the least capable.
var pathNames = []string{"generic", "avx2", "avx512", "neon"}

var (
	// impls are the paths this machine supports, generic first and the
	// best last; active is the one in use. Both are set once, at init,
	// and changed afterwards only by this package's tests.
	impls  []*impl
	active *impl
)

func init() {
	impls = append([]*impl{newImpl("generic", genericOps[float32](), genericOps[float64]())}, archImpls()...)
	p, msg := choosePath(impls, os.Getenv("FUSEDRELU_ISA"))
	if msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	active = p
}

// choosePath returns the path that the value of FUSEDRELU_ISA asks for,
// or the best one with a message saying why it is not the one asked for.
func choosePath(supported []*impl, want string) (*impl, string) {
	best := supported[len(supported)-1]
	want = strings.ToLower(strings.TrimSpace(want))
	if want == "" {
		return best, ""
	}
	for _, p := range supported {
		if p.name == want {
			return p, ""
		}
	}
	names := make([]string, len(supported))
	for i, p := range supported {
		names[i] = p.name
	}
	for _, n := range pathNames {
		if n == want {
			return best, fmt.Sprintf("kernels: FUSEDRELU_ISA=%s is not supported by this CPU or build (supported: %s); using %s",
				want, strings.Join(names, ", "), best.name)
		}
	}
	return best, fmt.Sprintf("kernels: FUSEDRELU_ISA=%q is not a path name (known: %s; supported here: %s); using %s",
		want, strings.Join(pathNames, ", "), strings.Join(names, ", "), best.name)
}

func newImpl(name string, f32 ops[float32], f64 ops[float64]) *impl {
	p := &impl{name: name, f32: f32, f64: f64}
	p.b32 = blockSizes(4, f32.mr, f32.nr)
	p.b64 = blockSizes(8, f64.mr, f64.nr)
	return p
}

// Blocking is the cache blocking of one element type: see [PathInfo].
type Blocking struct {
	MR, NR     int // register tile
	MC, KC, NC int // packed blocks of A (MC×KC) and B (KC×NC)
}

// PathInfo describes the code path in use.
type PathInfo struct {
	ISA       string   // generic, avx2, avx512 or neon
	Supported []string // every path this CPU and build support, best last
	CPU       string   // the processor's brand string
	L1D       int      // data cache sizes in bytes, per core (L3: in all); 0 if unknown
	L2, L3    int
	F32, F64  Blocking
}

// Path reports the code path in use, the paths the machine supports and
// the cache blocking derived from its caches.
func Path() PathInfo {
	info := PathInfo{ISA: active.name, CPU: cpuName(), F32: blockingOf(active.b32, active.f32.mr, active.f32.nr), F64: blockingOf(active.b64, active.f64.mr, active.f64.nr)}
	info.L1D, info.L2, info.L3 = cacheSizes()
	for _, p := range impls {
		info.Supported = append(info.Supported, p.name)
	}
	return info
}

func blockingOf(b blocking, mr, nr int) Blocking {
	return Blocking{MR: mr, NR: nr, MC: b.mc, KC: b.kc, NC: b.nc}
}

func (i PathInfo) String() string {
	return fmt.Sprintf("path %s (supported: %s); f32 tile %d×%d, blocks MC=%d KC=%d NC=%d; f64 tile %d×%d, blocks MC=%d KC=%d NC=%d",
		i.ISA, strings.Join(i.Supported, ", "),
		i.F32.MR, i.F32.NR, i.F32.MC, i.F32.KC, i.F32.NC,
		i.F64.MR, i.F64.NR, i.F64.MC, i.F64.KC, i.F64.NC)
}
