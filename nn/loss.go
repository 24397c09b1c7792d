package nn

import (
	"fmt"
	"math"

	"github.com/fusedrelu/kernels"
)

// Loss is the cost that training minimises, of the network's output ŷ
// (the last layer's R) against a target y, both m×Out.
//
// Every loss is reduced over a batch by the mean over its examples (not
// the sum, and not the mean over elements): the loss of a batch is
// (1/m)·Σ_examples C, and its gradient is ∂/∂ŷ of that, so that a
// learning rate means the same for any batch size. (For MSE, PyTorch's
// 0.5·((ŷ−y)²).sum(dim=1).mean().)
type Loss uint8

const (
	// MSE is the squared error, C = ½·Σ_j (y_j − ŷ_j)² for one example
	// (summed over the Out outputs), with ∂C/∂ŷ_j = ŷ_j − y_j.
	MSE Loss = 1

	// SoftmaxCrossEntropy treats the outputs as logits:
	// p = softmax(ŷ), C = −Σ_j y_j·log p_j for one example, with
	// ∂C/∂ŷ_j = p_j·Σ_k y_k − y_j (p_j − y_j when the target is a
	// distribution, such as a one-hot row from [OneHot]). It is computed
	// stably, through log-sum-exp about the row's largest logit, in
	// float64.
	SoftmaxCrossEntropy Loss = 2
)

func (l Loss) String() string {
	switch l {
	case MSE:
		return "MSE"
	case SoftmaxCrossEntropy:
		return "SoftmaxCrossEntropy"
	}
	return fmt.Sprintf("Loss(%d)", uint8(l))
}

func (l Loss) valid() bool { return l == MSE || l == SoftmaxCrossEntropy }

// lossGrad returns Σ over the m examples of the loss C of out against y
// (both m×n, tight), and, when grad is not nil, sets grad to scale/m times
// ∂C/∂out: scale is 1 for the gradient of the batch's mean loss, and −lr
// for the fused SGD step.
func lossGrad[T kernels.Float](loss Loss, out, y, grad []T, m, n int, scale float64) float64 {
	s := scale / float64(m)
	total := 0.0
	for r := range m {
		o, t := out[r*n:(r+1)*n], y[r*n:(r+1)*n]
		var g []T
		if grad != nil {
			g = grad[r*n : (r+1)*n]
		}
		switch loss {
		case MSE:
			c := 0.0
			for j := range o {
				d := float64(o[j]) - float64(t[j])
				c += d * d
				if g != nil {
					g[j] = T(s * d)
				}
			}
			total += 0.5 * c
		case SoftmaxCrossEntropy:
			mx := math.Inf(-1)
			for _, v := range o {
				mx = max(mx, float64(v))
			}
			se := 0.0
			for _, v := range o {
				se += math.Exp(float64(v) - mx)
			}
			lse := mx + math.Log(se)
			c, ty := 0.0, 0.0
			for j, v := range o {
				if t[j] != 0 {
					c += float64(t[j]) * (lse - float64(v))
				}
				ty += float64(t[j])
			}
			total += c
			if g != nil {
				for j, v := range o {
					p := math.Exp(float64(v) - lse)
					g[j] = T(s * (p*ty - float64(t[j])))
				}
			}
		default:
			panic(fmt.Sprintf("nn: unknown loss %v", loss))
		}
	}
	return total
}

// argmax returns the index of the largest element of v (the first of
// equals; NaN is never the largest unless every element is NaN).
func argmax[T kernels.Float](v []T) int {
	best := 0
	for j := 1; j < len(v); j++ {
		if v[j] > v[best] || v[best] != v[best] {
			best = j
		}
	}
	return best
}

// matches counts the rows of out (m×n) whose largest element is where
// the row of y has its largest.
func matches[T kernels.Float](out, y []T, m, n int) int {
	c := 0
	for r := range m {
		if argmax(out[r*n:(r+1)*n]) == argmax(y[r*n:(r+1)*n]) {
			c++
		}
	}
	return c
}

// OneHot returns the m×classes matrix whose row r is 1 at labels[r] and
// 0 elsewhere: the targets of [SoftmaxCrossEntropy] for class labels.
// It panics unless classes ≥ 1 and every label is in [0, classes).
func OneHot[T kernels.Float](labels []int, classes int) []T {
	if classes < 1 || classes > maxWidth {
		panic(fmt.Sprintf("nn: OneHot with %d classes, want 1 … %d", classes, maxWidth))
	}
	for r, c := range labels {
		if c < 0 || c >= classes {
			panic(fmt.Sprintf("nn: OneHot: labels[%d] = %d, want 0 ≤ label < %d", r, c, classes))
		}
	}
	y := make([]T, len(labels)*classes)
	for r, c := range labels {
		y[r*classes+c] = 1
	}
	return y
}
