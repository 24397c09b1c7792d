package kernels

// The assembly (kernels_amd64.s, kernels_arm64.s), its Go declarations
// (kernels_amd64.go, kernels_arm64.go) and the Go side of the AVX-512
// tiles' table (tiles_amd64.go) are written by the generator module in
// _gen from one description of each routine. CI regenerates them and
// fails on any difference.

//go:generate go run -C _gen . -out ../kernels_amd64.s -stubs ../kernels_amd64.go -pkg kernels -tiles-out ../tiles_amd64.go -arm64-out ../kernels_arm64.s -arm64-stubs ../kernels_arm64.go
