package kernels

// Tests of the parallel kernels (pool.go, threads.go and the split in loops.go):
// the same bits for 1, 2, 3 and 7 threads on every path, concurrent calls
// from many goroutines (run under -race by CI), no goroutine leaks, panics
// in workers raised in the caller, no allocations in steady state; and the
// benchmarks of the thread scaling and of the work threshold.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// forceParallel lets every job split among as many threads as a call
// allows, however small, until tb ends.
func forceParallel(tb testing.TB) {
	old := parallelMinMACs
	parallelMinMACs = 1
	tb.Cleanup(func() { parallelMinMACs = old })
}

// detInputs are the operands of one shape for the determinism tests.
type detInputs[T Float] struct {
	m, k, n int
	ga, gb  []T // GEMM operands, either way round, leading dimension +2
	x       []T // M×K, ldx = K+3
	w       []T // K×N, tight
	bias    []T
	dr      []T // M×N, lddr = N+5
	z       []T // M×N, tight: the source of the mask
	mask    Mask
	c0      []T // M×N, C before a GEMM with β ≠ 0
	acc0    []T // the starting values of accumulated outputs
	pw      *PackedW[T]
}

func newDetInputs[T Float](r *rand.Rand, m, k, n int) *detInputs[T] {
	vec := func(l int) []T {
		v := make([]T, l)
		for i := range v {
			v[i] = randVal[T](r)
		}
		return v
	}
	in := &detInputs[T]{m: m, k: k, n: n,
		ga: vec(max(m*(k+2), k*(m+2))), gb: vec(max(k*(n+2), n*(k+2))),
		x: vec(m * (k + 3)), w: vec(k * n), bias: vec(n), dr: vec(m * (n + 5)), z: vec(m * n),
		c0: vec(m * n), acc0: vec(max(m*k, k*n, n) + 1)}
	in.mask = NewMask(m, n)
	for i := range m {
		StepMask(in.mask.Bits[i*in.mask.Stride:], in.z[i*n:(i+1)*n])
	}
	in.pw = PackW(k, n, in.w, 0)
	return in
}

// detRun runs every kernel on the inputs with the given thread count and
// returns the outputs by name. With viaPackage, some calls take the count
// from SetThreads instead of their arguments.
func detRun[T Float](in *detInputs[T], threads int, viaPackage bool) map[string][]T {
	m, k, n := in.m, in.k, in.n
	out := map[string][]T{}
	mk := func(name string, l int) []T {
		s := make([]T, l)
		out[name] = s
		return s
	}
	accum := func(name string, l int) []T {
		s := mk(name, l)
		copy(s, in.acc0)
		return s
	}
	for tr := range 4 {
		tA, tB := Transpose(tr&1 != 0), Transpose(tr&2 != 0)
		lda, ldb := k+2, n+2
		if tA {
			lda = m + 2
		}
		if tB {
			ldb = k + 2
		}
		c := mk(fmt.Sprintf("GEMM %d", tr), m*n)
		copy(c, in.c0)
		alpha, beta := T(0.5), T(-1.5)
		if tr == 2 {
			alpha, beta = 1, 0
		}
		GEMMThreads(threads, tA, tB, m, n, k, alpha, in.ga, lda, in.gb, ldb, beta, c, n)
	}
	fwdMask, pwMask := NewMask(m, n), NewMask(m, n)
	fa := &ForwardArgs[T]{M: m, K: k, N: n, X: in.x, LdX: k + 3, W: in.w, Bias: in.bias,
		R: mk("Forward R", m*n), Z: mk("Forward Z", m*n), Mask: fwdMask, Threads: threads}
	if viaPackage {
		old := SetThreads(threads)
		fa.Threads = 0
		Forward(fa)
		SetThreads(old)
	} else {
		Forward(fa)
	}
	Forward(&ForwardArgs[T]{M: m, K: k, N: n, X: in.x, LdX: k + 3, PW: in.pw, Bias: in.bias,
		R: mk("Forward PW R", m*n), Mask: pwMask, Threads: threads})
	Backward(&BackwardArgs[T]{M: m, K: k, N: n, X: in.x, LdX: k + 3, W: in.w, DR: in.dr, LdDR: n + 5, Z: in.z,
		DX: mk("Backward DX", m*k), DW: mk("Backward DW", k*n), DB: mk("Backward DB", n), DZ: mk("Backward DZ", m*n),
		Threads: threads})
	Backward(&BackwardArgs[T]{M: m, K: k, N: n, X: in.x, LdX: k + 3, W: in.w, DR: in.dr, LdDR: n + 5, Mask: in.mask,
		DX: accum("Backward acc DX", m*k), DW: accum("Backward acc DW", k*n), DB: accum("Backward acc DB", n),
		Accumulate: true, Threads: threads})
	Backward(&BackwardArgs[T]{M: m, K: k, N: n, PW: in.pw, DR: in.dr, LdDR: n + 5, Mask: in.mask,
		DX: mk("Backward PW DX", m*k), DB: mk("Backward PW DB", n), DZ: mk("Backward PW DZ", m*n), Threads: threads})
	Backward(&BackwardArgs[T]{M: m, K: k, N: n, DR: in.dr, LdDR: n + 5, Z: in.z,
		DB: accum("Backward DB only", n), DZ: mk("Backward DZ only", m*n), Accumulate: true, Threads: threads})
	Backward(&BackwardArgs[T]{M: m, K: k, N: n, X: in.x, LdX: k + 3, DR: in.dr, LdDR: n + 5, Mask: in.mask,
		DW: mk("Backward DW,DB DW", k*n), DB: mk("Backward DW,DB DB", n), Threads: threads})
	// The masks, a word as two elements (compared bit for bit).
	for name, mask := range map[string]Mask{"Forward mask": fwdMask, "Forward PW mask": pwMask} {
		bits := mk(name, 2*len(mask.Bits))
		for i, w := range mask.Bits {
			bits[2*i], bits[2*i+1] = fromBits[T](w&0xffffffff), fromBits[T](w>>32)
		}
	}
	return out
}

