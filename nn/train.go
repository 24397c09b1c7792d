package nn

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/fusedrelu/kernels"
)

// Trainer trains a network: it holds the loss, the optimiser's state and
// the buffers of a training step, sized for the largest batch seen, so
// that steps in steady state allocate nothing.
//
// A training step on a batch X of m examples is
//
//	forward:  for each layer, X_next = Act(X·W + B), keeping X_next and,
//	          for a ReLU layer, the step mask [Z ≥ 0] (not Z)
//	loss:     dR = ∂(batch loss)/∂ŷ of the last layer's output ŷ
//	backward: for each layer from the last,
//	          dZ = dR ⊙ [Z ≥ 0], dX = dZ·Wᵀ, dW = Xᵀ·dZ and dB = Σ dZ
//	          (over the batch), with dX the previous layer's dR
//	update:   the optimiser's rule, from dW and dB
//
// A ReLU layer's forward is one fused kernels.Forward writing R and the
// mask, its backward one kernels.Backward from the mask. A Linear layer's
// forward is kernels.GEMM onto the bias rows; its backward is
// kernels.Backward with a mask of all ones (dZ = dR: the select keeps
// every element), which computes dX, dW and dB in one call, summing dB as
// it packs dZ (faster than two GEMMs and a column sum).
//
// # Memory
//
// The forward pass keeps, per example, the output R of every layer (the
// next layer's X, or the network's output) and the 1-bit step mask of
// every ReLU layer: Σ Out·size(T) + Σ_ReLU ⌈Out/64⌉·8 bytes
// ([Trainer.ForwardBytesPerExample]). For 784-256-256-10 in float32 that
// is 1024+32 + 1024+32 + 40 = 2152 bytes. Keeping Z instead of the mask
// would be 1024+1024 + 1024+1024 + 40 = 4136 bytes (R is needed anyway,
// as the next layer's X; the mask is 1/32 of Z), and a backward pass
// driven by R alone cannot tell Z = 0 (Step = 1) from Z < 0 (Step = 0).
// The backward pass adds two ping-pong buffers of m × (widest layer)
// for dR and dX, and, for optimisers other than SGD (or SGD with
// ClipNorm), the gradients dW and dB; the optimiser's state is one
// (Momentum) or two (Adam) copies of the parameters.
type Trainer[T kernels.Float] struct {
	net   *Network[T]
	loss  Loss
	opt   *optState[T]
	fused bool // SGD: the update is fused into the backward pass

	cap    int            // rows the buffers hold
	layers []layerWork[T] // per layer
	d      [2][]T         // cap × widest Out: dR and dX, alternately
	ones   []uint64       // cap × onesStride all-ones mask words for Linear layers
	onesW  int            // words per row of ones
	xb, yb []T            // Fit's gathered batch

	params, grads [][]T // W, B of each layer, and their gradients, for optState
	hasGrads      bool
	norm          float64 // the gradient's global norm before clipping, at the last step that clipped

	pos   fitPos      // where Fit is in its run, for Resume and checkpoints
	specs []LayerSpec // the network's layers when the trainer was made

	fa kernels.ForwardArgs[T]
	ba kernels.BackwardArgs[T]

	half *halfState // mixed precision (SetBF16), nil when off
	fh   kernels.ForwardBF16Args
	bh   kernels.BackwardBF16Args
}

type layerWork[T kernels.Float] struct {
	r      []T      // cap × Out: the layer's output
	bits   []uint64 // cap × stride: the ReLU layer's step mask
	stride int      // words per mask row
	dW, dB []T      // gradients, when hasGrads
}

// NewTrainer returns a trainer of net with the given loss and optimiser
// ([SGD], [Momentum] or [Adam]). The trainer keeps a copy of the
// optimiser's settings: change them with [Trainer.SetOptimizer]. It
// returns an error for a network without layers or with a resized W or B,
// an unknown loss, or an invalid setting of the optimiser.
func NewTrainer[T kernels.Float](net *Network[T], loss Loss, opt Optimizer) (*Trainer[T], error) {
	if net == nil || len(net.layers) == 0 {
		return nil, errors.New("nn: NewTrainer of an empty network")
	}
	for i := range net.layers {
		if err := net.layers[i].check(i); err != nil {
			return nil, err
		}
	}
	if !loss.valid() {
		return nil, fmt.Errorf("nn: unknown loss %v", loss)
	}
	if opt == nil {
		return nil, errors.New("nn: NewTrainer with a nil optimizer")
	}
	cfg := opt.optimizer()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	t := &Trainer[T]{net: net, loss: loss, specs: net.Specs()}
	L := len(net.layers)
	t.layers = make([]layerWork[T], L)
	t.params, t.grads = make([][]T, 2*L), make([][]T, 2*L)
	sizes := make([]int, 2*L)
	for i := range net.layers {
		l := &net.layers[i]
		sizes[2*i], sizes[2*i+1] = l.in*l.out, l.out
		t.layers[i].stride = kernels.MaskWords(l.out)
		if l.act == Linear {
			t.onesW = max(t.onesW, kernels.MaskWords(l.out))
		}
	}
	t.opt = newOptState[T](cfg, sizes)
	t.setFused()
	return t, nil
}

