#!/usr/bin/env bash
# Installs the Debian packages the `mtasts host` tests and benchmarks need on top of the test
# world (scripts/install-test-world-deps.sh): pebble (the ACME test CA), nginx (the reference
# HTTPS server of the benchmarks), wrk (HTTP load) and postgresql (the cluster store; also
# installed by scripts/start-test-stores.sh).
# Idempotent: when every package is already installed it changes nothing and skips apt-get update.
# Tests and benchmarks start private instances inside a network namespace, so the system
# services the packages start on installation are stopped and disabled.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi
. "$(dirname "$0")/lib/packages.sh"

install_missing install-host-deps pebble nginx-light wrk postgresql
stop_services nginx postgresql
exit 0
