#include "daemon/daemon_config_sections.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "mtasts/core/base/host_port.hpp"

namespace mtasts::app {
namespace {

constexpr std::array<std::string_view, 2> kCacheKeys = {"type", "options"};
constexpr std::array<std::string_view, 4> kProactiveKeys = {"enabled", "interval",
                                                            "concurrency_limit", "grace_ratio"};
constexpr std::array<std::string_view, 4> kZoneKeys = {"strict_testing", "timeout", "require_sni",
                                                       "tlsrpt"};
constexpr std::array<std::string_view, 9> kMtastsKeys = {"mx_match", "dane",    "dns_servers",
                                                         "ca_file",  "metrics", "state_dir",
                                                         "user",     "preload", "fetch_threads"};
constexpr std::int64_t kMaxFetchThreads = 64;
constexpr std::int64_t kMaxCount = std::numeric_limits<std::int32_t>::max();

}  // namespace

core::Result<store::StoreConfig> parse_cache(ConfigReader& reader, const YAML::Node& node,
                                             Section section, const std::string& state_dir,
                                             CacheOwner owner) {
  auto entries = reader.mapping(node, "cache", kCacheKeys);
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  // mtasts keeps its cache on disk by default; a `cache` section without a type means the
  // peer's default, the in-memory cache.
  std::string type = section == Section::absent ? "sqlite" : "internal";
  if (const auto type_node = given(*entries, "type")) {
    auto name = reader.string(*type_node, "cache.type", Empty::rejected);
    if (!name) {
      return tl::unexpected(name.error());
    }
    type = std::move(*name);
  }
  std::map<std::string, std::string> options;
  if (const auto options_node = given(*entries, "options")) {
    auto read = reader.mapping(*options_node, "cache.options", {});
    if (!read) {
      return tl::unexpected(read.error());
    }
    for (const auto& [key, value] : *read) {
      auto text = reader.option_text(value, key_path("cache.options", key));
      if (!text) {
        return tl::unexpected(text.error());
      }
      options.emplace(key, std::move(*text));
    }
  }
  const std::string own_file = state_dir + "/cache.db";
  if (owner == CacheOwner::peer && type == "redis_sentinel") {
    reader.warn(
        "cache.type: redis_sentinel (postfix-mta-sts-resolver) is not supported; mtasts "
        "uses its own SQLite cache at " +
        own_file +
        " (to share a cache, write /etc/mtasts/daemon.yml with type redis and the url "
        "of the current master)");
    store::StoreConfig sqlite;
    sqlite.filename = own_file;
    return sqlite;
  }
  auto cache = store::store_config_from(type, options);
  if (!cache) {
    return core::fail(core::Errc::invalid_value, cache.error().message);
  }
  if (cache->type == store::StoreType::sqlite && owner == CacheOwner::peer &&
      !cache->filename.empty() && cache->filename != own_file) {
    // The peer's database belongs to the peer's user, and the daemon would give it to its own;
    // it stays the peer's, untouched, for a roll-back.
    reader.warn("cache.options.filename: " + cache->filename +
                " is postfix-mta-sts-resolver's cache; mtasts keeps its own at " + own_file +
                " (copy the peer's policies with: mtasts cache import " + cache->filename + ")");
    cache->filename.clear();
  }
  if (cache->type == store::StoreType::sqlite && cache->filename.empty()) {
    cache->filename = own_file;
  }
  for (const std::string& option : cache->unknown_options) {
    reader.warn(key_path("cache.options", option) + ": unknown option for cache type " +
                std::string(store::store_type_name(cache->type)) + ", ignored");
  }
  for (const std::string& option : cache->ignored_options) {
    reader.warn(key_path("cache.options", option) +
                ": accepted for compatibility with the peer, without effect in mtasts");
  }
  return std::move(*cache);
}

core::Result<ProactiveConfig> parse_proactive(ConfigReader& reader, const YAML::Node& node) {
  constexpr std::string_view kPath = "proactive_policy_fetching";
  auto entries = reader.mapping(node, kPath, kProactiveKeys);
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  ProactiveConfig proactive;
  if (const auto value = given(*entries, "enabled")) {
    auto enabled = reader.boolean(*value, key_path(kPath, "enabled"));
    if (!enabled) {
      return tl::unexpected(enabled.error());
    }
    proactive.enabled = *enabled;
  }
  if (const auto value = given(*entries, "interval")) {
    auto interval = reader.seconds(*value, key_path(kPath, "interval"), Zero::rejected);
    if (!interval) {
      return tl::unexpected(interval.error());
    }
    proactive.interval = *interval;
  }
  if (const auto value = given(*entries, "concurrency_limit")) {
    auto limit = reader.integer(*value, key_path(kPath, "concurrency_limit"), 1, kMaxCount);
    if (!limit) {
      return tl::unexpected(limit.error());
    }
    proactive.concurrency_limit = static_cast<std::uint32_t>(*limit);
  }
  if (const auto value = given(*entries, "grace_ratio")) {
    auto ratio = reader.positive_number(*value, key_path(kPath, "grace_ratio"));
    if (!ratio) {
      return tl::unexpected(ratio.error());
    }
    proactive.grace_ratio = *ratio;
  }
  return proactive;
}

core::Result<ZoneConfig> parse_zone(ConfigReader& reader, const YAML::Node& node,
                                    std::string_view path) {
  auto entries = reader.mapping(node, path, kZoneKeys);
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  ZoneConfig zone;
  const auto read_flag = [&](std::string_view key) -> core::Result<std::optional<bool>> {
    const auto value = given(*entries, key);
    if (!value) {
      return std::optional<bool>();
    }
    return reader.boolean(*value, key_path(path, key)).transform([](bool b) {
      return std::optional<bool>(b);
    });
  };
  auto strict = read_flag("strict_testing");
  auto sni = strict ? read_flag("require_sni") : strict;
  auto tlsrpt = sni ? read_flag("tlsrpt") : sni;
  if (!tlsrpt) {
    return tl::unexpected(tlsrpt.error());
  }
  if (*strict) {
    zone.strict_testing = **strict ? core::TestingMode::strict : core::TestingMode::report_only;
  }
  if (*sni) {
    zone.require_sni = **sni ? core::SniMode::hostname : core::SniMode::off;
  }
  if (*tlsrpt) {
    zone.tlsrpt = **tlsrpt ? core::TlsrptAttributes::on : core::TlsrptAttributes::off;
  }
  if (const auto value = given(*entries, "timeout")) {
    auto timeout = reader.seconds(*value, key_path(path, "timeout"), Zero::rejected);
    if (!timeout) {
      return tl::unexpected(timeout.error());
    }
    zone.timeout = *timeout;
  }
  return zone;
}

core::Result<std::map<std::string, ZoneConfig, std::less<>>> parse_zones(ConfigReader& reader,
                                                                         const YAML::Node& node) {
  auto entries = reader.mapping(node, "zones", {});
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  std::map<std::string, ZoneConfig, std::less<>> zones;
  for (const auto& [name, value] : *entries) {
    const std::string path = key_path("zones", name);
    // The peer splits "<zone> <key>" at the first space, so such a name never matches.
    if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos) {
      reader.warn(path +
                  ": a socketmap name cannot be empty or contain spaces; this zone is "
                  "never used");
    }
    auto zone = parse_zone(reader, value, path);
    if (!zone) {
      return tl::unexpected(zone.error());
    }
    zones.insert_or_assign(name, *zone);
  }
  return zones;
}

