#pragma once

// TLS-RPT reports for the host benchmarks, as senders write them: one `sts` policy, a success
// count and zero to three failure details. report_bench imports them as JSON through the intake;
// host_store_seed stores a year of them per domain through ReportStore::add_reports, with the
// session rows the intake would derive (core::tlsrpt_session_rows), built directly because
// parsing millions of reports back would dominate the seeding time.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"
#include "mtasts/store/report_store.hpp"

namespace mtasts::bench {

struct FailureShape {
  std::string result;        // an RFC 8460 §4.3 result type
  std::string sending_ip;    // sending-mta-ip
  std::string receiving_mx;  // receiving-mx-hostname
  std::uint64_t sessions = 0;
};

struct ReportShape {
  std::string reporter;   // organization-name
  std::string report_id;  // report-id
  std::string domain;     // policy-domain, a hosted domain
  std::string mx;         // the policy's one mx, also its mx-host
  std::int64_t day = 0;   // days since 1970-01-01 (UTC) the date-range covers
  std::uint64_t successful = 0;
  std::vector<FailureShape> failures;
};

// A report of `domain` (policy mx `mx`) for `day`, with random counts and 0-3 failure details.
[[nodiscard]] ReportShape random_report(std::string reporter, std::string report_id,
                                        const std::string& domain, const std::string& mx,
                                        std::int64_t day, std::mt19937& rng);

// The report's JSON text (RFC 8460 §4), compact.
[[nodiscard]] std::string report_json(const ReportShape& shape);

// The report as the intake stores it: the StoredReport (raw = report_json) and its session rows
// (the success row, then one row per failure detail), every row counted and matched to the live
// policy. `received_at` is when it arrived.
[[nodiscard]] store::NewReport stored_report(const ReportShape& shape, core::HostTime received_at);

// Whether stored_report's rows are those core::tlsrpt_session_rows reads from report_json, but
// for policy_match (which the intake sets from the domain's history): "" when they are, else
// what differs.
[[nodiscard]] std::string compare_with_parsed(const ReportShape& shape);

}  // namespace mtasts::bench
