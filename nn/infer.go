package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/fusedrelu/kernels"
)

// Softmax writes to the rows of p the softmax of the rows of z, both m×k
// and tight: p_j = exp(z_j − max z) / Σ_i exp(z_i − max z), in float64
// about the row's largest element, so that no logit overflows and every
// row of finite logits sums to 1 within rounding. A row holding +Inf
// shares its probability among its +Inf elements; a row holding NaN
// gives NaN.
//
// p may be z itself (softmax in place); any other overlap of p[:m·k]
// with z[:m·k] panics, as do m < 0, k < 1 and short slices, before
// anything is written.
func Softmax[T kernels.Float](p, z []T, m, k int) {
	switch {
	case m < 0 || k < 1:
		panic(fmt.Sprintf("nn: Softmax of %d rows of %d columns, want m ≥ 0 and k ≥ 1", m, k))
	case !fits(len(z), m, k) || !fits(len(p), m, k):
		panic(fmt.Sprintf("nn: Softmax of %d rows of %d columns: len(p) = %d, len(z) = %d, want ≥ m·k = %d·%d", m, k, len(p), len(z), m, k))
	}
	p, z = p[:m*k], z[:m*k]
	if overlap(p, z) && &p[0] != &z[0] {
		panic("nn: Softmax: p overlaps z without being z (in place, pass the same slice)")
	}
	softmaxRows(p, z, m, k)
}

// softmaxRows is Softmax without the checks. Each row of z is read
// completely before its row of p is written, so p may be z.
func softmaxRows[T kernels.Float](p, z []T, m, k int) {
	for r := range m {
		zr, pr := z[r*k:(r+1)*k], p[r*k:(r+1)*k]
		mx := math.Inf(-1)
		for _, v := range zr {
			mx = max(mx, float64(v)) // max propagates NaN
		}
		if math.IsInf(mx, 1) {
			inf := 0
			for _, v := range zr {
				if math.IsInf(float64(v), 1) {
					inf++
				}
			}
			for j, v := range zr {
				pr[j] = 0
				if math.IsInf(float64(v), 1) {
					pr[j] = T(1 / float64(inf))
				}
			}
			continue
		}
		sum := 0.0
		for _, v := range zr {
			sum += math.Exp(float64(v) - mx)
		}
		for j, v := range zr {
			pr[j] = T(math.Exp(float64(v)-mx) / sum)
		}
	}
}

// Argmax writes to classes[r] the column of the largest element of row r
// of the m×k matrix z (tight): the predicted class of a classifier's
// outputs. Of equal elements the first wins; NaN is never the largest
// unless the whole row is NaN. z is only read. It panics on m < 0, k < 1
// or short slices, before writing.
func Argmax[T kernels.Float](classes []int, z []T, m, k int) {
	switch {
	case m < 0 || k < 1:
		panic(fmt.Sprintf("nn: Argmax of %d rows of %d columns, want m ≥ 0 and k ≥ 1", m, k))
	case len(classes) < m || !fits(len(z), m, k):
		panic(fmt.Sprintf("nn: Argmax of %d rows of %d columns: len(classes) = %d, len(z) = %d, want ≥ m and m·k = %d·%d", m, k, len(classes), len(z), m, k))
	}
	for r := range m {
		classes[r] = argmax(z[r*k : (r+1)*k])
	}
}

// Classify writes to classes[r] the class the network predicts for the
// example in row r of x (m×In, tight): the index of its largest output.
// Like [Network.Predict] it works in chunks of rows and allocates
// nothing in steady state. x is only read. It panics when m < 0, a slice
// is too short, or a layer's W or B was replaced by a slice of another
// length.
func (n *Network[T]) Classify(classes []int, x []T, m int) {
	n.checkInput("Classify", x, m)
	if len(classes) < m {
		panic(fmt.Sprintf("nn: Classify of %d rows: len(classes) = %d, want ≥ %d", m, len(classes), m))
	}
	out := n.Out()
	n.forwardChunks(nil, x, m, func(r0, rows int, o []T) {
		for r := range rows {
			classes[r0+r] = argmax(o[r*out : (r+1)*out])
		}
	})
}

// Probabilities writes to the rows of p (m×Out, tight) the softmax of the
// network's outputs for the examples in the rows of x (m×In, tight): a
// classifier's probability of each class, from its logits. As for
// [Network.Predict], p must not share memory with x or the parameters
// (that panics, before anything is written).
func (n *Network[T]) Probabilities(p, x []T, m int) {
	n.checkIO("Probabilities", p, x, m)
	out := n.Out()
	n.forwardChunks(p, x, m, func(_, rows int, pc []T) {
		softmaxRows(pc, pc, rows, out)
	})
}

// Confusion is a confusion matrix: Counts[t*Classes+p] is the number of
// examples of true class t predicted as class p.
type Confusion struct {
	Classes int
	Counts  []int
}

// NewConfusion returns an empty confusion matrix of the given number of
// classes (≥ 1).
func NewConfusion(classes int) *Confusion {
	if classes < 1 || classes > maxWidth {
		panic(fmt.Sprintf("nn: NewConfusion(%d), want 1 … %d classes", classes, maxWidth))
	}
	return &Confusion{Classes: classes, Counts: make([]int, classes*classes)}
}

