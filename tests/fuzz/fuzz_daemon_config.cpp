// Fuzz target: the daemon configuration loader. Arbitrary text must give a config or an error,
// never a crash or an escaping exception, and what it accepts must hold the loader's promises.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/daemon_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const mtasts::app::ConfigEnvironment env{false, "", "", "/home/fuzz"};
  const auto loaded = mtasts::app::parse_daemon_config(text, env);
  if (!loaded) {
    if (loaded.error().message.empty()) {
      std::abort();  // every error tells the admin something
    }
    return 0;
  }
  const auto& config = loaded->config;
  if (config.default_zone.timeout.count() <= 0 || config.proactive.interval.count() <= 0 ||
      config.proactive.concurrency_limit == 0 || !(config.proactive.grace_ratio > 0) ||
      config.shutdown_timeout.count() < 0 || config.cache_grace.count() < 0 ||
      (config.cache.type == mtasts::store::StoreType::sqlite && config.cache.filename.empty()) ||
      config.mtasts.state_dir.empty() || config.mtasts.state_dir.front() != '/' ||
      config.mtasts.user.empty()) {
    std::abort();
  }
  for (const auto& [name, zone] : config.zones) {
    if (zone.timeout.count() <= 0 || &mtasts::app::zone_for(config, name) != &zone) {
      std::abort();
    }
  }
  if (const auto* unix_listen = std::get_if<mtasts::app::UnixListen>(&config.listen)) {
    if (unix_listen->path.empty() || (unix_listen->mode && *unix_listen->mode > 07777)) {
      std::abort();
    }
  }
  return 0;
}
