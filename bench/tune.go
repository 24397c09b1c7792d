package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/fusedrelu/kernels"
	"github.com/fusedrelu/kernels/internal/entry"
)

// The tuning report (-tune): the kernels pick a table entry (register
// tiles, blocking, route limits) per core class at start-up (the root
// package's core.go and config_<arch>.go), and FUSEDRELU_CORE=<class>
// makes any class's entry run on any machine with the path's ISA. So
// -tune starts a worker per class on one path, groups the classes whose
// entries are alike (entry.Entry, as each worker reports it), measures
// each group once, interleaved shape by shape and round by round so that
// the machine's drift hits them alike, and prints per op and element type
// a table of the candidates beside the entry of this core's detected
// class: the table's choice.

// tuneRounds is how many rounds each measurement of -tune is split into
// (each a -time/tuneRounds share, the candidates one after the other in
// a rotating order); the best batch of all rounds is the figure.
const tuneRounds = 5

// tuneOps are the operations -tune measures: the layers' passes.
var tuneOps = []string{"fwd", "bwd"}

// candidate is one table entry -tune measures: the classes that share it,
// named after the detected class when it is one of them (the table's
// choice), else after the first.
type candidate struct {
	Name    string      `json:"name"`
	Classes []string    `json:"classes"` // every class whose entry this is, Name first
	Choice  bool        `json:"choice"`  // the entry of this core's detected class
	Entry   entry.Entry `json:"entry"`   // as the worker of Name reports it
	measure func(request) reply
}

// tuneInfo is what -tune's JSON holds beside the results: the path, the
// detected class and the candidates. A result's impl is path/candidate.
type tuneInfo struct {
	Path       string      `json:"path"`
	Detected   string      `json:"detected"`
	Rounds     int         `json:"rounds"`
	Candidates []candidate `json:"candidates"`
}

// gemmOf returns e's configuration for dtype: bfloat16 runs the float32
// tiles.
func gemmOf(e entry.Entry, dtype string) entry.GEMM {
	if dtype == "f64" {
		return e.F64
	}
	return e.F32
}

// sameEntry reports whether two workers run the same configuration.
func sameEntry(a, b entry.Entry) bool {
	return a.ISA == b.ISA && a.F32 == b.F32 && a.F64 == b.F64 && a.BF16Dot == b.BF16Dot
}

// groupClasses returns the distinct entries of the workers' classes, in
// the order of their first class, each named after detected if it is
// one of its classes.
func groupClasses(ws []classWorker, detected string) []candidate {
	var cs []candidate
	for _, w := range ws {
		i := slices.IndexFunc(cs, func(c candidate) bool { return sameEntry(c.Entry, w.entry) })
		if i < 0 {
			cs = append(cs, candidate{Name: w.class, Entry: w.entry, measure: w.measure})
			i = len(cs) - 1
		}
		c := &cs[i]
		c.Classes = append(c.Classes, w.class)
		if w.class == detected {
			c.Name, c.Choice, c.Entry, c.measure = w.class, true, w.entry, w.measure
			c.Classes = append([]string{w.class}, slices.DeleteFunc(c.Classes, func(s string) bool { return s == w.class })...)
		}
	}
	return cs
}

// classWorker is the worker of one class, or a fabricated one in tests.
type classWorker struct {
	class   string
	entry   entry.Entry
	measure func(request) reply
	close   func()
}

// describeLimits says what an entry's route limits are.
func describeLimits(g entry.GEMM) string {
	rows := fmt.Sprintf("rows route for K ≤ %d", g.SmallK)
	if g.RowsBelow > 0 && g.RowsBelow < g.MR {
		rows = fmt.Sprintf("rows route below %d rows or for K ≤ %d", g.RowsBelow, g.SmallK)
	}
	if g.PackedRowsBelow > 0 {
		rows += fmt.Sprintf(", over a PackedW's panels below %d rows", g.PackedRowsBelow)
	}
	s := fmt.Sprintf("%s; A in place up to %d columns", rows, g.DirectMaxACols)
	if !g.DirectA {
		s = rows + "; A packed"
	}
	switch g.DirectB {
	case "none":
		return s + "; B packed"
	case "whole": // the route's own rule for rows 4 KiB apart (route.go: directB)
		return s + fmt.Sprintf("; B in place (whole tiles) up to %d row tiles", g.DirectMaxTiles)
	}
	s += fmt.Sprintf("; B in place (%s) up to %d row tiles, %d when its rows are 4 KiB apart", g.DirectB, g.DirectMaxTiles, g.DirectMax4K)
	if g.DirectMaxLd > 0 {
		s += fmt.Sprintf(", none from %d KiB", g.DirectMaxLd>>10)
	}
	return s
}