// detShapes are the awkward shapes of the determinism tests for a path:
// edge tiles everywhere, the real mc and kc blocks crossed, the rows
// route (M < mr, K ≤ 8), columns past a chunk, empty dimensions; with
// small blocks, many nc blocks that do not start on a mask word.
func detShapes[T Float](p *impl, small bool) [][3]int {
	mr, nr, bl := tileOf[T](p)
	if small {
		if testing.Short() {
			return [][3]int{{5*mr + 3, 27, 9*nr + 5}}
		}
		return [][3]int{{5*mr + 3, 27, 9*nr + 5}, {4*mr + 1, 17, 70}, {2, 30, 9*nr + 1}, {70, 5, 2*nr + 1}}
	}
	if testing.Short() {
		return [][3]int{{2*mr + 1, 9, 2*nr + 1}, {mr - 1, 17, 300}, {3*mr + 2, 40, 129}, {5, 40, 130}, {5, 0, 7}}
	}
	// M < mr and N ≤ 8 put dX on the rows route, K < mr or M ≤ 8 dW.
	return [][3]int{
		{2*mr + 1, 9, 2*nr + 1}, {bl.mc + mr + 1, bl.kc + 3, 3*nr + 65}, {1, 300, 133},
		{mr - 1, 17, 300}, {70, 5, 300}, {5, 70, 300}, {3*mr + 2, 40, 129}, {9*mr + 7, 33, 7},
		{0, 5, 7}, {5, 0, 7}, {5, 7, 0},
	}
}

// TestThreadsDeterministic: every path, with its real blocking and with
// small blocks, gives the same bits with 1, 2, 3 and 7 threads for every
// kernel, and the calls did split among that many participants (with
// GOMAXPROCS 8, on however many cores).
func TestThreadsDeterministic(t *testing.T) {
	forceParallel(t)
	// A call has at most GOMAXPROCS participants.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	for _, p := range impls {
		for _, small := range []bool{false, true} {
			q := p
			if small {
				q = smallBlocks(p)
			}
			t.Run(q.name, func(t *testing.T) {
				setPath(t, q)
				t.Run("f32", func(t *testing.T) { testThreadsDeterministic[float32](t, q, small) })
				t.Run("f64", func(t *testing.T) { testThreadsDeterministic[float64](t, q, small) })
			})
		}
	}
}

