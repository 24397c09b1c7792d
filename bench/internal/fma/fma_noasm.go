//go:build !(amd64 || arm64) || !gc || purego

package fma

// Loops returns the pure-Go loops: there is no assembly in this build.
func Loops() []Loop { return goLoops() }
