#!/usr/bin/env bash
# Fuzzes every target with libFuzzer (clang-14, ASan+UBSan) for SECONDS each (default 300),
# starting from the checked-in corpus. New interesting inputs go to build/fuzz/corpus-new/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(ls tests/fuzz/fuzz_*.cpp | xargs -n1 basename | sed 's/^fuzz_//; s/\.cpp$//')
fi
status=0
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus-new/$t" build/fuzz/artifacts
  echo "=== fuzz_$t for ${seconds}s"
  if ! "build/fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=70000 \
      -artifact_prefix="build/fuzz/artifacts/$t-" "build/fuzz/corpus-new/$t" "tests/fuzz/corpus/$t" \
      2>"build/fuzz/fuzz_$t.log"; then
    echo "fuzz_$t FOUND A PROBLEM: see build/fuzz/fuzz_$t.log and build/fuzz/artifacts/"
    status=1
  fi
  tail -n 2 "build/fuzz/fuzz_$t.log"
done
exit $status
