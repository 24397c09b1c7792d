package nn

import (
	"fmt"
	"sync"

	"github.com/fusedrelu/kernels"
)

// BF16Network is a float32 network's bfloat16 copy for inference: each
// layer's W rounded to bfloat16 (to nearest even) and packed once, its B
// kept in float32, and each layer run by kernels.ForwardBF16 with float32
// accumulation, its output rounded to bfloat16 as the next layer's input
// (the last layer's output stays float32). It computes what a
// mixed-precision training step computes forward (Trainer.SetBF16), so
// that a network trained that way is evaluated as it was trained.
//
// The copy is a snapshot: after the float32 network is trained further,
// Load takes its new weights. Predict and Classify may run concurrently
// with each other, not with Load.
//
// Where the path has the dot tile (kernels.Path().BF16Dot; see
// kernels.ForwardBF16) bfloat16 inference multiplies with VDPBF16PS, at
// up to twice float32's speed; elsewhere it computes in float32 on the widened
// values, at about float32's speed (faster at a batch of a few rows where
// the path reads packed panels a few rows at a time: the float32 network
// reads W where it lies). It holds each W in bfloat16 and, in a
// kernels.PackedW, packed for the forward pass and for dX (in bfloat16
// pairs with VDPBF16PS: 2 + 2 + 2 bytes a weight; else widened to
// float32: 2 + 4 + 4; the float32 network's 4): a batch reads the packed
// panels, or,
// of fewer rows than the path's RowsBelow (kernels.Path) on a path
// without a route over the panels for a few rows (PackedRowsBelow 0),
// the bfloat16 W.
//
//	half := nn.NewBF16Network(net) // net: a *nn.Network[float32]
//	half.Classify(classes, x, m)
type BF16Network struct {
	layers  []bf16Layer
	scratch sync.Pool // *bf16Scratch
}

type bf16Layer struct {
	w       []kernels.BF16           // W rounded to bfloat16
	pw      kernels.PackedW[float32] // w packed
	b       []float32
	in, out int
	act     Activation
}

// bf16Scratch is a chunk's buffers: the input rounded, the bfloat16
// activations between layers (a, b), a Linear layer's float32 output
// before rounding (z), and outputs for Classify (out).
type bf16Scratch struct {
	x, a, b []kernels.BF16
	z, out  []float32
	fa      kernels.ForwardBF16Args
}

// NewBF16Network returns the bfloat16 copy of n's current weights.
func NewBF16Network(n *Network[float32]) *BF16Network {
	h := new(BF16Network)
	h.Load(n)
	return h
}

// Load replaces h's weights by n's current ones, rounded to bfloat16. n
// must have h's shape (layers, widths and activations) unless h is the
// zero BF16Network; it panics otherwise, or when a layer's W or B of n
// was replaced by a slice of another length, before changing h.
func (h *BF16Network) Load(n *Network[float32]) {
	n.check()
	if h.layers != nil {
		if len(h.layers) != len(n.layers) {
			panic(fmt.Sprintf("nn: BF16Network.Load: %d layers, the network has %d", len(h.layers), len(n.layers)))
		}
		for i := range h.layers {
			if hl, l := &h.layers[i], &n.layers[i]; hl.in != l.in || hl.out != l.out || hl.act != l.act {
				panic(fmt.Sprintf("nn: BF16Network.Load: layer %d is %d→%d %v, the network's %v", i, hl.in, hl.out, hl.act, l))
			}
		}
	} else {
		h.layers = make([]bf16Layer, len(n.layers))
		for i := range h.layers {
			l := &n.layers[i]
			h.layers[i] = bf16Layer{w: make([]kernels.BF16, l.in*l.out), b: make([]float32, l.out), in: l.in, out: l.out, act: l.act}
		}
	}
	for i := range h.layers {
		hl, l := &h.layers[i], &n.layers[i]
		kernels.ToBF16(hl.w, l.W)
		hl.pw.PackBF16(l.in, l.out, hl.w, 0)
		copy(hl.b, l.B)
	}
}

// In and Out are the widths of the input and of the output.
func (h *BF16Network) In() int  { return h.nonEmpty()[0].in }
func (h *BF16Network) Out() int { l := h.nonEmpty(); return l[len(l)-1].out }

func (h *BF16Network) nonEmpty() []bf16Layer {
	if len(h.layers) == 0 {
		panic("nn: BF16Network with no layers, want one from NewBF16Network")
	}
	return h.layers
}