// setFused chooses the fused SGD update when the settings allow it, and
// allocates the gradients otherwise.
func (t *Trainer[T]) setFused() {
	c := &t.opt.cfg
	t.fused = c.kind == optSGD && c.clip == 0
	if !t.fused && !t.hasGrads {
		t.allocGrads()
	}
}

// SetOptimizer replaces the trainer's optimiser settings (learning rate,
// decay rates, weight decay, clipping, schedule) from the next step on,
// keeping its state: the step count (and so the schedule's position) and
// the momenta or moments. The optimiser must be of the same type as the
// trainer's (SGD, Momentum or Adam): another type, or an invalid
// setting, is an error and changes nothing.
//
//	opt := tr.Optimizer().(nn.Adam)
//	opt.LR /= 10
//	err := tr.SetOptimizer(opt)
func (t *Trainer[T]) SetOptimizer(opt Optimizer) error {
	if opt == nil {
		return errors.New("nn: SetOptimizer(nil)")
	}
	cfg := opt.optimizer()
	if err := cfg.check(); err != nil {
		return err
	}
	if cfg.kind != t.opt.cfg.kind {
		return fmt.Errorf("nn: SetOptimizer(%T) on a trainer of %v: the type cannot change (make a new Trainer)", opt, t.opt.cfg.kind)
	}
	t.opt.cfg = cfg
	t.setFused()
	return nil
}

// Optimizer returns the trainer's optimiser settings, with the defaults
// filled in: an [SGD], [Momentum] or [Adam] value.
func (t *Trainer[T]) Optimizer() Optimizer { return t.opt.cfg.public() }

// Steps returns the number of steps the trainer has taken (the schedule's
// position): it counts across Fit and Step, and Reset sets it to 0.
func (t *Trainer[T]) Steps() int { return t.opt.t }

// LR returns the learning rate of the next step: the optimiser's LR times
// its schedule's factor at [Trainer.Steps]. It panics if the schedule
// gives an invalid factor.
func (t *Trainer[T]) LR() float64 {
	lr, err := t.rate()
	if err != nil {
		panic(err.Error())
	}
	return lr
}

// GradNorm returns the global norm of the gradient, before clipping, at
// the last step; it is computed only with ClipNorm set (0 otherwise).
func (t *Trainer[T]) GradNorm() float64 { return t.norm }

// rate returns the learning rate of the next step, or an error when the
// schedule's factor is invalid.
func (t *Trainer[T]) rate() (float64, error) {
	c := &t.opt.cfg
	if c.sched == nil {
		return c.lr, nil
	}
	f := c.sched.Factor(t.opt.t)
	if !finite(f) || f < 0 {
		return 0, fmt.Errorf("nn: the schedule's factor at step %d is %v, want a finite value ≥ 0", t.opt.t, f)
	}
	return c.lr * f, nil
}

// Network returns the network being trained.
func (t *Trainer[T]) Network() *Network[T] { return t.net }

// Reset forgets the optimiser's state (momenta, step count, and so the
// schedule's position) and the position of Fit's run.
func (t *Trainer[T]) Reset() {
	t.opt.reset()
	t.pos = fitPos{}
	t.norm = 0
}

func (t *Trainer[T]) allocGrads() {
	for i := range t.net.layers {
		l := &t.net.layers[i]
		t.layers[i].dW, t.layers[i].dB = make([]T, l.in*l.out), make([]T, l.out)
		t.grads[2*i], t.grads[2*i+1] = t.layers[i].dW, t.layers[i].dB
	}
	t.hasGrads = true
}

