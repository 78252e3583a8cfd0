#pragma once

// `mtasts host`: multi-tenant MTA-STS hosting (docs/hosting.md).
//
//   mtasts host [-c FILE] [-v LEVEL] [-l LOGFILE]      run the service
//   mtasts host domain add DOMAIN [--mode M] [--mx P]... [--max-age S] [--delegated]
//   mtasts host domain list | show DOMAIN | remove DOMAIN
//   mtasts host domain set DOMAIN [--mode M] [--mx P]... [--max-age S]
//   mtasts host status
//
// The domain and status commands are clients of the admin API (--api URL, --token-file FILE,
// defaults from the configuration's admin section); --json prints the API's JSON. Exit codes:
// 0 done, 1 the API refused or could not be reached, 2 usage or configuration errors.

#include <CLI/CLI.hpp>

namespace mtasts::app {

void add_host_command(CLI::App& app, int& exit_code);

}  // namespace mtasts::app
