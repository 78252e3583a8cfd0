#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

namespace mtasts::core {

std::string_view tlsrpt_report_code_name(TlsrptReportCode code) {
  switch (code) {
    case TlsrptReportCode::field_missing:
      return "field-missing";
    case TlsrptReportCode::field_null:
      return "field-null";
    case TlsrptReportCode::field_empty:
      return "field-empty";
    case TlsrptReportCode::field_type:
      return "field-type";
    case TlsrptReportCode::single_value_not_array:
      return "single-value-not-array";
    case TlsrptReportCode::count_invalid:
      return "count-invalid";
    case TlsrptReportCode::datetime_invalid:
      return "datetime-invalid";
    case TlsrptReportCode::datetime_no_zone:
      return "datetime-no-zone";
    case TlsrptReportCode::date_range_reversed:
      return "date-range-reversed";
    case TlsrptReportCode::date_range_unusual:
      return "date-range-unusual";
    case TlsrptReportCode::policy_type_unknown:
      return "policy-type-unknown";
    case TlsrptReportCode::policy_string_embedded_json:
      return "policy-string-embedded-json";
    case TlsrptReportCode::mx_host_string:
      return "mx-host-string";
    case TlsrptReportCode::alias_field:
      return "alias-field";
    case TlsrptReportCode::result_type_unknown:
      return "result-type-unknown";
    case TlsrptReportCode::failure_count_mismatch:
      return "failure-count-mismatch";
    case TlsrptReportCode::duplicate_key:
      return "duplicate-key";
    case TlsrptReportCode::unknown_field:
      return "unknown-field";
  }
  return "unknown-field";  // unreachable: the switch is exhaustive
}

TlsrptReportSeverity tlsrpt_report_code_severity(TlsrptReportCode code) {
  switch (code) {
    case TlsrptReportCode::date_range_unusual:
    case TlsrptReportCode::mx_host_string:
    case TlsrptReportCode::alias_field:
    case TlsrptReportCode::unknown_field:
      return TlsrptReportSeverity::info;
    case TlsrptReportCode::field_missing:
    case TlsrptReportCode::field_null:
    case TlsrptReportCode::field_empty:
    case TlsrptReportCode::field_type:
    case TlsrptReportCode::single_value_not_array:
    case TlsrptReportCode::count_invalid:
    case TlsrptReportCode::datetime_invalid:
    case TlsrptReportCode::datetime_no_zone:
    case TlsrptReportCode::date_range_reversed:
    case TlsrptReportCode::policy_type_unknown:
    case TlsrptReportCode::policy_string_embedded_json:
    case TlsrptReportCode::result_type_unknown:
    case TlsrptReportCode::failure_count_mismatch:
    case TlsrptReportCode::duplicate_key:
      return TlsrptReportSeverity::warning;
  }
  return TlsrptReportSeverity::warning;  // unreachable: the switch is exhaustive
}

std::string_view to_string(TlsrptWindow window) {
  switch (window) {
    case TlsrptWindow::unknown:
      return "unknown";
    case TlsrptWindow::day_ending_235959:
      return "day-ending-235959";
    case TlsrptWindow::day_ending_next_midnight:
      return "day-ending-next-midnight";
    case TlsrptWindow::hour:
      return "hour";
    case TlsrptWindow::week:
      return "week";
    case TlsrptWindow::other:
      return "other";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

std::string_view to_string(TlsrptPolicyType type) {
  switch (type) {
    case TlsrptPolicyType::absent:
      return "absent";
    case TlsrptPolicyType::sts:
      return "sts";
    case TlsrptPolicyType::tlsa:
      return "tlsa";
    case TlsrptPolicyType::no_policy_found:
      return "no-policy-found";
    case TlsrptPolicyType::unknown:
      return "unknown";
  }
  return "unknown";  // unreachable: the switch is exhaustive
}

}  // namespace mtasts::core
