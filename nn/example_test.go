package nn_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/fusedrelu/kernels/nn"
)

// Train a ReLU network on XOR with the squared error, and run it.
func Example() {
	x := []float32{0, 0, 0, 1, 1, 0, 1, 1} // four examples of two inputs, in rows
	y := []float32{0, 1, 1, 0}             // their targets

	net, err := nn.New[float32](3, nn.MLP(2, 16, 1)...) // 2→16 ReLU, 16→1 Linear; seed 3
	if err != nil {
		panic(err)
	}
	tr, err := nn.NewTrainer(net, nn.MSE, nn.Adam{LR: 0.02})
	if err != nil {
		panic(err)
	}
	stats, err := tr.Fit(x, y, 4, nn.FitConfig{Epochs: 500, BatchSize: 4})
	if err != nil {
		panic(err)
	}
	fmt.Printf("first epoch's loss above 0.1: %v\n", stats[0].Loss > 0.1)
	fmt.Printf("last epoch's loss below 1e-4: %v\n", stats[len(stats)-1].Loss < 1e-4)

	out := make([]float32, 4)
	net.Predict(out, x, 4)
	for i, v := range out {
		fmt.Printf("%v xor %v = %.0f\n", x[2*i], x[2*i+1], math.Abs(math.Round(float64(v))))
	}
	// Output:
	// first epoch's loss above 0.1: true
	// last epoch's loss below 1e-4: true
	// 0 xor 0 = 0
	// 0 xor 1 = 1
	// 1 xor 0 = 1
	// 1 xor 1 = 0
}

