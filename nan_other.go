//go:build !amd64

package kernels

// sumKeepsNaN: elsewhere the epilogue's adds are the hardware's (sumFirst).
const sumKeepsNaN = false
