#pragma once

// Private to the daemon config loader: one function per section of the file. Each takes the
// section's node (null when absent: the defaults) and returns the section or an error naming
// the key path; warnings go to the reader.

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>

#include "daemon/daemon_config.hpp"
#include "daemon/daemon_config_values.hpp"

namespace mtasts::app {

enum class Section { absent, present };

// Whose file the `cache` section is read from.
enum class CacheOwner {
  mtasts,  // a file written for mtasts (or named with -c): used as written
  peer,    // the peer's own file, found by the fallback: see load_daemon_config
};

// `cache`, read by store::store_config_from(). Absent: sqlite (mtasts' default). Present
// without `type`: internal, as in the peer. A sqlite filename not given is
// <state_dir>/cache.db. Options the store accepts without effect give warnings. From the
// peer's file, a sqlite filename (the peer's own database) and the peer's redis_sentinel type
// (which mtasts cannot reach) give a warning and <state_dir>/cache.db instead.
[[nodiscard]] core::Result<store::StoreConfig> parse_cache(ConfigReader& reader,
                                                           const YAML::Node& node, Section section,
                                                           const std::string& state_dir,
                                                           CacheOwner owner);

// `proactive_policy_fetching`.
[[nodiscard]] core::Result<ProactiveConfig> parse_proactive(ConfigReader& reader,
                                                            const YAML::Node& node);

// `default_zone` or one `zones.<name>`: every key missing takes the built-in default (the peer
// does not inherit from default_zone either).
[[nodiscard]] core::Result<ZoneConfig> parse_zone(ConfigReader& reader, const YAML::Node& node,
                                                  std::string_view path);

// `zones`.
[[nodiscard]] core::Result<std::map<std::string, ZoneConfig, std::less<>>> parse_zones(
    ConfigReader& reader, const YAML::Node& node);

// `mtasts`, with state_dir resolved from `env` when not given.
[[nodiscard]] core::Result<MtastsConfig> parse_mtasts(ConfigReader& reader, const YAML::Node& node,
                                                      const ConfigEnvironment& env);

}  // namespace mtasts::app
