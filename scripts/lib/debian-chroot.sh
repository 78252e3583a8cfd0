# shellcheck shell=bash
# Shared by scripts/check-package.sh (sourced, not run): a clean Debian 12 chroot, bootstrapped
# once with debootstrap and kept as a tarball, unpacked afresh for every run.

CHROOT_CACHE=${CHROOT_CACHE:-/var/cache/mtasts-ci}
CHROOT_SUITE=bookworm
CHROOT_MOUNTS=()

# debian_mirror: the Debian archive the host's apt uses (the first URI of a source for the
# suite that is not the security archive), or deb.debian.org.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$CHROOT_SUITE" '
      /^deb / {
        for (i = 2; i < NF; i++) if ($i ~ /^https?:/ && $(i + 1) == suite) { print $i; exit }
      }
      /^URIs:/ { uri = $2 }
      /^Suites:/ {
        for (i = 2; i <= NF; i++) if ($i == suite && uri !~ /security/) { print uri; exit }
      }')
  echo "${uri:-http://deb.debian.org/debian}"
}

# chroot_tarball: prints the cached tarball of a minbase bootstrap, making it first if needed
# (a few minutes once; then every run unpacks it in seconds).
chroot_tarball() {
  local tarball="$CHROOT_CACHE/$CHROOT_SUITE-minbase.tar.gz" mirror tmp
  if [ ! -s "$tarball" ]; then
    mirror=$(debian_mirror)
    mkdir -p "$CHROOT_CACHE"
    tmp=$(mktemp -d /var/tmp/mtasts-debootstrap.XXXXXX)
    echo "bootstrapping $CHROOT_SUITE (minbase) from $mirror into $tarball" >&2
    if ! debootstrap --variant=minbase "$CHROOT_SUITE" "$tmp" "$mirror" >"$tmp.log" 2>&1; then
      tail -20 "$tmp.log" >&2
      rm -rf "$tmp" "$tmp.log"
      return 1
    fi
    rm -f "$tmp.log"
    rm -rf "$tmp"/var/cache/apt/archives/*.deb
    tar -C "$tmp" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$tmp"
  fi
  echo "$tarball"
}

# chroot_with_packages_tarball PACKAGES DEPENDS: prints the cached tarball of the minbase
# chroot with PACKAGES and the dependency list DEPENDS (a Depends: field) installed with apt
# from the archive. It is made again when either changes or when it is a week old (security
# updates); runs in between unpack it instead of installing the same packages again.
chroot_with_packages_tarball() {
  local packages=$1 depends=$2 key tarball tmp
  key=$(printf '%s|%s' "$packages" "$depends" | sha256sum | cut -c1-12)
  tarball="$CHROOT_CACHE/$CHROOT_SUITE-deps-$key.tar.gz"
  if [ -s "$tarball" ] && [ -n "$(find "$tarball" -mtime -7)" ]; then
    echo "$tarball"
    return 0
  fi
  tmp=$(mktemp -d /var/tmp/mtasts-chroot-deps.XXXXXX)
  echo "installing into a fresh chroot, cached as $tarball: $packages, $depends" >&2
  (
    trap 'chroot_cleanup "$tmp"' EXIT
    chroot_unpack "$tmp" "$(chroot_tarball)"
    chroot_apt "$tmp" update
    # shellcheck disable=SC2086
    chroot_apt "$tmp" install --no-install-recommends $packages
    chroot_apt "$tmp" satisfy --no-install-recommends "$depends"
    chroot_release "$tmp"
    rm -f "$CHROOT_CACHE/$CHROOT_SUITE"-deps-*.tar.gz
    tar -C "$tmp" --exclude=./proc/* --exclude=./dev/* -czf "$tarball.tmp" . &&
      mv "$tarball.tmp" "$tarball"
  ) >&2 || return 1
  echo "$tarball"
}

# chroot_apt DIR ARGS...: apt-get in the chroot, output on stdout.
chroot_apt() {
  local root=$1
  shift
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 \
    -o APT::Sandbox::User=root "$@"
}

# chroot_mount SRC DEST [OPTIONS...]: mounts inside the chroot and remembers it for cleanup.
chroot_mount() {
  local src=$1 dest=$2
  shift 2
  mkdir -p "$dest"
  mount "$@" "$src" "$dest"
  CHROOT_MOUNTS+=("$dest")
}

# chroot_unpack DIR TARBALL: a fresh chroot in DIR from TARBALL, with /proc, /dev and the
# host's resolver, and apt's downloaded packages kept in $CHROOT_CACHE/apt-archives.
chroot_unpack() {
  local root=$1 tarball=$2
  mkdir -p "$root" "$CHROOT_CACHE/apt-archives/partial"
  tar -C "$root" -xzf "$tarball"
  # The chroot's / as on a real system (mktemp made it 0700): users other than root need it.
  chmod 0755 "$root"
  chroot_mount proc "$root/proc" -t proc
  chroot_mount /dev "$root/dev" --bind
  chroot_mount "$CHROOT_CACHE/apt-archives" "$root/var/cache/apt/archives" --bind
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # Nothing installed in the chroot starts a service.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
}

# chroot_release DIR: unmounts what chroot_unpack mounted, keeping DIR.
chroot_release() {
  local i
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${CHROOT_MOUNTS[i]}" 2>/dev/null || umount -l "${CHROOT_MOUNTS[i]}" 2>/dev/null || true
  done
  CHROOT_MOUNTS=()
}

# chroot_cleanup DIR: unmounts everything chroot_mount mounted (last first), removes DIR.
chroot_cleanup() {
  local root=$1
  chroot_release
  if [ -n "$root" ] && [ -d "$root" ] && ! grep -q " $root/" /proc/mounts; then
    rm -rf "$root"
  fi
}

# chroot_files DIR: every path of the chroot except those that change on their own (apt's and
# dpkg's bookkeeping, caches, logs of apt and dpkg, the mount points).
chroot_files() {
  local root=$1
  (cd "$root" && find . -xdev \
    \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./run -o -path ./tmp \
    -o -path ./var/cache/apt -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
    -o -path ./var/cache/debconf -o -path ./var/log/apt -o -path ./var/log/dpkg.log \
    -o -path ./var/log/alternatives.log -o -path ./etc/ld.so.cache \) -prune -o -print |
    LC_ALL=C sort)
}
