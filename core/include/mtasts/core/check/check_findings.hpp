#pragma once

// The catalogue of `mtasts check` findings: every stable code with its severity, the area of
// the deployment it is about, the RFC section it rests on and the fix an administrator applies.
// docs/check.md is the table in prose.
//
// Codes are part of the command-line and JSON interface: never rename or reuse one. Adding a
// CheckCode value breaks the build until kCheckCatalogue has its row (a static_assert).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtasts::core {

enum class CheckSeverity {
  error,    // a conforming sender cannot use the deployment as intended
  warning,  // it works, but is fragile, about to break, or not enforced
  info,     // worth knowing; nothing to fix
};

// "error", "warning", "info".
[[nodiscard]] std::string_view check_severity_name(CheckSeverity severity);

// What a finding is about; the person-readable output groups by area.
// `hosting` holds the findings of the `mtasts host` monitor about a domain the service hosts
// (hosting_checks.hpp); `mtasts check` never reports them.
enum class CheckArea { sts_record, policy_host, policy, mx_coverage, mx_host, tlsrpt, hosting };

// "_mta-sts record", "policy host", "policy", "policy vs MX", "MX hosts", "TLSRPT record",
// "hosted domain".
[[nodiscard]] std::string_view check_area_title(CheckArea area);

enum class CheckCode : std::uint8_t {
  sts_record_missing,
  sts_record_multiple,
  sts_record_invalid,
  sts_record_lookup_failed,
  sts_record_cname,
  sts_record_warning,
  policy_host_unresolvable,
  policy_host_unreachable,
  policy_fetch_timeout,
  policy_fetch_failed,
  policy_tls_handshake,
  policy_cert_expired,
  policy_cert_not_yet_valid,
  policy_cert_name_mismatch,
  policy_cert_untrusted,
  policy_cert_invalid,
  policy_cert_expiring,
  policy_http_status,
  policy_redirect,
  policy_content_type,
  policy_too_large,
  policy_invalid,
  policy_syntax_warning,
  policy_bom,
  policy_line_endings,
  policy_max_age_short,
  policy_mode_testing,
  policy_mode_none,
  policy_fetched,
  mx_lookup_failed,
  mx_null,
  mx_not_covered,
  policy_pattern_stale,
  policy_pattern_ip_address,
  policy_pattern_wide,
  policy_pattern_domain_wildcard,
  mx_host_unresolvable,
  mx_unreachable,
  mx_starttls_missing,
  mx_tls_handshake,
  mx_tls_version,
  mx_cert_untrusted,
  mx_cert_expired,
  mx_cert_not_yet_valid,
  mx_cert_name_mismatch,
  mx_cert_invalid,
  mx_cert_expiring,
  mx_tls_ok,
  tlsrpt_record_missing,
  tlsrpt_record_multiple,
  tlsrpt_record_invalid,
  tlsrpt_record_warning,
  tlsrpt_lookup_failed,
  hosted_record_missing,
  hosted_record_multiple,
  hosted_id_stale,
  hosted_delegation_broken,
  hosted_policy_host_elsewhere,
  hosted_cert_missing,
  hosted_cert_expiring,
  hosted_cert_expired,
  sts_record_ignored,
};

struct CheckCodeInfo {
  CheckCode id;
  std::string_view code;  // stable kebab-case name, e.g. "mx-cert-expired"
  CheckSeverity severity;
  CheckArea area;
  std::string_view rfc;  // e.g. "RFC 8461 §4.2"
  std::string_view fix;  // what to change, for an administrator
};

// Certificates that expire within this many days are reported as expiring.
inline constexpr std::int64_t kCertExpiringDays = 14;

inline constexpr std::size_t kCheckCodeCount = 62;
static_assert(static_cast<std::size_t>(CheckCode::sts_record_ignored) + 1 == kCheckCodeCount,
              "a new CheckCode is the last value and needs its catalogue row");

// Every code, in CheckCode order (row i describes CheckCode(i)).
extern const std::array<CheckCodeInfo, kCheckCodeCount> kCheckCatalogue;

[[nodiscard]] const CheckCodeInfo& check_code_info(CheckCode code);

// The inverse of CheckCodeInfo::code; nullopt for an unknown name.
[[nodiscard]] std::optional<CheckCode> check_code_from_name(std::string_view name);

// One finding of the deployment check.
struct CheckFinding {
  CheckCode id;
  std::string code;  // check_code_info(id).code
  CheckSeverity severity = CheckSeverity::error;
  CheckArea area = CheckArea::sts_record;
  std::string subject;  // what it is about: "_mta-sts.example.com", "mx1.example.com", ...
  std::string message;  // what was found, for a person
  std::string rfc;
  std::string fix;
};

// A finding with the catalogue's severity, area, RFC section and fix.
[[nodiscard]] CheckFinding make_check_finding(CheckCode code, std::string subject,
                                              std::string message);

// Whole days from `now_unix` (seconds since the epoch) until `not_after`, an ISO 8601 UTC time
// "YYYY-MM-DDTHH:MM:SSZ" (CertificateInfo::not_after); negative once it has passed, rounded
// towards minus infinity. nullopt when the text is not in that form.
[[nodiscard]] std::optional<std::int64_t> days_until(std::string_view not_after,
                                                     std::int64_t now_unix);

}  // namespace mtasts::core
