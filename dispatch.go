package kernels

import (
	"fmt"
	"math"
	"os"
	"strings"
	"unsafe"
)

// blocking is the BLIS cache blocking of one element type on one path:
// B is packed in kc×nc blocks (L3), A in mc×kc blocks (L2), and a kc×nr
// micro-panel of B is reused by the mr×nr tiles of a block of A (cpu.go's
// blockSizes says where each lives). nc1, when positive, is the nc of a
// job that packs B for one block of A (forJob); stream, when positive,
// the smallest C in bytes that a job of one K panel writes with streaming
// stores (packedLoop.item).
type blocking struct{ mc, kc, nc, nc1, stream int }

// forJob returns the blocking of a job of m rows that packs B itself.
// With m ≤ mc every packed block of B is read by one block of A, once,
// right after it is packed: in the L3-sized block (nc) the packing's
// writes and the tiles' reads both go out to L3 or memory, as much
// traffic again as reading B, while a block of nc1 columns (half of L2)
// stays in L2 between the two. The column blocks only split the columns:
// every sum is the same, bit for bit (TUNING.md, nc1).
func (bl blocking) forJob(m int) blocking {
	if bl.nc1 > 0 && m <= bl.mc {
		bl.nc = min(bl.nc, bl.nc1)
	}
	return bl
}

// impl is one code path.
type impl struct {
	name     string
	f32      ops[float32]
	f64      ops[float64]
	b32, b64 blocking
	bf16     bf16Ops // ToBF16 and FromBF16 (bf16.go)
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
	impls = append([]*impl{newPath(genericPath)}, archImpls()...)
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

// newPath returns the path of a table entry, as configured for the core
// class in use (core.go).
func newPath(c pathConfig) *impl {
	c = forCore(c, core)
	return newImpl(c.name, c.f32, c.f64)
}

// newImpl returns a path of the given kernels, completed by withDefaults,
// with the blocking derived from their tiles.
func newImpl(name string, f32 ops[float32], f64 ops[float64]) *impl {
	p := &impl{name: name, f32: f32.withDefaults(), f64: f64.withDefaults(), bf16: bf16PathOps(name)}
	p.b32 = p.f32.blocks(4, p.f32.mr, p.f32.nr)
	p.b64 = p.f64.blocks(8, p.f64.mr, p.f64.nr)
	return p
}

// Blocking is the cache blocking of one element type: see [PathInfo].
type Blocking struct {
	MR, NR     int // register tile
	MC, KC, NC int // packed blocks of A (MC×KC) and B (KC×NC)
	// NC1: the NC of a job of at most MC rows that packs B itself: its
	// block of B, read by one block of A, stays in L2 (half of it).
	NC1 int
	// Stream: a GEMM's C (dW in a backward pass) of this many bytes or
	// more, summed in one K panel, is written with streaming stores on
	// AVX-512 when it is 64-byte aligned with rows a multiple of 64 bytes
	// apart: each line written once, without reading it in first.
	Stream int
	// RowsBelow: a job of fewer rows (a GEMM's M, a pass's batch) reads
	// B (W) where it lies, a row of C at a time, rather than through the
	// register tiles; a [PackedW] then gives no gain, and its results may
	// differ from W's by rounding.
	RowsBelow int
	// PackedRowsBelow: a job of fewer rows on a [PackedW] reads its packed
	// panels a few rows at a time rather than through the register tiles,
	// with the tiles' sums, bit for bit (a tile a few rows full spends
	// most of its multiply-adds on padding); 0 where the path has no such
	// route.
	PackedRowsBelow int
}

// PathInfo describes the code path in use.
type PathInfo struct {
	ISA       string   // generic, avx2, avx512 or neon
	Core      string   // the core class whose configuration is in use (FUSEDRELU_CORE overrides it)
	Supported []string // every path this CPU and build support, best last
	CPU       string   // the processor's brand string
	L1D       int      // data cache sizes in bytes, per core (L3: in all); 0 if unknown
	L2, L3    int
	F32, F64  Blocking
	// BF16Dot: the bfloat16 layers multiply with VDPBF16PS (AVX512_BF16),
	// with its own rounding (see ForwardBF16); false: they widen to
	// float32 and compute as the float32 kernels do.
	BF16Dot bool
}

// Path reports the code path in use, the core class whose configuration
// it uses, the paths the machine supports and the cache blocking derived
// from its caches.
func Path() PathInfo {
	info := PathInfo{ISA: active.name, Core: string(core), CPU: cpuName(), F32: blockingOf(&active.f32, active.b32), F64: blockingOf(&active.f64, active.b64),
		BF16Dot: active.f32.dotTile != nil}
	info.L1D, info.L2, info.L3 = cacheSizes()
	for _, p := range impls {
		info.Supported = append(info.Supported, p.name)
	}
	return info
}

func blockingOf[T Float](o *ops[T], b blocking) Blocking {
	return Blocking{MR: o.mr, NR: o.nr, MC: b.mc, KC: b.kc, NC: b.nc, NC1: b.nc1, Stream: b.stream, RowsBelow: rowsBelow(o), PackedRowsBelow: packedRowsLimit(&o.gemmConfig)}
}

func (i PathInfo) String() string {
	dot := "widened to float32"
	if i.BF16Dot {
		dot = "VDPBF16PS"
	}
	return fmt.Sprintf("path %s (supported: %s), core %s; f32 tile %d×%d, blocks MC=%d KC=%d NC=%d; f64 tile %d×%d, blocks MC=%d KC=%d NC=%d; bfloat16 %s",
		i.ISA, strings.Join(i.Supported, ", "), i.Core,
		i.F32.MR, i.F32.NR, i.F32.MC, i.F32.KC, i.F32.NC,
		i.F64.MR, i.F64.NR, i.F64.MC, i.F64.KC, i.F64.NC, dot)
}
