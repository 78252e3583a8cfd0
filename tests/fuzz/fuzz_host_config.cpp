// Fuzz target: the `mtasts host` configuration loader. Arbitrary text must give a config or an
// error naming what is wrong, never a crash or an escaping exception, and what it accepts must
// hold the loader's promises.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "host/host_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mtasts::app::HostEnvironment env;
  env.env.home = "/home/fuzz";
  env.hostname = "fuzz";
  env.pid = 1;
  const auto loaded = mtasts::app::parse_host_config(text, env);
  if (!loaded) {
    if (loaded.error().message.empty()) {
      std::abort();  // every error tells the admin something
    }
    return 0;
  }
  const auto& config = loaded->config;
  if ((config.service.hostname.empty() && config.service.addresses.empty()) ||
      config.https.empty() || config.sync_interval.count() <= 0 || config.state_dir.empty() ||
      config.state_dir.front() != '/' || config.instance.empty() || config.user.empty() ||
      config.admin_listen.port == 0 || config.monitor.interval.count() < 0 ||
      (config.store.type == mtasts::store::HostingStoreType::sqlite &&
       config.store.filename.empty()) ||
      (config.store.type == mtasts::store::HostingStoreType::postgres &&
       config.store.dsn.empty()) ||
      !config.acme.directory.starts_with("https://")) {
    std::abort();
  }
  if (config.dns_update && (config.dns_update->zone.empty() || config.dns_update->server.empty() ||
                            (config.dns_update->key && config.dns_update->key->secret.empty() &&
                             config.dns_update->key->secret_file.empty()))) {
    std::abort();
  }
  if (!config.monitor.alert.command.empty() &&
      config.monitor.alert.command.front().front() != '/') {
    std::abort();
  }
  return 0;
}
