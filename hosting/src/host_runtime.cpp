#include "mtasts/hosting/host_runtime.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <nlohmann/json.hpp>

#include "mtasts/hosting/host_metrics.hpp"
#include "mtasts/hosting/host_wiring.hpp"
#include "mtasts/hosting/report_mail.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"
#include "mtasts/net/runtime/sd_notify.hpp"
#include "mtasts/net/runtime/stop_signals.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

// Logs a bound listener (`kind`: "https", "admin", ...) and records it for the heartbeat.
void note_listening(net::Logger& log, std::vector<std::string>& listeners, std::string_view kind,
                    const std::string& where) {
  log.log(net::LogLevel::info, "listening", {{std::string(kind), where}});
  listeners.push_back(std::string(kind) + " " + where);
}

constexpr std::chrono::seconds kChallengeLifetime{3600};
constexpr std::chrono::milliseconds kPropagationMargin{1000};
constexpr std::chrono::milliseconds kAdminDrain{2000};
constexpr std::chrono::seconds kStaleGraceMargin{10};
constexpr std::size_t kConcurrentOrders = 4;
constexpr std::size_t kConcurrentChecks = 4;
constexpr std::size_t kConcurrentFetches = 8;

std::chrono::seconds whole_seconds(std::chrono::milliseconds duration) {
  return std::chrono::ceil<std::chrono::seconds>(duration);
}

std::uint32_t record_ttl(const HostConfig& config) {
  return config.dns_update ? config.dns_update->ttl : config.service.record_ttl;
}

// A new id reaches a delegated record after one sync interval and resolvers within the
// record's TTL: a stale record is expected that long, with a margin.
std::chrono::seconds stale_grace(const HostConfig& config) {
  return kStaleGraceMargin + 2 * whole_seconds(config.sync_interval) +
         2 * std::chrono::seconds(record_ttl(config));
}

std::optional<std::string> monitor_ca_file(const HostConfig& config) {
  return config.ca_file.empty() ? std::nullopt : std::optional(config.ca_file);
}

}  // namespace

core::Result<HostClients> make_host_clients(asio::io_context& io, const HostConfig& config,
                                            net::Logger& log) {
  HostClients clients;
  auto dns = dns_options(config);
  if (!dns) {
    return tl::unexpected(dns.error());
  }
  auto resolver = net::make_ares_resolver(io.get_executor(), *dns);
  if (!resolver) {
    return tl::unexpected(resolver.error());
  }
  clients.resolver = std::move(*resolver);
  auto acme = net::AcmeClient::create(io.get_executor(), *clients.resolver, acme_options(config));
  if (!acme) {
    return core::fail(core::Errc::invalid_value, "acme: " + acme.error().message);
  }
  clients.acme = std::move(*acme);
  if (config.dns_update) {
    auto options = dns_update_options(*config.dns_update);
    if (!options) {
      return tl::unexpected(options.error());
    }
    auto updater = net::DnsUpdater::create(io.get_executor(), std::move(*options));
    if (!updater) {
      return core::fail(core::Errc::invalid_value, "dns_update: " + updater.error().message);
    }
    clients.updater = std::move(*updater);
  }
  net::FetchOptions fetch;
  fetch.ca_file = monitor_ca_file(config);
  fetch.max_concurrent = kConcurrentFetches;
  auto fetcher = net::make_https_fetcher(io.get_executor(), *clients.resolver, std::move(fetch));
  if (!fetcher) {
    return core::fail(core::Errc::invalid_value, "ca_file: " + fetcher.error().message);
  }
  clients.fetcher = std::move(*fetcher);
  net::SmtpProbeOptions probe;
  probe.ca_file = monitor_ca_file(config);
  probe.ehlo_name =
      config.service.hostname.empty() ? "mtasts-host.invalid" : config.service.hostname;
  auto prober = net::make_smtp_prober(io.get_executor(), std::move(probe));
  if (!prober) {
    return core::fail(core::Errc::invalid_value, "ca_file: " + prober.error().message);
  }
  clients.prober = std::move(*prober);
  if (!config.monitor.alert.webhook.empty() || !config.monitor.alert.command.empty()) {
    auto hook =
        AlertHook::create(*clients.resolver, config.monitor.alert, monitor_ca_file(config), log);
    if (!hook) {
      return tl::unexpected(hook.error());
    }
    clients.alerts = std::move(*hook);
  }
  return clients;
}

