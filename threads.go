package kernels

// Thread counts: the package's setting, a call's, and how many threads a
// job is worth (its estimated time against parallelMinTime, from the
// measured speed of the path's microkernel). The pool that runs the
// threads is in pool.go.

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// maxThreads caps every thread count.
const maxThreads = 256

// threadSetting is the package's default thread count; 0 means GOMAXPROCS.
var threadSetting atomic.Int64

// SetThreads sets the number of threads that [GEMM], [Forward] and
// [Backward] use when the call does not say (a Threads field of 0), and
// returns the previous setting. n ≤ 0 restores the default, GOMAXPROCS at
// the time of each call; n = 1 keeps every call on its calling goroutine.
// Counts above 256 are taken as 256.
//
// A thread count is an upper bound. A call gets one thread for each
// 10 µs or so of work it has (its multiply-adds at the measured speed of
// the code path's GEMM kernel), so a small call (less than about 128³
// multiply-adds with AVX-512) runs on its calling goroutine; a call runs
// at most GOMAXPROCS threads; and a call that finds the package's worker
// goroutines busy with other calls runs with fewer. The calling goroutine always takes
// part, and the workers are shared by all calls: goroutines calling at
// once do not multiply the threads. Results are the same bits whatever the
// count.
//
// Example: keep the kernels on the calling goroutines of a server that
// already runs one request per core:
//
//	kernels.SetThreads(1)
func SetThreads(n int) (previous int) {
	n = min(max(n, 0), maxThreads)
	return int(threadSetting.Swap(int64(n)))
}

// Threads returns the number of threads that a call uses when it does not
// say: the value set by [SetThreads], or GOMAXPROCS.
func Threads() int { return threadsFor(0) }

// threadsFor returns the thread count of a call that asked for perCall
// (0 for the package default).
func threadsFor(perCall int) int {
	n := perCall
	if n <= 0 {
		n = int(threadSetting.Load())
	}
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return min(n, maxThreads)
}

// checkThreads panics on a negative per-call thread count.
func checkThreads(n int) {
	if n < 0 {
		panicf("Threads = %d, want ≥ 0 (0 for the package default)", n)
	}
}

// The work threshold. A job gets one thread for each parallelMinTime of
// work it has, up to the thread count asked for, so that a job of less
// than twice that stays on the calling goroutine: a helper costs a wake-up
// (a few microseconds, far more on a busy machine), barriers, and some
// loss of cache reuse, which a second thread must win back.
// A job's time is estimated from its multiply-adds at the speed of the
// path's microkernel, measured once per path and element type at the
// first call that could go parallel (kernelSpeed), so that the one
// threshold holds for the generic Go kernel and for assembly forty times
// as fast.
//
// parallelMinTime was measured with BenchmarkThreshold (parallel_test.go,
// TUNING.md): a job splits in two from 20 µs, on the safe side of where
// two threads start to beat one by 10%.
var parallelMinTime = 10 * time.Microsecond

// parallelMinMACs, when positive, replaces the threshold by a fixed
// number of multiply-adds a thread; the tests set it to 1 to run the
// parallel code on small shapes.
var parallelMinMACs int64

// jobThreads returns how many threads a job of macs multiply-adds, which
// splits into at most items independent items, should use when the call
// allows threads, minMACs being the work worth a thread.
func jobThreads(threads int, macs, minMACs float64, items int) int {
	if threads <= 1 || items <= 1 {
		return 1
	}
	p := threads
	if minMACs > 0 {
		p = int(math.Min(float64(threads), macs/minMACs))
	}
	return max(1, min(p, items))
}

// minMACs returns the multiply-adds worth a thread on o's kernels, for a
// job on the packed tiles, or on the rows route when rows is true: that
// one streams B from memory or L3 for each row of A, so it goes no faster
// than rowsBytesPerNs of B.
func minMACs[T Float](o *ops[T], bl blocking, rows bool) float64 {
	if parallelMinMACs > 0 {
		return float64(parallelMinMACs)
	}
	speed := kernelSpeed(o, bl)
	if rows {
		var z T
		speed = min(speed, rowsBytesPerNs/float64(unsafe.Sizeof(z)))
	}
	return float64(parallelMinTime.Nanoseconds()) * speed
}

// rowsBytesPerNs is the speed of the rows route in bytes of B a
// nanosecond, measured on a batch of one with W from L3
// (BenchmarkThreshold, TUNING.md).
const rowsBytesPerNs = 40

// speeds holds the measured speed of each ops's microkernel, in
// multiply-adds a nanosecond, as the bits of a float64 (0: not yet
// measured), keyed by the ops's address.
var speeds sync.Map // unsafe.Pointer → *atomic.Uint64

var speedMu sync.Mutex // one measurement at a time

// kernelSpeed returns the speed of o's microkernel on whole tiles from
// L1-resident panels of bl.kc steps, in multiply-adds a nanosecond,
// measuring it on the first call for o (some tens of microseconds).
func kernelSpeed[T Float](o *ops[T], bl blocking) float64 {
	key := unsafe.Pointer(o)
	v, ok := speeds.Load(key)
	if !ok {
		v, _ = speeds.LoadOrStore(key, new(atomic.Uint64))
	}
	slot := v.(*atomic.Uint64)
	if b := slot.Load(); b != 0 {
		return math.Float64frombits(b)
	}
	speedMu.Lock()
	defer speedMu.Unlock()
	if b := slot.Load(); b != 0 {
		return math.Float64frombits(b)
	}
	s := measureKernel(o, bl)
	slot.Store(math.Float64bits(s))
	return s
}

// measureKernel times o's microkernel: calls doubling until a run takes
// 20 µs, then the best of three runs of that many calls.
func measureKernel[T Float](o *ops[T], bl blocking) float64 {
	kc := max(bl.kc, 1)
	t := &tile[T]{kc: kc, a: make([]T, o.mr*kc), b: make([]T, o.nr*kc), c: make([]T, o.mr*o.nr),
		ldc: o.nr, m: o.mr, n: o.nr, alpha: 1, nrMask: 1<<o.nr - 1}
	timed := func(calls int) time.Duration {
		start := time.Now()
		for range calls {
			o.kernel(t)
		}
		return time.Since(start)
	}
	calls := 1
	for timed(calls) < 20*time.Microsecond && calls < 1<<20 {
		calls *= 2
	}
	best := timed(calls)
	for range 2 {
		best = min(best, timed(calls))
	}
	macs := float64(calls) * float64(o.mr*o.nr*kc)
	return macs / float64(max(best.Nanoseconds(), 1))
}