// Classify points in the plane with softmax cross-entropy, stopping as
// soon as an epoch gets every example right.
func ExampleTrainer_Fit() {
	// Two classes: inside or outside the circle of radius 0.6, on a grid.
	var x []float64
	var labels []int
	for i := range 15 {
		for j := range 15 {
			a, b := float64(i)/7-1, float64(j)/7-1
			x = append(x, a, b)
			if a*a+b*b < 0.36 {
				labels = append(labels, 1)
			} else {
				labels = append(labels, 0)
			}
		}
	}
	y := nn.OneHot[float64](labels, 2)

	net, _ := nn.New[float64](1, nn.MLP(2, 32, 32, 2)...)
	tr, _ := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{LR: 0.01})
	stats, err := tr.Fit(x, y, len(labels), nn.FitConfig{
		Epochs:    500,
		BatchSize: 25,
		Seed:      2,
		Progress:  nil, // or os.Stderr, for a line per epoch
		OnEpoch: func(s nn.EpochStats) error {
			if s.Accuracy == 1 {
				return nn.ErrStop
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	_, acc := net.Evaluate(x, y, len(labels), nn.SoftmaxCrossEntropy)
	fmt.Printf("stopped early: %v\n", len(stats) < 500)
	fmt.Printf("accuracy at least 98%%: %v\n", acc >= 0.98)
	// Output:
	// stopped early: true
	// accuracy at least 98%: true
}

// Save a network, load it back, and check that it computes the same.
func ExampleNetwork_Save() {
	net, _ := nn.New[float32](7, nn.MLP(4, 8, 3)...)
	path := filepath.Join(os.TempDir(), "example.frn")
	defer os.Remove(path)
	if err := net.Save(path); err != nil {
		panic(err)
	}
	loaded, err := nn.Load[float32](path)
	if err != nil {
		panic(err)
	}
	x := []float32{1, 2, 3, 4}
	a, b := make([]float32, 3), make([]float32, 3)
	net.Predict(a, x, 1)
	loaded.Predict(b, x, 1)
	fmt.Println(loaded, a[0] == b[0] && a[1] == b[1] && a[2] == b[2])

	// A damaged file is an error, never a wrong network.
	data, _ := net.MarshalBinary()
	data[30] ^= 1
	_, err = nn.Read[float32](bytes.NewReader(data))
	fmt.Println(err)
	// Output:
	// nn.Network[4→8 ReLU, 8→3 Linear] true
	// nn: corrupted: header checksum 50b94216, the file says 9bef39b3
}

// Learning-rate schedules scale an optimiser's LR step by step: here a
// warm-up over 2 steps, then cosine annealing over 4 steps down to a
// tenth.
func ExampleWarmup() {
	s := nn.Warmup(2, nn.Cosine(4, 0.1))
	for t := range 8 {
		fmt.Printf("%.3f", s.Factor(t))
		if t < 7 {
			fmt.Print(" ")
		}
	}
	fmt.Println()

	net, _ := nn.New[float32](1, nn.MLP(2, 8, 1)...)
	tr, _ := nn.NewTrainer(net, nn.MSE, nn.Adam{LR: 0.01, WeightDecay: 0.01, Schedule: s})
	x, y := []float32{0, 1, 1, 0}, []float32{1, 1}
	for range 3 {
		fmt.Printf("step %d at LR %.4f\n", tr.Steps(), tr.LR())
		tr.Step(x, y, 2)
	}

	// A user-supplied schedule, set between steps (the trainer keeps the
	// step count and Adam's moments).
	opt := tr.Optimizer().(nn.Adam)
	opt.Schedule = nn.ScheduleFunc(func(t int) float64 { return 1 / float64(t) })
	if err := tr.SetOptimizer(opt); err != nil {
		panic(err)
	}
	fmt.Printf("step %d at LR %.4f\n", tr.Steps(), tr.LR())
	// Output:
	// 0.500 1.000 1.000 0.868 0.550 0.232 0.100 0.100
	// step 0 at LR 0.0050
	// step 1 at LR 0.0100
	// step 2 at LR 0.0100
	// step 3 at LR 0.0033
}

// Save a checkpoint after every epoch; after an interruption, load the
// last one into a new trainer and resume: the run ends with the same bits
// as if it had not stopped.
func ExampleTrainer_SaveCheckpoint() {
	var x []float32
	var labels []int
	for i := range 200 {
		a, b := float32(i%20)/10-1, float32(i/20)/5-1
		x = append(x, a, b)
		label := 0
		if a*b > 0 {
			label = 1
		}
		labels = append(labels, label)
	}
	y := nn.OneHot[float32](labels, 2)
	opt := nn.Momentum{LR: 0.05, Schedule: nn.Cosine(35, 0.1)} // 5 epochs of 7 batches
	cfg := nn.FitConfig{Epochs: 5, BatchSize: 30, Seed: 1}
	path := filepath.Join(os.TempDir(), "example.ckpt")
	defer os.Remove(path)

	// The first run stops (here: on purpose) after 3 epochs, a checkpoint
	// saved after each.
	net, _ := nn.New[float32](1, nn.MLP(2, 16, 2)...)
	tr, _ := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, opt)
	first := cfg
	first.OnEpoch = func(s nn.EpochStats) error {
		if err := tr.SaveCheckpoint(path); err != nil {
			return err
		}
		if s.Epoch == 3 {
			return nn.ErrStop
		}
		return nil
	}
	if _, err := tr.Fit(x, y, 200, first); err != nil {
		panic(err)
	}

	// A new process: the same shapes, loss and optimiser (its schedule
	// included); the checkpoint brings the weights, momenta, step count
	// and the shuffling's state.
	net2, _ := nn.New[float32](2, nn.MLP(2, 16, 2)...)
	tr2, _ := nn.NewTrainer(net2, nn.SoftmaxCrossEntropy, opt)
	if err := tr2.LoadCheckpoint(path); err != nil {
		panic(err)
	}
	resume := cfg
	resume.Resume = true
	stats, err := tr2.Fit(x, y, 200, resume)
	if err != nil {
		panic(err)
	}
	fmt.Println("resumed at epoch", stats[0].Epoch, "and ran to step", tr2.Steps())

	// The same run without a stop.
	net3, _ := nn.New[float32](1, nn.MLP(2, 16, 2)...)
	tr3, _ := nn.NewTrainer(net3, nn.SoftmaxCrossEntropy, opt)
	tr3.Fit(x, y, 200, cfg)
	var a, b bytes.Buffer
	net2.WriteTo(&a)
	net3.WriteTo(&b)
	fmt.Println("same weights as the uninterrupted run:", bytes.Equal(a.Bytes(), b.Bytes()))

	// A damaged checkpoint is an error, and leaves the trainer as it was.
	data, _ := os.ReadFile(path)
	data[len(data)-5] ^= 1
	err = tr2.ReadCheckpoint(bytes.NewReader(data))
	fmt.Println("damaged:", errors.Is(err, nn.ErrCorrupt))
	// Output:
	// resumed at epoch 4 and ran to step 35
	// same weights as the uninterrupted run: true
	// damaged: true
}

// The whole course: train a classifier with a learning-rate schedule and
// a validation set, evaluate it on test data, save it, load it back and
// classify new examples.
func ExampleTrainer_Fit_validation() {
	// Points of the plane in three classes, by their angle about the
	// origin: x holds one point a row.
	points := func(n int, seed uint64) (x []float32, labels []int) {
		for i := range n {
			a := 2 * math.Pi * math.Mod(float64(i)*0.618034+float64(seed)*0.1, 1)
			r := 0.3 + 0.7*math.Mod(float64(i)*0.414214, 1)
			x = append(x, float32(r*math.Cos(a)), float32(r*math.Sin(a)))
			labels = append(labels, int(3*a/(2*math.Pi))%3)
		}
		return x, labels
	}
	x, labels := points(600, 1)
	xVal, labelsVal := points(150, 2)
	xTest, labelsTest := points(300, 3)

	net, _ := nn.New[float32](1, nn.MLP(2, 32, 32, 3)...)
	const epochs, batch = 20, 30
	steps := epochs * 600 / batch
	tr, _ := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{
		LR:       0.01,
		Schedule: nn.Warmup(20, nn.Cosine(steps-20, 0)), // up over 20 steps, then down to 0
	})
	stats, err := tr.Fit(x, nn.OneHot[float32](labels, 3), 600, nn.FitConfig{
		Epochs:     epochs,
		BatchSize:  batch,
		Seed:       1,
		Validation: nn.NewDataset(xVal, nn.OneHot[float32](labelsVal, 3), 150),
		Progress:   nil, // os.Stderr: a live line on a terminal, a line an epoch
	})
	if err != nil {
		panic(err)
	}
	last := stats[len(stats)-1]
	fmt.Printf("%d epochs, %d steps; the last at LR %.2g\n", len(stats), tr.Steps(), last.LR)
	fmt.Printf("validation accuracy at least 95%%: %v\n", last.ValAccuracy >= 0.95)

	s := net.EvaluateClasses(xTest, labelsTest, 300)
	fmt.Printf("test accuracy at least 95%%: %v\n", s.Accuracy >= 0.95)

	path := filepath.Join(os.TempDir(), "example-fit.frn")
	defer os.Remove(path)
	if err := net.Save(path); err != nil {
		panic(err)
	}
	loaded, err := nn.Load[float32](path)
	if err != nil {
		panic(err)
	}
	classes := make([]int, 3)
	loaded.Classify(classes, []float32{1, 0.5, -1, 0.1, 0.2, -1}, 3) // angles 27°, 174°, 281°
	fmt.Println("classes:", classes)
	// Output:
	// 20 epochs, 400 steps; the last at LR 1.7e-07
	// validation accuracy at least 95%: true
	// test accuracy at least 95%: true
	// classes: [0 1 2]
}

// Data problems are errors that name where they are: a NaN in the data
// (here found by Fit before any step), or a loss that stops being finite.
func ExampleCheckFinite() {
	x := []float32{0, 1, 2, 3, 4, float32(math.NaN()), 6, 7} // four examples of two inputs
	y := []float32{1, 0, 1, 0}

	err := nn.CheckFinite("x", x, 2)
	var nf *nn.NonFiniteError
	fmt.Println(errors.Is(err, nn.ErrNonFinite), errors.As(err, &nf) && nf.Row == 2 && nf.Col == 1)

	net, _ := nn.New[float32](1, nn.MLP(2, 4, 1)...)
	tr, _ := nn.NewTrainer(net, nn.MSE, nn.SGD{})
	_, err = tr.Fit(x, y, 4, nn.FitConfig{Epochs: 1})
	fmt.Println(err)

	x[5] = 5
	tr2, _ := nn.NewTrainer(net, nn.MSE, nn.SGD{LR: 1e6}) // far too large: the loss blows up
	_, err = tr2.Fit(x, y, 4, nn.FitConfig{Epochs: 100})
	var d *nn.DivergedError
	fmt.Println(errors.Is(err, nn.ErrDiverged), errors.As(err, &d) && d.Epoch >= 1)
	// Output:
	// true true
	// nn: non-finite value in the data: x has NaN at row 2, column 1
	// true true
}
