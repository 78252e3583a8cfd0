#!/usr/bin/env bash
# Runs every test of mtasts, from a fresh Debian 12 machine (as root): installs dependencies,
# checks formatting, core purity, layering and the conformance map, builds with warnings as
# errors, runs clang-tidy over the project's sources, runs the unit tests and fuzz-corpus replays, then again under ASan+UBSan, then the
# integration tests against real DNS, HTTPS and SMTP servers in a private network namespace,
# then builds the Debian package and installs, upgrades and purges it in a Debian 12 chroot.
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

step "build (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake --preset asan >/dev/null
cmake --build --preset asan

step "unit tests and fuzz corpus replay under ASan+UBSan"
ctest --preset asan -j2

step "integration tests (test world: knot, unbound, HTTPS and SMTP hosts in a network namespace)"
# Debian's python3 has pytest, cryptography and aiosmtpd; a python3 earlier on PATH may not.
MTASTS_BIN="$PWD/build/ci/app/mtasts" /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider

step "Debian package (build, lintian, install/upgrade/purge in a clean Debian 12 chroot)"
scripts/check-package.sh

echo
echo "all test stages passed"
