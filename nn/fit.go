package nn

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/fusedrelu/kernels"
)

// ErrStop, returned by a [FitConfig.OnEpoch] callback, ends training
// after that epoch; Fit then returns a nil error.
var ErrStop = errors.New("nn: stop training")

// ErrDiverged is wrapped by the error Fit returns when a batch's loss is
// not finite: test it with errors.Is, and read where with errors.As
// into a *[DivergedError].
var ErrDiverged = errors.New("training diverged")

// DivergedError says where training diverged: the epoch (from 1), the
// batch in it (from 1, of Batches), the trainer's step count and the
// loss. The update of that batch was not applied (see [Trainer.Step]).
type DivergedError struct {
	Epoch, Batch, Batches, Step int
	Loss                        float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("nn: %v: the loss is %v at epoch %d, batch %d of %d (step %d); the network holds the weights before that batch",
		ErrDiverged, e.Loss, e.Epoch, e.Batch, e.Batches, e.Step)
}

// Is reports whether target is ErrDiverged.
func (e *DivergedError) Is(target error) bool { return target == ErrDiverged }

// Dataset is a set of examples with their targets, of one element type,
// for [FitConfig.Validation]. Make one with [NewDataset].
type Dataset interface {
	// Len returns the number of examples.
	Len() int
}

type dataset[T kernels.Float] struct {
	x, y []T
	n    int
}

func (d *dataset[T]) Len() int { return d.n }

// NewDataset returns the n examples in the rows of x with the targets in
// the rows of y (tight, as [Trainer.Fit] takes them). Fit checks the
// shapes and the values.
func NewDataset[T kernels.Float](x, y []T, n int) Dataset { return &dataset[T]{x, y, n} }

// FitConfig configures [Trainer.Fit]. Invalid values are returned as
// errors by Fit before it trains.
type FitConfig struct {
	Epochs    int    // passes over the data, ≥ 1 (with Resume: the total, epochs already run included)
	BatchSize int    // examples a step; 0 means 32. The last batch of an epoch may be smaller.
	NoShuffle bool   // keep the data's order (by default each epoch visits the examples in a new random order)
	Seed      uint64 // seeds the shuffling: the same seed, network and data give the same run

	// Validation, when not nil, is evaluated after every epoch, its loss
	// and accuracy reported in EpochStats. Its element type must be the
	// trainer's.
	Validation Dataset

	// Patience, when > 0, stops training early (Fit returns a nil error)
	// once the validation loss has not improved on its best for Patience
	// epochs in a row. It needs Validation. The network keeps the last
	// epoch's weights: to keep the best, save a checkpoint or a copy in
	// OnEpoch when EpochStats.Improved.
	Patience int

	// Resume continues the run whose position the trainer holds (from an
	// earlier Fit, or a checkpoint read by [Trainer.ReadCheckpoint]): its
	// shuffling generator, epochs done and early-stopping state, so that
	// Fit for E epochs, a checkpoint saved at epoch k, and Fit with Resume
	// for E epochs from that checkpoint give the same bits as the first
	// Fit alone. The data size, BatchSize, Seed and NoShuffle must be the
	// run's (an error otherwise). A trainer without a run starts one; a
	// run that has done Epochs epochs returns at once, with no stats.
	Resume bool

	// Progress, when not nil, receives the progress of training: on a
	// terminal a live line redrawn in place at most 4 times a second
	// (epoch, batch k/n, loss so far, examples/s, elapsed time and ETA of
	// the epoch), and a line per epoch (EpochStats.String). ProgressStyle
	// chooses; nil is silent.
	Progress      io.Writer
	ProgressStyle ProgressStyle

	// OnEpoch, when not nil, is called after every epoch. Returning
	// ErrStop ends training; another error ends it and Fit returns it.
	OnEpoch func(EpochStats) error
}

// EpochStats describes one epoch of [Trainer.Fit].
type EpochStats struct {
	Epoch, Epochs int // 1 … Epochs
	// Loss is the mean over the epoch's examples of their loss, each
	// computed in its batch's step, before that batch's update.
	Loss float64
	// Accuracy, for SoftmaxCrossEntropy, is the fraction of the epoch's
	// examples whose largest output was at the target's largest, measured
	// as Loss is; NaN for other losses.
	Accuracy float64
	// ValLoss and ValAccuracy are the loss and accuracy (as Accuracy) of
	// the network on FitConfig.Validation at the end of the epoch; NaN
	// without a validation set. Improved says that ValLoss is the lowest
	// of the run so far.
	ValLoss, ValAccuracy float64
	Improved             bool
	LR                   float64 // the learning rate of the epoch's last step
	Examples             int
	Elapsed              time.Duration // the epoch's training and validation
	ExamplesPerSec       float64       // training examples a second, validation excluded
}

