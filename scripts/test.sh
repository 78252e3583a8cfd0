#!/usr/bin/env bash
# Runs every test of mtasts, from a fresh Debian 12 machine (as root): installs dependencies,
# checks formatting, core purity, layering and the conformance map, builds with warnings as
# errors, runs the unit tests and fuzz-corpus replays, the integration tests against real DNS,
# HTTPS and SMTP servers in a private network namespace (while clang-tidy over the project's
# sources and the ASan+UBSan build run beside them), the unit tests and replays again under
# ASan+UBSan, then builds the Debian package and installs, upgrades and purges it in a Debian 12
# chroot.
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

step "unit tests and fuzz corpus replay (with private Redis and PostgreSQL for the store tests)"
eval "$(scripts/start-test-stores.sh)"
background_groups=()
cleanup() {
  local group
  for group in "${background_groups[@]}"; do
    kill -- "-$group" 2>/dev/null || true
  done
  scripts/stop-test-stores.sh >/dev/null 2>&1 || true
}
trap cleanup EXIT
ctest --preset ci -j2

# clang-tidy and the ASan build run while the integration tests do: those spend most of their
# time waiting on servers, timers and the browser, and the two jobs, at the lowest priority, take
# only the CPU the tests leave. Each job runs in its own process group (killed if this script
# ends first), its output in build/NAME.log, shown when it is waited for.
# background NAME COMMAND...: starts COMMAND; its process group's id is NAME's pid.
declare -A background_pid
background() {
  local name=$1
  shift
  setsid --wait nice -n 19 "$@" >"build/$name.log" 2>&1 &
  background_pid[$name]=$!
  background_groups+=("$!")
}
# finish NAME: waits for NAME, prints its output (without ninja's progress lines), fails if it did.
finish() {
  local name=$1 status=0
  wait "${background_pid[$name]}" || status=$?
  grep -vE '^\[[0-9]+/[0-9]+\] ' "build/$name.log" || true
  if [ "$status" -ne 0 ]; then
    echo "$name failed (status $status; output: build/$name.log)" >&2
    exit 1
  fi
}

step "clang-tidy (checks in .clang-tidy; any warning fails) and the asan build, in the background"
cmake --preset asan >/dev/null
background clang-tidy scripts/check-tidy.sh
background asan-build cmake --build --preset asan -j2

step "integration tests (test world: knot, unbound, HTTPS and SMTP hosts in a network namespace)"
# Debian's python3 has pytest, cryptography and aiosmtpd; a python3 earlier on PATH may not.
MTASTS_BIN="$PWD/build/ci/app/mtasts" /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider

step "clang-tidy, waiting for it"
finish clang-tidy

step "build (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer), waiting for it"
finish asan-build

step "unit tests and fuzz corpus replay under ASan+UBSan"
ctest --preset asan -j2

step "Debian package (build, lintian, install/upgrade/purge in a clean Debian 12 chroot)"
scripts/check-package.sh

echo
echo "all test stages passed"
