package nn_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fusedrelu/kernels/nn"
)

// A network of one Linear layer with hand-set weights, so that its
// outputs are exact: for an input (a, b), the logits of three classes
// are a, b and 0.5 − a − b.
func handSet() *nn.Network[float32] {
	net, err := nn.New[float32](1, nn.Dense(2, 3, nn.Linear))
	if err != nil {
		panic(err)
	}
	copy(net.Layer(0).W, []float32{
		1, 0, -1, // input 0 to outputs 0, 1, 2
		0, 1, -1, // input 1
	})
	copy(net.Layer(0).B, []float32{0, 0, 0.5})
	return net
}

func ExampleNew() {
	net, err := nn.New[float32](1, nn.MLP(784, 256, 256, 10)...)
	if err != nil {
		panic(err)
	}
	fmt.Println(net)
	fmt.Println(net.NumParams(), "parameters")

	_, err = nn.New[float32](1, nn.Dense(4, 8, nn.ReLU), nn.Dense(6, 2, nn.Linear))
	fmt.Println(err)
	// Output:
	// nn.Network[784→256 ReLU, 256→256 ReLU, 256→10 Linear]
	// 269322 parameters
	// nn: layer 1 has 6 inputs, but layer 0 has 8 outputs
}

// A network's bfloat16 copy for inference: every value here is exact in
// bfloat16, so its outputs are the float32 network's.
func ExampleBF16Network() {
	net := handSet()
	half := nn.NewBF16Network(net)
	x := []float32{
		2, 1, // example 0
		0, 3, // example 1
	}
	y := make([]float32, 2*3)
	half.Predict(y, x, 2)
	classes := make([]int, 2)
	half.Classify(classes, x, 2)
	fmt.Println(y[:3], y[3:], classes)

	// After further training of net, Load takes its new weights.
	net.Layer(0).B[2] = 8
	half.Load(net)
	half.Classify(classes, x, 2)
	fmt.Println(classes)
	// Output:
	// [2 1 -2.5] [0 3 -2.5] [0 1]
	// [2 2]
}

func ExampleNetwork_Predict() {
	net := handSet()
	x := []float32{
		2, 1, // example 0
		0, 3, // example 1
	}
	y := make([]float32, 2*3)
	net.Predict(y, x, 2)
	fmt.Println(y[:3], y[3:])

	// The outputs must not share memory with the inputs.
	defer func() { fmt.Println(recover()) }()
	net.Predict(x, x, 1)
	// Output:
	// [2 1 -2.5] [0 3 -2.5]
	// nn: Predict: y overlaps x (they share memory); prediction in place is not supported
}

func ExampleNetwork_Classify() {
	net := handSet()
	x := []float32{2, 1, 0, 3, -1, -1}
	classes := make([]int, 3)
	net.Classify(classes, x, 3)
	fmt.Println(classes)
	// Output: [0 1 2]
}

func ExampleNetwork_Probabilities() {
	net := handSet()
	p := make([]float32, 3)
	net.Probabilities(p, []float32{1, 1}, 1) // logits 1, 1, −1.5
	fmt.Printf("%.4f\n", p)
	// Output: [0.4803 0.4803 0.0394]
}

func ExampleNetwork_EvaluateClasses() {
	net := handSet()
	x := []float32{2, 1, 0, 3, -1, -1, 1, 2, 0, 0}
	labels := []int{0, 1, 2, 0, 2}
	s := net.EvaluateClasses(x, labels, 5)
	fmt.Printf("accuracy %.0f%%, %d of %d\n", 100*s.Accuracy, s.Confusion.Correct(), s.Examples)
	fmt.Print(s.Confusion)
	// Output:
	// accuracy 80%, 4 of 5
	//  pred: 0 1 2  recall
	// true 0 1 1 0   50.00%
	// true 1 0 1 0  100.00%
	// true 2 0 0 2  100.00%
}

func ExampleSoftmax() {
	z := []float64{
		1, 2, 3,
		1000, 1000, -1000, // no overflow: computed about the row's largest logit
	}
	nn.Softmax(z, z, 2, 3) // in place
	fmt.Printf("%.4f\n%.4f\n", z[:3], z[3:])
	// Output:
	// [0.0900 0.2447 0.6652]
	// [0.5000 0.5000 0.0000]
}

func ExampleLoad() {
	path := filepath.Join(os.TempDir(), "example-load.frn")
	defer os.Remove(path)
	if err := handSet().Save(path); err != nil {
		panic(err)
	}
	net, err := nn.Load[float32](path)
	if err != nil {
		panic(err)
	}
	fmt.Println(net)

	_, err = nn.Load[float64](path) // the file holds float32 parameters
	fmt.Println(errors.Is(err, nn.ErrMismatch))
	// Output:
	// nn.Network[2→3 Linear]
	// true
}
