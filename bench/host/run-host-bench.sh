#!/usr/bin/env bash
# The policy server of `mtasts host` against nginx (same file, certificate, key and TLS
# settings), interleaved in one private network namespace, measured with wrk; then its memory
# with 10,000 hosted domains. Prints markdown tables (figures and ratios; nothing is asserted).
#
#   bench/host/run-host-bench.sh                 # full run (about 5 minutes, plus the first
#                                                # issue of 10,000 certificates, cached after)
#   bench/host/run-host-bench.sh --quick         # smoke run: 1 round of 3 s, 1,000 domains
#   bench/host/run-host-bench.sh -- --rounds 5   # anything after -- goes to host_bench.py
#
# Environment: MTASTS_BENCH_PRESET (CMake preset to build, default release), MTASTS_BENCH_OUT
# (directory for results.json and results.md, default build/<preset>/bench-results/host).
# Certificates are cached in build/bench-host-certs. Needs root, nginx (nginx-light), wrk and
# python3-cryptography: scripts/install-host-deps.sh and scripts/install-test-world-deps.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/bench/lib/run_bench.sh"
bench_parse_args host_bench.py "$@"

bench_require_root "network namespace"
for tool in nginx wrk; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "run-host-bench: $tool missing: run scripts/install-host-deps.sh" >&2
    exit 2
  fi
done

bench_build serve_bench host_store_seed mtasts

out=${MTASTS_BENCH_OUT:-$build/bench-results/host}
mkdir -p "$out"
args=(--serve-bench "$build/bench/host/serve_bench" --cache "$root/build/bench-host-certs"
      --host-binary "$build/app/mtasts" --seed-tool "$build/bench/host/host_store_seed"
      --json-out "$out/results.json" --markdown-out "$out/results.md")
if [ "$quick" -eq 1 ]; then
  args+=(--rounds 1 --duration 3 --bench-domains 100 --memory-domains 1000)
fi

echo "run-host-bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 "$root/bench/host/host_bench.py" "${args[@]}" "${extra[@]}"
echo "run-host-bench: results in $out" >&2
