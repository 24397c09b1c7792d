package nn

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/fusedrelu/kernels"
)

// Activation is the function a dense layer applies to Z = X·W + b.
type Activation uint8

const (
	// ReLU: R = ReLU(Z), the fused kernels' layer. Initialised by He.
	ReLU Activation = 1
	// Linear: R = Z, the identity, for a regression output or the
	// logits of a classifier. Initialised by Glorot.
	Linear Activation = 2
)

func (a Activation) String() string {
	switch a {
	case ReLU:
		return "ReLU"
	case Linear:
		return "Linear"
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

func (a Activation) valid() bool { return a == ReLU || a == Linear }

// LayerSpec describes a dense layer: In inputs, Out outputs, and the
// activation.
type LayerSpec struct {
	In, Out int
	Act     Activation
}

// Dense returns the spec of a dense layer.
func Dense(in, out int, act Activation) LayerSpec { return LayerSpec{in, out, act} }

// MLP returns the specs of a multilayer perceptron with the given layer
// widths: ReLU layers between them and a Linear output layer. MLP(784,
// 256, 256, 10) is 784→256 ReLU, 256→256 ReLU, 256→10 Linear.
func MLP(sizes ...int) []LayerSpec {
	if len(sizes) < 2 {
		return nil
	}
	specs := make([]LayerSpec, len(sizes)-1)
	for i := range specs {
		specs[i] = LayerSpec{sizes[i], sizes[i+1], ReLU}
	}
	specs[len(specs)-1].Act = Linear
	return specs
}

// maxWidth bounds In and Out of a layer, and maxLayers the number of
// layers, so that shapes always fit the file format and int arithmetic.
const (
	maxWidth  = 1 << 24
	maxLayers = 1 << 10
)

// Layer is a dense layer: Z = X·W + B, R = Act(Z) for a batch X of
// examples in rows. W is In×Out, row-major, W[i*Out+j] joining input i to
// output j; B has Out elements. The shape is fixed when the network is
// made; the values may be read and written.
type Layer[T kernels.Float] struct {
	W, B []T

	in, out int
	act     Activation
}

// In, Out and Act return the layer's shape and activation.
func (l *Layer[T]) In() int         { return l.in }
func (l *Layer[T]) Out() int        { return l.out }
func (l *Layer[T]) Act() Activation { return l.act }

// Spec returns the layer's spec.
func (l *Layer[T]) Spec() LayerSpec { return LayerSpec{l.in, l.out, l.act} }

func (l *Layer[T]) String() string     { return fmt.Sprintf("%d→%d %v", l.in, l.out, l.act) }
func (l *Layer[T]) params() (w, b []T) { return l.W[:l.in*l.out], l.B[:l.out] }
func (l *Layer[T]) numParams() int     { return l.in*l.out + l.out }

// check returns an error unless W and B have the layer's shape (a caller
// may have replaced them).
func (l *Layer[T]) check(i int) error {
	if len(l.W) != l.in*l.out || len(l.B) != l.out {
		return fmt.Errorf("nn: layer %d (%v) has len(W) = %d, len(B) = %d, want %d and %d",
			i, l, len(l.W), len(l.B), l.in*l.out, l.out)
	}
	return nil
}

// Network is a sequence of dense layers, each one's Out the next one's In.
// Predict and Evaluate may run concurrently; training a network (a
// [Trainer] is for one goroutine) while others use it is a data race.
type Network[T kernels.Float] struct {
	layers  []Layer[T]
	scratch sync.Pool // *predictScratch[T]
}

// New makes a network of the given layers, initialised by [Network.Init]
// with seed. It returns an error when there are no layers, a width is
// not positive (or above 2²⁴), an activation is unknown, or a layer's In
// differs from the previous layer's Out.
//
//	net, err := nn.New[float32](1, nn.MLP(784, 256, 256, 10)...)
func New[T kernels.Float](seed uint64, specs ...LayerSpec) (*Network[T], error) {
	if err := checkSpecs(specs); err != nil {
		return nil, err
	}
	n := &Network[T]{layers: make([]Layer[T], len(specs))}
	for i, s := range specs {
		n.layers[i] = Layer[T]{W: make([]T, s.In*s.Out), B: make([]T, s.Out), in: s.In, out: s.Out, act: s.Act}
	}
	n.Init(seed)
	return n, nil
}

func checkSpecs(specs []LayerSpec) error {
	if len(specs) == 0 {
		return fmt.Errorf("nn: a network needs at least one layer")
	}
	if len(specs) > maxLayers {
		return fmt.Errorf("nn: %d layers, want at most %d", len(specs), maxLayers)
	}
	for i, s := range specs {
		if s.In < 1 || s.In > maxWidth || s.Out < 1 || s.Out > maxWidth {
			return fmt.Errorf("nn: layer %d is %d→%d, want widths from 1 to %d", i, s.In, s.Out, maxWidth)
		}
		if !s.Act.valid() {
			return fmt.Errorf("nn: layer %d has unknown activation %v", i, s.Act)
		}
		if i > 0 && s.In != specs[i-1].Out {
			return fmt.Errorf("nn: layer %d has %d inputs, but layer %d has %d outputs", i, s.In, i-1, specs[i-1].Out)
		}
	}
	return nil
}

// Init sets the weights from a source seeded with seed, so that the same
// seed gives the same bits (on one architecture: the random numbers go
// through math.Log and math.Cos), and the biases to zero:
//
//	ReLU layers:   He,     W_ij ~ Normal(0, 2/In)
//	Linear layers: Glorot, W_ij ~ Uniform(−a, a), a = √(6/(In+Out))
//
// It panics if a layer's W or B was replaced by a slice of another length.
func (n *Network[T]) Init(seed uint64) {
	n.check()
	rng := newRNG(seed)
	for i := range n.layers {
		l := &n.layers[i]
		switch l.act {
		case ReLU:
			heInit(rng, l.W, l.in)
		default:
			glorotInit(rng, l.W, l.in, l.out)
		}
		clear(l.B)
	}
}

// NumLayers returns the number of layers.
func (n *Network[T]) NumLayers() int { return len(n.layers) }

// Layer returns layer i, to read or set its parameters. It panics unless
// 0 ≤ i < NumLayers().
func (n *Network[T]) Layer(i int) *Layer[T] {
	if i < 0 || i >= len(n.layers) {
		panic(fmt.Sprintf("nn: Layer(%d) of a network of %d layers", i, len(n.layers)))
	}
	return &n.layers[i]
}

// In and Out return the widths of the network's input and output. They
// panic on a network without layers (a zero Network: make networks with
// New, Load or Read).
func (n *Network[T]) In() int  { return n.nonEmpty()[0].in }
func (n *Network[T]) Out() int { l := n.nonEmpty(); return l[len(l)-1].out }

// nonEmpty returns the layers, and panics if there are none.
func (n *Network[T]) nonEmpty() []Layer[T] {
	if len(n.layers) == 0 {
		panic("nn: the network has no layers (make networks with New, Load or Read)")
	}
	return n.layers
}

// Specs returns the layer specs of the network.
func (n *Network[T]) Specs() []LayerSpec {
	s := make([]LayerSpec, len(n.layers))
	for i := range n.layers {
		s[i] = n.layers[i].Spec()
	}
	return s
}

// NumParams returns the number of parameters (weights and biases).
func (n *Network[T]) NumParams() int {
	p := 0
	for i := range n.layers {
		p += n.layers[i].numParams()
	}
	return p
}

// Clone returns a deep copy of the network.
func (n *Network[T]) Clone() *Network[T] {
	c := &Network[T]{layers: make([]Layer[T], len(n.layers))}
	for i, l := range n.layers {
		c.layers[i] = Layer[T]{W: append([]T(nil), l.W...), B: append([]T(nil), l.B...), in: l.in, out: l.out, act: l.act}
	}
	return c
}

func (n *Network[T]) String() string {
	s := "nn.Network["
	for i := range n.layers {
		if i > 0 {
			s += ", "
		}
		s += n.layers[i].String()
	}
	return s + "]"
}

// checkLayers returns an error unless every layer's W and B have the
// layer's shape (a caller may have replaced them).
func (n *Network[T]) checkLayers() error {
	if len(n.layers) == 0 {
		return fmt.Errorf("nn: the network has no layers (make networks with New or Load)")
	}
	for i := range n.layers {
		if err := n.layers[i].check(i); err != nil {
			return err
		}
	}
	return nil
}

// check is checkLayers for the functions that panic on programming
// errors.
func (n *Network[T]) check() {
	if err := n.checkLayers(); err != nil {
		panic(err.Error())
	}
}

// fits reports whether a slice of length l holds m rows of width w ≥ 1,
// without computing m·w, which can wrap for a hostile m.
func fits(l, m, w int) bool { return m >= 0 && m <= l/w }

// overlap reports whether a and b share memory.
func overlap[T any](a, b []T) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	var z T
	size := unsafe.Sizeof(z)
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b))*size && pb < pa+uintptr(len(a))*size
}

