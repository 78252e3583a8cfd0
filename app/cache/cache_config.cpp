#include "cache/cache_config.hpp"

#include "daemon/daemon_config.hpp"

namespace mtasts::app {
namespace {

// A url or dsn without what follows "://user:" up to "@" (the password).
std::string without_password(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
    return url.find("password") == std::string::npos ? url : "(dsn with a password)";
  }
  const std::size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) {
    return url;
  }
  return url.substr(0, colon) + ":***" + url.substr(at);
}

}  // namespace

tl::expected<CacheTarget, std::string> load_cache_target(
    const std::optional<std::string>& config_path) {
  auto loaded = load_daemon_config(config_path);
  if (!loaded) {
    return tl::unexpected(loaded.error().message);
  }
  // The daemon's loader reads `cache` with store::store_config_from() and warns about the
  // options without effect; a sqlite filename not given is already <state_dir>/cache.db.
  return CacheTarget{std::move(loaded->config.cache),
                     loaded->source.empty() ? "built-in defaults" : loaded->source,
                     std::move(loaded->warnings)};
}

std::string describe_store(const store::StoreConfig& config) {
  switch (config.type) {
    case store::StoreType::memory:
      return "internal (the daemon's memory)";
    case store::StoreType::sqlite:
      return "sqlite " + config.filename;
    case store::StoreType::redis:
      return "redis " + without_password(config.url) + " (keys " + config.key_prefix + "*)";
    case store::StoreType::postgres:
      return "postgres " + without_password(config.dsn) + " (table " + config.table + ")";
  }
  return "unknown";
}

}  // namespace mtasts::app
