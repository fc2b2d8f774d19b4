#!/usr/bin/env bash
# bench/compare.sh: herolog against the Unix tools on the same file, from one
# run, as ratios to `grep -c`.
#
#   bench/compare.sh                 # 1 GiB generated CLI log, 5 rounds
#   SIZE=100M ROUNDS=3 bench/compare.sh
#   FILE=/data/big.log bench/compare.sh
#   GZ=1 ZST=1 bench/compare.sh    # also gzip and zstd input, against gzip -dc / zstd -dc
#
# It builds herolog, generates the log with the project's own generator
# (internal/gen, healthy scenario, seed 1) unless FILE exists, reads it once
# so it is in the page cache, then runs every tool once per round, the tools
# interleaved within each round, so that all of them suffer the same load
# (the machine may be shared). It prints the median and the best wall time
# of each, its median CPU time (user + sys: on a shared machine wall time
# swings with the load, CPU time much less), its peak RSS (GNU time's
# maximum resident set size), and the median's ratio to grep -c's median.
#
# The job is the issue's: per-dyno request count, p50/p99/max of service,
# H12 count. herolog does far more (every section of its default report,
# with --format json); grep -c only counts lines with code=H12; mawk, when
# installed, computes per-dyno count and max (no percentiles); DuckDB runs the
# whole job (regexp_extract over the lines, 2 threads) through node and
# bench/duckdb-job.mjs when node and test/duckdb's npm package are installed
# (cd test/duckdb && npm install), else through a `duckdb` CLI on the PATH
# (that branch untested: the CLI is not in Debian), else it is skipped with a
# line saying so.
#
# Not run in CI: it takes minutes and a gigabyte of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1G}
ROUNDS=${ROUNDS:-5}
FILE=${FILE:-${TMPDIR:-/tmp}/herolog-bench-$SIZE.log}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "compare.sh needs GNU time at $TIME (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/herolog" ./cmd/herolog
if [ ! -s "$FILE" ]; then
  echo "generating $FILE ($SIZE)..." >&2
  go run ./internal/gen/cmd/herolog-gen -size "$SIZE" -o "$FILE"
fi
if [ "${GZ:-0}" = 1 ] && [ ! -s "$FILE.gz" ]; then
  echo "compressing $FILE.gz..." >&2
  gzip -c "$FILE" >"$FILE.gz"
fi
if [ "${ZST:-0}" = 1 ] && [ ! -s "$FILE.zst" ]; then
  echo "compressing $FILE.zst..." >&2
  zstd -q -c "$FILE" >"$FILE.zst"
fi
cat "$FILE" >/dev/null # into the page cache
if [ "${GZ:-0}" = 1 ]; then cat "$FILE.gz" >/dev/null; fi
if [ "${ZST:-0}" = 1 ]; then cat "$FILE.zst" >/dev/null; fi

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "cat > /dev/null" "cat '$FILE' >/dev/null"
add "wc -l" "wc -l '$FILE' >/dev/null"
add "grep -c code=H12" "grep -c code=H12 '$FILE' >/dev/null || true"
add "herolog analyze --format json" "'$work/herolog' analyze --format json '$FILE' >/dev/null"
if command -v mawk >/dev/null; then
  add "mawk (count, max per dyno)" "mawk '/heroku\\[router\\]/ { d = \"\"; s = -1; for (i = 1; i <= NF; i++) { if (\$i ~ /^dyno=/) d = substr(\$i, 6); else if (\$i ~ /^service=/) s = substr(\$i, 9) + 0 }; n[d]++; if (s > m[d]) m[d] = s } /code=H12/ { h++ } END { for (d in n) print d, n[d], m[d]; print \"H12\", h }' '$FILE' >/dev/null"
fi
duckdb_note=
if command -v node >/dev/null && [ -d test/duckdb/node_modules/@duckdb/node-api ]; then
  duckdb_note="duckdb: @duckdb/node-api $(sed -n 's/^ *"version": *"\(.*\)",*$/\1/p' test/duckdb/node_modules/@duckdb/node-api/package.json | head -1) through node $(node --version) (bench/duckdb-job.mjs, 2 threads; the time includes node's start)"
  add "duckdb (node, regexp over lines)" "node bench/duckdb-job.mjs '$FILE' >/dev/null"
