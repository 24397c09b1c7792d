package kernels

// sumKeepsNaN: on amd64 the epilogue's adds keep the sum's NaN (sumFirst).
const sumKeepsNaN = true
