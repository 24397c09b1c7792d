// Package shapes holds the standard shapes of the project's measurements:
// the dense layers of the design brief (design.md §5), which the
// benchmarks, the demo (cmd/fusedrelu) and the bench module all measure,
// and ../shared/peers/run measures for the reference libraries.
package shapes

// Standard is the list of M×K×N: a batch of M rows through a layer of K
// inputs and N outputs, largest first.
var Standard = [][3]int{
	{1024, 1024, 1024},
	{256, 1024, 1024},
	{128, 512, 512},
	{64, 784, 256},
	{32, 256, 256},
	{1, 1024, 1024},
}
