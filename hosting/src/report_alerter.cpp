#include "mtasts/hosting/report_alerter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "mtasts/core/tlsrpt/enforce_readiness.hpp"
#include "mtasts/core/tlsrpt/report_alerts.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_rows.hpp"
#include "mtasts/hosting/host_json.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

// Remembered alerts, at most: past it the memory starts again (an alert may then repeat).
constexpr std::size_t kRemembered = 100'000;

core::HostTime day_of(core::HostTime t) {
  return std::chrono::floor<std::chrono::days>(t);
}

// The totals decide_report_alerts compares the report with.
store::Result<core::ReportAlertInput> alert_input(store::HostingStore& hosting,
                                                  const IntakeOutcome& outcome,
                                                  const core::ReportAlertRules& rules) {
  core::ReportAlertInput input;
  input.domain = outcome.domain;
  input.report_failures = outcome.failures;
  const core::HostTime day = day_of(outcome.start);
  const std::int64_t day_seconds = day.time_since_epoch().count();
  const std::int64_t baseline_from =
      (day - std::chrono::days(rules.baseline_days)).time_since_epoch().count();
  // One read of the daily sums over the lookback days and the report's day gives all three
  // totals: the lookback's failure types, the baseline's rate, the day's rate.
  auto by_day =
      hosting.reports().session_totals(outcome.domain, day - std::chrono::days(rules.lookback_days),
                                       day + std::chrono::days(1), store::ReportGrouping::day);
  if (!by_day) {
    return tl::unexpected(by_day.error());
  }
  for (const store::SessionTotal& total : *by_day) {
    const std::int64_t at = std::strtoll(total.key.c_str(), nullptr, 10);
    const bool failure = core::tlsrpt_row_is_failure(total.result);
    if (at == day_seconds) {
      (failure ? input.day_failed : input.day_successful) += total.sessions;
      continue;
    }
    if (failure) {
      input.seen_before[total.result] += total.sessions;
    }
    if (at >= baseline_from) {
      (failure ? input.base_failed : input.base_successful) += total.sessions;
    }
  }
  return input;
}

// The document the hook is given (a function of its own: GCC 12 cannot build nested braced
// lists inside a coroutine).
std::string alert_document(const core::ReportAlert& alert, const IntakeOutcome& outcome,
                           const std::string& day, const std::string& instance) {
  return json_text({{"event", "mtasts-host-tlsrpt"},
                    {"alert", alert.kind},
                    {"domain", outcome.domain},
                    {"result", alert.result},
                    {"sessions", alert.sessions},
                    {"message", alert.message},
                    {"day", day},
                    {"reporter", outcome.reporter},
                    {"report_id", outcome.report_id},
                    {"instance", instance}});
}

}  // namespace

void ReportAlerter::take(std::vector<IntakeOutcome> outcomes) {
  asio::co_spawn(executor_, after_intake(std::move(outcomes)), asio::detached);
}

asio::awaitable<void> ReportAlerter::after_intake(std::vector<IntakeOutcome> outcomes) {
  const core::ReportAlertRules rules;
  for (const IntakeOutcome& outcome : outcomes) {
    if (outcome.status != IntakeStatus::accepted || outcome.failed == 0) {
      continue;
    }
    std::function<store::Result<core::ReportAlertInput>(store::HostingStore&)> job =
        [outcome, rules](store::HostingStore& hosting) {
          return alert_input(hosting, outcome, rules);
        };
    const auto input = co_await store_.run(std::move(job));
    if (!input) {
      log_.log(net::LogLevel::warn, "tlsrpt-alert-failed",
               {{"domain", outcome.domain}, {"error", input.error().message}});
      continue;
    }
    const std::string day = core::format_utc(day_of(outcome.start)).substr(0, 10);
    for (const core::ReportAlert& alert : core::decide_report_alerts(*input, rules)) {
      const std::string key = outcome.domain + "|" + alert.kind + "|" + alert.result + "|" + day;
      if (said_.size() >= kRemembered) {
        said_.clear();
      }
      if (!said_.insert(key).second) {
        continue;
      }
      log_.log(net::LogLevel::warn, "tlsrpt-alert",
               {{"domain", outcome.domain},
                {"alert", alert.kind},
                {"result", alert.result},
                {"sessions", static_cast<std::int64_t>(alert.sessions)},
                {"reporter", outcome.reporter},
                {"report_id", outcome.report_id}});
      if (hook_ == nullptr) {
        continue;
      }
      ++sent_;
      co_await hook_->send(alert_document(alert, outcome, day, instance_));
    }
  }
}

}  // namespace mtasts::hosting
