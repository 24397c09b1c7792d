package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

var opShort = map[string]string{"fwd": "fused forward", "bwd": "fused backward", "gemm": "GEMM"}

// writePlot draws GFLOPS against n for the square shapes n×n×n of the
// sweep: a panel per operation (columns) and element type (rows), a line
// per implementation, and the measured FMA peak as a horizontal line
// (bf16: the f32 peak). The bf16 row has no GEMM panel (there is no
// bfloat16 GEMM), just a note in its place. The file's extension (.png or
// .svg) says the format.
func writePlot(file string, rep *report, sweep []int, dts []string) error {
	names := impls(rep.Results)
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(10)
	legend.ThumbnailWidth = vg.Points(20)
	plots := make([][]*plot.Plot, len(dts))
	for i, dt := range dts {
		for j, op := range ops {
			if !slices.Contains(opsFor(dt), op) {
				plots[i] = append(plots[i], nil) // plot.Align leaves its tile empty
				continue
			}
			var l *plot.Legend
			if i == 0 && j == 0 {
				l = &legend
			}
			p, err := panel(rep, names, op, dt, sweep, l)
			if err != nil {
				return err
			}
			plots[i] = append(plots[i], p)
		}
	}
	const legendW = 1.7 * vg.Inch
	w, h := vg.Length(len(ops))*4*vg.Inch+legendW, vg.Length(len(dts))*3.2*vg.Inch
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(filepath.Ext(file)) {
	case ".svg":
		canvas = vgsvg.New(w, h)
	default:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(90))}
	}
	dc := draw.Crop(draw.New(canvas), 0, -legendW, 0, 0)
	lc := draw.Crop(draw.New(canvas), w-legendW, 0, 0, 0)
	legend.YOffs = -vg.Inch / 2
	legend.Draw(lc)
	tiles := draw.Tiles{Rows: len(dts), Cols: len(ops), PadX: vg.Millimeter * 2, PadY: vg.Millimeter * 2,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter * 2}
	cs := plot.Align(plots, tiles, dc)
	note := plot.New().Title.TextStyle
	note.XAlign, note.YAlign = draw.XCenter, draw.YCenter
	for i := range plots {
		for j, p := range plots[i] {
			if p == nil {
				c := cs[i][j]
				c.FillText(note, c.Center(), fmt.Sprintf("%s: no %s variant", opShort[ops[j]], dts[i]))
				continue
			}
			p.Draw(cs[i][j])
		}
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func panel(rep *report, names []string, op, dt string, sweep []int, legend *plot.Legend) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, %s", opShort[op], dt)
	if dt == "bf16" {
		p.Title.Text += " (on the f32 tiles)"
	}
	p.X.Label.Text = "n (shape n×n×n)"
	p.Y.Label.Text = "GFLOPS"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	var ticks []plot.Tick
	for _, n := range sweep {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: strconv.Itoa(n)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = ticks125{}
	p.Add(plotter.NewGrid())

	for i, name := range names {
		var xys plotter.XYs
		for _, n := range sweep {
			for _, r := range rep.Results {
				if r.Impl == name && r.Op == op && r.Dtype == dt && r.M == n && r.K == n && r.N == n && r.Err == "" && r.GFLOPS > 0 {
					xys = append(xys, plotter.XY{X: float64(n), Y: r.GFLOPS})
				}
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		c := implColor(name, i)
		l.Color, s.Color = plotutil.Color(c), plotutil.Color(c)
		l.Width = vg.Points(1.5)
		s.Shape = plotutil.Shape(c)
		if name == "gonum" || name == "openblas" {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l, s)
		if legend != nil {
			legend.Add(legendName(name), l, s)
		}
	}
	if pk := bestPeak(rep.Peaks, peakDtype(dt)); pk.GFLOPS > 0 && len(sweep) > 0 {
		lo, hi := float64(slices.Min(sweep)), float64(slices.Max(sweep))
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: pk.GFLOPS}, {X: hi, Y: pk.GFLOPS}})
		if err != nil {
			return nil, err
		}
		l.Width = vg.Points(1)
		l.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		p.Add(l)
		p.Y.Max = max(p.Y.Max, 1.3*pk.GFLOPS) // room above the line
		if legend != nil {
			legend.Add(fmt.Sprintf("peak, %s FMA loop", pk.ISA), l)
		}
	}
	return p, nil
}

// ticks125 puts ticks at 1, 2 and 5 times the powers of ten, for a log
// axis that spans a decade or two.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	if len(ts) < 2 {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	return ts
}

// implColor gives each implementation the same colour and glyph in
// every plot, whichever paths a run measures.
func implColor(impl string, i int) int {
	switch impl {
	case "avx512", "neon": // the best path: red
		return 0
	case "avx2":
		return 1
	case "generic":
		return 2
	case "openblas": // orange
		return 3
	case "gonum": // purple
		return 4
	}
	return 5 + i
}

func legendName(impl string) string {
	switch impl {
	case "gonum", "openblas":
		return impl
	}
	return "kernels " + impl
}
