// Fuzz target: the policy file parser, and the canonical renderer on what it accepts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/core/sts/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto report = mtasts::core::lint_policy(body);
  if (report.policy.has_value() != report.findings.ok()) {
    std::abort();
  }
  if (!report.policy) {
    return 0;
  }
  const auto& policy = *report.policy;
  if (policy.max_age > mtasts::core::kMaxPolicyMaxAge) {
    std::abort();
  }
  if (policy.mode != mtasts::core::PolicyMode::none && policy.mx.empty()) {
    std::abort();  // never "enforce with nothing allowed"
  }
  // What we accept, we can render canonically and read back to the same fields.
  const auto again = mtasts::core::parse_policy(mtasts::core::render_policy(policy));
  if (!again || again->mode != policy.mode || again->max_age != policy.max_age ||
      again->mx != policy.mx) {
    std::abort();
  }
  return 0;
}
