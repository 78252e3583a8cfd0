#pragma once

// Whether the TLS-RPT reports of a domain in `mode: testing` say `enforce` is safe
// (docs/tlsrpt-intake.md "Enforce readiness"). Under enforce, a sending MTA that implements
// MTA-STS refuses to deliver to an MX that fails validation; the reports of a testing policy
// say which sessions would have failed. A domain is ready when enough reporters reported on
// enough recent days, with successes, and no session failed at a receiving MX. Failures to fetch
// or validate the policy itself (sts-policy-fetch-error, sts-policy-invalid,
// sts-webpki-invalid) do not stop mail under enforce, so they are reported but do not block.

#include <cstdint>
#include <string>
#include <vector>

namespace mtasts::core {

enum class Readiness {
  ready,        // switch to enforce
  not_ready,    // sessions failed at an MX: fix them first
  too_early,    // not enough evidence yet (days, reporters, sessions)
  not_testing,  // the policy is not in mode testing
};

// "ready", "not-ready", "too-early", "not-testing".
[[nodiscard]] std::string_view to_string(Readiness readiness);

struct ReadinessFailure {
  std::string result;  // a result type, "unexplained", or an unknown one as written
  std::string receiving_mx;
  std::uint64_t sessions = 0;
};

struct ReadinessInput {
  bool testing = true;                     // the live policy's mode is testing
  unsigned days_with_reports = 0;          // in the evidence window
  unsigned reporters = 0;                  // distinct reporters in the window
  std::uint64_t successful = 0;            // counted sessions in the window
  std::vector<ReadinessFailure> failures;  // counted failed sessions in the window, grouped
};

struct ReadinessRules {
  unsigned window_days = 14;  // the evidence window, ending now
  unsigned min_days = 7;      // days in the window with at least one report
  unsigned min_reporters = 2;
  std::uint64_t min_sessions = 1;
};

struct ReadinessVerdict {
  Readiness readiness = Readiness::too_early;
  std::vector<std::string> reasons;        // sentences: what is missing or what failed
  std::vector<ReadinessFailure> blocking;  // the failures that block (MX-side)
};

// Whether `result` is about the policy host rather than a receiving MX.
[[nodiscard]] bool is_policy_host_result(std::string_view result);

[[nodiscard]] ReadinessVerdict decide_readiness(const ReadinessInput& input,
                                                const ReadinessRules& rules = {});

}  // namespace mtasts::core
