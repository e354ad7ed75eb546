#!/usr/bin/env bash
# ctest fixture: installs the Socket.IO test driver's npm packages
# (socket.io-client, ws) into the build tree, exactly as the committed lock
# file says. Offline-safe: nothing is fetched when the installed tree already
# matches the lock, and npm prefers its cache otherwise.
#   setup.sh <source dir of tests/sio> <build dir for them>
set -euo pipefail
src="$(cd "$1" && pwd)"
mkdir -p "$2"
dst="$(cd "$2" && pwd)"
cp "$src/package.json" "$src/package-lock.json" "$dst/"
stamp="$dst/node_modules/.pw-lock.sha256"
want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dst/node_modules/socket.io-client" ]; then
  echo "node_modules matches package-lock.json: nothing to install"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: run scripts/install-deps.sh" >&2; exit 1; }
cd "$dst"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "installed: socket.io-client $(node -e 'console.log(require("socket.io-client/package.json").version)')"
