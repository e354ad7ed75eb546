#!/usr/bin/env bash
# Builds Pipewright with sanitizers in a build dir of its own and runs tests
# there (docs/testing.md, "What runs where").
#
#   scripts/sanitize.sh asan    # ASan + UBSan, kill points compiled in: the whole
#                               # ctest suite, 10 crash-test rounds included (build-asan)
#   scripts/sanitize.sh tsan    # TSan: the unit tests, the corpus replays and the
#                               # actor, store and network integration tests (build-tsan)
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
# These builds carry debug info, for which ccache also hashes the build
# directory by default: a clone at another path would miss every object.
export CCACHE_NOHASHDIR=1
jobs="${JOBS:-$(nproc)}"
case "$kind" in
  asan)
    dir="$root/build-asan"
    flags=(-DPIPEWRIGHT_SANITIZE=address,undefined -DPIPEWRIGHT_KILL_POINTS=ON)
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1"
    export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitizers/ubsan.supp"
    select=(-LE soak)
    serial=()
    targets=()
    ;;
  tsan)
    dir="$root/build-tsan"
    flags=(-DPIPEWRIGHT_SANITIZE=thread)
    # abort_on_error=0: a report ends the process with exit code 66 (an
    # abort would run Catch's signal handler inside TSan's locked runtime,
    # which hangs).
    export TSAN_OPTIONS="halt_on_error=1:abort_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$root/tests/sanitizers/tsan.supp"
    # The unit tests (the store's writer and its callbacks on their own
    # threads, the built-in AI's indexes, the image pipeline's libvips pool),
    # the corpus replays, and the integration tests of the actors, the store
    # and the network: real servers under load, restarts, kills, sockets,
    # the cluster. Left out: the image pipeline's (libvips and Tesseract
    # under TSan take minutes an image), the quality floors and the npm
    # drivers; ASan + UBSan run them all. The CAF hand-off is told to TSan
    # (src/actors/handoff.hpp); tests/sanitizers/tsan.supp says what else is
    # suppressed and why.
    integration="it_pipeline|it_retry|it_admission|it_ws|it_rooms|it_endpoints|it_control|it_idempotency"
    integration+="|it_recovery|it_shutdown|it_limits|it_auth_input|it_bad_input|it_isolation|it_metrics|it_crash"
    integration+="|it_migration|it_cli"
    # Two tests measure throughput rather than exercise threads, and a TSan
    # build has a fraction of it: a reader that must keep up with 15,000
    # frames a second (it_ws) and 2,000 items accepted across kill rounds
    # (it_crash). ASan + UBSan run both.
    select=(-R "^(unit:|fuzz_replay|(${integration}):)"
            -E "^(it_ws:a slow socket never slows the others|it_crash:kill -9 at random instants)")
    # The cluster's tests (three nodes and etcd each) run after the others,
    # one at a time: beside other TSan tests on two cores their nodes missed
    # timing assumptions now and then (a peer's loss seen late).
    serial=(-R "^it_cluster:")
    targets=(--target pipewright unit_tests fuzz_all ${integration//|/ } it_cluster)
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
# BUILD_DEADLINE (seconds, CI): a build that takes longer is stopped and the
# run exits 75 without testing (.ci/run reports it as not run for time).
build_rc=0
timeout "${BUILD_DEADLINE:-0}" cmake --build "$dir" -j"$jobs" "${targets[@]}" || build_rc=$?
if [ "$build_rc" -eq 124 ]; then
  echo "sanitize.sh $kind: the build did not finish within ${BUILD_DEADLINE} s; not run" >&2
  exit 75
fi
[ "$build_rc" -eq 0 ] || exit "$build_rc"
cd "$dir"
ctest -j"$jobs" --output-on-failure --timeout 1800 "${select[@]}" "$@"
# Then the cluster's, one at a time (not when ctest arguments were given).
if [ ${#serial[@]} -gt 0 ] && [ $# -eq 0 ]; then
  ctest -j1 --output-on-failure --timeout 1800 "${serial[@]}"
fi