// checkInput panics unless m ≥ 0, x holds m rows of the network's
// inputs and the layers have their shapes. fn names the caller.
func (n *Network[T]) checkInput(fn string, x []T, m int) {
	n.check()
	switch {
	case m < 0:
		panic(fmt.Sprintf("nn: %s of m = %d rows, want m ≥ 0", fn, m))
	case !fits(len(x), m, n.In()):
		panic(fmt.Sprintf("nn: %s of %d rows: len(x) = %d, want ≥ m·In = %d·%d", fn, m, len(x), m, n.In()))
	}
}

// checkIO is checkInput, and panics unless y holds m rows of outputs and
// y[:m·Out] overlaps neither x[:m·In] nor any layer's parameters. Every
// check comes before anything is written.
func (n *Network[T]) checkIO(fn string, y, x []T, m int) {
	n.checkInput(fn, x, m)
	in, out := n.In(), n.Out()
	if !fits(len(y), m, out) {
		panic(fmt.Sprintf("nn: %s of %d rows: len(y) = %d, want ≥ m·Out = %d·%d", fn, m, len(y), m, out))
	}
	y = y[:m*out]
	if overlap(y, x[:m*in]) {
		panic(fmt.Sprintf("nn: %s: y overlaps x (they share memory); prediction in place is not supported", fn))
	}
	for i := range n.layers {
		if l := &n.layers[i]; overlap(y, l.W) || overlap(y, l.B) {
			panic(fmt.Sprintf("nn: %s: y overlaps the parameters of layer %d", fn, i))
		}
	}
}

