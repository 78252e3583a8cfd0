#!/usr/bin/env bash
# CI stage: the Debian package, built from the tree and tried as an administrator meets it.
#   scripts/check-package.sh            (root; Debian 12 host)
# 1. builds the .deb (scripts/build-package.sh) and checks the man page and completion
#    generator (scripts/gen-man.py --check);
# 2. lintian: no errors (warnings are printed);
# 3. in a clean Debian 12 chroot (debootstrap minbase, cached as a tarball under
#    /var/cache/mtasts-ci): installs the .deb with apt, checks the units with
#    `systemd-analyze verify` (systemd cannot run there, so the daemon is started from its unit's
#    command line, in a private network namespace), asks it one socketmap lookup and checks the
#    netstring reply, renders `man mtasts-daemon`, tries the bash completion and the logrotate
#    file, upgrades to a higher version keeping an edited /etc/mtasts/daemon.yml, purges, and
#    compares the chroot's files with those before the install.
# Mounts, the namespace and the chroot are removed on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/debian-chroot.sh

if [ "$(id -u)" -ne 0 ]; then
  echo "check-package: needs root (debootstrap, chroot, mount)" >&2
  exit 1
fi
scripts/install-package-deps.sh >/dev/null

start=$SECONDS
out=build/deb
root=""
netns=mtasts-pkg-$$
daemon_pid=""
tmp=$(mktemp -d /tmp/mtasts-pkg.XXXXXX)

cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; fi
  ip netns del "$netns" 2>/dev/null || true
  chroot_cleanup "$root"
  rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf -- '--- %s (%ds)\n' "$*" $((SECONDS - start)); }
fail() {
  echo "check-package: FAIL: $*" >&2
  exit 1
}
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }
# apt_root ARGS...: apt-get in the chroot; its output goes to a log shown when it fails.
apt_root() {
  chroot_apt "$root" "$@" >"$tmp/apt.log" 2>&1 || {
    tail -30 "$tmp/apt.log"
    fail "apt-get $*"
  }
}

step "build the package"
DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" scripts/build-package.sh "$out" \
  >"$tmp/build.log" 2>&1 || {
  tail -40 "$tmp/build.log"
  fail "the package does not build"
}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
deb=$(ls "$out"/mtasts_"$version"_*.deb)
binary=$out/mtasts-$version/build/pkg/app/mtasts
echo "built $deb"

step "man page and completion generator"
python3 scripts/gen-man.py --binary "$binary" --out "$tmp/gen" --check

step "lintian"
status=0
lintian --fail-on error --info --suppress-tags hardening-no-fortify-functions \
  "$out"/mtasts_"$version"_*.changes >"$tmp/lintian.txt" 2>&1 || status=$?
grep -v 'running with root privileges' "$tmp/lintian.txt" || true
[ "$status" -eq 0 ] || fail "lintian reports errors (status $status)"
echo "lintian: $(grep -c '^E:' "$tmp/lintian.txt") errors," \
  "$(grep -c '^W:' "$tmp/lintian.txt") warnings"

step "clean Debian 12 chroot"
# The package's dependencies (and systemd, to verify its units; logrotate, to check its file;
# procps, whose /bin/kill the units' ExecReload runs, as on any installed system) come from the
# archive, installed once into a cached copy of the chroot (scripts/lib/debian-chroot.sh). The
# file list taken next is what the purge must return to.
base=$(chroot_with_packages_tarball "systemd logrotate procps" "$(dpkg-deb -f "$deb" Depends)")
root=$(mktemp -d /var/tmp/mtasts-chroot.XXXXXX)
chroot_unpack "$root" "$base"
chroot_files "$root" >"$tmp/files-before"

step "install"
cp "$deb" "$root/tmp/"
apt_root install --no-install-recommends "/tmp/$(basename "$deb")"
for f in /usr/bin/mtasts /etc/mtasts/daemon.yml /etc/mtasts/host.yml /etc/logrotate.d/mtasts \
  /lib/systemd/system/mtasts.service /lib/systemd/system/mtasts-host.service \
  /usr/share/man/man1/mtasts-daemon.1.gz /usr/share/man/man5/mtasts-daemon.yml.5.gz \
  /usr/share/bash-completion/completions/mtasts /usr/share/zsh/vendor-completions/_mtasts; do
  [ -e "$root$f" ] || fail "$f is not installed"
