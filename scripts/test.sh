#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit and integration:
# real servers on 127.0.0.1, real RocksDB in temp dirs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest -j"${JOBS:-$(nproc)}" --output-on-failure --timeout 900
