#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

#include <cstdint>
#include <utility>

#include "tlsrpt/tlsrpt_report_json.hpp"
#include "tlsrpt/tlsrpt_report_reader.hpp"

namespace mtasts::core {
namespace {

using nlohmann::json;

constexpr std::int64_t kSecondsPerDay = 86400;

TlsrptWindow classify_window(std::int64_t start, std::int64_t end) {
  const std::int64_t span = end - start;
  const bool starts_at_midnight = ((start % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay == 0;
  if (starts_at_midnight && span == kSecondsPerDay - 1) {
    return TlsrptWindow::day_ending_235959;
  }
  if (starts_at_midnight && span == kSecondsPerDay) {
    return TlsrptWindow::day_ending_next_midnight;
  }
  if (span == 3599 || span == 3600) {
    return TlsrptWindow::hour;
  }
  if (span == 7 * kSecondsPerDay - 1 || span == 7 * kSecondsPerDay) {
    return TlsrptWindow::week;
  }
  return TlsrptWindow::other;
}

}  // namespace

TlsrptDateTime TlsrptReportReader::read_date_time(const json& range, const std::string& parent,
                                                  std::string_view key) {
  TlsrptDateTime out;
  std::optional<std::string> text = read_string(range, parent, key, FieldNeed::required);
  if (!text || text->empty()) {
    return out;
  }
  out.text = std::move(*text);
  out.time = parse_rfc3339_time(out.text);
  const std::string path = field_path(parent, key);
  if (!out.time) {
    add(TlsrptReportCode::datetime_invalid, path,
        shown(out.text) + " is not an RFC 3339 date-time; kept as text only");
  } else if (out.time->zone == TimeZoneForm::none) {
    add(TlsrptReportCode::datetime_no_zone, path,
        shown(out.text) + " has no \"Z\" or offset (RFC 3339 §5.6 requires one); read as UTC");
  }
  return out;
}

TlsrptDateRange TlsrptReportReader::read_date_range(const json& top) {
  TlsrptDateRange range;
  const json* object = read_object(top, "", "date-range");
  if (object == nullptr) {
    return range;
  }
  note_unknown_fields(*object, "/date-range", {"start-datetime", "end-datetime"});
  range.start = read_date_time(*object, "/date-range", "start-datetime");
  range.end = read_date_time(*object, "/date-range", "end-datetime");
  if (!range.start.time || !range.end.time) {
    return range;
  }
  const std::int64_t start = range.start.time->epoch_seconds;
  const std::int64_t end = range.end.time->epoch_seconds;
  if (end < start) {
    add(TlsrptReportCode::date_range_reversed, "/date-range/end-datetime",
        shown(range.end.text) + " is before the start " + shown(range.start.text));
    return range;
  }
  range.window = classify_window(start, end);
  if (range.window == TlsrptWindow::other) {
    // RFC 8460 §4.1: the report SHOULD cover a full UTC day.
    add(TlsrptReportCode::date_range_unusual, "/date-range",
        "covers " + std::to_string(end - start) +
            " seconds: not a UTC day (00:00:00Z to 23:59:59Z or the next 00:00:00Z), an hour or "
            "a week");
  }
  return range;
}

TlsrptReport TlsrptReportReader::read(const json& top) {
  note_unknown_fields(top, "",
                      {"organization-name", "date-range", "contact-info", "report-id", "policies"});
  TlsrptReport report;
  report.organization_name = read_string(top, "", "organization-name", FieldNeed::required);
  report.date_range = read_date_range(top);
  report.contact_info = read_string(top, "", "contact-info", FieldNeed::required);
  report.report_id = read_string(top, "", "report-id", FieldNeed::required);
  for (const ReportArrayItem& item : read_object_array(top, "", "policies", FieldNeed::required)) {
    report.policies.push_back(read_policy(*item.value, item.path));
  }
  report.findings = std::move(findings_);
  return report;
}

Result<TlsrptReport> parse_tlsrpt_report(std::string_view json_text,
                                         const TlsrptReportLimits& limits) {
  if (json_text.size() > limits.max_bytes) {
    return fail(Errc::too_large, "the report is " + std::to_string(json_text.size()) +
                                     " bytes, more than the limit of " +
                                     std::to_string(limits.max_bytes));
  }
  auto parsed = parse_bounded_json(json_text, limits.max_depth);
  if (!parsed) {
    return tl::unexpected<Error>(std::move(parsed.error()));
  }
  if (!parsed->value.is_object()) {
    return fail(Errc::invalid_value, std::string("the JSON is a ") + parsed->value.type_name() +
                                         ", not an object: not a TLS-RPT report");
  }
  TlsrptReportReader reader(limits);
  for (std::string& path : parsed->duplicate_key_paths) {
    reader.add(TlsrptReportCode::duplicate_key, std::move(path),
               "the key repeats in its object; the first value is kept (RFC 7493 §2.3 forbids "
               "duplicates)");
  }
  TlsrptReport report = reader.read(parsed->value);
  report.raw = std::string(json_text);
  return report;
}

}  // namespace mtasts::core
