package nn

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fusedrelu/kernels"
)

// bf16Specs are networks for the bfloat16 inference tests: the usual MLP,
// one ending in ReLU, and one with a Linear layer inside (its float32 Z
// rounded for the next layer), and a single layer.
var bf16Specs = [][]LayerSpec{
	MLP(17, 40, 9, 5),
	{Dense(8, 3, Linear)},
	{Dense(13, 33, ReLU), Dense(33, 6, ReLU)},
	{Dense(11, 24, ReLU), Dense(24, 19, Linear), Dense(19, 30, ReLU), Dense(30, 4, Linear)},
}

// bf16Reference is BF16Network.Predict written with ForwardBF16 on
// rounded values: x and each W rounded to bfloat16 (W packed, as the
// network holds it: its sums at a few rows are the packed panels'), each layer's output
// (R, or Z for a Linear layer) rounded as the next layer's input.
func bf16Reference(net *Network[float32], x []float32, m int) []float32 {
	cur := round(x[:m*net.In()])
	for i := range net.layers {
		l := &net.layers[i]
		z, r := make([]float32, m*l.out), make([]float32, m*l.out)
		pw := new(kernels.PackedW[float32])
		pw.PackBF16(l.in, l.out, toH(l.W), 0)
		kernels.ForwardBF16(&kernels.ForwardBF16Args{M: m, K: l.in, N: l.out, X: toH(cur), PW: pw, Bias: l.B, R32: r, Z: z})
		out := r
		if l.act == Linear {
			out = z
		}
		if i == len(net.layers)-1 {
			return out
		}
		cur = round(out)
	}
	panic("no layers")
}

func TestBF16NetworkPredict(t *testing.T) {
	for si, specs := range bf16Specs {
		net, _ := New[float32](uint64(si+1), specs...)
		half := NewBF16Network(net)
		for _, m := range []int{0, 1, 4, 5, 7, 256, 300} {
			x, _ := testData(uint64(m+1), m, net.In(), net.Out(), MSE)
			xf := fromF64[float32](x)
			x0 := slices.Clone(xf)
			want := bf16Reference(net, xf, m)
			got := make([]float32, m*net.Out()+3)
			got[len(got)-3], got[len(got)-2], got[len(got)-1] = 7, 8, 9
			half.Predict(got, xf, m)
			if !slices.Equal(got[:m*net.Out()], want) {
				t.Errorf("%v, m = %d: Predict differs from the float32 kernels on the rounded values", net, m)
			}
			if !slices.Equal(got[m*net.Out():], []float32{7, 8, 9}) {
				t.Errorf("%v, m = %d: Predict wrote past m·Out", net, m)
			}
			if !slices.Equal(xf, x0) {
				t.Errorf("%v, m = %d: Predict changed x", net, m)
			}
			classes := make([]int, m)
			half.Classify(classes, xf, m)
			for r := range m {
				if c := argmax(want[r*net.Out() : (r+1)*net.Out()]); classes[r] != c {
					t.Errorf("%v, m = %d: Classify row %d = %d, want %d", net, m, r, classes[r], c)
					break
				}
			}
		}
	}
}

// TestBF16NetworkMatchesTraining checks that bfloat16 inference gives
// the outputs of a mixed-precision training step's forward pass
// (SetBF16), bit for bit: a network trained in bfloat16 is evaluated as
// it was trained.
func TestBF16NetworkMatchesTraining(t *testing.T) {
	for si, specs := range bf16Specs {
		for _, m := range []int{1, 64, 300} {
			net, _ := New[float32](uint64(si+3), specs...)
			tr, _ := NewTrainer(net, MSE, Adam{})
			if err := tr.SetBF16(true); err != nil {
				t.Fatal(err)
			}
			x, y := testData(4, m, net.In(), net.Out(), MSE)
			xf, yf := fromF64[float32](x), fromF64[float32](y)
			tr.Gradients(xf, yf, m)
			got := make([]float32, m*net.Out())
			NewBF16Network(net).Predict(got, xf, m)
			if !slices.Equal(got, tr.Output(m)) {
				t.Errorf("%v, m = %d: BF16Network.Predict differs from the mixed-precision forward pass", net, m)
			}
		}
	}
}

