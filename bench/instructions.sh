#!/usr/bin/env bash
# Load-independent cost of a Go benchmark: instructions per iteration,
# counted by valgrind's callgrind (the machine is shared, so wall-clock
# benchmarks are noisy). It runs the benchmark at -benchtime 2x and 5x and
# divides the difference by 3, which cancels the setup (log generation) and
# the b.N=1 warm-up run. With the benchmark's bytes per op (b.SetBytes) it
# also prints instructions per byte.
#
#   bench/instructions.sh ./parse 'BenchmarkParseRouter$'
#   bench/instructions.sh ./aggregate 'BenchmarkAnalyze$'
#
# Needs valgrind (apt-get install valgrind). Not run in CI.
set -euo pipefail
pkg=${1:?package, e.g. ./parse}
bench=${2:?benchmark regexp}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/t.test" "$pkg"
count() { # benchtime -> instructions
  GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$tmp/t.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$1" >"$tmp/out.$1" 2>"$tmp/err.$1"
  grep -o 'Collected : [0-9]*' "$tmp/err.$1" | grep -o '[0-9]*$'
}
a=$(count 2x)
b=$(count 5x)
per=$(( (b - a) / 3 ))
bytes=$(awk '/^Benchmark/ { for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s") { mbs = $i; ns = $3 } } END { if (mbs) printf "%.0f", mbs * ns / 1000 }' "$tmp/out.5x")
if [ -n "$bytes" ] && [ "$bytes" -gt 0 ]; then
  awk -v p="$per" -v n="$bytes" -v name="$bench" 'BEGIN { printf "%s: %d instructions/op, %.2f instructions/byte (%d bytes/op)\n", name, p, p / n, n }'
else
  echo "$bench: $per instructions/op"
fi
