#include "daemon/daemon_config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "common/config_file.hpp"
#include "daemon/daemon_config_sections.hpp"
#include "daemon/daemon_config_values.hpp"

namespace mtasts::app {
namespace {

// Every key of both peer versions (1.1.2 utils.populate_cfg_defaults and responder.py; 1.5
// adds only zone keys), `tlsrpt` (see below) and mtasts' own section.
constexpr std::array<std::string_view, 13> kTopKeys = {
    "host",         "port",       "path",
    "mode",         "reuse_port", "shutdown_timeout",
    "cache_grace",  "cache",      "proactive_policy_fetching",
    "default_zone", "zones",      "mtasts",
    "tlsrpt"};

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

core::Result<Listen> parse_listen(ConfigReader& reader, const Entries& top) {
  if (const auto path_node = given(top, "path")) {
    auto path = reader.string(*path_node, "path", Empty::rejected);
    if (!path) {
      return tl::unexpected(path.error());
    }
    UnixListen unix_listen{std::move(*path), std::nullopt};
    if (const auto mode_node = given(top, "mode")) {
      auto mode = reader.file_mode(*mode_node, "mode");
      if (!mode) {
        return tl::unexpected(mode.error());
      }
      unix_listen.mode = *mode;
    }
    if (present(top, "host") || present(top, "port")) {
      reader.warn("host, port: ignored because path is set (as in the peer)");
    }
    return unix_listen;
  }
  TcpListen tcp;
  if (present(top, "host")) {
    const YAML::Node host_node = top.find("host")->second;
    if (host_node.IsNull()) {
      tcp.host.clear();
    } else {
      auto host = reader.string(host_node, "host", Empty::allowed);
      if (!host) {
        return tl::unexpected(host.error());
      }
      tcp.host = std::move(*host);
    }
    if (tcp.host.empty()) {
      // asyncio's start_server, which the peer calls, listens everywhere for an empty host.
      reader.warn("host: empty, so the daemon listens on every interface (as the peer does)");
    }
  }
  if (const auto port_node = given(top, "port")) {
    auto port = reader.port(*port_node, "port", PortZero::allowed);
    if (!port) {
      return tl::unexpected(port.error());
    }
    tcp.port = *port;
  }
  if (given(top, "mode")) {
    reader.warn("mode: ignored because path is not set");
  }
  return tcp;
}

core::Result<void> parse_timing(ConfigReader& reader, const Entries& top, DaemonConfig& config) {
  if (const auto node = given(top, "reuse_port")) {
    auto reuse = reader.boolean(*node, "reuse_port");
    if (!reuse) {
      return tl::unexpected(reuse.error());
    }
    config.reuse_port = *reuse;
  }
  if (const auto node = given(top, "shutdown_timeout")) {
    auto timeout = reader.seconds(*node, "shutdown_timeout", Zero::allowed);
    if (!timeout) {
      return tl::unexpected(timeout.error());
    }
    config.shutdown_timeout = *timeout;
  }
  if (const auto node = given(top, "cache_grace")) {
    auto grace = reader.seconds(*node, "cache_grace", Zero::allowed);
    if (!grace) {
      return tl::unexpected(grace.error());
    }
    config.cache_grace = *grace;
  }
  return {};
}

YAML::Node section(const Entries& top, std::string_view key) {
  return given(top, key).value_or(YAML::Node());
}

core::Result<ConfigLoad> parse_root(const YAML::Node& root, const ConfigEnvironment& env,
                                    ConfigOrigin origin) {
  ConfigReader reader;
  auto top = reader.mapping(root, "", kTopKeys);
  if (!top) {
    return tl::unexpected(top.error());
  }
  if (present(*top, "tlsrpt")) {
    // The peer's 1.5 example files show `# tlsrpt: true` at the top, where it does nothing.
    reader.warn(
        "tlsrpt: ignored at the top level, as by the peer; set it under default_zone or "
        "zones.<name>");
  }
  DaemonConfig config;
  auto mtasts = parse_mtasts(reader, section(*top, "mtasts"), env);
  if (!mtasts) {
    return tl::unexpected(mtasts.error());
  }
  config.mtasts = std::move(*mtasts);
  auto listen = parse_listen(reader, *top);
  if (!listen) {
    return tl::unexpected(listen.error());
  }
  config.listen = std::move(*listen);
  if (auto timing = parse_timing(reader, *top, config); !timing) {
    return tl::unexpected(timing.error());
  }
  if (origin == ConfigOrigin::peer) {
    // SO_REUSEPORT (the peer's default) lets several of its own processes share the port.
    // Shared with a peer still running, the kernel would split Postfix's lookups between the
    // two: the start must fail on the busy address instead (docs/migration.md). Said when the
    // file asks for it.
    const bool asked = config.reuse_port && given(*top, "reuse_port");
    config.reuse_port = false;
    if (asked) {
      reader.warn(
          "reuse_port: not used with the peer's file, so that mtasts cannot share the address "
          "with a postfix-mta-sts-resolver still running (stop it first: docs/migration.md)");
    }
  }
  const Section cache_section = present(*top, "cache") ? Section::present : Section::absent;
  auto cache = parse_cache(reader, section(*top, "cache"), cache_section, config.mtasts.state_dir,
                           origin == ConfigOrigin::peer ? CacheOwner::peer : CacheOwner::mtasts);
  if (!cache) {
    return tl::unexpected(cache.error());
  }
  config.cache = std::move(*cache);
  auto proactive = parse_proactive(reader, section(*top, "proactive_policy_fetching"));
  if (!proactive) {
    return tl::unexpected(proactive.error());
  }
  config.proactive = *proactive;
  auto default_zone = parse_zone(reader, section(*top, "default_zone"), "default_zone");
  if (!default_zone) {
    return tl::unexpected(default_zone.error());
  }
  config.default_zone = *default_zone;
  auto zones = parse_zones(reader, section(*top, "zones"));
  if (!zones) {
    return tl::unexpected(zones.error());
  }
  config.zones = std::move(*zones);
  return ConfigLoad{std::move(config), reader.take_warnings(), std::string()};
}

}  // namespace

ConfigEnvironment current_config_environment() {
  return ConfigEnvironment{::geteuid() == 0, env_or_empty("STATE_DIRECTORY"),
                           env_or_empty("XDG_STATE_HOME"), env_or_empty("HOME")};
}

core::Result<std::string> default_state_dir(const ConfigEnvironment& env) {
  if (!env.state_directory.empty()) {
    // systemd joins several StateDirectory= entries with ':'; the first is ours.
    return env.state_directory.substr(0, env.state_directory.find(':'));
  }
  if (env.is_root) {
    return std::string(kRootStateDir);
  }
  if (env.xdg_state_home.starts_with('/')) {
    return env.xdg_state_home + "/mtasts";
  }
  if (env.home.starts_with('/')) {
    return env.home + "/.local/state/mtasts";
  }
  return core::fail(core::Errc::invalid_value,
                    "not running as root and none of $STATE_DIRECTORY, $XDG_STATE_HOME, $HOME "
                    "is set to an absolute path");
}

core::Result<ConfigLoad> parse_daemon_config(std::string_view yaml_text,
                                             const ConfigEnvironment& env, ConfigOrigin origin) {
  return parse_config_document(
      yaml_text, [&env, origin](const YAML::Node& root) { return parse_root(root, env, origin); });
}

namespace {

// Whether the file at `path` sets anything: the package installs /etc/mtasts/daemon.yml with
// every line commented out, which must not hide the peer's file. A file that cannot be read or
// parsed counts as holding settings, so that reading it reports the problem.
bool holds_settings(std::string_view path) {
  try {
    return !YAML::LoadFile(std::string(path)).IsNull();
  } catch (const std::exception&) {
    return true;
  }
}

}  // namespace

core::Result<ConfigLoad> load_daemon_config(std::optional<std::string> path) {
  return load_daemon_config(std::move(path), current_config_environment(), DefaultConfigFiles{});
}

core::Result<ConfigLoad> load_daemon_config(std::optional<std::string> path,
                                            const ConfigEnvironment& env,
                                            DefaultConfigFiles defaults) {
  ConfigOrigin origin = ConfigOrigin::given;
  std::error_code ignored;
  if (path && std::filesystem::exists(defaults.peer, ignored) &&
      std::filesystem::equivalent(*path, defaults.peer, ignored)) {
    // `-c /etc/mta-sts-daemon.yml` is still the peer's file, read as the fallback reads it.
    origin = ConfigOrigin::peer;
  }
  if (!path) {
    if (std::filesystem::exists(defaults.own, ignored) &&
        (holds_settings(defaults.own) || !std::filesystem::exists(defaults.peer, ignored))) {
      origin = ConfigOrigin::own;
      path = std::string(defaults.own);
    } else if (std::filesystem::exists(defaults.peer, ignored)) {
      origin = ConfigOrigin::peer;
      path = std::string(defaults.peer);
    } else {
      return parse_daemon_config("", env);
    }
  }
  auto loaded = load_config_file(*path, [&env, origin](std::string_view text) {
    return parse_daemon_config(text, env, origin);
  });
  if (!loaded) {
    return loaded;
  }
  loaded->origin = origin;
  return loaded;
}

const ZoneConfig& zone_for(const DaemonConfig& config, std::string_view zone_name) {
  const auto it = config.zones.find(zone_name);
  return it == config.zones.end() ? config.default_zone : it->second;
}

}  // namespace mtasts::app
