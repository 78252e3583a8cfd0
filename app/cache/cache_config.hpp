#pragma once

// Which store `mtasts cache` works on: the one the daemon's configuration names.

#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "mtasts/store/store_config.hpp"

namespace mtasts::app {

struct CacheTarget {
  store::StoreConfig store;
  std::string source;  // the configuration file read, or "built-in defaults"
  std::vector<std::string> warnings;
};

// Reads the daemon configuration (`config_path`, else /etc/mtasts/daemon.yml when it exists,
// else the built-in defaults: SQLite at <state_dir>/cache.db, where state_dir is
// mtasts.state_dir, else $STATE_DIRECTORY, /var/lib/mtasts as root, $XDG_STATE_HOME/mtasts or
// ~/.local/state/mtasts) and turns its `cache` section into a StoreConfig.
// Errors: one message naming the file and the key.
[[nodiscard]] tl::expected<CacheTarget, std::string> load_cache_target(
    const std::optional<std::string>& config_path);

// "sqlite /var/lib/mtasts/cache.db", "redis redis://host:6379/0", "postgres <dsn host>", for
// messages; never a password.
[[nodiscard]] std::string describe_store(const store::StoreConfig& config);

}  // namespace mtasts::app
