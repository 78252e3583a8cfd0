#!/usr/bin/env bash
# Installs the Debian packages the `mtasts host` tests and benchmarks need on top of the test
# world (scripts/install-test-world-deps.sh): pebble (the ACME test CA), nginx (the reference
# HTTPS server of bench/host), wrk (HTTP load) and postgresql (the cluster store; also installed
# by scripts/start-test-stores.sh).
# Idempotent: when every package is already installed it changes nothing and skips apt-get update.
# Tests and benchmarks start private instances inside a network namespace, so the system
# services the packages start on installation are stopped and disabled.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

export DEBIAN_FRONTEND=noninteractive

pkgs=(pebble nginx-light wrk postgresql)

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-host-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-host-deps: all packages already installed"
fi

for svc in nginx postgresql pebble; do
  if command -v systemctl >/dev/null 2>&1; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
  if [ -x "/etc/init.d/$svc" ]; then
    "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
done
exit 0