// ForwardBytesPerExample returns the memory the forward pass of a
// training step keeps per example for the backward pass: every layer's
// output and every ReLU layer's step mask (see the Memory section of
// [Trainer]).
func (t *Trainer[T]) ForwardBytesPerExample() int {
	var z T
	b := 0
	for i := range t.net.layers {
		l := &t.net.layers[i]
		size := int(unsafe.Sizeof(z))
		if t.half != nil && i < len(t.net.layers)-1 {
			size = 2 // bfloat16 (SetBF16); the last layer's output stays float32
		}
		b += l.out * size
		if l.act == ReLU {
			b += kernels.MaskWords(l.out) * 8
		}
	}
	return b
}

// ensure sizes the step buffers for batches of m rows.
func (t *Trainer[T]) ensure(m int) {
	if m <= t.cap {
		return
	}
	t.allocForward(m)
	t.allocBackward(m)
	t.cap = m
	if t.half != nil {
		t.ensureHalf(m)
	}
}

// allocForward allocates what the forward pass keeps for m rows.
func (t *Trainer[T]) allocForward(m int) {
	for i := range t.net.layers {
		l, w := &t.net.layers[i], &t.layers[i]
		w.r = make([]T, m*l.out)
		w.bits = nil
		if l.act == ReLU {
			w.bits = make([]uint64, m*w.stride)
		}
	}
}

func (t *Trainer[T]) allocBackward(m int) {
	wide := 0
	for i := range t.net.layers {
		wide = max(wide, t.net.layers[i].out)
	}
	t.d[0], t.d[1] = make([]T, m*wide), make([]T, m*wide)
	t.ones = nil
	if t.onesW > 0 {
		t.ones = make([]uint64, m*t.onesW)
		for i := range t.ones {
			t.ones[i] = ^uint64(0)
		}
	}
}

// checkBatch panics unless x and y hold m rows and share no memory with
// the network's parameters. The lengths are compared by division, so
// that no product can wrap.
func (t *Trainer[T]) checkBatch(x, y []T, m int) {
	if m < 1 {
		panic(fmt.Sprintf("nn: a batch of %d rows, want ≥ 1", m))
	}
	in, out := t.net.In(), t.net.Out()
	if len(x)/in < m || len(y)/out < m {
		panic(fmt.Sprintf("nn: a batch of %d rows: len(x) = %d, len(y) = %d, want ≥ %d×%d and %d×%d", m, len(x), len(y), m, in, m, out))
	}
	if err := t.checkNet(); err != nil {
		panic(err.Error())
	}
	if err := t.checkAliases("x", x[:m*in], "y", y[:m*out]); err != nil {
		panic(err.Error())
	}
}

// checkNet returns an error unless the network has the layers the
// trainer was made for (UnmarshalBinary replaces them), each with its W
// and B of their lengths.
func (t *Trainer[T]) checkNet() error {
	if len(t.net.layers) != len(t.specs) {
		return fmt.Errorf("nn: the network has %d layers, the trainer was made for %d %v (make a new Trainer)", len(t.net.layers), len(t.specs), t.specs)
	}
	for i := range t.net.layers {
		if l := &t.net.layers[i]; l.Spec() != t.specs[i] {
			return fmt.Errorf("nn: layer %d is %v, the trainer was made for %v (make a new Trainer)", i, l, &Layer[T]{in: t.specs[i].In, out: t.specs[i].Out, act: t.specs[i].Act})
		}
	}
	return t.net.checkLayers()
}

// checkAliases returns an error if x or y shares memory with what a
// training step writes: a W or B of the network (the fused SGD update
// writes W while the backward pass still reads x), or a buffer of the
// trainer that a caller can hold (the layers' outputs, of which
// [Trainer.Output] is the last, and the gradients of [Trainer.Grad]: the
// forward pass overwrites Output before the backward pass reads x).
// xname and yname name x and y in the error.
func (t *Trainer[T]) checkAliases(xname string, x []T, yname string, y []T) error {
	for _, d := range [...]struct {
		name string
		v    []T
	}{{xname, x}, {yname, y}} {
		for i := range t.net.layers {
			l, w := &t.net.layers[i], &t.layers[i]
			switch {
			case overlap(d.v, l.W) || overlap(d.v, l.B):
				return fmt.Errorf("nn: %s shares memory with the parameters of layer %d, which training writes", d.name, i)
			case overlap(d.v, w.r):
				what := fmt.Sprintf("the output buffer of layer %d", i)
				if i == len(t.layers)-1 {
					what = "the trainer's Output"
				}
				return fmt.Errorf("nn: %s shares memory with %s, which training writes", d.name, what)
			case overlap(d.v, w.dW) || overlap(d.v, w.dB):
				return fmt.Errorf("nn: %s shares memory with the trainer's gradients of layer %d (Grad), which training writes", d.name, i)
			}
		}
	}
	return nil
}

