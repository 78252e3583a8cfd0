#!/usr/bin/env bash
# Socketmap benchmarks: `mtasts daemon` against Debian's postfix-mta-sts-resolver and a trivial
# epoll server, interleaved in one run on this machine, inside a test-world network namespace.
# Prints markdown tables (figures and ratios; nothing is asserted) and keeps the raw results.
#
#   bench/run-daemon-bench.sh                 # full run (about 15-25 minutes on 2 cores)
#   bench/run-daemon-bench.sh --quick         # smoke run: 1 round, 1 s runs, 2,000 cached policies
#   bench/run-daemon-bench.sh -- --rounds 5   # anything after -- goes to bench/world_bench.py
#
# Environment: MTASTS_BENCH_PRESET (CMake preset to build and measure, default release),
# MTASTS_BIN (an mtasts binary to measure instead of the preset's), MTASTS_BENCH_OUT (directory
# for results.json and results.md, default build/<preset>/bench-results).
# Needs root and the test world's packages: scripts/install-test-world-deps.sh and
# scripts/install-e2e-deps.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bench/lib/run_bench.sh"
bench_parse_args world_bench.py "$@"

bench_require_root "network namespace, ports 53/443"
for tool in mta-sts-daemon knotd unbound; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-daemon-bench: $tool missing: run scripts/install-test-world-deps.sh and" \
      "scripts/install-e2e-deps.sh" >&2
    exit 2
  fi
done

targets=(socketmap_loadgen socketmap_trivial_server)
[ -z "${MTASTS_BIN:-}" ] && targets+=(mtasts)
bench_build "${targets[@]}"

mtasts=${MTASTS_BIN:-$build/app/mtasts}
if ! "$mtasts" daemon --help >/dev/null 2>&1; then
  echo "run-daemon-bench: $mtasts has no \`daemon\` subcommand" >&2
  exit 2
fi

out=${MTASTS_BENCH_OUT:-$build/bench-results}
mkdir -p "$out"
args=(--mtasts "$mtasts"
      --loadgen "$build/bench/socketmap/socketmap_loadgen"
      --trivial "$build/bench/socketmap/socketmap_trivial_server"
      --json-out "$out/results.json" --markdown-out "$out/results.md")
if [ "$quick" -eq 1 ]; then
  args+=(--rounds 1 --duration 1 --cold 200 --fill 2000 --max-seconds 900)
fi

echo "run-daemon-bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); measuring $mtasts" >&2
/usr/bin/python3 "$root/bench/world_bench.py" "${args[@]}" "${extra[@]}"
echo "run-daemon-bench: results in $out" >&2