// describeCandidate is a line of the candidates' list.
func describeCandidate(c candidate) string {
	name := c.Name
	if len(c.Classes) > 1 {
		name += " (= " + strings.Join(c.Classes[1:], ", ") + ")"
	}
	if c.Choice {
		name += ", the table's choice"
	}
	g32, g64 := c.Entry.F32, c.Entry.F64
	s := fmt.Sprintf("%s: f32 %s MC=%d KC=%d NC=%d, f64 %s MC=%d KC=%d NC=%d; %s",
		name, g32.Tile, g32.MC, g32.KC, g32.NC, g64.Tile, g64.MC, g64.KC, g64.NC, describeLimits(g32))
	if describeLimits(g64) != describeLimits(g32) {
		s += " (f64: " + describeLimits(g64) + ")"
	}
	if c.Entry.BF16Dot {
		return s + "; bf16 on the VDPBF16PS tile"
	}
	return s + "; bf16 widened to f32"
}

// tuneImpl is the impl of candidate c's results: path/name.
func tuneImpl(path string, c candidate) string { return path + "/" + c.Name }

// mergeRounds is the timing of several rounds of one measurement: the
// best batch of all, the median of the rounds' medians, every call.
func mergeRounds(ts []timing) timing {
	var t timing
	var med []float64
	for _, r := range ts {
		if t.Best == 0 || r.Best < t.Best {
			t.Best = r.Best
		}
		med = append(med, r.Median)
		t.Calls += r.Calls
	}
	if len(med) > 0 {
		slices.Sort(med)
		t.Median = med[len(med)/2]
	}
	return t
}

// tuneMeasure measures every candidate on every shape, op and dtype:
// shape by shape, op by op, dtype by dtype, in rounds of budget/rounds
// each, the candidates one after the other in an order that rotates from
// round to round, so that none always runs first (after another process
// has had the caches) and the machine's drift hits them alike. step, when
// not nil, is told of each measurement.
func tuneMeasure(path string, cs []candidate, shapes []shape, dtypes []string, budget time.Duration, rounds, threads int,
	step func(done, total int, label string, r *result)) []result {
	var out []result
	total, done := len(shapes)*len(tuneOps)*len(dtypes)*len(cs)*rounds, 0
	for _, s := range shapes {
		for _, op := range tuneOps {
			for _, dt := range dtypes {
				ts := make([][]timing, len(cs))
				errs := make([]string, len(cs))
				req := request{Op: op, Dtype: dt, Shape: s, Budget: max(budget/time.Duration(rounds), time.Millisecond)}
				for r := range rounds {
					for j := range cs {
						i := (j + r) % len(cs)
						done++
						label := fmt.Sprintf("%s %s %s %s (round %d)", op, dt, s, cs[i].Name, r+1)
						if step != nil {
							step(done, total, label, nil)
						}
						rep := cs[i].measure(req)
						if rep.Err != "" {
							errs[i] = rep.Err
						} else {
							ts[i] = append(ts[i], rep.T)
						}
						if step != nil {
							res := newResult(tuneImpl(path, cs[i]), req, threads, rep)
							step(done, total, label, &res)
						}
					}
				}
				for i, c := range cs {
					res := newResult(tuneImpl(path, c), req, threads, reply{T: mergeRounds(ts[i]), Err: errs[i]})
					out = append(out, res)
				}
			}
		}
	}
	return out
}

// tuneRow is a shape's results of one op and dtype, a candidate each: gf
// their GFLOPS (0 where missing or failed), failed where the measurement
// failed, found whether any was made; best and choice the indices of the
// fastest and of the table's choice among those measured (−1: none).
type tuneRow struct {
	gf           []float64
	failed       []bool
	found        bool
	best, choice int
}

func tuneRowOf(rs []result, path string, cs []candidate, op, dtype string, s shape) tuneRow {
	t := tuneRow{gf: make([]float64, len(cs)), failed: make([]bool, len(cs)), best: -1, choice: -1}
	for i, c := range cs {
		j := slices.IndexFunc(rs, func(r result) bool {
			return r.Impl == tuneImpl(path, c) && r.Op == op && r.Dtype == dtype && r.shape() == s
		})
		if j < 0 {
			continue
		}
		t.found = true
		if rs[j].Err != "" || rs[j].GFLOPS <= 0 {
			t.failed[i] = true
			continue
		}
		t.gf[i] = rs[j].GFLOPS
		if t.best < 0 || t.gf[i] > t.gf[t.best] {
			t.best = i
		}
		if c.Choice {
			t.choice = i
		}
	}
	return t
}

