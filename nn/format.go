package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"unsafe"

	"github.com/fusedrelu/kernels"
)

// formatVersion is the version of the file format that this package
// writes and reads: see WriteTo.
const formatVersion = 1

var magic = [8]byte{0x89, 'F', 'R', 'N', '\r', '\n', 0x1a, '\n'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// The errors of reading a network file, wrapped in a message that says
// what was wrong and where: test them with errors.Is.
var (
	ErrNotNetwork = errors.New("not a network file")          // foreign data: the magic is wrong
	ErrVersion    = errors.New("unsupported format version")  // a version this package does not read
	ErrTruncated  = errors.New("truncated")                   // the data ends early
	ErrCorrupt    = errors.New("corrupted")                   // a checksum or a header field is wrong, or data follows the end
	ErrMismatch   = errors.New("file does not match network") // element type or shapes differ from what was asked for
)

func dtypeName(size int) string {
	switch size {
	case 4:
		return "float32"
	case 8:
		return "float64"
	}
	return fmt.Sprintf("unknown element type %d", size)
}

func sizeOf[T kernels.Float]() int {
	var z T
	return int(unsafe.Sizeof(z))
}

// WriteTo writes the network's shapes and parameters to w and returns
// the number of bytes written. It writes nothing, and returns an error,
// when a layer's W or B was replaced by a slice of another length.
//
// The format, version 1, written by WriteTo, [Network.Save] and
// [Network.MarshalBinary] and read by [Read], [Load],
// [Network.ReadParams] and [Network.UnmarshalBinary]: integers and floats
// little-endian, floats IEEE 754 stored bit for bit.
//
//	offset    size   field
//	0         8      magic: 0x89 'F' 'R' 'N' '\r' '\n' 0x1a '\n'
//	8         2      format version: 1
//	10        1      element type: 4 = float32, 8 = float64 (its size in bytes)
//	11        1      reserved: 0
//	12        4      L, the number of layers: 1 … 1024
//	16        12·L   per layer: In (uint32), Out (uint32), activation (uint8:
//	                 1 = ReLU, 2 = Linear), 3 reserved bytes: 0
//	16+12·L   4      CRC-32C (Castagnoli) of bytes 0 … 15+12·L
//	20+12·L   P      per layer: W (In·Out elements, row-major), then B (Out
//	                 elements); P = size · Σ (In+1)·Out
//	20+12·L+P 4      CRC-32C of the P parameter bytes
//
// Widths are 1 … 2²⁴, and each layer's In is the previous layer's Out. The
// header has its own checksum, so that a damaged shape is caught before
// any parameter is read, and readers allocate memory only as the data
// arrives, whatever a header claims.
func (n *Network[T]) WriteTo(w io.Writer) (int64, error) {
	if w == nil {
		return 0, errors.New("nn: WriteTo a nil io.Writer")
	}
	if err := n.checkLayers(); err != nil {
		return 0, err
	}
	size := sizeOf[T]()
	L := len(n.layers)
	hdr := make([]byte, 16+12*L+4)
	copy(hdr, magic[:])
	binary.LittleEndian.PutUint16(hdr[8:], formatVersion)
	hdr[10] = byte(size)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(L))
	for i := range n.layers {
		l, e := &n.layers[i], hdr[16+12*i:]
		binary.LittleEndian.PutUint32(e, uint32(l.in))
		binary.LittleEndian.PutUint32(e[4:], uint32(l.out))
		e[8] = byte(l.act)
	}
	binary.LittleEndian.PutUint32(hdr[16+12*L:], crc32.Checksum(hdr[:16+12*L], castagnoli))
	cw := &countWriter{w: w}
	if _, err := cw.Write(hdr); err != nil {
		return cw.n, err
	}
	crc := crc32.New(castagnoli)
	buf := make([]byte, 32<<10)
	for i := range n.layers {
		wt, b := n.layers[i].params()
		if err := writeFloats(cw, crc, buf, wt); err != nil {
			return cw.n, err
		}
		if err := writeFloats(cw, crc, buf, b); err != nil {
			return cw.n, err
		}
	}
	_, err := cw.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return cw.n, err
}

