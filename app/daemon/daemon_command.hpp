#pragma once

// `mtasts daemon [-c FILE] [-v LEVEL] [-l LOGFILE]`: the socketmap policy server Postfix asks
// (smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix). The options are those of
// postfix-mta-sts-resolver's mta-sts-daemon.
//
// Life cycle: read the configuration -> open the store -> listen (socketmap, metrics) -> drop
// root -> serve; READY=1 to systemd once listening. SIGTERM/SIGINT: STOPPING=1, stop
// accepting, answer requests in flight (at most shutdown_timeout), exit 0; a second signal
// exits at once. SIGHUP reopens the log file.
// Exit codes: 0 after a clean stop, 1 when the daemon cannot start (listen, resolver, store
// setup), 2 for usage and configuration errors.

#include <CLI/CLI.hpp>

namespace mtasts::app {

void add_daemon_command(CLI::App& app, int& exit_code);

}  // namespace mtasts::app