// tuneTable lays out the results of one op and dtype: a row a shape, a
// column a candidate (its name and tile, the table's choice marked) with
// its GFLOPS, the best marked (* in text, bold in Markdown), and best ÷
// choice.
func tuneTable(rs []result, path string, cs []candidate, op, dtype string, shapes []shape, markdown bool) [][]string {
	head := []string{"M×K×N"}
	for _, c := range cs {
		h := c.Name + " " + gemmOf(c.Entry, dtype).Tile
		if c.Choice {
			h += " (choice)"
		}
		head = append(head, h)
	}
	head = append(head, "best/choice")
	rows := [][]string{head}
	for _, s := range shapes {
		t := tuneRowOf(rs, path, cs, op, dtype, s)
		if !t.found {
			continue
		}
		gf, best, choice := t.gf, t.best, t.choice
		cells := make([]string, len(cs))
		for i := range cells {
			if t.failed[i] {
				cells[i] = "error"
			}
		}
		row := []string{s.String()}
		for i, c := range cells {
			switch {
			case c != "":
			case gf[i] == 0:
			case i == best && markdown:
				c = "**" + fmtGFLOPS(gf[i]) + "**"
			case i == best:
				c = fmtGFLOPS(gf[i]) + "*"
			case markdown:
				c = fmtGFLOPS(gf[i])
			default:
				c = fmtGFLOPS(gf[i]) + " " // the digits line up with the best's
			}
			row = append(row, c)
		}
		ratio := ""
		if best >= 0 && choice >= 0 {
			ratio = fmt.Sprintf("%.2f", gf[best]/gf[choice])
		}
		rows = append(rows, append(row, ratio))
	}
	return rows
}

// tuneSummary is the line that sums up a dtype: the geometric mean over
// its shapes and ops of the choice's GFLOPS ÷ the best's, and how often
// each candidate was the best.
func tuneSummary(rs []result, path string, cs []candidate, dtype string, shapes []shape) string {
	wins := make([]int, len(cs))
	logSum, n := 0.0, 0
	choiceName := ""
	for _, c := range cs {
		if c.Choice {
			choiceName = c.Name
		}
	}
	for _, op := range tuneOps {
		for _, s := range shapes {
			t := tuneRowOf(rs, path, cs, op, dtype, s)
			gf, best, choice := t.gf, t.best, t.choice
			if best < 0 {
				continue
			}
			wins[best]++
			if choice >= 0 {
				logSum += math.Log(gf[choice] / gf[best])
				n++
			}
		}
	}
	total := 0
	for _, w := range wins {
		total += w
	}
	if total == 0 {
		return fmt.Sprintf("%s: nothing measured", dtype)
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return wins[b] - wins[a] })
	var tally []string
	for _, i := range order[1:] {
		if wins[i] > 0 {
			tally = append(tally, fmt.Sprintf("%s %d", cs[i].Name, wins[i]))
		}
	}
	most := fmt.Sprintf("best most often: %s (%d of %d)", cs[order[0]].Name, wins[order[0]], total)
	if len(tally) > 0 {
		most += ", then " + strings.Join(tally, ", ")
	}
	if n == 0 {
		return fmt.Sprintf("%s: the table's choice has no figures; %s", dtype, most)
	}
	return fmt.Sprintf("%s: the table's choice (%s) at %.3f of the best (geometric mean of choice ÷ best over %d shapes and ops); %s",
		dtype, choiceName, math.Exp(logSum/float64(n)), n, most)
}

// writeTune prints -tune's tables and summaries.
func writeTune(out io.Writer, rs []result, path string, cs []candidate, cfg *config, shapes []shape) {
	fmt.Fprintf(out, "\nGFLOPS: the best batch of calls in %v, measured in %d rounds with the candidates taking turns; * (Markdown: bold): the row's best;\n",
		cfg.budget, tuneRounds)
	fmt.Fprintf(out, "(choice): the entry of this core's class; best/choice: the best's GFLOPS ÷ the choice's (a few %% either way is noise on a shared machine)\n")
	for _, dt := range cfg.dtypes {
		for _, op := range tuneOps {
			if cfg.md {
				fmt.Fprintf(out, "\n%s, %s\n\n", dt, opTitle(op, dt))
			} else {
				fmt.Fprintf(out, "\n%s, %s\n", dt, opTitle(op, dt))
			}
			writeTable(out, tuneTable(rs, path, cs, op, dt, shapes, cfg.md), cfg.md)
		}
	}
	fmt.Fprintln(out)
	for _, dt := range cfg.dtypes {
		if cfg.md {
			fmt.Fprintf(out, "- %s\n", tuneSummary(rs, path, cs, dt, shapes))
		} else {
			fmt.Fprintln(out, tuneSummary(rs, path, cs, dt, shapes))
		}
	}
}

