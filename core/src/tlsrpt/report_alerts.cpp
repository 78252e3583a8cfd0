#include "mtasts/core/tlsrpt/report_alerts.hpp"

#include <cstdio>

#include "mtasts/core/tlsrpt/enforce_readiness.hpp"

namespace mtasts::core {
namespace {

std::string percent(double rate) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", rate * 100.0);
  return buffer;
}

double rate(std::uint64_t failed, std::uint64_t successful) {
  const std::uint64_t total = failed + successful;
  return total == 0 ? 0.0 : static_cast<double>(failed) / static_cast<double>(total);
}

}  // namespace

std::vector<ReportAlert> decide_report_alerts(const ReportAlertInput& input,
                                              const ReportAlertRules& rules) {
  std::vector<ReportAlert> out;
  for (const auto& [result, sessions] : input.report_failures) {
    if (sessions == 0) {
      continue;
    }
    if (is_policy_host_result(result)) {
      out.push_back({"policy-host-failure", result, sessions,
                     std::to_string(sessions) + " session(s) to " + input.domain + " failed with " +
                         result +
                         ": senders could not fetch or validate the policy this service serves"});
    } else if (!input.seen_before.contains(result)) {
      out.push_back({"new-failure-type", result, sessions,
                     "a new failure type for " + input.domain + ": " + result + ", " +
                         std::to_string(sessions) + " session(s); none in the " +
                         std::to_string(rules.lookback_days) + " days before"});
    }
  }
  const std::uint64_t day_total = input.day_failed + input.day_successful;
  const double day_rate = rate(input.day_failed, input.day_successful);
  const double base_rate = rate(input.base_failed, input.base_successful);
  if (day_total >= rules.min_sessions && input.base_failed + input.base_successful > 0 &&
      day_rate >= base_rate * rules.rate_factor && day_rate >= base_rate + rules.min_step) {
    out.push_back({"failure-rate-step", "", input.day_failed,
                   "the failure rate of " + input.domain + " rose to " + percent(day_rate) +
                       " of " + std::to_string(day_total) + " session(s), from " +
                       percent(base_rate) + " in the " + std::to_string(rules.baseline_days) +
                       " days before"});
  }
  return out;
}

}  // namespace mtasts::core
