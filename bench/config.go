package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fusedrelu/kernels/internal/shapes"
)

// A shape is M×K×N: a batch of M examples through a layer of K inputs and
// N outputs (GEMM: C is M×N, the inner dimension is K).
type shape struct{ M, K, N int }

func (s shape) String() string { return fmt.Sprintf("%dx%dx%d", s.M, s.K, s.N) }

// The standard shapes of the design brief (design.md §5), and the square
// sizes of the sweep that the plot draws.
var (
	standardShapes = func() (out []shape) {
		for _, s := range shapes.Standard {
			out = append(out, shape{s[0], s[1], s[2]})
		}
		return out
	}()
	defaultSweep = []int{64, 128, 192, 256, 384, 512, 768, 1024}

	// -quick: what CI runs, a few seconds of measuring in all.
	quickShapes = []shape{{64, 784, 256}, {32, 256, 256}, {1, 1024, 1024}}
	quickSweep  = []int{64, 128, 256}
)

// The operations measured, with the flops each counts.
var ops = []string{"fwd", "bwd", "gemm"}

var opTitles = map[string]string{
	"fwd":  "fused forward: Z = X·W + b, R = ReLU(Z), mask [Z ≥ 0]; 2·M·K·N flops",
	"bwd":  "fused backward: dX = dZ·Wᵀ, dW = Xᵀ·dZ, db = Σ dZ from dR and the mask; 4·M·K·N flops",
	"gemm": "GEMM: C = X·W; 2·M·K·N flops",
}

// bf16OpTitles say what the bfloat16 layers read and write: the float32
// flops of the same shape. The paths widen bfloat16 to float32 as they
// pack it and run the float32 tiles, but avx512 with AVX512_BF16 where
// the core's class takes the dot tile (kernels.Path().BF16Dot), which
// multiplies pairs of bfloat16 with VDPBF16PS (twice float32's peak on
// AMD's cores; intel-server widens, its VDPBF16PS being no faster).
var bf16OpTitles = map[string]string{
	"fwd": "fused forward (ForwardBF16): X, W bfloat16, b float32 → R bfloat16 and the mask, float32 tiles or, where the class has it (avx512 with AVX512_BF16), the VDPBF16PS tile; 2·M·K·N flops",
	"bwd": "fused backward (BackwardBF16): dR bfloat16 and the mask → dX bfloat16, dW and db float32, float32 tiles or, where the class has it (avx512 with AVX512_BF16), the VDPBF16PS tile; 4·M·K·N flops",
}

func opTitle(op, dtype string) string {
	if dtype == "bf16" {
		return bf16OpTitles[op]
	}
	return opTitles[op]
}

// opsFor returns the operations measured for dtype: bfloat16 has the
// layers (ForwardBF16, BackwardBF16) but no GEMM of its own.
func opsFor(dtype string) []string {
	if dtype == "bf16" {
		return ops[:2]
	}
	return ops
}

// peakDtype is the element type whose FMA peak dtype's figures are a
// percentage of: bfloat16 runs on the float32 tiles, so float32's.
func peakDtype(dtype string) string {
	if dtype == "bf16" {
		return "f32"
	}
	return dtype
}

func flops(op string, s shape) float64 {
	f := 2 * float64(s.M) * float64(s.K) * float64(s.N)
	if op == "bwd" {
		f *= 2
	}
	return f
}

// The element types: bf16 is the bfloat16 layers (ForwardBF16,
// BackwardBF16), on the kernels' paths only.
var dtypes = []string{"f32", "f64", "bf16"}

// quickDtypes are -quick's: float32 and, beside it, bfloat16.
var quickDtypes = []string{"f32", "bf16"}

// tuneDtypes are -tune's: the element types with tiles of their own.
var tuneDtypes = []string{"f32", "f64"}

// config is what the flags ask for, checked.
type config struct {
	shapes  []shape // the standard shapes or -shapes
	sweep   []int   // square sizes
	dtypes  []string
	paths   []string // kernel code paths, each in a worker process
	threads int
	budget  time.Duration // measuring time per measurement
	memMiB  int           // bandwidth test size
	quick   bool
	out     string // CSV and JSON file prefix
	plot    string // PNG or SVG file
	md      bool   // tables in Markdown
	tune    bool   // the tuning report: the core classes' entries on paths[0]
	worker  string // hidden: run as the worker process of this path
}

