#!/usr/bin/env bash
# Installs every Debian 12 package mtasts needs to build, test, fuzz and benchmark.
# Run as root (or through sudo). Safe to run again: apt skips what is installed.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

. "$(dirname "$0")/lib/packages.sh"

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libssl-dev libc-ares-dev libidn2-dev libexpected-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libsqlite3-dev libhiredis-dev libpq-dev zlib1g-dev libsystemd-dev libarchive-dev
  libgmime-3.0-dev libopendkim-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  python3 python3-pytest python3-cryptography
)

install_missing install-deps "${build_pkgs[@]}" "${test_pkgs[@]}"
