package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fusedrelu/kernels"
)

func checkpointBytes[T kernels.Float](t testing.TB, tr *Trainer[T]) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := tr.WriteCheckpoint(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteCheckpoint: %d, %v; %d bytes", n, err, b.Len())
	}
	return b.Bytes()
}

// resumeOpts are the optimisers of the resume tests, each with a
// schedule and some of the options.
func resumeOpts() []Optimizer {
	sched := Warmup(4, Cosine(20, 0.05))
	return []Optimizer{
		SGD{LR: 0.05, WeightDecay: 1e-3, Schedule: sched},
		SGD{LR: 0.05, ClipNorm: 0.5, Schedule: StepDecay(5, 0.7)},
		Momentum{LR: 0.02, WeightDecay: 1e-3, ClipNorm: 1, Schedule: sched},
		Adam{LR: 0.01, WeightDecay: 0.01, Schedule: sched},
	}
}

// TestResumeFit: Fit for 6 epochs straight, and Fit stopped by a
// checkpoint saved in OnEpoch after epoch 2, read into a new trainer
// (of a network initialised otherwise) and resumed for the remaining
// epochs, end with the same bits: weights, moments, step count and run.
func TestResumeFit(t *testing.T) {
	t.Run("f32", func(t *testing.T) { resumeFit[float32](t) })
	t.Run("f64", func(t *testing.T) { resumeFit[float64](t) })
}

func resumeFit[T kernels.Float](t *testing.T) {
	x, y, _ := spiralData[T](3, 30, 1) // 90 examples: batches of 16, the last of 10
	vx, vy, _ := spiralData[T](3, 10, 2)
	for _, opt := range resumeOpts() {
		cfg := FitConfig{Epochs: 6, BatchSize: 16, Seed: 9, Validation: NewDataset(vx, vy, 30), Patience: 10}
		straight := mustTrainer[T](t, 3, MLP(2, 16, 16, 3), SoftmaxCrossEntropy, opt)
		var saved []byte
		c := cfg
		c.OnEpoch = func(s EpochStats) error {
			if s.Epoch == 2 {
				saved = checkpointBytes(t, straight)
			}
			return nil
		}
		all, err := straight.Fit(x, y, 90, c)
		if err != nil || len(all) != 6 {
			t.Fatal(err, len(all))
		}
		resumed := mustTrainer[T](t, 99, MLP(2, 16, 16, 3), SoftmaxCrossEntropy, opt)
		if err := resumed.ReadCheckpoint(bytes.NewReader(saved)); err != nil {
			t.Fatal(err)
		}
		if resumed.Steps() != 12 {
			t.Errorf("%#v: the checkpoint after 2 epochs holds %d steps, want 12", opt, resumed.Steps())
		}
		c = cfg
		c.Resume = true
		rest, err := resumed.Fit(x, y, 90, c)
		if err != nil || len(rest) != 4 || rest[0].Epoch != 3 {
			t.Fatalf("resumed Fit: %v, %d epochs from %v", err, len(rest), rest)
		}
		if !bytes.Equal(checkpointBytes(t, straight), checkpointBytes(t, resumed)) || !sameNet(straight.Network(), resumed.Network()) {
			t.Errorf("%#v: resumed after 2 epochs of 6, the run differs from the straight one", opt)
		}
		for i, s := range rest {
			if s.Loss != all[i+2].Loss || s.ValLoss != all[i+2].ValLoss || s.Improved != all[i+2].Improved || s.LR != all[i+2].LR {
				t.Errorf("%#v: resumed epoch %d: %v, straight %v", opt, s.Epoch, s, all[i+2])
			}
		}
		// Resume with other data sizes or seeds is an error; Resume at
		// the end of the run does nothing; Resume with more epochs goes on.
		c.Seed = 10
		if _, err := resumed.Fit(x, y, 90, c); err == nil || !strings.Contains(err.Error(), "seed 9") {
			t.Errorf("Resume with another seed: %v", err)
		}
		c.Seed = 9
		if s, err := resumed.Fit(x, y, 90, c); err != nil || len(s) != 0 {
			t.Errorf("Resume of a finished run: %v, %d epochs", err, len(s))
		}
		c.Epochs = 7
		if s, err := resumed.Fit(x, y, 90, c); err != nil || len(s) != 1 || s[0].Epoch != 7 {
			t.Errorf("Resume for one more epoch: %v, %v", err, s)
		}
	}
}