elif command -v duckdb >/dev/null; then
  duckdb_note="duckdb: CLI $(duckdb --version 2>/dev/null | head -1)"
  add "duckdb (regexp over lines)" "duckdb -c \"SET threads=$(nproc); WITH l AS (SELECT column0 AS line FROM read_csv('$FILE', columns={'column0': 'VARCHAR'}, delim=chr(1), quote='', escape='', header=false) WHERE line LIKE '%heroku[router]%'), r AS (SELECT regexp_extract(line, 'dyno=(\\\\S*)', 1) AS dyno, TRY_CAST(regexp_extract(line, 'service=(\\\\d+)', 1) AS BIGINT) AS service, line LIKE '%code=H12%' AS h12 FROM l) SELECT dyno, count(*), quantile_cont(service, 0.5), quantile_cont(service, 0.99), max(service), sum(h12::INT) FROM r GROUP BY dyno\" >/dev/null"
else
  duckdb_note="duckdb: skipped (neither node with test/duckdb/node_modules/@duckdb/node-api, i.e. cd test/duckdb && npm install, nor a duckdb CLI on the PATH)"
fi
if [ "${GZ:-0}" = 1 ]; then
  add "gzip -dc > /dev/null" "gzip -dc '$FILE.gz' >/dev/null"
  add "herolog analyze (gzip input)" "'$work/herolog' analyze --format json '$FILE.gz' >/dev/null"
fi
if [ "${ZST:-0}" = 1 ]; then
  add "zstd -dc > /dev/null" "zstd -q -dc '$FILE.zst' >/dev/null"
  add "herolog analyze (zstd input)" "'$work/herolog' analyze --format json '$FILE.zst' >/dev/null"
fi

describe() {
  echo "machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, Linux $(uname -r), $(go version | cut -d' ' -f3)"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
describe
echo "file: $FILE, $(stat -c %s "$FILE") bytes, $(wc -l <"$FILE") lines, $(grep -c 'heroku\[router\]' "$FILE") router lines"
echo "rounds: $ROUNDS (tools interleaved within each round)"
echo "$duckdb_note"

for ((r = 1; r <= ROUNDS; r++)); do
  for i in "${!cmds[@]}"; do
    $TIME -f "%e %M %U %S" -o "$work/t.$i.$r" bash -c "${cmds[$i]}"
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
grep_i=2
grep_med=$(for ((r = 1; r <= ROUNDS; r++)); do cut -d' ' -f1 "$work/t.$grep_i.$r"; done | median)
printf '\n| %-32s | %9s | %9s | %9s | %12s | %11s |\n' tool "median s" "best s" "CPU s" "peak RSS MB" "vs grep -c"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..34})" "-----------" "-----------" "-----------" "--------------" "-------------"
for i in "${!cmds[@]}"; do
  med=$(for ((r = 1; r <= ROUNDS; r++)); do cut -d' ' -f1 "$work/t.$i.$r"; done | median)
  best=$(for ((r = 1; r <= ROUNDS; r++)); do cut -d' ' -f1 "$work/t.$i.$r"; done | sort -n | head -1)
  rss=$(for ((r = 1; r <= ROUNDS; r++)); do cut -d' ' -f2 "$work/t.$i.$r"; done | sort -n | tail -1)
  cpu=$(for ((r = 1; r <= ROUNDS; r++)); do awk '{ print $3 + $4 }' "$work/t.$i.$r"; done | median)
  awk -v n="${names[$i]}" -v m="$med" -v b="$best" -v c="$cpu" -v k="$rss" -v g="$grep_med" \
    'BEGIN { printf "| %-32s | %9.2f | %9.2f | %9.2f | %12.1f | %10.2fx |\n", n, m, b, c, k / 1024, (g > 0 ? m / g : 0) }'
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
