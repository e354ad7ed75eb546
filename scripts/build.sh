#!/usr/bin/env bash
# Configures (Release, Ninja, ccache) and builds everything into ./build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Lets ccache hit across clones of the repository at different paths.
export CCACHE_BASEDIR="$root"
jobs="${JOBS:-$(nproc)}"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build -j"$jobs"
