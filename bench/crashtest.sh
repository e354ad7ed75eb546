#!/usr/bin/env bash
# The crash test at length (docs/reliability.md): ROUNDS rounds (default 200)
# of mixed load, each ended by a kill point or a kill -9 at a random instant,
# every invariant checked after every round (tests/crash/runner.hpp). Built
# in ./build-crash (Release with the kill points compiled in). A failing
# round prints its seed; SEED=... replays the run.
#
#   bench/crashtest.sh
#   ROUNDS=50 SEED=123456 bench/crashtest.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ROUNDS="${ROUNDS:-200}" SEED="${SEED:-0}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$root/bench/results/crashtest-$stamp"
mkdir -p "$out"
"$root/scripts/install-deps.sh"
export CCACHE_BASEDIR="$root"
dir="$root/build-crash"
[ -f "$dir/build.ninja" ] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIPEWRIGHT_KILL_POINTS=ON \
  -DPIPEWRIGHT_BUILD_BENCH=OFF >/dev/null
cmake --build "$dir" -j"${JOBS:-$(nproc)}" --target pipewright pw-crashtest
"$dir/tests/crash/pw-crashtest" --rounds "$ROUNDS" --seed "$SEED" --out "$out" 2>&1 | tee "$out/log.txt"
echo "results: $out"
