package kernels

// The state of one call (work) and each participant's scratch, their
// free lists, and the entry that runs a job's participants.

import (
	"sync"
	"unsafe"
)

// Kinds of parallel work.
const (
	kindPacked = iota // the packed tiles
	kindRows          // runRows
	kindVisit         // visitDZ
	kindNT            // runNT
)

// work is the state of one call: the job, the shared packed blocks of B,
// each participant's scratch, and the team. Calls take it from a free
// list and put it back, so that calls in steady state allocate nothing.
type work[T Float] struct {
	team
	kind int
	o    *ops[T]
	bl   blocking
	job  gemmJob[T]
	b    []T // the packed blocks of B, shared
	sc   []*scratch[T]
}

// scratch is one participant's: its packed blocks of A and its tile.
type scratch[T Float] struct {
	_     [128]byte // no false sharing with another participant's scratch
	a     []T
	row   []T // one row of dZ
	arow  []T // runRows: a row of A
	brows []T // runRows: the rows of a dZ operand B
	acc   []T // runRows: a row of C
	wide  []T // packAH, packBH, rowsGroupH: bfloat16 rows widened
	ah    []T // rowsGroupH: a group's rows of A
	t     tile[T]
	// a holds the packed blocks of A of rows aIC … of the group from K
	// row aPG (packed as keep says) whose bits are set in aHave. A block
	// of A depends on its rows and K panel only, so they serve the next
	// column block too.
	aIC   int
	aMB   int // the rows of the item aIC
	aHave uint64
	aPG   int
	aKeep bool
	_     [128]byte
}

// The free lists of work, per element type. A free list rather than a
// sync.Pool, which the garbage collector empties: a call after a
// collection would allocate its buffers again. At most maxFreeWork are
// kept (one per goroutine calling at once).
var workLists [2]struct {
	mu   sync.Mutex
	free []any
}

const maxFreeWork = 16

func getWork[T Float](o *ops[T], bl blocking) *work[T] {
	var z T
	l := &workLists[unsafe.Sizeof(z)/8]
	var w *work[T]
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		w = l.free[n-1].(*work[T])
		l.free[n-1] = nil
		l.free = l.free[:n-1]
	}
	l.mu.Unlock()
	if w == nil {
		w = new(work[T])
	}
	w.o, w.bl = o, bl
	return w
}

func putWork[T Float](w *work[T]) {
	// Drop the references to the caller's slices.
	w.job = gemmJob[T]{}
	w.o = nil
	for _, s := range w.sc {
		if s != nil {
			s.t = tile[T]{}
		}
	}
	var z T
	l := &workLists[unsafe.Sizeof(z)/8]
	l.mu.Lock()
	if len(l.free) < maxFreeWork {
		l.free = append(l.free, w)
	}
	l.mu.Unlock()
}

func (w *work[T]) exec(np int) {
	if len(w.sc) < np {
		w.sc = append(w.sc, make([]*scratch[T], np-len(w.sc))...)
	}
	counters := 1
	if w.kind == kindPacked {
		// The most row ranges a split can have.
		counters += splitTiles(w.job.m, 0, w.job.n, w.o.mr, w.bl.mc, np).nRow
	}
	w.counters(counters)
	w.team.run(w, np)
}

// part is participant id's part of the call.
func (w *work[T]) part(id int) {
	s := w.sc[id]
	if s == nil {
		s = new(scratch[T])
		w.sc[id] = s
	}
	switch w.kind {
	case kindPacked:
		w.packedPart(s, id)
	case kindRows:
		w.rowsPart(s)
	case kindVisit:
		w.visitPart(s)
	case kindNT:
		w.ntPart(s)
	}
}
