package nn

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSoftmax(t *testing.T) {
	z := []float32{
		1, 2, 3,
		1000, 1001, 999, // exp overflows float32 and float64 without the shift
		-1000, -1000, -1000,
		0, float32(math.Inf(1)), float32(math.Inf(1)),
		0, float32(math.NaN()), 1,
		float32(math.Inf(-1)), 0, 0,
	}
	p := make([]float32, len(z))
	Softmax(p, z, 6, 3)
	e := math.Exp(1.0)
	d := 1 + e + e*e
	want := []float64{
		1 / d, e / d, e * e / d,
		e / d, e * e / d, 1 / d,
		1. / 3, 1. / 3, 1. / 3,
		0, 0.5, 0.5,
		math.NaN(), math.NaN(), math.NaN(),
		0, 0.5, 0.5,
	}
	for i := range p {
		if g, w := float64(p[i]), want[i]; math.IsNaN(w) != math.IsNaN(g) || math.Abs(g-w) > 1e-7 {
			t.Errorf("p[%d] = %v, want %v", i, g, w)
		}
	}
	// In place gives the same bits.
	q := slices.Clone(z)
	Softmax(q, q, 6, 3)
	for i := range q {
		if math.Float32bits(q[i]) != math.Float32bits(p[i]) && !(q[i] != q[i] && p[i] != p[i]) {
			t.Errorf("in place: q[%d] = %v, want %v", i, q[i], p[i])
		}
	}
	// A partial overlap, short slices and bad shapes panic before writing.
	buf := slices.Clone(z)
	for name, f := range map[string]func(){
		"overlap": func() { Softmax(buf[3:], buf[:15], 5, 3) },
		"short p": func() { Softmax(make([]float32, 5), buf, 2, 3) },
		"short z": func() { Softmax(make([]float32, 9), buf[:8], 3, 3) },
		"k = 0":   func() { Softmax(buf, buf, 1, 0) },
		"m < 0":   func() { Softmax(buf, buf, -1, 3) },
	} {
		if msg := panicMsg(f); !strings.HasPrefix(msg, "nn: Softmax") {
			t.Errorf("%s: panic %q", name, msg)
		}
	}
	if !slices.Equal(math32bits(buf), math32bits(z)) {
		t.Error("a refused Softmax wrote to its buffer")
	}
}

func math32bits(v []float32) []uint32 {
	b := make([]uint32, len(v))
	for i, f := range v {
		b[i] = math.Float32bits(f)
	}
	return b
}

func TestArgmax(t *testing.T) {
	nan := math.NaN()
	z := []float64{
		1, 3, 3, // the first of equals
		nan, 2, 1, // NaN is never the largest
		nan, nan, nan, // an all-NaN row: some index in range
		-1, math.Inf(-1), -0.5,
	}
	c := make([]int, 4)
	Argmax(c, z, 4, 3)
	if want := []int{1, 1, 2, 2}; !slices.Equal(c, want) {
		t.Errorf("Argmax = %v, want %v", c, want)
	}
	if msg := panicMsg(func() { Argmax(make([]int, 3), z, 4, 3) }); !strings.HasPrefix(msg, "nn: Argmax") {
		t.Errorf("short classes: panic %q", msg)
	}
}

// TestClassifyProbabilities checks Classify and Probabilities against
// Argmax and Softmax of Predict's outputs, bit for bit, below, at and
// above a chunk of rows.
func TestClassifyProbabilities(t *testing.T) {
	net, _ := New[float32](3, MLP(7, 20, 5)...)
	for _, m := range []int{0, 1, 256, 300, 513} {
		x64, _ := testData(uint64(m), max(m, 1), 7, 5, MSE)
		x := fromF64[float32](x64)
		out := make([]float32, m*5)
		net.Predict(out, x, m)
		wantC := make([]int, m)
		Argmax(wantC, out, m, 5)
		wantP := make([]float32, m*5)
		Softmax(wantP, out, m, 5)

		c := make([]int, m)
		net.Classify(c, x, m)
		if !slices.Equal(c, wantC) {
			t.Errorf("m = %d: Classify differs from Argmax of Predict", m)
		}
		p := make([]float32, m*5)
		net.Probabilities(p, x, m)
		if !slices.Equal(p, wantP) {
			t.Errorf("m = %d: Probabilities differ from Softmax of Predict", m)
		}
	}
	x := make([]float32, 14)
	if msg := panicMsg(func() { net.Probabilities(x[4:], x, 2) }); !strings.HasPrefix(msg, "nn: Probabilities: y overlaps x") {
		t.Errorf("Probabilities over x: panic %q", msg)
	}
	if msg := panicMsg(func() { net.Classify(make([]int, 1), x, 2) }); !strings.HasPrefix(msg, "nn: Classify of 2 rows: len(classes)") {
		t.Errorf("Classify, short classes: panic %q", msg)
	}
}

