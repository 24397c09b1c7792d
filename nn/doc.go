// Package nn builds, trains, saves and runs dense ReLU networks on the
// fused kernels of package kernels, in float32 or float64.
//
//	net, err := nn.New[float32](1, nn.MLP(784, 256, 256, 10)...) // seed 1
//	tr, err := nn.NewTrainer(net, nn.SoftmaxCrossEntropy, nn.Adam{})
//	stats, err := tr.Fit(x, y, n, nn.FitConfig{Epochs: 10, BatchSize: 64, Progress: os.Stderr})
//	net.Predict(out, x, n)
//	err = net.Save("net.frn")
//
// The package is the seed's backprop (design.md §2) and nothing more: a
// network is a sequence of dense layers, each Z = X·W + b with W of shape
// inputs×outputs (W[i*Out+j] joins input i to output j), examples in the
// rows of row-major, tight matrices, and R = ReLU(Z) or R = Z.
//
// # Layers and the kernels
//
// A ReLU layer's forward pass is one kernels.Forward, which writes R and
// the step mask [Z ≥ 0] while each output tile is in registers; its
// backward pass is one kernels.Backward from that mask, the seed's three
// equations: dZ = dR ⊙ [Z ≥ 0], dX = dZ·Wᵀ, dW = Xᵀ·dZ, db = Σ dZ. The
// forward pass keeps the mask, not Z: one bit an element instead of 32
// or 64, and the mask is all the backward pass needs of Z (R alone would
// not do: it cannot tell Z = 0, where Step is 1, from Z < 0). For
// 784-256-256-10 in float32 a training step keeps 2152 bytes per
// example, against 4136 with Z ([Trainer] has the arithmetic;
// TestForwardMemory measures it).
//
// A Linear layer (the identity: a regression output, a classifier's
// logits) is kernels.GEMM with β = 1 onto rows holding the bias, since
// Forward would also write R = ReLU(Z) to a buffer the layer does not
// need; its backward pass is kernels.Backward with an all-ones mask, so
// that dZ = dR and dX, dW and db come from one call, db summed as dZ is
// packed. BenchmarkLinearOutput and BenchmarkLinearBackward measure the
// alternatives (Forward writing Z and a discarded R; two GEMMs and a
// column sum) for the 256→10 output layer at batch 64: on the generic
// GEMM kernels each pair was equal within the noise of the machine
// (about 0.1 ms and 0.3 ms), so the choice rests on memory (no R buffer)
// and on one call instead of three.
//
// # Losses and optimisers
//
// [MSE] is the seed's C = ½·Σ_j (y_j − ŷ_j)² per example;
// [SoftmaxCrossEntropy] takes the outputs as logits. Both are reduced
// over a batch by the mean over its examples. [SGD], [Momentum] and
// [Adam] are the optimisers; with SGD the update is fused into the
// backward pass (kernels.Backward accumulates −lr·Xᵀ·dZ straight into W),
// so that no gradient is stored. Weights start from He (ReLU layers) or
// Glorot (Linear layers) initialisation drawn from a seeded generator,
// and [Trainer.Fit] shuffles from its own seed, so a run reproduces
// exactly.
//
// # Allocation
//
// A training step, a gradient computation and a prediction allocate
// nothing in steady state: a [Trainer] holds every activation, mask and
// gradient buffer for the largest batch it has seen, [Network.Predict]
// pools its scratch, and the kernels pool theirs. The kernels' calls use
// their package's default thread count (GOMAXPROCS unless set otherwise
// in package kernels); results are the same bits for any count.
//
// # File format
//
// [Network.WriteTo], [Network.Save] and [Network.MarshalBinary] write, and
// [Read], [Load], [Network.ReadParams] and [Network.UnmarshalBinary] read,
// this format, version 1. Integers and floats are little-endian; floats
// are IEEE 754, stored bit for bit (NaN payloads and −0 included).
//
//	offset    size   field
//	0         8      magic: 0x89 'F' 'R' 'N' '\r' '\n' 0x1a '\n'
//	8         2      format version: 1
//	10        1      element type: 4 = float32, 8 = float64 (its size in bytes)
//	11        1      reserved: 0
//	12        4      L, the number of layers: 1 … 1024
//	16        12·L   per layer: In (uint32), Out (uint32), activation (uint8:
//	                 1 = ReLU, 2 = Linear), 3 reserved bytes: 0
//	16+12·L   4      CRC-32C (Castagnoli) of bytes 0 … 15+12·L
//	20+12·L   P      per layer: W (In·Out elements, row-major), then B (Out
//	                 elements); P = size · Σ (In+1)·Out
//	20+12·L+P 4      CRC-32C of the P parameter bytes
//
// Widths are 1 … 2²⁴, and each layer's In is the previous layer's Out.
// The magic, in the manner of PNG's, tells a network file from text and
// catches newline translation. The header has its own checksum, so that a
// damaged shape is caught before any parameter is read; parameters are
// read in chunks, so that the memory a reader allocates grows with the
// data actually present, whatever a header claims. A reader of version 1
// rejects every other version.
//
// Reading never panics and never returns a wrong network: every error
// wraps one of [ErrNotNetwork] (foreign data), [ErrVersion],
// [ErrTruncated], [ErrCorrupt] (a checksum, a header field, or data after
// the end) and [ErrMismatch] (the other element type, or shapes other
// than those of the network read into), with a message saying what and
// where. FuzzRead checks that whatever the reader accepts writes back to
// the same bytes.
package nn
