#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/) with Debian's clang-14, libFuzzer,
# ASan and UBSan into ./build-fuzz and runs each one from its seed corpus.
#
#   scripts/fuzz.sh                          # every target for 60 s (.ci/run runs this)
#   SECONDS_PER_TARGET=600 scripts/fuzz.sh jwt config
#   RUNS=10000000 scripts/fuzz.sh            # 10 million executions each (bench/fuzz-10m.sh)
#
# Targets run $JOBS at a time (default: the cores). Each prints its
# executions, executions/s, peak RSS and what it found; a summary table and
# build-fuzz/report.json follow. A crash, leak, timeout or OOM leaves its
# input in build-fuzz/artifacts/<target>/ and fails the run: the input goes
# into tests/fuzz/regressions/<target>/ with the fix (ctest replays it).
# New inputs the fuzzer keeps stay in build-fuzz/corpus/<target>/ (add the
# interesting ones to tests/fuzz/corpus/ by hand).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/install-deps.sh"
export CCACHE_BASEDIR="$root"
# These builds carry debug info, for which ccache also hashes the build
# directory by default: a clone at another path would miss every object.
export CCACHE_NOHASHDIR=1
dir="$root/build-fuzz"
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2" -DPIPEWRIGHT_FUZZ=ON -DPIPEWRIGHT_BUILD_TESTS=OFF -DPIPEWRIGHT_BUILD_BENCH=OFF >/dev/null
fi
# BUILD_DEADLINE (seconds, CI): a build that takes longer is stopped and the
# run exits 75 without fuzzing (.ci/run reports it as not run for time).
build_rc=0
timeout "${BUILD_DEADLINE:-0}" cmake --build "$dir" -j"${JOBS:-$(nproc)}" --target fuzz_all || build_rc=$?
if [ "$build_rc" -eq 124 ]; then
  echo "fuzz: the build did not finish within ${BUILD_DEADLINE} s; not run" >&2
  exit 75
fi
[ "$build_rc" -eq 0 ] || exit "$build_rc"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^pw_fuzz_target(\([a-z_0-9]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
fi
limit=(-max_total_time="${SECONDS_PER_TARGET:-60}")
[ -n "${RUNS:-}" ] && limit=(-runs="$RUNS")
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
command -v llvm-symbolizer-14 >/dev/null && export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer-14)"

run_one() {
  local dir="$FUZZ_DIR" t="$1" bin="$FUZZ_DIR/tests/fuzz/fuzz_$1"
  local corpus="$dir/corpus/$t" art="$dir/artifacts/$t" log="$dir/logs/$t.log"
  mkdir -p "$corpus" "$art" "$dir/logs"
  rm -f "$art"/*
  local dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  local rc=0
  # shellcheck disable=SC2086
  "$bin" $FUZZ_LIMIT -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$art/" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local execs rate rss found
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)"
  found="$(ls "$art" 2>/dev/null | sed 's/-.*//' | sort | uniq -c | awk '{printf "%s%s=%s", sep, $2, $1; sep=","}')"
  printf '%s %s %s %s %s %s\n' "$t" "${execs:-0}" "${rate:-0}" "${rss:-0}" "$rc" "${found:-none}" >"$dir/logs/$t.result"
}
export -f run_one
export FUZZ_DIR="$dir" FUZZ_LIMIT="${limit[*]}"

echo "fuzzing ${#targets[@]} targets (${limit[*]}), ${JOBS:-$(nproc)} at a time; logs in $dir/logs" >&2
start=$SECONDS
printf '%s\n' "${targets[@]}" | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c 'run_one "$1"' _ {}

failed=0
printf '%-14s %14s %10s %8s %s\n' target executions exec/s rss_mb found
json="["
for t in "${targets[@]}"; do
  read -r name execs rate rss rc found <"$dir/logs/$t.result"
  printf '%-14s %14s %10s %8s %s\n' "$name" "$execs" "$rate" "$rss" "$found"
  [ "$rc" = 0 ] && [ "$found" = none ] || failed=1
  json+="{\"target\":\"$name\",\"executions\":$execs,\"exec_per_s\":$rate,\"peak_rss_mb\":$rss,\"exit\":$rc,\"found\":\"$found\"},"
done
echo "${json%,}]" >"$dir/report.json"
echo "fuzzing took $((SECONDS - start)) s; report: $dir/report.json" >&2
if [ "$failed" -ne 0 ]; then
  echo "a fuzz target failed: see $dir/logs/ and $dir/artifacts/" >&2
  exit 1
fi