// Step trains on one batch: the m examples in the rows of x (m×In,
// tight) with targets in the rows of y (m×Out, tight), at the learning
// rate [Trainer.LR]. It returns the batch's mean loss, computed before
// the update. When that loss is not finite (NaN or ±Inf: diverged
// training, or a NaN or Inf in the data) Step returns it and updates
// nothing, so that the network keeps its last finite weights.
//
// x and y are only read, and may share memory with each other. They must
// not share memory with what the step writes: the network's W and B, and
// the trainer's buffers returned by [Trainer.Output] and [Trainer.Grad]
// (the forward pass overwrites Output before the backward pass reads x).
// Step panics on that, as on short slices, before it writes anything.
//
// Step does not look for NaN and Inf in x and y: [Trainer.Fit] does,
// and [CheckFinite] does it for a loop of Steps (one pass over the data,
// a few percent of a step's time).
func (t *Trainer[T]) Step(x, y []T, m int) float64 {
	t.checkBatch(x, y, m)
	lr, err := t.rate()
	if err != nil {
		panic(err.Error())
	}
	return t.step(x, y, m, lr)
}

// step is Step after its checks, at the learning rate lr.
func (t *Trainer[T]) step(x, y []T, m int, lr float64) float64 {
	t.ensure(m)
	t.forward(x, m)
	c := &t.opt.cfg
	if t.fused {
		loss := t.lossGrad(y, m, -lr)
		if !finite(loss) {
			return loss
		}
		t.backward(x, m, true, lr*c.wd)
		t.opt.t++
		return loss
	}
	loss := t.lossGrad(y, m, 1)
	if !finite(loss) {
		return loss
	}
	t.backward(x, m, false, 0)
	for i := range t.net.layers {
		t.params[2*i], t.params[2*i+1] = t.net.layers[i].params()
	}
	if c.clip > 0 {
		t.norm = clipNorm(t.grads, c.clip)
	}
	t.opt.step(t.params, t.grads, lr)
	return loss
}

// Gradients computes the gradient of the mean loss of a batch (as
// [Trainer.Step] does, without updating anything) and returns the loss.
// [Trainer.Grad] returns the gradients. Its arguments and panics are
// Step's.
func (t *Trainer[T]) Gradients(x, y []T, m int) float64 {
	t.checkBatch(x, y, m)
	t.ensure(m)
	if !t.hasGrads {
		t.allocGrads()
	}
	t.forward(x, m)
	loss := t.lossGrad(y, m, 1)
	t.backward(x, m, false, 0)
	return loss
}

// Grad returns the gradients of layer i's W and B computed by the last
// call of [Trainer.Gradients] (or of Step, for optimisers other than
// SGD, or SGD with ClipNorm: then as clipped). They are the trainer's
// buffers: the next step overwrites them, and they must not be given to
// Step, Gradients or Fit as data. It panics unless 0 ≤ i < NumLayers.
func (t *Trainer[T]) Grad(i int) (dW, dB []T) {
	if i < 0 || i >= len(t.layers) {
		panic(fmt.Sprintf("nn: Grad(%d) of a network of %d layers", i, len(t.layers)))
	}
	if !t.hasGrads {
		t.allocGrads()
	}
	return t.layers[i].dW, t.layers[i].dB
}

// Output returns the network's output for the last batch of m rows that
// Step or Gradients saw (m×Out). It is the trainer's buffer: the next
// step overwrites it, and it must not be given to Step, Gradients or Fit
// as data (they panic or return an error). It panics unless 0 ≤ m ≤ the
// largest batch the trainer has run.
func (t *Trainer[T]) Output(m int) []T {
	if m < 0 || m > t.cap {
		panic(fmt.Sprintf("nn: Output(%d), want 0 ≤ m ≤ %d (the largest batch run)", m, t.cap))
	}
	return t.layers[len(t.layers)-1].r[:m*t.net.Out()]
}

// lossGrad returns the mean loss of the last forward pass and writes
// scale times its gradient into d[0].
func (t *Trainer[T]) lossGrad(y []T, m int, scale float64) float64 {
	n := t.net.Out()
	return lossGrad(t.loss, t.Output(m), y[:m*n], t.d[0][:m*n], m, n, scale) / float64(m)
}

func (t *Trainer[T]) mask(i, m int) kernels.Mask {
	l, w := &t.net.layers[i], &t.layers[i]
	if l.act == ReLU {
		return kernels.Mask{Rows: m, Cols: l.out, Stride: w.stride, Bits: w.bits[:m*w.stride]}
	}
	return kernels.Mask{Rows: m, Cols: l.out, Stride: t.onesW, Bits: t.ones[:m*t.onesW]}
}