core::Result<MtastsConfig> parse_mtasts(ConfigReader& reader, const YAML::Node& node,
                                        const ConfigEnvironment& env) {
  auto entries = reader.mapping(node, "mtasts", kMtastsKeys);
  if (!entries) {
    return tl::unexpected(entries.error());
  }
  MtastsConfig mtasts;
  const auto text = [&](std::string_view key, Empty empty) -> core::Result<std::string> {
    const auto value = given(*entries, key);
    return value ? reader.string(*value, key_path("mtasts", key), empty) : std::string();
  };
  if (const auto value = given(*entries, "mx_match")) {
    auto name = reader.string(*value, "mtasts.mx_match", Empty::rejected);
    if (!name) {
      return tl::unexpected(name.error());
    }
    if (*name == "resolve") {
      mtasts.mx_match = MxMatch::resolve;
    } else if (*name == "patterns") {
      mtasts.mx_match = MxMatch::patterns;
    } else if (*name == "postfix") {
      mtasts.mx_match = MxMatch::postfix;
    } else {
      return value_error(*value, "mtasts.mx_match",
                         expected("resolve, patterns or postfix", *value));
    }
  }
  if (const auto value = given(*entries, "dane")) {
    // YAML reads a bare on/off as a boolean; the words are accepted either way.
    auto name = reader.string(*value, "mtasts.dane", Empty::rejected);
    if (!name) {
      return tl::unexpected(name.error());
    }
    if (*name == "auto") {
      mtasts.dane = DaneSetting::automatic;
    } else if (*name == "on" || *name == "true" || *name == "yes") {
      mtasts.dane = DaneSetting::on;
    } else if (*name == "off" || *name == "false" || *name == "no") {
      mtasts.dane = DaneSetting::off;
    } else {
      return value_error(*value, "mtasts.dane", expected("auto, on or off", *value));
    }
  }
  if (const auto value = given(*entries, "dns_servers")) {
    auto servers = reader.string_list(*value, "mtasts.dns_servers");
    if (!servers) {
      return tl::unexpected(servers.error());
    }
    for (std::size_t i = 0; i < servers->size(); ++i) {
      if (auto server = core::parse_host_port((*servers)[i], core::kDnsServerAddress); !server) {
        return value_error(
            *value, "mtasts.dns_servers[" + std::to_string(i) + "]",
            "invalid DNS server \"" + (*servers)[i] + "\": " + server.error().message);
      }
    }
    mtasts.dns_servers = std::move(*servers);
  }
  if (const auto value = given(*entries, "fetch_threads")) {
    auto threads = reader.integer(*value, "mtasts.fetch_threads", 0, kMaxFetchThreads);
    if (!threads) {
      return tl::unexpected(threads.error());
    }
    mtasts.fetch_threads = static_cast<std::size_t>(*threads);
  }
  auto ca_file = text("ca_file", Empty::allowed);
  auto metrics = ca_file ? text("metrics", Empty::allowed) : ca_file;
  auto preload = metrics ? text("preload", Empty::allowed) : metrics;
  auto state_dir = preload ? text("state_dir", Empty::rejected) : preload;
  if (!state_dir) {
    return tl::unexpected(state_dir.error());
  }
  if (!metrics->empty()) {
    if (auto endpoint = core::parse_host_port(*metrics, core::kListenAddress); !endpoint) {
      return value_error(
          *given(*entries, "metrics"), "mtasts.metrics",
          "invalid listen address \"" + *metrics + "\": " + endpoint.error().message);
    }
  }
  if (!state_dir->empty() && state_dir->front() != '/') {
    return value_error(*given(*entries, "state_dir"), "mtasts.state_dir",
                       "expected an absolute path, got \"" + *state_dir + "\"");
  }
  if (state_dir->empty()) {
    auto found = default_state_dir(env);
    if (!found) {
      return core::fail(core::Errc::invalid_value,
                        "mtasts.state_dir: not given, and " + found.error().message);
    }
    state_dir = std::move(found);
  }
  if (given(*entries, "user")) {
    auto user = text("user", Empty::rejected);
    if (!user) {
      return tl::unexpected(user.error());
    }
    mtasts.user = std::move(*user);
  }
  mtasts.ca_file = std::move(*ca_file);
  mtasts.metrics = std::move(*metrics);
  mtasts.preload = std::move(*preload);
  mtasts.state_dir = std::move(*state_dir);
  return mtasts;
}

}  // namespace mtasts::app
