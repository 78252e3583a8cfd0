#pragma once

// The network options `mtasts resolve` and `mtasts check` share: --dns-server, --ca-file and
// --timeout, read from the command line and checked in one place.

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"

namespace mtasts::app {

struct NetworkArguments {
  std::vector<std::string> dns_servers;
  std::string ca_file;
  double timeout_seconds = 10;
};

// Adds --dns-server (repeatable), --ca-file and --timeout to `command`; the help texts say
// what the CA file and the timeout apply to.
void add_network_options(CLI::App& command, NetworkArguments& args, std::string_view ca_file_help,
                         std::string_view timeout_help);

struct NetworkSettings {
  std::chrono::milliseconds timeout{10'000};
  std::vector<net::DnsServer> dns_servers;  // empty: the system resolver
  std::optional<std::string> ca_file;       // nullopt: the system trust store
};

// Checks the arguments. Errors (Errc::invalid_value) carry the message for a usage error: the
// timeout not above 0 or above 3600 seconds, a DNS server that does not parse.
[[nodiscard]] core::Result<NetworkSettings> network_settings(const NetworkArguments& args);

}  // namespace mtasts::app
