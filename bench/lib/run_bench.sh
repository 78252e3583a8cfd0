# Sourced by the bench/run-*.sh drivers. Needs `root` (the checkout). Sets `preset` and `build`
# (MTASTS_BENCH_PRESET, default release) and gives:
#   bench_parse_args SCRIPT "$@"   reads [--quick] [-- SCRIPT options] into `quick` and `extra`
#   bench_require_root WHY         exits 2 unless run as root
#   bench_build TARGET...          configures the preset if needed and builds the targets

preset=${MTASTS_BENCH_PRESET:-release}
build="$root/build/$preset"

bench_parse_args() {
  local script=$1
  shift
  quick=0
  extra=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) quick=1 ;;
      --) shift; extra=("$@"); break ;;
      *) echo "usage: $0 [--quick] [-- $script options]" >&2; exit 2 ;;
    esac
    shift
  done
}

bench_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$(basename "$0" .sh): needs root ($1)" >&2
    exit 2
  fi
}

bench_build() {
  if [ ! -f "$build/build.ninja" ]; then
    (cd "$root" && cmake --preset "$preset" >&2)
  fi
  cmake --build "$build" --target "$@" >&2
}
