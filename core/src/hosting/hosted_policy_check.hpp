#pragma once

// Private: the checks of a hosted policy with the field each problem is about, shared by
// validate_hosted_policy() (which folds the field into Error::message) and the admin API body
// parser (which reports it as RequestError::field).

#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "mtasts/core/hosting/hosted_domain.hpp"

namespace mtasts::core {

struct FieldProblem {
  std::string field;    // "mx[2]", "mx", "max_age"
  std::string message;  // without the field name
};

// One mx pattern as an administrator writes it: parse_mx_pattern, and no IP addresses (a
// pattern matches names only, RFC 8461 §4.1). The normalised text, or why it was refused.
[[nodiscard]] tl::expected<std::string, std::string> check_mx_entry(std::string_view value);

// The checks of validate_hosted_policy(), with the field.
[[nodiscard]] tl::expected<HostedPolicy, FieldProblem> check_hosted_policy(HostedPolicy policy);

}  // namespace mtasts::core
