# Shared by the scripts/install-*.sh scripts (sourced, not run): installs the Debian packages of
# a list that are missing, and stops the system services that installing them started (the
# project's tests and benchmarks run private instances).

# install_missing LABEL PKG...: installs the missing packages with apt (one `apt-get update`
# only when something is missing); prints what it does, prefixed with LABEL.
install_missing() {
  local label=$1
  shift
  local missing=() p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "$label: all packages already installed"
    return 0
  fi
  echo "$label: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# stop_services SERVICE...: stops and disables each service, by systemd or its init script.
stop_services() {
  local svc
  for svc in "$@"; do
    if command -v systemctl >/dev/null 2>&1; then
      systemctl stop "$svc" >/dev/null 2>&1 || true
      systemctl disable "$svc" >/dev/null 2>&1 || true
    fi
    if [ -x "/etc/init.d/$svc" ]; then
      "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  done
}
