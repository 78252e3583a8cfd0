#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"

#include <gtest/gtest.h>

#include "mtasts/core/tlsrpt/enforce_readiness.hpp"

namespace mtasts::core {
namespace {

TlsrptReport read(std::string_view text) {
  auto report = parse_tlsrpt_report(text);
  EXPECT_TRUE(report.has_value()) << report.error().message;
  return report.value_or(TlsrptReport{});
}

constexpr std::string_view kTwoPolicies = R"({
  "organization-name": "Org", "report-id": "r",
  "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"},
  "policies": [
    {"policy": {"policy-type": "sts", "policy-domain": "Example.COM.", "policy-string": []},
     "summary": {"total-successful-session-count": 90, "total-failure-session-count": 10},
     "failure-details": [
       {"result-type": "certificate-expired", "receiving-mx-hostname": "MX1.example.com.",
        "sending-mta-ip": " 192.0.2.1 ", "failed-session-count": 4},
       {"result-type": "brand-new-type", "failed-session-count": 1},
       {"result-type": "starttls-not-supported", "failed-session-count": 0}]},
    {"policy": {"policy-type": "tlsa", "policy-domain": "example.com", "policy-string": []},
     "summary": {"total-successful-session-count": 95, "total-failure-session-count": 0}}]})";

TEST(TlsrptRows, Policies_SuccessDetailsAndUnexplainedRows) {
  const std::vector<TlsrptSessionRow> rows = tlsrpt_session_rows(read(kTwoPolicies));
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_EQ(rows[0].result, "success");
  EXPECT_EQ(rows[0].sessions, 90U);
  EXPECT_EQ(rows[0].policy_domain, "example.com");
  EXPECT_EQ(rows[1].result, "certificate-expired");
  EXPECT_EQ(rows[1].receiving_mx, "mx1.example.com");
  EXPECT_EQ(rows[1].sending_ip, "192.0.2.1");
  EXPECT_EQ(rows[2].result, "brand-new-type");
  // 10 failures, 5 explained: the rest is one "unexplained" row.
  EXPECT_EQ(rows[3].result, "unexplained");
  EXPECT_EQ(rows[3].sessions, 5U);
  EXPECT_EQ(rows[4].policy_type, "tlsa");
}

TEST(TlsrptRows, StsAndTlsa_TheLargerTypeIsCounted) {
  const std::vector<TlsrptSessionRow> rows = tlsrpt_session_rows(read(kTwoPolicies));
  // sts: 90 + 5 + 5 = 100 sessions; tlsa: 95. sts is counted, tlsa kept but not counted.
  for (const TlsrptSessionRow& row : rows) {
    EXPECT_EQ(row.counted, row.policy_type == "sts") << row.policy_type << " " << row.result;
  }
}

TEST(TlsrptRows, NoCounts_NoRowsButUnknownDetailKept) {
  const auto rows = tlsrpt_session_rows(read(R"({"policies": [{"policy": {"policy-type": "sts"},
      "summary": {}, "failure-details": [{"result-type": "validation-failure"}]}]})"));
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].result, "validation-failure");
  EXPECT_EQ(rows[0].sessions, 0U);
  EXPECT_TRUE(tlsrpt_row_is_failure(rows[0].result));
  EXPECT_FALSE(tlsrpt_row_is_failure(kTlsrptSuccess));
}

TEST(EnforceReadiness, Table) {
  struct Case {
    const char* name;
    ReadinessInput input;
    Readiness want;
  };
  const ReadinessInput ready{true, 10, 3, 500, {}};
  ReadinessInput mx_failure = ready;
  mx_failure.failures = {{"certificate-expired", "mx1.example.com", 2}};
  ReadinessInput host_failure = ready;
  host_failure.failures = {{"sts-policy-fetch-error", "", 9}};
  ReadinessInput few_days = ready;
  few_days.days_with_reports = 6;
  ReadinessInput one_reporter = ready;
  one_reporter.reporters = 1;
  ReadinessInput no_success = ready;
  no_success.successful = 0;
  ReadinessInput enforcing = ready;
  enforcing.testing = false;
  const Case cases[] = {
      {"ready", ready, Readiness::ready},
      {"an MX failure blocks", mx_failure, Readiness::not_ready},
      {"policy host failures do not block", host_failure, Readiness::ready},
      {"too few days", few_days, Readiness::too_early},
      {"one reporter", one_reporter, Readiness::too_early},
      {"no success", no_success, Readiness::too_early},
      {"not testing", enforcing, Readiness::not_testing},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const ReadinessVerdict verdict = decide_readiness(c.input);
    EXPECT_EQ(verdict.readiness, c.want);
    EXPECT_EQ(verdict.reasons.empty(), c.want == Readiness::ready);
  }
  const ReadinessVerdict blocked = decide_readiness(mx_failure);
  ASSERT_EQ(blocked.blocking.size(), 1U);
  EXPECT_NE(blocked.reasons[0].find("mx1.example.com"), std::string::npos);
}

}  // namespace
}  // namespace mtasts::core