func testThreadsDeterministic[T Float](t *testing.T, p *impl, small bool) {
	var most atomic.Int64
	testHookTeam = func(n int) {
		for {
			old := most.Load()
			if int64(n) <= old || most.CompareAndSwap(old, int64(n)) {
				return
			}
		}
	}
	defer func() { testHookTeam = nil }()
	r := newRand(77)
	mr, _, _ := tileOf[T](p)
	for _, sh := range detShapes[T](p, small) {
		in := newDetInputs[T](r, sh[0], sh[1], sh[2])
		want := detRun(in, 1, false)
		for _, threads := range []int{2, 3, 7} {
			most.Store(0)
			got := detRun(in, threads, threads == 3)
			for name, w := range want {
				if bad := firstDiff(got[name], w); bad >= 0 {
					t.Errorf("M=%d K=%d N=%d, %d threads: %s[%d] = %s, with one thread %s",
						sh[0], sh[1], sh[2], threads, name, bad, fmtBits(got[name][bad]), fmtBits(w[bad]))
				}
			}
			// Every thread takes part where the job has an item (a row
			// tile by 64 columns) for each.
			if sh[0] > 2*mr && sh[1] > 0 && sh[2] > 64 && ceilDiv(sh[0], mr)*ceilDiv(sh[2], 64) >= threads && most.Load() != int64(threads) {
				t.Errorf("M=%d K=%d N=%d, %d threads: the calls had at most %d participants", sh[0], sh[1], sh[2], threads, most.Load())
			}
		}
	}
}

// firstDiff returns the first index where a and b differ in any bit, or
// −1.
func firstDiff[T Float](a, b []T) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if bitsOf(a[i]) != bitsOf(b[i]) {
			return i
		}
	}
	return -1
}

// TestConcurrentCalls: goroutines calling every kernel at once, with
// various thread counts and one shared PackedW, get the results of a
// serial run bit for bit. Under -race it also checks the synchronisation
// of the pool and, through the annotations of race.go, the memory that
// assembly touches.
func TestConcurrentCalls(t *testing.T) {
	forceParallel(t)
	mr, nr, _ := tileOf[float32](active)
	shapes := [][3]int{{3*mr + 5, 70, 2*nr + 67}, {mr - 1, 20, 130}}
	goroutines, iters := 6, 4
	if testing.Short() {
		iters = 2
	}
	for _, sh := range shapes {
		in := newDetInputs[float32](newRand(5), sh[0], sh[1], sh[2])
		want := detRun(in, 1, false)
		var wg sync.WaitGroup
		var fails atomic.Int64
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range iters {
					got := detRun(in, []int{0, 1, 2, 3}[(g+i)%4], false)
					for name, w := range want {
						if bad := firstDiff(got[name], w); bad >= 0 && fails.Add(1) <= 5 {
							t.Errorf("M=%d K=%d N=%d, goroutine %d: %s[%d] = %v, serial %v", sh[0], sh[1], sh[2], g, name, bad, got[name][bad], w[bad])
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	checkPoolParked(t)
}

// checkPoolParked checks that every worker of the pool is idle.
func checkPoolParked(t *testing.T) {
	t.Helper()
	if size, idle := poolStats(); idle != size {
		t.Errorf("pool: %d workers, %d idle after the calls returned", size, idle)
	}
}

// TestPoolNoLeak: after the pool has grown to the largest thread count
// asked for, many calls (some at once) start no goroutine and leave every
// worker parked.
func TestPoolNoLeak(t *testing.T) {
	forceParallel(t)
	in := newDetInputs[float32](newRand(6), 37, 20, 131)
	detRun(in, 7, false) // grow the pool
	size0, _ := poolStats()
	g0 := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				detRun(in, 1+(g+i)%7, false)
			}
		}()
	}
	wg.Wait()
	for i := range 20 {
		detRun(in, 1+i%7, false)
	}
	size, idle := poolStats()
	if size != size0 || idle != size {
		t.Errorf("pool: %d workers (%d idle), was %d", size, idle, size0)
	}
	// Idle workers spin for idleSpin, then park.
	for deadline := time.Now().Add(5 * time.Second); pool.spinners.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := pool.spinners.Load(); n != 0 {
		t.Errorf("%d workers still spin long after the calls", n)
	}
	// The test's own goroutines may take a moment to exit.
	g := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); g > g0 && time.Now().Before(deadline); g = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	if g > g0 {
		t.Errorf("%d goroutines after the calls, %d before", g, g0)
	}
}

