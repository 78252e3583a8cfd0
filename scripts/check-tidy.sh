#!/usr/bin/env bash
# Runs clang-tidy-14 (checks in .clang-tidy) over the project's sources (core, net, store,
# hosting, app; not tests or benchmarks) and fails on any warning. Needs the compile database of
# a configured ci build (cmake --preset ci). Two files at a time (MTASTS_TIDY_JOBS to change).
# Skips net/src/runtime/asio_impl.cpp and beast_impl.cpp: they only compile Asio and Beast
# (BOOST_*_SEPARATE_COMPILATION) and hold none of our code, yet take minutes each.
# A file's result is cached in build/tidy-cache/ under a hash of the file, every project header,
# .clang-tidy and its compile command, so an unchanged tree runs in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

db=build/ci/compile_commands.json
if [ ! -f "$db" ]; then
  echo "check-tidy: $db is missing; run: cmake --preset ci" >&2
  exit 2
fi
tidy=clang-tidy-14
jobs=${MTASTS_TIDY_JOBS:-2}
cache=build/tidy-cache
mkdir -p "$cache"

# One line per source: "<cache key> <file>". The key covers everything a result depends on that
# this tree controls; the toolchain is pinned by the package version.
mapfile -t entries < <(python3 - "$db" <<'PY'
import hashlib, json, os, subprocess, sys
root = os.getcwd()
layers = ("core/", "net/", "store/", "hosting/", "app/")
skip = {"net/src/runtime/asio_impl.cpp", "net/src/runtime/beast_impl.cpp"}
headers = subprocess.run(
    ["git", "ls-files", "-co", "--exclude-standard", "--", *(l + "*.hpp" for l in layers)],
    check=True, capture_output=True, text=True).stdout.split()
common = hashlib.sha256()
for path in sorted(headers) + [".clang-tidy"]:
    common.update(path.encode())
    with open(path, "rb") as f:
        common.update(f.read())
common.update(subprocess.run(["clang-tidy-14", "--version"], check=True,
                             capture_output=True).stdout)
for entry in json.load(open(sys.argv[1])):
    rel = os.path.relpath(entry["file"], root)
    if not rel.startswith(layers) or rel in skip:
        continue
    key = common.copy()
    key.update(entry.get("command", " ".join(entry.get("arguments", []))).encode())
    with open(rel, "rb") as f:
        key.update(f.read())
    print(key.hexdigest()[:32], rel)
PY
)

run_one() {
  local key=$1 file=$2 out
  if [ -f "$cache/$key.ok" ]; then
    return 0
  fi
  out=$("$tidy" -p build/ci --quiet --extra-arg=-Wno-unknown-warning-option "$file" 2>&1 \
    | grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' || true)
  if [ -n "$out" ]; then
    printf '%s\n' "$out"
    return 1
  fi
  touch "$cache/$key.ok"
}
export -f run_one
export tidy cache

start=$SECONDS
status=0
printf '%s\n' "${entries[@]}" | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"' \
  >"$cache/last.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  # A header's warning shows once per file that includes it: print each once.
  grep -E '(warning|error):' "$cache/last.log" | sort -u >&2
  echo "clang-tidy: warnings above (full output: $cache/last.log)" >&2
  exit 1
fi
echo "clang-tidy: ok (${#entries[@]} files, $((SECONDS - start)) s)"