// all returns the shapes to measure: the chosen shapes, then the sweep's
// squares that are not among them.
func (c *config) all() []shape {
	out := slices.Clone(c.shapes)
	for _, n := range c.sweep {
		s := shape{n, n, n}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// errHelp is returned for -h: print the usage and exit 0.
var errHelp = flag.ErrHelp

// parseFlags parses the command line args (without the program name).
// supported lists the code paths this CPU and build support, best last.
// Errors name the flag and say what it wants; the usage goes to usageOut.
func parseFlags(args []string, supported []string, usageOut io.Writer) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, once
	shapesF := fs.String("shapes", "std", "`shapes` M×K×N, comma-separated (such as 64x784x256,1x1024x1024); std: the design brief's six; or none")
	sweepF := fs.String("sweep", joinInts(defaultSweep), "square `sizes` n (shapes n×n×n) of the sweep that -plot draws, comma-separated, or none")
	dtypeF := fs.String("dtype", "f32", "element `types`, comma-separated: f32, f64, bf16 (the bfloat16 layers: fwd and bwd, on the kernels' paths), or all")
	pathsF := fs.String("paths", "all", "the kernels' code `paths` to measure, comma-separated (supported here: "+strings.Join(supported, ", ")+"), or all")
	threadsF := fs.Int("threads", 1, "GOMAXPROCS (`n`) of every process (the kernels and gonum split a call over that many goroutines), and OpenBLAS's thread count")
	timeF := fs.Duration("time", 200*time.Millisecond, "measuring `time` per measurement (each takes at least 4 calls)")
	quickF := fs.Bool("quick", false, "a quick run for CI: 3 shapes, sweep 64,128,256, -dtype f32,bf16, -time 20ms, a smaller memory test")
	outF := fs.String("out", "", "write every measurement to `prefix`.csv and prefix.json")
	plotF := fs.String("plot", "", "draw GFLOPS against the sweep's sizes into `file` (.png or .svg)")
	mdF := fs.Bool("md", false, "print the tables in Markdown")
	tuneF := fs.Bool("tune", false, "the tuning report: the core classes' table entries (tiles, blocking, route limits) on the best path (or\n"+
		"    \tthe one -paths names), fwd and bwd, -dtype f32,f64, the -shapes (the sweep only if -sweep is given), each beside\n"+
		"    \tthe entry of this core's class: the table's choice; with -quick, -quick's shapes and time")
	workerF := fs.String("worker", "", "") // hidden: the worker process of one code path
	fs.Usage = func() {}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(usageOut, fs)
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: shapes go in -shapes, such as -shapes %s", fs.Arg(0), "64x784x256")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	c := &config{threads: *threadsF, budget: *timeF, quick: *quickF, out: *outF, plot: *plotF, md: *mdF, tune: *tuneF, worker: *workerF, memMiB: 256}
	if c.worker != "" {
		return c, nil
	}
	var err error
	switch {
	case set["shapes"]:
		if c.shapes, err = parseShapes(*shapesF); err != nil {
			return nil, err
		}
	case c.quick:
		c.shapes = quickShapes
	default:
		c.shapes = standardShapes
	}
	switch {
	case set["sweep"]:
		if c.sweep, err = parseSweep(*sweepF); err != nil {
			return nil, err
		}
	case c.tune: // the shapes alone, unless asked
	case c.quick:
		c.sweep = quickSweep
	default:
		c.sweep = defaultSweep
	}
	if len(c.shapes) == 0 && len(c.sweep) == 0 {
		return nil, errors.New("-shapes none and -sweep none leave nothing to measure")
	}
	switch {
	case c.tune && !set["dtype"]:
		c.dtypes = tuneDtypes
	case c.quick && !set["dtype"]:
		c.dtypes = quickDtypes
	default:
		c.dtypes, err = parseList("-dtype", *dtypeF, dtypes, dtypes)
	}
	if err != nil {
		return nil, err
	}
	if c.paths, err = parsePaths(*pathsF, supported); err != nil {
		return nil, err
	}
	if c.tune && !set["paths"] {
		c.paths = c.paths[:1] // the best
	}
	if c.tune && len(c.paths) != 1 {
		return nil, fmt.Errorf("-tune compares the core classes on one path, and -paths names %d (%s)", len(c.paths), strings.Join(c.paths, ", "))
	}
	if c.tune && c.plot != "" {
		return nil, errors.New("-plot draws the size sweep of the paths and peers, not -tune's classes")
	}
	if c.threads < 1 || c.threads > 1024 {
		return nil, fmt.Errorf("-threads %d: want a number of threads from 1 to 1024", c.threads)
	}
	if c.quick {
		c.memMiB = 64
		if !set["time"] {
			c.budget = 20 * time.Millisecond
		}
	}
	if c.budget <= 0 || c.budget > time.Minute {
		return nil, fmt.Errorf("-time %v: want a duration above 0 and at most 1m, such as 200ms", c.budget)
	}
	if c.plot != "" {
		switch strings.ToLower(filepath.Ext(c.plot)) {
		case ".png", ".svg":
		default:
			return nil, fmt.Errorf("-plot %q: want a file name ending in .png or .svg", c.plot)
		}
		if len(c.sweep) == 0 {
			return nil, errors.New("-plot draws the size sweep, and -sweep is none")
		}
	}
	return c, nil
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `bench measures the fused ReLU-layer kernels of github.com/fusedrelu/kernels on
this machine, on every code path the CPU supports, against gonum (and OpenBLAS
and oneDNN when built with -tags openblas, -tags onednn), next to this core's
measured FMA peak.

usage: go run . [flags]

  go run .                                  # everything, f32: about 3 minutes
  go run . -quick                           # a few seconds' worth, f32 and bf16 (CI)
  go run . -dtype f32,f64 -out results -plot results.png
  go run . -dtype f32,bf16                  # bfloat16 layers beside float32 (×f32: their ratio)
  go run . -paths avx2,generic -shapes 64x784x256,1x1024x1024 -sweep none
  go run -tags openblas .                   # with OpenBLAS (apt-get install libopenblas-dev)
  go run -tags onednn . -dtype f32,bf16     # with oneDNN, f32 and bf16 (apt-get install libdnnl-dev)
  go run . -tune                            # the core classes' tiles and limits on this core: a minute or two
  go run . -tune -quick                     # the same, a few seconds' worth (CI)

flags:
`)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == "" { // hidden
			return
		}
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  -%s%s\n    \t%s%s\n", f.Name, name, usage, def)
	})
}

