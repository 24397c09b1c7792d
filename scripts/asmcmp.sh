#!/usr/bin/env bash
# asmcmp.sh OLD.test NEW.test [symbol-regex]
# Compares the machine code of every assembly function of package kernels
# (TEXT symbols from .s files) in two test binaries, for a change to the
# generator (_gen) that must not change what it emits:
#
#   git stash; go test -c -o /tmp/old.test .; git stash pop
#   go test -c -o /tmp/new.test . && bash scripts/asmcmp.sh /tmp/old.test /tmp/new.test
#
# (GOARCH=arm64 for the NEON routines). Prints "same" or a diff per symbol
# and exits 1 if any differs. Jumps are PC-relative, so identical layout gives
# identical bytes; RIP-relative references to data (GLOBL) may differ in
# their displacement only: such lines are shown for inspection.
set -uo pipefail
old=$1 new=$2 re=${3:-.}
syms() { go tool nm "$1" | awk '$2=="T" && $3 ~ /^github.com\/fusedrelu\/kernels\.[a-zA-Z0-9]+\.abi0$/ {print $3}' | sort -u; }
dis() { go tool objdump -s "^$(printf '%s' "$2" | sed 's/\./\\./g')\$" "$1" | awk -F'\t+' 'NR>1 && NF>=4 {print $3 "\t" $4}' | sed -E 's/0x[0-9a-f]{5,}/ADDR/g'; }
status=0
pkg=github.com/fusedrelu/kernels.
for s in $(syms "$old" | sed "s|^$pkg||" | grep -E "$re" | sed "s|^|$pkg|"); do
  # only functions written in assembly: objdump names a .s file
  go tool objdump -s "^$(printf '%s' "$s" | sed 's/\./\\./g')\$" "$old" | sed -n 2p | grep -q '\.s:' || continue
  a=$(dis "$old" "$s"); b=$(dis "$new" "$s" || true)
  if [ -z "$b" ]; then echo "MISSING $s"; status=1; continue; fi
  if [ "$a" == "$b" ]; then echo "same    $s ($(printf '%s\n' "$a" | wc -l) instructions)"; else echo "DIFFERS $s"; diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -${DIFFLINES:-20}; status=1; fi
done
exit $status
