#include "report_outage_findings.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "mtasts/core/tlsrpt/enforce_readiness.hpp"
#include "mtasts/core/tlsrpt/policy_host_outages.hpp"
#include "mtasts/core/tlsrpt/tlsrpt_report_time.hpp"

namespace mtasts::hosting {
namespace {

// Audit entries read: a domain's monitor changes and certificates over the retention period.
constexpr std::size_t kAuditEntries = 2000;
constexpr std::chrono::days kOneDay{1};

std::vector<core::ServiceEvent> service_events(const std::vector<store::AuditEntry>& entries) {
  std::vector<core::ServiceEvent> events;
  for (const store::AuditEntry& entry : entries) {
    const nlohmann::json detail = nlohmann::json::parse(entry.detail, nullptr, false);
    core::ServiceEvent event;
    event.at = entry.at;
    if (entry.action == "monitor.failing") {
      event.kind = core::ServiceEvent::Kind::monitor_failing;
      if (detail.is_object() && detail.contains("errors") && detail["errors"].is_array()) {
        for (const nlohmann::json& code : detail["errors"]) {
          if (code.is_string()) {
            event.codes.push_back(code.get<std::string>());
          }
        }
      }
    } else if (entry.action == "monitor.passing") {
      event.kind = core::ServiceEvent::Kind::monitor_passing;
    } else if (entry.action == "cert.issued" && detail.is_object() &&
               detail.contains("not_after") && detail["not_after"].is_string()) {
      const auto until = core::parse_rfc3339_time(detail["not_after"].get<std::string>());
      if (!until) {
        continue;
      }
      event.kind = core::ServiceEvent::Kind::certificate_issued;
      event.not_after = core::HostTime(std::chrono::seconds(until->epoch_seconds));
    } else {
      continue;
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::string describe(const core::OutageWindow& window) {
  std::string text =
      window.cause == core::OutageWindow::Cause::certificate
          ? "no valid certificate from " + core::format_utc(window.from)
          : "our monitor saw the policy host failing from " + core::format_utc(window.from);
  text += window.open ? " until now" : " to " + core::format_utc(window.to);
  if (!window.codes.empty()) {
    text += " (";
    for (std::size_t i = 0; i < window.codes.size(); ++i) {
      text += (i == 0 ? "" : ", ") + window.codes[i];
    }
    text += ")";
  }
  return text;
}

}  // namespace

store::Result<void> explain_policy_host_failures(store::HostingStore& store,
                                                 std::string_view domain,
                                                 const std::vector<store::SessionTotal>& by_day,
                                                 core::HostTime now, nlohmann::json& findings) {
  nlohmann::json* finding = nullptr;
  for (nlohmann::json& item : findings) {
    if (item.value("code", "") == "policy-host-failure") {
      finding = &item;
    }
  }
  if (finding == nullptr) {
    return {};
  }
  std::set<std::int64_t> days;
  for (const store::SessionTotal& total : by_day) {
    if (core::is_policy_host_result(total.result) && total.sessions > 0) {
      days.insert(std::strtoll(total.key.c_str(), nullptr, 10));
    }
  }
  auto entries = store.audit_log(domain, kAuditEntries);
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  const std::vector<core::OutageWindow> windows =
      core::policy_host_outages(service_events(*entries), now);
  std::vector<core::OutageWindow> touching;
  for (const std::int64_t day : days) {
    const core::HostTime from{std::chrono::seconds(day)};
    for (core::OutageWindow& window : core::outages_between(windows, from, from + kOneDay)) {
      if (std::find(touching.begin(), touching.end(), window) == touching.end()) {
        touching.push_back(std::move(window));
      }
    }
  }
  nlohmann::json outages = nlohmann::json::array();
  std::string said;
  for (const core::OutageWindow& window : touching) {
    outages.push_back({{"cause", core::to_string(window.cause)},
                       {"from", core::format_utc(window.from)},
                       {"to", core::format_utc(window.to)},
                       {"open", window.open},
                       {"codes", window.codes}});
    said += (said.empty() ? "" : "; ") + describe(window);
  }
  (*finding)["outages"] = outages;
  (*finding)["message"] =
      (*finding)["message"].get<std::string>() +
      (touching.empty() ? ". The service recorded no outage of its own on those days: look at "
                          "what the senders reached (DNS of mta-sts." +
                              std::string(domain) + ", a proxy, their trust store)"
                        : ". On those days " + said);
  return {};
}

}  // namespace mtasts::hosting
