package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/fusedrelu/kernels"
)

// result is one measurement: an implementation (a kernel code path, or a
// peer: gonum, openblas), an operation, an element type and a shape.
type result struct {
	Impl    string  `json:"impl"`
	Op      string  `json:"op"`
	Dtype   string  `json:"dtype"`
	M       int     `json:"m"`
	K       int     `json:"k"`
	N       int     `json:"n"`
	Threads int     `json:"threads"`
	timing          // ns_per_op (the best batch), median_ns_per_op, calls
	GFLOPS  float64 `json:"gflops"`   // from the best batch
	PctPeak float64 `json:"pct_peak"` // of the dtype's measured FMA peak (bf16: f32's)
	VsGonum float64 `json:"vs_gonum"` // speed-up over gonum on the same measurement; 0: none
	VsF32   float64 `json:"vs_f32"`   // bf16: speed-up over f32 on the same path, op and shape; 0: none
	// VsOneDNN: a kernels path's speed-up over oneDNN (-tags onednn) on
	// the same op, element type and shape; 0: none.
	VsOneDNN float64 `json:"vs_onednn"`
	Err      string  `json:"error,omitempty"`
}

func (r *result) shape() shape { return shape{r.M, r.K, r.N} }

// report is everything a run measured, as the JSON file holds it.
type report struct {
	Date       string           `json:"date"`
	Command    string           `json:"command"`
	GoVersion  string           `json:"go_version"`
	GOOS       string           `json:"goos"`
	GOARCH     string           `json:"goarch"`
	CPU        string           `json:"cpu"`
	CPUID      string           `json:"cpuid"` // vendor, family, model
	NumCPU     int              `json:"num_cpu"`
	Features   []string         `json:"features"` // golang.org/x/sys/cpu
	Path       kernels.PathInfo `json:"path"`     // the best path's blocking (the default)
	Paths      []string         `json:"paths_measured"`
	Threads    int              `json:"threads"`
	GOMAXPROCS int              `json:"gomaxprocs"`
	OpenBLAS   string           `json:"openblas,omitempty"` // core type and how it was chosen
	OpenBLASCf string           `json:"openblas_config,omitempty"`
	OneDNN     string           `json:"onednn,omitempty"` // version and threading runtime
	Budget     string           `json:"budget"`
	Peaks      []peak           `json:"peaks"`
	Bandwidth  bandwidth        `json:"bandwidth"`
	Results    []result         `json:"results"`
	Tune       *tuneInfo        `json:"tune,omitempty"` // -tune: the candidates (a result's impl is path/candidate)
}

// impls returns the implementations in the results, in their first order.
func impls(rs []result) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.Impl] {
			seen[r.Impl] = true
			out = append(out, r.Impl)
		}
	}
	return out
}

// table lays out the results of one operation and element type: a row a
// shape, and for each implementation measured on them its GFLOPS, % of
// peak and speed-up over gonum (which has none) or, for bf16 (which gonum
// does not have), over f32: bf16 GFLOPS ÷ f32 GFLOPS; and for a kernels
// path measured beside oneDNN, its speed-up over oneDNN.
func table(rs []result, op, dtype string, shapes []shape) [][]string {
	var names []string
	for _, n := range impls(rs) {
		if slices.ContainsFunc(rs, func(r result) bool { return r.Impl == n && r.Op == op && r.Dtype == dtype }) {
			names = append(names, n)
		}
	}
	// ratios are the speed-up columns of implementation n.
	ratios := func(n string) []string {
		var c []string
		switch {
		case dtype == "bf16":
			c = append(c, "×f32")
		case n != "gonum":
			c = append(c, "×gonum")
		}
		if slices.ContainsFunc(rs, func(r result) bool { return r.Impl == n && r.Op == op && r.Dtype == dtype && r.VsOneDNN > 0 }) {
			c = append(c, "×onednn")
		}
		return c
	}
	head := []string{"M×K×N"}
	for _, n := range names {
		head = append(head, n, "%peak")
		head = append(head, ratios(n)...)
	}
	rows := [][]string{head}
	for _, s := range shapes {
		row := []string{s.String()}
		found := false
		for _, n := range names {
			var r *result
			for i := range rs {
				if rs[i].Impl == n && rs[i].Op == op && rs[i].Dtype == dtype && rs[i].shape() == s {
					r = &rs[i]
				}
			}
			cols := ratios(n)
			cells := make([]string, 2+len(cols))
			switch {
			case r == nil:
			case r.Err != "":
				found = true
				cells[0] = "error"
			default:
				found = true
				cells[0] = fmtGFLOPS(r.GFLOPS)
				if r.PctPeak > 0 {
					cells[1] = fmt.Sprintf("%.0f%%", r.PctPeak)
				}
				for i, c := range cols {
					switch {
					case c == "×f32" && r.VsF32 > 0:
						cells[2+i] = fmt.Sprintf("%.2f×", r.VsF32)
					case c == "×gonum" && r.VsGonum > 0:
						cells[2+i] = fmt.Sprintf("%.1f×", r.VsGonum)
					case c == "×onednn" && r.VsOneDNN > 0:
						cells[2+i] = fmt.Sprintf("%.2f×", r.VsOneDNN)
					}
				}
			}
			row = append(row, cells...)
		}
		if found {
			rows = append(rows, row)
		}
	}
	return rows
}