// TestEvaluateClasses checks the loss and accuracy against Evaluate with
// one-hot targets, and the confusion matrix against counts made here.
func TestEvaluateClasses(t *testing.T) {
	x64, _, labels := spiralData[float64](4, 80, 3) // 320 examples: two chunks
	net, _ := New[float64](2, MLP(2, 16, 4)...)
	tr, _ := NewTrainer(net, SoftmaxCrossEntropy, Adam{LR: 0.01})
	y := OneHot[float64](labels, 4)
	if _, err := tr.Fit(x64, y, len(labels), FitConfig{Epochs: 5}); err != nil {
		t.Fatal(err)
	}
	m := len(labels)
	s := net.EvaluateClasses(x64, labels, m)
	loss, acc := net.Evaluate(x64, y, m, SoftmaxCrossEntropy)
	if math.Abs(s.Loss-loss) > 1e-12*loss || s.Accuracy != acc || s.Examples != m {
		t.Errorf("EvaluateClasses = %v, Evaluate gives loss %v, accuracy %v", s, loss, acc)
	}
	pred := make([]int, m)
	net.Classify(pred, x64, m)
	want := make([]int, 16)
	for r, l := range labels {
		want[l*4+pred[r]]++
	}
	c := s.Confusion
	if c.Classes != 4 || !slices.Equal(c.Counts, want) || c.Total() != m {
		t.Errorf("confusion %v, want %v", c.Counts, want)
	}
	if a := c.Accuracy(); a != acc {
		t.Errorf("Confusion.Accuracy = %v, want %v", a, acc)
	}
	if acc == 1 || acc < 0.3 {
		t.Logf("accuracy %v: the confusion matrix is less of a test", acc)
	}
	bad := slices.Clone(labels)
	bad[300] = 4
	if msg := panicMsg(func() { net.EvaluateClasses(x64, bad, m) }); !strings.Contains(msg, "labels[300] = 4") {
		t.Errorf("label out of range: panic %q", msg)
	}
	if msg := panicMsg(func() { net.EvaluateClasses(x64, labels, 0) }); msg != "nn: EvaluateClasses of m = 0 examples, want m ≥ 1" {
		t.Errorf("m = 0: panic %q", msg)
	}
}

func TestConfusion(t *testing.T) {
	c := NewConfusion(3)
	for _, e := range [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {2, 1}, {2, 2}, {2, 2}, {2, 0}} {
		c.Add(e[0], e[1])
	}
	if c.Total() != 8 || c.Correct() != 5 || c.Accuracy() != 5./8 {
		t.Errorf("total %d, correct %d, accuracy %v", c.Total(), c.Correct(), c.Accuracy())
	}
	if c.Recall(0) != 2./3 || c.Recall(2) != 0.5 || c.Precision(1) != 1./3 || c.Precision(0) != 2./3 {
		t.Errorf("recall %v %v, precision %v %v", c.Recall(0), c.Recall(2), c.Precision(1), c.Precision(0))
	}
	if e := NewConfusion(2); !math.IsNaN(e.Accuracy()) || !math.IsNaN(e.Recall(1)) {
		t.Error("an empty matrix's accuracy and recall are not NaN")
	}
	want := "" +
		" pred: 0 1 2  recall\n" +
		"true 0 2 1 0   66.67%\n" +
		"true 1 0 1 0  100.00%\n" +
		"true 2 1 1 2   50.00%\n"
	if s := c.String(); s != want {
		t.Errorf("String:\n%s\nwant\n%s", s, want)
	}
	if msg := panicMsg(func() { c.Add(3, 0) }); !strings.HasPrefix(msg, "nn: Confusion.Add") {
		t.Errorf("Add out of range: panic %q", msg)
	}
}

func TestInferZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are meaningless")
	}
	net, _ := New[float32](1, MLP(20, 32, 4)...)
	x64, _ := testData(1, 300, 20, 4, MSE)
	x := fromF64[float32](x64)
	c, p := make([]int, 300), make([]float32, 300*4)
	net.Classify(c, x, 300)
	net.Probabilities(p, x, 300)
	if a := testing.AllocsPerRun(10, func() { net.Classify(c, x, 300) }); a > 0 {
		t.Errorf("Classify allocates %v objects", a)
	}
	if a := testing.AllocsPerRun(10, func() { net.Probabilities(p, x, 300) }); a > 0 {
		t.Errorf("Probabilities allocates %v objects", a)
	}
}
