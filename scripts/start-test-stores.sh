#!/usr/bin/env bash
# Starts private Redis and PostgreSQL servers for the store tests (tests/unit/store), on
# 127.0.0.1 and non-default ports, in a scratch directory. Run as root. Safe to run again: what
# is installed or running is left as it is. Prints the environment the tests read, so
#   eval "$(scripts/start-test-stores.sh)"
# sets MTASTS_TEST_REDIS_URL and MTASTS_TEST_PG_DSN. Progress goes to standard error.
# scripts/stop-test-stores.sh stops both servers and removes the directory.
#
# Settings (environment): MTASTS_TEST_STORES_DIR [${TMPDIR:-/tmp}/mtasts-test-stores],
# MTASTS_TEST_REDIS_PORT [6390], MTASTS_TEST_PG_PORT [5440].
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

dir=${MTASTS_TEST_STORES_DIR:-${TMPDIR:-/tmp}/mtasts-test-stores}
redis_port=${MTASTS_TEST_REDIS_PORT:-6390}
pg_port=${MTASTS_TEST_PG_PORT:-5440}
pg_db=mtasts_test

say() { printf 'start-test-stores: %s\n' "$*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Installing the Debian packages starts their system instances on the default ports; the tests
# use private ones, so those are stopped (once, right after the install).
install_packages() {
  local missing=()
  for pkg in redis-server redis-tools postgresql; do
    installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  for service in redis-server postgresql; do
    systemctl stop "$service" >/dev/null 2>&1 || service "$service" stop >/dev/null 2>&1 || true
    systemctl disable "$service" >/dev/null 2>&1 || true
  done
}

start_redis() {
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; then
    say "redis already answers on 127.0.0.1:$redis_port"
    return 0
  fi
  mkdir -p "$dir/redis"
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --daemonize yes \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
    --save '' --appendonly no >&2
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$redis_port" ping | grep -q PONG
  say "redis started on 127.0.0.1:$redis_port"
}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { say "no PostgreSQL server binaries under /usr/lib/postgresql"; exit 1; }
  echo "$bin"
}

as_postgres() { runuser -u postgres -- "$@"; }

start_postgres() {
  local bin data
  bin=$(pg_bin)
  data="$dir/pg/data"
  mkdir -p "$dir/pg"
  chown postgres:postgres "$dir/pg"
  chmod 0711 "$dir"
  if [ ! -s "$data/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$data" -U postgres -A trust --no-sync >/dev/null
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$data" -l "$dir/pg/postgres.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c fsync=off" start >/dev/null
    say "postgres started on 127.0.0.1:$pg_port"
  else
    say "postgres already running on 127.0.0.1:$pg_port"
  fi
  if ! as_postgres "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$pg_db'" | grep -q 1; then
    as_postgres "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$pg_db"
  fi
}

install_packages
start_redis
start_postgres

echo "export MTASTS_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
echo "export MTASTS_TEST_PG_DSN=postgresql://postgres@127.0.0.1:$pg_port/$pg_db"
