//go:build !race

package kernels

// Without the race detector, the annotations of race.go do nothing.

const raceEnabled = false

func raceRead[T any](s []T)                                                {}
func raceWrite[T any](s []T)                                               {}
func raceOperand[T any](s []T, ld int, trans bool, r0, c0, rows, cols int) {}
func raceTile[T Float](t *tile[T], mr, nr int)                             {}
