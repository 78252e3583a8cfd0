#pragma once

// `mtasts host [-c FILE] [-v LEVEL] [-l LOGFILE]`: the service (docs/hosting.md).
//
// Life cycle: read the configuration and the token file -> open the store -> bind the policy
// server (443, 80), the admin API and metrics -> read the TSIG key -> drop root -> load the
// store's state (a first sync) -> serve; READY=1 to systemd. SIGTERM/SIGINT: STOPPING=1, the
// loops stop, requests in flight get shutdown_timeout, exit 0; a second signal exits at once.
// SIGHUP reopens the log file.
// Exit codes: 0 after a clean stop, 1 when the service cannot start (store, listen, ACME
// client setup), 2 for usage and configuration errors.

#include <string>

namespace mtasts::app {

struct HostRunArgs {
  std::string config;  // empty: /etc/mtasts/host.yml
  std::string level;
  std::string logfile;
};

[[nodiscard]] int run_host_service(const HostRunArgs& args);

}  // namespace mtasts::app
