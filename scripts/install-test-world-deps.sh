#!/usr/bin/env bash
# Installs the Debian packages the integration test world needs (tests/integration/world):
# knot (authoritative DNS), unbound (recursive DNS), pytest, cryptography (test CA), aiosmtpd
# (MX hosts), dkim (dkimpy: signs the report mail the TLS-RPT mail intake tests deliver),
# iproute2 (network namespace), util-linux (setpriv), openssl and dig (self-test clients).
# Idempotent: when every package is already installed it changes nothing and skips apt-get update.
# The harness runs its own knot and unbound inside a private network namespace, so the system
# services the packages may start are stopped and disabled.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

. "$(dirname "$0")/lib/packages.sh"

install_missing install-test-world-deps \
  knot knot-dnsutils unbound \
  python3 python3-pytest python3-cryptography python3-aiosmtpd python3-dkim \
  iproute2 util-linux openssl dnsutils

# The distribution's own daemons would hold 127.0.0.1:53 on the host; the tests need none of them.
stop_services unbound knot unbound-resolvconf
exit 0