// writeFloats writes v to w, little-endian, in chunks encoded in buf,
// and adds the bytes to crc.
func writeFloats[T kernels.Float](w io.Writer, crc hash.Hash32, buf []byte, v []T) error {
	size := sizeOf[T]()
	for len(v) > 0 {
		k := min(len(v), len(buf)/size)
		b := buf[:k*size]
		encode(b, v[:k])
		crc.Write(b)
		if _, err := w.Write(b); err != nil {
			return err
		}
		v = v[k:]
	}
	return nil
}

func encode[T kernels.Float](b []byte, v []T) {
	switch v := any(v).(type) {
	case []float32:
		for i, f := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
		}
	case []float64:
		for i, f := range v {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(f))
		}
	}
}

func decode[T kernels.Float](v []T, b []byte) {
	switch v := any(v).(type) {
	case []float32:
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case []float64:
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
}

// countWriter counts the bytes written.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// countReader counts the bytes read, for the messages of truncated files.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// reader reads one network file.
type reader struct {
	cr  countReader
	crc hash.Hash32
}

// full reads len(b) bytes, naming what it reads when the data ends early.
func (r *reader) full(b []byte, what string, want int64) error {
	_, err := io.ReadFull(&r.cr, b)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("nn: %w: the data ends after %d bytes, in %s (want %d bytes)", ErrTruncated, r.cr.n, what, want)
	}
	if err != nil {
		return fmt.Errorf("nn: reading %s: %w", what, err)
	}
	return nil
}

// checkSum reads the 4-byte CRC-32C that ends a run of data (named what
// if the data ends early) and returns an ErrCorrupt error, naming the
// data as name, unless it is r.crc's sum of that data.
func (r *reader) checkSum(name, what string, fileLen int64) error {
	var tail [4]byte
	if err := r.full(tail[:], what, fileLen); err != nil {
		return err
	}
	if got, want := r.crc.Sum32(), binary.LittleEndian.Uint32(tail[:]); got != want {
		return fmt.Errorf("nn: %w: %s checksum %08x, the file says %08x", ErrCorrupt, name, got, want)
	}
	return nil
}

// prefix reads into b the magic and the rest of a fixed header of
// len(b) bytes, named hdr in the error of an early end, and checks the
// magic (else an error wrapping notMagic: foreign data is told from
// truncated data by the bytes present) and the little-endian version at
// b[8:10] (else an ErrVersion error naming the kind of data). The
// network file and the checkpoint start so.
func (r *reader) prefix(b []byte, magic *[8]byte, notMagic error, hdr, kind string, version uint16) error {
	k, err := io.ReadFull(&r.cr, b[:8])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("nn: reading the magic: %w", err)
	}
	if !bytes.Equal(b[:k], magic[:k]) {
		return fmt.Errorf("nn: %w: it starts with % x, want % x", notMagic, b[:k], *magic)
	}
	if k < 8 {
		if k == 0 {
			return fmt.Errorf("nn: %w: the data is empty", ErrTruncated)
		}
		return fmt.Errorf("nn: %w: the data ends after %d bytes, in the magic", ErrTruncated, k)
	}
	if err := r.full(b[8:], hdr, int64(len(b))); err != nil {
		return err
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != version {
		return fmt.Errorf("nn: %w: the %s has version %d, this package reads version %d", ErrVersion, kind, v, version)
	}
	return nil
}

