#!/usr/bin/env bash
# Stops the private Redis and PostgreSQL servers of scripts/start-test-stores.sh and removes
# their directory. Safe to run when they are not running. Same settings as the start script.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

dir=${MTASTS_TEST_STORES_DIR:-${TMPDIR:-/tmp}/mtasts-test-stores}
redis_port=${MTASTS_TEST_REDIS_PORT:-6390}

say() { printf 'stop-test-stores: %s\n' "$*" >&2; }

if command -v redis-cli >/dev/null &&
    redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; then
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  say "redis on 127.0.0.1:$redis_port stopped"
fi

data="$dir/pg/data"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$bin" ] && [ -s "$data/PG_VERSION" ] &&
    runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  say "postgres stopped"
fi

rm -rf "$dir"
