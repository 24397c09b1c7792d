// Command bench measures the fused ReLU-layer kernels of
// github.com/fusedrelu/kernels on this machine, next to what a user would
// pick instead, in one sitting:
//
//	cd bench && go run .              # about 3 minutes: every path, f32
//	go run . -quick                   # a few seconds, f32 and bf16 (CI)
//	go run . -dtype f32,f64 -out results -plot results.png
//	go run . -dtype f32,bf16          # the bfloat16 layers beside float32
//	go run -tags openblas .           # with OpenBLAS too (Debian: libopenblas-dev)
//	go run -tags onednn .             # with oneDNN too (Debian: libdnnl-dev)
//	go run . -tune                    # the tuning report of the core classes' entries
//
// It prints the CPU, its features (golang.org/x/sys/cpu) and the kernels'
// code path; measures this core's FMA peak with a register-only assembly
// loop (AVX-512 and AVX2 on amd64, NEON on arm64, Go elsewhere) and its
// memory bandwidth; then times the fused forward pass, the fused backward
// pass and the GEMM on the design brief's standard shapes and a sweep of
// square sizes, for every code path the CPU supports (each in a worker
// process of its own, since the path is chosen at start-up from
// FUSEDRELU_ISA), for gonum's pure-Go BLAS with the bias and ReLU passes
// a user writes, for OpenBLAS through cgo under -tags openblas, and for
// oneDNN's primitives (f32 and bf16) through cgo under -tags onednn. The
// tables give GFLOPS, the percentage of the measured peak and the
// speed-up over gonum, and with oneDNN each path's speed-up over it,
// measured in the same run; -out writes every measurement as CSV and
// JSON, and -plot draws GFLOPS against size.
//
// -dtype bf16 measures the bfloat16 layers (ForwardBF16, BackwardBF16) on
// the kernels' paths, and oneDNN's bfloat16 primitives under -tags
// onednn: gonum and OpenBLAS have no bfloat16 GEMM here, and there is no
// bfloat16 GEMM to time. The paths widen bfloat16 to float32 as they
// pack it, so bf16's %peak is of the f32 peak, and its tables give ×f32:
// bf16 GFLOPS ÷ f32 GFLOPS of the same path, op and shape.
//
// -tune is the tuning report instead (tune.go): the core classes' table
// entries (tiles, blocking, route limits) on the best path, each in a
// worker with FUSEDRELU_CORE set, on the fused passes, beside the entry of
// this core's class, the table's choice.
//
// Shapes are M×K×N: a batch of M examples through a layer of K inputs and
// N outputs. GFLOPS counts 2·M·K·N flops for the forward pass and the
// GEMM, 4·M·K·N for the backward (dX and dW). Each figure is the best of
// several batches of calls within -time.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fusedrelu/kernels"
	"github.com/klauspost/cpuid/v2"
)

func main() { os.Exit(run(os.Args[1:])) }

// impl is one implementation to measure.
type impl struct {
	name    string
	measure func(request) reply
	bf16    bool // it has the bfloat16 layers (the kernels' paths, oneDNN)
}

// measures reports whether m is measured on op in dtype: bfloat16 has no
// GEMM, and gonum and OpenBLAS (as built here, without sbgemm) have no
// bfloat16 at all, so those are skipped rather than failed.
func (m impl) measures(op, dtype string) bool {
	return slices.Contains(opsFor(dtype), op) && (dtype != "bf16" || m.bf16)
}

// newReport is a report's header: the date, command, Go, CPU, path and
// settings of this run (args: the command's arguments).
func newReport(cfg *config, info kernels.PathInfo, args []string) *report {
	return &report{
		Date:       time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Command:    strings.TrimSpace("bench " + strings.Join(args, " ")),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		CPU:        info.CPU,
		CPUID:      fmt.Sprintf("%s family %d model %d", cpuid.CPU.VendorString, cpuid.CPU.Family, cpuid.CPU.Model),
		NumCPU:     numCPU(),
		Features:   cpuFeatures(),
		Path:       info,
		Paths:      cfg.paths,
		Threads:    cfg.threads,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Budget:     cfg.budget.String(),
	}
}