// TestResumeSteps: N steps, a checkpoint written and read into a fresh
// trainer, M more steps equal N+M steps straight, bit for bit; and the
// checkpoint round-trips through SaveCheckpoint and LoadCheckpoint.
func TestResumeSteps(t *testing.T) {
	const N, M, m = 5, 7, 12
	var xs, ys [][]float32
	for s := range N + M {
		x, y := testData(uint64(s), m, 6, 4, SoftmaxCrossEntropy)
		xs, ys = append(xs, fromF64[float32](x)), append(ys, fromF64[float32](y))
	}
	for _, opt := range resumeOpts() {
		straight := mustTrainer[float32](t, 1, MLP(6, 10, 4), SoftmaxCrossEntropy, opt)
		first := mustTrainer[float32](t, 1, MLP(6, 10, 4), SoftmaxCrossEntropy, opt)
		for s := range N {
			straight.Step(xs[s], ys[s], m)
			first.Step(xs[s], ys[s], m)
		}
		path := filepath.Join(t.TempDir(), "ckpt")
		if err := first.SaveCheckpoint(path); err != nil {
			t.Fatal(err)
		}
		second := mustTrainer[float32](t, 2, MLP(6, 10, 4), SoftmaxCrossEntropy, opt)
		if err := second.LoadCheckpoint(path); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(checkpointBytes(t, first), checkpointBytes(t, second)) {
			t.Fatalf("%#v: the loaded trainer writes another checkpoint", opt)
		}
		for s := N; s < N+M; s++ {
			straight.Step(xs[s], ys[s], m)
			second.Step(xs[s], ys[s], m)
		}
		if !bytes.Equal(checkpointBytes(t, straight), checkpointBytes(t, second)) {
			t.Errorf("%#v: %d steps, save, load, %d steps differ from %d straight", opt, N, M, N+M)
		}
	}
}

// TestCheckpointSettings: a checkpoint carries the optimiser's settings
// (those changed by SetOptimizer too), not the schedule, which the
// reading trainer keeps.
func TestCheckpointSettings(t *testing.T) {
	sched := Cosine(100, 0)
	a := mustTrainer[float64](t, 1, MLP(3, 4, 2), MSE, Adam{LR: 0.01, Schedule: sched})
	if err := a.SetOptimizer(Adam{LR: 0.005, Beta1: 0.8, WeightDecay: 0.1, ClipNorm: 2}); err != nil {
		t.Fatal(err)
	}
	b := mustTrainer[float64](t, 1, MLP(3, 4, 2), MSE, Adam{Schedule: sched})
	if err := b.ReadCheckpoint(bytes.NewReader(checkpointBytes(t, a))); err != nil {
		t.Fatal(err)
	}
	got := b.Optimizer().(Adam)
	if got.LR != 0.005 || got.Beta1 != 0.8 || got.Beta2 != 0.999 || got.WeightDecay != 0.1 || got.ClipNorm != 2 || got.Schedule != sched {
		t.Errorf("settings after reading: %+v", got)
	}
}