// onWorker reports whether the calling goroutine is a pool worker.
func onWorker() bool {
	buf := make([]byte, 16<<10)
	return strings.Contains(string(buf[:runtime.Stack(buf, false)]), "(*worker).serve")
}

// TestWorkerPanic: a panic in a worker is raised in the caller (and does
// not end the process or hang), a panic in the caller releases the
// workers, and the pool works afterwards.
func TestWorkerPanic(t *testing.T) {
	forceParallel(t)
	q := *generic()
	q.name = "generic/panicky"
	var mode atomic.Int32 // 1: panic on workers, 2: panic on the caller
	kernel := q.f32.kernel
	q.f32.kernel = func(tl *tile[float32]) {
		switch onW := onWorker(); {
		case mode.Load() == 1 && onW:
			panic("boom on a worker")
		case mode.Load() == 1:
			time.Sleep(200 * time.Microsecond) // leave tiles to the workers
		case mode.Load() == 2 && !onW:
			panic("boom on the caller")
		case mode.Load() == 2:
			time.Sleep(200 * time.Microsecond) // leave tiles to the caller
		}
		kernel(tl)
	}
	setPath(t, &q)
	const m, n, k = 64, 64, 64
	r := newRand(8)
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i], b[i] = randVal[float32](r), randVal[float32](r)
	}
	call := func() (msg string) {
		done := make(chan string, 1)
		go func() {
			done <- panicMsg(func() {
				GEMMThreads(4, NoTrans, NoTrans, m, n, k, 1, a, 0, b, 0, 0, make([]float32, m*n), 0)
			})
		}()
		select {
		case msg = <-done:
		case <-time.After(time.Minute):
			t.Fatal("the call hangs")
		}
		return msg
	}
	mode.Store(1)
	if msg := call(); !strings.Contains(msg, "boom on a worker") || !strings.Contains(msg, "worker goroutine") {
		t.Errorf("panic on a worker: the caller got %q", msg)
	}
	mode.Store(2)
	if msg := call(); msg != "boom on the caller" {
		t.Errorf("panic on the caller: got %q", msg)
	}
	checkPoolParked(t)
	mode.Store(0)
	if msg := call(); msg != "" {
		t.Errorf("after the panics: %s", msg)
	}
	got, want := make([]float32, m*n), make([]float32, m*n)
	GEMMThreads(4, NoTrans, NoTrans, m, n, k, 1, a, 0, b, 0, 0, got, 0)
	withPath(generic(), func() { GEMMThreads(1, NoTrans, NoTrans, m, n, k, 1, a, 0, b, 0, 0, want, 0) })
	if bad := firstDiff(got, want); bad >= 0 {
		t.Errorf("after the panics: C[%d] = %v, want %v", bad, got[bad], want[bad])
	}
	checkPoolParked(t)
}

// TestRaceAnnotations (under -race): the race detector sees what a
// kernel it cannot instrument does, through the annotations of race.go.
// The kernel here is Go compiled with //go:norace, as invisible to the
// detector as assembly; two calls that write one C at once must be
// reported, as writes of racewriterange (the annotation). The racing
// calls run in a child
// process, since a reported race fails the test that has it.
func TestRaceAnnotations(t *testing.T) {
	if !raceEnabled {
		t.Skip("without -race there is nothing to annotate")
	}
	if mode := os.Getenv("KERNELS_RACE_CHILD"); mode != "" {
		raceChild(mode)
		return
	}
	for _, mode := range []string{"gemm", "relu", "adam"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRaceAnnotations$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KERNELS_RACE_CHILD="+mode)
		out, _ := cmd.CombinedOutput()
		if s := string(out); !strings.Contains(s, "WARNING: DATA RACE") || !strings.Contains(s, "racewriterange") {
			t.Errorf("%s: the race through an uninstrumented kernel was not reported; the child's output:\n%s", mode, s)
		}
	}
}

