#pragma once

// The catalogue of `mtasts lint` findings: every stable code the record and policy parsers
// report, with its severity, what it is about and what it means. docs/lint-codes.md is generated
// from it (scripts/gen-lint-docs.py).
//
// Codes are part of the command-line and JSON interface: never rename or reuse one. Adding a
// LintCode value breaks the build until kLintCatalogue has its row (a static_assert).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mtasts::core {

// Errors make the input unusable for a conforming sender; warnings do not.
enum class Severity { error, warning };

// What a finding is about: the `_mta-sts` record, the `_smtp._tls` record, a policy file, or a
// policy compared with the live MX hosts of its domain (`mtasts lint policy --domain`).
enum class LintSubject { sts_record, tlsrpt_record, policy, policy_mx };

enum class LintCode : std::uint8_t {
  sts_non_ascii,
  sts_version_missing,
  sts_empty_field,
  sts_field_syntax,
  sts_field_name_invalid,
  sts_id_missing,
  sts_id_invalid,
  sts_extension_invalid,
  sts_trailing_whitespace,
  sts_id_duplicate,
  sts_field_case,
  tlsrpt_non_ascii,
  tlsrpt_version_missing,
  tlsrpt_empty_field,
  tlsrpt_field_syntax,
  tlsrpt_field_name_invalid,
  tlsrpt_extension_invalid,
  tlsrpt_trailing_whitespace,
  tlsrpt_rua_missing,
  tlsrpt_rua_invalid,
  tlsrpt_rua_unusable,
  tlsrpt_rua_exclamation,
  tlsrpt_rua_scheme,
  tlsrpt_field_case,
  policy_too_large,
  policy_empty,
  policy_control_character,
  policy_encoding,
  policy_line_syntax,
  policy_key_whitespace,
  policy_key_invalid,
  policy_version_missing,
  policy_version_invalid,
  policy_mode_missing,
  policy_mode_invalid,
  policy_max_age_missing,
  policy_max_age_invalid,
  policy_max_age_too_large,
  policy_mx_missing,
  policy_mx_invalid,
  policy_mx_u_label,
  policy_extension_invalid,
  policy_bom,
  policy_blank_line,
  policy_duplicate_field,
  policy_key_case,
  policy_unknown_key,
  policy_mx_trailing_dot,
  policy_mx_duplicate,
  policy_mx_ip_address,
  policy_mode_testing,
  policy_max_age_short,
  policy_mx_not_covered,
  policy_pattern_stale,
  policy_pattern_wide,
  policy_pattern_domain_wildcard,
  policy_mx_lookup_failed,
};

struct LintCodeInfo {
  LintCode id;
  std::string_view code;  // stable kebab-case name, e.g. "policy-mode-missing"
  Severity severity;
  LintSubject subject;
  std::string_view meaning;  // what triggers it, in Markdown (docs/lint-codes.md)
};

inline constexpr std::size_t kLintCodeCount = 57;
static_assert(static_cast<std::size_t>(LintCode::policy_mx_lookup_failed) + 1 == kLintCodeCount,
              "a new LintCode is the last value and needs its catalogue row");

// Every code, in LintCode order (row i describes LintCode(i)).
extern const std::array<LintCodeInfo, kLintCodeCount> kLintCatalogue;

[[nodiscard]] const LintCodeInfo& lint_code_info(LintCode code);

// The code named `name` ("sts-id-missing"), or nullopt when the catalogue has none.
[[nodiscard]] std::optional<LintCode> lint_code_from_name(std::string_view name);

}  // namespace mtasts::core
