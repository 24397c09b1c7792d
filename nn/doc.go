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
//	net, err := nn.New[float32](1, nn.MLP(784, 256, 256, 10)...) // seed 1: ReLU, ReLU, Linear
//	tr, err := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{LR: 1e-3})
//	_, err = tr.Fit(x, nn.OneHot[float32](labels, 10), n, nn.FitConfig{Epochs: 5, BatchSize: 128, Progress: os.Stderr})
//
//	s := net.EvaluateClasses(xTest, labelsTest, nTest) // loss, accuracy, confusion matrix
//	net.Classify(classes, x, m)                        // argmax of the outputs
//	net.Probabilities(p, x, m)                         // softmax of the outputs
//	net.Predict(out, x, m)                             // raw outputs
//	err = net.Save("mnist.frn")                        // and nn.Load[float32]("mnist.frn")
//
// Losses are [MSE] (½·Σ (ŷ−y)² per example) and [SoftmaxCrossEntropy]
// (the outputs taken as logits), each averaged over a batch's examples;
// optimisers are [SGD], [Momentum] and [Adam]. ReLU layers start from He
// initialisation and Linear ones from Glorot, drawn from the seed given to
// [New]; [Trainer.Fit] shuffles from its own seed. The same seeds, data and
// settings give the same bits on a machine, for any number of threads.
// Training steps and predictions allocate nothing in steady state.
//
// The examples/mnist program of the repository trains on MNIST, read with
// package nn/idx.
//
// # Errors and panics
//
// Problems of data from outside the program — a damaged or mismatched
// network file, a failed write — are returned as errors. Mistakes in the
// calling code panic, with a message starting "nn:", before anything is
// written: a slice too short for its m rows, m < 0, an output that shares
// memory with an input or with the parameters, a label outside the
// classes, a layer whose W or B was replaced by a slice of another length.
// Functions with an error result ([New], [NewTrainer], [Trainer.Fit], the
// readers and writers of files) report such mistakes through it instead
// of panicking.
//
// No function works in place, except [Softmax] given the same slice twice:
// outputs must not overlap inputs. A network may run Predict and the other
// inference methods from many goroutines at once; a [Trainer] is for one
// goroutine, and training a network while others use it is a data race.
package nn
