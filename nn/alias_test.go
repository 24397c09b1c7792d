package nn

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

// snapshot returns the network's parameters, as a file's bytes.
func snapshot(t *testing.T, net *Network[float32]) []byte {
	t.Helper()
	b, err := net.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStepOwnOutput is the known gap of Step: given the trainer's own
// output buffer (Output) as its x, the forward pass overwrote x before
// the backward pass read it, and the update was computed from the wrong
// inputs, with no error. Step, Gradients and Fit must refuse it, and any
// other buffer the caller can hold (Grad), before writing anything.
func TestStepOwnOutput(t *testing.T) {
	for _, opt := range []Optimizer{SGD{}, Adam{}} {
		net, _ := New[float32](2, MLP(4, 8, 4)...) // In = Out, so that Output(m) fits as x
		tr, _ := NewTrainer(net, MSE, opt)
		const m = 3
		x, y := make([]float32, m*4), make([]float32, m*4)
		for i := range x {
			x[i], y[i] = float32(i%5)-2, float32(i%3)
		}
		tr.Step(x, y, m)
		out := tr.Output(m)
		dW, _ := tr.Grad(1)
		for _, c := range []struct {
			name string
			f    func()
			msg  string
		}{
			{"Step x = Output", func() { tr.Step(out, y, m) }, "x shares memory with the trainer's Output"},
			{"Step y = Output", func() { tr.Step(x, out, m) }, "y shares memory with the trainer's Output"},
			{"Gradients x = Output", func() { tr.Gradients(out[4:], y, 2) }, "x shares memory with the trainer's Output"},
			{"Step x in Grad", func() { tr.Step(dW[:m*4], y, m) }, "x shares memory with the trainer's gradients of layer 1"},
		} {
			params, before, steps := snapshot(t, net), slices.Clone(out), tr.Steps()
			msg := panicMsg(c.f)
			if !strings.HasPrefix(msg, "nn: ") || !strings.Contains(msg, c.msg) {
				t.Errorf("%T %s: panic %q, want one saying %q", opt, c.name, msg, c.msg)
			}
			if !bytes.Equal(snapshot(t, net), params) || !slices.Equal(out, before) || tr.Steps() != steps {
				t.Errorf("%T %s: written to before the panic", opt, c.name)
			}
		}
		params := snapshot(t, net)
		if _, err := tr.Fit(out, y, m, FitConfig{Epochs: 1, NoShuffle: true}); err == nil || !strings.Contains(err.Error(), "x shares memory with the trainer's Output") {
			t.Errorf("%T Fit x = Output: %v", opt, err)
		}
		val := NewDataset(x, out, m)
		if _, err := tr.Fit(x, y, m, FitConfig{Epochs: 1, Validation: val}); err == nil || !strings.Contains(err.Error(), "the validation y shares memory with the trainer's Output") {
			t.Errorf("%T Fit validation y = Output: %v", opt, err)
		}
		if !bytes.Equal(snapshot(t, net), params) {
			t.Errorf("%T Fit: the network changed before the error", opt)
		}
		// A copy is what the caller must pass.
		tr.Step(slices.Clone(out), y, m)
	}
}

// TestRuleErrorsPanics checks the rule of the package documentation on
// the functions that broke it: those with an error result return errors
// (never panic), and those without panic with an "nn: " message instead
// of a runtime error.
func TestRuleErrorsPanics(t *testing.T) {
	net, _ := New[float32](1, MLP(3, 4, 2)...)
	tr, _ := NewTrainer(net, SoftmaxCrossEntropy, Adam{})
	tr.Step(make([]float32, 6), OneHot[float32]([]int{0, 1}, 2), 2)
	var ckpt bytes.Buffer
	if _, err := tr.WriteCheckpoint(&ckpt); err != nil {
		t.Fatal(err)
	}

	// A layer's W replaced by a slice of another length: the checkpoint
	// functions return an error, and write or read nothing.
	w := net.Layer(1).W
	net.Layer(1).W = w[:3]
	var b bytes.Buffer
	if n, err := tr.WriteCheckpoint(&b); err == nil || n != 0 || b.Len() != 0 || !strings.Contains(err.Error(), "len(W) = 3") {
		t.Errorf("WriteCheckpoint of a resized W: %d bytes, %v", n, err)
	}
	if err := tr.ReadCheckpoint(bytes.NewReader(ckpt.Bytes())); err == nil || !strings.Contains(err.Error(), "len(W) = 3") {
		t.Errorf("ReadCheckpoint into a resized W: %v", err)
	}
	net.Layer(1).W = w

	if err := CheckFinite("v", []float64{1}, -1); err == nil {
		t.Error("CheckFinite with cols = -1: no error")
	}
	if _, err := Read[float32](nil); err == nil {
		t.Error("Read(nil): no error")
	}
	if _, err := net.WriteTo(nil); err == nil {
		t.Error("WriteTo(nil): no error")
	}
	if _, err := tr.WriteCheckpoint(nil); err == nil {
		t.Error("WriteCheckpoint(nil): no error")
	}
	if err := tr.ReadCheckpoint(nil); err == nil {
		t.Error("ReadCheckpoint(nil): no error")
	}

	// The network's layers replaced (UnmarshalBinary) under a trainer:
	// Step panics, Fit and the checkpoint functions return an error,
	// instead of running the old buffers against the new shapes.
	other, _ := New[float32](1, MLP(3, 5, 2)...)
	data, _ := other.MarshalBinary()
	shifted := net.Clone()
	str, _ := NewTrainer(shifted, SoftmaxCrossEntropy, Adam{})
	if err := shifted.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	const changed = "the trainer was made for 3→4 ReLU"
	if msg := panicMsg(func() { str.Step(make([]float32, 3), make([]float32, 2), 1) }); !strings.Contains(msg, changed) {
		t.Errorf("Step after UnmarshalBinary: panic %q", msg)
	}
	if _, err := str.Fit(make([]float32, 3), make([]float32, 2), 1, FitConfig{Epochs: 1}); err == nil || !strings.Contains(err.Error(), changed) {
		t.Errorf("Fit after UnmarshalBinary: %v", err)
	}
	if _, err := str.WriteCheckpoint(io.Discard); err == nil || !strings.Contains(err.Error(), changed) {
		t.Errorf("WriteCheckpoint after UnmarshalBinary: %v", err)
	}
	var zero32 Network[float32]
	if msg := panicMsg(func() { zero32.Init(1) }); !strings.HasPrefix(msg, "nn: the network has no layers") {
		t.Errorf("Init of a zero Network: panic %q", msg)
	}
	resized := net.Clone()
	resized.Layer(0).B = nil
	if msg := panicMsg(func() { resized.Init(1) }); !strings.Contains(msg, "len(B) = 0") {
		t.Errorf("Init with a resized B: panic %q", msg)
	}

	var zero Network[float64]
	for _, c := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"Output(m) beyond the largest batch", func() { tr.Output(3) }, "Output(3), want 0 ≤ m ≤ 2"},
		{"Output(-1)", func() { tr.Output(-1) }, "Output(-1)"},
		{"Grad(2)", func() { tr.Grad(2) }, "Grad(2) of a network of 2 layers"},
		{"Grad(-1)", func() { tr.Grad(-1) }, "Grad(-1)"},
		{"OneHot of 0 classes", func() { OneHot[float32]([]int{}, 0) }, "OneHot with 0 classes"},
		{"OneHot of -1 classes", func() { OneHot[float32](nil, -1) }, "OneHot with -1 classes"},
		{"Confusion.At", func() { NewConfusion(3).At(0, 3) }, "Confusion.At(0, 3)"},
		{"Confusion.Recall", func() { NewConfusion(3).Recall(-1) }, "Confusion.At(-1, 0)"},
		{"Confusion.Add, short Counts", func() { (&Confusion{Classes: 3, Counts: make([]int, 8)}).Add(2, 2) }, "8 counts"},
		{"In of a zero Network", func() { zero.In() }, "the network has no layers"},
		{"Out of a zero Network", func() { zero.Out() }, "the network has no layers"},
	} {
		if msg := panicMsg(c.f); !strings.HasPrefix(msg, "nn: ") || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: panic %q, want an nn: one saying %q", c.name, msg, c.msg)
		}
	}
	if _, err := NewTrainer(&zero, MSE, SGD{}); err == nil {
		t.Error("NewTrainer of a zero Network: no error")
	}
}