HostRuntime::HostRuntime(asio::io_context& io, const HostConfig& config, const AdminTokens& tokens,
                         net::Logger& log, std::unique_ptr<store::HostingStore> store,
                         HostClients clients)
    : io_(io),
      config_(config),
      log_(log),
      store_(std::move(store)),
      clients_(std::move(clients)),
      certificates_(net::make_tls_alpn_challenge_certificate),
      challenges_(store_, source_, certificates_, clock_, log,
                  ChallengeBoardOptions{config.instance, config.sync_interval + kPropagationMargin,
                                        kChallengeLifetime}),
      sync_(store_, source_, certificates_, &challenges_, clock_, log),
      certificate_manager_(
          io.get_executor(), store_, sync_, *clients_.acme, challenges_, *clients_.resolver, clock_,
          log,
          CertificateManagerOptions{config.service, config.instance, config.acme.directory,
                                    config.acme.order_timeout, kConcurrentOrders}),
      records_(io.get_executor(), store_, sync_, clients_.updater.get(), clock_, log,
               RecordManagerOptions{config.service, config.instance, record_ttl(config),
                                    whole_seconds(config.sync_interval)}),
      monitor_(
          io.get_executor(), store_, sync_, *clients_.resolver, *clients_.fetcher, *clients_.prober,
          clients_.alerts.get(), clock_, log,
          MonitorOptions{config.service, config.instance, whole_seconds(config.monitor.interval),
                         stale_grace(config), kConcurrentChecks}),
      api_(store_, sync_, *clients_.resolver, tokens, clock_, log,
           AdminApiOptions{config.service, config.instance, config.acme.directory,
                           config.acme.contact}),
      report_alerter_(io.get_executor(), store_, clients_.alerts.get(), log, config.instance),
      reports_(store_, clock_, log, intake_counters_, &report_alerter_),
      policy_(source_, certificates_,
              policy_server_options(config, config.reports.https ? &reports_ : nullptr), log),
      admin_(io.get_executor(), api_, admin_limits(), log),
      sync_timer_(io.get_executor()),
      certificate_timer_(io.get_executor()),
      record_timer_(io.get_executor()),
      monitor_timer_(io.get_executor()),
      report_timer_(io.get_executor()) {}

std::string HostRuntime::metrics_text() const {
  HostMetricsInput input;
  input.state = &sync_.state();
  input.now = clock_.now();
  input.instance = config_.instance;
  input.certificates = certificate_manager_.counters();
  input.records = records_.counters();
  input.monitor = monitor_.counters();
  input.verdicts = &monitor_.verdicts();
  input.alerts = clients_.alerts ? clients_.alerts->counters() : AlertCounters{};
  input.sync_failures = sync_.failures();
  input.orders_in_flight = certificate_manager_.in_flight();
  input.admin = admin_.stats();
  return host_metrics_text(input) + net::log_reopen_metrics_text() +
         net::policy_server_metrics_text(policy_.stats()) + intake_metrics_text(intake_counters_) +
         (smtp_ ? net::smtp_metrics_text(smtp_->stats()) : std::string());
}