// TestBF16NetworkLoad checks the snapshot: the copy keeps the weights it
// was made with until Load, which then takes the new ones.
func TestBF16NetworkLoad(t *testing.T) {
	net, _ := New[float32](5, MLP(9, 20, 3)...)
	half := NewBF16Network(net)
	x, _ := testData(6, 10, 9, 3, MSE)
	xf := fromF64[float32](x)
	before := bf16Reference(net, xf, 10)
	for i := range net.Layer(0).W {
		net.Layer(0).W[i] *= -2
	}
	net.Layer(1).B[0] += 1
	got := make([]float32, 30)
	half.Predict(got, xf, 10)
	if !slices.Equal(got, before) {
		t.Error("Predict changed with the float32 weights before Load")
	}
	half.Load(net)
	half.Predict(got, xf, 10)
	if !slices.Equal(got, bf16Reference(net, xf, 10)) {
		t.Error("Predict after Load differs from the reference on the new weights")
	}
}

// TestBF16NetworkSpecials checks that special values go through as in
// the float32 kernels on the widened values: NaN and ±Inf in the input
// and a weight, signed zeros.
func TestBF16NetworkSpecials(t *testing.T) {
	net, _ := New[float32](7, Dense(4, 6, ReLU), Dense(6, 3, Linear))
	net.Layer(0).W[5] = float32(math.Inf(-1))
	half := NewBF16Network(net)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	x := []float32{nan, 1, 2, 3, 0, float32(math.Copysign(0, -1)), 0, 0, inf, -inf, 1, 0, 1e-40, -1e-40, 3e38, -3e38}
	got := make([]float32, 4*3)
	half.Predict(got, x, 4)
	want := bf16Reference(net, x, 4)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Errorf("output %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestBF16NetworkPanics(t *testing.T) {
	net, _ := New[float32](5, MLP(4, 6, 2)...)
	half := NewBF16Network(net)
	x, y := make([]float32, 3*4), make([]float32, 3*2)
	other, _ := New[float32](5, MLP(4, 7, 2)...)
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"m < 0", "m = -1 rows", func() { half.Predict(y, x, -1) }},
		{"short x", "len(x) = 12", func() { half.Predict(y, x, 4) }},
		{"short y", "len(y) = 5", func() { half.Predict(y[:5], x, 3) }},
		{"y over x", "y overlaps x", func() { half.Predict(x, x, 1) }},
		{"short classes", "len(classes) = 2", func() { half.Classify(make([]int, 2), x, 3) }},
		{"Classify m < 0", "m = -2 rows", func() { half.Classify(nil, x, -2) }},
		{"Load other shape", "layer 0 is 4→6 ReLU", func() { half.Load(other) }},
		{"zero value", "no layers", func() { new(BF16Network).Predict(y, x, 1) }},
	} {
		y0 := slices.Clone(y)
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.HasPrefix(r, "nn: ") || !strings.Contains(r, c.want) {
					t.Errorf("%s: panic %q, want one containing %q", c.name, r, c.want)
				}
			}()
			c.f()
		}()
		if !slices.Equal(y, y0) {
			t.Errorf("%s: y written before the panic", c.name)
		}
	}
}

func TestBF16NetworkAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	net, _ := New[float32](5, MLP(30, 64, 10)...)
	half := NewBF16Network(net)
	x, _ := testData(6, 300, 30, 10, MSE)
	xf, y, classes := fromF64[float32](x), make([]float32, 300*10), make([]int, 300)
	half.Predict(y, xf, 300)
	if a := testing.AllocsPerRun(20, func() { half.Predict(y, xf, 300); half.Classify(classes, xf, 300) }); a != 0 {
		t.Errorf("%v allocations a call in steady state, want 0", a)
	}
}

func TestBF16NetworkConcurrent(t *testing.T) {
	net, _ := New[float32](3, MLP(30, 20, 4)...)
	half := NewBF16Network(net)
	x, _ := testData(5, 50, 30, 4, MSE)
	xf := fromF64[float32](x)
	want := make([]float32, 200)
	half.Predict(want, xf, 50)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			got := make([]float32, 200)
			for range 20 {
				half.Predict(got, xf, 50)
				if !slices.Equal(got, want) {
					t.Errorf("goroutine %d: different outputs", g)
					return
				}
			}
		})
	}
	wg.Wait()
}
