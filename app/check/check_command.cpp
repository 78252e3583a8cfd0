#include "check/check_command.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "check/check_output.hpp"
#include "common/network_options.hpp"
#include "exit_codes.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/net/check/deployment_check.hpp"

namespace mtasts::app {
namespace {

struct CheckCommandOptions {
  std::vector<std::string> domains;
  bool json = false;
  NetworkArguments network;
};

int usage_error(const std::string& message) {
  std::cerr << "mtasts check: " << message << "\n";
  return kExitUsage;
}

int run_check(const CheckCommandOptions& opts) {
  std::vector<std::string> domains;
  for (const std::string& text : opts.domains) {
    auto domain = core::normalize_domain(text);
    if (!domain || core::is_address_literal(text)) {
      return usage_error(text + ": " + (domain ? "an address literal" : domain.error().message));
    }
    domains.push_back(std::move(*domain));
  }
  auto settings = network_settings(opts.network);
  if (!settings) {
    return usage_error(settings.error().message);
  }
  net::CheckOptions options;
  options.dns.timeout = settings->timeout;
  options.fetch.timeout = settings->timeout;
  options.smtp.timeout = settings->timeout;
  options.dns.servers = std::move(settings->dns_servers);
  // RFC 8461 §3.3 and §4.2: one trust store for the policy host and the MX hosts.
  options.fetch.ca_file = settings->ca_file;
  options.smtp.ca_file = settings->ca_file;
  auto checks = net::run_checks(std::move(domains), std::move(options));
  if (!checks) {
    return usage_error(checks.error().message);
  }
  if (opts.json) {
    std::cout << check_json(*checks).dump(2) << "\n";
  } else {
    std::cout << check_text(*checks, isatty(STDOUT_FILENO) == 1 ? Colour::on : Colour::off);
  }
  for (const net::DomainCheck& check : *checks) {
    if (check.has_errors()) {
      return kExitNegative;
    }
  }
  return kExitOk;
}

}  // namespace

void add_check_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CheckCommandOptions>();
  CLI::App* check = app.add_subcommand(
      "check", "Audit MTA-STS and TLSRPT deployments as the strictest sender sees them");
  check->add_option("DOMAIN", opts->domains, "domains to check (concurrently)")->required();
  check->add_flag("--json", opts->json, "print one JSON object");
  add_network_options(*check, opts->network,
                      "PEM file of trusted CAs, replacing the system store for the policy host "
                      "and the MX hosts",
                      "seconds allowed for each DNS query, the HTTPS fetch and each MX probe");
  check->callback([opts, &exit_code] { exit_code = run_check(*opts); });
}

}  // namespace mtasts::app