// runTune is -tune: the core classes' entries on cfg.paths[0].
func runTune(cfg *config, info kernels.PathInfo) int {
	out := os.Stdout
	runtime.GOMAXPROCS(cfg.threads)
	path := cfg.paths[0]
	here := entry.Describe()
	rep := newReport(cfg, info, os.Args[1:])
	fmt.Fprintf(out, "bench -tune, %s, %s %s/%s\n", rep.Date, rep.GoVersion, rep.GOOS, rep.GOARCH)
	fmt.Fprintf(out, "CPU:       %s (%s), %d logical CPUs; L1d %s, L2 %s, L3 %s\n", info.CPU, rep.CPUID, rep.NumCPU, size(info.L1D), size(info.L2), size(info.L3))
	fmt.Fprintf(out, "path:      %s (supported: %s); this core's class: %s (cpuid), whose entry is the table's choice\n", path, strings.Join(info.Supported, ", "), here.Detected)
	if v := os.Getenv("FUSEDRELU_CORE"); v != "" {
		fmt.Fprintf(out, "           (FUSEDRELU_CORE=%s here is not used: -tune sets it per worker)\n", v)
	}
	fmt.Fprintf(out, "threads:   %d (GOMAXPROCS=%d in every worker)\n", cfg.threads, cfg.threads)

	var ws []classWorker
	failed := false
	for _, class := range here.Classes {
		w, err := startWorker(path, cfg.threads, "FUSEDRELU_CORE="+class)
		if err == nil && w.entry.Class != class {
			w.close()
			err = fmt.Errorf("the worker for class %s runs class %s (FUSEDRELU_CORE not honoured?)", class, w.entry.Class)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v; skipping class %s\n", err, class)
			failed = true
			continue
		}
		ws = append(ws, classWorker{class: class, entry: w.entry, measure: w.measure, close: w.close})
	}
	cs := groupClasses(ws, here.Detected)
	for _, w := range ws { // one worker per candidate is enough
		if !slices.ContainsFunc(cs, func(c candidate) bool { return c.Name == w.class }) {
			w.close()
		} else {
			defer w.close()
		}
	}
	fmt.Fprintf(out, "\ncandidates: the core classes' entries on path %s, each measured in a worker (FUSEDRELU_ISA=%s FUSEDRELU_CORE=<class>);\n", path, path)
	fmt.Fprintf(out, "classes with alike entries (tiles, blocking, route limits) are measured once, under one name:\n")
	for _, c := range cs {
		fmt.Fprintf(out, "  %s\n", describeCandidate(c))
	}
	if len(cs) < 2 {
		if failed {
			fmt.Fprintf(out, "\nnothing to compare: the workers of some classes did not start (see above)\n")
			return 1
		}
		fmt.Fprintf(out, "\nnothing to compare: every core class has the same entry on path %s\n", path)
		return 0
	}

	shapes := cfg.all()
	pr := newProgress(os.Stderr)
	start := time.Now()
	rep.Results = tuneMeasure(path, cs, shapes, cfg.dtypes, cfg.budget, tuneRounds, cfg.threads, pr.step)
	pr.clear()
	fmt.Fprintf(os.Stderr, "bench: %d measurements (%d rounds each) in %.0fs\n", len(rep.Results), tuneRounds, time.Since(start).Seconds())
	rep.Tune = &tuneInfo{Path: path, Detected: here.Detected, Rounds: tuneRounds, Candidates: cs}
	writeTune(out, rep.Results, path, cs, cfg, shapes)

	for _, r := range rep.Results {
		if r.Err != "" {
			failed = true
			fmt.Fprintf(os.Stderr, "bench: %s %s %s %s: %s\n", r.Impl, r.Op, r.Dtype, r.shape(), r.Err)
		}
	}
	fmt.Fprintln(out)
	if cfg.out != "" {
		wrote, err := writeOutputs(cfg.out, rep)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(out, "wrote %s\n", strings.Join(wrote, ", "))
	} else {
		fmt.Fprintln(out, "keep the measurements with -out PREFIX (CSV and JSON)")
	}
	if failed {
		return 1
	}
	return 0
}
