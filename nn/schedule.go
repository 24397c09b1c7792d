package nn

import (
	"fmt"
	"math"
)

// A Schedule scales an optimiser's learning rate step by step: the step
// that a [Trainer] takes when it has taken t steps before (t = 0 for its
// first) uses the learning rate LR × Factor(t), LR being the optimiser's.
// The step count is the trainer's: it goes on across calls of Fit and
// Step, is saved in checkpoints, and returns to 0 on [Trainer.Reset]. So a
// schedule is a function of the step alone and a checkpoint need not
// hold it (a resumed trainer is given the same schedule again).
//
// Set one in an optimiser's Schedule field; nil is the constant factor 1.
// Schedules compose: [Warmup] runs another after its warm-up steps.
//
// A factor must be finite and ≥ 0: [Trainer.Step] panics on another
// (a programming error), and [Trainer.Fit] returns an error naming the
// step. The constructors below panic on arguments out of their ranges.
type Schedule interface {
	Factor(step int) float64
}

// ScheduleFunc is a user-supplied schedule: the factor of the
// learning rate at step t (counted from 0).
//
//	nn.Adam{LR: 1e-3, Schedule: nn.ScheduleFunc(func(t int) float64 {
//		return 1 / math.Sqrt(1+float64(t)/1000) // inverse square root decay
//	})}
type ScheduleFunc func(step int) float64

// Factor returns f(step).
func (f ScheduleFunc) Factor(step int) float64 { return f(step) }

type constant float64

func (c constant) Factor(int) float64 { return float64(c) }

// Constant returns the schedule whose factor is always factor (≥ 0,
// finite): the default is Constant(1).
func Constant(factor float64) Schedule {
	if !finite(factor) || factor < 0 {
		panic(fmt.Sprintf("nn: Constant(%v), want a finite factor ≥ 0", factor))
	}
	return constant(factor)
}

type stepDecay struct {
	every int
	gamma float64
}

func (s stepDecay) Factor(t int) float64 { return math.Pow(s.gamma, float64(t/s.every)) }

// StepDecay returns the schedule that multiplies the factor by gamma
// every `every` steps: gamma^⌊t/every⌋ (PyTorch's StepLR, counted in
// steps rather than epochs: an epoch of n examples in batches of b is
// ⌈n/b⌉ steps). It panics unless every ≥ 1 and 0 ≤ gamma is finite.
func StepDecay(every int, gamma float64) Schedule {
	if every < 1 || !finite(gamma) || gamma < 0 {
		panic(fmt.Sprintf("nn: StepDecay(%d, %v), want every ≥ 1 and a finite gamma ≥ 0", every, gamma))
	}
	return stepDecay{every, gamma}
}

type cosine struct {
	steps int
	floor float64
}

func (c cosine) Factor(t int) float64 {
	if t >= c.steps {
		return c.floor
	}
	return c.floor + (1-c.floor)*0.5*(1+math.Cos(math.Pi*float64(t)/float64(c.steps)))
}

// Cosine returns the cosine annealing schedule from 1 down to floor over
// `steps` steps, then floor (PyTorch's CosineAnnealingLR with
// η_min = floor·LR, without restarts):
//
//	factor(t) = floor + (1−floor)·(1 + cos(π·t/steps))/2   for t < steps
//
// It panics unless steps ≥ 1 and 0 ≤ floor ≤ 1.
func Cosine(steps int, floor float64) Schedule {
	if steps < 1 || !(floor >= 0 && floor <= 1) {
		panic(fmt.Sprintf("nn: Cosine(%d, %v), want steps ≥ 1 and 0 ≤ floor ≤ 1", steps, floor))
	}
	return cosine{steps, floor}
}

type warmup struct {
	steps int
	then  Schedule
}

func (w warmup) Factor(t int) float64 {
	if t < w.steps {
		f := 1.0
		if w.then != nil {
			f = w.then.Factor(0)
		}
		return float64(t+1) / float64(w.steps) * f
	}
	if w.then == nil {
		return 1
	}
	return w.then.Factor(t - w.steps)
}

// Warmup returns a linear warm-up over `steps` steps followed by then
// (nil: the constant 1), whose own count starts after the warm-up:
//
//	factor(t) = (t+1)/steps · then(0)   for t < steps
//	factor(t) = then(t − steps)         after
//
// So Warmup(500, Cosine(9500, 0)) rises over 500 steps and anneals to 0
// at step 10000. It panics unless steps ≥ 1.
func Warmup(steps int, then Schedule) Schedule {
	if steps < 1 {
		panic(fmt.Sprintf("nn: Warmup(%d, …), want steps ≥ 1", steps))
	}
	return warmup{steps, then}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
