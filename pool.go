package kernels

// The worker pool behind the multi-threaded GEMM, forward and backward
// passes.
//
// A call that goes parallel borrows idle helper goroutines from one pool
// shared by the whole package; the calling goroutine is always participant
// 0 and does its share of the work, so a call never waits for a worker to
// become free: when every worker is busy (many goroutines calling at
// once), it runs with the helpers it got, possibly none. The pool grows,
// once, to the largest number of helpers a call has asked for (thread
// count − 1, at most GOMAXPROCS − 1); workers then wait between calls
// (spinning briefly, then parked on a channel) for the life of the
// process.
//
// The participants of a call split its work into items (blocks of output
// tiles, or of packing) taken from atomic counters, and meet at barriers
// between the phases of the blocked GEMM (pack a group of blocks of B,
// then compute with them). Which participant computes which item, and
// how many participants there are, never changes what is computed: see
// gemm.go for why the results are the same bits for any number of
// threads.
//
// A panic in a helper is recovered, stops the other participants at their
// next item or barrier, and is raised again in the caller once every
// helper has returned to the pool; a panic in the caller likewise releases
// the helpers before it continues. No worker is held beyond the call that
// borrowed it.

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// testHookTeam, when set (by a test), is told the number of participants
// of each call.
var testHookTeam func(participants int)

// task is the work of one parallel call: part(id) is participant id's
// share (the caller is 0, the helpers 1, 2, …).
type task interface{ part(id int) }

// team coordinates the participants of one call.
type team struct {
	n int // participants, set before any of them starts

	// The item counters of the current phase: ctr[0] for a phase of
	// plain items (grab), ctr[0] and one a row for a phase of tiles
	// (nextTile). At least one; the caller sizes it before the call.
	ctr     []atomic.Int64
	aborted atomic.Bool   // a participant panicked: stop
	arrived atomic.Int64  // participants at the current barrier
	gen     atomic.Uint64 // barriers passed
	pending atomic.Int64  // helpers still running

	mu      sync.Mutex
	cond    sync.Cond // broadcast when a barrier opens or the call aborts
	failure any       // the first panic of a helper

	wg      sync.WaitGroup // helpers still running, to block on
	helpers []*worker
}

// Waiting. A participant that waits for the others (at a barrier, or the
// caller at the end of a call) spins on an atomic for up to spinWait
// before it blocks, and an idle worker spins for up to idleSpin for its
// next assignment before it parks. Blocking and waking cost more than the
// parallel work of a small call: the Go scheduler puts a goroutine that
// another wakes in the waker's own P (runnext), from which an idle P takes
// it only after some microseconds, and a parked thread of a virtual
// machine takes tens of microseconds to wake. Spinning on an atomic
// rather than yielding (runtime.Gosched) keeps each participant on its P.
// Both spins are bounded in time, so that more participants than cores
// (GOMAXPROCS above the cores, or other processes) still make progress,
// and an idle worker spins only while fewer than GOMAXPROCS−1 others do.
const (
	spinWait = 50 * time.Microsecond
	idleSpin = 50 * time.Microsecond
)

// spinFor reports whether a spin that started at start (0: not yet, set
// on the first call) may go on at iteration i: it reads the clock every
// 64 iterations.
func spinFor(i int, start *int64, limit time.Duration) bool {
	if i%64 != 0 {
		return true
	}
	now := time.Now().UnixNano()
	if *start == 0 {
		*start = now
	}
	return now-*start < int64(limit)
}

// run runs tk with the caller and up to threads−1 helpers from the pool,
// and returns when every participant is done. A panic of a helper is
// raised again here.
func (tm *team) run(tk task, threads int) {
	if tm.cond.L == nil {
		tm.cond.L = &tm.mu
	}
	tm.resetItems()
	tm.aborted.Store(false)
	tm.arrived.Store(0)
	tm.failure = nil
	// More participants than Ps would only take turns.
	if threads = min(threads, runtime.GOMAXPROCS(0)); threads > 1 {
		pool.acquire(tm, threads-1)
	}
	tm.n = 1 + len(tm.helpers)
	if testHookTeam != nil {
		testHookTeam(tm.n)
	}
	tm.wg.Add(len(tm.helpers))
	tm.pending.Store(int64(len(tm.helpers)))
	for i, w := range tm.helpers {
		w.assign(assignment{tm, tk, i + 1})
	}
	ok := false
	defer func() {
		if !ok {
			tm.abort() // the caller panicked: release the helpers
		}
		var start int64
		for i := 0; tm.pending.Load() > 0 && spinFor(i, &start, spinWait); i++ {
		}
		tm.wg.Wait()
		clear(tm.helpers)
		tm.helpers = tm.helpers[:0]
		if f := tm.failure; ok && f != nil {
			tm.failure = nil
			panic(f)
		}
	}()
	tk.part(0)
	ok = true
}