// raceChild runs two calls at once that write the same memory through
// kernels the race detector does not see (as it does not see assembly):
// two GEMMs into one C with noraceKernel ("gemm"), two ReLUs into one
// dst ("relu"), two Adam updates of one p ("adam").
func raceChild(mode string) {
	q := *generic()
	q.name = "generic/norace"
	q.f32.kernel = noraceKernel
	q.f32.relu = noraceReLU
	q.f32.adam = noraceAdam
	withPath(&q, func() {
		const m, n, k = 64, 64, 64
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		g, mo, v := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
		coef := NewAdamCoeffs[float32](0.001, 0.9, 0.999, 1e-8, 1)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					switch mode {
					case "gemm":
						GEMMThreads(1, NoTrans, NoTrans, m, n, k, 1, a, 0, b, 0, 0, c, 0)
					case "relu":
						ReLU(c, a)
					case "adam":
						AdamUpdate(c, g, mo, v, coef)
					}
				}
			}()
		}
		wg.Wait()
	})
}

// noraceReLU is the generic ReLU and noraceAdam a stand-in that reads
// and writes what the Adam kernel does (not its arithmetic), both with the
// race detector's instrumentation off (//go:norace covers only the body,
// so they cannot call the generic functions).
//
//go:norace
func noraceReLU(dst, x []float32) {
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

//go:norace
func noraceAdam(p, g, m, v []float32, k adamCoef[float32]) {
	for i := range p {
		m[i] = k[0]*m[i] + k[1]*g[i]
		v[i] = k[2]*v[i] + k[3]*g[i]*g[i]
		p[i] -= k[6] * m[i]
	}
}

// noraceKernel is the generic tile of a plain GEMM (not a forward pass)
// with the race detector's instrumentation off.
//
//go:norace
func noraceKernel(t *tile[float32]) {
	for i := range t.m {
		for j := range t.n {
			var s float32
			for p := range t.kc {
				s += t.a[p*genericMR+i] * t.b[p*genericNR+j]
			}
			c := &t.c[i*t.ldc+j]
			v := t.alpha * s
			if t.beta != 0 {
				v += t.beta * *c
			}
			*c = v
		}
	}
}

// TestZeroAllocs: in steady state no call allocates, on one thread or
// several, plain or prepacked, even with a garbage collection before each
// call (which would empty a sync.Pool): testing.AllocsPerRun, like a
// benchmark's allocs/op, reports whole allocations a call.
//
// The count is of the whole process, so it also sees the runtime's own
// rare allocations: after a collection, the background scavenger's, and
// a sudog (112 bytes) for a blocking WaitGroup, sync.Cond or channel
// operation of the caller or of a worker when its P's cache of them is
// empty (a collection empties the central cache behind those).
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	mr, nr, bl := tileOf[float32](active)
	for _, sh := range [][3]int{{3*mr + 1, bl.kc + 5, 2*nr + 65}, {1, 40, 300}, {70, 5, 100}} {
		m, k, n := sh[0], sh[1], sh[2]
		in := newDetInputs[float32](newRand(9), m, k, n)
		r, z, dx, dw, db, dz, c := make([]float32, m*n), make([]float32, m*n), make([]float32, m*k), make([]float32, k*n), make([]float32, n), make([]float32, m*n), make([]float32, m*n)
		mask := NewMask(m, n)
		for _, threads := range []int{1, 2, 3} {
			if threads == 3 {
				forceParallel(t) // 2: the threshold measured
			}
			calls := map[string]func(){
				"GEMM": func() { GEMMThreads(threads, NoTrans, Trans, m, n, k, 1, in.ga, k+2, in.gb, k+2, 0, c, n) },
				"Forward": func() {
					Forward(&ForwardArgs[float32]{M: m, K: k, N: n, X: in.x, LdX: k + 3, W: in.w, Bias: in.bias, R: r, Z: z, Mask: mask, Threads: threads})
				},
				"Forward PW": func() {
					Forward(&ForwardArgs[float32]{M: m, K: k, N: n, X: in.x, LdX: k + 3, PW: in.pw, Bias: in.bias, R: r, Mask: mask, Threads: threads})
				},
				"Backward": func() {
					Backward(&BackwardArgs[float32]{M: m, K: k, N: n, X: in.x, LdX: k + 3, W: in.w, DR: in.dr, LdDR: n + 5, Mask: in.mask, DX: dx, DW: dw, DB: db, Threads: threads})
				},
				"Backward PW DX DB DZ": func() {
					Backward(&BackwardArgs[float32]{M: m, K: k, N: n, PW: in.pw, DR: in.dr, LdDR: n + 5, Z: in.z, DX: dx, DB: db, DZ: dz, Threads: threads})
				},
				"Pack": func() { in.pw.Pack(k, n, in.w, 0) },
			}
			for name, f := range calls {
				f()
				if a := testing.AllocsPerRun(20, f); a != 0 {
					t.Errorf("%s M=%d K=%d N=%d, %d threads: %v allocations a call", name, m, k, n, threads, a)
				}
				if a := testing.AllocsPerRun(10, func() { runtime.GC(); f() }); a != 0 {
					t.Errorf("%s M=%d K=%d N=%d, %d threads: %v allocations a call after a GC", name, m, k, n, threads, a)
				}
			}
		}
	}
}

