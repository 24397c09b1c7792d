package nn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// checkpointVersion is the version of the checkpoint format: see
// [Trainer.WriteCheckpoint].
const checkpointVersion = 1

var checkpointMagic = [8]byte{0x89, 'F', 'R', 'C', '\r', '\n', 0x1a, '\n'}

// ErrNotCheckpoint is wrapped by the error of reading data that is not a
// checkpoint (its magic is wrong). A network file read as a checkpoint
// gives it, and a checkpoint read as a network file gives ErrNotNetwork.
var ErrNotCheckpoint = errors.New("not a checkpoint file")

const trainerHeaderLen = 136

const (
	flagRun     = 1
	flagShuffle = 2
)

// WriteCheckpoint writes the trainer's checkpoint to w and returns the
// number of bytes written. It writes nothing, and returns an error, when
// a layer's W or B was replaced by a slice of another length.
//
// A checkpoint is a trainer's whole state, so that training can stop and
// resume with the same bits as if it had not stopped: the network, the
// optimiser's settings (not its schedule: a function, given again to the
// resumed trainer) and state (step count, which is the schedule's
// position, and the momenta or moments), and the position of Fit's run
// (epochs done, the shuffling generator's state, the early-stopping
// state). [Trainer.WriteCheckpoint] and [Trainer.SaveCheckpoint] write
// it; [Trainer.ReadCheckpoint] and [Trainer.LoadCheckpoint] read it into
// a trainer of the same network shapes, element type, loss and optimiser
// type.
//
// The format, version 1, is built as the network file's (see the package
// documentation), little-endian, floats stored bit for bit:
//
//	offset  size  field
//	0       8     magic: 0x89 'F' 'R' 'C' '\r' '\n' 0x1a '\n'
//	8       2     checkpoint format version: 1
//	10      1     element type: 4 = float32, 8 = float64
//	11      1     reserved: 0
//	12      N     the network, as a network file (its own header and checksums)
//	12+N    136   the trainer:
//	                loss (uint8: 1 = MSE, 2 = SoftmaxCrossEntropy),
//	                optimiser (uint8: 1 = SGD, 2 = Momentum, 3 = Adam),
//	                flags (uint8: bit 0 = a Fit run, bit 1 = shuffled), 5 reserved bytes: 0,
//	                steps taken (uint64),
//	                LR, Momentum, Beta1, Beta2, Epsilon, WeightDecay, ClipNorm
//	                (float64 each; 0 where the optimiser has no such setting),
//	                the run: epochs done, examples, batch size, seed (uint64 each),
//	                best validation loss (float64), epochs since it (uint64),
//	                the shuffling generator's state (PCG's two uint64 words);
//	                zeros without a run (and the generator's without shuffling)
//	148+N   4     CRC-32C of bytes 0 … 11 and the 136 bytes of the trainer
//	152+N   S     the optimiser's state, per parameter slice (W then B of each
//	              layer, in order): Momentum its velocity; Adam every first
//	              moment, then every second moment; nothing for SGD
//	152+N+S 4     CRC-32C of the S state bytes
//
// Reading never panics and never leaves a trainer half-loaded: every
// error wraps one of ErrNotCheckpoint, ErrVersion, ErrTruncated,
// ErrCorrupt (a checksum, a field out of range, data after the end) and
// ErrMismatch (element type, shapes, loss or optimiser type other than
// the trainer's), and the trainer is unchanged by a failed read.
func (t *Trainer[T]) WriteCheckpoint(w io.Writer) (int64, error) {
	if w == nil {
		return 0, errors.New("nn: WriteCheckpoint to a nil io.Writer")
	}
	if err := t.checkNet(); err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	pre := make([]byte, 12, 12+trainerHeaderLen+4)
	copy(pre, checkpointMagic[:])
	binary.LittleEndian.PutUint16(pre[8:], checkpointVersion)
	pre[10] = byte(sizeOf[T]())
	if _, err := cw.Write(pre); err != nil {
		return cw.n, err
	}
	if _, err := t.net.WriteTo(cw); err != nil {
		return cw.n, err
	}
	h := t.header()
	crc := crc32.Update(crc32.Checksum(pre, castagnoli), castagnoli, h)
	if _, err := cw.Write(binary.LittleEndian.AppendUint32(h, crc)); err != nil {
		return cw.n, err
	}
	sc := crc32.New(castagnoli)
	buf := make([]byte, 32<<10)
	for _, s := range [][][]T{t.opt.s1, t.opt.s2} {
		for _, v := range s {
			if err := writeFloats(cw, sc, buf, v); err != nil {
				return cw.n, err
			}
		}
	}
	_, err := cw.Write(binary.LittleEndian.AppendUint32(nil, sc.Sum32()))
	return cw.n, err
}

