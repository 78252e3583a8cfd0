#pragma once

// TLS-RPT aggregate reports (RFC 8460 §4): a tolerant reader of the JSON a sending MTA mails or
// POSTs to a domain's rua endpoint.
//
// Real reports bend the schema of RFC 8460 §4.4 (null contact-info, no sending-mta-ip, mx-host as
// a string, a TLSA policy-string holding a JSON text, date-times without a zone, detail counts
// that do not add up). The reader keeps everything it can and describes each deviation as a
// finding with a stable code and a JSON-pointer path (RFC 6901) to the field, e.g.
// "/policies/1/failure-details/0/failed-session-count". Only input that cannot be a report at all
// is an error. Decompression and transport belong to the callers; this takes the JSON bytes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/tlsrpt/result_type.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_report_time.hpp"

namespace mtasts::core {

// Stable codes of report findings. Never rename or reuse one; docs/tlsrpt-report.md lists them
// with an example each.
enum class TlsrptReportCode {
  field_missing,                // a field RFC 8460 §4.4 requires is absent
  field_null,                   // a required field is JSON null
  field_empty,                  // a required string or array is empty
  field_type,                   // a field has the wrong JSON type; its value is ignored
  single_value_not_array,       // an array field holds one value; read as a one-element array
  count_invalid,                // a count is not an integer in 0..2^53-1; kept as unknown
  datetime_invalid,             // a date-time is not RFC 3339; kept as text only
  datetime_no_zone,             // a date-time has no "Z" or offset; read as UTC
  date_range_reversed,          // end-datetime is before start-datetime
  date_range_unusual,           // (info) the range is not a UTC day, an hour or a week
  policy_type_unknown,          // policy-type is not sts, tlsa or no-policy-found; text kept
  policy_string_embedded_json,  // policy-string is one string holding a JSON array; unpacked
  mx_host_string,               // (info) mx-host is one string, not an array (RFC's Appendix B)
  alias_field,                  // (info) mx-host-pattern or additional-info-uri used as a key
  result_type_unknown,          // result-type is not in the §4.3 registry; text kept
  failure_count_mismatch,       // the failed-session-counts do not sum to the summary's total
  duplicate_key,                // a key repeats in one object; the first value wins
  unknown_field,                // (info) a key the schema does not define; ignored
};

inline constexpr std::array kAllTlsrptReportCodes = {
    TlsrptReportCode::field_missing,
    TlsrptReportCode::field_null,
    TlsrptReportCode::field_empty,
    TlsrptReportCode::field_type,
    TlsrptReportCode::single_value_not_array,
    TlsrptReportCode::count_invalid,
    TlsrptReportCode::datetime_invalid,
    TlsrptReportCode::datetime_no_zone,
    TlsrptReportCode::date_range_reversed,
    TlsrptReportCode::date_range_unusual,
    TlsrptReportCode::policy_type_unknown,
    TlsrptReportCode::policy_string_embedded_json,
    TlsrptReportCode::mx_host_string,
    TlsrptReportCode::alias_field,
    TlsrptReportCode::result_type_unknown,
    TlsrptReportCode::failure_count_mismatch,
    TlsrptReportCode::duplicate_key,
    TlsrptReportCode::unknown_field,
};

// Warnings say the sender deviated from RFC 8460; infos note tolerated, harmless variants.
enum class TlsrptReportSeverity { warning, info };

// The code's stable kebab-case name, e.g. "count-invalid".
[[nodiscard]] std::string_view tlsrpt_report_code_name(TlsrptReportCode code);
[[nodiscard]] TlsrptReportSeverity tlsrpt_report_code_severity(TlsrptReportCode code);

struct TlsrptReportFinding {
  TlsrptReportCode code = TlsrptReportCode::field_missing;
  std::string path;     // JSON pointer to the field, always starting with "/"
  std::string message;  // what was found and how it was read
};

struct TlsrptDateTime {
  std::string text;                 // as written; empty when absent
  std::optional<Rfc3339Time> time;  // nullopt when absent, not a string or not RFC 3339
};

// The shape of the reporting window, judged from the two date-times in UTC.
enum class TlsrptWindow {
  unknown,                   // a date-time is missing or unreadable, or the end is before the start
  day_ending_235959,         // 00:00:00Z to 23:59:59Z of one day (RFC 8460 Appendix B)
  day_ending_next_midnight,  // 00:00:00Z to the next day's 00:00:00Z
  hour,                      // 3599 or 3600 seconds
  week,                      // 7 days, or 7 days less one second
  other,                     // any other span
};

// "day-ending-235959", "day-ending-next-midnight", "hour", "week", "other", "unknown".
[[nodiscard]] std::string_view to_string(TlsrptWindow window);

struct TlsrptDateRange {
  TlsrptDateTime start;
  TlsrptDateTime end;
  TlsrptWindow window = TlsrptWindow::unknown;
};

enum class TlsrptPolicyType {
  absent,           // no usable policy-type field
  sts,              // "sts"
  tlsa,             // "tlsa"
  no_policy_found,  // "no-policy-found"
  unknown,          // any other string, kept in TlsrptPolicy::type_text
};

// "sts", "tlsa", "no-policy-found"; "absent" and "unknown" for the other two.
[[nodiscard]] std::string_view to_string(TlsrptPolicyType type);

// A count of sessions: nullopt when absent or unusable (see the findings).
using TlsrptCount = std::optional<std::uint64_t>;

// The largest count accepted: I-JSON (RFC 7493 §2.2) integers stay within 2^53 - 1.
inline constexpr std::uint64_t kTlsrptMaxCount = (std::uint64_t{1} << 53) - 1;

// One entry of "failure-details". Strings are as written, "" included; nullopt means absent,
// null or not a string.
struct TlsrptFailureDetail {
  std::optional<TlsrptResultType> result_type;  // nullopt when absent or not in §4.3
  std::string result_type_text;                 // the result-type as written
  std::optional<std::string> sending_mta_ip;
  std::optional<std::string> receiving_mx_hostname;
  std::optional<std::string> receiving_mx_helo;
  std::optional<std::string> receiving_ip;
  TlsrptCount failed_session_count;
  std::optional<std::string> additional_information;  // or the alias additional-info-uri
  std::optional<std::string> failure_reason_code;
};

// One entry of "policies": the applied policy, its summary and its failure details.
struct TlsrptPolicy {
  TlsrptPolicyType type = TlsrptPolicyType::absent;
  std::string type_text;                   // the policy-type as written
  std::vector<std::string> policy_string;  // one entry per policy line or TLSA record
  std::optional<std::string> policy_domain;
  std::vector<std::string> mx_host;  // mx-host (or mx-host-pattern), one string made a list
  TlsrptCount total_successful_session_count;
  TlsrptCount total_failure_session_count;
  std::vector<TlsrptFailureDetail> failure_details;  // entries that are objects, in order
};

struct TlsrptReport {
  std::optional<std::string> organization_name;
  TlsrptDateRange date_range;
  std::optional<std::string> contact_info;
  std::optional<std::string> report_id;
  std::vector<TlsrptPolicy> policies;  // entries that are objects, in order
  std::vector<TlsrptReportFinding> findings;
  std::string raw;  // the input, byte for byte
};

struct TlsrptReportLimits {
  std::size_t max_bytes = std::size_t{10} * 1024 * 1024;  // larger input is an error
  std::size_t max_depth = 64;  // nested arrays and objects; the top-level object is depth 1
};

// Reads one report from its JSON text (UTF-8, already decompressed).
//
// Errors (core::Errc), each with a message naming the problem:
//   too_large       the input is longer than limits.max_bytes, or nests arrays and objects
//                   deeper than limits.max_depth;
//   invalid_syntax  the input is not JSON (RFC 8259), including invalid UTF-8;
//   invalid_value   the JSON is not an object at the top.
// Anything else is a report: every field that cannot be read is left empty or nullopt and
// described by a finding. Duplicate keys: the first occurrence wins (duplicate-key).
[[nodiscard]] Result<TlsrptReport> parse_tlsrpt_report(std::string_view text,
                                                       const TlsrptReportLimits& limits = {});

}  // namespace mtasts::core