// TestFreeListSurvivesGC: a call's state comes back from the free list
// after a garbage collection, buffers and all.
func TestFreeListSurvivesGC(t *testing.T) {
	o, bl := opsFor[float64](active), blocksFor[float64](active)
	w := getWork[float64](o, bl)
	buf := grow(&w.b, 100)
	putWork(w)
	runtime.GC()
	runtime.GC()
	w2 := getWork[float64](o, bl)
	defer putWork(w2)
	if w2 != w || &w2.b[0] != &buf[0] {
		t.Errorf("after a GC, getWork returned a new work")
	}
}

// TestSetThreads: the package setting and the per-call counts.
func TestSetThreads(t *testing.T) {
	old := SetThreads(3)
	defer SetThreads(old)
	if got := Threads(); got != 3 {
		t.Errorf("Threads() = %d after SetThreads(3)", got)
	}
	if prev := SetThreads(0); prev != 3 {
		t.Errorf("SetThreads returned %d, want 3", prev)
	}
	if got := Threads(); got != runtime.GOMAXPROCS(0) {
		t.Errorf("Threads() = %d by default, want GOMAXPROCS = %d", got, runtime.GOMAXPROCS(0))
	}
	SetThreads(100000)
	if got := Threads(); got != maxThreads {
		t.Errorf("Threads() = %d after SetThreads(100000), want %d", got, maxThreads)
	}
	SetThreads(-5)
	if got := Threads(); got != runtime.GOMAXPROCS(0) {
		t.Errorf("Threads() = %d after SetThreads(-5), want GOMAXPROCS", got)
	}
	x := make([]float32, 4)
	wantPanic(t, "GEMMThreads(-1)", "kernels: Threads = -1, want ≥ 0 (0 for the package default)", func() {
		GEMMThreads(-1, NoTrans, NoTrans, 2, 2, 2, 1, x, 0, x, 0, 0, make([]float32, 4), 0)
	})
	wantPanic(t, "Forward Threads -2", "kernels: Threads = -2, want ≥ 0 (0 for the package default)", func() {
		Forward(&ForwardArgs[float32]{M: 2, K: 2, N: 2, X: x, W: x, R: make([]float32, 4), Threads: -2})
	})
	wantPanic(t, "Backward Threads -3", "kernels: Threads = -3, want ≥ 0 (0 for the package default)", func() {
		Backward(&BackwardArgs[float32]{M: 2, K: 2, N: 2, DR: x, Z: x, DB: make([]float32, 2), Threads: -3})
	})
}

// TestJobThreads: the threshold gives a job one thread per minMACs
// multiply-adds, within the count asked for and the items it has.
func TestJobThreads(t *testing.T) {
	const min = 1000
	for _, c := range []struct {
		threads int
		macs    float64
		items   int
		want    int
	}{
		{1, 1e12, 100, 1}, {8, 1e12, 100, 8}, {8, 1e12, 3, 3}, {8, 1.9 * min, 100, 1},
		{8, 2 * min, 100, 2}, {8, 5.5 * min, 100, 5}, {2, 0, 100, 1}, {4, 1e12, 0, 1},
	} {
		if got := jobThreads(c.threads, c.macs, min, c.items); got != c.want {
			t.Errorf("jobThreads(%d, %g, %d, %d) = %d, want %d", c.threads, c.macs, min, c.items, got, c.want)
		}
	}
}

