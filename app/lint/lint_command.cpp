#include "lint/lint_command.hpp"

#include <chrono>
#include <iostream>
#include <iterator>
#include <memory>

#include "common/input_file.hpp"
#include "common/txt_argument.hpp"
#include "exit_codes.hpp"
#include "lint/lint_output.hpp"
#include "lint/lint_report.hpp"
#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/sts/policy_audit.hpp"
#include "mtasts/net/dns/mx_lookup.hpp"

namespace mtasts::app {
namespace {

struct LintOptions {
  std::string input;
  bool json = false;
  std::string domain;
  std::vector<std::string> mx_hosts;
  std::string dns_server;
  double timeout = 10;
};

// The MX hosts of the domain: --mx when given, else a DNS lookup. A failed lookup is a
// warning: the policy's own validity does not depend on it.
std::optional<std::vector<std::string>> mx_hosts_for(const LintOptions& opts,
                                                     const std::string& domain,
                                                     core::Findings& findings) {
  if (!opts.mx_hosts.empty()) {
    return opts.mx_hosts;
  }
  net::DnsOptions dns;
  dns.timeout = std::chrono::milliseconds(static_cast<long>(opts.timeout * 1000));
  if (!opts.dns_server.empty()) {
    auto server = net::parse_dns_server(opts.dns_server);
    if (!server) {
      findings.add(core::LintCode::policy_mx_lookup_failed,
                   "--dns-server: " + server.error().message);
      return std::nullopt;
    }
    dns.servers.push_back(*server);
  }
  const auto answer = net::lookup_mx(domain, dns);
  if (!answer) {
    findings.add(core::LintCode::policy_mx_lookup_failed,
                 "MX lookup of " + domain + ": " + answer.error().message);
    return std::nullopt;
  }
  switch (net::dns_class(answer->meta.status)) {
    case net::DnsClass::found:
      break;
    case net::DnsClass::none:
      return std::vector<std::string>{};  // implicit MX: the domain itself
    case net::DnsClass::broken:
    case net::DnsClass::temporary:
      findings.add(core::LintCode::policy_mx_lookup_failed,
                   "MX lookup of " + domain + " failed (" +
                       std::string(net::dns_status_name(answer->meta.status)) +
                       "); MX coverage not checked: pass the MX hosts with --mx");
      return std::nullopt;
  }
  std::vector<std::string> hosts;
  for (const auto& mx : answer->records) {
    if (!mx.exchange.empty()) {
      hosts.push_back(mx.exchange);
    }
  }
  return hosts;
}

void emit(const LintOptions& opts, const nlohmann::json& json, const std::string& text) {
  if (opts.json) {
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << text;
  }
}

int lint_policy_file(const LintOptions& opts) {
  // One byte over the limit, so an oversized file is reported, not slurped.
  const auto body = read_capped_input(opts.input, core::kMaxPolicySize);
  if (!body) {
    std::cerr << "mtasts lint policy: cannot read " << opts.input << "\n";
    return kExitUsage;
  }
  core::PolicyReport report = core::lint_policy(*body);
  if (!opts.domain.empty()) {
    const auto domain = core::normalize_domain(opts.domain);
    if (!domain) {
      std::cerr << "mtasts lint policy: --domain: " << domain.error().message << "\n";
      return kExitUsage;
    }
    if (report.policy) {
      if (const auto hosts = mx_hosts_for(opts, *domain, report.findings)) {
        core::add_mx_coverage_warnings(core::audit_mx_coverage(*report.policy, *domain, *hosts),
                                       *domain, report.findings);
      }
    }
  }
  std::string summary;
  nlohmann::json parsed = nullptr;
  if (report.policy) {
    parsed = policy_json(*report.policy);
    summary = "mode " + std::string(core::mode_name(report.policy->mode)) + ", " +
              std::to_string(report.policy->mx.size()) + " mx pattern(s), max_age " +
              std::to_string(report.policy->max_age);
  }
  emit(opts, lint_json(report.findings, "policy", std::move(parsed)),
       lint_text(opts.input == "-" ? "<stdin>" : opts.input, report.findings, summary));
  return report.findings.ok() ? kExitOk : kExitNegative;
}

int lint_sts(const LintOptions& opts) {
  const auto text = parse_txt_argument(opts.input);
  if (!text) {
    std::cerr << "mtasts lint record: malformed quoted TXT strings\n";
    return kExitUsage;
  }
  const core::StsRecordReport report = core::lint_sts_record(*text);
  nlohmann::json parsed = report.record ? sts_record_json(*report.record) : nlohmann::json(nullptr);
  emit(opts, lint_json(report.findings, "record", std::move(parsed)),
       lint_text("_mta-sts record", report.findings,
                 report.record ? "id " + report.record->id : ""));
  return report.findings.ok() ? kExitOk : kExitNegative;
}

int lint_tlsrpt(const LintOptions& opts) {
  const auto text = parse_txt_argument(opts.input);
  if (!text) {
    std::cerr << "mtasts lint tlsrpt-record: malformed quoted TXT strings\n";
    return kExitUsage;
  }
  const core::TlsrptRecordReport report = core::lint_tlsrpt_record(*text);
  nlohmann::json parsed =
      report.record ? tlsrpt_record_json(*report.record) : nlohmann::json(nullptr);
  const std::string summary =
      report.record ? std::to_string(report.record->endpoints.size()) + " usable rua endpoint(s)"
                    : "";
  emit(opts, lint_json(report.findings, "record", std::move(parsed)),
       lint_text("_smtp._tls record", report.findings, summary));
  return report.findings.ok() ? kExitOk : kExitNegative;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<LintOptions>();
  CLI::App* lint = app.add_subcommand(
      "lint", "Check an MTA-STS policy, STS record, TLSRPT record or TLS-RPT report");
  lint->require_subcommand(1);

  CLI::App* record = lint->add_subcommand("record", "Lint an _mta-sts TXT record");
  record->add_option("TXT", opts->input, "the record text (or dig's quoted strings)")->required();
  record->add_flag("--json", opts->json, "print one JSON object");
  record->callback([opts, &exit_code] { exit_code = lint_sts(*opts); });

  CLI::App* policy = lint->add_subcommand("policy", "Lint a policy file (mta-sts.txt)");
  policy->add_option("FILE", opts->input, "the policy file, - for standard input")->required();
  policy->add_flag("--json", opts->json, "print one JSON object");
  policy->add_option("--domain", opts->domain,
                     "the policy domain: warn about patterns that are stale, too wide or "
                     "that do not cover an MX host");
  policy->add_option("--mx", opts->mx_hosts,
                     "an MX host of --domain (repeatable); default: look them up in DNS");
  policy->add_option("--dns-server", opts->dns_server, "DNS server HOST[:PORT] for the MX lookup");
  policy->add_option("--timeout", opts->timeout, "seconds for the MX lookup (default 10)")
      ->check(CLI::PositiveNumber);
  policy->callback([opts, &exit_code] { exit_code = lint_policy_file(*opts); });

  CLI::App* tlsrpt = lint->add_subcommand("tlsrpt-record", "Lint a _smtp._tls TLSRPT TXT record");
  tlsrpt->add_option("TXT", opts->input, "the record text (or dig's quoted strings)")->required();
  tlsrpt->add_flag("--json", opts->json, "print one JSON object");
  tlsrpt->callback([opts, &exit_code] { exit_code = lint_tlsrpt(*opts); });

  CLI::App* report =
      lint->add_subcommand("tlsrpt-report", "Read a TLS-RPT report (RFC 8460 JSON) and explain it");
  report->add_option("FILE", opts->input, "the report's JSON file, - for standard input")
      ->required();
  report->add_flag("--json", opts->json, "print one JSON object");
  report->callback([opts, &exit_code] { exit_code = lint_tlsrpt_report(opts->input, opts->json); });
}

}  // namespace mtasts::app
