#pragma once

// When a newly received TLS-RPT report is worth an alert (the monitor's hook, monitor.alert):
//   new-failure-type     a failure result type the domain's reports did not show in the
//                        lookback period before the report's day (policy-host types excepted:
//                        they have their own alert)
//   policy-host-failure  senders could not fetch or validate the policy the service serves
//                        (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid)
//   failure-rate-step    the failure rate of the report's day is at least `rate_factor` times
//                        the baseline days' and `min_step` above it, with at least
//                        `min_sessions` sessions that day
// Sans-I/O: the caller reads the totals from the store and sends the alerts.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mtasts::core {

struct ReportAlertRules {
  unsigned lookback_days = 30;
  unsigned baseline_days = 7;
  std::uint64_t min_sessions = 100;
  double rate_factor = 2.0;
  double min_step = 0.05;
};

struct ReportAlertInput {
  std::string domain;
  std::map<std::string, std::uint64_t> report_failures;  // the report's counted failures
  std::map<std::string, std::uint64_t> seen_before;      // failures in the lookback days
  std::uint64_t day_successful = 0;                      // the report's day, the report included
  std::uint64_t day_failed = 0;
  std::uint64_t base_successful = 0;  // the baseline days before it
  std::uint64_t base_failed = 0;
};

struct ReportAlert {
  std::string kind;    // "new-failure-type", "policy-host-failure", "failure-rate-step"
  std::string result;  // the failure type, "" for the rate step
  std::uint64_t sessions = 0;
  std::string message;

  friend bool operator==(const ReportAlert&, const ReportAlert&) = default;
};

[[nodiscard]] std::vector<ReportAlert> decide_report_alerts(const ReportAlertInput& input,
                                                            const ReportAlertRules& rules = {});

}  // namespace mtasts::core