done
in_root getent passwd mtasts >/dev/null || fail "no user mtasts"
# The package's version is the binary's (debian/changelog and project() in CMakeLists.txt).
[ "$(in_root mtasts --version)" = "$version" ] ||
  fail "mtasts --version prints $(in_root mtasts --version), the package is $version"
[ "$(in_root stat -c %U:%a /var/lib/mtasts)" = mtasts:750 ] ||
  fail "/var/lib/mtasts is not mtasts' (0750)"
[ -L "$root/etc/systemd/system/multi-user.target.wants/mtasts.service" ] ||
  fail "mtasts.service is not enabled"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/mtasts-host.service" ] ||
  fail "mtasts-host.service is enabled"
echo "installed; mtasts.service enabled, mtasts-host.service not"

step "systemd units"
# verify prints nothing for a sound unit: any line (a warning too) fails the stage.
in_root systemd-analyze verify --man=no mtasts.service mtasts-host.service \
  >"$tmp/verify.txt" 2>&1 ||
  fail "systemd-analyze verify: $(cat "$tmp/verify.txt")"
[ ! -s "$tmp/verify.txt" ] || fail "systemd-analyze verify: $(cat "$tmp/verify.txt")"
for unit in mtasts mtasts-host; do
  echo "$unit.service: $(in_root systemd-analyze security --offline=yes --no-pager $unit.service |
    tail -1)"
done

# start_daemon PORT: `mtasts daemon` as its unit starts it (ExecStart), from root in the chroot
# (it drops to mtasts itself), in the network namespace; waits until it listens on PORT.
start_daemon() {
  local port=$1 exec_start=() i
  read -r -a exec_start < <(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/mtasts.service")
  ip netns exec "$netns" chroot "$root" "${exec_start[@]}" -l /var/log/mtasts/daemon.log &
  daemon_pid=$!
  for i in $(seq 1 100); do
    if ip netns exec "$netns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      return 0
    fi
    kill -0 "$daemon_pid" 2>/dev/null ||
      fail "the daemon exited: $(tail -5 "$root/var/log/mtasts/daemon.log")"
    sleep 0.1
  done
  fail "the daemon does not listen on $port"
}

stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || fail "the daemon exited with status $? on SIGTERM"
  daemon_pid=""
}

# lookup PORT: one socketmap request; checks the reply is one netstring with a socketmap status.
lookup() {
  local port=$1 reply len text
  reply=$(ip netns exec "$netns" timeout 20 bash -c "
    exec 3<>/dev/tcp/127.0.0.1/$port
    printf '23:postfix example.invalid,' >&3
    IFS= read -r -d : len <&3 && IFS= read -r -N \$((len + 1)) rest <&3 &&
      printf '%s:%s' \"\$len\" \"\$rest\"") || fail "no reply on port $port"
  [[ $reply =~ ^([0-9]+):(.*),$ ]] || fail "not a netstring: $reply"
  len=${BASH_REMATCH[1]} text=${BASH_REMATCH[2]}
  [ "${#text}" -eq "$len" ] || fail "netstring length $len, payload ${#text} bytes: $reply"
  [[ $text =~ ^(OK|NOTFOUND|TEMP|PERM)( |$) ]] || fail "not a socketmap reply: $reply"
  echo "port $port: $reply"
}

step "the daemon from its unit's command line, one lookup"
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
start_daemon 8461
uid=$(awk '/^Uid:/ {print $2}' "/proc/$daemon_pid/status")
[ "$uid" = "$(in_root id -u mtasts)" ] || fail "the daemon runs as uid $uid, not mtasts"
lookup 8461
[ -s "$root/var/lib/mtasts/cache.db" ] || fail "no policy cache in /var/lib/mtasts"
stop_daemon

step "man page, completion, logrotate"
MANWIDTH=80 man -l "$root/usr/share/man/man1/mtasts-daemon.1.gz" 2>"$tmp/man.err" >"$tmp/man.txt"
[ ! -s "$tmp/man.err" ] || fail "man mtasts-daemon: $(cat "$tmp/man.err")"
if ! grep -q 'mtasts daemon' "$tmp/man.txt" || ! grep -q -- '--config' "$tmp/man.txt"; then
  fail "man mtasts-daemon lacks the command or its options"
