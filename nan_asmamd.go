//go:build amd64 && gc && !purego

package kernels

// sumKeepsNaN: with the amd64 assembly the epilogue's adds keep the sum's
// NaN, as the tiles' do (sumFirst).
const sumKeepsNaN = true
