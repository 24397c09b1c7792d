//go:build !(amd64 || arm64) || !gc || purego

package kernels

// archImpls returns the assembly paths this CPU supports: none in a
// build without assembly.
func archImpls() []*impl { return nil }

// classEntries: no path of this build differs per core class (core.go).
var classEntries = map[string]map[coreClass]pathConfig{}
