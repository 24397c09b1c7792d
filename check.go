package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

func panicf(format string, args ...any) {
	panic("kernels: " + fmt.Sprintf(format, args...))
}

func checkDims3(n1 string, v1 int, n2 string, v2 int, n3 string, v3 int) {
	for _, d := range [...]struct {
		name string
		v    int
	}{{n1, v1}, {n2, v2}, {n3, v3}} {
		if d.v < 0 {
			panicf("%s = %d, want ≥ 0", d.name, d.v)
		}
	}
}

// dim is a dimension and the name the caller knows it by.
type dim struct {
	name string
	v    int
}

// checkMatrix checks that s holds a rows×cols row-major matrix with
// leading dimension ld (0 meaning cols) and returns the leading dimension
// in use. The last row needs only cols elements, not ld. rows and cols
// are ≥ 0 (the caller checked them); ld is validated here before any
// arithmetic, and the length is compared by division, so that no
// argument, however large, can wrap the size around to a small one.
func checkMatrix[T any](name string, s []T, r, c dim, ld int, ldName string) int {
	rows, cols := r.v, c.v
	if ld == 0 {
		ld = max(cols, 1)
	}
	if ld < max(cols, 1) {
		panicf("%s = %d, want ≥ %d (the width of %s) or 0 for tight", ldName, ld, max(cols, 1), name)
	}
	if rows == 0 || cols == 0 {
		return ld
	}
	if !fits(len(s), rows, ld, cols) {
		panicf("len(%s) = %d, want ≥ %s for %s=%d, %s=%d, %s=%d", lower(name), len(s), spanString(rows, ld, cols), r.name, rows, c.name, cols, lower(ldName), ld)
	}
	return ld
}

// fits reports whether (rows−1)·ld + cols ≤ n: whether n elements hold
// rows rows of cols elements, ld apart (rows, cols ≥ 1, ld ≥ cols). It
// divides rather than multiplies, so that it cannot overflow.
func fits(n, rows, ld, cols int) bool {
	return n >= cols && rows-1 <= (n-cols)/ld
}

// spanString is (rows−1)·ld + cols for a message, or the product spelled
// out when it does not fit in an int.
func spanString(rows, ld, cols int) string {
	if rows-1 > (math.MaxInt-cols)/ld {
		return fmt.Sprintf("%d·%d + %d (more than MaxInt)", rows-1, ld, cols)
	}
	return fmt.Sprint((rows-1)*ld + cols)
}

// lower spells an argument name as the message examples do: the field X
// is the slice x, LdX its ldx.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func checkLen[T any](name string, s []T, of string, n int) {
	if len(s) < n {
		panicf("len(%s) = %d, want ≥ len(%s) = %d", name, len(s), of, n)
	}
}

// region is the memory a strided matrix argument uses: rows runs of cols
// elements of size bytes, ld elements apart.
type region struct {
	name           string
	base, end      uintptr // the first byte and one past the last
	rows, cols, ld int
	size           uintptr
}

func matRegion[T any](name string, s []T, rows, cols, ld int) region {
	if len(s) == 0 || rows == 0 || cols == 0 || ld == 0 { // ld = 0: an argument not in use
		return region{name: name}
	}
	var z T
	base, size := uintptr(unsafe.Pointer(unsafe.SliceData(s))), unsafe.Sizeof(z)
	return region{name, base, base + uintptr((rows-1)*ld+cols)*size, rows, cols, ld, size}
}

func vecRegion[T any](name string, s []T, n int) region {
	return matRegion(name, s, 1, min(n, len(s)), max(n, 1))
}

func (r region) row(i int) (lo, hi uintptr) {
	lo = r.base + uintptr(i*r.ld)*r.size
	return lo, lo + uintptr(r.cols)*r.size
}

// overlaps reports whether two regions share a byte. Rows of each region
// lie at increasing addresses, so a merge of the two row lists finds a
// shared byte in O(rows) steps; interleaved matrices (R and Z in the
// alternate rows of one buffer, say) do not overlap.
func (r *region) overlaps(q *region) bool {
	// Apart (an empty region has base = end = 0), or the rows compared.
	return r.end > q.base && q.end > r.base && r.rowsOverlap(q)
}

func (r *region) rowsOverlap(q *region) bool {
	i, j := 0, 0
	for i < r.rows && j < q.rows {
		rlo, rhi := r.row(i)
		qlo, qhi := q.row(j)
		if rlo < qhi && qlo < rhi {
			return true
		}
		if rhi <= qhi {
			i++
		} else {
			j++
		}
	}
	return false
}

// checkDisjoint panics if out and in share a byte. The common case, apart,
// is a comparison of their ends, inlined.
func checkDisjoint(out, in *region) {
	if out.overlaps(in) {
		panicf("%s overlaps %s, want separate memory for an output", out.name, in.name)
	}
}

// checkSameOrDisjoint allows dst to be exactly src (in place) and
// otherwise requires the two to be disjoint.
func checkSameOrDisjoint[T any](dstName string, dst []T, srcName string, src []T) {
	if len(dst) == 0 || len(src) == 0 || unsafe.SliceData(dst) == unsafe.SliceData(src) {
		return
	}
	n := len(src)
	d, r := vecRegion(dstName, dst, n), vecRegion(srcName, src, n)
	checkDisjoint(&d, &r)
}

// checkOutputs panics unless every output region is disjoint from every
// input and from every other output.
func checkOutputs(outs, ins []region) {
	for i := range outs {
		for j := range ins {
			checkDisjoint(&outs[i], &ins[j])
		}
		for j := i + 1; j < len(outs); j++ {
			checkDisjoint(&outs[i], &outs[j])
		}
	}
}
