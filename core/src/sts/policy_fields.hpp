#pragma once

// Private: value checks for the registered policy fields (RFC 8461 §3.2).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "mtasts/core/base/findings.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace mtasts::core {

std::optional<PolicyMode> parse_mode_value(std::string_view value);

// max_age = 1*10(DIGIT), at most 31557600 (erratum 7282: larger is invalid, see
// docs/decisions.md). Sets policy.max_age or reports an error.
void check_max_age(std::string_view value, std::size_t line, Findings& findings, Policy& policy);

// One "mx:" value: one pattern, one tolerated trailing dot, A-labels only. Appends the pattern
// unless `seen` already holds its text, or reports an error.
void add_mx(std::string_view value, std::size_t line, Findings& findings, Policy& policy,
            std::unordered_set<std::string>& seen);

// sts-policy-ext-value = sts-policy-vchar [*(%x20 / sts-policy-vchar) sts-policy-vchar]
bool is_policy_ext_value(std::string_view value);

}  // namespace mtasts::core
