package nn

import (
	"strings"
	"testing"
)

func TestEvaluateChecks(t *testing.T) {
	net, _ := New[float32](1, MLP(4, 8, 4)...)
	x, y := make([]float32, 1024), make([]float32, 1024)
	if msg := panicMsg(func() { net.Evaluate(x, y, 0, MSE) }); msg != "nn: Evaluate of m = 0 examples, want m ≥ 1" {
		t.Errorf("m = 0: panic %q", msg)
	}
	if msg := panicMsg(func() { net.Evaluate(x, y, 1<<62+1, MSE) }); !strings.HasPrefix(msg, "nn: Evaluate of") {
		t.Errorf("m = 2⁶²+1: panic %q", msg)
	}
	if msg := panicMsg(func() { net.Evaluate(x, y[:3], 1, MSE) }); !strings.Contains(msg, "len(y) = 3") {
		t.Errorf("short y: panic %q", msg)
	}
	tr, _ := NewTrainer(net, MSE, SGD{})
	if msg := panicMsg(func() { tr.Step(x, y, 1<<62+1) }); !strings.HasPrefix(msg, "nn: a batch of") {
		t.Errorf("Step, m = 2⁶²+1: panic %q", msg)
	}
	if raceEnabled {
		return
	}
	net.Evaluate(x, y, 100, MSE)
	if a := testing.AllocsPerRun(10, func() { net.Evaluate(x, y, 100, MSE) }); a > 0 {
		t.Errorf("Evaluate allocates %v objects", a)
	}
}
