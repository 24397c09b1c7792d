package kernels

import "math"

// Mask is the step mask [Z ≥ 0] of a Rows×Cols matrix Z, one bit an
// element (1/32 of Z's memory for float32).
//
// Layout: row i starts at word i·Stride of Bits, and element (i, j) is
// bit j%64 (counting from the least significant) of Bits[i·Stride + j/64].
// A row takes [MaskWords](Cols) words; Stride may be larger, to leave room
// between rows. Kernels that write a mask set the bits of a row's last
// word past Cols to zero and leave the words between rows alone.
//
// On a little-endian machine (every one this package has assembly for)
// this is also the layout of a byte array in which bit j of a row is bit
// j%8 of byte j/8.
//
// The zero Mask means "no mask" in [ForwardArgs] and [BackwardArgs].
type Mask struct {
	Rows, Cols int
	Stride     int // words from the start of one row to the next, ≥ MaskWords(Cols)
	Bits       []uint64
}

// MaskWords returns the number of 64-bit words that hold n ≥ 0 mask
// bits. (It does not compute n+63, which would wrap for n near MaxInt.)
func MaskWords(n int) int { return n/64 + (n%64+63)/64 }

// NewMask returns a zeroed mask for a rows×cols matrix, with tight rows.
func NewMask(rows, cols int) Mask {
	checkDims3("rows", rows, "cols", cols, "", 0)
	w := MaskWords(cols)
	if w > 0 && rows > math.MaxInt/8/w {
		panicf("NewMask(%d, %d) needs more than MaxInt bytes", rows, cols)
	}
	return Mask{Rows: rows, Cols: cols, Stride: w, Bits: makeWords(rows, cols, rows*w)}
}

// makeWords is make([]uint64, n) with the runtime's panic for a size it
// cannot allocate (more than its address space, less than MaxInt bytes)
// turned into a kernels: panic that names the call.
func makeWords(rows, cols, n int) []uint64 {
	defer func() {
		if r := recover(); r != nil {
			panicf("NewMask(%d, %d) needs %d words, more than can be allocated: %v", rows, cols, n, r)
		}
	}()
	return make([]uint64, n)
}

// At reports bit (i, j): whether Z[i, j] ≥ 0 (or is NaN).
func (m Mask) At(i, j int) bool {
	if uint(i) >= uint(m.Rows) || uint(j) >= uint(m.Cols) {
		panicf("Mask.At(%d, %d) outside %d×%d", i, j, m.Rows, m.Cols)
	}
	return m.Bits[m.rowStart("Mask.At", i)+j/64]>>(j%64)&1 != 0
}

// Row returns the words of row i.
func (m Mask) Row(i int) []uint64 {
	if uint(i) >= uint(m.Rows) {
		panicf("Mask.Row(%d) outside %d rows", i, m.Rows)
	}
	s := m.rowStart("Mask.Row", i)
	return m.Bits[s : s+MaskWords(m.Cols)]
}

// rowStart returns the index in Bits of row i (0 ≤ i < Rows) after
// checking that the row lies inside Bits, so that a hand-built Mask with
// a bad Stride or short Bits gets a kernels: panic, not an index error.
func (m Mask) rowStart(fn string, i int) int {
	w := MaskWords(m.Cols)
	if m.Stride < w {
		panicf("%s: Stride = %d, want ≥ %d words for %d columns", fn, m.Stride, w, m.Cols)
	}
	if w == 0 { // no columns: an empty row
		return 0
	}
	if !fits(len(m.Bits), i+1, m.Stride, w) {
		panicf("%s: row %d is past len(Bits) = %d (Stride=%d)", fn, i, len(m.Bits), m.Stride)
	}
	return i * m.Stride
}

func (m Mask) isZero() bool {
	return m.Rows == 0 && m.Cols == 0 && m.Stride == 0 && m.Bits == nil
}

// check panics unless m is a well-formed rows×cols mask (rows, cols ≥ 0).
// Stride is validated before any arithmetic and the length compared by
// division (see checkMatrix), so that no Stride can wrap the size.
func (m Mask) check(name string, rows, cols int) {
	if m.Rows != rows || m.Cols != cols {
		panicf("%s is %d×%d, want %d×%d", name, m.Rows, m.Cols, rows, cols)
	}
	w := MaskWords(cols)
	if m.Stride < w {
		panicf("%s.Stride = %d, want ≥ %d words for %d columns", name, m.Stride, w, cols)
	}
	if rows > 0 && cols > 0 && !fits(len(m.Bits), rows, m.Stride, w) {
		panicf("len(%s.Bits) = %d, want ≥ %s for %d×%d, Stride=%d", name, len(m.Bits), spanString(rows, m.Stride, w), rows, cols, m.Stride)
	}
}

// region is the memory of the mask's rows, for the overlap checks (after
// check).
func (m Mask) region(name string) region {
	return matRegion(name, m.Bits, m.Rows, MaskWords(m.Cols), m.Stride)
}
