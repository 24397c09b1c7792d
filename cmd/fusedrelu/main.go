// Command fusedrelu shows what the kernels do on this machine: the CPU,
// the code path chosen and its cache blocking, then the speed of the fused
// forward and backward passes on the standard shapes of dense ReLU layers.
//
//	go run ./cmd/fusedrelu                  # every standard shape, float32
//	go run ./cmd/fusedrelu -dtype f64 -time 200ms 64x784x256
//	go run ./cmd/fusedrelu -threads 2
//	FUSEDRELU_ISA=generic go run ./cmd/fusedrelu
//
// Shapes are M×K×N: a batch of M examples through a layer of K inputs and
// N outputs. GFLOPS counts 2·M·K·N flops for the forward pass and 4·M·K·N
// for the backward (dX and dW).
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fusedrelu/kernels"
	"github.com/fusedrelu/kernels/internal/shapes"
)

func main() {
	dtype := flag.String("dtype", "f32", "element type: f32 or f64")
	budget := flag.Duration("time", 500*time.Millisecond, "measuring time per shape and pass")
	threads := flag.Int("threads", 1, "threads per call (0: GOMAXPROCS)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: fusedrelu [-dtype f32|f64] [-time d] [-threads n] [MxKxN ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	list := shapes.Standard
	if flag.NArg() > 0 {
		list = nil
		for _, a := range flag.Args() {
			s, err := parseShape(a)
			if err != nil {
				fmt.Fprintln(os.Stderr, "fusedrelu:", err)
				os.Exit(2)
			}
			list = append(list, s)
		}
	}
	if *threads < 0 {
		fmt.Fprintln(os.Stderr, "fusedrelu: -threads must be ≥ 0")
		os.Exit(2)
	}
	kernels.SetThreads(*threads)
	if *budget <= 0 {
		fmt.Fprintln(os.Stderr, "fusedrelu: -time must be positive")
		os.Exit(2)
	}

	info := kernels.Path()
	fmt.Printf("CPU:      %s (L1d %s, L2 %s, L3 %s)\n", info.CPU, size(info.L1D), size(info.L2), size(info.L3))
	fmt.Printf("path:     %s (supported: %s; cap it with FUSEDRELU_ISA)\n", info.ISA, strings.Join(info.Supported, ", "))
	fmt.Printf("core:     %s (its configuration; override it with FUSEDRELU_CORE)\n", info.Core)
	for _, b := range []struct {
		name string
		b    kernels.Blocking
	}{{"f32", info.F32}, {"f64", info.F64}} {
		fmt.Printf("%s:      tile %d×%d, blocks MC=%d KC=%d NC=%d (%d for ≤ MC rows)\n", b.name, b.b.MR, b.b.NR, b.b.MC, b.b.KC, b.b.NC, b.b.NC1)
	}
	if info.BF16Dot {
		fmt.Println("bf16:     VDPBF16PS tiles (AVX512_BF16; FUSEDRELU_BF16DOT=0 widens to float32 instead)")
	} else {
		fmt.Println("bf16:     widened to float32, the f32 tiles")
	}
	fmt.Printf("\nfused forward (Z = X·W + b, R = ReLU(Z), mask) and backward (dX, dW, db from dR and the mask), %s, %d thread(s):\n\n", *dtype, kernels.Threads())

	// Rows are printed as they are measured, so the table is laid out by
	// hand rather than by a tabwriter.
	fmt.Printf("%16s %16s %16s\n", "M×K×N", "forward GFLOPS", "backward GFLOPS")
	for _, s := range list {
		var fwd, bwd float64
		switch *dtype {
		case "f32":
			fwd, bwd = measure[float32](s, *budget)
		case "f64":
			fwd, bwd = measure[float64](s, *budget)
		default:
			fmt.Fprintf(os.Stderr, "fusedrelu: -dtype %q, want f32 or f64\n", *dtype)
			os.Exit(2)
		}
		fmt.Printf("%16s %16.1f %16.1f\n", fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2]), fwd, bwd)
	}
}

func parseShape(a string) ([3]int, error) {
	var s [3]int
	parts := strings.Split(strings.ReplaceAll(a, "×", "x"), "x")
	if len(parts) != 3 {
		return s, fmt.Errorf("shape %q, want MxKxN such as 64x784x256", a)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v <= 0 || v > 1<<16 {
			return s, fmt.Errorf("shape %q: %q is not a dimension from 1 to 65536", a, p)
		}
		s[i] = v
	}
	return s, nil
}

func size(b int) string {
	switch {
	case b <= 0:
		return "unknown"
	case b >= 1<<20:
		return fmt.Sprintf("%d MiB", b>>20)
	default:
		return fmt.Sprintf("%d KiB", b>>10)
	}
}

func random[T kernels.Float](n int, r *rand.Rand) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64() - 0.5)
	}
	return s
}

// measure returns the forward and backward GFLOPS of shape s: the best of
// several timed runs within the budget, after a warm-up call.
func measure[T kernels.Float](s [3]int, budget time.Duration) (fwd, bwd float64) {
	m, k, n := s[0], s[1], s[2]
	r := rand.New(rand.NewPCG(1, 2))
	x, w, b := random[T](m*k, r), random[T](k*n, r), random[T](n, r)
	mask := kernels.NewMask(m, n)
	fa := &kernels.ForwardArgs[T]{M: m, K: k, N: n, X: x, W: w, Bias: b, R: make([]T, m*n), Mask: mask}
	ba := &kernels.BackwardArgs[T]{M: m, K: k, N: n, X: x, W: w, DR: random[T](m*n, r), Mask: mask,
		DX: make([]T, m*k), DW: make([]T, k*n), DB: make([]T, n)}
	flops := 2 * float64(m) * float64(k) * float64(n)
	return flops / best(budget, func() { kernels.Forward(fa) }), 2 * flops / best(budget, func() { kernels.Backward(ba) })
}

// best returns the shortest time of one call of f, in nanoseconds, over
// batches of calls that each take about a tenth of the budget.
func best(budget time.Duration, f func()) float64 {
	f()
	start := time.Now()
	f()
	one := max(time.Since(start), time.Microsecond)
	reps := max(1, int(budget/10/one))
	bestNs := 0.0
	for end := time.Now().Add(budget); time.Now().Before(end); {
		t0 := time.Now()
		for range reps {
			f()
		}
		ns := float64(time.Since(t0).Nanoseconds()) / float64(reps)
		if bestNs == 0 || ns < bestNs {
			bestNs = ns
		}
	}
	return bestNs
}
