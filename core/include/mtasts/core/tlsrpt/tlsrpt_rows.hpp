#pragma once

// A TLS-RPT report (tlsrpt_report.hpp) as flat rows of sessions, the shape the hosting store
// keeps so that totals by day, reporter, result, receiving MX and IP are single queries
// (docs/tlsrpt-intake.md "Analysis rules").
//
// Every policy of a report gives one "success" row with its total-successful-session-count,
// and one row per failure detail with its failed-session-count. When the details of a policy
// account for fewer sessions than its total-failure-session-count, one "unexplained" row holds
// the difference, so that the rows of a policy always add up to the summary the sender wrote
// (more sessions in the details than in the total: the details are kept as written).
//
// A sender that validated DANE and also evaluated MTA-STS may report the same sessions under a
// `tlsa` and an `sts` policy. Rows of only one policy type of a report are counted: of `sts` and
// `tlsa`, the type that reports more sessions (`sts` on a tie); the others are kept with
// counted == false, so nothing is lost and nothing is counted twice.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

namespace mtasts::core {

// What a session row says about its sessions.
inline constexpr std::string_view kTlsrptSuccess = "success";
inline constexpr std::string_view kTlsrptUnexplained = "unexplained";

struct TlsrptSessionRow {
  std::size_t policy_index = 0;  // the policy's index in TlsrptReport::policies
  std::string policy_type;       // "sts", "tlsa", "no-policy-found", or the text as written
  std::string policy_domain;     // "" when the report gives none
  // kTlsrptSuccess, a §4.3 result type, an unknown result-type as written (never empty:
  // "unknown" when absent), or kTlsrptUnexplained.
  std::string result;
  std::string receiving_mx;  // lowercase, no trailing dot; "" when not given
  std::string sending_ip;    // "" when not given
  std::string receiving_ip;  // "" when not given
  std::uint64_t sessions = 0;
  // For `sts` rows of a hosted domain, filled by the intake (policy_match.hpp): "live", "older"
  // or "unknown"; "" otherwise.
  std::string policy_match;
  bool counted = true;  // false: the same sessions are counted under the report's other type

  friend bool operator==(const TlsrptSessionRow&, const TlsrptSessionRow&) = default;
};

// The rows of `report`, policies in order, each policy's success row first. Rows with no
// sessions (a count of 0 or unknown) are left out, but for an unknown failed-session-count,
// which is kept with 0 sessions so that the failure type is still seen.
[[nodiscard]] std::vector<TlsrptSessionRow> tlsrpt_session_rows(const TlsrptReport& report);

// Whether `result` (a TlsrptSessionRow::result) names a failure.
[[nodiscard]] bool tlsrpt_row_is_failure(std::string_view result);

}  // namespace mtasts::core
