#include "host/host_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <iostream>

#include "daemon/daemon_system.hpp"
#include "exit_codes.hpp"
#include "host/host_admin_api.hpp"
#include "host/host_alert.hpp"
#include "host/host_certificates.hpp"
#include "host/host_challenges.hpp"
#include "host/host_config.hpp"
#include "host/host_metrics.hpp"
#include "host/host_monitor.hpp"
#include "host/host_policy_source.hpp"
#include "host/host_records.hpp"
#include "host/host_store_worker.hpp"
#include "host/host_sync.hpp"
#include "host/host_tokens.hpp"
#include "host/host_wiring.hpp"
#include "mtasts/net/acme_client.hpp"
#include "mtasts/net/ares_resolver.hpp"
#include "mtasts/net/certificate_set.hpp"
#include "mtasts/net/dns_updater.hpp"
#include "mtasts/net/https_fetcher.hpp"
#include "mtasts/net/metrics_server.hpp"
#include "mtasts/net/policy_server.hpp"
#include "mtasts/net/sd_notify.hpp"
#include "mtasts/net/smtp_probe.hpp"

namespace mtasts::app {
namespace {

namespace asio = boost::asio;

constexpr int kExitFailure = 1;
constexpr std::chrono::seconds kChallengeLifetime{3600};
constexpr std::chrono::milliseconds kPropagationMargin{1000};
constexpr std::chrono::milliseconds kAdminDrain{2000};
constexpr std::chrono::seconds kStaleGraceMargin{10};

// The network clients the service uses, made on the main loop's executor.
struct Clients {
  std::unique_ptr<net::DnsResolver> resolver;
  std::unique_ptr<net::AcmeClient> acme;
  std::unique_ptr<net::DnsUpdater> updater;  // null without dns_update
  std::unique_ptr<net::PolicyFetcher> fetcher;
  std::unique_ptr<net::SmtpProber> prober;
  std::unique_ptr<AlertHook> alerts;  // null without monitor.alert
};

// What the loops are made of; lives in run_host_service()'s frame.
struct Loops {
  LoopTimer sync;
  LoopTimer certificates;
  LoopTimer records;
  LoopTimer monitor;
  explicit Loops(const asio::any_io_executor& executor)
      : sync(executor), certificates(executor), records(executor), monitor(executor) {}
  void stop() {
    sync.stop();
    certificates.stop();
    records.stop();
    monitor.stop();
  }
};

core::Result<Clients> make_clients(asio::io_context& io, const HostConfig& config,
                                   net::Logger& log) {
  Clients clients;
  auto dns = dns_options(config);
  if (!dns) {
    return tl::unexpected(dns.error());
  }
  auto resolver = net::make_ares_resolver(io.get_executor(), std::move(*dns));
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
  const std::optional<std::string> ca_file =
      config.ca_file.empty() ? std::nullopt : std::optional(config.ca_file);
  net::FetchOptions fetch;
  fetch.ca_file = ca_file;
  fetch.max_concurrent = 8;
  auto fetcher = net::make_https_fetcher(io.get_executor(), *clients.resolver, std::move(fetch));
  if (!fetcher) {
    return core::fail(core::Errc::invalid_value, "ca_file: " + fetcher.error().message);
  }
  clients.fetcher = std::move(*fetcher);
  net::SmtpProbeOptions probe;
  probe.ca_file = ca_file;
  probe.ehlo_name = config.service.hostname.empty() ? "mtasts-host.invalid" : config.service.hostname;
  auto prober = net::make_smtp_prober(io.get_executor(), std::move(probe));
  if (!prober) {
    return core::fail(core::Errc::invalid_value, "ca_file: " + prober.error().message);
  }
  clients.prober = std::move(*prober);
  if (!config.monitor.alert.webhook.empty() || !config.monitor.alert.command.empty()) {
    auto hook = AlertHook::create(*clients.resolver, config.monitor.alert, ca_file, log);
    if (!hook) {
      return tl::unexpected(hook.error());
    }
    clients.alerts = std::move(*hook);
  }
  return clients;
}

std::vector<std::string> sqlite_files(const store::HostingStoreConfig& config) {
  if (config.type != store::HostingStoreType::sqlite) {
    return {};
  }
  return {config.filename, config.filename + "-wal", config.filename + "-shm",
          config.filename + "-journal"};
}

int fail_start(net::Logger& log, std::string_view what, const std::string& message) {
  log.log(net::LogLevel::error, "start-failed", {{"what", what}, {"error", message}});
  std::cerr << "mtasts host: " << what << ": " << message << "\n";
  return kExitFailure;
}

std::chrono::seconds whole_seconds(std::chrono::milliseconds duration) {
  return std::chrono::ceil<std::chrono::seconds>(duration);
}

// Everything running, for the signal handler and the metrics.
struct Running {
  asio::io_context& io;
  net::Logger& log;
  const HostConfig& config;
  net::PolicyServer& policy;
  net::HttpServer& admin;
  net::MetricsServer* metrics;
  Loops& loops;
};

asio::awaitable<void> lifecycle(Running* run) {
  asio::signal_set signals(run->io, SIGTERM, SIGINT, SIGHUP);
  int signal_number = 0;
  for (;;) {
    boost::system::error_code ec;
    signal_number = co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    if (signal_number != SIGHUP) {
      break;
    }
    auto reopened = run->log.reopen();
    run->log.log(reopened ? net::LogLevel::info : net::LogLevel::warn, "log-reopen",
                 {{"error", reopened ? std::string() : reopened.error().message}});
  }
  run->log.log(net::LogLevel::info, "stopping", {{"signal", signal_number}});
  net::sd_notify("STOPPING=1");
  asio::io_context* io = &run->io;
  signals.async_wait([io](boost::system::error_code ec, int) {
    if (!ec) {
      io->stop();
    }
  });
  run->loops.stop();
  // The policy server's own threads drain while this loop finishes the admin requests.
  run->policy.stop(run->config.shutdown_timeout);
  co_await run->admin.drain(kAdminDrain);
  if (run->metrics != nullptr) {
    run->metrics->stop();
  }
  run->log.log(net::LogLevel::info, "stopped", {});
  run->io.stop();
}

// What start_serving() starts.
struct Serving {
  asio::io_context& io;
  net::Logger& log;
  HostSync& sync;
  net::PolicyServer& policy;
  net::HttpServer& admin;
  net::MetricsServer* metrics;
  Loops& loops;
  CertificateManager& certificates;
  RecordManager& records;
  Monitor& monitor;
  std::chrono::milliseconds tick;
  std::chrono::milliseconds monitor_tick;
};

asio::awaitable<void> start_serving(Serving* s) {
  // The first sync before anything is served: the policy server answers from the store's
  // state from its first request on.
  auto synced = co_await s->sync.sync_once(true);
  if (!synced) {
    s->log.log(net::LogLevel::error, "initial-sync-failed",
               {{"error", synced.error().message}, {"action", "retrying every sync interval"}});
  }
  s->policy.start();
  s->admin.start();
  if (s->metrics != nullptr) {
    s->metrics->start();
  }
  asio::co_spawn(s->io, s->sync.run(s->loops.sync, s->tick), asio::detached);
  asio::co_spawn(s->io, s->certificates.run(s->loops.certificates, s->tick), asio::detached);
  asio::co_spawn(s->io, s->records.run(s->loops.records, s->tick), asio::detached);
  asio::co_spawn(s->io, s->monitor.run(s->loops.monitor, s->monitor_tick), asio::detached);
  net::sd_notify("READY=1\nSTATUS=serving MTA-STS policies");
  s->log.log(net::LogLevel::info, "ready",
             {{"domains", s->sync.state().domains.size()},
              {"generation", s->sync.state().generation}});
}

// The parts of the service, in the order they are made (and destroyed in reverse).
int run_service_with(const HostConfig& config, const AdminTokens& tokens, net::Logger& log) {
  asio::io_context io(1);
  if (auto made = ensure_state_dir(config.state_dir); !made) {
    log.log(net::LogLevel::warn, "state-dir", {{"error", made.error().message}});
  }
  auto opened = store::open_hosting_store(config.store);
  if (!opened) {
    return fail_start(log, "store", opened.error().message);
  }
  log.log(net::LogLevel::info, "store-open", {{"store", (*opened)->name()}});
  StoreWorker store(std::move(*opened));
  auto clients = make_clients(io, config, log);
  if (!clients) {
    return fail_start(log, "setup", clients.error().message);
  }
  net::CertificateSet certificates(net::make_tls_alpn_challenge_certificate);
  HostPolicySource source;
  SystemHostClock clock;
  ChallengeBoard challenges(io.get_executor(), store, source, certificates, clock, log,
                            ChallengeBoardOptions{config.instance,
                                                  config.sync_interval + kPropagationMargin,
                                                  kChallengeLifetime});
  HostSync sync(store, source, certificates, &challenges, clock, log);
  CertificateManager certificate_manager(
      io.get_executor(), store, sync, *clients->acme, challenges, *clients->resolver, clock, log,
      CertificateManagerOptions{config.service, config.instance, config.acme.directory,
                                config.acme.order_timeout, 4});
  const std::uint32_t ttl = config.dns_update ? config.dns_update->ttl : config.service.record_ttl;
  RecordManager records(io.get_executor(), store, sync, clients->updater.get(), clock, log,
                        RecordManagerOptions{config.service, config.instance, ttl,
                                             whole_seconds(config.sync_interval)});
  // A new id reaches the record after one sync interval (delegated) and resolvers within the
  // record's TTL: a stale record is expected that long, with a margin.
  const std::chrono::seconds grace = kStaleGraceMargin + 2 * whole_seconds(config.sync_interval) +
                                     2 * std::chrono::seconds(ttl);
  Monitor monitor(io.get_executor(), store, sync, *clients->resolver, *clients->fetcher,
                  *clients->prober, clients->alerts.get(), clock, log,
                  MonitorOptions{config.service, config.instance,
                                 whole_seconds(config.monitor.interval), grace, 4});
  AdminApi api(store, sync, *clients->resolver, tokens, clock, log,
               AdminApiOptions{config.service, config.instance});

  net::PolicyServer policy(source, certificates, policy_server_options(config), log);
  if (auto listening = policy.listen(); !listening) {
    return fail_start(log, "listen", listening.error().message);
  }
  net::HttpServer admin(io.get_executor(), api, admin_limits(), log);
  auto admin_port = admin.listen(to_net_endpoint(config.admin_listen), net::PortSharing::exclusive);
  if (!admin_port) {
    return fail_start(log, "admin.listen", admin_port.error().message);
  }
  std::unique_ptr<net::MetricsServer> metrics;
  if (config.metrics) {
    metrics = std::make_unique<net::MetricsServer>(
        io.get_executor(),
        [&] {
          HostMetricsInput input{&sync.state(),
                                 clock.now(),
                                 config.instance,
                                 certificate_manager.counters(),
                                 records.counters(),
                                 monitor.counters(),
                                 &monitor.verdicts(),
                                 clients->alerts ? clients->alerts->counters() : AlertCounters{},
                                 sync.failures(),
                                 certificate_manager.in_flight()};
          return host_metrics_text(input) + net::policy_server_metrics_text(policy.stats());
        },
        log);
    auto port = metrics->listen(net::MetricsEndpoint{config.metrics->host, config.metrics->port});
    if (!port) {
      return fail_start(log, "metrics", port.error().message);
    }
  }
  if (auto dropped = drop_privileges(config.user, config.state_dir, sqlite_files(config.store), log);
      !dropped) {
    return fail_start(log, "user", dropped.error().message);
  }
  for (const net::Endpoint& endpoint : policy.https_endpoints()) {
    log.log(net::LogLevel::info, "listening", {{"https", net::to_string(endpoint)}});
  }
  for (const net::Endpoint& endpoint : policy.http_endpoints()) {
    log.log(net::LogLevel::info, "listening", {{"http", net::to_string(endpoint)}});
  }
  log.log(net::LogLevel::info, "listening",
          {{"admin", endpoint_text(HostEndpoint{config.admin_listen.host, *admin_port})}});

  Loops loops(io.get_executor());
  Running running{io, log, config, policy, admin, metrics.get(), loops};
  const std::chrono::milliseconds tick = config.sync_interval;
  const std::chrono::milliseconds monitor_tick =
      std::max(std::chrono::milliseconds(500), std::min(config.monitor.interval / 4, tick));
  Serving serving{io,          log,     sync,    policy, admin,       metrics.get(),
                  loops,       certificate_manager, records, monitor, tick, monitor_tick};
  asio::co_spawn(io, start_serving(&serving), asio::detached);
  asio::co_spawn(io, lifecycle(&running), asio::detached);
  io.run();
  policy.stop(std::chrono::milliseconds(0));
  store.join();
  return kExitOk;
}

}  // namespace

int run_host_service(const HostRunArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  const auto level =
      args.level.empty() ? std::optional(net::LogLevel::info) : net::parse_log_level(args.level);
  if (!level) {
    std::cerr << "mtasts host: -v: expected debug, info, warn, error or fatal, got " << args.level
              << "\n";
    return kExitUsage;
  }
  net::Logger log(*level);
  if (!args.logfile.empty()) {
    if (auto opened = log.open_file(args.logfile); !opened) {
      std::cerr << "mtasts host: " << opened.error().message << "\n";
      return kExitUsage;
    }
  }
  auto loaded = load_host_config(args.config.empty() ? std::nullopt : std::optional(args.config),
                                 current_host_environment());
  if (!loaded) {
    log.log(net::LogLevel::error, "config-error", {{"error", loaded.error().message}});
    std::cerr << "mtasts host: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : loaded->warnings) {
    log.log(net::LogLevel::warn, "config-warning", {{"warning", warning}});
  }
  const HostConfig& config = loaded->config;
  std::vector<std::string> token_warnings;
  auto tokens = AdminTokens::read(config.token_file, token_warnings);
  if (!tokens) {
    log.log(net::LogLevel::error, "config-error", {{"error", tokens.error().message}});
    std::cerr << "mtasts host: admin.token_file: " << tokens.error().message << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : token_warnings) {
    log.log(net::LogLevel::warn, "config-warning", {{"warning", warning}});
  }
  log.log(net::LogLevel::info, "starting",
          {{"version", MTASTS_VERSION}, {"config", loaded->source}, {"instance", config.instance}});
  return run_service_with(config, *tokens, log);
}

}  // namespace mtasts::app
