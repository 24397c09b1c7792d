package nn

import (
	"errors"
	"unsafe"

	"github.com/fusedrelu/kernels"
)

// halfState is a trainer's mixed-precision state (Trainer.SetBF16): the
// bfloat16 copies of the weights, packed, and the bfloat16 activations
// and gradients a step passes between layers.
type halfState struct {
	pw  []*kernels.PackedW[float32] // per layer: W rounded and packed (PackBF16Of; the first's for the forward pass only, and not on the dot tile)
	x   []kernels.BF16              // cap × In: the batch
	r   [][]kernels.BF16            // per layer but the last: cap × Out, the next layer's input
	d   [2][]kernels.BF16           // cap × widest Out: dR and dX, alternately
	cap int
	// w32: the layers run on the dot tile (kernels.Path().BF16Dot), and
	// the first layer's forward pass reads its float32 W (W32).
	w32 bool
}

// SetBF16 turns mixed-precision training on or off for the following
// steps (Step, Gradients, Fit) of a float32 trainer; it is an error for a
// float64 one.
//
// On, a step keeps the network's float32 weights as the master copy and
// computes in bfloat16 with float32 accumulation: it rounds each W to
// bfloat16 as it packs it (kernels.PackedW.PackBF16Of; the first layer's,
// whose dX is never wanted, the forward pass rounds as it reads it:
// kernels.ForwardBF16Args.W32), rounds the batch,
// runs each layer's kernels.ForwardBF16 keeping its output in bfloat16
// (the next layer's input, and its X in the backward pass) and its step
// mask, takes the loss and its gradient in float32 from the last layer's
// float32 output, and runs kernels.BackwardBF16 with dR and dX in
// bfloat16 and dW and dB in float32; the optimiser (its state float32)
// then updates the float32 weights (plain SGD adds its step into them in
// the backward pass, as in float32, with dR scaled by −lr before it is
// rounded). bfloat16 keeps float32's exponent range, so no loss scaling
// is needed.
//
// Where the path has the dot tile (kernels.Path().BF16Dot: AVX512_BF16
// on AMD Zen 4 and Zen 5) the layers multiply pairs of bfloat16 with
// VDPBF16PS, two products an instruction, with its own rounding (see
// kernels.ForwardBF16): a step takes about 0.6 of a float32 step's time
// (TUNING.md). Elsewhere (no AVX512_BF16, or an Intel server core, whose
// VDPBF16PS issues at half its float32 FMA's rate) they widen their operands
// to float32 as they pack them: the results are those of float32
// training on the rounded values, and a step costs more than a float32
// step (the roundings, and packing each W every step where float32 reads
// it in place: TUNING.md). Evaluate, Predict and the saved network stay float32;
// NewBF16Network gives the network's bfloat16 copy for inference, which
// computes what these steps compute forward.
//
//	tr, _ := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{LR: 1e-3})
//	if err := tr.SetBF16(true); err != nil { … }
func (t *Trainer[T]) SetBF16(on bool) error {
	var z T
	if on && unsafe.Sizeof(z) != 4 {
		return errors.New("nn: SetBF16 on a float64 trainer, want a float32 one")
	}
	if !on {
		t.half = nil
		t.setFused()
		return nil
	}
	if t.half == nil {
		h := &halfState{w32: kernels.Path().BF16Dot}
		L := len(t.net.layers)
		h.pw = make([]*kernels.PackedW[float32], L)
		for i := range h.pw {
			h.pw[i] = new(kernels.PackedW[float32])
		}
		t.half = h
	}
	t.setFused()
	t.ensureHalf(t.cap)
	return nil
}

// BF16 reports whether mixed-precision training is on (SetBF16).
func (t *Trainer[T]) BF16() bool { return t.half != nil }

// ensureHalf sizes the bfloat16 buffers for batches of m rows.
func (t *Trainer[T]) ensureHalf(m int) {
	h := t.half
	if m <= h.cap {
		return
	}
	L, widest := len(t.net.layers), 0
	h.x = make([]kernels.BF16, m*t.net.In())
	h.r = make([][]kernels.BF16, L-1)
	for i := range t.net.layers {
		l := &t.net.layers[i]
		widest = max(widest, l.out)
		if i < L-1 {
			h.r[i] = make([]kernels.BF16, m*l.out)
		}
	}
	h.d[0], h.d[1] = make([]kernels.BF16, m*widest), make([]kernels.BF16, m*widest)
	h.cap = m
}

