#!/usr/bin/env bash
# Installs the Debian packages the integration test world needs (tests/integration/world):
# knot (authoritative DNS), unbound (recursive DNS), pytest, cryptography (test CA), aiosmtpd
# (MX hosts), iproute2 (network namespace), util-linux (setpriv), openssl and dig (self-test
# clients).
# Idempotent: when every package is already installed it changes nothing and skips apt-get update.
# The harness runs its own knot and unbound inside a private network namespace, so the system
# services the packages may start are stopped and disabled.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

export DEBIAN_FRONTEND=noninteractive

pkgs=(
  knot knot-dnsutils unbound
  python3 python3-pytest python3-cryptography python3-aiosmtpd
  iproute2 util-linux openssl dnsutils
)

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-test-world-deps: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-test-world-deps: all packages already installed"
fi

# The distribution's own daemons would hold 127.0.0.1:53 on the host; the tests need none of them.
if command -v systemctl >/dev/null 2>&1; then
  for svc in unbound knot unbound-resolvconf; do
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  done
fi
exit 0
