#!/usr/bin/env bash
# Installs what the console's browser tests and the JavaScript lint need: Debian's chromium
# and chromium-driver (headless), python3-selenium to drive them (tests/integration/
# test_console.py), and nodejs + npm, with which scripts/check-js.sh installs its pinned eslint
# into a local directory.
# Idempotent: when every package is already installed it changes nothing and skips apt-get update.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi
. "$(dirname "$0")/lib/packages.sh"

install_missing install-browser-deps chromium chromium-driver python3-selenium
# Node.js with npm may come from elsewhere (a nodejs package that bundles npm conflicts with
# Debian's npm): only a machine without npm gets Debian's.
if ! command -v npm >/dev/null 2>&1; then
  install_missing install-browser-deps nodejs npm
fi
exit 0
