#!/usr/bin/env bash
# Installs what is missing, builds, and starts a node on the built-in defaults
# (http://127.0.0.1:8080, data in ./data). Extra arguments go to `serve`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root"
exec ./build/src/pipewright serve "$@"