// TestKernelSpeed: the measured speed of each path's microkernel is
// plausible (between 0.001 multiply-adds a nanosecond, emulated, and
// 1000), measured once, and gives the threshold: a job of less than twice
// parallelMinTime of work stays on one thread, a larger one splits, and
// the rows route counts at most rowsBytesPerNs.
func TestKernelSpeed(t *testing.T) {
	for _, p := range impls {
		o, bl := opsFor[float32](p), blocksFor[float32](p)
		s := kernelSpeed(o, bl)
		if !(s > 0.001 && s < 1000) {
			t.Errorf("%s: kernel speed %g multiply-adds/ns", p.name, s)
		}
		if s2 := kernelSpeed(o, bl); s2 != s {
			t.Errorf("%s: kernel speed measured again: %g, then %g", p.name, s, s2)
		}
		if parallelMinMACs != 0 {
			continue
		}
		ns := float64(parallelMinTime.Nanoseconds())
		mm := minMACs(o, bl, false)
		if mm != ns*s {
			t.Errorf("%s: threshold %g multiply-adds, want %g ns at %g a ns", p.name, mm, ns, s)
		}
		if rows := minMACs(o, bl, true); rows != ns*min(s, rowsBytesPerNs/4) {
			t.Errorf("%s: rows threshold %g multiply-adds, want %g ns at %g a ns", p.name, rows, ns, min(s, rowsBytesPerNs/4))
		}
		if got := jobThreads(8, 1.9*mm, mm, 100); got != 1 {
			t.Errorf("%s: a job of 1.9 thresholds gets %d threads", p.name, got)
		}
		if got := jobThreads(8, 2.1*mm, mm, 100); got != 2 {
			t.Errorf("%s: a job of 2.1 thresholds gets %d threads", p.name, got)
		}
		t.Logf("%s: kernel %.3g multiply-adds/ns, threshold %.3g multiply-adds a thread", p.name, s, mm)
	}
}

// ---------------------------------------------------------------------------
// Benchmarks

// BenchmarkThreads measures the fused forward and backward passes, f32,
// on 1 and 2 threads, for the scaling target (2 threads ≥ 1.85 × one):
//
//	go test -run '^$' -bench 'Threads' -count 5
func BenchmarkThreads(b *testing.B) {
	for _, s := range [][3]int{{1024, 1024, 1024}, {256, 1024, 1024}} {
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("%dx%dx%d/t%d", s[0], s[1], s[2], threads)
			b.Run("fwd/f32/"+name, func(b *testing.B) { benchForwardThreads[float32](b, s[0], s[1], s[2], threads, false) })
			b.Run("bwd/f32/"+name, func(b *testing.B) { benchBackwardThreads[float32](b, s[0], s[1], s[2], threads, false) })
		}
	}
}

func benchForwardThreads[T Float](b *testing.B, m, k, n, threads int, packed bool) {
	r := rand.New(rand.NewPCG(1, 2))
	a := &ForwardArgs[T]{M: m, K: k, N: n,
		X: benchRand[T](m*k, r), W: benchRand[T](k*n, r), Bias: benchRand[T](n, r),
		R: make([]T, m*n), Mask: NewMask(m, n), Threads: threads}
	if packed {
		a.PW = PackW(k, n, a.W, 0)
	}
	Forward(a) // warm-up: the pool's scratch grows on the first calls
	b.ReportAllocs()
	for b.Loop() {
		Forward(a)
	}
	reportGFLOPS(b, 2*float64(m)*float64(k)*float64(n))
}

func benchBackwardThreads[T Float](b *testing.B, m, k, n, threads int, packed bool) {
	r := rand.New(rand.NewPCG(1, 2))
	x, w := benchRand[T](m*k, r), benchRand[T](k*n, r)
	mask := NewMask(m, n)
	Forward(&ForwardArgs[T]{M: m, K: k, N: n, X: x, W: w, R: make([]T, m*n), Mask: mask})
	a := &BackwardArgs[T]{M: m, K: k, N: n, X: x, W: w, DR: benchRand[T](m*n, r), Mask: mask,
		DX: make([]T, m*k), DW: make([]T, k*n), DB: make([]T, n), Threads: threads}
	if packed {
		a.PW = PackW(k, n, w, 0)
	}
	Backward(a)
	b.ReportAllocs()
	for b.Loop() {
		Backward(a)
	}
	reportGFLOPS(b, 4*float64(m)*float64(k)*float64(n))
}

