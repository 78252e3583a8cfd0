#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running mtasts: installs every dependency
# (apt, as root), builds the release binary and runs the main job on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target mtasts
echo
echo "Built build/release/app/mtasts. Linting the example policy shipped in examples/:"
exec build/release/app/mtasts lint policy examples/mta-sts.txt
