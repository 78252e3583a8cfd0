#pragma once

#include <CLI/CLI.hpp>

namespace mtasts::app {

// Registers `mtasts resolve DOMAIN [--json] [--dns-server HOST[:PORT]]... [--ca-file PEM]
// [--timeout S]`: MTA-STS discovery as a sending MTA performs it, explained. Sets exit_code
// when it runs: 0 when a policy applies, 1 for every other result, 2 for a usage or
// configuration error (message on stderr).
void add_resolve_command(CLI::App& app, int& exit_code);

}  // namespace mtasts::app
