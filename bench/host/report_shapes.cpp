#include "report_shapes.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "mtasts/core/base/civil_date.hpp"
#include "mtasts/core/tlsrpt/policy_match.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_report.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"

namespace mtasts::bench {
namespace {

constexpr std::int64_t kDay = 86400;

std::string day_text(std::int64_t day) {
  const core::CivilDate date = core::civil_from_days(day);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(date.year),
                date.month, date.day);
  return buffer;
}

nlohmann::json failure_json(const FailureShape& failure) {
  return {{"result-type", failure.result},
          {"sending-mta-ip", failure.sending_ip},
          {"receiving-mx-hostname", failure.receiving_mx},
          {"failed-session-count", failure.sessions}};
}

std::uint64_t failed_sessions(const ReportShape& shape) {
  std::uint64_t failed = 0;
  for (const FailureShape& failure : shape.failures) {
    failed += failure.sessions;
  }
  return failed;
}

nlohmann::json policy_json(const ReportShape& shape) {
  nlohmann::json failures = nlohmann::json::array();
  for (const FailureShape& failure : shape.failures) {
    failures.push_back(failure_json(failure));
  }
  nlohmann::json policy = {
      {"policy-type", "sts"},
      {"policy-string", {"version: STSv1", "mode: enforce", "mx: " + shape.mx}},
      {"policy-domain", shape.domain},
      {"mx-host", {shape.mx}}};
  nlohmann::json summary = {{"total-successful-session-count", shape.successful},
                            {"total-failure-session-count", failed_sessions(shape)}};
  return {{"policy", std::move(policy)},
          {"summary", std::move(summary)},
          {"failure-details", std::move(failures)}};
}

}  // namespace

ReportShape random_report(std::string reporter, std::string report_id, const std::string& domain,
                          const std::string& mx, std::int64_t day, std::mt19937& rng) {
  static const char* kResults[] = {"certificate-expired", "starttls-not-supported",
                                   "certificate-host-mismatch", "validation-failure"};
  ReportShape shape;
  shape.reporter = std::move(reporter);
  shape.report_id = std::move(report_id);
  shape.domain = domain;
  shape.mx = mx;
  shape.day = day;
  shape.successful = 100 + rng() % 10000;
  const int details = static_cast<int>(rng() % 4);
  for (int i = 0; i < details; ++i) {
    FailureShape failure;
    failure.sessions = 1 + rng() % 20;
    failure.result = kResults[rng() % 4];
    failure.sending_ip = "192.0.2." + std::to_string(rng() % 250);
    failure.receiving_mx = rng() % 3 == 0 ? "mx-old." + domain : mx;
    shape.failures.push_back(std::move(failure));
  }
  return shape;
}

std::string report_json(const ReportShape& shape) {
  const std::string date = day_text(shape.day);
  nlohmann::json range = {{"start-datetime", date + "T00:00:00Z"},
                          {"end-datetime", date + "T23:59:59Z"}};
  nlohmann::json policies = nlohmann::json::array();
  policies.push_back(policy_json(shape));
  const nlohmann::json doc = {{"organization-name", shape.reporter},
                              {"date-range", std::move(range)},
                              {"contact-info", "tlsrpt@sender.example"},
                              {"report-id", shape.report_id},
                              {"policies", std::move(policies)}};
  return doc.dump();
}

store::NewReport stored_report(const ReportShape& shape, core::HostTime received_at) {
  store::NewReport item;
  store::StoredReport& report = item.report;
  report.domain = shape.domain;
  report.reporter = shape.reporter;
  report.report_id = shape.report_id;
  report.contact = "tlsrpt@sender.example";
  report.start = core::HostTime(std::chrono::seconds(shape.day * kDay));
  report.end = report.start + std::chrono::seconds(kDay - 1);
  report.received_at = received_at;
  report.channel = store::ReportChannel::https;
  report.source = "192.0.2.1";
  report.successful = shape.successful;
  report.failed = failed_sessions(shape);
  report.findings = "[]";
  report.raw = report_json(shape);
  core::TlsrptSessionRow base;
  base.policy_type = "sts";
  base.policy_domain = shape.domain;
  base.policy_match = std::string(core::kPolicyMatchLive);
  core::TlsrptSessionRow success = base;
  success.result = std::string(core::kTlsrptSuccess);
  success.sessions = shape.successful;
  item.rows.push_back(std::move(success));
  for (const FailureShape& failure : shape.failures) {
    core::TlsrptSessionRow row = base;
    row.result = failure.result;
    row.receiving_mx = failure.receiving_mx;
    row.sending_ip = failure.sending_ip;
    row.sessions = failure.sessions;
    item.rows.push_back(std::move(row));
  }
  return item;
}

std::string compare_with_parsed(const ReportShape& shape) {
  const std::string json = report_json(shape);
  auto parsed = core::parse_tlsrpt_report(json);
  if (!parsed) {
    return "the report does not parse: " + parsed.error().message;
  }
  if (!parsed->findings.empty()) {
    return "the reader has findings about the report";
  }
  std::vector<core::TlsrptSessionRow> expected = core::tlsrpt_session_rows(*parsed);
  std::vector<core::TlsrptSessionRow> built = stored_report(shape, {}).rows;
  for (core::TlsrptSessionRow& row : built) {
    row.policy_match.clear();
  }
  if (expected != built) {
    return "the rows differ from core::tlsrpt_session_rows: " + std::to_string(built.size()) +
           " built, " + std::to_string(expected.size()) + " parsed";
  }
  return {};
}

}  // namespace mtasts::bench
