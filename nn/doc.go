// Package nn builds, trains, runs and saves dense ReLU networks (multilayer
// perceptrons) in float32 or float64, on the fused SIMD kernels of package
// kernels.
//
// A network is a sequence of dense layers. Each computes Z = X·W + b for a
// batch X of examples, one example a row, and outputs R = ReLU(Z) (a [ReLU]
// layer) or R = Z (a [Linear] layer: a regression output, or a classifier's
// logits). Matrices are row-major and tight: x holds m examples as m×In
// values, W is In×Out with W[i*Out+j] joining input i to output j.
//
//	net, err := nn.New[float32](1, nn.MLP(784, 256, 256, 10)...) // ReLU, ReLU, Linear; weights from seed 1
//	steps := 8 * ((n + 127) / 128)                               // 8 epochs of batches of 128
//	tr, err := nn.NewTrainer(net, nn.SoftmaxCrossEntropy,
//		nn.Adam{LR: 2e-3, Schedule: nn.Warmup(100, nn.Cosine(steps-100, 0))})
//	_, err = tr.Fit(x, nn.OneHot[float32](labels, 10), n, nn.FitConfig{
//		Epochs: 8, BatchSize: 128, Progress: os.Stderr,
//		Validation: nn.NewDataset(xVal, nn.OneHot[float32](labelsVal, 10), nVal),
//	})
//
//	s := net.EvaluateClasses(xTest, labelsTest, nTest) // loss, accuracy, confusion matrix
//	err = net.Save("mnist.frn")                        // and nn.Load[float32]("mnist.frn")
//	net.Classify(classes, x, m)                        // the class of each example: argmax of its outputs
//	net.Probabilities(p, x, m)                         // softmax of the outputs
//	net.Predict(out, x, m)                             // the raw outputs
//
// The examples/mnist program of the repository trains this network on
// MNIST, read with package nn/idx.
//
// # Training
//
// A [Trainer] holds a network's loss, optimiser state and step buffers.
// The losses are [MSE] (½·Σ (ŷ−y)² an example) and [SoftmaxCrossEntropy]
// (the outputs taken as logits), averaged over a batch's examples. The
// optimisers [SGD], [Momentum] and [Adam] each take a learning-rate
// [Schedule] ([Constant], [StepDecay], [Cosine], [Warmup], or a
// [ScheduleFunc] of the step), a WeightDecay (an L2 penalty for SGD and
// Momentum, decoupled for Adam: AdamW) and a ClipNorm (clipping by the
// gradient's global norm). The trainer keeps a copy of the optimiser:
// [Trainer.SetOptimizer] changes the settings between steps, keeping the
// moments and the step count that the schedule follows.
//
// [Trainer.Fit] runs epochs of shuffled minibatches. Its [FitConfig] adds a
// Validation set (made by [NewDataset]: its loss and accuracy after every
// epoch), Patience (early stopping on the validation loss), Progress (a
// live line on a terminal, a line an epoch elsewhere) and OnEpoch (a
// callback; [ErrStop] ends training). [Trainer.Step] is one step, for a
// training loop of one's own. [Trainer.SetBF16] trains a float32 network
// in mixed precision: bfloat16 layers, float32 master weights;
// [NewBF16Network] is a network's bfloat16 copy for inference.
//
// [Trainer.SaveCheckpoint] saves the trainer's whole state: weights,
// optimiser settings and moments, step count, and the position of Fit's
// run (epochs done, the shuffling generator, early stopping). A trainer
// that loads it ([Trainer.LoadCheckpoint]) and calls Fit with
// FitConfig.Resume ends with the same bits as a run that never stopped.
// [Trainer.WriteCheckpoint] documents the format; [Network.Save] writes a
// network alone, in the format [Network.WriteTo] documents.
//
// ReLU layers start from He initialisation and Linear ones from Glorot,
// drawn from the seed given to [New]; Fit shuffles from FitConfig.Seed.
// The same seeds, data and settings give the same bits on a machine, for
// any number of threads. Training steps and predictions allocate nothing
// in steady state.
//
// # Inference
//
// [Network.Predict] computes the outputs, [Network.Classify] the class of
// each example (the largest output), [Network.Probabilities] the softmax
// of the outputs; [Network.Evaluate] the mean loss and accuracy against
// targets, and [Network.EvaluateClasses] the loss, accuracy and
// [Confusion] matrix against labels. [Softmax] and [Argmax] do the same
// on a matrix of one's own. A network may run these from many goroutines
// at once; a Trainer is for one goroutine, and training a network while
// others use it is a data race.
//
// # Errors and panics
//
// A function with an error result reports every problem through it and
// does not panic on its arguments: an invalid setting or shape, NaN or ±Inf
// in the data, a diverging loss, a failed write, a damaged or mismatched
// file. A function without one panics, with a message starting "nn:", on
// a programming error — a slice too short for its m rows, m < 0, an output
// that shares memory with an input, a label outside the classes, a layer
// whose W or B was replaced by a slice of another length — and always
// before writing anything. It does not inspect values: NaN in, NaN out
// (Step returns a loss that is not finite and leaves the network as it
// was). [CheckFinite] checks data where it enters.
//
// Errors wrap sentinels to test with errors.Is: [ErrNonFinite] (a
// *[NonFiniteError] names the row and column) and [ErrDiverged] (a
// *[DivergedError] names the epoch and batch) from Fit; [ErrNotNetwork],
// [ErrNotCheckpoint], [ErrVersion], [ErrTruncated], [ErrCorrupt] and
// [ErrMismatch] from the readers of files.
//
// # Memory shared by arguments
//
// No function works in place except [Softmax] given the same slice twice:
// an output must not overlap an input (Predict, Probabilities and the
// others panic if it does). Training data must not share memory with what
// training writes: the network's W and B, and the trainer's buffers that
// [Trainer.Output] and [Trainer.Grad] return (Step panics, Fit returns an
// error). Inputs are only read, and may share memory with each other. Each
// function's documentation states its rule.
package nn
