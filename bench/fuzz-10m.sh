#!/usr/bin/env bash
# Every fuzz target for 10 million executions under ASan + UBSan
# (docs/reliability.md); one target at a time unless JOBS says otherwise.
# The table and report.json land in bench/results/fuzz-<stamp>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/fuzz-$stamp"
mkdir -p "$out"
RUNS="${RUNS:-10000000}" JOBS="${JOBS:-1}" "$root/scripts/fuzz.sh" "$@" 2>&1 | tee "$out/table.txt"
cp "$root/build-fuzz/report.json" "$out/report.json"
echo "results: $out"
