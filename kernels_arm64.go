//go:build arm64 && gc && !purego

package kernels

// archImpls returns the assembly paths this CPU supports, worst first.
func archImpls() []*impl { return nil }