// header returns the trainer's 136 bytes.
func (t *Trainer[T]) header() []byte {
	h := make([]byte, trainerHeaderLen)
	c, p := &t.opt.cfg, &t.pos
	h[0], h[1] = byte(t.loss), byte(c.kind)
	if p.valid {
		h[2] |= flagRun
		if p.shuffle {
			h[2] |= flagShuffle
		}
	}
	le := binary.LittleEndian
	le.PutUint64(h[8:], uint64(t.opt.t))
	for i, v := range []float64{c.lr, c.mu, c.b1, c.b2, c.eps, c.wd, c.clip} {
		le.PutUint64(h[16+8*i:], math.Float64bits(v))
	}
	if p.valid {
		le.PutUint64(h[72:], uint64(p.epochs))
		le.PutUint64(h[80:], uint64(p.n))
		le.PutUint64(h[88:], uint64(p.bs))
		le.PutUint64(h[96:], p.seed)
		le.PutUint64(h[104:], math.Float64bits(p.best))
		le.PutUint64(h[112:], uint64(p.bad))
		if p.shuffle {
			// PCG's marshalled state: "pcg:", then hi and lo big-endian.
			be := binary.BigEndian
			le.PutUint64(h[120:], be.Uint64(p.rng[4:]))
			le.PutUint64(h[128:], be.Uint64(p.rng[12:]))
		}
	}
	return h
}

// ReadCheckpoint reads a checkpoint written by [Trainer.WriteCheckpoint]
// from r, consuming exactly its bytes, into t: the network's parameters
// (copied into its W and B slices), the optimiser's settings except the
// schedule (t keeps its own), its state, and Fit's run, which Fit with
// FitConfig.Resume continues. The checkpoint must match t's element
// type, layer shapes, loss and optimiser type (else an ErrMismatch
// error). Every error of the data wraps one of the errors listed with
// the format (the other errors are those of r, and that of a network
// whose W or B was replaced by a slice of another length); on an error
// t is unchanged.
func (t *Trainer[T]) ReadCheckpoint(r io.Reader) error {
	if r == nil {
		return errors.New("nn: ReadCheckpoint from a nil io.Reader")
	}
	commit, err := t.readCheckpoint(r)
	if err != nil {
		return err
	}
	commit()
	return nil
}

