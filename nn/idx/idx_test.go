package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// encode returns the IDX file of the given type, dimensions and element
// values.
func encode(t Type, dims []int, vals []float64) []byte {
	b := []byte{0, 0, byte(t), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	for _, v := range vals {
		switch t {
		case Uint8, Int8:
			b = append(b, byte(int8(v)))
			if t == Uint8 {
				b[len(b)-1] = byte(v)
			}
		case Int16:
			b = binary.BigEndian.AppendUint16(b, uint16(int16(v)))
		case Int32:
			b = binary.BigEndian.AppendUint32(b, uint32(int32(v)))
		case Float32:
			b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v)))
		case Float64:
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestRead(t *testing.T) {
	for _, c := range []struct {
		t    Type
		vals []float64
	}{
		{Uint8, []float64{0, 1, 128, 255, 7, 9}},
		{Int8, []float64{-128, -1, 0, 1, 127, 5}},
		{Int16, []float64{-32768, -2, 0, 3, 32767, 300}},
		{Int32, []float64{math.MinInt32, -1, 0, 1, math.MaxInt32, 1 << 20}},
		{Float32, []float64{-1.5, 0, 0.25, 3e38, -7, 1}},
		{Float64, []float64{math.Pi, -0.1, 1e300, 0, 2, -3}},
	} {
		file := encode(c.t, []int{2, 3}, c.vals)
		for _, data := range [][]byte{file, gz(file)} {
			a, err := Read(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%v: %v", c.t, err)
			}
			if a.Type != c.t || !slices.Equal(a.Dims, []int{2, 3}) || a.Len() != 6 {
				t.Errorf("%v: type %v, dims %v, len %d", c.t, a.Type, a.Dims, a.Len())
			}
			for i, v := range c.vals {
				if c.t == Float32 {
					v = float64(float32(v))
				}
				if a.At(i) != v {
					t.Errorf("%v: element %d is %v, want %v", c.t, i, a.At(i), v)
				}
			}
			ints, err := a.Ints()
			if (err != nil) != (c.t == Float32 || c.t == Float64) {
				t.Errorf("%v: Ints error %v", c.t, err)
			}
			if err == nil && ints[1] != int(c.vals[1]) {
				t.Errorf("%v: Ints()[1] = %d", c.t, ints[1])
			}
		}
	}
	a, _ := Read(bytes.NewReader(encode(Uint8, []int{1, 2}, []float64{0, 255})))
	if f := Floats[float32](a, 1.0/255); !slices.Equal(f, []float32{0, 1}) {
		t.Errorf("Floats = %v", f)
	}
	// An empty array (a zero dimension) is valid.
	if a, err := Read(bytes.NewReader(encode(Uint8, []int{0, 28}, nil))); err != nil || a.Len() != 0 {
		t.Errorf("empty array: %v", err)
	}
}

// TestReadErrors: every truncation of a plain and of a gzip file is an
// error (ErrTruncated for the plain file), as are bad headers, data after
// the end, and any change to the compressed stream after its header.
func TestReadErrors(t *testing.T) {
	file := encode(Uint8, []int{3, 4}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	for k := range len(file) {
		if _, err := Read(bytes.NewReader(file[:k])); !errors.Is(err, ErrTruncated) {
			t.Errorf("plain file cut to %d bytes: %v", k, err)
		}
	}
	z := gz(file)
	for k := range len(z) {
		if _, err := Read(bytes.NewReader(z[:k])); err == nil {
			t.Errorf("gzip file cut to %d bytes: no error", k)
		}
	}
	// Bytes 4 … 9 of a gzip header (time, flags, OS) are not checked by gzip.
	for i := 10; i < len(z); i++ {
		bad := slices.Clone(z)
		bad[i] ^= 0x10
		if a, err := Read(bytes.NewReader(bad)); err == nil {
			t.Errorf("gzip byte %d changed: no error, dims %v", i, a.Dims)
		}
	}
	for _, c := range []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"text", []byte("hello, world"), ErrFormat, "magic number"},
		{"type", []byte{0, 0, 0x0a, 1, 0, 0, 0, 0}, ErrFormat, "magic number"},
		{"0 dims", []byte{0, 0, 8, 0}, ErrFormat, "0 dimensions"},
		{"huge dim", []byte{0, 0, 8, 1, 0x80, 0, 0, 0}, ErrFormat, "dimension 0"},
		{"overflow", []byte{0, 0, 0x0e, 3, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0}, ErrFormat, "overflow"},
		{"claims a lot", []byte{0, 0, 8, 2, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0, 1}, ErrTruncated, "ends after 13 bytes"},
		{"trailing", append(slices.Clone(file), 0), ErrFormat, "data follows"},
		{"trailing in gzip", gz(append(slices.Clone(file), 0)), ErrFormat, "data follows"},
		{"empty", nil, ErrTruncated, "empty"},
		{"gzip header", []byte{0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 0}, gzip.ErrHeader, "gzip header"},
		{"short gzip header", []byte{0x1f, 0x8b, 8, 0}, ErrTruncated, "gzip header"},
	} {
		_, err := Read(bytes.NewReader(c.data))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "idx: ") {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.want, c.msg)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels-idx1-ubyte.gz")
	os.WriteFile(path, gz(encode(Uint8, []int{3}, []float64{7, 2, 1})), 0o644)
	a, err := ReadFile(path)
	if err != nil || a.At(0) != 7 {
		t.Fatalf("ReadFile: %v", err)
	}
	os.WriteFile(path, []byte{0, 0, 8, 1, 0, 0, 0, 3, 7}, 0o644)
	if _, err := ReadFile(path); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), path) {
		t.Errorf("truncated file: %v, want one naming %s", err, path)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzRead: the reader never panics, and an array it accepts from plain
// data encodes back to exactly that data.
func FuzzRead(f *testing.F) {
	f.Add(encode(Uint8, []int{2, 2}, []float64{1, 2, 3, 4}))
	f.Add(encode(Float64, []int{1}, []float64{math.Pi}))
	f.Add(gz(encode(Int16, []int{2}, []float64{-1, 1})))
	f.Add([]byte{0, 0, 8, 2, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "idx: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			return
		}
		vals := make([]float64, a.Len())
		for i := range vals {
			vals[i] = a.At(i)
		}
		if a.Type == Float32 || a.Type == Float64 {
			return // a NaN's payload may change through float64
		}
		if back := encode(a.Type, a.Dims, vals); !bytes.Equal(back, data) {
			t.Fatalf("accepted % x, encodes back to % x", data, back)
		}
	})
}