func (s EpochStats) String() string {
	b := fmt.Appendf(nil, "epoch %*d/%d  loss %.6f", len(fmt.Sprint(s.Epochs)), s.Epoch, s.Epochs, s.Loss)
	if !math.IsNaN(s.Accuracy) {
		b = fmt.Appendf(b, "  accuracy %6.2f%%", 100*s.Accuracy)
	}
	if !math.IsNaN(s.ValLoss) {
		b = fmt.Appendf(b, "  val loss %.6f", s.ValLoss)
	}
	if !math.IsNaN(s.ValAccuracy) {
		b = fmt.Appendf(b, "  val accuracy %6.2f%%", 100*s.ValAccuracy)
	}
	b = fmt.Appendf(b, "  %v  %.0f examples/s", roundDuration(s.Elapsed), s.ExamplesPerSec)
	return string(b)
}

// fitPos is the position of Fit's run: what Resume continues and a
// checkpoint saves.
type fitPos struct {
	valid   bool
	epochs  int    // epochs completed
	n, bs   int    // examples and batch size of the run
	seed    uint64 // FitConfig.Seed
	shuffle bool
	rng     []byte  // the shuffling generator's state after `epochs` epochs (shuffle only)
	best    float64 // the lowest validation loss so far (+Inf before any)
	bad     int     // epochs since it was reached
}

func (p *fitPos) matches(n, bs int, seed uint64, shuffle bool) bool {
	return p.n == n && p.bs == bs && p.seed == seed && p.shuffle == shuffle
}

