#!/usr/bin/env bash
# Server time of the admin API requests behind the console's pages, at N hosted domains and
# optionally D days of TLS-RPT reports from R reporters a day per domain: every request of the
# domain page of the middle domain (the domain, its TLS-RPT summary over 7, 30 (the console's
# default), 90 and 365 days, which carries the charts, the failure table by MX and the readiness
# verdict, and its audit entries), the Reports page (all domains, the domain's, the reports kept
# apart, one report), the Domains page (first and last page of 50, a search) and the Service
# page. The store is seeded by host_store_seed (N domains, each with a certificate: here one
# self-signed pair linked N times, as nothing connects over TLS; then the reports), the real
# `mtasts host` serves it in a private network namespace, and curl times each request 20 times
# (time to the first byte; the median and the worst are printed). The first answer after start
# is timed apart: it waits for the start-up pruning of old reports on the store worker; so is
# each request's first answer ("first": the first view of that page since the start). With
# DROP_CACHES=1 (root) the kernel's page cache is emptied before the start, so first views read
# the store from disk.
#
#   bench/host/admin_pages_bench.sh MTASTS HOST_STORE_SEED [DOMAINS [REPORT_DAYS [REPORTERS]]]
#
# SEEDED_STORE=FILE uses a store host_store_seed filled before with the same DOMAINS (seeding a
# year of reports takes a while) instead of seeding one; `mtasts host` then works on it in place.
#   bench/host/admin_pages_bench.sh build/ci/app/mtasts build/ci/bench/host/host_store_seed \
#     10000 365 2
set -euo pipefail

binary=$(realpath "$1")
seed=$(realpath "$2")
domains=${3:-10000}
report_days=${4:-0}
reporters=${5:-2}
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
store="$work/state/host.db"
if [ -n "${SEEDED_STORE:-}" ]; then
  store=$(realpath "$SEEDED_STORE")
  echo "store $store: $(du -sh "$store" | cut -f1)"
else
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
    -subj "/CN=mta-sts.d0.bench.test" -keyout "$work/certs/one.key" -out "$work/certs/one.pem" \
    2>/dev/null
  for ((i = 0; i < domains; i++)); do
    ln "$work/certs/one.pem" "$work/certs/d$i.pem"
    ln "$work/certs/one.key" "$work/certs/d$i.key"
  done
  began=$(date +%s)
  "$seed" --store "$store" --cert-dir "$work/certs" --domains "$domains" \
    --report-days "$report_days" --reporters "$reporters"
  echo "seeded $domains domains and $report_days days of reports in $(($(date +%s) - began)) s;" \
    "store $(du -sh "$work/state" | cut -f1)"
fi

token=$(openssl rand -hex 24)
echo "bench $token" >"$work/state/tokens"
chmod 600 "$work/state/tokens"
cat >"$work/state/host.yml" <<YML
{"service": {"hostname": "mta-sts-host.bench.test"},
 "listen": {"https": ["127.0.0.1:8443"], "http": [], "threads": 1},
 "admin": {"listen": "127.0.0.1:18462", "token_file": "$work/state/tokens"},
 "store": {"type": "sqlite", "filename": "$store"},
 "acme": {"directory": "https://127.0.0.1:1/directory", "contact": ["bench@bench.test"]},
 "monitor": {"interval": 0}, "state_dir": "$work/state", "user": "root", "shutdown_timeout": 1}
YML
if [ "${DROP_CACHES:-0}" = 1 ]; then
  # The first view from disk: nothing of the store in the page cache.
  sync
  echo 3 >/proc/sys/vm/drop_caches
fi
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$binary" host -c "$work/state/host.yml" -v info >"$work/host.log" 2>&1 &
host_pid=$!
started=$(date +%s.%N)
for _ in $(seq 1 600); do
  grep -q "event=ready" "$work/host.log" && break
  kill -0 "$host_pid" 2>/dev/null || { tail -20 "$work/host.log"; exit 1; }
  sleep 0.5
done
grep -q "event=ready" "$work/host.log" || { echo "not ready"; tail -20 "$work/host.log"; exit 1; }
printf '%-55s %8.1f s\n' "start to ready (polled every 0.5 s)" \
  "$(echo "$(date +%s.%N) - $started" | bc -l)"

ask() {
  ip netns exec "$ns" curl -s --max-time 600 -H "Authorization: Bearer $token" "$@"
}
middle=$((domains / 2))
d="d$middle.bench.test"
first=$(ask -o /dev/null -w '%{time_starttransfer}' \
  "http://127.0.0.1:18462/v1/domains/$d/reports?days=30")
printf '%-55s %8.1f ms\n' "first summary after ready (behind the start-up pruning)" \
  "$(echo "$first * 1000" | bc -l)"
last=$(((domains - 1) / 50 * 50))
report=$(ask "http://127.0.0.1:18462/v1/reports?days=90&limit=1&domain=$d" |
  python3 -c 'import json, sys; r = json.load(sys.stdin)["reports"]; print(r[0]["id"] if r else 0)')
for path in "/v1/domains/$d" "/v1/domains/$d/reports?days=7" "/v1/domains/$d/reports?days=30" \
  "/v1/domains/$d/reports?days=90" "/v1/domains/$d/reports?days=365" \
  "/v1/audit?limit=50&domain=$d" \
  "/v1/reports?days=90&limit=200" "/v1/reports?days=90&limit=200&domain=$d" \
  "/v1/reports/apart?limit=100" "/v1/reports/$report" \
  "/v1/domains?limit=50" "/v1/domains?limit=50&offset=$last" "/v1/domains?limit=50&q=d77" \
  "/v1/status" "/v1/audit?limit=100" "/v1/domains?limit=1000"; do
  read -r status once < <(ask -o /dev/null -w '%{http_code} %{time_starttransfer}\n' \
    "http://127.0.0.1:18462$path")
  [ "$status" = 200 ] || { echo "$path answered $status"; exit 1; }
  times=$(for _ in $(seq 1 20); do
    ask -o /dev/null -w '%{time_starttransfer}\n' "http://127.0.0.1:18462$path"
  done | sort -n)
  median=$(echo "$times" | sed -n 10p)
  worst=$(echo "$times" | tail -1)
  printf '%-55s first %7.1f ms  median %6.1f ms  worst %6.1f ms\n' "$path" \
    "$(echo "$once * 1000" | bc -l)" "$(echo "$median * 1000" | bc -l)" \
    "$(echo "$worst * 1000" | bc -l)"
done
