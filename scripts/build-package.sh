#!/usr/bin/env bash
# Builds the mtasts Debian package from the working tree (committed or not):
#   scripts/build-package.sh [--clean] [OUTDIR]        (default OUTDIR: build/deb)
# copies the tracked and untracked-but-not-ignored files to OUTDIR/mtasts-VERSION, runs
# dpkg-buildpackage there (binary only, unsigned) and leaves OUTDIR/mtasts_VERSION_ARCH.deb.
#
# The package build compiles with the `ci` preset's flags, so with ccache a tree that
# `cmake --build --preset ci` has built is only linked again (debian/rules says why). Its build
# directory (OUTDIR/mtasts-VERSION/build/pkg) is kept from one run to the next and the copy
# keeps the files' times, so ninja recompiles only what changed; --clean starts afresh.
set -euo pipefail
cd "$(dirname "$0")/.."

clean=no
if [ "${1:-}" = "--clean" ]; then
  clean=yes
  shift
fi
out=${1:-build/deb}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
src="$out/mtasts-$version"
rm -f "$out"/mtasts_*.deb "$out"/mtasts-dbgsym_*.deb "$out"/mtasts_*.buildinfo \
  "$out"/mtasts_*.changes
if [ "$clean" = yes ]; then
  rm -rf "$src"
fi
mkdir -p "$src"
find "$src" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$src"

# debhelper (compat 13) points HOME at an empty directory: keep ccache's own configuration
# and cache.
if command -v ccache >/dev/null 2>&1; then
  CCACHE_DIR=$(ccache -k cache_dir)
  export CCACHE_DIR
  for conf in "${CCACHE_CONFIGPATH:-}" "${XDG_CONFIG_HOME:-$HOME/.config}/ccache/ccache.conf" \
    "$HOME/.ccache/ccache.conf"; do
    if [ -n "$conf" ] && [ -f "$conf" ]; then
      export CCACHE_CONFIGPATH=$conf
      break
    fi
  done
fi

# -nc: no `debian/rules clean` first, which would delete the kept build directory (the rest of
# the tree is a fresh copy).
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -b -uc -us -nc)
ls "$out"/mtasts_"$version"_*.deb