// Read reads a network written by [Network.WriteTo] (or Save) from r,
// consuming exactly the bytes of the file. The error names the problem
// (test it with errors.Is against ErrNotNetwork, ErrVersion,
// ErrTruncated, ErrCorrupt and ErrMismatch, the last when the file holds
// the other element type); a network is returned only when every check,
// both checksums included, passes.
func Read[T kernels.Float](r io.Reader) (*Network[T], error) {
	if r == nil {
		return nil, errors.New("nn: Read from a nil io.Reader")
	}
	rd := &reader{cr: countReader{r: r}}
	var fixed [16]byte
	if err := rd.prefix(fixed[:], &magic, ErrNotNetwork, "the header", "file", formatVersion); err != nil {
		return nil, err
	}
	L := binary.LittleEndian.Uint32(fixed[12:])
	if L < 1 || L > maxLayers {
		return nil, fmt.Errorf("nn: %w: the header gives %d layers, want 1 … %d", ErrCorrupt, L, maxLayers)
	}
	hdrLen := 16 + 12*int64(L)
	hdr := make([]byte, hdrLen+4)
	copy(hdr, fixed[:])
	if err := rd.full(hdr[16:], "the layer table and its checksum", hdrLen+4); err != nil {
		return nil, err
	}
	if got, want := crc32.Checksum(hdr[:hdrLen], castagnoli), binary.LittleEndian.Uint32(hdr[hdrLen:]); got != want {
		return nil, fmt.Errorf("nn: %w: header checksum %08x, the file says %08x", ErrCorrupt, got, want)
	}
	size := int(hdr[10])
	if size != 4 && size != 8 || hdr[11] != 0 {
		return nil, fmt.Errorf("nn: %w: element type byte %d, reserved byte %d, want 4 or 8 and 0", ErrCorrupt, hdr[10], hdr[11])
	}
	specs := make([]LayerSpec, L)
	params := int64(0)
	for i := range specs {
		e := hdr[16+12*i:]
		specs[i] = LayerSpec{In: int(binary.LittleEndian.Uint32(e)), Out: int(binary.LittleEndian.Uint32(e[4:])), Act: Activation(e[8])}
		if e[9] != 0 || e[10] != 0 || e[11] != 0 {
			return nil, fmt.Errorf("nn: %w: layer %d has reserved bytes % x, want zeros", ErrCorrupt, i, e[9:12])
		}
		params += int64(specs[i].In+1) * int64(specs[i].Out)
	}
	if err := checkSpecs(specs); err != nil {
		return nil, fmt.Errorf("%w (%w)", err, ErrCorrupt)
	}
	if want := sizeOf[T](); size != want {
		return nil, fmt.Errorf("nn: %w: the file holds %s parameters, want %s", ErrMismatch, dtypeName(size), dtypeName(want))
	}
	fileLen := hdrLen + 4 + params*int64(size) + 4
	rd.crc = crc32.New(castagnoli)
	n := &Network[T]{layers: make([]Layer[T], L)}
	for i, s := range specs {
		w, err := readFloats[T](rd, s.In*s.Out, fmt.Sprintf("the weights of layer %d", i), fileLen)
		if err != nil {
			return nil, err
		}
		b, err := readFloats[T](rd, s.Out, fmt.Sprintf("the biases of layer %d", i), fileLen)
		if err != nil {
			return nil, err
		}
		n.layers[i] = Layer[T]{W: w, B: b, in: s.In, out: s.Out, act: s.Act}
	}
	if err := rd.checkSum("parameter", "the parameter checksum", fileLen); err != nil {
		return nil, err
	}
	return n, nil
}

// readFloats reads count elements in chunks, so that memory grows only
// with the data actually present.
func readFloats[T kernels.Float](rd *reader, count int, what string, fileLen int64) ([]T, error) {
	size := sizeOf[T]()
	const chunk = 16 << 10
	v := make([]T, 0, min(count, chunk))
	buf := make([]byte, min(count, chunk)*size)
	for len(v) < count {
		k := min(count-len(v), chunk)
		b := buf[:k*size]
		if err := rd.full(b, what, fileLen); err != nil {
			return nil, err
		}
		rd.crc.Write(b)
		v = slices.Grow(v, k)[:len(v)+k]
		decode(v[len(v)-k:], b)
	}
	return v, nil
}

