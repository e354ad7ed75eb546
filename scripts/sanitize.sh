#!/usr/bin/env bash
# Builds Pipewright with sanitizers in a build dir of its own and runs tests
# there (docs/testing.md, "What runs where").
#
#   scripts/sanitize.sh asan    # ASan + UBSan, kill points compiled in: the whole
#                               # ctest suite, 10 crash-test rounds included (build-asan)
#   scripts/sanitize.sh tsan    # TSan: the unit tests (store, writer threads, AI, images)
#                               # and the corpus replays (build-tsan)
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
    # threads, the built-in AI's indexes, the image pipeline's libvips pool)
    # and the corpus replays. The integration tests are not run here: every
    # request crosses from a network thread into an actor through CAF 0.17's
    # mailboxes, which Debian builds without TSan, so each object handed over
    # is reported when another thread reads it later (docs/reliability.md,
    # "Sanitizers"). ASan + UBSan run them all.
    select=(-R "^(unit:|fuzz_replay)")
    targets=(--target unit_tests fuzz_all)
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
