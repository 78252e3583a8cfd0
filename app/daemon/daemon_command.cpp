#include "daemon/daemon_command.hpp"

#include <malloc.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "common/service_log.hpp"
#include "daemon/daemon_config.hpp"
#include "daemon/daemon_store.hpp"
#include "daemon/daemon_system.hpp"
#include "daemon/daemon_wiring.hpp"
#include "exit_codes.hpp"
#include "mtasts/net/dns/ares_resolver.hpp"
#include "mtasts/net/fetch/https_fetcher.hpp"
#include "mtasts/net/http/metrics_server.hpp"
#include "mtasts/net/runtime/sd_notify.hpp"
#include "mtasts/net/runtime/stop_signals.hpp"
#include "mtasts/net/socketmap/socketmap_server.hpp"

namespace mtasts::app {
namespace {

namespace asio = boost::asio;

constexpr int kExitFailure = 1;
constexpr std::chrono::seconds kStoreFlushTimeout{5};
constexpr std::size_t kMaxConcurrentFetches = 32;  // HTTPS policy fetches at once

struct DaemonArgs {
  std::string config;
  std::string level;
  std::string logfile;
};

// Everything the running daemon is made of; lives in run_daemon()'s frame.
struct Runtime {
  asio::io_context& io;
  net::Logger& log;
  net::SocketmapServer& server;
  net::PolicyService& service;
  net::MetricsServer* metrics;
  std::chrono::milliseconds shutdown_timeout;
};

asio::awaitable<void> lifecycle(Runtime* rt) {
  const bool stopping = co_await net::await_stop_signal(rt->io, rt->log);
  if (!stopping) {
    co_return;
  }
  co_await rt->server.drain(rt->shutdown_timeout);
  if (rt->metrics != nullptr) {
    rt->metrics->stop();
  }
  co_await rt->service.stop(kStoreFlushTimeout);
  rt->log.log(net::LogLevel::info, "stopped", {});
  rt->io.stop();
}

std::vector<std::string> sqlite_files(const store::StoreConfig& cache) {
  if (cache.type != store::StoreType::sqlite) {
    return {};
  }
  return {cache.filename, cache.filename + "-wal", cache.filename + "-shm",
          cache.filename + "-journal"};
}

// Opens the configured store; a failure is logged and the daemon serves from memory. A Redis
// or PostgreSQL server that cannot be reached is tried again later (StorePersistence).
std::unique_ptr<StorePersistence> open_persistence(const DaemonConfig& config,
                                                   const net::Clock& clock, net::Logger& log) {
  if (config.cache.type == store::StoreType::memory) {
    return nullptr;
  }
  auto opened = store::open_store(config.cache);
  if (!opened) {
    const bool retry = opened.error().code == store::Errc::unavailable &&
                       config.cache.type != store::StoreType::sqlite;
    log.log(net::LogLevel::error, "store-unavailable",
            {{"store", store::store_type_name(config.cache.type)},
             {"error", opened.error().message},
             {"action", retry ? "serving from memory, retrying" : "serving from memory"}});
    return retry ? std::make_unique<StorePersistence>(config.cache, nullptr, clock, log) : nullptr;
  }
  log.log(net::LogLevel::info, "store-open", {{"store", (*opened)->name()}});
  return std::make_unique<StorePersistence>(config.cache, std::move(*opened), clock, log);
}

core::Result<void> listen(net::SocketmapServer& server, const DaemonConfig& config,
                          net::Logger& log) {
  if (const auto* unix_socket = std::get_if<UnixListen>(&config.listen)) {
    auto listening = server.listen_unix(unix_socket->path, unix_socket->mode);
    if (listening) {
      log.log(net::LogLevel::info, "listening", {{"path", unix_socket->path}});
    }
    return listening;
  }
  const auto& tcp = std::get<TcpListen>(config.listen);
  auto port = server.listen_tcp(tcp.host, tcp.port,
                                config.reuse_port ? net::ReusePort::on : net::ReusePort::off);
  if (!port) {
    return tl::unexpected(port.error());
  }
  log.log(net::LogLevel::info, "listening", {{"host", tcp.host}, {"port", *port}});
  return {};
}

struct Network {
  std::unique_ptr<net::DnsResolver> resolver;
  std::unique_ptr<net::PolicyFetcher> fetcher;
};

// The resolver and fetcher every zone shares, bounded by the longest zone timeout.
core::Result<Network> make_network(asio::io_context& io, const DaemonConfig& config) {
  net::DnsOptions dns;
  dns.timeout = longest_timeout(config);
  for (const std::string& text : config.mtasts.dns_servers) {
    auto server = net::parse_dns_server(text);
    if (!server) {
      return core::fail(core::Errc::invalid_value, "mtasts.dns_servers: " + server.error().message);
    }
    dns.servers.push_back(std::move(*server));
  }
  auto resolver = net::make_ares_resolver(io.get_executor(), dns);
  if (!resolver) {
    return tl::unexpected(resolver.error());
  }
  net::FetchOptions fetch;
  fetch.timeout = longest_timeout(config);
  // A fetch holds about 100 KiB of TLS buffers: a burst of discoveries (cold start, preload
  // list) then stays within the memory target of 100,000 policies in 64 MiB.
  fetch.max_concurrent = kMaxConcurrentFetches;
  // mtasts.fetch_threads (default 0): TLS handshakes on threads of their own pay off only where
  // cores are idle; on the 2-core bench machine they cost a third more CPU per discovery.
  fetch.threads = config.mtasts.fetch_threads;
  fetch.certificate = net::CertificateDetail::skip;
  if (!config.mtasts.ca_file.empty()) {
    fetch.ca_file = config.mtasts.ca_file;
  }
  auto proxy = net::proxy_from_environment();
  if (!proxy) {
    return core::fail(core::Errc::invalid_value, "https_proxy: " + proxy.error().message);
  }
  fetch.proxy = std::move(*proxy);
  auto fetcher = net::make_https_fetcher(io.get_executor(), **resolver, fetch);
  if (!fetcher) {
    return tl::unexpected(fetcher.error());
  }
  return Network{std::move(*resolver), std::move(*fetcher)};
}

// The metrics listener when mtasts.metrics is set (null otherwise), bound but not started.
core::Result<std::unique_ptr<net::MetricsServer>> make_metrics(asio::io_context& io,
                                                               const DaemonConfig& config,
                                                               net::PolicyService& service,
                                                               net::SocketmapServer& server,
                                                               net::Logger& log) {
  if (config.mtasts.metrics.empty()) {
    return nullptr;
  }
  auto endpoint = net::parse_metrics_endpoint(config.mtasts.metrics);
  if (!endpoint) {
    return tl::unexpected(endpoint.error());
  }
  auto metrics = std::make_unique<net::MetricsServer>(
      io.get_executor(),
      [&service, &server] {
        return service.metrics_text() + net::socketmap_metrics_text(server.stats()) +
               net::log_reopen_metrics_text();
      },
      log);
  auto port = metrics->listen(*endpoint);
  if (!port) {
    return tl::unexpected(port.error());
  }
  log.log(net::LogLevel::info, "metrics-listening", {{"host", endpoint->host}, {"port", *port}});
  return metrics;
}

int fail_start(net::Logger& log, std::string_view what, const std::string& message) {
  log.log(net::LogLevel::error, "start-failed", {{"what", what}, {"error", message}});
  return kExitFailure;
}

// glibc gives every thread that allocates an arena of its own, and the fetch threads' TLS
// buffers and the store thread's work then spread over arenas the cache never reuses: one
// arena for all keeps the peak RSS at 100,000 policies 4 MiB lower (bench/memory), and the
// per-thread caches in front of it keep the lock out of the hot paths. An administrator's
// MALLOC_ARENA_MAX wins.
// Whether DANE is on (mtasts.dane). `auto` asks the resolver for the root's NS records with the
// AD bit, on the loop before anything else runs on it: answered without AD, the resolver does
// not validate and DANE is off (every destination would be judged insecure anyway, at the cost
// of an MX query each). A failed probe leaves DANE on, which is safe with any resolver.
bool dane_enabled(asio::io_context& io, net::DnsResolver& resolver, DaneSetting setting,
                  net::Logger& log) {
  if (setting != DaneSetting::automatic) {
    const bool on = setting == DaneSetting::on;
    log.log(net::LogLevel::info, "dane", {{"state", on ? "on" : "off"}, {"why", "configured"}});
    return on;
  }
  net::DnsMeta probe;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        probe = co_await resolver.query_ns(".");
        done = true;
      },
      asio::detached);
  while (!done && io.run_one() > 0) {
  }
  io.restart();
  if (probe.status == net::DnsStatus::ok && !probe.authenticated) {
    log.log(net::LogLevel::warn, "dane",
            {{"state", "off"},
             {"why",
              "the resolver answers the root without the AD bit: it does not validate "
              "DNSSEC, so DANE cannot be learnt (set mtasts.dane: on to look anyway)"}});
    return false;
  }
  const bool validated = probe.status == net::DnsStatus::ok;
  log.log(net::LogLevel::info, "dane",
          {{"state", "on"},
           {"why", validated ? "the resolver validates DNSSEC (AD on the root)"
                             : "the resolver probe failed (" + probe.message +
                                   "); on, which is safe with any resolver"}});
  return true;
}

