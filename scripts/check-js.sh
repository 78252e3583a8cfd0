#!/usr/bin/env bash
# Lints the console's JavaScript (hosting/console/js) with eslint, version pinned below,
# installed by npm into build/eslint/ (outside the source tree; once, then reused). Rules in
# scripts/eslint.config.mjs. Fails on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."

version=9.39.5
prefix=build/eslint
bin=$prefix/node_modules/.bin/eslint
if ! command -v npm >/dev/null 2>&1; then
  echo "check-js: npm is missing; run scripts/install-browser-deps.sh" >&2
  exit 2
fi
if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "v$version" ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --silent "eslint@$version" >&2
fi
exec "$bin" --config scripts/eslint.config.mjs --max-warnings 0 hosting/console/js
