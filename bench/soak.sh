#!/usr/bin/env bash
# The soak (docs/reliability.md): SECONDS_TOTAL (default 3600) of mixed load
# at RATE items/s with chaos backends, a kill -9 every KILL_EVERY seconds
# (600), sockets that die without a word, the server's RSS and open files
# sampled every SAMPLE seconds (60); drift after the warm-up (600 s) must
# stay under 5 % and nothing accepted may be lost (pw-crashtest --soak).
# KEEP (default 10000): the load deletes its oldest items beyond KEEP, as a
# client with a retention policy does, so the store stops growing after the
# warm-up; KEEP=0 keeps every item (RSS then grows with the store: the
# duplicate index is in memory).
# ctest runs a 5-minute version (soak_short).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
TOTAL="${SECONDS_TOTAL:-3600}" KILL_EVERY="${KILL_EVERY:-600}" SAMPLE="${SAMPLE:-60}" WARMUP="${WARMUP:-600}"
STEADY="${STEADY:-120}" RATE="${RATE:-40}" KEEP="${KEEP:-10000}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/soak-$stamp"
mkdir -p "$out"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" >/dev/null
"$root/build/tests/crash/pw-crashtest" --soak --seconds "$TOTAL" --kill-every "$KILL_EVERY" --sample-every "$SAMPLE" \
  --warmup "$WARMUP" --steady-after "$STEADY" --rate "$RATE" --keep "$KEEP" --out "$out" 2>&1 | tee "$out/log.txt"
echo "results: $out"
