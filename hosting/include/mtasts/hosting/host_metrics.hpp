#pragma once

// The Prometheus metrics of `mtasts host` besides the policy server's own (net's
// policy_server_metrics_text): domains by state, certificates of served domains by days to
// expiry, orders and record updates by outcome, the monitor's verdicts, alerts, the store's
// generation and sync failures. Pure: a text from counters and the loaded state.

#include <cstdint>
#include <map>
#include <string>

#include "mtasts/hosting/host_alert.hpp"
#include "mtasts/hosting/host_certificates.hpp"
#include "mtasts/hosting/host_monitor.hpp"
#include "mtasts/hosting/host_records.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/net/http/http_server.hpp"

namespace mtasts::hosting {

struct HostMetricsInput {
  const LoadedState* state = nullptr;
  core::HostTime now{};
  std::string instance;
  CertificateCounters certificates;
  RecordCounters records;
  MonitorCounters monitor;
  const std::map<std::string, bool, std::less<>>* verdicts = nullptr;
  AlertCounters alerts;
  std::uint64_t sync_failures = 0;
  std::size_t orders_in_flight = 0;
  net::HttpServerStats admin;  // the admin API's server
};

[[nodiscard]] std::string host_metrics_text(const HostMetricsInput& input);

}  // namespace mtasts::hosting
