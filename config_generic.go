package kernels

// genericPath is the generic Go code's table entry (kernels_generic.go):
// every kernel, the reference of the others, on every build.
var genericPath = pathConfig{name: "generic", f32: genericOps[float32](), f64: genericOps[float64]()}
