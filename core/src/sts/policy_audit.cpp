#include "mtasts/core/sts/policy_audit.hpp"

#include <algorithm>

#include "mtasts/core/base/domain_name.hpp"

namespace mtasts::core {

MxCoverage audit_mx_coverage(const Policy& policy, std::string_view domain,
                             const std::vector<std::string>& mx_hosts) {
  MxCoverage coverage;
  std::vector<std::string> hosts;
  hosts.reserve(mx_hosts.size());
  for (const auto& host : mx_hosts) {
    hosts.push_back(ascii_lower(host.empty() || host.back() != '.'
                                    ? std::string_view(host)
                                    : std::string_view(host).substr(0, host.size() - 1)));
  }
  if (hosts.empty()) {
    hosts.emplace_back(domain);  // RFC 5321 §5.1 implicit MX
  }
  for (const auto& host : hosts) {
    if (!policy_allows_mx(policy, host)) {
      coverage.uncovered.push_back(host);
    }
  }
  for (const MxPatternView pattern : policy.mx) {
    const auto matched = std::count_if(
        hosts.begin(), hosts.end(), [&](const std::string& h) { return mx_matches(pattern, h); });
    if (matched == 0) {
      coverage.stale.push_back(MxPattern{pattern.wildcard, std::string(pattern.domain)});
    } else if (pattern.wildcard && matched == 1) {
      coverage.wide.push_back(MxPattern{pattern.wildcard, std::string(pattern.domain)});
    }
    if (pattern.wildcard && domain_equal(pattern.domain, domain)) {
      coverage.domain_wildcard = true;
    }
  }
  return coverage;
}

void add_mx_coverage_warnings(const MxCoverage& coverage, std::string_view domain,
                              Findings& findings) {
  for (const auto& host : coverage.uncovered) {
    std::string message = "MX host " + host;
    message += " matches no mx pattern: in enforce mode senders will not deliver to it; add \"mx: ";
    message += host;
    message += '"';
    findings.add(LintCode::policy_mx_not_covered, std::move(message));
  }
  for (const auto& pattern : coverage.stale) {
    findings.add(LintCode::policy_pattern_stale,
                 "pattern " + pattern.text() + " matches no MX host of " + std::string(domain) +
                     ": remove it if it is stale");
  }
  for (const auto& pattern : coverage.wide) {
    findings.add(LintCode::policy_pattern_wide,
                 "pattern " + pattern.text() +
                     " matches a single MX host: list that host instead "
                     "of a wildcard");
  }
  if (coverage.domain_wildcard) {
    findings.add(LintCode::policy_pattern_domain_wildcard,
                 "pattern *." + std::string(domain) +
                     " lets any host in the domain receive its mail (RFC 8461 §10.4): list the "
                     "MX hosts instead");
  }
}

}  // namespace mtasts::core
