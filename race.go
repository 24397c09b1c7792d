//go:build race

package kernels

// Annotations for the race detector, which does not see the memory that
// assembly reads and writes: before the drivers hand slices to a kernel
// that may be assembly (the microkernel, the packers, axpy and dot), they
// report the ranges it will read and write, so that a race between two
// calls, or between the participants of one, on memory that only
// assembly touches is still found. runtime.RaceReadRange and
// RaceWriteRange are the runtime's public race-detector API, present only
// in race builds (internal/race in the standard library wraps the same
// functions); without -race, norace.go makes every annotation a no-op
// that the compiler removes.

import (
	"runtime"
	"unsafe"
)

const raceEnabled = true

// raceRead reports a read of every element of s.
func raceRead[T any](s []T) {
	if len(s) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(unsafe.SliceData(s)), len(s)*int(unsafe.Sizeof(s[0])))
	}
}

// raceWrite reports a write of every element of s.
func raceWrite[T any](s []T) {
	if len(s) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(unsafe.SliceData(s)), len(s)*int(unsafe.Sizeof(s[0])))
	}
}

// raceOperand reports a read of rows r0 … r0+rows−1 and columns c0 …
// c0+cols−1 of op(s), s stored with leading dimension ld (transposed when
// trans), as a packer reads it.
func raceOperand[T any](s []T, ld int, trans bool, r0, c0, rows, cols int) {
	if trans {
		r0, c0, rows, cols = c0, r0, cols, rows
	}
	if cols == 0 {
		return
	}
	for i := r0; i < r0+rows; i++ {
		raceRead(s[i*ld+c0 : i*ld+c0+cols])
	}
}

// raceTile reports what the microkernel reads and writes for t, on an
// mr×nr register tile.
func raceTile[T Float](t *tile[T], mr, nr int) {
	if t.lda != 0 { // A where it lies: kc steps of all mr rows of each tile
		raceOperand(t.a, t.lda, false, 0, 0, ceilDiv(t.m, mr)*mr, t.kc)
	} else {
		raceRead(t.a[:ceilDiv(t.m, mr)*mr*t.kc])
	}
	if t.ldb < 0 { // the dot tile's bfloat16 rows of B: the view's span of them
		raceRead(t.b)
	} else if t.ldb != 0 { // B where it lies: the tiles' n columns of each row
		raceOperand(t.b, t.ldb, false, 0, 0, t.kc, t.n)
	} else {
		raceRead(t.b[:roundUp(t.n, nr)*t.kc])
	}
	if t.last && t.bias != nil {
		raceRead(t.bias[:t.n])
	}
	for i := range t.m {
		if !t.last && t.rh != nil { // C in bfloat16, in c's place
			raceWrite(t.rh[i*t.ldr : i*t.ldr+t.n])
			continue
		}
		c := t.c[i*t.ldc : i*t.ldc+t.n]
		if t.beta != 0 {
			raceRead(c)
		}
		raceWrite(c)
		if !t.last {
			continue
		}
		if t.z != nil {
			raceWrite(t.z[i*t.ldz : i*t.ldz+t.n])
		}
		if t.rh != nil {
			raceWrite(t.rh[i*t.ldr : i*t.ldr+t.n])
		} else {
			raceWrite(t.r[i*t.ldr : i*t.ldr+t.n])
		}
		if t.bits != nil {
			w := i*t.stride + t.col/64
			raceWrite(t.bits[w : i*t.stride+(t.col+t.n-1)/64+1])
		}
	}
}