// readCheckpoint reads and checks a checkpoint and returns the function
// that loads it into t.
func (t *Trainer[T]) readCheckpoint(r io.Reader) (commit func(), err error) {
	rd := &reader{cr: countReader{r: r}}
	var pre [12]byte
	if err := rd.prefix(pre[:], &checkpointMagic, ErrNotCheckpoint, "the checkpoint header", "checkpoint", checkpointVersion); err != nil {
		return nil, err
	}
	size := int(pre[10])
	if size != 4 && size != 8 || pre[11] != 0 {
		return nil, fmt.Errorf("nn: %w: element type byte %d, reserved byte %d, want 4 or 8 and 0", ErrCorrupt, pre[10], pre[11])
	}
	if want := sizeOf[T](); size != want {
		return nil, fmt.Errorf("nn: %w: the checkpoint holds %s parameters, the trainer %s", ErrMismatch, dtypeName(size), dtypeName(want))
	}
	net, err := Read[T](&rd.cr)
	if err != nil {
		if errors.Is(err, ErrNotNetwork) {
			err = fmt.Errorf("%w (%w)", err, ErrCorrupt)
		}
		return nil, fmt.Errorf("%w, in the checkpoint's network (from byte 12)", err)
	}
	if err := t.matchNet(net); err != nil {
		return nil, err
	}
	var h [trainerHeaderLen + 4]byte
	if err := rd.full(h[:], "the trainer header", rd.cr.n+int64(len(h))); err != nil {
		return nil, err
	}
	crc := crc32.Update(crc32.Checksum(pre[:], castagnoli), castagnoli, h[:trainerHeaderLen])
	if want := binary.LittleEndian.Uint32(h[trainerHeaderLen:]); crc != want {
		return nil, fmt.Errorf("nn: %w: trainer header checksum %08x, the file says %08x", ErrCorrupt, crc, want)
	}
	cfg, steps, pos, err := t.parseHeader(h[:trainerHeaderLen])
	if err != nil {
		return nil, err
	}
	slots := 0
	switch cfg.kind {
	case optMomentum:
		slots = 1
	case optAdam:
		slots = 2
	}
	state := int64(slots) * int64(t.net.NumParams()) * int64(size)
	fileLen := rd.cr.n + state + 4
	rd.crc = crc32.New(castagnoli)
	var s [2][][]T
	for j := range slots {
		for i := range t.params {
			l := &t.net.layers[i/2]
			count, what := l.out, fmt.Sprintf("the biases' %s of layer %d", slotName(cfg.kind, j), i/2)
			if i%2 == 0 {
				count, what = l.in*l.out, fmt.Sprintf("the weights' %s of layer %d", slotName(cfg.kind, j), i/2)
			}
			v, err := readFloats[T](rd, count, what, fileLen)
			if err != nil {
				return nil, err
			}
			s[j] = append(s[j], v)
		}
	}
	if err := rd.checkSum("optimiser state", "the optimiser state's checksum", fileLen); err != nil {
		return nil, err
	}
	// Every check passed.
	return func() {
		t.commitCheckpoint(net, cfg, steps, pos, s[:slots])
	}, nil
}

func (t *Trainer[T]) commitCheckpoint(net *Network[T], cfg optConfig, steps int, pos fitPos, s [][][]T) {
	for i := range net.layers {
		copy(t.net.layers[i].W, net.layers[i].W)
		copy(t.net.layers[i].B, net.layers[i].B)
	}
	cfg.sched = t.opt.cfg.sched
	t.opt.cfg, t.opt.t = cfg, steps
	for j, dst := range [][][]T{t.opt.s1, t.opt.s2}[:len(s)] {
		for i := range dst {
			copy(dst[i], s[j][i])
		}
	}
	t.pos, t.norm = pos, 0
	t.setFused()
}

func slotName(k optKind, j int) string {
	switch {
	case k == optMomentum:
		return "velocity"
	case j == 0:
		return "first moment"
	}
	return "second moment"
}

// matchNet returns an ErrMismatch error unless net has t's layers, and
// an error if t's network no longer has them (checkNet).
func (t *Trainer[T]) matchNet(net *Network[T]) error {
	a, b := net.Specs(), t.net.Specs()
	if len(a) != len(b) {
		return fmt.Errorf("nn: %w: the checkpoint's network has %d layers %v, the trainer's %d %v", ErrMismatch, len(a), a, len(b), b)
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("nn: %w: layer %d is %v in the checkpoint, %v in the trainer", ErrMismatch, i, &net.layers[i], &t.net.layers[i])
		}
	}
	return t.checkNet()
}

