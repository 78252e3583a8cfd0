#pragma once

#include <CLI/CLI.hpp>

namespace mtasts::app {

// Registers `mtasts cache list|show DOMAIN|purge DOMAIN|export|import FILE`, which work on the
// store the daemon's configuration names (-c, else /etc/mtasts/daemon.yml, else the peer's
// /etc/mta-sts-daemon.yml, else SQLite in the state directory). Sets exit_code when it runs:
// 0 success, 1 show/purge of a domain not cached or an import that skipped rows, 2 usage,
// configuration or store error.
void add_cache_command(CLI::App& app, int& exit_code);

}  // namespace mtasts::app
