package main

import (
	"os"
	"testing"

	"github.com/fusedrelu/kernels"
)

// The benchmarks measure a peer under the root module's benchmark names
// (BenchmarkForward/f32/1024x1024x1024 and so on, over the same standard
// shapes, with the same GFLOPS metric), so that benchstat sets them side by
// side with the kernels' (-ignore pkg: the two files name different
// packages):
//
//	(cd .. && go test -run '^$' -bench . -cpu 1 -count 10) > kernels.txt
//	go test -run '^$' -bench . -cpu 1 -count 10 > gonum.txt
//	benchstat -ignore pkg kernels.txt gonum.txt
//
// The peer is gonum; under -tags openblas, FUSEDRELU_BENCH_PEER=openblas
// makes it OpenBLAS. -cpu (GOMAXPROCS) sets the goroutines that the
// kernels and gonum split a call over, so both files need the same -cpu,
// which is part of the names; -cpu 1 compares one core with one core.

// benchPeer returns the GEMMs of the peer FUSEDRELU_BENCH_PEER names.
func benchPeer(b *testing.B) (gemmFunc[float32], gemmFunc[float64]) {
	switch p := os.Getenv("FUSEDRELU_BENCH_PEER"); p {
	case "", "gonum":
		return gonumSgemm, gonumDgemm
	case "openblas":
		if !haveOpenBLAS {
			b.Fatal("FUSEDRELU_BENCH_PEER=openblas needs go test -tags openblas")
		}
		return openblasSgemm, openblasDgemm
	default:
		b.Fatalf("FUSEDRELU_BENCH_PEER=%q, want gonum or openblas", p)
	}
	return nil, nil
}

func benchOp(b *testing.B, op string) {
	g32, g64 := benchPeer(b)
	for _, s := range standardShapes {
		b.Run("f32/"+s.String(), func(b *testing.B) { benchRun(b, op, s, g32) })
	}
	for _, s := range standardShapes {
		b.Run("f64/"+s.String(), func(b *testing.B) { benchRun(b, op, s, g64) })
	}
}

func benchRun[T kernels.Float](b *testing.B, op string, s shape, gemm gemmFunc[T]) {
	f, err := blasFunc(op, newOperands[T](s), gemm)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		f()
	}
	b.ReportMetric(flops(op, s)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func BenchmarkForward(b *testing.B)  { benchOp(b, "fwd") }
func BenchmarkBackward(b *testing.B) { benchOp(b, "bwd") }
func BenchmarkGEMM(b *testing.B)     { benchOp(b, "gemm") }
