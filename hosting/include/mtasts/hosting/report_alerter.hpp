#pragma once

// Alerts from received TLS-RPT reports (core/tlsrpt/report_alerts.hpp) through the monitor's
// hook (monitor.alert, host_alert.hpp): after reports are accepted, each report with failures is
// compared with what its domain's reports showed before, read from the store's daily sums, and
// each alert is logged (tlsrpt-alert) and sent as a JSON document:
//   {"event": "mtasts-host-tlsrpt", "alert": "new-failure-type" | "policy-host-failure" |
//    "failure-rate-step", "domain", "result", "sessions", "message", "day", "reporter",
//    "report_id", "instance"}
// An alert is sent once per domain, kind, result and day by this process (the same finding in a
// second report of the day stays quiet); a restart may send one again.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "mtasts/hosting/host_alert.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/report_intake.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

class ReportAlerter {
 public:
  // Runs on `executor` (one thread: the service's main loop). `hook` may be null (no
  // monitor.alert): alerts are then only logged. All must outlive it.
  ReportAlerter(boost::asio::any_io_executor executor, StoreWorker& store, AlertHook* hook,
                net::Logger& log, std::string instance)
      : executor_(std::move(executor)),
        store_(store),
        hook_(hook),
        log_(log),
        instance_(std::move(instance)) {}

  // Looks at the accepted reports among `outcomes`, later, on the executor; callable from any
  // thread (the policy server's, for HTTPS reports).
  void take(std::vector<IntakeOutcome> outcomes);

  [[nodiscard]] std::uint64_t sent() const { return sent_; }

 private:
  boost::asio::awaitable<void> after_intake(std::vector<IntakeOutcome> outcomes);

  boost::asio::any_io_executor executor_;
  StoreWorker& store_;
  AlertHook* hook_;
  net::Logger& log_;
  std::string instance_;
  std::set<std::string> said_;  // domain|kind|result|day
  std::uint64_t sent_ = 0;
};

}  // namespace mtasts::hosting
