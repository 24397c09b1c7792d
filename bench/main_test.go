package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fusedrelu/kernels"
)

var amd64Paths = []string{"generic", "avx2", "avx512"}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags(nil, amd64Paths, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.shapes, standardShapes) || !reflect.DeepEqual(c.sweep, defaultSweep) ||
		!reflect.DeepEqual(c.dtypes, []string{"f32"}) || !reflect.DeepEqual(c.paths, []string{"avx512", "avx2", "generic"}) ||
		c.threads != 1 || c.budget != 200*time.Millisecond || c.out != "" || c.plot != "" || c.memMiB != 256 {
		t.Errorf("defaults: %+v", c)
	}
	// The shapes, then the sweep's squares that are not among them.
	if all := c.all(); len(all) != len(standardShapes)+len(defaultSweep)-1 || all[len(standardShapes)] != (shape{64, 64, 64}) {
		t.Errorf("all() = %v", all)
	}

	c, err = parseFlags([]string{"-quick"}, amd64Paths, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.shapes, quickShapes) || !reflect.DeepEqual(c.sweep, quickSweep) || c.budget != 20*time.Millisecond || c.memMiB != 64 ||
		!reflect.DeepEqual(c.dtypes, []string{"f32", "bf16"}) {
		t.Errorf("-quick: %+v", c)
	}

	// Flags given with -quick win over its defaults.
	c, err = parseFlags([]string{"-quick", "-shapes", "2×3×4, 5x6x7,2x3x4", "-sweep", "256,64,256", "-time", "1ms",
		"-dtype", "f64,f32", "-paths", "generic,avx512", "-threads", "2", "-out", "r", "-plot", "r.SVG", "-md"}, amd64Paths, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := &config{shapes: []shape{{2, 3, 4}, {5, 6, 7}}, sweep: []int{64, 256}, dtypes: []string{"f32", "f64"},
		paths: []string{"avx512", "generic"}, threads: 2, budget: time.Millisecond, memMiB: 64, quick: true, out: "r", plot: "r.SVG", md: true}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}

	c, err = parseFlags([]string{"-dtype", "all", "-shapes", "none", "-paths", "all"}, []string{"generic", "neon"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.dtypes, []string{"f32", "f64", "bf16"}) || c.shapes != nil || !reflect.DeepEqual(c.paths, []string{"neon", "generic"}) {
		t.Errorf("all: %+v", c)
	}

	// -dtype keeps the known order (f32 first, so its tables come before
	// the bf16 tables that give a ratio to them), and wins over -quick's.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-dtype", "bf16"}, []string{"bf16"}},
		{[]string{"-dtype", " BF16 , f32"}, []string{"f32", "bf16"}},
		{[]string{"-quick", "-dtype", "f32"}, []string{"f32"}},
		{[]string{"-quick", "-dtype", "bf16,f64"}, []string{"f64", "bf16"}},
	} {
		c, err := parseFlags(tc.args, amd64Paths, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.dtypes, tc.want) {
			t.Errorf("%q: dtypes %q, want %q", tc.args, c.dtypes, tc.want)
		}
	}
}