// TestCheckpointErrors: damaged, foreign and mismatched checkpoints each
// give an error of the right kind, and leave the trainer unchanged.
func TestCheckpointErrors(t *testing.T) {
	x, y, _ := spiralData[float32](3, 10, 1)
	src := mustTrainer[float32](t, 1, MLP(2, 5, 3), SoftmaxCrossEntropy, Adam{})
	if _, err := src.Fit(x, y, 30, FitConfig{Epochs: 2, BatchSize: 8, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	good := checkpointBytes(t, src)
	netLen := len(marshal(t, src.Network()))
	th := 12 + netLen // the trainer header
	reheader := func(edit func(b []byte)) []byte {
		b := bytes.Clone(good)
		edit(b)
		crc := crc32.Update(crc32.Checksum(b[:12], castagnoli), castagnoli, b[th:th+trainerHeaderLen])
		binary.LittleEndian.PutUint32(b[th+trainerHeaderLen:], crc)
		return b
	}
	other := func(opt Optimizer, loss Loss, specs ...LayerSpec) []byte {
		o := mustTrainer[float32](t, 1, specs, loss, opt)
		return checkpointBytes(t, o)
	}
	f64, _ := NewTrainer(must(New[float64](1, MLP(2, 5, 3)...)), SoftmaxCrossEntropy, Adam{})
	for _, c := range []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "empty"},
		{"network file", marshal(t, src.Network()), ErrNotCheckpoint, "not a checkpoint"},
		{"text", []byte("checkpoint\n"), ErrNotCheckpoint, "starts with"},
		{"header cut", good[:10], ErrTruncated, "checkpoint header"},
		{"network cut", good[:40], ErrTruncated, "checkpoint's network"},
		{"trainer cut", good[:th+20], ErrTruncated, "trainer header"},
		{"state cut", good[:len(good)-30], ErrTruncated, "second moment of layer 1"},
		{"version 2", func() []byte { b := bytes.Clone(good); b[8] = 2; return b }(), ErrVersion, "version 2"},
		{"element byte", func() []byte { b := bytes.Clone(good); b[10] = 3; return b }(), ErrCorrupt, "element type"},
		{"network flip", func() []byte { b := bytes.Clone(good); b[12+30] ^= 1; return b }(), ErrCorrupt, "checksum"},
		{"network magic", func() []byte { b := bytes.Clone(good); b[12] ^= 1; return b }(), ErrCorrupt, "not a network"},
		{"trainer flip", func() []byte { b := bytes.Clone(good); b[th+20] ^= 1; return b }(), ErrCorrupt, "trainer header checksum"},
		{"reserved prefix", func() []byte { b := bytes.Clone(good); b[11] = 1; return b }(), ErrCorrupt, "reserved byte 1"},
		{"state flip", func() []byte { b := bytes.Clone(good); b[len(b)-9] ^= 0x40; return b }(), ErrCorrupt, "optimiser state checksum"},
		{"loss byte", reheader(func(b []byte) { b[th] = 7 }), ErrCorrupt, "unknown loss 7"},
		{"optimiser byte", reheader(func(b []byte) { b[th+1] = 0 }), ErrCorrupt, "unknown optimiser 0"},
		{"flags", reheader(func(b []byte) { b[th+2] |= 8 }), ErrCorrupt, "flags"},
		{"reserved", reheader(func(b []byte) { b[th+5] = 1 }), ErrCorrupt, "reserved"},
		{"negative LR", reheader(func(b []byte) { b[th+16+7] |= 0x80 }), ErrCorrupt, "learning rate"},
		{"momentum in Adam", reheader(func(b []byte) { b[th+24+7] = 0x3f }), ErrCorrupt, "another optimiser"},
		{"batch > n", reheader(func(b []byte) { binary.LittleEndian.PutUint64(b[th+88:], 31) }), ErrCorrupt, "batches of 31"},
		{"run without flag", reheader(func(b []byte) { b[th+2] = 0 }), ErrCorrupt, "without one"},
		{"steps", reheader(func(b []byte) { b[th+15] = 0xff }), ErrCorrupt, "steps"},
		{"MSE checkpoint", other(Adam{}, MSE, MLP(2, 5, 3)...), ErrMismatch, "loss is MSE"},
		{"Momentum checkpoint", other(Momentum{}, SoftmaxCrossEntropy, MLP(2, 5, 3)...), ErrMismatch, "optimiser is Momentum"},
		{"other shapes", other(Adam{}, SoftmaxCrossEntropy, MLP(2, 6, 3)...), ErrMismatch, "layer 0 is 2→6 ReLU"},
		{"other depth", other(Adam{}, SoftmaxCrossEntropy, MLP(2, 5, 5, 3)...), ErrMismatch, "3 layers"},
		{"float64 checkpoint", checkpointBytes(t, f64), ErrMismatch, "float64 parameters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := mustTrainer[float32](t, 2, MLP(2, 5, 3), SoftmaxCrossEntropy, Adam{LR: 0.002})
			tr.Step(x, y, 30)
			before := checkpointBytes(t, tr)
			err := tr.ReadCheckpoint(bytes.NewReader(c.data))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "nn: ") {
				t.Errorf("%v; want an error wrapping %q saying %q", err, c.want, c.msg)
			}
			if !bytes.Equal(before, checkpointBytes(t, tr)) {
				t.Error("a failed read changed the trainer")
			}
		})
	}
	tr := mustTrainer[float32](t, 2, MLP(2, 5, 3), SoftmaxCrossEntropy, Adam{})
	t.Run("every prefix", func(t *testing.T) {
		for k := range len(good) {
			if err := tr.ReadCheckpoint(bytes.NewReader(good[:k])); !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix of %d bytes: %v, want ErrTruncated", k, err)
			}
		}
	})
	t.Run("every bit", func(t *testing.T) {
		before := checkpointBytes(t, tr)
		for i := range len(good) * 8 {
			b := bytes.Clone(good)
			b[i/8] ^= 1 << (i % 8)
			err := tr.ReadCheckpoint(bytes.NewReader(b))
			if err == nil {
				t.Fatalf("bit %d flipped: no error", i)
			}
			if !knownError(err) {
				t.Fatalf("bit %d flipped: %v, an error of no known kind", i, err)
			}
		}
		if !bytes.Equal(before, checkpointBytes(t, tr)) {
			t.Error("failed reads changed the trainer")
		}
	})
	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "ckpt")
		os.WriteFile(path, append(bytes.Clone(good), 0), 0o644)
		before := checkpointBytes(t, tr)
		if err := tr.LoadCheckpoint(path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "follows") || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadCheckpoint with a trailing byte: %v", err)
		}
		if !bytes.Equal(before, checkpointBytes(t, tr)) {
			t.Error("LoadCheckpoint of a file with trailing data changed the trainer")
		}
		if err := tr.LoadCheckpoint(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("LoadCheckpoint of a missing file: %v", err)
		}
		missing := filepath.Join(dir, "no", "such", "ckpt")
		if err := tr.SaveCheckpoint(missing); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("SaveCheckpoint into a missing directory: %v", err)
		}
		if err := src.SaveCheckpoint(path); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("SaveCheckpoint left %d files, want 1", len(ents))
		}
		if err := tr.LoadCheckpoint(path); err != nil || !bytes.Equal(checkpointBytes(t, tr), good) {
			t.Errorf("LoadCheckpoint: %v", err)
		}
		// A checkpoint is not a network file.
		if _, err := Load[float32](path); !errors.Is(err, ErrNotNetwork) {
			t.Errorf("Load of a checkpoint: %v", err)
		}
	})
	t.Run("writer errors", func(t *testing.T) {
		for k := range len(good) {
			if n, err := src.WriteCheckpoint(&failWriter{k}); err == nil || n != int64(k) {
				t.Fatalf("writer failing after %d bytes: %d, %v", k, n, err)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func knownError(err error) bool {
	for _, e := range []error{ErrNotCheckpoint, ErrVersion, ErrTruncated, ErrCorrupt, ErrMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// FuzzCheckpoint feeds arbitrary data to ReadCheckpoint of trainers of
// each optimiser: it must never panic; a failed read must wrap a known
// error and leave the trainer unchanged; an accepted checkpoint must
// write back to the same bytes, and then train without panicking.
func FuzzCheckpoint(f *testing.F) {
	x, y, _ := spiralData[float32](3, 4, 1)
	specs := MLP(2, 3, 3)
	opts := []Optimizer{SGD{}, Momentum{}, Adam{}}
	for _, opt := range opts {
		tr := mustTrainer[float32](f, 1, specs, SoftmaxCrossEntropy, opt)
		f.Add(checkpointBytes(f, tr))
		tr.Fit(x, y, 12, FitConfig{Epochs: 2, BatchSize: 5, Seed: 3})
		b := checkpointBytes(f, tr)
		f.Add(b)
		for _, k := range []int{0, 5, 12, 40, len(b) / 2, len(b) - 1} {
			f.Add(b[:k])
		}
		tr.Fit(x, y, 12, FitConfig{Epochs: 1, NoShuffle: true})
		f.Add(checkpointBytes(f, tr))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range opts {
			tr := mustTrainer[float32](t, 2, specs, SoftmaxCrossEntropy, opt)
			before := checkpointBytes(t, tr)
			r := bytes.NewReader(data)
			if err := tr.ReadCheckpoint(r); err != nil {
				if !knownError(err) {
					t.Fatalf("error of no known kind: %v", err)
				}
				if !bytes.Equal(before, checkpointBytes(t, tr)) {
					t.Fatal("a failed read changed the trainer")
				}
				continue
			}
			if got := checkpointBytes(t, tr); !bytes.Equal(got, data[:len(data)-r.Len()]) {
				t.Fatal("an accepted checkpoint does not write back to its bytes")
			}
			tr.Fit(x, y, 12, FitConfig{Epochs: 1, Resume: true, BatchSize: 5, Seed: 3})
		}
	})
}
