#pragma once

// The pure parts of `mtasts check`: what the record, the policy body, the MX coverage and the
// TLSRPT record mean as check findings. The net layer gathers the inputs.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "mtasts/core/check/check_findings.hpp"
#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/sts/policy_audit.hpp"
#include "mtasts/core/sts/sts_record.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_record.hpp"

namespace mtasts::core {

using CheckFindings = std::vector<CheckFinding>;

// The choice among the TXT RRs at `record_name` (_mta-sts.<domain>): missing, multiple,
// invalid (one finding per error), or the record's lint warnings.
[[nodiscard]] CheckFindings check_sts_selection(const StsRecordSelection& selection,
                                                std::string_view record_name);

// A fetched body (`report` = lint_policy(body)): invalid (one finding per error), BOM, line
// endings, IP patterns, a short max_age, other warnings, and the mode. `subject` names the
// policy URL.
[[nodiscard]] CheckFindings check_policy_body(const PolicyReport& report, std::string_view body,
                                              std::string_view subject);

// The policy against the MX hosts: one finding per uncovered host (subject: the host), stale
// or wide pattern (subject: the pattern), and the domain wildcard.
[[nodiscard]] CheckFindings check_mx_coverage(const MxCoverage& coverage, std::string_view domain);

// The choice among the TXT RRs at `record_name` (_smtp._tls.<domain>).
[[nodiscard]] CheckFindings check_tlsrpt_selection(const TlsrptRecordSelection& selection,
                                                   std::string_view record_name);

// `expiring` when the certificate expires within kCertExpiringDays (and has not yet expired);
// nothing otherwise.
[[nodiscard]] std::optional<CheckFinding> check_cert_expiry(CheckCode expiring,
                                                            std::string_view subject,
                                                            std::optional<std::int64_t> days_left);

}  // namespace mtasts::core
