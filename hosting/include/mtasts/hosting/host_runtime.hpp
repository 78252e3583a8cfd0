#pragma once

// The running `mtasts host`: every part of the service, made in dependency order on one event
// loop (and destroyed in reverse), bound, then run until a signal stops it. host_service.cpp
// reads the configuration and makes the store and the network clients; this class wires them.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_alert.hpp"
#include "mtasts/hosting/host_async.hpp"
#include "mtasts/hosting/host_certificates.hpp"
#include "mtasts/hosting/host_challenges.hpp"
#include "mtasts/hosting/host_mail_receiver.hpp"
#include "mtasts/hosting/host_monitor.hpp"
#include "mtasts/hosting/host_policy_source.hpp"
#include "mtasts/hosting/host_records.hpp"
#include "mtasts/hosting/host_report_receiver.hpp"
#include "mtasts/hosting/host_settings.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/hosting/host_tokens.hpp"
#include "mtasts/net/acme/acme_client.hpp"
#include "mtasts/net/check/smtp_probe.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"
#include "mtasts/net/hosting/certificate_set.hpp"
#include "mtasts/net/hosting/policy_server.hpp"
#include "mtasts/net/http/http_server.hpp"
#include "mtasts/net/http/metrics_server.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/smtp/smtp_server.hpp"

namespace mtasts::hosting {

// How long the row of an instance that stopped beating stays listed.
inline constexpr std::chrono::days kInstanceRetention{7};

// The network clients the service uses, made on the main loop's executor.
struct HostClients {
  std::unique_ptr<net::DnsResolver> resolver;
  std::unique_ptr<net::AcmeClient> acme;
  std::unique_ptr<net::DnsUpdater> updater;  // null without dns_update
  std::unique_ptr<net::PolicyFetcher> fetcher;
  std::unique_ptr<net::SmtpProber> prober;
  std::unique_ptr<AlertHook> alerts;  // null without monitor.alert
};

// Makes the clients of `config` on `io`. Errors: Errc::invalid_value naming the key at fault.
[[nodiscard]] core::Result<HostClients> make_host_clients(boost::asio::io_context& io,
                                                          const HostConfig& config,
                                                          net::Logger& log);

class HostRuntime {
 public:
  // `io`, `config`, `tokens` and `log` must outlive the runtime.
  HostRuntime(boost::asio::io_context& io, const HostConfig& config, const AdminTokens& tokens,
              net::Logger& log, std::unique_ptr<store::HostingStore> store, HostClients clients);
  HostRuntime(const HostRuntime&) = delete;
  HostRuntime& operator=(const HostRuntime&) = delete;

  // Binds the policy server, the admin API, metrics and the report mail listeners (as root,
  // before the switch of user).
  // Errors: Errc::invalid_value "<key>: <the system's reason>".
  [[nodiscard]] core::Result<void> listen();

  // A first sync, then serving (READY=1) until SIGTERM or SIGINT; SIGHUP reopens the log.
  void run();

 private:
  boost::asio::awaitable<void> start_serving();
  boost::asio::awaitable<void> lifecycle();
  // Deletes old reports and the rows of instances gone for kInstanceRetention.
  boost::asio::awaitable<void> prune();
  // This instance's heartbeat row (host_sync.hpp), as of now.
  [[nodiscard]] store::InstanceRow identity() const;
  [[nodiscard]] std::string metrics_text() const;
  [[nodiscard]] core::Result<void> listen_mail();

  boost::asio::io_context& io_;
  const HostConfig& config_;
  net::Logger& log_;
  StoreWorker store_;
  HostClients clients_;
  net::CertificateSet certificates_;
  HostPolicySource source_;
  net::SystemClock clock_;
  ChallengeBoard challenges_;
  HostSync sync_;
  CertificateManager certificate_manager_;
  RecordManager records_;
  Monitor monitor_;
  AdminApi api_;
  IntakeCounters intake_counters_;
  ReportAlerter report_alerter_;
  HostReportReceiver reports_;
  net::PolicyServer policy_;
  net::HttpServer admin_;
  std::unique_ptr<HostMailReceiver> mail_;  // with reports.mail only
  std::unique_ptr<net::SmtpServer> smtp_;
  std::unique_ptr<net::MetricsServer> metrics_;
  LoopTimer sync_timer_;
  LoopTimer certificate_timer_;
  LoopTimer record_timer_;
  LoopTimer monitor_timer_;
  LoopTimer report_timer_;
  std::vector<std::string> listeners_;  // "https 0.0.0.0:443", ... once bound
};

}  // namespace mtasts::hosting