// predictChunk is the number of rows Predict runs through the network
// at once: it bounds the scratch memory (2·predictChunk·widest layer).
const predictChunk = 256

type predictScratch[T kernels.Float] struct {
	a, b []T
	out  []T // a chunk of outputs, for the functions that do not return them
	fa   kernels.ForwardArgs[T]
}

// getScratch returns scratch from the pool, sized for chunks of up to
// rows rows.
func (n *Network[T]) getScratch(rows int) *predictScratch[T] {
	s, _ := n.scratch.Get().(*predictScratch[T])
	if s == nil {
		s = new(predictScratch[T])
	}
	wide := 0
	for i := range n.layers[:len(n.layers)-1] {
		wide = max(wide, n.layers[i].out)
	}
	if need := rows * wide; len(s.a) < need {
		s.a, s.b = make([]T, need), make([]T, need)
	}
	return s
}

func (n *Network[T]) putScratch(s *predictScratch[T]) {
	s.fa = kernels.ForwardArgs[T]{}
	n.scratch.Put(s)
}

// outBuf returns s.out sized for rows rows of outputs.
func (n *Network[T]) outBuf(s *predictScratch[T], rows int) []T {
	if need := rows * n.Out(); len(s.out) < need {
		s.out = make([]T, need)
	}
	return s.out[:rows*n.Out()]
}

// forwardRows runs rows ≤ predictChunk rows of x through the network
// into y, with s's buffers for the layers between.
func (n *Network[T]) forwardRows(s *predictScratch[T], y, x []T, rows int) {
	cur := x
	for i := range n.layers {
		l := &n.layers[i]
		var dst []T
		if i == len(n.layers)-1 {
			dst = y
		} else {
			dst = s.a[:rows*l.out]
			s.a, s.b = s.b, s.a
		}
		forwardLayer(&s.fa, l, rows, cur, dst, kernels.Mask{})
		cur = dst
	}
}

