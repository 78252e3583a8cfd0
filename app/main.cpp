// mtasts: one binary for MTA-STS. Each subcommand registers itself; main only dispatches and
// maps CLI errors to the project-wide exit codes (0 success, 1 negative answer, 2 usage).

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cache/cache_command.hpp"
#include "check/check_command.hpp"
#include "daemon/daemon_command.hpp"
#include "exit_codes.hpp"
#include "host/host_command.hpp"
#include "lint/lint_command.hpp"
#include "resolve/resolve_command.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"mtasts: MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) for mail administrators"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(MTASTS_VERSION));
  int exit_code = mtasts::app::kExitOk;

  mtasts::app::add_lint_command(app, exit_code);
  mtasts::app::add_resolve_command(app, exit_code);
  mtasts::app::add_cache_command(app, exit_code);
  mtasts::app::add_daemon_command(app, exit_code);
  mtasts::app::add_check_command(app, exit_code);
  mtasts::app::add_host_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return mtasts::app::kExitUsage;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // A subcommand's start-up (configuration, files) may throw; say what failed instead of
  // letting std::terminate abort without a word.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtasts: %s\n", e.what());
    return mtasts::app::kExitNegative;
  }
}
