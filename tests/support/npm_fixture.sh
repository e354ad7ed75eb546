#!/usr/bin/env bash
# ctest fixture: installs a Node test driver's npm packages into the build
# tree, exactly as its committed lock file says (npm ci). Offline-safe:
# nothing is fetched when the installed tree already matches the lock, and
# npm prefers its cache otherwise. Used by tests/browser (puppeteer-core,
# which downloads no browser), tests/sio (socket.io-client, ws) and
# tests/openai-sdk (the official openai client).
#   npm_fixture.sh <source dir with package.json and package-lock.json> <build dir> <package to check>
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: npm_fixture.sh SRC_DIR BUILD_DIR PACKAGE" >&2; exit 2; }
src="$(cd "$1" && pwd)"
mkdir -p "$2"
dst="$(cd "$2" && pwd)"
package="$3"
cp "$src/package.json" "$src/package-lock.json" "$dst/"
stamp="$dst/node_modules/.pw-lock.sha256"
want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dst/node_modules/$package" ]; then
  echo "node_modules matches package-lock.json: nothing to install"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: run scripts/install-deps.sh" >&2; exit 1; }
cd "$dst"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "installed: $package $(node -e "console.log(require('$package/package.json').version)")"