// bf16 has the layers, not the GEMM, and only the kernels' paths have it:
// the rest is skipped, not measured into errors.
func TestMeasures(t *testing.T) {
	path, peer := impl{name: "avx512", bf16: true}, impl{name: "gonum"}
	for _, tc := range []struct {
		m         impl
		op, dtype string
		want      bool
	}{
		{path, "fwd", "bf16", true},
		{path, "bwd", "bf16", true},
		{path, "gemm", "bf16", false},
		{path, "gemm", "f32", true},
		{path, "fwd", "f64", true},
		{peer, "fwd", "bf16", false},
		{peer, "bwd", "bf16", false},
		{peer, "gemm", "bf16", false},
		{peer, "gemm", "f32", true},
		{peer, "bwd", "f64", true},
	} {
		if got := tc.m.measures(tc.op, tc.dtype); got != tc.want {
			t.Errorf("%s measures %s %s: %v, want %v", tc.m.name, tc.op, tc.dtype, got, tc.want)
		}
	}
	if got := opsFor("bf16"); !reflect.DeepEqual(got, []string{"fwd", "bwd"}) {
		t.Errorf("opsFor(bf16) = %q", got)
	}
	if peakDtype("bf16") != "f32" || peakDtype("f64") != "f64" {
		t.Error("peakDtype: bf16 is a percentage of the f32 peak, the others of their own")
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-dtype", "f16"}, `-dtype: "f16" is not one of f32, f64, bf16`},
		{[]string{"-quick", "-dtype", "f32,bf8"}, `-dtype: "bf8" is not one of f32, f64, bf16`},
		{[]string{"-shapes", "64x784"}, `-shapes: "64x784" is not M×K×N`},
		{[]string{"-shapes", "0x1x1"}, `"0" is not a dimension from 1 to 16384`},
		{[]string{"-shapes", "axbxc"}, `"a" is not a dimension`},
		{[]string{"-sweep", "64,-1"}, `-sweep: "-1" is not a size`},
		{[]string{"-paths", "sse"}, `-paths: "sse" is not one of generic, avx2, avx512, neon`},
		{[]string{"-paths", "neon"}, "-paths: neon is not supported by this CPU or build (supported: generic, avx2, avx512)"},
		{[]string{"-threads", "0"}, "-threads 0: want a number of threads from 1 to 1024"},
		{[]string{"-threads", "x"}, `invalid value "x" for flag -threads`},
		{[]string{"-time", "0s"}, "-time 0s: want a duration above 0"},
		{[]string{"-time", "2h"}, "-time 2h0m0s"},
		{[]string{"-plot", "x.jpg"}, `-plot "x.jpg": want a file name ending in .png or .svg`},
		{[]string{"-plot", "x.png", "-sweep", "none"}, "-plot draws the size sweep, and -sweep is none"},
		{[]string{"-shapes", "none", "-sweep", "none"}, "leave nothing to measure"},
		{[]string{"64x784x256"}, `unexpected argument "64x784x256": shapes go in -shapes`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		_, err := parseFlags(tc.args, amd64Paths, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestUsage(t *testing.T) {
	var b bytes.Buffer
	_, err := parseFlags([]string{"-h"}, amd64Paths, &b)
	if err != errHelp {
		t.Fatalf("-h: error %v, want errHelp", err)
	}
	u := b.String()
	for _, f := range []string{"-shapes", "-sweep", "-dtype", "-paths", "-threads", "-time", "-quick", "-out prefix", "-plot file", "-md", "-dtype types", "-time time", "supported here: generic, avx2, avx512", "bf16", "-dtype f32,bf16"} {
		if !strings.Contains(u, f) {
			t.Errorf("usage lacks %q:\n%s", f, u)
		}
	}
	if strings.Contains(u, "worker") {
		t.Errorf("usage shows the hidden -worker flag:\n%s", u)
	}
}

func sampleReport() *report {
	rep := &report{Threads: 1,
		Peaks:     []peak{{"avx512", "f32", 100}, {"avx2", "f32", 99.5}, {"avx512", "f64", 50}},
		Bandwidth: bandwidth{MiB: 256, Copy: 20, Read: 25},
		Results: []result{
			{Impl: "avx512", Op: "fwd", Dtype: "f32", M: 2, K: 3, N: 4, Threads: 1, timing: timing{Best: 2, Median: 3, Calls: 10}},
			{Impl: "gonum", Op: "fwd", Dtype: "f32", M: 2, K: 3, N: 4, Threads: 1, timing: timing{Best: 8, Median: 9, Calls: 5}},
			{Impl: "avx512", Op: "bwd", Dtype: "f32", M: 2, K: 3, N: 4, Threads: 1, Err: "boom, with a comma"},
			{Impl: "avx512", Op: "fwd", Dtype: "bf16", M: 2, K: 3, N: 4, Threads: 1, timing: timing{Best: 4, Median: 5, Calls: 7}},
			{Impl: "avx512", Op: "bwd", Dtype: "bf16", M: 2, K: 3, N: 4, Threads: 1, timing: timing{Best: 3, Median: 3, Calls: 8}},
			{Impl: "onednn", Op: "fwd", Dtype: "f32", M: 2, K: 3, N: 4, Threads: 1, timing: timing{Best: 3, Median: 4, Calls: 6}},
		},
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Err == "" {
			r.GFLOPS = flops(r.Op, r.shape()) / r.Best
		}
	}
	derive(rep)
	return rep
}

func TestDerive(t *testing.T) {
	rep := sampleReport()
	r, g := rep.Results[0], rep.Results[1]
	if r.GFLOPS != 24 || r.PctPeak != 24 || r.VsGonum != 4 || g.VsGonum != 0 || g.PctPeak != 6 || r.VsF32 != 0 || g.VsF32 != 0 {
		t.Errorf("derived %+v, %+v", r, g)
	}
	// bf16: of the f32 peak, as fast as f32 on the same path, op and
	// shape (fwd: half as fast); no f32 to compare (bwd failed), no ratio;
	// gonum has no bf16.
	h, hb := rep.Results[3], rep.Results[4]
	if h.GFLOPS != 12 || h.PctPeak != 12 || h.VsF32 != 0.5 || h.VsGonum != 0 {
		t.Errorf("derived bf16 fwd %+v", h)
	}
	if hb.GFLOPS != 32 || hb.PctPeak != 32 || hb.VsF32 != 0 || hb.VsGonum != 0 {
		t.Errorf("derived bf16 bwd %+v", hb)
	}
	// oneDNN: a path's speed-up over it, none for the peers (gonum's
	// VsGonum stays a peer's only ratio).
	if d := rep.Results[5]; r.VsOneDNN != 1.5 || g.VsOneDNN != 0 || d.VsOneDNN != 0 || d.VsGonum != 8.0/3 || h.VsOneDNN != 0 {
		t.Errorf("derived oneDNN ratios: path %v, gonum %v, onednn %+v, bf16 %v", r.VsOneDNN, g.VsOneDNN, d, h.VsOneDNN)
	}
	if p := bestPeak(rep.Peaks, "f32"); p != (peak{"avx512", "f32", 100}) {
		t.Errorf("bestPeak = %+v", p)
	}
	// Within 2%, the first loop (the widest unit) names the peak.
	if p := bestPeak([]peak{{"avx512", "f32", 99}, {"avx2", "f32", 100}}, "f32"); p != (peak{"avx512", "f32", 100}) {
		t.Errorf("bestPeak = %+v", p)
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := writeCSV(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		csvHeader,
		{"peak-avx512", "fma", "f32", "", "", "", "1", "", "", "", "100.00", "", "", "", "", "", ""},
		{"peak-avx2", "fma", "f32", "", "", "", "1", "", "", "", "99.50", "", "", "", "", "", ""},
		{"peak-avx512", "fma", "f64", "", "", "", "1", "", "", "", "50.00", "", "", "", "", "", ""},
		{"memory", "copy", "", "", "", "", "1", "", "", "", "", "", "", "", "", "20.00", ""},
		{"memory", "read", "", "", "", "", "1", "", "", "", "", "", "", "", "", "25.00", ""},
		{"avx512", "fwd", "f32", "2", "3", "4", "1", "2", "3", "10", "24.000", "24.0", "4.00", "", "1.500", "", ""},
		{"gonum", "fwd", "f32", "2", "3", "4", "1", "8", "9", "5", "6.000", "6.0", "", "", "", "", ""},
		{"avx512", "bwd", "f32", "2", "3", "4", "1", "", "", "0", "", "", "", "", "", "", "boom, with a comma"},
		{"avx512", "fwd", "bf16", "2", "3", "4", "1", "4", "5", "7", "12.000", "12.0", "", "0.500", "", "", ""},
		{"avx512", "bwd", "bf16", "2", "3", "4", "1", "3", "3", "8", "32.000", "32.0", "", "", "", "", ""},
		{"onednn", "fwd", "f32", "2", "3", "4", "1", "3", "4", "6", "16.000", "16.0", "2.67", "", "", "", ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("CSV:\n%q\nwant\n%q", rows, want)
	}
}

func TestJSON(t *testing.T) {
	rep := sampleReport()
	var b bytes.Buffer
	if err := writeJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"ns_per_op": 2`, `"median_ns_per_op": 3`, `"vs_gonum": 4`, `"error": "boom, with a comma"`, `"copy_gbps": 20`, `"dtype": "bf16"`, `"vs_f32": 0.5`, `"vs_onednn": 1.5`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b.String())
		}
	}
	var back report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Results, rep.Results) || !reflect.DeepEqual(back.Peaks, rep.Peaks) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", back.Results, rep.Results)
	}
}

func TestTable(t *testing.T) {
	rep := sampleReport()
	rows := table(rep.Results, "fwd", "f32", []shape{{2, 3, 4}, {9, 9, 9}})
	want := [][]string{
		{"M×K×N", "avx512", "%peak", "×gonum", "×onednn", "gonum", "%peak", "onednn", "%peak", "×gonum"},
		{"2x3x4", "24.0", "24%", "4.0×", "1.50×", "6.00", "6%", "16.0", "16%", "2.7×"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("table = %q, want %q", rows, want)
	}
	var b bytes.Buffer
	writeTable(&b, rows, false)
	if got := b.String(); got != "M×K×N   avx512 %peak ×gonum ×onednn   gonum %peak   onednn %peak ×gonum\n2x3x4     24.0   24%   4.0×   1.50×    6.00    6%     16.0   16%   2.7×\n" {
		t.Errorf("text table:\n%s", got)
	}
	b.Reset()
	writeTable(&b, rows, true)
	if got := b.String(); got != "| M×K×N | avx512 | %peak | ×gonum | ×onednn | gonum | %peak | onednn | %peak | ×gonum |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n| 2x3x4 | 24.0 | 24% | 4.0× | 1.50× | 6.00 | 6% | 16.0 | 16% | 2.7× |\n" {
		t.Errorf("markdown table:\n%s", got)
	}
	if rows := table(rep.Results, "bwd", "f32", []shape{{2, 3, 4}}); rows[1][1] != "error" {
		t.Errorf("error row: %q", rows)
	}

	// bf16: the paths measured on it (no gonum), with ×f32 in place of
	// ×gonum, empty where f32 has no figure.
	rows = table(rep.Results, "fwd", "bf16", []shape{{2, 3, 4}, {9, 9, 9}})
	want = [][]string{
		{"M×K×N", "avx512", "%peak", "×f32"},
		{"2x3x4", "12.0", "12%", "0.50×"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("bf16 table = %q, want %q", rows, want)
	}
	b.Reset()
	writeTable(&b, rows, false)
	if got := b.String(); got != "M×K×N   avx512 %peak  ×f32\n2x3x4     12.0   12% 0.50×\n" {
		t.Errorf("bf16 text table:\n%s", got)
	}
	if rows := table(rep.Results, "bwd", "bf16", []shape{{2, 3, 4}}); !reflect.DeepEqual(rows[1], []string{"2x3x4", "32.0", "32%", ""}) {
		t.Errorf("bf16 table without f32: %q", rows)
	}
	if rows := table(rep.Results, "gemm", "bf16", []shape{{2, 3, 4}}); len(rows) != 1 || len(rows[0]) != 1 {
		t.Errorf("bf16 GEMM table: %q, want the header alone", rows)
	}
}

// The legend above the tables says what bf16's %peak and ×f32 are.
func TestLegend(t *testing.T) {
	rep := sampleReport()
	var b bytes.Buffer
	writeLegend(&b, rep, &config{dtypes: []string{"f32", "bf16"}, budget: time.Millisecond})
	got := b.String()
	for _, s := range []string{"f32 100.0 GFLOPS (avx512 loop), bf16 of the f32 peak (no path multiplies in bfloat16);", "×f32: bf16 GFLOPS ÷ f32 GFLOPS of the same path, op and shape", "no bfloat16 GEMM", "×gonum: speed-up over gonum"} {
		if !strings.Contains(got, s) {
			t.Errorf("legend lacks %q:\n%s", s, got)
		}
	}
	b.Reset()
	writeLegend(&b, rep, &config{dtypes: []string{"bf16"}, budget: time.Millisecond})
	if got := b.String(); !strings.Contains(got, "f32 100.0 GFLOPS (avx512 loop), bf16 of the f32 peak") || !strings.Contains(got, "×f32: none") || strings.Contains(got, "×gonum") {
		t.Errorf("bf16 alone:\n%s", got)
	}
	b.Reset()
	writeLegend(&b, rep, &config{dtypes: []string{"f32", "f64"}, budget: time.Millisecond})
	if got := b.String(); strings.Contains(got, "bf16") || !strings.Contains(got, "f32 100.0 GFLOPS (avx512 loop), f64 50.0 GFLOPS (avx512 loop);") || !strings.Contains(got, "×gonum: speed-up over gonum") {
		t.Errorf("without bf16:\n%s", got)
	}
}

// The plot draws a bf16 row with an empty GEMM tile.
func TestPlot(t *testing.T) {
	rep := sampleReport()
	for _, r := range slices.Clone(rep.Results) {
		if r.Err == "" {
			r.M, r.K, r.N = 64, 64, 64
			rep.Results = append(rep.Results, r)
		}
	}
	file := t.TempDir() + "/p.svg"
	if err := writePlot(file, rep, []int{64}, []string{"f32", "bf16"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"fused forward, bf16 (on the f32 tiles)", "GEMM: no bf16 variant", "fused backward, f32"} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("the plot lacks %q", s)
		}
	}
}

// The peers compute what the kernels compute, so that the speed-ups
// compare like with like.
func TestPeersMatchKernels(t *testing.T) {
	for _, s := range []shape{{1, 1, 1}, {7, 13, 5}, {33, 17, 65}} {
		for _, op := range ops {
			ok, pe := newOperands[float64](s), newOperands[float64](s)
			fk, err := kernelsFunc(op, ok)
			if err != nil {
				t.Fatal(err)
			}
			fp, err := blasFunc(op, pe, gonumDgemm)
			if err != nil {
				t.Fatal(err)
			}
			fk()
			fp()
			check := func(name string, got, want []float64) {
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-12*float64(s.K+s.M+s.N) {
						t.Fatalf("%s %v: %s[%d] = %v (gonum), %v (kernels)", op, s, name, i, got[i], want[i])
					}
				}
			}
			switch op {
			case "fwd", "gemm":
				check("R", pe.r, ok.r)
			case "bwd":
				check("dX", pe.dx, ok.dx)
				check("dW", pe.dw, ok.dw)
				check("db", pe.db, ok.db)
			}
		}
	}
}

// The bf16 measurements run the bfloat16 layers on what they claim to
// (FromBF16 of the operands, the float32 bias): ForwardBF16's R is the
// float32 forward pass's R rounded, BackwardBF16's dW, db and (rounded)
// dX are the float32 backward pass's, on the same path; where the layers
// multiply with VDPBF16PS (kernels.Path().BF16Dot), whose sums round
// otherwise, db is, and R, dX and dW are within rounding of them (a
// float32 sum's 10⁻⁵, a bfloat16 rounding's 2⁻⁸ after it).
func TestBF16Layers(t *testing.T) {
	near := func(got, want float32, rel float64) bool {
		return math.Abs(float64(got-want)) <= rel*(1+math.Abs(float64(want)))
	}
	wide := func(h []kernels.BF16) []float32 {
		f := make([]float32, len(h))
		kernels.FromBF16(f, h)
		return f
	}
	round := func(f []float32) []kernels.BF16 {
		h := make([]kernels.BF16, len(f))
		kernels.ToBF16(h, f)
		return h
	}
	for _, s := range []shape{{1, 1, 1}, {7, 13, 5}, {33, 17, 65}} {
		o := newOperands[float32](s)
		h := newBF16Operands(o)
		for _, op := range []string{"fwd", "bwd"} {
			f, err := bf16LayerFunc(op, o, h)
			if err != nil {
				t.Fatal(err)
			}
			f()
		}
		m, k, n := s.M, s.K, s.N
		x, w, dr := wide(h.x), wide(h.w), wide(h.dr)
		r, mask := make([]float32, m*n), kernels.NewMask(m, n)
		kernels.Forward(&kernels.ForwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, Bias: o.b, R: r, Mask: mask})
		dx, dw, db := make([]float32, m*k), make([]float32, k*n), make([]float32, n)
		kernels.Backward(&kernels.BackwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: mask, DX: dx, DW: dw, DB: db})
		for _, c := range []struct {
			name      string
			got, want any
		}{{"R", h.r, round(r)}, {"dX", h.dx, round(dx)}, {"dW", o.dw, dw}, {"dB", o.db, db}} {
			if !kernels.Path().BF16Dot || c.name == "dB" {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%v: bf16 %s = %v, want %v", s, c.name, c.got, c.want)
				}
				continue
			}
			switch got := c.got.(type) {
			case []float32:
				for i, w := range c.want.([]float32) {
					if !near(got[i], w, 1e-5) {
						t.Errorf("%v: bf16 %s[%d] = %v, want %v within 1e-5", s, c.name, i, got[i], w)
					}
				}
			case []kernels.BF16:
				for i, w := range c.want.([]kernels.BF16) {
					if !near(got[i].Float32(), w.Float32(), 1.0/128) {
						t.Errorf("%v: bf16 %s[%d] = %v, want %v within 2⁻⁷", s, c.name, i, got[i].Float32(), w.Float32())
					}
				}
			}
		}
	}
	if _, err := kernelsBF16Func("gemm", newOperands[float32](shape{1, 1, 1})); err == nil {
		t.Error("a bf16 GEMM was measured")
	}
}

func TestTimeIt(t *testing.T) {
	n := 0
	tm := timeIt(time.Millisecond, func() { n++ })
	if tm.Calls < 3 || n != tm.Calls+1 || tm.Best <= 0 || tm.Median < tm.Best {
		t.Errorf("timeIt: %+v after %d calls", tm, n)
	}
}

func TestSum(t *testing.T) {
	for n := range 20 {
		s := make([]uint64, n)
		want := uint64(0)
		for i := range s {
			s[i] = uint64(i * i)
			want += s[i]
		}
		if got := sum(s); got != want {
			t.Errorf("sum of %d = %d, want %d", n, got, want)
		}
	}
}

func TestPeaksAndBandwidth(t *testing.T) {
	ps := measurePeaks(time.Millisecond)
	if len(ps) == 0 {
		t.Fatal("no peaks")
	}
	for _, p := range ps {
		if !(p.GFLOPS > 0) || !slices.Contains(dtypes, p.Dtype) {
			t.Errorf("peak %+v", p)
		}
	}
	if b := measureBandwidth(1, time.Millisecond); !(b.Copy > 0 && b.Read > 0) {
		t.Errorf("bandwidth %+v", b)
	}
}

// The worker answers requests for the path it runs, and refuses to run
// as another path's worker.
func TestWorker(t *testing.T) {
	path := kernels.Path().ISA
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	enc.Encode(request{Op: "fwd", Dtype: "f32", Shape: shape{3, 4, 5}, Budget: time.Millisecond})
	enc.Encode(request{Op: "nope", Dtype: "f32", Shape: shape{3, 4, 5}, Budget: time.Millisecond})
	enc.Encode(request{Op: "gemm", Dtype: "f16", Shape: shape{3, 4, 5}, Budget: time.Millisecond})
	enc.Encode(request{Op: "bwd", Dtype: "bf16", Shape: shape{3, 4, 5}, Budget: time.Millisecond})
	enc.Encode(request{Op: "gemm", Dtype: "bf16", Shape: shape{3, 4, 5}, Budget: time.Millisecond})
	var out bytes.Buffer
	if err := workerMain(path, &in, &out); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	var h hello
	var r1, r2, r3, r4, r5 reply
	for _, v := range []any{&h, &r1, &r2, &r3, &r4, &r5} {
		if err := dec.Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	if h.ISA != path || r1.Err != "" || r1.T.Calls < 3 || r2.Err != `unknown op "nope"` || r3.Err != `unknown dtype "f16"` {
		t.Errorf("worker: %+v %+v %+v %+v", h, r1, r2, r3)
	}
	if r4.Err != "" || r4.T.Calls < 3 || !strings.Contains(r5.Err, "no bf16 gemm") {
		t.Errorf("worker, bf16: %+v %+v", r4, r5)
	}
	if err := workerMain("elsewhere", strings.NewReader(""), io.Discard); err == nil {
		t.Error("a worker for another path did not refuse")
	}
}

func TestOpenBLASWantCore(t *testing.T) {
	avx512 := map[string]bool{"avx512f": true, "avx512cd": true, "avx512bw": true, "avx512dq": true, "avx512vl": true, "avx2": true, "fma": true}
	avx2 := map[string]bool{"avx2": true, "fma": true}
	for _, tc := range []struct {
		core string
		f    map[string]bool
		want string
	}{
		{"Prescott", avx512, "SkylakeX"},
		{"Haswell", avx512, "SkylakeX"},
		{"Zen", avx512, "SkylakeX"},
		{"SkylakeX", avx512, ""},
		{"Cooperlake", avx512, ""},
		{"Prescott", avx2, "Haswell"},
		{"Sandybridge", avx2, "Haswell"},
		{"Zen", avx2, ""},
		{"Haswell", avx2, ""},
		{"Prescott", map[string]bool{"sse3": true}, ""},
	} {
		if got := openblasWantCore(tc.core, tc.f); got != tc.want {
			t.Errorf("openblasWantCore(%s, %v) = %q, want %q", tc.core, tc.f, got, tc.want)
		}
	}
}
