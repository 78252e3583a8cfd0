#!/usr/bin/env bash
# Installs the Debian packages the package stage (scripts/check-package.sh) needs: debhelper to
# build the .deb, lintian to check it, debootstrap for the clean Debian 12 chroot it is installed
# in, man-db to render its man pages, bash-completion and zsh to try its completions, logrotate to
# check its logrotate file. Idempotent: when every package is already installed it changes nothing and
# skips apt-get update.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi
. "$(dirname "$0")/lib/packages.sh"

install_missing install-package-deps debhelper lintian debootstrap man-db bash-completion zsh logrotate \
  systemd dpkg-dev
exit 0
