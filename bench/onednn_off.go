//go:build !onednn || !cgo

package main

// Without -tags onednn (or without cgo) there is no oneDNN to compare.

const haveOneDNN = false

func measureOneDNN(req request) reply { return reply{Err: "built without -tags onednn"} }
func onednnThreads(int)               {}
func onednnVersion() string           { return "" }