func run(args []string) int {
	info := kernels.Path()
	cfg, err := parseFlags(args, info.Supported, os.Stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n(go run . -h lists the flags)\n", err)
		return 2
	}
	if cfg.worker != "" {
		if err := workerMain(cfg.worker, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		return 0
	}

	if cfg.tune {
		return runTune(cfg, info)
	}

	runtime.GOMAXPROCS(cfg.threads)
	obCore := openblasSetup() // may run the program again, with OPENBLAS_CORETYPE set
	openblasThreads(cfg.threads)
	onednnThreads(cfg.threads)
	if cfg.threads > numCPU() {
		fmt.Fprintf(os.Stderr, "bench: -threads %d is more than the %d CPUs here\n", cfg.threads, numCPU())
	}

	rep := newReport(cfg, info, args)
	rep.OpenBLAS, rep.OpenBLASCf = obCore, openblasConfig()
	rep.OneDNN = onednnVersion()
	out := os.Stdout
	fmt.Fprintf(out, "bench, %s, %s %s/%s\n", rep.Date, rep.GoVersion, rep.GOOS, rep.GOARCH)
	fmt.Fprintf(out, "CPU:       %s (%s), %d logical CPUs; L1d %s, L2 %s, L3 %s\n", info.CPU, rep.CPUID, rep.NumCPU, size(info.L1D), size(info.L2), size(info.L3))
	fmt.Fprintf(out, "features:  %s\n", strings.Join(rep.Features, " "))
	fmt.Fprintf(out, "path:      %s in use (supported: %s), core class %s (FUSEDRELU_CORE overrides it); measuring %s\n", info.ISA, strings.Join(info.Supported, ", "), info.Core, strings.Join(cfg.paths, ", "))
	fmt.Fprintf(out, "blocking:  f32 tile %d×%d, MC=%d KC=%d NC=%d (%d for ≤ MC rows); f64 tile %d×%d, MC=%d KC=%d NC=%d (%d) (path %s)\n",
		info.F32.MR, info.F32.NR, info.F32.MC, info.F32.KC, info.F32.NC, info.F32.NC1, info.F64.MR, info.F64.NR, info.F64.MC, info.F64.KC, info.F64.NC, info.F64.NC1, info.ISA)
	if info.BF16Dot {
		fmt.Fprintf(out, "bfloat16:  the layers multiply with VDPBF16PS on avx512 (AVX512_BF16: twice the float32 FMA peak; FUSEDRELU_BF16DOT=0 widens instead)\n")
	} else {
		fmt.Fprintf(out, "bfloat16:  widened to float32 and run on the float32 tiles (no VDPBF16PS tile on this path and core class)\n")
	}
	fmt.Fprintf(out, "threads:   %d (GOMAXPROCS=%d in every process: the kernels and gonum's GEMM split a call over that many goroutines)\n", cfg.threads, rep.GOMAXPROCS)
	if haveOpenBLAS {
		fmt.Fprintf(out, "openblas:  core %s; threads: %d; %s\n", obCore, cfg.threads, openblasConfig())
	} else {
		fmt.Fprintf(out, "openblas:  not built in (go run -tags openblas . with Debian's libopenblas-dev)\n")
	}
	if haveOneDNN {
		fmt.Fprintf(out, "onednn:    %s; threads: %d\n", rep.OneDNN, cfg.threads)
	} else {
		fmt.Fprintf(out, "onednn:    not built in (go run -tags onednn . with Debian's libdnnl-dev)\n")
	}

	pr := newProgress(os.Stderr)
	pr.note("measuring the FMA peak")
	rep.Peaks = measurePeaks(max(cfg.budget, 50*time.Millisecond))
	var ps []string
	for _, p := range rep.Peaks {
		ps = append(ps, fmt.Sprintf("%s %s %.1f", p.ISA, p.Dtype, p.GFLOPS))
	}
	pr.note("measuring the memory bandwidth")
	rep.Bandwidth = measureBandwidth(cfg.memMiB, max(cfg.budget, 50*time.Millisecond))
	pr.clear()
	fmt.Fprintf(out, "FMA peak:  %s GFLOPS (one core, register-only loop)\n", strings.Join(ps, ", "))
	fmt.Fprintf(out, "memory:    copy %.1f GB/s (read + written), read %.1f GB/s (one core, %d MiB buffers)\n", rep.Bandwidth.Copy, rep.Bandwidth.Read, rep.Bandwidth.MiB)

	var im []impl
	for _, p := range cfg.paths {
		w, err := startWorker(p, cfg.threads)
		switch {
		case err == nil:
			defer w.close()
			im = append(im, impl{p, w.measure, true})
		case p == info.ISA:
			// Where this program cannot run itself (an emulator without
			// binfmt_misc, say), the path in use is still measured here.
			fmt.Fprintf(os.Stderr, "bench: %v; measuring path %s in this process\n", err, p)
			im = append(im, impl{p, measureKernels, true})
		default:
			fmt.Fprintf(os.Stderr, "bench: %v; skipping path %s\n", err, p)
		}
	}
	im = append(im, impl{"gonum", measureGonum, false})
	if haveOpenBLAS {
		im = append(im, impl{"openblas", measureOpenBLAS, false})
	}
	if haveOneDNN {
		im = append(im, impl{"onednn", measureOneDNN, true})
	}

	shapes := cfg.all()
	total, done := 0, 0
	for _, dt := range cfg.dtypes {
		for _, op := range ops {
			for _, m := range im {
				if m.measures(op, dt) {
					total += len(shapes)
				}
			}
		}
	}
	// Shape by shape and op by op, every element type and implementation
	// one after the other, so that the machine's drift hits alike the
	// figures a table compares: an implementation with gonum, bf16 with
	// f32 (×f32).
	start := time.Now()
	for _, s := range shapes {
		for _, op := range ops {
			for _, dt := range cfg.dtypes {
				for _, m := range im {
					if !m.measures(op, dt) {
						continue
					}
					done++
					label := fmt.Sprintf("%s %s %s %s", op, dt, s, m.name)
					pr.step(done, total, label, nil)
					req := request{Op: op, Dtype: dt, Shape: s, Budget: cfg.budget}
					r := newResult(m.name, req, cfg.threads, m.measure(req))
					pr.step(done, total, label, &r)
					rep.Results = append(rep.Results, r)
				}
			}
		}
	}
	pr.clear()
	fmt.Fprintf(os.Stderr, "bench: %d measurements in %.0fs\n", total, time.Since(start).Seconds())
	derive(rep)

	writeLegend(out, rep, cfg)
	for _, dt := range cfg.dtypes {
		for _, op := range opsFor(dt) {
			if cfg.md {
				fmt.Fprintf(out, "\n%s, %s\n\n", dt, opTitle(op, dt))
			} else {
				fmt.Fprintf(out, "\n%s, %s\n", dt, opTitle(op, dt))
			}
			writeTable(out, table(rep.Results, op, dt, shapes), cfg.md)
		}
	}
	failed := 0
	for _, r := range rep.Results {
		if r.Err != "" {
			failed++
			fmt.Fprintf(os.Stderr, "bench: %s %s %s %s: %s\n", r.Impl, r.Op, r.Dtype, r.shape(), r.Err)
		}
	}

	var wrote []string
	if cfg.out != "" {
		var err error
		if wrote, err = writeOutputs(cfg.out, rep); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	if cfg.plot != "" {
		if err := writePlot(cfg.plot, rep, cfg.sweep, cfg.dtypes); err != nil {
			fmt.Fprintf(os.Stderr, "bench: plot %s: %v\n", cfg.plot, err)
			return 1
		}
		wrote = append(wrote, cfg.plot)
	}
	fmt.Fprintln(out)
	if len(wrote) > 0 {
		fmt.Fprintf(out, "wrote %s\n", strings.Join(wrote, ", "))
	} else {
		fmt.Fprintln(out, "keep the measurements with -out PREFIX (CSV and JSON) and -plot FILE.png")
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// writeLegend prints what the tables' columns mean: the peaks their
// percentages are of (bfloat16's: float32's, since no path multiplies in
// bfloat16), the speed-ups over gonum and, with bf16, over float32.
func writeLegend(out io.Writer, rep *report, cfg *config) {
	var pks []string
	var seen []string
	for _, dt := range cfg.dtypes {
		pd := peakDtype(dt)
		if slices.Contains(seen, pd) {
			continue
		}
		seen = append(seen, pd)
		pk := bestPeak(rep.Peaks, pd)
		pks = append(pks, fmt.Sprintf("%s %.1f GFLOPS (%s loop)", pd, pk.GFLOPS, pk.ISA))
	}
	bf16 := slices.Contains(cfg.dtypes, "bf16")
	if bf16 {
		note := "no path multiplies in bfloat16"
		if rep.Path.BF16Dot {
			note = "VDPBF16PS's peak is twice it"
		}
		pks = append(pks, "bf16 of the f32 peak ("+note+")")
	}
	fmt.Fprintf(out, "\nGFLOPS: the best batch of calls in %v; %%peak: of this core's FMA peak, %s;\n", cfg.budget, strings.Join(pks, ", "))
	if slices.ContainsFunc(cfg.dtypes, func(dt string) bool { return dt != "bf16" }) {
		fmt.Fprintf(out, "×gonum: speed-up over gonum (its GEMMs plus the bias, ReLU and mask passes a user writes)")
		if haveOpenBLAS {
			fmt.Fprintf(out, "; openblas: the same passes over OpenBLAS")
		}
		fmt.Fprintln(out)
	}
	if haveOneDNN {
		fmt.Fprintf(out, "onednn: oneDNN's matmul with the bias and a fused ReLU (R only, no mask), its ReLU backward then inner-product\n")
		fmt.Fprintf(out, "  backward data and weights (+bias), its matmul; ×onednn: a path's speed-up over it (above 1: the kernels are faster)\n")
	}
	if bf16 {
		fmt.Fprintf(out, "bf16: the bfloat16 layers on the kernels' paths (gonum and OpenBLAS have no bfloat16 GEMM here, so no columns);\n")
		if slices.Contains(cfg.dtypes, "f32") {
			fmt.Fprintf(out, "×f32: bf16 GFLOPS ÷ f32 GFLOPS of the same path, op and shape (above 1: bf16 is faster)\n")
		} else {
			fmt.Fprintf(out, "×f32: none (-dtype f32,bf16 measures both and gives bf16 GFLOPS ÷ f32 GFLOPS)\n")
		}
	}
}

func newResult(name string, req request, threads int, rep reply) result {
	r := result{Impl: name, Op: req.Op, Dtype: req.Dtype, M: req.Shape.M, K: req.Shape.K, N: req.Shape.N, Threads: threads, timing: rep.T, Err: rep.Err}
	if r.Err == "" && r.Best > 0 {
		r.GFLOPS = flops(req.Op, req.Shape) / r.Best
	}
	return r
}

// derive fills in each result's percentage of the peak (bf16: of the
// f32 peak), speed-up over gonum and, for bf16, speed-up over f32 on the
// same path, op and shape; and for a kernels path, its speed-up over
// oneDNN on the same op, element type and shape.
func derive(rep *report) {
	gonum, f32, onednn := map[string]float64{}, map[string]float64{}, map[string]float64{}
	key := func(r *result) string { return r.Op + "/" + r.Dtype + "/" + r.shape().String() }
	for _, r := range rep.Results {
		if r.Err != "" || r.Best <= 0 {
			continue
		}
		switch r.Impl {
		case "gonum":
			gonum[key(&r)] = r.Best
		case "onednn":
			onednn[key(&r)] = r.Best
		}
		if r.Dtype == "f32" {
			f32[r.Impl+"/"+key(&r)] = r.Best
		}
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Err != "" || r.Best <= 0 {
			continue
		}
		if pk := bestPeak(rep.Peaks, peakDtype(r.Dtype)); pk.GFLOPS > 0 {
			r.PctPeak = 100 * r.GFLOPS / pk.GFLOPS
		}
		if g := gonum[key(r)]; g > 0 && r.Impl != "gonum" {
			r.VsGonum = g / r.Best
		}
		if d := onednn[key(r)]; d > 0 && slices.Contains(knownPaths, r.Impl) {
			r.VsOneDNN = d / r.Best
		}
		if r.Dtype == "bf16" {
			as32 := *r
			as32.Dtype = "f32"
			if f := f32[r.Impl+"/"+key(&as32)]; f > 0 {
				r.VsF32 = f / r.Best
			}
		}
	}
}

// writeOutputs writes rep as prefix.csv and prefix.json and returns the
// names written.
func writeOutputs(prefix string, rep *report) ([]string, error) {
	var wrote []string
	for _, f := range []struct {
		ext   string
		write func(*os.File, *report) error
	}{{".csv", func(f *os.File, r *report) error { return writeCSV(f, r) }}, {".json", func(f *os.File, r *report) error { return writeJSON(f, r) }}} {
		name := prefix + f.ext
		if err := writeFile(name, rep, f.write); err != nil {
			return wrote, err
		}
		wrote = append(wrote, name)
	}
	return wrote, nil
}

func writeFile(name string, rep *report, write func(*os.File, *report) error) error {
	if dir := filepath.Dir(name); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f, rep); err != nil {
		f.Close()
		return fmt.Errorf("%s: %v", name, err)
	}
	return f.Close()
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

// progress reports on stderr what is being measured: on a terminal, one
// line rewritten in place; elsewhere (CI logs), a line each.
type progress struct {
	f   *os.File
	tty bool
}

func newProgress(f *os.File) *progress {
	st, err := f.Stat()
	return &progress{f: f, tty: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (p *progress) note(s string) {
	if p.tty {
		fmt.Fprintf(p.f, "\r\033[K%s ...", s)
	} else {
		fmt.Fprintf(p.f, "bench: %s\n", s)
	}
}

// step says what measurement i of n is: before it on a terminal, after it
// with its outcome elsewhere.
func (p *progress) step(i, n int, s string, r *result) {
	switch {
	case p.tty && r == nil:
		fmt.Fprintf(p.f, "\r\033[K[%d/%d] %s", i, n, s)
	case !p.tty && r != nil && r.Err != "":
		fmt.Fprintf(p.f, "bench: [%d/%d] %s: error\n", i, n, s)
	case !p.tty && r != nil:
		fmt.Fprintf(p.f, "bench: [%d/%d] %s: %s GFLOPS\n", i, n, s, fmtGFLOPS(r.GFLOPS))
	}
}

func (p *progress) clear() {
	if p.tty {
		fmt.Fprint(p.f, "\r\033[K")
	}
}