// Add counts an example of class label predicted as predicted. It
// panics unless both are in [0, Classes).
func (c *Confusion) Add(label, predicted int) {
	c.Counts[c.index("Add", label, predicted)]++
}

// At returns the number of examples of class label predicted as
// predicted. It panics unless both are in [0, Classes).
func (c *Confusion) At(label, predicted int) int { return c.Counts[c.index("At", label, predicted)] }

// index returns the index in Counts of (label, predicted), and panics,
// naming fn, when either is out of range or Counts is too short.
func (c *Confusion) index(fn string, label, predicted int) int {
	if label < 0 || label >= c.Classes || predicted < 0 || predicted >= c.Classes || len(c.Counts)/c.Classes < c.Classes {
		panic(fmt.Sprintf("nn: Confusion.%s(%d, %d) of %d classes, %d counts: want classes in [0, %d) and Classes² counts",
			fn, label, predicted, c.Classes, len(c.Counts), c.Classes))
	}
	return label*c.Classes + predicted
}

// Total returns the number of examples counted.
func (c *Confusion) Total() int {
	t := 0
	for _, v := range c.Counts {
		t += v
	}
	return t
}

// Correct returns the number of examples predicted as their class (the
// sum of the diagonal).
func (c *Confusion) Correct() int {
	t := 0
	for k := range c.Classes {
		t += c.At(k, k)
	}
	return t
}

// Accuracy returns Correct()/Total(), NaN when nothing was counted.
func (c *Confusion) Accuracy() float64 { return ratio(c.Correct(), c.Total()) }

// Recall returns the fraction of the examples of class k predicted as k,
// NaN when there were none. It panics unless 0 ≤ k < Classes.
func (c *Confusion) Recall(k int) float64 {
	t := 0
	for p := range c.Classes {
		t += c.At(k, p)
	}
	return ratio(c.At(k, k), t)
}

// Precision returns the fraction of the examples predicted as class k
// that are of class k, NaN when none was. It panics unless
// 0 ≤ k < Classes.
func (c *Confusion) Precision(k int) float64 {
	t := 0
	for l := range c.Classes {
		t += c.At(l, k)
	}
	return ratio(c.At(k, k), t)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// String formats the matrix as a table, a row per true class and a
// column per predicted class, with each class's recall at the right.
func (c *Confusion) String() string {
	w := len(fmt.Sprint(c.Classes - 1))
	for _, v := range c.Counts {
		w = max(w, len(fmt.Sprint(v)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s", w+5, "pred:")
	for p := range c.Classes {
		fmt.Fprintf(&b, " %*d", w, p)
	}
	b.WriteString("  recall\n")
	for t := range c.Classes {
		fmt.Fprintf(&b, "true %*d", w, t)
		for p := range c.Classes {
			fmt.Fprintf(&b, " %*d", w, c.At(t, p))
		}
		fmt.Fprintf(&b, "  %6.2f%%\n", 100*c.Recall(t))
	}
	return b.String()
}

// ClassStats is what [Network.EvaluateClasses] measures.
type ClassStats struct {
	Examples int
	// Loss is the mean softmax cross-entropy of the outputs, taken as
	// logits, against the labels: the loss [SoftmaxCrossEntropy] trains
	// with one-hot targets.
	Loss float64
	// Accuracy is the fraction of examples whose largest output is at
	// their label.
	Accuracy  float64
	Confusion *Confusion
}

func (s ClassStats) String() string {
	return fmt.Sprintf("%d examples  loss %.6f  accuracy %.2f%%", s.Examples, s.Loss, 100*s.Accuracy)
}

// EvaluateClasses runs the network, a classifier with an output per
// class, on the m ≥ 1 examples in the rows of x (m×In, tight) and
// compares the class it predicts for each (the largest output) with
// labels[:m]. x and labels are only read. It allocates only the
// confusion matrix. It panics when m <
// 1, a slice is too short, a label is outside [0, Out), or a layer's W or
// B was replaced by a slice of another length; labels read from a file
// are best checked where they are read.
func (n *Network[T]) EvaluateClasses(x []T, labels []int, m int) ClassStats {
	if m < 1 {
		panic(fmt.Sprintf("nn: EvaluateClasses of m = %d examples, want m ≥ 1", m))
	}
	n.checkInput("EvaluateClasses", x, m)
	out := n.Out()
	if len(labels) < m {
		panic(fmt.Sprintf("nn: EvaluateClasses of %d examples: len(labels) = %d, want ≥ %d", m, len(labels), m))
	}
	for r, l := range labels[:m] {
		if l < 0 || l >= out {
			panic(fmt.Sprintf("nn: EvaluateClasses: labels[%d] = %d, want 0 ≤ label < %d (the network's outputs)", r, l, out))
		}
	}
	c := NewConfusion(out)
	total := 0.0
	n.forwardChunks(nil, x, m, func(r0, rows int, o []T) {
		for r := range rows {
			z, l := o[r*out:(r+1)*out], labels[r0+r]
			c.Add(l, argmax(z))
			total += logSumExp(z) - float64(z[l])
		}
	})
	return ClassStats{Examples: m, Loss: total / float64(m), Accuracy: c.Accuracy(), Confusion: c}
}

// logSumExp returns log Σ exp(z_j), computed about the largest element.
func logSumExp[T kernels.Float](z []T) float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, float64(v))
	}
	if math.IsInf(mx, 0) {
		return mx
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}