func fmtGFLOPS(g float64) string {
	if g >= 100 {
		return strconv.FormatFloat(g, 'f', 0, 64)
	}
	if g >= 10 {
		return strconv.FormatFloat(g, 'f', 1, 64)
	}
	return strconv.FormatFloat(g, 'f', 2, 64)
}

// writeTable prints rows as text, right-aligned in columns (the first
// left-aligned), or as a Markdown table.
func writeTable(w io.Writer, rows [][]string, markdown bool) {
	if len(rows) == 0 {
		return
	}
	if markdown {
		for i, row := range rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
			if i == 0 {
				seps := make([]string, len(row))
				for j := range seps {
					seps[j] = "---:"
				}
				seps[0] = "---"
				fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
			}
		}
		return
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for j, c := range row {
			width[j] = max(width[j], len([]rune(c)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for j, c := range row {
			pad := strings.Repeat(" ", width[j]-len([]rune(c)))
			switch h := rows[0][j]; {
			case j == 0:
				b.WriteString(c + pad)
			case h == "%peak" || h == "×gonum" || h == "×f32" || h == "×onednn":
				b.WriteString(" " + pad + c)
			default: // an implementation's GFLOPS column starts a group
				b.WriteString("   " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

var csvHeader = []string{"impl", "op", "dtype", "m", "k", "n", "threads", "ns_per_op", "median_ns_per_op", "calls", "gflops", "pct_peak", "vs_gonum", "vs_f32", "vs_onednn", "gbps", "error"}

// writeCSV writes every measurement a row: the peaks (op fma), the
// memory bandwidth (impl memory, op copy or read, in gbps), then the
// results.
func writeCSV(w io.Writer, rep *report) error {
	cw := csv.NewWriter(w)
	f := func(v float64, prec int) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	cw.Write(csvHeader)
	th := strconv.Itoa(rep.Threads)
	for _, p := range rep.Peaks {
		cw.Write([]string{"peak-" + p.ISA, "fma", p.Dtype, "", "", "", "1", "", "", "", f(p.GFLOPS, 2), "", "", "", "", "", ""})
	}
	if rep.Bandwidth.MiB > 0 {
		for _, b := range []struct {
			op string
			v  float64
		}{{"copy", rep.Bandwidth.Copy}, {"read", rep.Bandwidth.Read}} {
			cw.Write([]string{"memory", b.op, "", "", "", "", "1", "", "", "", "", "", "", "", "", f(b.v, 2), ""})
		}
	}
	for _, r := range rep.Results {
		cw.Write([]string{r.Impl, r.Op, r.Dtype, strconv.Itoa(r.M), strconv.Itoa(r.K), strconv.Itoa(r.N), th,
			f(r.Best, 0), f(r.Median, 0), strconv.Itoa(r.Calls), f(r.GFLOPS, 3), f(r.PctPeak, 1), f(r.VsGonum, 2), f(r.VsF32, 3), f(r.VsOneDNN, 3), "", r.Err})
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, rep *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