// BenchmarkThreshold measures where a second thread starts to pay: the
// forward pass, f32, on square shapes s×s×s (the packed tiles) and on
// batches of one (1×s×s, the rows route), on 1 and 2 threads with the
// threshold off. It chose parallelMinTime (threads.go):
//
//	go test -c -o k.test && for isa in avx512 generic; do
//	  FUSEDRELU_ISA=$isa ./k.test -test.run '^$' -test.bench Threshold -test.benchtime 0.1s -test.count 3
//	done
//
// taking the best of the rounds (the machine has other loads). On the
// development machine (2 cores of a Zen 4 EPYC), in two sittings, 2
// threads first beat one by more than 10% with the AVX-512 kernels at
// 96³ (18.8–19.0 → 14.0–14.4 µs; 64³: 6.4 → 5.7–6.6 µs) and at 1×512×512
// (23.7–26.7 → 14.0–19.1 µs), with the generic Go kernel at 32³–48³
// (30.8 → 20.1 µs, 53 → 39 µs; 24³: 10.2 → 11.2 µs) and 1×128×128 to
// 1×512×512. In the time the threshold estimates (multiply-adds at the
// kernel's measured speed, 57 and 2–3.5 multiply-adds a ns, or at 40
// bytes of B a ns on the rows route), the last shape without a 10% gain
// had 4 to 9 µs of work on one thread and the first with it 9 to 31 µs,
// whatever the kernel's speed: hence one thread per 10 µs of work, so that
// a job splits in two from 20 µs, on the safe side of the crossings (on
// a busy machine a second thread pays later, if at all).
func BenchmarkThreshold(b *testing.B) {
	forceParallel(b)
	for _, s := range []int{16, 24, 32, 48, 64, 96, 128, 192, 256} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("fwd/%dx%dx%d/t%d", s, s, s, threads), func(b *testing.B) {
				benchForwardThreads[float32](b, s, s, s, threads, false)
			})
		}
	}
	for _, s := range []int{64, 128, 256, 512, 1024} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("fwd/1x%dx%d/t%d", s, s, threads), func(b *testing.B) {
				benchForwardThreads[float32](b, 1, s, s, threads, false)
			})
		}
	}
}

// TestThreadsNaNPayloads: the same bits for any number of threads with
// NaNs of many payloads in dR and W, so that some elements of dX and dW
// sum several of them and which one a sum keeps depends on the order of
// the operands of each multiply-add (the route of dX must not depend on
// the thread count: runNT's kernel takes W and dZ the other way round
// from the tiles). Shapes where dX reads W in place on AVX-512.
func TestThreadsNaNPayloads(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *impl) {
		for _, sh := range [][3]int{{256, 512, 128}, {128, 1024, 256}, {48, 100, 70}} {
			m, k, n := sh[0], sh[1], sh[2]
			r := newRand(uint64(m + k + n))
			nan := func(sign uint32) float32 { return math.Float32frombits(sign | 0x7fc00000 | uint32(r.IntN(1<<20))) }
			x, w, dr := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for i := range x {
				x[i] = randVal[float32](r)
			}
			for i := range w {
				if w[i] = randVal[float32](r); r.IntN(40) == 0 {
					w[i] = nan(0)
				}
			}
			for i := range dr {
				if dr[i] = randVal[float32](r); r.IntN(40) == 0 {
					dr[i] = nan(1 << 31)
				}
			}
			mask := NewMask(m, n)
			for i := range mask.Bits {
				mask.Bits[i] = r.Uint64() | r.Uint64()
			}
			run := func(threads int) (dx, dw []float32) {
				dx, dw = make([]float32, m*k), make([]float32, k*n)
				Backward(&BackwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: mask, DX: dx, DW: dw, Threads: threads})
				return
			}
			// dX's product through GEMM(NoTrans, Trans), which takes the
			// same route as Backward's dX.
			gemmNT := func(threads int) []float32 {
				c := make([]float32, m*k)
				GEMMThreads(threads, NoTrans, Trans, m, k, n, 1, dr, n, w, n, 0, c, k)
				return c
			}
			dx1, dw1 := run(1)
			c1 := gemmNT(1)
			for _, th := range []int{2, 3} {
				dx, dw := run(th)
				checkSameBits(t, fmt.Sprintf("%v threads=%d dX", sh, th), dx, dx1)
				checkSameBits(t, fmt.Sprintf("%v threads=%d dW", sh, th), dw, dw1)
				checkSameBits(t, fmt.Sprintf("%v threads=%d GEMM(NoTrans, Trans)", sh, th), gemmNT(th), c1)
			}
		}
	})
}
