#include "common/network_options.hpp"

#include <algorithm>
#include <cmath>

namespace mtasts::app {
namespace {

constexpr double kMaxTimeoutSeconds = 3600;

}  // namespace

void add_network_options(CLI::App& command, NetworkArguments& args, std::string_view ca_file_help,
                         std::string_view timeout_help) {
  command
      .add_option("--dns-server", args.dns_servers,
                  "DNS server HOST[:PORT] to ask instead of the system resolver (repeatable)")
      ->allow_extra_args(false);
  command.add_option("--ca-file", args.ca_file, std::string(ca_file_help));
  command.add_option("--timeout", args.timeout_seconds, std::string(timeout_help))->default_val(10);
}

core::Result<NetworkSettings> network_settings(const NetworkArguments& args) {
  if (!std::isfinite(args.timeout_seconds) || args.timeout_seconds <= 0 ||
      args.timeout_seconds > kMaxTimeoutSeconds) {
    return core::fail(core::Errc::invalid_value,
                      "--timeout must be a number of seconds above 0 and at most 3600");
  }
  NetworkSettings settings;
  settings.timeout =
      std::chrono::milliseconds(std::max<long long>(1, std::llround(args.timeout_seconds * 1000)));
  for (const std::string& text : args.dns_servers) {
    auto server = net::parse_dns_server(text);
    if (!server) {
      return core::fail(core::Errc::invalid_value, "--dns-server: " + server.error().message);
    }
    settings.dns_servers.push_back(std::move(*server));
  }
  if (!args.ca_file.empty()) {
    settings.ca_file = args.ca_file;
  }
  return settings;
}

}  // namespace mtasts::app
