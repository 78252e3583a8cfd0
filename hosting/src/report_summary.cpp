#include "mtasts/hosting/report_summary.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "mtasts/core/base/civil_date.hpp"
#include "mtasts/core/sts/mx_pattern.hpp"
#include "mtasts/core/tlsrpt/enforce_readiness.hpp"
#include "mtasts/core/tlsrpt/policy_match.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"
#include "report_outage_findings.hpp"

namespace mtasts::hosting {
namespace {

constexpr std::int64_t kDay = 86400;
// A reporter is said to have stopped when its last report is this many days older than the
// newest report of the domain.
constexpr std::int64_t kStoppedAfterDays = 3;

std::int64_t seconds(core::HostTime t) {
  return t.time_since_epoch().count();
}

core::HostTime day_start(core::HostTime t) {
  return std::chrono::floor<std::chrono::days>(t);
}

std::string day_text(std::int64_t day_seconds) {
  const core::CivilDate date = core::civil_from_days(day_seconds / kDay);
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(date.year),
                date.month, date.day);
  return buffer;
}

bool success(const std::string& result) {
  return !core::tlsrpt_row_is_failure(result);
}

// {"<key>": {"successful", "failed", "failures": {result: sessions}}}
nlohmann::json grouped(const std::vector<store::SessionTotal>& totals, const char* key_name,
                       bool day_key) {
  std::map<std::string, nlohmann::json> groups;
  for (const store::SessionTotal& total : totals) {
    const std::string key =
        day_key ? day_text(std::strtoll(total.key.c_str(), nullptr, 10)) : total.key;
    nlohmann::json& group = groups[key];
    if (group.is_null()) {
      group = {{key_name, key},
               {"successful", 0},
               {"failed", 0},
               {"failures", nlohmann::json::object()}};
    }
    if (success(total.result)) {
      group["successful"] = group["successful"].get<std::uint64_t>() + total.sessions;
    } else {
      group["failed"] = group["failed"].get<std::uint64_t>() + total.sessions;
      group["failures"][total.result] = total.sessions;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [key, group] : groups) {
    out.push_back(std::move(group));
  }
  return out;
}

bool listed(const core::HostedPolicy& policy, const std::string& mx) {
  for (const std::string& text : policy.mx) {
    if (auto pattern = core::parse_mx_pattern(text); pattern && core::mx_matches(*pattern, mx)) {
      return true;
    }
  }
  return false;
}

// Sessions of senders that applied another policy than the one live when they reported.
void policy_findings(const std::vector<store::SessionTotal>& by_match, nlohmann::json& out) {
  std::uint64_t older = 0;
  std::uint64_t unknown = 0;
  for (const store::SessionTotal& total : by_match) {
    if (total.key == core::kPolicyMatchOlder) {
      older += total.sessions;
    } else if (total.key == core::kPolicyMatchUnknown) {
      unknown += total.sessions;
    }
  }
  if (older > 0) {
    out.push_back({{"code", "policy-older"},
                   {"sessions", older},
                   {"message", std::to_string(older) +
                                   " session(s) were checked against an earlier version of the"
                                   " policy than the one published then: senders cache a policy"
                                   " for its max_age and refresh it when they see a new id"}});
  }
  if (unknown > 0) {
    out.push_back({{"code", "policy-unknown"},
                   {"sessions", unknown},
                   {"message", std::to_string(unknown) +
                                   " session(s) were checked against a policy this service never"
                                   " published for the domain: another policy host answered"
                                   " those senders, or the report is wrong"}});
  }
}

// Failures tied to what this service published, from the sessions by receiving MX and result.
nlohmann::json attribution(const std::string& domain, const core::HostedDomain& hosted,
                           const std::vector<store::SessionTotal>& by_mx) {
  std::uint64_t policy_host = 0;
  std::map<std::string, std::uint64_t> unlisted;
  for (const store::SessionTotal& total : by_mx) {
    if (success(total.result)) {
      continue;
    }
    if (core::is_policy_host_result(total.result)) {
      policy_host += total.sessions;
    } else if (!total.key.empty() && !listed(hosted.current.policy, total.key)) {
      unlisted[total.key] += total.sessions;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  if (policy_host > 0) {
    out.push_back({{"code", "policy-host-failure"},
                   {"sessions", policy_host},
                   {"message", std::to_string(policy_host) +
                                   " session(s): senders could not fetch or validate the policy"
                                   " this service serves at https://mta-sts." +
                                   domain +
                                   "/.well-known/mta-sts.txt (its certificate,"
                                   " its HTTPS service or the policy); the cause is on the"
                                   " provider's side"}});
  }
  for (const auto& [mx, sessions] : unlisted) {
    out.push_back({{"code", "mx-not-in-policy"},
                   {"mx", mx},
                   {"sessions", sessions},
                   {"message", std::to_string(sessions) + " failed session(s) at " + mx +
                                   ", which the live policy's mx list does not match"}});
  }
  return out;
}

}  // namespace

store::Result<nlohmann::json> report_summary(store::HostingStore& store, std::string_view domain,
                                             core::HostTime now, SummaryPeriod period) {
  auto hosted = store.get_domain(domain);
  if (!hosted) {
    return tl::unexpected(hosted.error());
  }
  if (!*hosted) {
    return store::fail(store::Errc::invalid_argument, std::string(domain) + " is not hosted");
  }
  const core::HostTime to = day_start(now) + std::chrono::days(1);
  const core::HostTime from = to - std::chrono::days(period.days);
  store::ReportStore& reports = store.reports();
  auto by_day = reports.session_totals(domain, from, to, store::ReportGrouping::day);
  auto by_reporter = reports.session_totals(domain, from, to, store::ReportGrouping::reporter);
  auto by_mx = reports.session_totals(domain, from, to, store::ReportGrouping::receiving_mx);
  auto by_result = reports.session_totals(domain, from, to, store::ReportGrouping::result);
  auto activity = reports.reporters(domain);
  auto by_match = reports.session_totals(domain, from, to, store::ReportGrouping::policy_match);
  for (const auto* failed : {&by_day, &by_reporter, &by_mx, &by_result, &by_match}) {
    if (!*failed) {
      return tl::unexpected(failed->error());
    }
  }
  if (!activity) {
    return tl::unexpected(activity.error());
  }
  const core::HostedDomain& live = (*hosted)->domain;

  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
  nlohmann::json results = nlohmann::json::object();
  for (const store::SessionTotal& total : *by_result) {
    (success(total.result) ? successful : failed) += total.sessions;
    results[total.result] = total.sessions;
  }

  // The evidence window of the readiness verdict: its last days.
  const core::ReadinessRules rules;
  const core::HostTime window_from = to - std::chrono::days(rules.window_days);
  core::ReadinessInput input;
  input.testing = live.current.policy.mode == core::PolicyMode::testing;
  std::set<std::string> days;
  for (const store::SessionTotal& total : *by_day) {
    if (std::strtoll(total.key.c_str(), nullptr, 10) >= seconds(window_from)) {
      days.insert(total.key);
    }
  }
  auto window_totals =
      reports.session_totals(domain, window_from, to, store::ReportGrouping::reporter);
  auto window_mx =
      reports.session_totals(domain, window_from, to, store::ReportGrouping::receiving_mx);
  if (!window_totals) {
    return tl::unexpected(window_totals.error());
  }
  if (!window_mx) {
    return tl::unexpected(window_mx.error());
  }
  std::set<std::string> reporters;
  for (const store::SessionTotal& total : *window_totals) {
    reporters.insert(total.key);
    if (success(total.result)) {
      input.successful += total.sessions;
    }
  }
  std::map<std::pair<std::string, std::string>, std::uint64_t> grouped_failures;
  for (const store::SessionTotal& total : *window_mx) {
    if (!success(total.result)) {
      grouped_failures[{total.result, total.key}] += total.sessions;
    }
  }
  for (const auto& [key, sessions] : grouped_failures) {
    input.failures.push_back({key.first, key.second, sessions});
  }
  input.days_with_reports = static_cast<unsigned>(days.size());
  input.reporters = static_cast<unsigned>(reporters.size());
  const core::ReadinessVerdict verdict = core::decide_readiness(input, rules);
  nlohmann::json readiness = {{"verdict", core::to_string(verdict.readiness)},
                              {"reasons", verdict.reasons},
                              {"window_days", rules.window_days},
                              {"days_with_reports", input.days_with_reports},
                              {"reporters", input.reporters},
                              {"successful", input.successful}};
  if (verdict.readiness == core::Readiness::ready) {
    readiness["command"] = "mtasts host domain set " + std::string(domain) + " --mode enforce";
  }

  nlohmann::json stopped = nlohmann::json::array();
  core::HostTime newest{};
  for (const store::ReporterActivity& reporter : *activity) {
    newest = std::max(newest, reporter.last_start);
  }
  for (const store::ReporterActivity& reporter : *activity) {
    if (newest - reporter.last_start >= std::chrono::days(kStoppedAfterDays)) {
      stopped.push_back({{"reporter", reporter.reporter},
                         {"last_report", core::format_utc(reporter.last_start)},
                         {"reports", reporter.reports}});
    }
  }

  nlohmann::json findings = attribution(std::string(domain), live, *by_mx);
  if (auto explained = explain_policy_host_failures(store, domain, *by_day, now, findings);
      !explained) {
    return tl::unexpected(explained.error());
  }
  policy_findings(*by_match, findings);
  return nlohmann::json{{"domain", domain},
                        {"mode", core::mode_name(live.current.policy.mode)},
                        {"policy_id", live.current.id},
                        {"from", core::format_utc(from)},
                        {"to", core::format_utc(to)},
                        {"days", period.days},
                        {"successful", successful},
                        {"failed", failed},
                        {"by_result", results},
                        {"by_day", grouped(*by_day, "day", true)},
                        {"by_reporter", grouped(*by_reporter, "reporter", false)},
                        {"by_mx", grouped(*by_mx, "mx", false)},
                        {"reporters_stopped", stopped},
                        {"findings", findings},
                        {"readiness", readiness}};
}

nlohmann::json report_list_json(const std::vector<store::StoredReport>& reports) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::StoredReport& report : reports) {
    out.push_back({{"id", report.id},
                   {"domain", report.domain},
                   {"reporter", report.reporter},
                   {"report_id", report.report_id},
                   {"contact", report.contact},
                   {"start", core::format_utc(report.start)},
                   {"end", core::format_utc(report.end)},
                   {"received_at", core::format_utc(report.received_at)},
                   {"channel", store::to_string(report.channel)},
                   {"source", report.source},
                   {"successful", report.successful},
                   {"failed", report.failed}});
  }
  return out;
}

nlohmann::json kept_apart_json(const std::vector<store::KeptApartReport>& reports) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::KeptApartReport& report : reports) {
    out.push_back({{"id", report.id},
                   {"received_at", core::format_utc(report.received_at)},
                   {"channel", store::to_string(report.channel)},
                   {"reason", report.reason},
                   {"detail", report.detail},
                   {"domain", report.domain},
                   {"reporter", report.reporter},
                   {"report_id", report.report_id},
                   {"source", report.source}});
  }
  return out;
}

store::Result<nlohmann::json> report_detail(store::HostingStore& store, std::int64_t id) {
  auto report = store.reports().get_report(id);
  if (!report) {
    return tl::unexpected(report.error());
  }
  if (!*report) {
    return nlohmann::json(nullptr);
  }
  nlohmann::json out = report_list_json({**report}).front();
  out["findings"] = nlohmann::json::parse((*report)->findings, nullptr, false);
  out["report"] = nlohmann::json::parse((*report)->raw, nullptr, false);
  return out;
}

}  // namespace mtasts::hosting
