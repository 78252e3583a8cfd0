#include "sts/policy_fields.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::core {

std::optional<PolicyMode> parse_mode_value(std::string_view value) {
  if (value == "enforce") {
    return PolicyMode::enforce;
  }
  if (value == "testing") {
    return PolicyMode::testing;
  }
  if (value == "none") {
    return PolicyMode::none;
  }
  return std::nullopt;
}

void check_max_age(std::string_view value, std::size_t line, Findings& findings, Policy& policy) {
  const bool digits = !value.empty() && value.size() <= 10 &&
                      std::all_of(value.begin(), value.end(), [](char c) { return is_digit(c); });
  if (!digits) {
    findings.add(LintCode::policy_max_age_invalid,
                 "max_age must be 1 to 10 digits (seconds), not \"" + printable(value) + "\"",
                 line);
    return;
  }
  std::uint64_t seconds = 0;
  std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (seconds > kMaxPolicyMaxAge) {
    findings.add(LintCode::policy_max_age_too_large,
                 "max_age " + std::string(value) +
                     " exceeds the maximum of 31557600 seconds (about a year, RFC 8461 §3.2)",
                 line);
    return;
  }
  policy.max_age = static_cast<std::uint32_t>(seconds);
}

void add_mx(std::string_view value, std::size_t line, Findings& findings, Policy& policy,
            std::unordered_set<std::string>& seen) {
  if (value.empty()) {
    findings.add(LintCode::policy_mx_invalid, "the mx line has no value", line);
    return;
  }
  if (value.find_first_of(", \t") != std::string_view::npos) {
    findings.add(
        LintCode::policy_mx_invalid,
        "\"" + printable(value) + "\" holds several names: write one \"mx:\" line per pattern",
        line);
    return;
  }
  if (value.size() >= 2 && value.substr(value.size() - 2) == "..") {
    findings.add(LintCode::policy_mx_invalid,
                 "\"" + printable(value) + "\" ends in more than one dot", line);
    return;
  }
  if (value.back() == '.') {
    findings.add(LintCode::policy_mx_trailing_dot,
                 "\"" + printable(value) +
                     "\" ends in a dot, which the grammar does not allow; senders strip it: "
                     "remove it",
                 line);
    value.remove_suffix(1);
  }
  auto pattern = parse_mx_pattern(value);
  if (!pattern) {
    std::string message = pattern.error().message;
    if (std::any_of(value.begin(), value.end(), [](char c) { return !is_ascii(c); })) {
      const bool wildcard = value.substr(0, 2) == "*.";
      if (auto a_label = normalize_domain(value.substr(wildcard ? 2 : 0))) {
        message += ": write \"" + std::string(wildcard ? "*." : "") + *a_label + "\"";
      }
      findings.add(LintCode::policy_mx_u_label, message, line);
    } else {
      findings.add(LintCode::policy_mx_invalid, message, line);
    }
    return;
  }
  if (!pattern->wildcard && is_address_literal(pattern->domain)) {
    findings.add(LintCode::policy_mx_ip_address,
                 "\"" + pattern->domain +
                     "\" is an IP address: mx patterns match MX host names only, so it matches "
                     "nothing",
                 line);
  }
  if (!seen.insert(pattern->text()).second) {
    findings.add(LintCode::policy_mx_duplicate, "\"" + pattern->text() + "\" is listed twice",
                 line);
    return;
  }
  policy.mx.push_back(std::move(*pattern));
}

bool is_policy_ext_value(std::string_view value) {
  if (value.empty() || value.front() == ' ' || value.back() == ' ') {
    return false;
  }
  return std::all_of(value.begin(), value.end(), [](char c) { return !is_control(c); });
}

}  // namespace mtasts::core
