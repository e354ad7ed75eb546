#!/usr/bin/env bash
# Builds Pipewright with sanitizers in a build dir of its own and runs tests
# there (docs/testing.md, "What runs where").
#
#   scripts/sanitize.sh asan    # ASan + UBSan, kill points compiled in: the whole
#                               # ctest suite, 10 crash-test rounds included (build-asan)
#   scripts/sanitize.sh tsan    # TSan: the actor, store and network tests (build-tsan)
#
# Extra arguments go to ctest (e.g. -R it_ws). A sanitizer report aborts the
# process it happened in: a test fails, or the server it started dies and
# the test fails with its log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
kind="${1:-}"
shift || true
"$root/scripts/install-deps.sh"
export CCACHE_BASEDIR="$root"
jobs="${JOBS:-$(nproc)}"
case "$kind" in
  asan)
    dir="$root/build-asan"
    flags=(-DPIPEWRIGHT_SANITIZE=address,undefined -DPIPEWRIGHT_KILL_POINTS=ON)
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1"
    export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitizers/ubsan.supp"
    select=(-LE soak)
    targets=()
    ;;
  tsan)
    dir="$root/build-tsan"
    flags=(-DPIPEWRIGHT_SANITIZE=thread)
    export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$root/tests/sanitizers/tsan.supp"
    # The actor runtime, the store and the network under real load: unit
    # tests of the store, and the integration tests that drive supervisors,
    # the writer, recovery, sockets and limits.
    tests=(it_pipeline it_retry it_control it_ws it_rooms it_recovery it_admission it_idempotency it_limits it_shutdown
           it_isolation it_endpoints it_disk)
    select=(-R "^(unit: |fuzz_replay|$(IFS='|'; echo "${tests[*]}"))")
    # Only what those tests run: the server, the unit tests, the corpus replays.
    targets=(--target pipewright unit_tests fuzz_all "${tests[@]}")
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan [ctest args]" >&2
    exit 2
    ;;
esac
export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer-14 || true)"
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DPIPEWRIGHT_BUILD_BENCH=ON "${flags[@]}" >/dev/null
fi
cmake --build "$dir" -j"$jobs" "${targets[@]}"
cd "$dir"
ctest -j"$jobs" --output-on-failure --timeout 1800 "${select[@]}" "$@"