// counters makes sure the team has n item counters.
func (tm *team) counters(n int) {
	if len(tm.ctr) < n {
		tm.ctr = make([]atomic.Int64, n)
	}
}

func (tm *team) resetItems() {
	for i := range tm.ctr {
		tm.ctr[i].Store(0)
	}
}

// grab returns the next item of the current phase; past the last one the
// caller moves on (an aborted call has no items left).
func (tm *team) grab() int {
	if tm.aborted.Load() {
		return math.MaxInt
	}
	return int(tm.ctr[0].Add(1) - 1)
}

// claim is a participant's place in a phase of tiles (nextTile); a
// phase starts with newClaim.
type claim struct {
	row      int  // the row range it claimed, −1 for none yet
	stealing bool // no unclaimed row is left
	steal    int  // the row range it takes columns from
}

// newClaim starts participant id on a phase of nRow row ranges: the
// first n ranges belong to the n participants, one each, so that a
// participant computes the same rows of the output in every call (their
// cache lines stay in its core's caches) unless another takes them over.
func newClaim(id, n, nRow int) claim {
	if id < nRow {
		return claim{row: id}
	}
	return claim{row: -1}
}

// nextTile returns the next item (row range ri, column range ci) of a
// phase of nRow×nCol tile items for the participant at c: the next column
// range of the row range it claimed, else of the next unclaimed row range,
// else, when every row range has been claimed, of any row range with
// columns left. A participant thus packs the rows of A of its own row
// range once, and only the last items of a phase move to another.
func (tm *team) nextTile(nRow, nCol int, c *claim) (ri, ci int, ok bool) {
	if tm.aborted.Load() {
		return 0, 0, false
	}
	for !c.stealing {
		if c.row >= 0 {
			if ci := int(tm.ctr[1+c.row].Add(1) - 1); ci < nCol {
				return c.row, ci, true
			}
		}
		// Ranges 0 … n−1 are the participants' own.
		if c.row = tm.n + int(tm.ctr[0].Add(1)-1); c.row >= nRow {
			c.stealing = true
		}
	}
	for ; c.steal < nRow; c.steal++ {
		if ci := int(tm.ctr[1+c.steal].Add(1) - 1); ci < nCol {
			return c.steal, ci, true
		}
	}
	return 0, 0, false
}

// sync waits until every participant has reached it, then starts the
// next phase's items from 0. It returns false if the call was aborted:
// the participant must then return.
func (tm *team) sync() bool {
	if tm.n == 1 {
		tm.resetItems()
		return !tm.aborted.Load()
	}
	gen := tm.gen.Load() // before arriving: the barrier cannot open before that
	if tm.arrived.Add(1) == int64(tm.n) {
		// Every participant has taken its last item of the phase.
		tm.arrived.Store(0)
		tm.resetItems()
		tm.mu.Lock()
		tm.gen.Add(1)
		tm.cond.Broadcast()
		tm.mu.Unlock()
		return !tm.aborted.Load()
	}
	var start int64
	for i := 0; spinFor(i, &start, spinWait); i++ {
		if tm.gen.Load() != gen || tm.aborted.Load() {
			return !tm.aborted.Load()
		}
	}
	tm.mu.Lock()
	for tm.gen.Load() == gen && !tm.aborted.Load() {
		tm.cond.Wait()
	}
	tm.mu.Unlock()
	return !tm.aborted.Load()
}

// abort stops the call: no more items, barriers open.
func (tm *team) abort() {
	tm.aborted.Store(true)
	tm.mu.Lock()
	tm.cond.Broadcast()
	tm.mu.Unlock()
}

