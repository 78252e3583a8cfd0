#include "mtasts/core/tlsrpt/enforce_readiness.hpp"

#include <string_view>

namespace mtasts::core {

std::string_view to_string(Readiness readiness) {
  switch (readiness) {
    case Readiness::ready:
      return "ready";
    case Readiness::not_ready:
      return "not-ready";
    case Readiness::too_early:
      return "too-early";
    case Readiness::not_testing:
      return "not-testing";
  }
  return "too-early";
}

bool is_policy_host_result(std::string_view result) {
  return result == "sts-policy-fetch-error" || result == "sts-policy-invalid" ||
         result == "sts-webpki-invalid";
}

ReadinessVerdict decide_readiness(const ReadinessInput& input, const ReadinessRules& rules) {
  ReadinessVerdict verdict;
  if (!input.testing) {
    verdict.readiness = Readiness::not_testing;
    verdict.reasons.emplace_back("the policy is not in mode testing");
    return verdict;
  }
  for (const ReadinessFailure& failure : input.failures) {
    if (failure.sessions > 0 && !is_policy_host_result(failure.result)) {
      verdict.blocking.push_back(failure);
      verdict.reasons.push_back(
          std::to_string(failure.sessions) + " session(s) failed with " + failure.result +
          (failure.receiving_mx.empty() ? std::string() : " at " + failure.receiving_mx));
    }
  }
  if (!verdict.blocking.empty()) {
    verdict.readiness = Readiness::not_ready;
    return verdict;
  }
  const std::string window = " in the last " + std::to_string(rules.window_days) + " days";
  if (input.days_with_reports < rules.min_days) {
    verdict.reasons.push_back("reports on " + std::to_string(input.days_with_reports) + " day(s)" +
                              window + "; " + std::to_string(rules.min_days) + " needed");
  }
  if (input.reporters < rules.min_reporters) {
    verdict.reasons.push_back(std::to_string(input.reporters) + " reporter(s)" + window + "; " +
                              std::to_string(rules.min_reporters) + " needed");
  }
  if (input.successful < rules.min_sessions) {
    verdict.reasons.push_back("no successful session" + window);
  }
  verdict.readiness = verdict.reasons.empty() ? Readiness::ready : Readiness::too_early;
  return verdict;
}

}  // namespace mtasts::core
