#include "resolve/resolve_command.hpp"

#include <iostream>
#include <memory>

#include "common/network_options.hpp"
#include "exit_codes.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/net/fetch/discovery.hpp"
#include "resolve/resolve_output.hpp"

namespace mtasts::app {
namespace {

struct ResolveOptions {
  std::string domain;
  bool json = false;
  NetworkArguments network;
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
  auto settings = network_settings(opts.network);
  if (!settings) {
    return usage_error(settings.error().message);
  }
  net::DiscoveryOptions options;
  options.dns.timeout = settings->timeout;
  options.fetch.timeout = settings->timeout;
  options.dns.servers = std::move(settings->dns_servers);
  options.fetch.ca_file = settings->ca_file;
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
  add_network_options(*resolve, opts->network,
                      "PEM file of trusted CAs, replacing the system store",
                      "seconds allowed for each DNS query and for the whole HTTPS fetch");
  resolve->callback([opts, &exit_code] { exit_code = run_resolve(*opts); });
}

}  // namespace mtasts::app
