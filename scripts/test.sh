#!/usr/bin/env bash
# Runs every test of mtasts, from a fresh Debian 12 machine (as root): installs dependencies,
# checks formatting, core purity, layering and the conformance map, builds with warnings as
# errors, runs clang-tidy over the project's sources, runs the unit tests and fuzz-corpus
# replays, the integration tests against real DNS, HTTPS and SMTP servers in a private network
# namespace (while the ASan+UBSan build compiles beside them), the unit tests and replays again
# under ASan+UBSan, then builds the Debian package and installs, upgrades and purges it in a
# Debian 12 chroot.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/install-test-world-deps.sh
scripts/install-e2e-deps.sh
scripts/install-host-deps.sh
scripts/install-package-deps.sh
scripts/install-browser-deps.sh

step() { printf '\n=== %s\n' "$*"; }

step "static checks"
scripts/check-format.sh
scripts/check-core-purity.sh
python3 scripts/check-layering.py
python3 tests/fuzz/seed_corpus.py --check
python3 scripts/conformance.py --check
python3 scripts/gen-check-docs.py --check
python3 scripts/gen-lint-docs.py --check
scripts/check-js.sh

step "build (ci preset: warnings are errors)"
cmake --preset ci >/dev/null
cmake --build --preset ci

step "clang-tidy (checks in .clang-tidy; any warning fails)"
scripts/check-tidy.sh

step "unit tests and fuzz corpus replay (with private Redis and PostgreSQL for the store tests)"
eval "$(scripts/start-test-stores.sh)"
trap 'scripts/stop-test-stores.sh >/dev/null 2>&1 || true' EXIT
ctest --preset ci -j2

# The ASan build compiles while the integration tests run: they spend most of their time
# waiting on servers, timers and the browser, and the compiler, at the lowest priority, takes
# only the CPU they leave. Its output is shown when it is done.
step "build (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer), in the background"
cmake --preset asan >/dev/null
asan_log=build/asan-build.log
nice -n 19 cmake --build --preset asan -j2 >"$asan_log" 2>&1 &
asan_pid=$!
trap 'kill "$asan_pid" 2>/dev/null || true; scripts/stop-test-stores.sh >/dev/null 2>&1 || true' EXIT

step "integration tests (test world: knot, unbound, HTTPS and SMTP hosts in a network namespace)"
# Debian's python3 has pytest, cryptography and aiosmtpd; a python3 earlier on PATH may not.
MTASTS_BIN="$PWD/build/ci/app/mtasts" /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider

step "build (asan preset), waiting for it"
asan_status=0
wait "$asan_pid" || asan_status=$?
grep -vE '^\[[0-9]+/[0-9]+\] ' "$asan_log" || true
if [ "$asan_status" -ne 0 ]; then
  echo "the asan build failed (status $asan_status; full output: $asan_log)" >&2
  exit 1
fi
echo "asan build: ok ($(grep -cE '^\[[0-9]+/[0-9]+\] ' "$asan_log") steps)"

step "unit tests and fuzz corpus replay under ASan+UBSan"
ctest --preset asan -j2

step "Debian package (build, lintian, install/upgrade/purge in a clean Debian 12 chroot)"
scripts/check-package.sh

echo
echo "all test stages passed"