// Predict runs the network on the m examples in the rows of x (m×In,
// tight) and writes the outputs to the rows of y (m×Out, tight). It keeps
// nothing for a backward pass (no Z, no mask) and, in steady state,
// allocates nothing: the intermediate activations of up to 256 rows at a
// time live in scratch buffers pooled by the network.
//
// y must not share memory with x or with the network's parameters:
// Predict does not work in place, and panics (before writing anything)
// when y[:m·Out] overlaps x[:m·In] or a layer's W or B. It panics too when
// m < 0, x or y is too short for m rows, or a layer's W or B was
// replaced by a slice of another length.
func (n *Network[T]) Predict(y, x []T, m int) {
	n.checkIO("Predict", y, x, m)
	n.forwardChunks(y, x, m, nil)
}

// forwardChunks runs the m rows of x through the network in chunks of
// up to predictChunk rows, with pooled scratch, so that memory stays
// bounded and nothing is allocated in steady state. Each chunk's
// outputs go to their rows of y or, when y is nil, to a scratch buffer;
// then, when f is not nil, f gets the chunk's first row r0, its number
// of rows and its outputs (rows×Out), which it may overwrite. The caller
// has checked the shapes.
func (n *Network[T]) forwardChunks(y, x []T, m int, f func(r0, rows int, o []T)) {
	if m == 0 {
		return
	}
	in, out := n.In(), n.Out()
	s := n.getScratch(min(m, predictChunk))
	for r0 := 0; r0 < m; r0 += predictChunk {
		rows := min(predictChunk, m-r0)
		var o []T
		if y != nil {
			o = y[r0*out : (r0+rows)*out]
		} else {
			o = n.outBuf(s, rows)
		}
		n.forwardRows(s, o, x[r0*in:(r0+rows)*in], rows)
		if f != nil {
			f(r0, rows, o)
		}
	}
	n.putScratch(s)
}

// forwardLayer computes the m rows of dst = Act(x·W + B), and the step
// mask of a ReLU layer when mask is not the zero Mask. fa is the caller's
// argument block, so that nothing escapes to the heap.
//
// A ReLU layer is one fused kernels.Forward. A Linear layer is
// kernels.GEMM with β = 1 onto dst filled with the bias rows: Forward
// would also compute R = ReLU(Z) into a second m×Out buffer that the
// layer does not need.
func forwardLayer[T kernels.Float](fa *kernels.ForwardArgs[T], l *Layer[T], m int, x, dst []T, mask kernels.Mask) {
	if l.act == ReLU {
		*fa = kernels.ForwardArgs[T]{M: m, K: l.in, N: l.out, X: x, W: l.W, Bias: l.B, R: dst, Mask: mask}
		kernels.Forward(fa)
		*fa = kernels.ForwardArgs[T]{}
		return
	}
	linearForward(l, m, x, dst)
}

// linearForward checks everything GEMM would before it fills dst with
// the bias rows, so that a bad call panics with dst untouched.
func linearForward[T kernels.Float](l *Layer[T], m int, x, dst []T) {
	switch {
	case m < 0 || !fits(len(x), m, l.in) || !fits(len(dst), m, l.out) || len(l.W) < l.in*l.out || len(l.B) < l.out:
		panic(fmt.Sprintf("nn: Linear layer %v on %d rows: len(x) = %d, len(dst) = %d, len(W) = %d, len(B) = %d",
			l, m, len(x), len(dst), len(l.W), len(l.B)))
	case overlap(dst[:m*l.out], x[:m*l.in]):
		panic(fmt.Sprintf("nn: Linear layer %v: the output overlaps the input", l))
	case overlap(dst[:m*l.out], l.W[:l.in*l.out]) || overlap(dst[:m*l.out], l.B[:l.out]):
		panic(fmt.Sprintf("nn: Linear layer %v: the output overlaps the layer's parameters", l))
	}
	for r := range m {
		copy(dst[r*l.out:(r+1)*l.out], l.B)
	}
	kernels.GEMM(kernels.NoTrans, kernels.NoTrans, m, l.out, l.in, 1, x, 0, l.W, 0, 1, dst, 0)
}