// The SMTP/LMTP intake of report mail (reports.mail), when configured.
core::Result<void> HostRuntime::listen_mail() {
  const ReportMailSettings& settings = config_.reports.mail;
  if (settings.domain.empty()) {
    return {};
  }
  mail_ = std::make_unique<HostMailReceiver>(store_, *clients_.resolver, clock_, log_,
                                             intake_counters_, &report_alerter_, settings.domain);
  net::SmtpServerOptions options;
  options.hostname = settings.hostname;
  options.limits.max_message_bytes = kReportMailMaxBytes;
  options.max_connections = settings.max_connections;
  smtp_ = std::make_unique<net::SmtpServer>(io_.get_executor(), *mail_, options, log_);
  const auto listen_tcp = [this](const std::vector<HostEndpoint>& endpoints,
                                 net::SmtpProtocol protocol,
                                 std::string_view key) -> core::Result<void> {
    for (const HostEndpoint& endpoint : endpoints) {
      auto port = smtp_->listen_tcp(endpoint.host, endpoint.port, protocol);
      if (!port) {
        return core::fail(core::Errc::invalid_value,
                          "reports.mail." + std::string(key) + ": " + port.error().message);
      }
      note_listening(log_, listeners_, key, endpoint_text(HostEndpoint{endpoint.host, *port}));
    }
    return {};
  };
  if (auto smtp = listen_tcp(settings.smtp, net::SmtpProtocol::smtp, "smtp"); !smtp) {
    return smtp;
  }
  if (auto lmtp = listen_tcp(settings.lmtp, net::SmtpProtocol::lmtp, "lmtp"); !lmtp) {
    return lmtp;
  }
  if (!settings.lmtp_socket.empty()) {
    // The local MTA's delivery agent runs as its own user; the socket is for it to write to.
    constexpr std::uint32_t kSocketMode = 0666;
    auto bound = smtp_->listen_unix(settings.lmtp_socket, net::SmtpProtocol::lmtp, kSocketMode);
    if (!bound) {
      return core::fail(core::Errc::invalid_value,
                        "reports.mail.lmtp_socket: " + bound.error().message);
    }
    log_.log(net::LogLevel::info, "listening", {{"lmtp_socket", settings.lmtp_socket}});
  }
  return {};
}

core::Result<void> HostRuntime::listen() {
  if (auto listening = policy_.listen(); !listening) {
    return core::fail(core::Errc::invalid_value, "listen: " + listening.error().message);
  }
  auto admin_port =
      admin_.listen(to_net_endpoint(config_.admin_listen), net::PortSharing::exclusive);
  if (!admin_port) {
    return core::fail(core::Errc::invalid_value, "admin.listen: " + admin_port.error().message);
  }
  // The console's own address: one more listener of the same server (docs/console.md).
  if (config_.console_listen) {
    auto console_port =
        admin_.listen(to_net_endpoint(*config_.console_listen), net::PortSharing::exclusive);
    if (!console_port) {
      return core::fail(core::Errc::invalid_value,
                        "admin.console_listen: " + console_port.error().message);
    }
    note_listening(log_, listeners_, "console",
                   endpoint_text(HostEndpoint{config_.console_listen->host, *console_port}));
  }
  if (config_.metrics) {
    metrics_ = std::make_unique<net::MetricsServer>(
        io_.get_executor(), [this] { return metrics_text(); }, log_);
    auto port =
        metrics_->listen(net::MetricsEndpoint{config_.metrics->host, config_.metrics->port});
    if (!port) {
      return core::fail(core::Errc::invalid_value, "metrics: " + port.error().message);
    }
  }
  for (const net::Endpoint& endpoint : policy_.https_endpoints()) {
    note_listening(log_, listeners_, "https", net::to_string(endpoint));
  }
  for (const net::Endpoint& endpoint : policy_.http_endpoints()) {
    note_listening(log_, listeners_, "http", net::to_string(endpoint));
  }
  note_listening(log_, listeners_, "admin",
                 endpoint_text(HostEndpoint{config_.admin_listen.host, *admin_port}));
  return listen_mail();
}

store::InstanceRow HostRuntime::identity() const {
  const auto interval = std::chrono::ceil<std::chrono::seconds>(config_.sync_interval);
  return store::InstanceRow{config_.instance,
                            MTASTS_VERSION,
                            clock_.now(),
                            clock_.now(),
                            std::max(interval, std::chrono::seconds(1)),
                            nlohmann::json(listeners_).dump()};
}