// parseHeader decodes and checks the trainer's 136 bytes: a field out of
// its range is ErrCorrupt, a loss or optimiser other than t's is
// ErrMismatch. Fields that must be zero are checked too, so that an
// accepted checkpoint writes back to the same bytes.
func (t *Trainer[T]) parseHeader(h []byte) (cfg optConfig, steps int, pos fitPos, err error) {
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("nn: %w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
	}
	le := binary.LittleEndian
	loss, kind, flags := Loss(h[0]), optKind(h[1]), h[2]
	if !loss.valid() {
		return cfg, 0, pos, corrupt("unknown loss %d", h[0])
	}
	if kind < optSGD || kind > optAdam {
		return cfg, 0, pos, corrupt("unknown optimiser %d", h[1])
	}
	if flags&^(flagRun|flagShuffle) != 0 || flags == flagShuffle || !allZero(h[3:8]) {
		return cfg, 0, pos, corrupt("flags %#x and reserved bytes % x", flags, h[3:8])
	}
	if loss != t.loss {
		return cfg, 0, pos, fmt.Errorf("nn: %w: the checkpoint's loss is %v, the trainer's %v", ErrMismatch, loss, t.loss)
	}
	if kind != t.opt.cfg.kind {
		return cfg, 0, pos, fmt.Errorf("nn: %w: the checkpoint's optimiser is %v, the trainer's %v", ErrMismatch, kind, t.opt.cfg.kind)
	}
	st := le.Uint64(h[8:])
	if st > math.MaxInt/2 {
		return cfg, 0, pos, corrupt("%d steps", st)
	}
	f := func(i int) float64 { return math.Float64frombits(le.Uint64(h[16+8*i:])) }
	cfg = optConfig{kind: kind, lr: f(0), mu: f(1), b1: f(2), b2: f(3), eps: f(4), wd: f(5), clip: f(6)}
	if err := cfg.check(); err != nil {
		return cfg, 0, pos, fmt.Errorf("%w (%w)", err, ErrCorrupt)
	}
	if kind != optMomentum && cfg.mu != 0 || kind != optAdam && (cfg.b1 != 0 || cfg.b2 != 0 || cfg.eps != 0) {
		return cfg, 0, pos, corrupt("settings of another optimiser than %v", kind)
	}
	run := h[72:136]
	if flags&flagRun == 0 {
		if !allZero(run) {
			return cfg, 0, pos, corrupt("the fields of a Fit run in a checkpoint without one")
		}
		return cfg, int(st), pos, nil
	}
	u := func(o int) uint64 { return le.Uint64(h[o:]) }
	pos = fitPos{valid: true, shuffle: flags&flagShuffle != 0, seed: u(96), best: math.Float64frombits(u(104))}
	epochs, n, bs, bad := u(72), u(80), u(88), u(112)
	if n < 1 || n > math.MaxInt32 || bs < 1 || bs > n || epochs > math.MaxInt32 || bad > epochs {
		return cfg, 0, pos, corrupt("a Fit run of %d epochs on %d examples in batches of %d, %d epochs since the best", epochs, n, bs, bad)
	}
	pos.epochs, pos.n, pos.bs, pos.bad = int(epochs), int(n), int(bs), int(bad)
	if pos.shuffle {
		b := append([]byte("pcg:"), make([]byte, 16)...)
		binary.BigEndian.PutUint64(b[4:], u(120))
		binary.BigEndian.PutUint64(b[12:], u(128))
		if _, err := unmarshalRNG(b); err != nil {
			return cfg, 0, pos, corrupt("the shuffling state: %v", err)
		}
		pos.rng = b
	} else if !allZero(h[120:136]) {
		return cfg, 0, pos, corrupt("a shuffling state in a run without shuffling")
	}
	return cfg, int(st), pos, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// SaveCheckpoint writes the trainer's checkpoint to the file path,
// atomically: to a temporary file in the same directory, then renamed
// over path. An error names path.
func (t *Trainer[T]) SaveCheckpoint(path string) error {
	err := writeFile(path, func(w io.Writer) error {
		_, err := t.WriteCheckpoint(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("nn: saving the checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadCheckpoint reads the checkpoint file at path into t; see
// [Trainer.ReadCheckpoint]. Data after the checkpoint is an ErrCorrupt
// error. On an error t is unchanged.
func (t *Trainer[T]) LoadCheckpoint(path string) error {
	var commit func()
	err := readFile(path, func(r io.Reader) (err error) {
		commit, err = t.readCheckpoint(r)
		return err
	})
	if err != nil {
		return err
	}
	commit()
	return nil
}