// Fit trains on the n examples in the rows of x (n×In, tight) with
// targets in the rows of y (n×Out, tight), in minibatches, for
// cfg.Epochs epochs. It returns the statistics of the epochs it ran and
// the error that stopped it, if any:
//
//   - an invalid configuration or shape, before anything else;
//   - a NaN or ±Inf in x, y or the validation set, before any step: a
//     *[NonFiniteError] naming the data, row and column (errors.Is
//     [ErrNonFinite]);
//   - a batch whose loss is not finite, which stops training before its
//     update: a *[DivergedError] naming the epoch and batch (errors.Is
//     [ErrDiverged]);
//   - an error returned by OnEpoch other than ErrStop.
//
// Early stopping (Patience) and ErrStop end training with a nil error.
//
// x, y and the validation set are only read, and may share memory with
// each other; sharing memory with what training writes (the network's W
// and B, the buffers of [Trainer.Output] and [Trainer.Grad]) is an error.
// Apart from the statistics, the shuffling permutation, the gathered
// batch buffers, the validation's buffer (all allocated once a Fit or
// an epoch) and the progress lines, it allocates nothing per step.
func (t *Trainer[T]) Fit(x, y []T, n int, cfg FitConfig) ([]EpochStats, error) {
	in, out := t.net.In(), t.net.Out()
	switch {
	case cfg.Epochs < 1:
		return nil, fmt.Errorf("nn: Fit with Epochs = %d, want ≥ 1", cfg.Epochs)
	case cfg.BatchSize < 0:
		return nil, fmt.Errorf("nn: Fit with BatchSize = %d, want ≥ 1 (or 0 for 32)", cfg.BatchSize)
	case n < 1 || n > math.MaxInt32:
		return nil, fmt.Errorf("nn: Fit on %d examples, want 1 … 2³¹−1", n)
	case len(x)/in < n || len(y)/out < n:
		return nil, fmt.Errorf("nn: Fit on %d examples: len(x) = %d, len(y) = %d, want ≥ %d (%d×%d) and %d (%d×%d)",
			n, len(x), len(y), n*in, n, in, n*out, n, out)
	case cfg.Patience < 0:
		return nil, fmt.Errorf("nn: Fit with Patience = %d, want ≥ 0", cfg.Patience)
	case cfg.Patience > 0 && cfg.Validation == nil:
		return nil, fmt.Errorf("nn: Fit with Patience = %d and no Validation set", cfg.Patience)
	case cfg.ProgressStyle > ProgressLines:
		return nil, fmt.Errorf("nn: Fit with ProgressStyle = %d, want ProgressAuto, ProgressLive or ProgressLines", cfg.ProgressStyle)
	}
	if err := t.checkNet(); err != nil {
		return nil, err
	}
	var val *dataset[T]
	if cfg.Validation != nil {
		d, ok := cfg.Validation.(*dataset[T])
		if !ok {
			return nil, fmt.Errorf("nn: Fit with a Validation set of another element type (%T) than the trainer's", cfg.Validation)
		}
		if d.n < 1 || len(d.x)/in < d.n || len(d.y)/out < d.n {
			return nil, fmt.Errorf("nn: Fit with a Validation set of %d examples: len(x) = %d, len(y) = %d, want n ≥ 1 and ≥ %d×%d and %d×%d",
				d.n, len(d.x), len(d.y), d.n, in, d.n, out)
		}
		val = d
	}
	if err := t.checkAliases("x", x[:n*in], "y", y[:n*out]); err != nil {
		return nil, err
	}
	if val != nil {
		if err := t.checkAliases("the validation x", val.x[:val.n*in], "the validation y", val.y[:val.n*out]); err != nil {
			return nil, err
		}
	}
	if err := checkFinite("x", x[:n*in], in); err != nil {
		return nil, err
	}
	if err := checkFinite("y", y[:n*out], out); err != nil {
		return nil, err
	}
	if val != nil {
		if err := checkFinite("validation x", val.x[:val.n*in], in); err != nil {
			return nil, err
		}
		if err := checkFinite("validation y", val.y[:val.n*out], out); err != nil {
			return nil, err
		}
	}
	bs := cfg.BatchSize
	if bs == 0 {
		bs = 32
	}
	bs = min(bs, n)
	shuffle := !cfg.NoShuffle
	var gen *rng
	switch {
	case cfg.Resume && t.pos.valid:
		if !t.pos.matches(n, bs, cfg.Seed, shuffle) {
			p := &t.pos
			return nil, fmt.Errorf("nn: Fit with Resume: the trainer's run is on %d examples in batches of %d (seed %d, shuffled %v), this one on %d in batches of %d (seed %d, shuffled %v)",
				p.n, p.bs, p.seed, p.shuffle, n, bs, cfg.Seed, shuffle)
		}
		if shuffle {
			var err error
			if gen, err = unmarshalRNG(t.pos.rng); err != nil {
				return nil, fmt.Errorf("nn: Fit with Resume: the shuffling state: %w", err)
			}
		}
	default:
		t.pos = fitPos{valid: true, n: n, bs: bs, seed: cfg.Seed, shuffle: shuffle, best: math.Inf(1)}
		if shuffle {
			gen = newRNG(cfg.Seed)
			t.pos.rng = marshalRNG(gen)
		}
	}
	if t.pos.epochs >= cfg.Epochs {
		return nil, nil
	}
	t.ensure(bs)
	var perm []int32
	if shuffle {
		perm = make([]int32, n)
		if len(t.xb) < bs*in || len(t.yb) < bs*out {
			t.xb, t.yb = make([]T, bs*in), make([]T, bs*out)
		}
	}
	batches := (n + bs - 1) / bs
	pr := newProgress(cfg.Progress, cfg.ProgressStyle)
	var stats []EpochStats
	for e := t.pos.epochs + 1; e <= cfg.Epochs; e++ {
		start := time.Now()
		pr.startEpoch(e, cfg.Epochs, batches, n, start)
		if perm != nil {
			// From the identity each epoch, so that an epoch's order
			// depends on the generator's state alone (what a checkpoint
			// holds).
			for i := range perm {
				perm[i] = int32(i)
			}
			gen.shuffle(perm)
		}
		total, hits := 0.0, 0
		var lr float64
		for k, b0 := 0, 0; b0 < n; k, b0 = k+1, b0+bs {
			m := min(bs, n-b0)
			var xb, yb []T
			if perm == nil {
				xb, yb = x[b0*in:(b0+m)*in], y[b0*out:(b0+m)*out]
			} else {
				for r, p := range perm[b0 : b0+m] {
					copy(t.xb[r*in:(r+1)*in], x[int(p)*in:])
					copy(t.yb[r*out:(r+1)*out], y[int(p)*out:])
				}
				xb, yb = t.xb[:m*in], t.yb[:m*out]
			}
			var err error
			if lr, err = t.rate(); err != nil {
				return stats, fmt.Errorf("%w (epoch %d, batch %d of %d)", err, e, k+1, batches)
			}
			loss := t.step(xb, yb, m, lr)
			if !finite(loss) {
				pr.abort()
				return stats, &DivergedError{Epoch: e, Batch: k + 1, Batches: batches, Step: t.opt.t, Loss: loss}
			}
			total += loss * float64(m)
			if t.loss == SoftmaxCrossEntropy {
				hits += matches(t.Output(m), yb, m, out)
			}
			pr.batch(k+1, b0+m, total)
		}
		trained := time.Since(start)
		s := EpochStats{Epoch: e, Epochs: cfg.Epochs, Loss: total / float64(n), Accuracy: math.NaN(),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(), LR: lr,
			Examples: n, ExamplesPerSec: float64(n) / max(trained.Seconds(), 1e-9)}
		if t.loss == SoftmaxCrossEntropy {
			s.Accuracy = float64(hits) / float64(n)
		}
		if val != nil {
			s.ValLoss, s.ValAccuracy = t.net.Evaluate(val.x, val.y, val.n, t.loss)
			if t.loss != SoftmaxCrossEntropy {
				s.ValAccuracy = math.NaN()
			}
			if s.ValLoss < t.pos.best {
				t.pos.best, t.pos.bad, s.Improved = s.ValLoss, 0, true
			} else {
				t.pos.bad++
			}
		}
		s.Elapsed = time.Since(start)
		t.pos.epochs = e
		if gen != nil {
			t.pos.rng = marshalRNG(gen)
		}
		stats = append(stats, s)
		pr.endEpoch(s)
		if cfg.OnEpoch != nil {
			if err := cfg.OnEpoch(s); err != nil {
				if errors.Is(err, ErrStop) {
					return stats, nil
				}
				return stats, err
			}
		}
		if cfg.Patience > 0 && t.pos.bad >= cfg.Patience {
			pr.note(fmt.Sprintf("early stop: the validation loss has not improved on %.6f for %d epochs", t.pos.best, t.pos.bad))
			return stats, nil
		}
	}
	return stats, nil
}
