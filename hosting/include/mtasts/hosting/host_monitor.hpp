#pragma once

// The monitor of `mtasts host` (docs/hosting.md): every hosted domain is checked once per
// interval (spread by name), by one instance of a cluster (lease "monitor:<d>"):
//   - the hosted rules (core/hosting_checks.hpp): _mta-sts.<d> (through its CNAME) carries the
//     current id, the delegation CNAME is intact, mta-sts.<d> points at the service, the
//     served certificate exists and is not near expiry;
//   - the sender's view (net/deployment_check.hpp, as `mtasts check` runs it): the policy
//     fetched over verified TLS, the live MX hosts against the policy (uncovered hosts, stale
//     patterns), each MX host's STARTTLS and certificate.
// A record still carrying the previous id for a short while after a change is expected (the
// customer's or our update, then the TTL): reported as a warning within the grace.
// The result goes to the store (GET /v1/domains/{d}/monitor); a change of verdict (passing to
// failing and back, or failing at the first check) goes to the alert hook and the audit log.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mtasts/core/check/check_findings.hpp"
#include "mtasts/core/hosting/hosting_checks.hpp"
#include "mtasts/hosting/host_alert.hpp"
#include "mtasts/hosting/host_async.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/net/check/smtp_probe.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

struct MonitorOptions {
  core::ServiceIdentity service;
  std::string instance;
  std::chrono::seconds interval{3600};
  std::chrono::seconds stale_grace{600};  // a record may lag a new version this long
  std::size_t concurrency = 4;
};

struct MonitorCounters {
  std::uint64_t checks = 0;
  std::uint64_t verdict_changes = 0;
};

// The findings of one check, from what was gathered: the hosted rules, then the sender's view
// without its _mta-sts record findings (the hosted rules judge the record). A stale id within
// `grace` of the version becomes a warning. Pure.
[[nodiscard]] std::vector<core::CheckFinding> monitor_findings(
    const core::HostedDomain& domain, const core::ServiceIdentity& service,
    const core::HostedObservation& observed, std::vector<core::CheckFinding> sender_view,
    core::HostTime now, std::chrono::seconds grace);

// No finding of severity error.
[[nodiscard]] bool findings_pass(const std::vector<core::CheckFinding>& findings);

// The alert document: {"event": "mtasts-host-monitor", "domain", "passing", "previous"
// (bool or null), "checked_at", "instance", "findings": the errors and warnings}.
[[nodiscard]] std::string alert_json(const std::string& domain, bool passing,
                                     std::optional<bool> previous, core::HostTime checked_at,
                                     const std::string& instance,
                                     const std::vector<core::CheckFinding>& findings);

class Monitor {
 public:
  // `alerts` may be null (no hook). Everything given must outlive the monitor.
  Monitor(boost::asio::any_io_executor executor, StoreWorker& store, HostSync& sync,
          net::DnsResolver& resolver, net::PolicyFetcher& fetcher, net::SmtpProber& prober,
          AlertHook* alerts, const net::Clock& clock, net::Logger& log, MonitorOptions options);

  // Starts the checks that are due.
  void scan();

  // Runs scan() every `tick` until `timer` stops.
  boost::asio::awaitable<void> run(LoopTimer& timer, std::chrono::milliseconds tick);

  [[nodiscard]] const MonitorCounters& counters() const { return counters_; }
  // The last verdict of each domain this instance checked.
  [[nodiscard]] const std::map<std::string, bool, std::less<>>& verdicts() const {
    return verdicts_;
  }

 private:
  boost::asio::awaitable<void> check(store::DomainRow row,
                                     std::optional<CertificateStatus> certificate);
  boost::asio::awaitable<core::HostedObservation> observe(
      const std::string& domain, const std::optional<CertificateStatus>& certificate);
  boost::asio::awaitable<std::vector<core::CheckFinding>> sender_view(const store::DomainRow& row,
                                                                      std::int64_t now_unix);

  boost::asio::any_io_executor executor_;
  StoreWorker& store_;
  HostSync& sync_;
  net::DnsResolver& resolver_;
  net::PolicyFetcher& fetcher_;
  net::SmtpProber& prober_;
  AlertHook* alerts_;
  const net::Clock& clock_;
  net::Logger& log_;
  MonitorOptions options_;
  std::map<std::string, core::HostTime, std::less<>> next_;
  std::set<std::string, std::less<>> in_flight_;
  std::map<std::string, bool, std::less<>> verdicts_;
  MonitorCounters counters_;
};

}  // namespace mtasts::hosting