// Predict runs the network on the m examples in the rows of x (m×In,
// tight, float32, rounded to bfloat16 as they are read) and writes the
// float32 outputs to the rows of y (m×Out, tight). As Network.Predict,
// it works in chunks of up to 256 rows with pooled scratch (nothing
// allocated in steady state), and panics, before writing anything, when
// m < 0, x or y is too short, or y[:m·Out] overlaps x[:m·In].
func (h *BF16Network) Predict(y, x []float32, m int) {
	h.checkInput("Predict", x, m)
	if !fits(len(y), m, h.Out()) {
		panic(fmt.Sprintf("nn: BF16Network.Predict of %d rows: len(y) = %d, want ≥ m·Out = %d·%d", m, len(y), m, h.Out()))
	}
	if overlap(y[:m*h.Out()], x[:m*h.In()]) {
		panic("nn: BF16Network.Predict: y overlaps x (they share memory); prediction in place is not supported")
	}
	h.forwardChunks(y, x, m, nil)
}

// Classify writes to classes[r] the index of the largest output for the
// example in row r of x (m×In, tight), as Network.Classify does.
func (h *BF16Network) Classify(classes []int, x []float32, m int) {
	h.checkInput("Classify", x, m)
	if len(classes) < m {
		panic(fmt.Sprintf("nn: BF16Network.Classify of %d rows: len(classes) = %d, want ≥ %d", m, len(classes), m))
	}
	out := h.Out()
	h.forwardChunks(nil, x, m, func(r0, rows int, o []float32) {
		for r := range rows {
			classes[r0+r] = argmax(o[r*out : (r+1)*out])
		}
	})
}

func (h *BF16Network) checkInput(fn string, x []float32, m int) {
	switch in := h.In(); {
	case m < 0:
		panic(fmt.Sprintf("nn: BF16Network.%s of m = %d rows, want m ≥ 0", fn, m))
	case !fits(len(x), m, in):
		panic(fmt.Sprintf("nn: BF16Network.%s of %d rows: len(x) = %d, want ≥ m·In = %d·%d", fn, m, len(x), m, in))
	}
}

// bf16InPlace is the fewest rows for which the layers read their packed
// panels rather than the bfloat16 W where it lies: none where the path
// reads a PackedW's panels a few rows at a time (PackedRowsBelow), which
// was faster than W in place at every batch size (TUNING.md,
// packedRows); else the kernels' own limit between the rows route (a row
// of X times W, widened as it is read) and the register tiles, which
// would otherwise widen and pack W on every call (TUNING.md, rowsBelow).
var bf16InPlace = sync.OnceValue(func() int {
	if b := kernels.Path().F32; b.PackedRowsBelow == 0 {
		return b.RowsBelow
	}
	return 0
})

// forwardChunks is Network.forwardChunks for the bfloat16 layers: the
// outputs of each chunk of rows go to y (or to scratch when y is nil),
// then to f when it is not nil.
func (h *BF16Network) forwardChunks(y, x []float32, m int, f func(r0, rows int, o []float32)) {
	if m == 0 {
		return
	}
	in, out := h.In(), h.Out()
	s := h.getScratch()
	for r0 := 0; r0 < m; r0 += predictChunk {
		rows := min(predictChunk, m-r0)
		o := s.out[:rows*out]
		if y != nil {
			o = y[r0*out : (r0+rows)*out]
		}
		cur := s.x[:rows*in]
		kernels.ToBF16(cur, x[r0*in:(r0+rows)*in])
		for i := range h.layers {
			l, last := &h.layers[i], i == len(h.layers)-1
			fa := &s.fa
			*fa = kernels.ForwardBF16Args{M: rows, K: l.in, N: l.out, X: cur, PW: &l.pw, Bias: l.b}
			if rows < bf16InPlace() {
				fa.PW, fa.W = nil, l.w
			}
			var next []kernels.BF16
			if !last {
				next = s.a[:rows*l.out]
			}
			switch {
			case last && l.act == ReLU:
				fa.R32 = o
			case last:
				fa.Z = o
			case l.act == ReLU:
				fa.R = next
			default: // a Linear layer inside: Z in float32, rounded for the next
				fa.Z = s.z[:rows*l.out]
			}
			kernels.ForwardBF16(fa)
			*fa = kernels.ForwardBF16Args{}
			if !last {
				if l.act != ReLU {
					kernels.ToBF16(next, s.z[:rows*l.out])
				}
				cur = next
				s.a, s.b = s.b, s.a
			}
		}
		if f != nil {
			f(r0, rows, o)
		}
	}
	h.scratch.Put(s)
}

// getScratch returns scratch from the pool, sized for chunks of
// predictChunk rows.
func (h *BF16Network) getScratch() *bf16Scratch {
	s, _ := h.scratch.Get().(*bf16Scratch)
	if s == nil {
		wide := 0
		for _, l := range h.layers[:len(h.layers)-1] {
			wide = max(wide, l.out)
		}
		s = &bf16Scratch{
			x: make([]kernels.BF16, predictChunk*h.In()),
			a: make([]kernels.BF16, predictChunk*wide), b: make([]kernels.BF16, predictChunk*wide),
			z: make([]float32, predictChunk*wide), out: make([]float32, predictChunk*h.Out()),
		}
	}
	return s
}
