// Golden tests for the TLS-RPT report reader: one row per case in
// tests/testdata/golden/tlsrpt_report.jsonl. A row gives the report text, optional limits, and
// either the error class or the parse: every warning and info as "code /path" (exact), and the
// fields it names (a subset of the rendering below).

#include <algorithm>

#include "golden.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::golden_name;
using mtasts::testing::load_golden;
using mtasts::testing::sorted_strings;
using nlohmann::json;

template <class T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json zone_json(const TlsrptDateTime& date_time) {
  if (!date_time.time) {
    return nullptr;
  }
  switch (date_time.time->zone) {
    case TimeZoneForm::utc:
      return "utc";
    case TimeZoneForm::offset:
      return "offset";
    case TimeZoneForm::none:
      return "none";
  }
  return nullptr;
}

json render_detail(const TlsrptFailureDetail& d) {
  return {{"result-type", d.result_type_text},
          {"result-type-known", d.result_type.has_value()},
          {"sending-mta-ip", optional_json(d.sending_mta_ip)},
          {"receiving-mx-hostname", optional_json(d.receiving_mx_hostname)},
          {"receiving-mx-helo", optional_json(d.receiving_mx_helo)},
          {"receiving-ip", optional_json(d.receiving_ip)},
          {"failed-session-count", optional_json(d.failed_session_count)},
          {"additional-information", optional_json(d.additional_information)},
          {"failure-reason-code", optional_json(d.failure_reason_code)}};
}

json render_policy(const TlsrptPolicy& p) {
  json details = json::array();
  for (const auto& d : p.failure_details) {
    details.push_back(render_detail(d));
  }
  return {{"policy-type", std::string(to_string(p.type))},
          {"policy-type-text", p.type_text},
          {"policy-string", p.policy_string},
          {"policy-domain", optional_json(p.policy_domain)},
          {"mx-host", p.mx_host},
          {"total-successful-session-count", optional_json(p.total_successful_session_count)},
          {"total-failure-session-count", optional_json(p.total_failure_session_count)},
          {"failure-details", details}};
}

json render(const TlsrptReport& r) {
  json policies = json::array();
  for (const auto& p : r.policies) {
    policies.push_back(render_policy(p));
  }
  const auto& range = r.date_range;
  return {
      {"organization-name", optional_json(r.organization_name)},
      {"contact-info", optional_json(r.contact_info)},
      {"report-id", optional_json(r.report_id)},
      {"start-text", range.start.text},
      {"end-text", range.end.text},
      {"start-datetime", range.start.time ? json(range.start.time->epoch_seconds) : json(nullptr)},
      {"end-datetime", range.end.time ? json(range.end.time->epoch_seconds) : json(nullptr)},
      {"start-zone", zone_json(range.start)},
      {"end-zone", zone_json(range.end)},
      {"end-nanoseconds", range.end.time ? json(range.end.time->nanoseconds) : json(nullptr)},
      {"window", std::string(to_string(range.window))},
      {"policies", policies},
  };
}

// Every member `expected` names is in `actual` with a matching value; arrays match element by
// element and must have the same length.
void expect_subset(const json& expected, const json& actual, const std::string& where) {
  if (expected.is_object()) {
    ASSERT_TRUE(actual.is_object()) << where;
    for (const auto& [key, value] : expected.items()) {
      ASSERT_TRUE(actual.contains(key)) << where << "/" << key << " is not rendered";
      expect_subset(value, actual.at(key), where + "/" + key);
    }
  } else if (expected.is_array() && actual.is_array()) {
    ASSERT_EQ(expected.size(), actual.size()) << where << ": " << actual.dump();
    for (std::size_t i = 0; i < expected.size(); ++i) {
      expect_subset(expected[i], actual[i], where + "/" + std::to_string(i));
    }
  } else {
    EXPECT_EQ(expected, actual) << where;
  }
}

std::vector<std::string> findings_of(const TlsrptReport& report, TlsrptReportSeverity severity) {
  std::vector<std::string> out;
  for (const auto& f : report.findings) {
    if (tlsrpt_report_code_severity(f.code) == severity) {
      out.push_back(std::string(tlsrpt_report_code_name(f.code)) + " " + f.path);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class TlsrptReportGolden : public ::testing::TestWithParam<json> {};

TEST_P(TlsrptReportGolden, ParseTlsrptReport_GoldenInput_MatchesExpectation) {
  const json& row = GetParam();
  const json& expect = row.at("expect");
  const std::string input = row.at("input").get<std::string>();
  TlsrptReportLimits limits;
  if (row.contains("limits")) {
    limits.max_bytes = row.at("limits").value("max_bytes", limits.max_bytes);
    limits.max_depth = row.at("limits").value("max_depth", limits.max_depth);
  }
  const auto report = parse_tlsrpt_report(input, limits);
  ASSERT_EQ(report.has_value(), expect.at("valid").get<bool>())
      << (report ? std::string("parsed") : report.error().message);
  if (!report) {
    EXPECT_EQ(report.error().code.name(), expect.at("error").get<std::string>());
    EXPECT_FALSE(report.error().message.empty());
    return;
  }
  EXPECT_EQ(report->raw, input);
  EXPECT_EQ(findings_of(*report, TlsrptReportSeverity::warning),
            sorted_strings(expect.at("warnings")));
  EXPECT_EQ(findings_of(*report, TlsrptReportSeverity::info), sorted_strings(expect.at("infos")));
  for (const auto& f : report->findings) {
    EXPECT_FALSE(f.message.empty()) << f.path;
  }
  if (expect.contains("report")) {
    expect_subset(expect.at("report"), render(*report), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, TlsrptReportGolden,
                         ::testing::ValuesIn(load_golden("tlsrpt_report.jsonl")), golden_name);

}  // namespace
}  // namespace mtasts::core
