#include "host/host_service.hpp"

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <iostream>

#include "common/service_log.hpp"
#include "daemon/daemon_system.hpp"
#include "exit_codes.hpp"
#include "host/host_config.hpp"
#include "mtasts/hosting/host_runtime.hpp"
#include "mtasts/hosting/host_tokens.hpp"

namespace mtasts::app {
namespace {

namespace asio = boost::asio;

constexpr int kExitFailure = 1;

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

int usage_error(net::Logger& log, const std::string& message) {
  log.log(net::LogLevel::error, "config-error", {{"error", message}});
  std::cerr << "mtasts host: " << message << "\n";
  return kExitUsage;
}

// As root: the state directory, the store, the clients (the TSIG key is read here) and the
// listening sockets; then the switch to `user`; then serving.
int serve(const HostConfig& config, const hosting::AdminTokens& tokens, net::Logger& log) {
  asio::io_context io(1);
  // Like the daemon: a service started from a shell keeps a soft limit of 1024 descriptors,
  // fewer than the policy server's connection budget.
  (void)raise_open_file_limit(log);
  if (auto made = ensure_state_dir(config.state_dir); !made) {
    log.log(net::LogLevel::warn, "state-dir", {{"error", made.error().message}});
  }
  auto opened = store::open_hosting_store(config.store);
  if (!opened) {
    return fail_start(log, "store", opened.error().message);
  }
  log.log(net::LogLevel::info, "store-open", {{"store", (*opened)->name()}});
  auto clients = hosting::make_host_clients(io, config, log);
  if (!clients) {
    return fail_start(log, "setup", clients.error().message);
  }
  hosting::HostRuntime runtime(io, config, tokens, log, std::move(*opened), std::move(*clients));
  if (auto listening = runtime.listen(); !listening) {
    return fail_start(log, "listen", listening.error().message);
  }
  if (auto dropped =
          drop_privileges(config.user, config.state_dir, sqlite_files(config.store), log);
      !dropped) {
    return fail_start(log, "user", dropped.error().message);
  }
  runtime.run();
  return kExitOk;
}

}  // namespace

int run_host_service(const HostRunArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  net::Logger log;
  if (!configure_service_log(log, "host", args.level, args.logfile)) {
    return kExitUsage;
  }
  auto loaded = load_host_config(args.config.empty() ? std::nullopt : std::optional(args.config),
                                 current_host_environment());
  if (!loaded) {
    return usage_error(log, loaded.error().message);
  }
  for (const std::string& warning : loaded->warnings) {
    log.log(net::LogLevel::warn, "config-warning", {{"warning", warning}});
  }
  const HostConfig& config = loaded->config;
  auto tokens = hosting::read_admin_tokens(config.token_file);
  if (!tokens) {
    return usage_error(log, "admin.token_file: " + tokens.error().message);
  }
  for (const std::string& warning : tokens->warnings) {
    log.log(net::LogLevel::warn, "config-warning", {{"warning", warning}});
  }
  log.log(net::LogLevel::info, "starting",
          {{"version", MTASTS_VERSION}, {"config", loaded->source}, {"instance", config.instance}});
  return serve(config, tokens->tokens, log);
}

}  // namespace mtasts::app