void limit_malloc_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, 1);
  }
}

int run_daemon(const DaemonArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  limit_malloc_arenas();
  net::Logger log;
  if (!configure_service_log(log, "daemon", args.level, args.logfile)) {
    return kExitUsage;
  }
  auto loaded = load_daemon_config(args.config.empty() ? std::nullopt : std::optional(args.config));
  if (!loaded) {
    log.log(net::LogLevel::error, "config-error", {{"error", loaded.error().message}});
    std::cerr << "mtasts daemon: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  if (loaded->origin == ConfigOrigin::peer) {
    const std::string why = args.config.empty() ? "no " + std::string(kDefaultConfigPath) +
                                                      ": reading postfix-mta-sts-resolver's file"
                                                : "postfix-mta-sts-resolver's file, named with -c";
    log.log(net::LogLevel::info, "config-from-peer", {{"file", loaded->source}, {"why", why}});
  }
  for (const std::string& warning : loaded->warnings) {
    log.log(net::LogLevel::warn, "config-warning", {{"warning", warning}});
  }
  const DaemonConfig& config = loaded->config;
  log.log(net::LogLevel::info, "starting",
          {{"version", MTASTS_VERSION},
           {"config", loaded->source.empty() ? "built-in defaults" : loaded->source}});

  const std::uint64_t open_files = raise_open_file_limit(log);

  // One thread runs the loop and owns every socket and timer; the store worker only posts to
  // it. So the reactor needs no locks per I/O operation (the scheduler keeps its own).
  asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  auto network = make_network(io, config);
  if (!network) {
    return fail_start(log, "network", network.error().message);
  }

  // As root: the state directory, the store and the sockets, then the switch to `user`.
  if (auto made = ensure_state_dir(config.mtasts.state_dir); !made) {
    log.log(net::LogLevel::warn, "state-dir", {{"error", made.error().message}});
  }
  net::SystemClock clock;
  std::unique_ptr<StorePersistence> persistence = open_persistence(config, clock, log);
  net::PolicyServiceOptions options = service_options(config);
  options.dane = dane_enabled(io, *network->resolver, config.mtasts.dane, log);
  net::PolicyService service(io.get_executor(), *network->resolver, *network->fetcher, clock, log,
                             persistence.get(), std::move(options));
  net::SocketmapServerOptions server_options;
  server_options.max_connections = connection_cap(open_files, server_options.max_connections);
  log.log(net::LogLevel::info, "connection-limit",
          {{"connections", server_options.max_connections}});
  net::SocketmapServer server(io.get_executor(), service, server_options, log);
  if (auto listening = listen(server, config, log); !listening) {
    return fail_start(log, "listen", listening.error().message);
  }
  auto metrics = make_metrics(io, config, service, server, log);
  if (!metrics) {
    return fail_start(log, "mtasts.metrics", metrics.error().message);
  }
  std::vector<std::string> preload;
  if (!config.mtasts.preload.empty()) {
    auto list =
        read_domain_list(config.mtasts.preload, service_options(config).cache.capacity, log);
    if (!list) {
      return fail_start(log, "mtasts.preload", list.error().message);
    }
    preload = std::move(*list);
  }
  // The log file too: logrotate's `create` gives the new file the old one's owner, which the
  // daemon can then open on SIGHUP (it cannot create one in a directory of root's).
  std::vector<std::string> owned = sqlite_files(config.cache);
  if (!args.logfile.empty()) {
    owned.push_back(args.logfile);
  }
  if (auto dropped = drop_privileges(config.mtasts.user, config.mtasts.state_dir, owned, log);
      !dropped) {
    return fail_start(log, "user", dropped.error().message);
  }

  server.start();
  if (*metrics) {
    (*metrics)->start();
  }
  service.start();
  if (!preload.empty()) {
    service.preload(std::move(preload));
  }
  Runtime runtime{io, log, server, service, metrics->get(), config.shutdown_timeout};
  asio::co_spawn(io, lifecycle(&runtime), asio::detached);
  net::sd_notify("READY=1\nSTATUS=serving socketmap lookups");
  log.log(net::LogLevel::info, "ready", {});
  io.run();
  return kExitOk;
}

}  // namespace

void add_daemon_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DaemonArgs>();
  CLI::App* daemon =
      app.add_subcommand("daemon", "Serve MTA-STS policies to Postfix over the socketmap protocol");
  daemon->add_option("-c,--config", args->config,
                     "configuration file (default: /etc/mtasts/daemon.yml if it exists, else "
                     "postfix-mta-sts-resolver's /etc/mta-sts-daemon.yml if that exists)");
  daemon->add_option("-v,--verbosity", args->level,
                     "log level: debug, info (default), warn, error, fatal");
  daemon->add_option("-l,--logfile", args->logfile, "append logs to this file (default: stderr)");
  daemon->callback([args, &exit_code] { exit_code = run_daemon(*args); });
}

}  // namespace mtasts::app
