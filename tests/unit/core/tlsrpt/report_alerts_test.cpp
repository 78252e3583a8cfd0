#include "mtasts/core/tlsrpt/report_alerts.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mtasts::core {
namespace {

std::vector<std::string> kinds(const std::vector<ReportAlert>& alerts) {
  std::vector<std::string> out;
  for (const ReportAlert& alert : alerts) {
    out.push_back(alert.kind + (alert.result.empty() ? "" : ":" + alert.result));
  }
  return out;
}

TEST(ReportAlerts, Table) {
  struct Case {
    std::string name;
    ReportAlertInput input;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"no failures", {"a.example", {}, {}, 100, 0, 700, 0}, {}},
      {"a failure type seen before",
       {"a.example", {{"certificate-expired", 3}}, {{"certificate-expired", 10}}, 100, 3, 700, 20},
       {}},
      {"a new failure type",
       {"a.example",
        {{"starttls-not-supported", 2}},
        {{"certificate-expired", 10}},
        1000,
        2,
        7000,
        10},
       {"new-failure-type:starttls-not-supported"}},
      {"a policy host failure, whether seen before or not",
       {"a.example", {{"sts-webpki-invalid", 5}}, {{"sts-webpki-invalid", 5}}, 1000, 5, 7000, 5},
       {"policy-host-failure:sts-webpki-invalid"}},
      {"rate step: 1% to 10%",
       {"a.example",
        {{"certificate-expired", 100}},
        {{"certificate-expired", 70}},
        900,
        100,
        6930,
        70},
       {"failure-rate-step"}},
      {"a doubling too small to matter (0.1% to 0.3%)",
       {"a.example", {{"certificate-expired", 3}}, {{"certificate-expired", 7}}, 997, 3, 6993, 7},
       {}},
      {"too few sessions that day",
       {"a.example", {{"certificate-expired", 40}}, {{"certificate-expired", 1}}, 10, 40, 700, 1},
       {}},
      {"no baseline: no step, the type decides",
       {"a.example", {{"validation-failure", 50}}, {}, 50, 50, 0, 0},
       {"new-failure-type:validation-failure"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(kinds(decide_report_alerts(c.input)), c.want);
  }
}

TEST(ReportAlerts, Messages_NameDomainTypeAndRates) {
  const ReportAlertInput input{"a.example", {{"certificate-expired", 100}}, {}, 900, 100, 6930, 70};
  const std::vector<ReportAlert> alerts = decide_report_alerts(input);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].sessions, 100u);
  EXPECT_NE(alerts[0].message.find("certificate-expired"), std::string::npos);
  EXPECT_NE(alerts[1].message.find("rose to 10.0% of 1000 session(s), from 1.0%"),
            std::string::npos)
      << alerts[1].message;
}

}  // namespace
}  // namespace mtasts::core
