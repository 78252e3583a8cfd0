#include "mtasts/core/tlsrpt/policy_host_outages.hpp"

#include <algorithm>
#include <optional>

namespace mtasts::core {
namespace {

std::vector<std::string> policy_codes(const std::vector<std::string>& codes) {
  std::vector<std::string> out;
  for (const std::string& code : codes) {
    if (code.starts_with("policy-")) {
      out.push_back(code);
    }
  }
  return out;
}

void monitor_windows(const std::vector<ServiceEvent>& events, HostTime now,
                     std::vector<OutageWindow>& out) {
  std::optional<OutageWindow> current;
  for (const ServiceEvent& event : events) {
    if (event.kind == ServiceEvent::Kind::certificate_issued) {
      continue;
    }
    const std::vector<std::string> codes = event.kind == ServiceEvent::Kind::monitor_failing
                                               ? policy_codes(event.codes)
                                               : std::vector<std::string>();
    if (current && codes.empty()) {
      current->to = event.at;
      out.push_back(std::move(*current));
      current.reset();
    } else if (!current && !codes.empty()) {
      current = OutageWindow{OutageWindow::Cause::monitor, event.at, event.at, false, codes};
    } else if (current) {
      for (const std::string& code : codes) {
        if (std::find(current->codes.begin(), current->codes.end(), code) == current->codes.end()) {
          current->codes.push_back(code);
        }
      }
    }
  }
  if (current) {
    current->to = now;
    current->open = true;
    out.push_back(std::move(*current));
  }
}

void certificate_windows(const std::vector<ServiceEvent>& events, HostTime now,
                         std::vector<OutageWindow>& out) {
  std::optional<HostTime> valid_until;
  for (const ServiceEvent& event : events) {
    if (event.kind != ServiceEvent::Kind::certificate_issued) {
      continue;
    }
    if (valid_until && event.at > *valid_until) {
      out.push_back(
          OutageWindow{OutageWindow::Cause::certificate, *valid_until, event.at, false, {}});
    }
    valid_until = valid_until ? std::max(*valid_until, event.not_after) : event.not_after;
  }
  if (valid_until && *valid_until < now) {
    out.push_back(OutageWindow{OutageWindow::Cause::certificate, *valid_until, now, true, {}});
  }
}

}  // namespace

std::string_view to_string(OutageWindow::Cause cause) {
  return cause == OutageWindow::Cause::monitor ? "monitor" : "certificate";
}

std::vector<OutageWindow> policy_host_outages(std::vector<ServiceEvent> events, HostTime now) {
  std::stable_sort(events.begin(), events.end(),
                   [](const ServiceEvent& a, const ServiceEvent& b) { return a.at < b.at; });
  std::vector<OutageWindow> out;
  monitor_windows(events, now, out);
  certificate_windows(events, now, out);
  std::stable_sort(out.begin(), out.end(),
                   [](const OutageWindow& a, const OutageWindow& b) { return a.from < b.from; });
  return out;
}

std::vector<OutageWindow> outages_between(const std::vector<OutageWindow>& windows, HostTime from,
                                          HostTime to) {
  std::vector<OutageWindow> out;
  for (const OutageWindow& window : windows) {
    if (window.from < to && window.to >= from) {
      out.push_back(window);
    }
  }
  return out;
}

}  // namespace mtasts::core