// f32 is s as []float32: T is float32 in mixed precision (SetBF16).
func f32[T kernels.Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// forwardHalf is forward in mixed precision: each layer's output in
// bfloat16 but the last's, which is float32 in the layer's r (Output).
func (t *Trainer[T]) forwardHalf(x []T, m int) {
	h := t.half
	L := len(t.net.layers)
	// On the dot tile (halfState.w32) the first layer's W is read by its
	// forward pass in float32 (W32), rounded as it is read: its dX is
	// never wanted, and no other pass reads its bfloat16 values, so a
	// packed copy would be a pass over W for one use. W32 gives what the
	// packed copy gives there (not on the widening route, whose routes for
	// a PW and a W differ in a NaN's sign).
	w32 := h.w32
	for i := range L {
		if i > 0 || !w32 {
			l := &t.net.layers[i]
			h.pw[i].PackBF16Of(l.in, l.out, f32(l.W), 0, i == 0)
		}
	}
	cur := h.x[:m*t.net.In()]
	kernels.ToBF16(cur, f32(x[:m*t.net.In()]))
	fa := &t.fh
	for i := range t.net.layers {
		l, last := &t.net.layers[i], i == L-1
		*fa = kernels.ForwardBF16Args{M: m, K: l.in, N: l.out, X: cur, PW: h.pw[i], Bias: f32(l.B)}
		if i == 0 && w32 {
			fa.PW, fa.W32 = nil, f32(l.W)
		}
		out := f32(t.layers[i].r[:m*l.out])
		switch {
		case l.act == ReLU && last:
			fa.R32, fa.Mask = out, t.mask(i, m)
		case l.act == ReLU:
			fa.R, fa.Mask = h.r[i][:m*l.out], t.mask(i, m)
		default: // Linear: Z, rounded for the next layer
			fa.Z = out
		}
		kernels.ForwardBF16(fa)
		*fa = kernels.ForwardBF16Args{}
		if !last {
			if l.act != ReLU {
				kernels.ToBF16(h.r[i][:m*l.out], out)
			}
			cur = h.r[i][:m*l.out]
		}
	}
}

// backwardHalf is backward in mixed precision, from dR of the output in
// d[0] (float32): dR and dX in bfloat16, dW and dB in float32. Fused (SGD,
// dR scaled by −lr), it adds Xᵀ·dZ and Σ dZ into the float32 master W
// (scaled by 1 − decay first) and B as backward does, in the call that
// takes dX from the packed bfloat16 copy of the old W.
func (t *Trainer[T]) backwardHalf(m int, fused bool, decay float64) {
	h := t.half
	out := t.net.Out()
	kernels.ToBF16(h.d[0][:m*out], f32(t.d[0][:m*out]))
	g := 0
	ba := &t.bh
	for i := len(t.net.layers) - 1; i >= 0; i-- {
		l, w := &t.net.layers[i], &t.layers[i]
		var in []kernels.BF16
		if i == 0 {
			in = h.x[:m*l.in]
		} else {
			in = h.r[i-1][:m*l.in]
		}
		*ba = kernels.BackwardBF16Args{M: m, K: l.in, N: l.out, X: in,
			DR: h.d[g][:m*l.out], Mask: t.mask(i, m)}
		if i > 0 {
			ba.PW, ba.DX = h.pw[i], h.d[1-g][:m*l.in]
		}
		if !fused {
			ba.DW, ba.DB = f32(w.dW), f32(w.dB)
			kernels.BackwardBF16(ba)
		} else {
			// One call: dX from the packed bfloat16 copy of the old W
			// (PW), written, and Xᵀ·dZ and Σ dZ added into the float32
			// W, decayed first, and B.
			l.decayW(decay)
			ba.DW, ba.DB, ba.Accumulate = f32(l.W), f32(l.B), true
			kernels.BackwardBF16(ba)
		}
		*ba = kernels.BackwardBF16Args{}
		g = 1 - g
	}
}
