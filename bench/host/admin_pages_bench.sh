#!/usr/bin/env bash
# Server time of the admin API requests behind the console's pages, at N hosted domains: the
# domain list (one page of 50, the first and the last page, a search), one domain, its TLS-RPT
# summary and its audit entries. The store is seeded by host_store_seed (N domains, each with a
# certificate: here one self-signed pair linked N times, as nothing connects over TLS), the real
# `mtasts host` serves it in a private network namespace, and curl times each request 20 times
# (time to the first byte; the median and the worst are printed).
#
#   bench/host/admin_pages_bench.sh build/ci/app/mtasts build/ci/bench/host/host_store_seed 10000
set -euo pipefail

binary=$(realpath "$1")
seed=$(realpath "$2")
domains=${3:-10000}
ns=mtasts-pages-bench-$$
work=$(mktemp -d /tmp/mtasts-pages-bench.XXXXXX)
host_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/certs" "$work/state"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
  -subj "/CN=mta-sts.d0.bench.test" -keyout "$work/certs/one.key" -out "$work/certs/one.pem" \
  2>/dev/null
for ((i = 0; i < domains; i++)); do
  ln "$work/certs/one.pem" "$work/certs/d$i.pem"
  ln "$work/certs/one.key" "$work/certs/d$i.key"
done
began=$(date +%s)
"$seed" --store "$work/state/host.db" --cert-dir "$work/certs" --domains "$domains" >/dev/null
echo "seeded $domains domains in $(($(date +%s) - began)) s"

token=$(openssl rand -hex 24)
echo "bench $token" >"$work/state/tokens"
chmod 600 "$work/state/tokens"
cat >"$work/state/host.yml" <<YML
{"service": {"hostname": "mta-sts-host.bench.test"},
 "listen": {"https": ["127.0.0.1:8443"], "http": [], "threads": 1},
 "admin": {"listen": "127.0.0.1:18462", "token_file": "$work/state/tokens"},
 "store": {"type": "sqlite", "filename": "$work/state/host.db"},
 "acme": {"directory": "https://127.0.0.1:1/directory", "contact": ["bench@bench.test"]},
 "monitor": {"interval": 0}, "state_dir": "$work/state", "user": "root", "shutdown_timeout": 1}
YML
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$binary" host -c "$work/state/host.yml" -v info >"$work/host.log" 2>&1 &
host_pid=$!
for _ in $(seq 1 600); do
  grep -q "event=ready" "$work/host.log" && break
  kill -0 "$host_pid" 2>/dev/null || { tail -20 "$work/host.log"; exit 1; }
  sleep 0.5
done
grep -q "event=ready" "$work/host.log" || { echo "not ready"; tail -20 "$work/host.log"; exit 1; }

middle=$((domains / 2))
last=$(((domains - 1) / 50 * 50))
for path in "/v1/domains?limit=50" "/v1/domains?limit=50&offset=$last" \
  "/v1/domains?limit=50&q=d77" "/v1/domains/d$middle.bench.test" \
  "/v1/domains/d$middle.bench.test/reports?days=30" \
  "/v1/audit?domain=d$middle.bench.test&limit=50"; do
  times=$(for _ in $(seq 1 20); do
    ip netns exec "$ns" curl -s -o /dev/null -w '%{time_starttransfer}\n' \
      -H "Authorization: Bearer $token" "http://127.0.0.1:18462$path"
  done | sort -n)
  median=$(echo "$times" | sed -n 10p)
  worst=$(echo "$times" | tail -1)
  printf '%-55s median %6.1f ms  worst %6.1f ms\n' "$path" \
    "$(echo "$median * 1000" | bc -l)" "$(echo "$worst * 1000" | bc -l)"
done
