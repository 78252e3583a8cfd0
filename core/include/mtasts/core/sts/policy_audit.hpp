#pragma once

// A policy compared with the live MX hosts of its domain: what the linter (with --domain) and
// the deployment checker warn about.

#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {

struct MxCoverage {
  std::vector<std::string> uncovered;  // MX hosts no pattern matches (mail to them would fail)
  std::vector<MxPattern> stale;        // patterns that match no MX host
  std::vector<MxPattern> wide;         // wildcard patterns that match a single MX host
  bool domain_wildcard = false;        // a "*.<policy domain>" pattern (RFC 8461 §10.4)
};

// Compares the policy's patterns with the MX host names (as DNS returns them; an empty list
// means the implicit MX, the domain itself, RFC 5321 §5.1). `domain` is normalised.
[[nodiscard]] MxCoverage audit_mx_coverage(const Policy& policy, std::string_view domain,
                                           const std::vector<std::string>& mx_hosts);

// The same as warnings with the linter's codes: policy-mx-not-covered, policy-pattern-stale,
// policy-pattern-wide, policy-pattern-domain-wildcard.
void add_mx_coverage_warnings(const MxCoverage& coverage, std::string_view domain,
                              Findings& findings);

}  // namespace mtasts::core
