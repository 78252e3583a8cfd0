#pragma once

// When the service's own policy host was down for a domain, from what the service recorded
// (its audit log): the monitor's verdict changes and the certificates it issued. A TLS-RPT
// report whose senders could not fetch or validate the policy (sts-policy-fetch-error,
// sts-policy-invalid, sts-webpki-invalid) on a day one of these windows touches is explained by
// it: "our certificate had expired", "our monitor saw the policy host failing", not a guess.
//
//   monitor     from a monitor.failing entry naming a policy-* error code to the next
//               monitor.passing, or the next monitor.failing naming none (the domain failing
//               for other reasons only); still open when nothing ended it
//   certificate from a certificate's not_after to the next certificate issued after it (or
//               now): no valid certificate was there to serve

#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/hosting/hosted_domain.hpp"

namespace mtasts::core {

struct ServiceEvent {
  enum class Kind { monitor_failing, monitor_passing, certificate_issued };
  Kind kind = Kind::monitor_failing;
  HostTime at{};
  std::vector<std::string> codes;  // monitor_failing: the error codes
  HostTime not_after{};            // certificate_issued: when it expires
};

struct OutageWindow {
  enum class Cause { monitor, certificate };
  Cause cause = Cause::monitor;
  HostTime from{};
  HostTime to{};  // `now` when still open
  bool open = false;
  std::vector<std::string> codes;  // monitor: the policy-* codes seen

  friend bool operator==(const OutageWindow&, const OutageWindow&) = default;
};

// "monitor", "certificate".
[[nodiscard]] std::string_view to_string(OutageWindow::Cause cause);

// The windows of `events` (any order), oldest first.
[[nodiscard]] std::vector<OutageWindow> policy_host_outages(std::vector<ServiceEvent> events,
                                                            HostTime now);

// The windows that overlap [from, to).
[[nodiscard]] std::vector<OutageWindow> outages_between(const std::vector<OutageWindow>& windows,
                                                        HostTime from, HostTime to);

}  // namespace mtasts::core
