#include "resolve/resolve_command.hpp"

#include <cmath>
#include <iostream>
#include <memory>

#include "exit_codes.hpp"
#include "mtasts/core/domain_name.hpp"
#include "mtasts/net/discovery.hpp"
#include "resolve/resolve_output.hpp"

namespace mtasts::app {
namespace {

constexpr double kMaxTimeoutSeconds = 3600;

struct ResolveOptions {
  std::string domain;
  bool json = false;
  std::vector<std::string> dns_servers;
  std::string ca_file;
  double timeout_seconds = 10;
};

int usage_error(const std::string& message) {
  std::cerr << "mtasts resolve: " << message << "\n";
  return kExitUsage;
}

int run_resolve(const ResolveOptions& opts) {
  if (!core::is_address_literal(opts.domain)) {
    if (auto domain = core::normalize_domain(opts.domain); !domain) {
      return usage_error(domain.error().message);
    }
  }
  if (!std::isfinite(opts.timeout_seconds) || opts.timeout_seconds <= 0 ||
      opts.timeout_seconds > kMaxTimeoutSeconds) {
    return usage_error("--timeout must be a number of seconds above 0 and at most 3600");
  }
  const auto timeout =
      std::chrono::milliseconds(std::max<long long>(1, std::llround(opts.timeout_seconds * 1000)));

  net::DiscoveryOptions options;
  options.dns.timeout = timeout;
  options.fetch.timeout = timeout;
  for (const std::string& text : opts.dns_servers) {
    auto server = net::parse_dns_server(text);
    if (!server) {
      return usage_error("--dns-server: " + server.error().message);
    }
    options.dns.servers.push_back(std::move(*server));
  }
  if (!opts.ca_file.empty()) {
    options.fetch.ca_file = opts.ca_file;
  }
  auto proxy = net::proxy_from_environment();
  if (!proxy) {
    return usage_error("https_proxy: " + proxy.error().message);
  }
  options.fetch.proxy = std::move(*proxy);

  auto report = net::run_discovery(opts.domain, std::move(options));
  if (!report) {
    return usage_error(report.error().message);
  }
  if (opts.json) {
    std::cout << resolve_json(*report).dump(2) << "\n";
  } else {
    std::cout << resolve_text(*report);
  }
  return report->result() == net::ResultType::ok ? kExitOk : kExitNegative;
}

}  // namespace

void add_resolve_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ResolveOptions>();
  CLI::App* resolve = app.add_subcommand(
      "resolve", "Discover a domain's MTA-STS policy as a sending MTA does, and explain it");
  resolve->add_option("DOMAIN", opts->domain, "the recipient domain (Policy Domain)")->required();
  resolve->add_flag("--json", opts->json, "print one JSON object");
  resolve
      ->add_option("--dns-server", opts->dns_servers,
                   "DNS server HOST[:PORT] to ask instead of the system resolver "
                   "(repeatable)")
      ->allow_extra_args(false);
  resolve->add_option("--ca-file", opts->ca_file,
                      "PEM file of trusted CAs, replacing the system store");
  resolve
      ->add_option("--timeout", opts->timeout_seconds,
                   "seconds allowed for each DNS query and for the whole HTTPS fetch")
      ->default_val(10);
  resolve->callback([opts, &exit_code] { exit_code = run_resolve(*opts); });
}

}  // namespace mtasts::app