func (t *Trainer[T]) forward(x []T, m int) {
	if t.half != nil {
		t.forwardHalf(x, m)
		return
	}
	cur := x[:m*t.net.In()]
	for i := range t.net.layers {
		l := &t.net.layers[i]
		dst := t.layers[i].r[:m*l.out]
		var mask kernels.Mask
		if l.act == ReLU {
			mask = t.mask(i, m)
		}
		forwardLayer(&t.fa, l, m, cur, dst, mask)
		cur = dst
	}
}

// backward runs the backward pass from dR of the output in d[0]. Unfused,
// it writes each layer's dW and dB. Fused (SGD, with dR already scaled by
// −lr), it accumulates them into W and B: a first Backward computes dX
// from the old W, a second adds Xᵀ·dZ into W and Σ dZ into B (the two
// calls cannot be one: the kernels reject an output DW that is also the
// input W, and Accumulate would add into DX too). Between the two, the
// fused step multiplies W by 1 − decay (SGD's L2 weight decay, decay =
// lr·WeightDecay), so that W ends as W − lr·(g + WeightDecay·W).
func (t *Trainer[T]) backward(x []T, m int, fused bool, decay float64) {
	if t.half != nil {
		t.backwardHalf(m, fused, decay)
		return
	}
	g := 0 // index of the buffer holding dR
	for i := len(t.net.layers) - 1; i >= 0; i-- {
		l := &t.net.layers[i]
		var in []T
		if i == 0 {
			in = x[:m*l.in]
		} else {
			in = t.layers[i-1].r[:m*l.in]
		}
		dr := t.d[g][:m*l.out]
		var dx []T
		if i > 0 {
			dx = t.d[1-g][:m*l.in]
		}
		mask := t.mask(i, m)
		ba := &t.ba
		if fused {
			if dx != nil {
				*ba = kernels.BackwardArgs[T]{M: m, K: l.in, N: l.out, W: l.W, DR: dr, Mask: mask, DX: dx}
				kernels.Backward(ba)
			}
			l.decayW(decay)
			*ba = kernels.BackwardArgs[T]{M: m, K: l.in, N: l.out, X: in, DR: dr, Mask: mask, DW: l.W, DB: l.B, Accumulate: true}
			kernels.Backward(ba)
		} else {
			w := &t.layers[i]
			*ba = kernels.BackwardArgs[T]{M: m, K: l.in, N: l.out, X: in, W: l.W, DR: dr, Mask: mask, DX: dx, DW: w.dW, DB: w.dB}
			kernels.Backward(ba)
		}
		*ba = kernels.BackwardArgs[T]{}
		g = 1 - g
	}
}

// decayW multiplies W by 1 − decay (the fused SGD step's L2 weight
// decay; nothing for decay = 0).
func (l *Layer[T]) decayW(decay float64) {
	if decay == 0 {
		return
	}
	s := T(1 - decay)
	for j := range l.W {
		l.W[j] *= s
	}
}

// Evaluate returns the mean loss of the network's outputs on the m ≥ 1
// examples in the rows of x (m×In, tight) against the targets in the rows
// of y (m×Out, tight), and the fraction of examples whose largest output
// is where the target has its largest (a classifier's accuracy). It only
// reads x and y, which may share memory, and allocates nothing in steady
// state. It panics when m < 1, a slice is too short, the loss is unknown,
// or a layer's W or B was replaced by a slice of another length.
func (n *Network[T]) Evaluate(x, y []T, m int, loss Loss) (meanLoss, accuracy float64) {
	if !loss.valid() {
		panic(fmt.Sprintf("nn: Evaluate with unknown loss %v", loss))
	}
	if m < 1 {
		panic(fmt.Sprintf("nn: Evaluate of m = %d examples, want m ≥ 1", m))
	}
	n.checkInput("Evaluate", x, m)
	out := n.Out()
	if !fits(len(y), m, out) {
		panic(fmt.Sprintf("nn: Evaluate of %d rows: len(y) = %d, want ≥ m·Out = %d·%d", m, len(y), m, out))
	}
	total, hits := 0.0, 0
	n.forwardChunks(nil, x, m, func(r0, rows int, o []T) {
		yy := y[r0*out : (r0+rows)*out]
		total += lossGrad[T](loss, o, yy, nil, rows, out, 1)
		hits += matches(o, yy, rows, out)
	})
	return total / float64(m), float64(hits) / float64(m)
}
