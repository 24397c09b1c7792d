// Command example trains a ReLU network with package nn on a small,
// deterministically generated data set of 8×8 digit images, and prints
// the loss and accuracy of every epoch, the accuracy on held-out images
// and the training throughput.
//
//	go run ./nn/example [-epochs 12] [-batch 64] [-f64] [-save digits.frn]
//
// The images are the ten digits of a 5×7 bitmap font, each drawn at a
// random offset in an 8×8 frame with a random stroke intensity, Gaussian
// noise and a few flipped pixels (seeded: every run sees the same data).
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/fusedrelu/kernels"
	"github.com/fusedrelu/kernels/nn"
)

// font holds the digits 0–9 as 5×7 bitmaps.
var font = [10][7]string{
	{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	{"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	{".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	{"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	{"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	{"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	{"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	{"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	{".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	{".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
}

const side, classes = 8, 10

// digits returns n images (n×64, row-major, in rows) and their labels.
func digits(n int, seed uint64) (x []float64, labels []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	x = make([]float64, n*side*side)
	labels = make([]int, n)
	for k := range n {
		d := r.IntN(classes)
		labels[k] = d
		img := x[k*side*side : (k+1)*side*side]
		dx, dy := r.IntN(side-5+1), r.IntN(side-7+1)
		ink := 0.6 + 0.4*r.Float64()
		for i, row := range font[d] {
			for j, c := range row {
				if c == '#' {
					img[(dy+i)*side+dx+j] = ink
				}
			}
		}
		for p := range img {
			if r.Float64() < 0.04 {
				img[p] = ink - img[p] // flip
			}
			img[p] += 0.25 * r.NormFloat64()
		}
	}
	return x, labels
}

func main() {
	epochs := flag.Int("epochs", 12, "epochs")
	batch := flag.Int("batch", 64, "examples a step")
	f64 := flag.Bool("f64", false, "train in float64 instead of float32")
	save := flag.String("save", "", "save the trained network to this file")
	flag.Parse()
	var err error
	if *f64 {
		err = run[float64](*epochs, *batch, *save)
	} else {
		err = run[float32](*epochs, *batch, *save)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func convert[T kernels.Float](v []float64) []T {
	r := make([]T, len(v))
	for i, f := range v {
		r[i] = T(f)
	}
	return r
}

func run[T kernels.Float](epochs, batch int, save string) error {
	const nTrain, nTest = 6000, 1000
	xs, ls := digits(nTrain, 1)
	xt, lt := digits(nTest, 2)
	x, y := convert[T](xs), nn.OneHot[T](ls, classes)
	tx, ty := convert[T](xt), nn.OneHot[T](lt, classes)

	net, err := nn.New[T](1, nn.MLP(side*side, 128, 64, classes)...)
	if err != nil {
		return err
	}
	tr, err := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{LR: 0.002})
	if err != nil {
		return err
	}
	var zero T
	fmt.Printf("digits: %d training and %d test images of %d×%d; network %v, %T, kernels path %s\n",
		nTrain, nTest, side, side, net, zero, kernels.Path().ISA)
	start := time.Now()
	stats, err := tr.Fit(x, y, nTrain, nn.FitConfig{
		Epochs:    epochs,
		BatchSize: batch,
		Seed:      3,
		OnEpoch: func(s nn.EpochStats) error {
			_, acc := net.Evaluate(tx, ty, nTest, nn.SoftmaxCrossEntropy)
			fmt.Printf("%v  test accuracy %6.2f%%\n", s, 100*acc)
			return nil
		},
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	trained := 0.0
	for _, s := range stats {
		trained += s.Elapsed.Seconds()
	}
	loss, acc := net.Evaluate(tx, ty, nTest, nn.SoftmaxCrossEntropy)
	fmt.Printf("test: loss %.4f, accuracy %.2f%% (%d of %d)\n", loss, 100*acc, int(math.Round(acc*nTest)), nTest)
	fmt.Printf("trained on %d examples in %.2fs: %.0f examples/s (%.2fs with the test evaluations)\n",
		epochs*nTrain, trained, float64(epochs*nTrain)/trained, el.Seconds())
	if save != "" {
		if err := net.Save(save); err != nil {
			return err
		}
		fmt.Printf("saved to %s\n", save)
	}
	return nil
}
