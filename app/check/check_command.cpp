#include "check/check_command.hpp"

#include <unistd.h>

#include <cmath>
#include <iostream>
#include <memory>

#include "check/check_output.hpp"
#include "exit_codes.hpp"
#include "mtasts/core/domain_name.hpp"
#include "mtasts/net/deployment_check.hpp"

namespace mtasts::app {
namespace {

constexpr double kMaxTimeoutSeconds = 3600;

struct CheckCommandOptions {
  std::vector<std::string> domains;
  bool json = false;
  std::vector<std::string> dns_servers;
  std::string ca_file;
  double timeout_seconds = 10;
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
  if (!std::isfinite(opts.timeout_seconds) || opts.timeout_seconds <= 0 ||
      opts.timeout_seconds > kMaxTimeoutSeconds) {
    return usage_error("--timeout must be a number of seconds above 0 and at most 3600");
  }
  const auto timeout =
      std::chrono::milliseconds(std::max<long long>(1, std::llround(opts.timeout_seconds * 1000)));
  net::CheckOptions options;
  options.dns.timeout = timeout;
  options.fetch.timeout = timeout;
  options.smtp.timeout = timeout;
  for (const std::string& text : opts.dns_servers) {
    auto server = net::parse_dns_server(text);
    if (!server) {
      return usage_error("--dns-server: " + server.error().message);
    }
    options.dns.servers.push_back(std::move(*server));
  }
  if (!opts.ca_file.empty()) {
    options.fetch.ca_file = opts.ca_file;  // RFC 8461 §3.3 and §4.2: one trust store for both
    options.smtp.ca_file = opts.ca_file;
  }
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
  check
      ->add_option("--dns-server", opts->dns_servers,
                   "DNS server HOST[:PORT] to ask instead of the system resolver (repeatable)")
      ->allow_extra_args(false);
  check->add_option("--ca-file", opts->ca_file,
                    "PEM file of trusted CAs, replacing the system store for the policy host "
                    "and the MX hosts");
  check
      ->add_option("--timeout", opts->timeout_seconds,
                   "seconds allowed for each DNS query, the HTTPS fetch and each MX probe")
      ->default_val(10);
  check->callback([opts, &exit_code] { exit_code = run_check(*opts); });
}

}  // namespace mtasts::app
