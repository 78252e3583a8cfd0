#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running mtasts: installs every dependency
# (apt, as root), builds the release binary, creates the `mtasts` system user and its state
# directory, and runs the main job on its embedded defaults: `mtasts daemon` answering Postfix
# on 127.0.0.1:8461 with its SQLite cache in /var/lib/mtasts. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target mtasts

if ! getent passwd mtasts >/dev/null; then
  useradd --system --no-create-home --home-dir /var/lib/mtasts --shell /usr/sbin/nologin mtasts
fi
install -d -o mtasts -g mtasts -m 0750 /var/lib/mtasts

cat <<'MSG'

Built build/release/app/mtasts. Starting `mtasts daemon` on 127.0.0.1:8461 (SQLite cache in
/var/lib/mtasts). Point Postfix at it with
    smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix
and try it with
    postmap -q gmail.com socketmap:inet:127.0.0.1:8461:postfix
MSG
exec build/release/app/mtasts daemon