// parseShapes parses -shapes: std, none, or a comma-separated list of
// M×K×N (x or ×).
func parseShapes(v string) ([]shape, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "std", "standard":
		return standardShapes, nil
	case "none", "":
		return nil, nil
	}
	var out []shape
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		parts := strings.Split(strings.ReplaceAll(strings.ToLower(a), "×", "x"), "x")
		if len(parts) != 3 {
			return nil, fmt.Errorf("-shapes: %q is not M×K×N, such as 64x784x256", a)
		}
		var d [3]int
		for i, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 1 || n > 1<<14 {
				return nil, fmt.Errorf("-shapes: %q: %q is not a dimension from 1 to 16384", a, p)
			}
			d[i] = n
		}
		s := shape{d[0], d[1], d[2]}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// parseSweep parses -sweep: none or comma-separated sizes, sorted.
func parseSweep(v string) ([]int, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "none") || v == "" {
		return nil, nil
	}
	var out []int
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 1<<14 {
			return nil, fmt.Errorf("-sweep: %q is not a size from 1 to 16384", p)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// parseList parses a comma-separated list of names from known ("all" for
// all of all), keeping the order of known.
func parseList(flagName, v string, known, all []string) ([]string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "all" {
		return all, nil
	}
	want := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(known, p) {
			return nil, fmt.Errorf("%s: %q is not one of %s", flagName, p, strings.Join(known, ", "))
		}
		want[p] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// knownPaths are the code path names of the kernels (FUSEDRELU_ISA).
var knownPaths = []string{"generic", "avx2", "avx512", "neon"}

// parsePaths parses -paths against the supported paths, and returns them
// best first.
func parsePaths(v string, supported []string) ([]string, error) {
	var want []string
	if strings.EqualFold(strings.TrimSpace(v), "all") {
		want = supported
	} else {
		var err error
		if want, err = parseList("-paths", v, knownPaths, knownPaths); err != nil {
			return nil, err
		}
		for _, p := range want {
			if !slices.Contains(supported, p) {
				return nil, fmt.Errorf("-paths: %s is not supported by this CPU or build (supported: %s)", p, strings.Join(supported, ", "))
			}
		}
	}
	var out []string
	for _, p := range slices.Backward(supported) {
		if slices.Contains(want, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// numCPU is runtime.NumCPU, a variable for the tests.
var numCPU = runtime.NumCPU
