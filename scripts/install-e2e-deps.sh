#!/usr/bin/env bash
# Installs the Debian packages the Postfix end-to-end tests, the peer comparison and the socketmap
# benchmarks need on top of the test world (scripts/install-test-world-deps.sh): postfix (the real
# sending MTA), postfix-mta-sts-resolver (the peer, `mta-sts-daemon`), python3-uvloop (the event
# loop the peer uses when present, only recommended by its package: benchmarks measure the peer at
# its fastest), python3-yaml (read by the test harness) and swaks (an SMTP client).
# Idempotent: when every package is already installed it changes nothing and skips apt-get update.
# The tests run private instances inside a network namespace, so the system services the packages
# start on installation (postfix on :25, mta-sts-daemon on 127.0.0.1:8461) are stopped and disabled.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

. "$(dirname "$0")/lib/packages.sh"

# Without this answer postfix's debconf asks for a mail setup; "No configuration" writes no
# main.cf for the system instance, which the tests never use.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
install_missing install-e2e-deps postfix postfix-mta-sts-resolver python3-uvloop python3-yaml swaks

# Stop the system instances whichever way they were started (systemd, or the init scripts on a
# machine without systemd as PID 1); the tests start their own.
stop_services postfix mta-sts-daemon postfix-mta-sts-resolver
if command -v postfix >/dev/null 2>&1 && [ -f /etc/postfix/main.cf ]; then
  postfix stop >/dev/null 2>&1 || true
fi
exit 0