// helper runs participant id's part on a worker, recording a panic (or a
// runtime.Goexit) instead of letting it end the worker or the process.
func (tm *team) helper(tk task, id int) {
	ok := false
	defer func() {
		if ok {
			return
		}
		r := recover()
		if r == nil {
			r = "runtime.Goexit called"
		}
		tm.mu.Lock()
		if tm.failure == nil {
			tm.failure = &workerPanic{value: r, stack: debug.Stack()}
		}
		tm.mu.Unlock()
		tm.abort()
	}()
	tk.part(id)
	ok = true
}

// workerPanic is a panic of a helper goroutine, raised again in the
// caller: the value it panicked with and the helper's stack.
type workerPanic struct {
	value any
	stack []byte
}

func (p *workerPanic) Error() string {
	return fmt.Sprintf("%v\n\n[recovered in a kernels worker goroutine and raised again in the caller; the worker's stack:]\n%s", p.value, p.stack)
}

// Unwrap returns the panic value if it is an error (a runtime.Error, say).
func (p *workerPanic) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// assignment is participant id's part of tk, for a worker.
type assignment struct {
	tm *team
	tk task
	id int
}

// worker is a pooled helper goroutine. Between calls it spins for a while
// (idleSpin), then parks on c. A caller hands it an assignment through
// next and state when it spins, through c when it has parked.
type worker struct {
	c     chan assignment
	state atomic.Int32
	next  assignment // written by the caller between workerClaimed and workerAssigned
}

// Worker states.
const (
	workerParked   = iota // waiting on c (or about to)
	workerSpinning        // polling state
	workerClaimed         // a caller is writing next
	workerAssigned        // next holds an assignment
	workerBusy            // serving one
)

// assign hands a to w, an idle worker taken from the pool.
func (w *worker) assign(a assignment) {
	if w.state.CompareAndSwap(workerSpinning, workerClaimed) {
		w.next = a
		w.state.Store(workerAssigned)
		return
	}
	w.c <- a // parked
}

// wait returns w's next assignment.
func (w *worker) wait() assignment {
	spin := pool.spinners.Add(1) < int64(runtime.GOMAXPROCS(0))
	var start int64
	for i := 0; ; i++ {
		switch w.state.Load() {
		case workerAssigned:
			pool.spinners.Add(-1)
			a := w.next
			w.next = assignment{}
			w.state.Store(workerBusy)
			return a
		case workerClaimed:
			continue // the caller is writing next
		}
		if (!spin || !spinFor(i, &start, idleSpin)) && w.state.CompareAndSwap(workerSpinning, workerParked) {
			pool.spinners.Add(-1)
			a := <-w.c
			w.state.Store(workerBusy)
			return a
		}
	}
}

// workerPool is the package's pool of helpers.
type workerPool struct {
	mu       sync.Mutex
	idle     []*worker
	size     int          // workers running (idle or not)
	spinners atomic.Int64 // workers spinning for an assignment
}

var pool workerPool

// acquire gives tm up to h helpers: idle ones, and new ones while the
// pool has fewer than h workers in all.
func (p *workerPool) acquire(tm *team, h int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(tm.helpers) < h {
		if n := len(p.idle); n > 0 {
			tm.helpers = append(tm.helpers, p.idle[n-1])
			p.idle[n-1] = nil
			p.idle = p.idle[:n-1]
			continue
		}
		if p.size >= h {
			break // the others are busy with other calls
		}
		w := &worker{c: make(chan assignment, 1)}
		w.state.Store(workerSpinning) // for assign; it starts with wait
		p.size++
		go w.loop()
		tm.helpers = append(tm.helpers, w)
	}
}

func (w *worker) loop() {
	for w.serve(w.wait()) {
	}
}

// serve runs one assignment, puts the worker back in the pool and tells
// the caller, in that order, so that the caller's next call finds it
// idle. It returns false if the goroutine is exiting (runtime.Goexit).
func (w *worker) serve(a assignment) (alive bool) {
	defer func() {
		if alive {
			w.state.Store(workerSpinning) // before a caller can take it
		}
		pool.mu.Lock()
		if alive {
			pool.idle = append(pool.idle, w)
		} else {
			pool.size--
		}
		pool.mu.Unlock()
		a.tm.pending.Add(-1)
		a.tm.wg.Done()
	}()
	a.tm.helper(a.tk, a.id)
	return true
}

// poolStats returns the number of workers and how many are idle.
func poolStats() (size, idle int) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return pool.size, len(pool.idle)
}
