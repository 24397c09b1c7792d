//go:build !(amd64 && gc && !purego)

package kernels

// sumKeepsNaN: without the amd64 assembly the epilogue's adds are the
// hardware's (sumFirst).
const sumKeepsNaN = false
