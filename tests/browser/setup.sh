#!/usr/bin/env bash
# ctest fixture: installs the browser tests' npm packages (puppeteer-core,
# which downloads no browser) into the build tree, exactly as the committed
# lock file says. Offline-safe: nothing is fetched when the installed tree
# already matches the lock, and npm prefers its cache otherwise.
#   setup.sh <source dir of tests/browser> <build dir for them>
set -euo pipefail
src="$1" dst="$2"
mkdir -p "$dst"
cp "$src/package.json" "$src/package-lock.json" "$dst/"
stamp="$dst/node_modules/.pw-lock.sha256"
want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dst/node_modules/puppeteer-core" ]; then
  echo "node_modules matches package-lock.json: nothing to install"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is missing: run scripts/install-deps.sh" >&2; exit 1; }
cd "$dst"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "installed: $(node -e 'console.log(require("puppeteer-core/package.json").version)') puppeteer-core"
