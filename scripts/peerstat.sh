#!/usr/bin/env bash
# peerstat.sh runs the kernels' fused forward and backward benchmarks (f32,
# the standard shapes, one thread) with the statistic ../shared/peers/run
# reports for its peers: for each shape the best of 7 samples of
# reps = 1e10/(2·M·K·N) calls (at least 3, at most 5000), as peers.c
# times them. Run it in the same sitting as the peers, rounds in turn:
#
#   for r in 1 2 3; do ../shared/peers/run; bash scripts/peerstat.sh; done
#
# Options: -t for BenchmarkThreads (1 and 2 threads, 1024³ and
# 256×1024×1024, against ../shared/peers/run -t 2), -d f64 for the f64
# forward at those shapes (against -d f64), -d bf16 for the bfloat16
# layers beside float32 at the standard shapes (against -d bf16).
# FUSEDRELU_ISA picks the path.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=f32
while getopts "td:" o; do
  case $o in
    t) mode=threads ;; d) case $OPTARG in f64|bf16) mode=$OPTARG ;; esac ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
bin=$(mktemp -d)/k.test
go test -c -o "$bin" .
reps() { awk -v m="$1" -v k="$2" -v n="$3" 'BEGIN { r = int(1e10 / (2 * m * k * n)); print (r < 3 ? 3 : r > 5000 ? 5000 : r) }'; }
best() { awk '{ for (i = 1; i <= NF; i++) if ($i == "GFLOPS" && $(i-1) > b[$1]) b[$1] = $(i-1) } END { for (k in b) printf "%-48s %6.1f GFLOPS (best of 7)\n", k, b[k] }' | sort; }
run() { "$bin" -test.run '^$' -test.bench "$1" -test.benchtime "$2x" -test.count 7 "${@:3}" | best; }
case $mode in
f32)
  for s in "1024 1024 1024" "256 1024 1024" "128 512 512" "64 784 256" "32 256 256" "1 1024 1024"; do
    set -- $s
    for op in Forward Backward; do run "^Benchmark$op\$/f32/^${1}x${2}x${3}\$" "$(reps $1 $2 $3)" -test.cpu 1; done
  done ;;
bf16)
  for s in "1024 1024 1024" "256 1024 1024" "128 512 512" "64 784 256" "32 256 256" "1 1024 1024"; do
    set -- $s
    for op in Forward Backward; do run "^Benchmark$op\$/(f32|bf16)/^${1}x${2}x${3}\$" "$(reps $1 $2 $3)" -test.cpu 1; done
  done ;;
f64)
  for s in "1024 1024 1024" "256 1024 1024"; do
    set -- $s
    run "^BenchmarkForward\$/f64/^${1}x${2}x${3}\$" "$(reps $1 $2 $3)" -test.cpu 1
  done ;;
threads)
  for s in "1024 1024 1024" "256 1024 1024"; do
    set -- $s
    run "^BenchmarkThreads\$/(fwd|bwd)/f32/^${1}x${2}x${3}\$" "$(reps $1 $2 $3)"
  done ;;
esac
