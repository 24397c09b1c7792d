package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sampleNet[T float32 | float64](t testing.TB) *Network[T] {
	t.Helper()
	net, err := New[T](7, Dense(3, 5, ReLU), Dense(5, 4, Linear), Dense(4, 2, ReLU))
	if err != nil {
		t.Fatal(err)
	}
	for i := range net.NumLayers() {
		for j := range net.Layer(i).B {
			net.Layer(i).B[j] = T(float64(j) - 1.5)
		}
	}
	return net
}

func marshal[T float32 | float64](t testing.TB, n *Network[T]) []byte {
	t.Helper()
	b, err := n.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameNet[T float32 | float64](a, b *Network[T]) bool {
	if !slices.Equal(a.Specs(), b.Specs()) {
		return false
	}
	for i := range a.NumLayers() {
		for _, p := range [][2][]T{{a.Layer(i).W, b.Layer(i).W}, {a.Layer(i).B, b.Layer(i).B}} {
			if len(p[0]) != len(p[1]) {
				return false
			}
			for k := range p[0] {
				if bitsOf(p[0][k]) != bitsOf(p[1][k]) {
					return false
				}
			}
		}
	}
	return true
}

func bitsOf[T float32 | float64](v T) uint64 {
	switch v := any(v).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	case float64:
		return math.Float64bits(v)
	}
	return 0
}

// TestRoundTrip writes and reads networks of both element types, with
// special values (NaN payloads, ±0, ±Inf) among the parameters, through
// WriteTo/Read, MarshalBinary/UnmarshalBinary, Save/Load and ReadParams,
// and checks that every bit survives.
func TestRoundTrip(t *testing.T) {
	t.Run("f32", func(t *testing.T) { roundTrip[float32](t) })
	t.Run("f64", func(t *testing.T) { roundTrip[float64](t) })
}

