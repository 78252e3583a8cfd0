#pragma once

// Which published policy version a TLS-RPT report's `sts` policy-string is (RFC 8460 §4.4:
// the policy the sender applied, as lines of the policy file), so that "the reporter saw an
// old policy" and "the reporter saw a policy never published here" are findings, not guesses
// (docs/tlsrpt-intake.md "Analysis rules").

#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"

namespace mtasts::core {

// TlsrptSessionRow::policy_match values.
inline constexpr std::string_view kPolicyMatchLive = "live";        // the version live then
inline constexpr std::string_view kPolicyMatchOlder = "older";      // an earlier version
inline constexpr std::string_view kPolicyMatchUnknown = "unknown";  // no version published here

struct PolicyMatch {
  std::string match;  // one of the kPolicyMatch* values
  std::string id;     // the matching version's id ("" for unknown)
};

// `lines` (a policy-string) against `versions` (a domain's history, any order): the version
// whose mode, max_age and set of mx patterns equal the lines' policy, judged against the version
// live at `at` (the newest created at or before it; the oldest when all are later). Lines that
// do not parse as a policy are unknown.
[[nodiscard]] PolicyMatch match_policy_string(const std::vector<std::string>& lines,
                                              const std::vector<PolicyVersion>& versions,
                                              HostTime at);

}  // namespace mtasts::core
