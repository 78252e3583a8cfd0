#pragma once

#include <CLI/CLI.hpp>

namespace mtasts::app {

// Registers `mtasts check DOMAIN... [--json] [--dns-server HOST[:PORT]] [--ca-file PEM]
// [--timeout S]`; the exit code lands in `exit_code`: 0 no domain has an error, 1 one has,
// 2 usage.
void add_check_command(CLI::App& app, int& exit_code);

}  // namespace mtasts::app