// checkEnd returns an ErrCorrupt error unless r is at its end.
func checkEnd(r io.Reader) error {
	var b [1]byte
	k, err := io.ReadFull(r, b[:])
	if k > 0 {
		return fmt.Errorf("nn: %w: data follows the parameter checksum", ErrCorrupt)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("nn: reading past the end: %w", err)
	}
	return nil
}

// MarshalBinary returns the network in the file format of [Network.WriteTo].
func (n *Network[T]) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if _, err := n.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalBinary replaces n's layers with those of data, which must hold
// exactly one network file of n's element type. On an error n is
// unchanged. A Trainer of n does not follow the new layers: make a new
// one, or read into n with [Network.ReadParams], which keeps the layers.
func (n *Network[T]) UnmarshalBinary(data []byte) error {
	r := bytes.NewReader(data)
	m, err := Read[T](r)
	if err != nil {
		return err
	}
	if err := checkEnd(r); err != nil {
		return err
	}
	n.layers = m.layers
	return nil
}

// ReadParams reads a network file from r into n, which must have the
// same element type and layers as the file (an ErrMismatch error names
// the difference). The parameters are copied into n's W and B slices, so
// that a Trainer of n keeps working. On an error n is unchanged.
func (n *Network[T]) ReadParams(r io.Reader) error {
	m, err := Read[T](r)
	if err != nil {
		return err
	}
	if len(m.layers) != len(n.layers) {
		return fmt.Errorf("nn: %w: the file has %d layers %v, the network %d %v", ErrMismatch, len(m.layers), m.Specs(), len(n.layers), n.Specs())
	}
	for i := range m.layers {
		if a, b := m.layers[i].Spec(), n.layers[i].Spec(); a != b {
			return fmt.Errorf("nn: %w: layer %d is %v in the file, %v in the network", ErrMismatch, i, &m.layers[i], &n.layers[i])
		}
	}
	if err := n.checkLayers(); err != nil {
		return err
	}
	for i := range m.layers {
		copy(n.layers[i].W, m.layers[i].W)
		copy(n.layers[i].B, m.layers[i].B)
	}
	return nil
}

// Save writes the network to the file path, atomically: to a temporary
// file in the same directory, then renamed over path. An error names path
// (never the temporary file) and wraps the cause, so that, for example,
// errors.Is(err, fs.ErrNotExist) tells a missing directory.
func (n *Network[T]) Save(path string) error {
	if err := n.checkLayers(); err != nil {
		return err
	}
	err := writeFile(path, func(w io.Writer) error {
		_, err := n.WriteTo(w)
		return err
	})
	if err != nil {
		return saveError(path, err)
	}
	return nil
}

// writeFile writes path atomically: write writes the data to a temporary
// file in the same directory (mode 0644), which is then renamed over
// path, so that a reader sees the old file or the whole new one, never a
// part. On an error the temporary file is removed and the cause
// returned as it is, for the caller to name path.
func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// saveError returns err as an *fs.PathError of path: the errors of the
// os package name the temporary file, which the caller never asked for.
func saveError(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return &fs.PathError{Op: "nn: save", Path: path, Err: err}
}

// Load reads the network file at path; see [Read]. Data after the
// file's checksum is an ErrCorrupt error.
func Load[T kernels.Float](path string) (*Network[T], error) {
	var n *Network[T]
	err := readFile(path, func(r io.Reader) (err error) {
		n, err = Read[T](r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// readFile opens path and reads it with read, which must consume
// exactly its data: data after that is an ErrCorrupt error. The errors
// of read and of the end name path; that of opening it names it
// already.
func readFile(path string, read func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := read(f); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	if err := checkEnd(f); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	return nil
}
