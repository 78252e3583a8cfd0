#pragma once

#include <CLI/CLI.hpp>

namespace mtasts::app {

// Registers `mtasts lint record|policy|tlsrpt-record|tlsrpt-report`. Sets exit_code when it
// runs: 0 valid, 1 invalid (tlsrpt-report: not a report), 2 usage error (unreadable file).
void add_lint_command(CLI::App& app, int& exit_code);

}  // namespace mtasts::app
