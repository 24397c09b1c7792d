package nn

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/fusedrelu/kernels"
)

// ErrNonFinite is wrapped by the error that reports a NaN or an infinity
// in training data: test it with errors.Is, and read where with
// errors.As into a *[NonFiniteError].
var ErrNonFinite = errors.New("non-finite value in the data")

// NonFiniteError names the first NaN or ±Inf in a matrix of data: its
// row (the example, from 0) and column (from 0), and the value.
type NonFiniteError struct {
	Data     string // which data: "x", "y", "validation x", …
	Row, Col int
	Value    float64
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("nn: %v: %s has %v at row %d, column %d", ErrNonFinite, e.Data, e.Value, e.Row, e.Col)
}

// Is reports whether target is ErrNonFinite.
func (e *NonFiniteError) Is(target error) bool { return target == ErrNonFinite }

// CheckFinite returns a *[NonFiniteError] naming the first NaN or ±Inf in
// v, a matrix of rows of cols elements (the last row may be partial), or
// nil if every value is finite. name says which data it is in the error.
// [Trainer.Fit] checks its data so before training; a loop of
// [Trainer.Step] calls can check each batch with it:
//
//	if err := nn.CheckFinite("x", xb, net.In()); err != nil { … }
//
// It reads v once, with integer operations on the floats' exponents, and
// does not allocate unless it finds a value. cols < 1 is an error (not
// an ErrNonFinite one).
func CheckFinite[T kernels.Float](name string, v []T, cols int) error {
	if cols < 1 {
		return fmt.Errorf("nn: CheckFinite with cols = %d, want ≥ 1", cols)
	}
	return checkFinite(name, v, cols)
}

func checkFinite[T kernels.Float](name string, v []T, cols int) error {
	var i int
	switch v := any(v).(type) {
	case []float32:
		i = firstNonFinite32(v)
	case []float64:
		i = firstNonFinite64(v)
	}
	if i < 0 {
		return nil
	}
	return &NonFiniteError{Data: name, Row: i / cols, Col: i % cols, Value: float64(v[i])}
}

// A float is NaN or ±Inf when its exponent field is all ones: adding one
// unit of the exponent's lowest bit to the masked exponent then carries
// into the sign bit, and into it alone. ORing that over a block of
// values, in four independent accumulators, leaves the sign bit set if
// any value of the block is not finite; the block is then searched.
const checkBlock = 256

func firstNonFinite32(v []float32) int {
	u := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
	return firstNonFiniteBits[uint32](u, 0x7f800000, 0x00800000, 0x80000000)
}

func firstNonFinite64(v []float64) int {
	u := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
	return firstNonFiniteBits[uint64](u, 0x7ff0000000000000, 0x0010000000000000, 0x8000000000000000)
}

// firstNonFiniteBits is the search over the floats' bits (v viewed as
// unsigned integers of their width): exp is the exponent mask, one its
// lowest bit, sign the sign bit. uint32 and uint64 are distinct shapes,
// so each is compiled on its own with the masks in registers.
func firstNonFiniteBits[U uint32 | uint64](v []U, exp, one, sign U) int {
	for i0 := 0; i0 < len(v); i0 += checkBlock {
		b := v[i0:min(i0+checkBlock, len(v))]
		var a0, a1, a2, a3 U
		j := 0
		for ; j+4 <= len(b); j += 4 {
			a0 |= b[j]&exp + one
			a1 |= b[j+1]&exp + one
			a2 |= b[j+2]&exp + one
			a3 |= b[j+3]&exp + one
		}
		for ; j < len(b); j++ {
			a0 |= b[j]&exp + one
		}
		if (a0|a1|a2|a3)&sign != 0 {
			for j, f := range b {
				if f&exp == exp {
					return i0 + j
				}
			}
		}
	}
	return -1
}