asio::awaitable<void> HostRuntime::start_serving() {
  // The first sync before anything is served: the policy server answers from the store's
  // state from its first request on. It writes the first heartbeat too.
  sync_.set_heartbeat(identity());
  auto synced = co_await sync_.sync_once(true);
  if (!synced) {
    log_.log(net::LogLevel::error, "initial-sync-failed",
             {{"error", synced.error().message}, {"action", "retrying every sync interval"}});
  }
  policy_.start();
  admin_.start();
  if (smtp_) {
    smtp_->start();
  }
  if (metrics_) {
    metrics_->start();
  }
  const std::chrono::milliseconds tick = config_.sync_interval;
  const std::chrono::milliseconds monitor_tick =
      std::max(std::chrono::milliseconds(500), std::min(config_.monitor.interval / 4, tick));
  asio::co_spawn(io_, sync_.run(sync_timer_, tick), asio::detached);
  asio::co_spawn(io_, certificate_manager_.run(certificate_timer_, tick), asio::detached);
  asio::co_spawn(io_, records_.run(record_timer_, tick), asio::detached);
  asio::co_spawn(io_, monitor_.run(monitor_timer_, monitor_tick), asio::detached);
  asio::co_spawn(io_, prune(), asio::detached);
  net::sd_notify("READY=1\nSTATUS=serving MTA-STS policies");
  log_.log(net::LogLevel::info, "ready",
           {{"domains", sync_.state().domains.size()}, {"generation", sync_.state().generation}});
}

// TLS-RPT retention: reports whose period started before `reports.retention_days` ago, and
// reports kept apart received before it, are deleted at start and every six hours; so are the
// rows of instances not seen for kInstanceRetention (an instance named hostname:pid, the
// default, leaves one behind at every restart).
asio::awaitable<void> HostRuntime::prune() {
  constexpr std::chrono::hours kEvery{6};
  do {
    const core::HostTime gone = clock_.now() - kInstanceRetention;
    std::function<store::Result<std::uint64_t>(store::HostingStore&)> instances =
        [gone](store::HostingStore& hosting) { return hosting.prune_instances(gone); };
    auto forgotten = co_await store_.run(std::move(instances));
    if (!forgotten) {
      log_.log(net::LogLevel::warn, "instance-prune-failed",
               {{"error", forgotten.error().message}});
    } else if (*forgotten > 0) {
      log_.log(net::LogLevel::info, "instance-prune",
               {{"instances", static_cast<std::int64_t>(*forgotten)},
                {"before", core::format_utc(gone)}});
    }
    const core::HostTime before = clock_.now() - config_.reports.retention;
    std::function<store::Result<std::uint64_t>(store::HostingStore&)> job =
        [before](store::HostingStore& hosting) { return hosting.reports().prune(before); };
    auto pruned = co_await store_.run(std::move(job));
    if (!pruned) {
      log_.log(net::LogLevel::warn, "report-prune-failed", {{"error", pruned.error().message}});
    } else if (*pruned > 0) {
      log_.log(
          net::LogLevel::info, "report-prune",
          {{"reports", static_cast<std::int64_t>(*pruned)}, {"before", core::format_utc(before)}});
    }
  } while (co_await report_timer_.wait(kEvery));
}

asio::awaitable<void> HostRuntime::lifecycle() {
  const bool stopping = co_await net::await_stop_signal(io_, log_);
  if (!stopping) {
    co_return;
  }
  sync_timer_.stop();
  certificate_timer_.stop();
  record_timer_.stop();
  monitor_timer_.stop();
  report_timer_.stop();
  // The policy server's own threads drain; then the admin requests this loop is answering.
  policy_.stop(config_.shutdown_timeout);
  co_await admin_.drain(kAdminDrain);
  if (smtp_) {
    co_await smtp_->drain(kAdminDrain);
  }
  if (metrics_) {
    metrics_->stop();
  }
  log_.log(net::LogLevel::info, "stopped", {});
  io_.stop();
}

void HostRuntime::run() {
  asio::co_spawn(io_, start_serving(), asio::detached);
  asio::co_spawn(io_, lifecycle(), asio::detached);
  io_.run();
  policy_.stop(std::chrono::milliseconds(0));
  store_.join();
}

}  // namespace mtasts::hosting