func roundTrip[T float32 | float64](t *testing.T) {
	n := sampleNet[T](t)
	w := n.Layer(0).W
	w[0], w[1], w[2] = T(math.Inf(1)), T(math.Inf(-1)), T(math.Copysign(0, -1))
	switch w := any(w).(type) {
	case []float32:
		w[3] = math.Float32frombits(0x7fc01234)
	case []float64:
		w[3] = math.Float64frombits(0x7ff8000000001234)
	}
	var buf bytes.Buffer
	k, err := n.WriteTo(&buf)
	if err != nil || k != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d, %v; wrote %d bytes", k, err, buf.Len())
	}
	size := sizeOf[T]()
	if want := 16 + 12*3 + 4 + size*(3*5+5+5*4+4+4*2+2) + 4; buf.Len() != want {
		t.Errorf("file of %d bytes, want %d", buf.Len(), want)
	}
	data := bytes.Clone(buf.Bytes())
	m, err := Read[T](&buf)
	if err != nil || !sameNet(n, m) || buf.Len() != 0 {
		t.Fatalf("Read: %v, same %v, %d bytes left", err, err == nil && sameNet(n, m), buf.Len())
	}
	var u Network[T]
	if err := u.UnmarshalBinary(data); err != nil || !sameNet(n, &u) {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	path := filepath.Join(t.TempDir(), "net.frn")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	if l, err := Load[T](path); err != nil || !sameNet(n, l) {
		t.Fatalf("Load: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("saved file: %v, mode %v", err, fi.Mode())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("Save left %d files in its directory, want 1", len(ents))
	}
	// ReadParams into a network of the same shape, whose slices a
	// Trainer holds: they must be the same slices afterwards.
	r := sampleNet[T](t)
	r.Init(99)
	w0 := r.Layer(0).W
	if err := r.ReadParams(bytes.NewReader(data)); err != nil || !sameNet(n, r) || &w0[0] != &r.Layer(0).W[0] {
		t.Fatalf("ReadParams: %v", err)
	}
}

// TestReadErrors checks that foreign, truncated, corrupted and mismatched
// data each give an error of the right kind that says what is wrong, and
// leave a network being read into unchanged.
func TestReadErrors(t *testing.T) {
	good := marshal(t, sampleNet[float32](t))
	hdrLen := 16 + 12*3
	type tc struct {
		name string
		data []byte
		want error
		msg  string
	}
	withHeader := func(edit func(b []byte)) []byte {
		b := bytes.Clone(good)
		edit(b)
		binary.LittleEndian.PutUint32(b[hdrLen:], crc32.Checksum(b[:hdrLen], castagnoli))
		return b
	}
	cases := []tc{
		{"empty", nil, ErrTruncated, "empty"},
		{"text", []byte("hello, world\n"), ErrNotNetwork, "starts with 68 65"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ErrNotNetwork, "not a network file"},
		{"gob-ish", bytes.Repeat([]byte{0}, 100), ErrNotNetwork, "not a network file"},
		{"magic prefix", good[:5], ErrTruncated, "in the magic"},
		{"header cut", good[:12], ErrTruncated, "in the header"},
		{"table cut", good[:30], ErrTruncated, "layer table"},
		{"weights cut", good[:hdrLen+4+10], ErrTruncated, "weights of layer 0"},
		{"biases cut", good[:hdrLen+4+4*15+3], ErrTruncated, "biases of layer 0"},
		{"checksum cut", good[:len(good)-2], ErrTruncated, "parameter checksum"},
		{"version 2", withHeader(func(b []byte) { b[8] = 2 }), ErrVersion, "version 2"},
		{"header flip", func() []byte { b := bytes.Clone(good); b[17] ^= 4; return b }(), ErrCorrupt, "header checksum"},
		{"param flip", func() []byte { b := bytes.Clone(good); b[hdrLen+20] ^= 0x10; return b }(), ErrCorrupt, "parameter checksum"},
		{"crc flip", func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(), ErrCorrupt, "parameter checksum"},
		{"zero layers", withHeader(func(b []byte) { b[12] = 0 }), ErrCorrupt, "0 layers"},
		{"dtype", withHeader(func(b []byte) { b[10] = 2 }), ErrCorrupt, "element type"},
		{"activation", withHeader(func(b []byte) { b[16+8] = 9 }), ErrCorrupt, "unknown activation"},
		{"chain", withHeader(func(b []byte) { b[16+12] = 6 }), ErrCorrupt, "layer 1 has 6 inputs"},
		{"zero width", withHeader(func(b []byte) { b[16] = 0 }), ErrCorrupt, "0→5"},
		{"reserved", withHeader(func(b []byte) { b[16+9] = 1 }), ErrCorrupt, "reserved"},
		{"f64 file", marshal(t, sampleNet[float64](t)), ErrMismatch, "holds float64 parameters, want float32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Read[float32](bytes.NewReader(c.data))
			if !errors.Is(err, c.want) || n != nil {
				t.Fatalf("Read: %v, %v; want an error wrapping %q", n, err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "nn: ") {
				t.Errorf("error %q, want it to say %q", err, c.msg)
			}
			u := sampleNet[float32](t)
			before := u.Clone()
			if err := u.UnmarshalBinary(c.data); !errors.Is(err, c.want) || !sameNet(u, before) {
				t.Errorf("UnmarshalBinary: %v, network unchanged: %v", err, sameNet(u, before))
			}
		})
	}
	t.Run("trailing", func(t *testing.T) {
		var u Network[float32]
		if err := u.UnmarshalBinary(append(bytes.Clone(good), 0)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "follows") {
			t.Errorf("UnmarshalBinary with a trailing byte: %v", err)
		}
		path := filepath.Join(t.TempDir(), "x")
		os.WriteFile(path, append(bytes.Clone(good), "junk"...), 0o644)
		if _, err := Load[float32](path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("Load with trailing data: %v", err)
		}
	})
	t.Run("mismatched shapes", func(t *testing.T) {
		for _, specs := range [][]LayerSpec{
			{Dense(3, 5, ReLU), Dense(5, 4, Linear)},
			{Dense(3, 5, ReLU), Dense(5, 4, ReLU), Dense(4, 2, ReLU)},
			{Dense(3, 5, ReLU), Dense(5, 3, Linear), Dense(3, 2, ReLU)},
		} {
			n, _ := New[float32](1, specs...)
			before := n.Clone()
			err := n.ReadParams(bytes.NewReader(good))
			if !errors.Is(err, ErrMismatch) || !sameNet(n, before) {
				t.Errorf("ReadParams into %v: %v", specs, err)
			}
			t.Log(err)
		}
	})
	t.Run("every prefix", func(t *testing.T) {
		for k := range len(good) {
			_, err := Read[float32](bytes.NewReader(good[:k]))
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix of %d bytes: %v, want ErrTruncated", k, err)
			}
		}
	})
	t.Run("every bit", func(t *testing.T) {
		// A flipped bit anywhere is an error (never a panic, never a
		// network): the magic's → ErrNotNetwork, the version's →
		// ErrVersion (or, in its high byte's bits, still ErrVersion),
		// the layer count's → ErrCorrupt or ErrTruncated, any other →
		// ErrCorrupt by a checksum.
		for i := range len(good) * 8 {
			b := bytes.Clone(good)
			b[i/8] ^= 1 << (i % 8)
			n, err := Read[float32](bytes.NewReader(b))
			if err == nil || n != nil {
				t.Fatalf("bit %d flipped: no error", i)
			}
			var want error = ErrCorrupt
			switch {
			case i/8 < 8:
				want = ErrNotNetwork
			case i/8 < 10:
				want = ErrVersion
			case i/8 >= 12 && i/8 < 16 && !errors.Is(err, ErrCorrupt):
				want = ErrTruncated // a larger layer count reads past the end
			}
			if !errors.Is(err, want) {
				t.Errorf("bit %d flipped: %v, want %v", i, err, want)
			}
		}
	})
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, io.ErrShortWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	n := sampleNet[float64](t)
	size := len(marshal(t, n))
	for k := range size {
		w, err := n.WriteTo(&failWriter{k})
		if err == nil || w != int64(k) {
			t.Fatalf("writer failing after %d bytes: WriteTo returned %d, %v", k, w, err)
		}
	}
	if err := n.Save(filepath.Join(t.TempDir(), "no", "such", "dir")); err == nil {
		t.Error("Save into a missing directory: no error")
	}
	if _, err := Load[float32](filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// FuzzRead feeds arbitrary data to the reader: it must never panic, and
// whenever it accepts the data, writing the network back must give the
// same bytes (so an accepted file is never silently misread).
func FuzzRead(f *testing.F) {
	f.Add(marshal(f, sampleNet[float32](f)))
	f.Add(marshal(f, sampleNet[float64](f)))
	one, _ := New[float32](1, Dense(1, 1, Linear))
	f.Add(marshal(f, one))
	f.Add([]byte{})
	f.Add(magic[:])
	f.Add([]byte("\x89FRN\r\n\x1a\n\x01\x00\x04\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, try := range []func() ([]byte, bool, error){
			func() ([]byte, bool, error) {
				var n Network[float32]
				err := n.UnmarshalBinary(data)
				if err != nil {
					return nil, false, err
				}
				b, err := n.MarshalBinary()
				return b, true, err
			},
			func() ([]byte, bool, error) {
				r := bytes.NewReader(data)
				n, err := Read[float64](r)
				if err != nil {
					return nil, false, err
				}
				b, err := n.MarshalBinary()
				return append(b, data[len(data)-r.Len():]...), true, err
			},
		} {
			b, ok, err := try()
			if !ok {
				if !errors.Is(err, ErrNotNetwork) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrTruncated) &&
					!errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
					t.Fatalf("error of no known kind: %v", err)
				}
				continue
			}
			if err != nil || !bytes.Equal(b, data) {
				t.Fatalf("accepted data does not round-trip: %v", err)
			}
		}
	})
}