fi
echo "man mtasts-daemon: $(wc -l <"$tmp/man.txt") lines"
# complete WORDS...: what the bash completion offers for the last word.
complete_words() {
  bash -c '. /usr/share/bash-completion/bash_completion
    . "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _mtasts; printf "%s\n" "${COMPREPLY[@]}"' _ \
    "$root/usr/share/bash-completion/completions/mtasts" "$@" | sort | tr '\n' ' '
}
# subcommands WORDS...: what `mtasts WORDS... --help` lists, sorted, as the completions print.
subcommands() {
  python3 scripts/mtasts_help.py "$root/usr/bin/mtasts" "$@" | sort | tr '\n' ' '
}
[ -n "$(subcommands)" ] || fail "no subcommands in mtasts --help"
offered=$(complete_words mtasts "")
[ "$offered" = "$(subcommands)" ] || fail "mtasts <TAB> offers: $offered"
offered=$(complete_words mtasts cache "")
[ "$offered" = "$(subcommands cache)" ] || fail "mtasts cache <TAB> offers: $offered"
offered=$(complete_words mtasts daemon --c)
[ "$offered" = "--config " ] || fail "mtasts daemon --c<TAB> offers: $offered"
echo "bash completion: mtasts <TAB> -> $(complete_words mtasts "")"
# complete_zsh WORDS...: the names the zsh completion offers (zsh's _describe and _files
# replaced by functions that print what they are given).
complete_zsh() {
  zsh -c 'file=$1; shift; words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}
    _describe() { print -l -- ${${(P)${@[-1]}}%%:*}; }
    _files() { print FILES; }
    source $file' _ "$root/usr/share/zsh/vendor-completions/_mtasts" "$@" | sort | tr '\n' ' '
}
offered=$(complete_zsh mtasts host "")
[ "$offered" = "$(subcommands host)" ] || fail "zsh: mtasts host <TAB> offers: $offered"
echo "zsh completion: mtasts host <TAB> -> $offered"
in_root logrotate -d /etc/logrotate.d/mtasts >"$tmp/logrotate.txt" 2>&1 ||
  fail "logrotate: $(cat "$tmp/logrotate.txt")"

step "upgrade to a higher version, keeping an edited daemon.yml"
sed -i 's/^# port: 8461$/port: 8462/' "$root/etc/mtasts/daemon.yml"
grep -q '^port: 8462$' "$root/etc/mtasts/daemon.yml" || fail "could not edit daemon.yml"
next=$version+ci1
dpkg-deb -R "$deb" "$tmp/repack"
sed -i "s/^Version: .*/Version: $next/" "$tmp/repack/DEBIAN/control"
dpkg-deb -Zgzip -b "$tmp/repack" "$root/tmp/mtasts_${next}.deb" >/dev/null
apt_root install --no-install-recommends "/tmp/mtasts_${next}.deb" </dev/null
# shellcheck disable=SC2016
[ "$(in_root dpkg-query -W -f='${Version}' mtasts)" = "$next" ] || fail "not upgraded to $next"
grep -q '^port: 8462$' "$root/etc/mtasts/daemon.yml" || fail "the edited daemon.yml was replaced"
! ls "$root"/etc/mtasts/*.dpkg-* 2>/dev/null || fail "dpkg left conffile copies"
[ -s "$root/var/lib/mtasts/cache.db" ] || fail "the upgrade lost the policy cache"
start_daemon 8462
lookup 8462
stop_daemon
echo "upgraded to $next; daemon.yml kept, the daemon answers on its edited port"

step "purge"
apt_root purge mtasts
chroot_files "$root" >"$tmp/files-after"
if ! diff "$tmp/files-before" "$tmp/files-after" >"$tmp/files.diff"; then
  # adduser's backups of the user database; the user itself is kept on purge (docs/packaging.md).
  if grep -v -E '^[<>] \./etc/(passwd|group|shadow|gshadow)-$' "$tmp/files.diff" |
    grep -q '^[<>]'; then
    cat "$tmp/files.diff"
    fail "the purge leaves files behind (or removed some)"
  fi
fi
in_root getent passwd mtasts >/dev/null && echo "purged: no files left; the user mtasts is kept"

trap - EXIT
cleanup
echo "check-package: all checks passed in $((SECONDS - start)) s"
