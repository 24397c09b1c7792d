// Package idx reads IDX files, the format of the MNIST and
// Fashion-MNIST data sets: a header giving the element type and the
// dimensions, then the elements, big-endian, in row-major order. A file
// compressed with gzip (as the data sets are distributed, *.gz) is
// recognised by its first bytes and decompressed as it is read.
//
//	images, err := idx.ReadFile("train-images-idx3-ubyte.gz") // Dims [60000 28 28]
//	x := idx.Floats[float32](images, 1.0/255)                  // 60000×784, in [0, 1]
//
// A damaged file is an error, never a panic or a wrong array: each error
// wraps [ErrFormat] (not an IDX file, or data after its end) or
// [ErrTruncated], or the gzip or I/O error, with a message saying what
// and where.
package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Type is an element type of the format.
type Type byte

// The element types, with their codes in the header.
const (
	Uint8   Type = 0x08
	Int8    Type = 0x09
	Int16   Type = 0x0B
	Int32   Type = 0x0C
	Float32 Type = 0x0D
	Float64 Type = 0x0E
)

// Size returns the size of an element in bytes, 0 for an unknown type.
func (t Type) Size() int {
	switch t {
	case Uint8, Int8:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

func (t Type) String() string {
	switch t {
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("Type(0x%02x)", byte(t))
}

// The errors of reading: test them with errors.Is.
var (
	ErrFormat    = errors.New("not a valid IDX file")
	ErrTruncated = errors.New("truncated IDX file")
)

// Array is the content of an IDX file.
type Array struct {
	Type Type
	Dims []int  // the dimensions, outermost first: [60000 28 28] for MNIST's training images
	Data []byte // the elements as in the file: row-major, big-endian, Len()·Type.Size() bytes
}

// Len returns the number of elements, the product of the dimensions.
func (a *Array) Len() int { return len(a.Data) / a.Type.Size() }

// At returns element i (in row-major order) as a float64, exactly for
// every type.
func (a *Array) At(i int) float64 {
	d := a.Data[i*a.Type.Size():]
	switch a.Type {
	case Uint8:
		return float64(d[0])
	case Int8:
		return float64(int8(d[0]))
	case Int16:
		return float64(int16(binary.BigEndian.Uint16(d)))
	case Int32:
		return float64(int32(binary.BigEndian.Uint32(d)))
	case Float32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(d)))
	case Float64:
		return math.Float64frombits(binary.BigEndian.Uint64(d))
	}
	panic(fmt.Sprintf("idx: At of an array of %v", a.Type))
}

// Floats returns the elements times scale, converted to T: the pixels of
// MNIST's images in [0, 1] with scale 1/255.
func Floats[T ~float32 | ~float64](a *Array, scale float64) []T {
	v := make([]T, a.Len())
	for i := range v {
		v[i] = T(a.At(i) * scale)
	}
	return v
}

// Ints returns the elements of an array of an integer type (class labels,
// say) as ints; an array of floats is an error.
func (a *Array) Ints() ([]int, error) {
	if a.Type == Float32 || a.Type == Float64 {
		return nil, fmt.Errorf("idx: the array holds %v, want integers", a.Type)
	}
	v := make([]int, a.Len())
	for i := range v {
		v[i] = int(a.At(i))
	}
	return v, nil
}

// ReadFile reads the IDX file (gzip-compressed or not) at path. Errors
// name the file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return a, nil
}

// Read reads one IDX file, gzip-compressed or not, from r, and requires
// r to end with it: data after the last element is an ErrFormat error
// (and a gzip stream's checksum is checked at its end).
func Read(r io.Reader) (*Array, error) {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("idx: %w: the data ends in the gzip header", ErrTruncated)
		}
		if err != nil {
			return nil, fmt.Errorf("idx: the gzip header: %w", err)
		}
		defer z.Close()
		return read(z, "gzip: ")
	}
	return read(br, "")
}

// counter counts the bytes read, for the messages.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// full reads len(b) bytes of what, mapping an early end to ErrTruncated.
// gz ("gzip: " or "") says where the offsets count.
func full(c *counter, b []byte, what, gz string) error {
	_, err := io.ReadFull(c, b)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf("idx: %w: the %sdata ends after %d bytes, in %s", ErrTruncated, gz, c.n, what)
	case err != nil:
		return fmt.Errorf("idx: reading %s: %w", what, err)
	}
	return nil
}

func read(r io.Reader, gz string) (*Array, error) {
	c := &counter{r: r}
	var hdr [4]byte
	if err := full(c, hdr[:], "the magic number", gz); err != nil {
		if c.n == 0 && errors.Is(err, ErrTruncated) {
			return nil, fmt.Errorf("idx: %w: the %sdata is empty", ErrTruncated, gz)
		}
		return nil, err
	}
	t, nd := Type(hdr[2]), int(hdr[3])
	if hdr[0] != 0 || hdr[1] != 0 || t.Size() == 0 {
		return nil, fmt.Errorf("idx: %w: magic number % x, want 00 00, a type (08 09 0b 0c 0d 0e), and the number of dimensions", ErrFormat, hdr)
	}
	if nd == 0 {
		return nil, fmt.Errorf("idx: %w: 0 dimensions", ErrFormat)
	}
	dimBytes := make([]byte, 4*nd)
	if err := full(c, dimBytes, "the dimensions", gz); err != nil {
		return nil, err
	}
	a := &Array{Type: t, Dims: make([]int, nd)}
	count := 1
	for i := range a.Dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("idx: %w: dimension %d is %d, want < 2³¹", ErrFormat, i, d)
		}
		a.Dims[i] = int(d)
		if d != 0 && count > math.MaxInt/t.Size()/int(d) {
			return nil, fmt.Errorf("idx: %w: dimensions %v overflow", ErrFormat, dimBytes)
		}
		count *= int(d)
	}
	// Read in chunks, so that memory grows with the data present, not
	// with what a damaged header claims.
	total := count * t.Size()
	const chunk = 1 << 20
	a.Data = make([]byte, 0, min(total, chunk))
	for len(a.Data) < total {
		k := min(total-len(a.Data), chunk)
		n := len(a.Data)
		if cap(a.Data) < n+k {
			a.Data = append(a.Data[:cap(a.Data)], make([]byte, min(cap(a.Data), total-cap(a.Data)))...)
		}
		a.Data = a.Data[:n+k]
		if err := full(c, a.Data[n:], fmt.Sprintf("the elements (%v of %v, %d bytes from byte %d)", a.Dims, t, total, 4+4*nd), gz); err != nil {
			return nil, err
		}
	}
	var b [1]byte
	k, err := io.ReadFull(c, b[:])
	switch {
	case k > 0:
		return nil, fmt.Errorf("idx: %w: data follows the %d elements %v, at %sbyte %d", ErrFormat, count, a.Dims, gz, c.n-1)
	case err == io.ErrUnexpectedEOF:
		return nil, fmt.Errorf("idx: %w: the %sdata ends early, after the elements", ErrTruncated, gz)
	case err != io.EOF:
		return nil, fmt.Errorf("idx: after the elements: %w", err)
	}
	return a, nil
}
