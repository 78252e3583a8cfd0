#pragma once

// The configuration of `mtasts daemon`: the YAML of postfix-mta-sts-resolver (1.1 as Debian 12
// ships it, and upstream 1.5), read unchanged with the peer's meanings and defaults, plus
// mtasts' own keys under one top-level key `mtasts:`. docs/daemon-config.md lists every key.
//
// parse_daemon_config() is pure (text and environment in, value out) so it can be unit tested
// and fuzzed; load_daemon_config() is the one function that reads a file and the process
// environment.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/socketmap/postfix_reply.hpp"
#include "mtasts/store/store_config.hpp"

namespace mtasts::app {

inline constexpr std::string_view kDefaultConfigPath = "/etc/mtasts/daemon.yml";
// postfix-mta-sts-resolver's own file, read when kDefaultConfigPath does not exist (migration:
// docs/migration.md).
inline constexpr std::string_view kPeerConfigPath = "/etc/mta-sts-daemon.yml";
inline constexpr std::string_view kDefaultHost = "127.0.0.1";
inline constexpr std::uint16_t kDefaultPort = 8461;
inline constexpr std::string_view kDefaultUser = "mtasts";
inline constexpr std::string_view kRootStateDir = "/var/lib/mtasts";

// The socketmap name (the `zones` key) selects the zone; default_zone answers every other name.
struct ZoneConfig {
  // strict_testing [false]: a `testing` policy is enforced like `enforce`.
  core::TestingMode strict_testing = core::TestingMode::report_only;
  // timeout [4]: bound on each DNS query and on the HTTPS policy fetch.
  std::chrono::milliseconds timeout{4000};
  // require_sni [true]: replies carry `servername=hostname`.
  core::SniMode require_sni = core::SniMode::hostname;
  // tlsrpt [false] (peer 1.5): replies carry the Postfix 3.10 TLSRPT attributes.
  core::TlsrptAttributes tlsrpt = core::TlsrptAttributes::off;

  friend bool operator==(const ZoneConfig&, const ZoneConfig&) = default;
};

// Listening on TCP: `host` and `port`.
struct TcpListen {
  std::string host{kDefaultHost};     // "" listens on every interface (the peer's `host:` empty)
  std::uint16_t port = kDefaultPort;  // 0 lets the kernel choose

  friend bool operator==(const TcpListen&, const TcpListen&) = default;
};

// Listening on a UNIX socket: `path`, and `mode` applied with chmod after bind.
struct UnixListen {
  std::string path;
  std::optional<std::uint32_t> mode;  // nullopt: leave the mode the umask gives

  friend bool operator==(const UnixListen&, const UnixListen&) = default;
};

using Listen = std::variant<TcpListen, UnixListen>;

// `proactive_policy_fetching`: a background pass over the cached domains.
struct ProactiveConfig {
  bool enabled = false;                            // enabled [false]
  std::chrono::milliseconds interval{86'400'000};  // interval [86400]: seconds between passes
  std::uint32_t concurrency_limit = 100;           // concurrency_limit [100]: domains at once
  // grace_ratio [2.0]: a domain refreshed less than interval / grace_ratio ago is skipped.
  double grace_ratio = 2.0;

  friend bool operator==(const ProactiveConfig&, const ProactiveConfig&) = default;
};

// What the `match=` of an enforce reply lists (mtasts.mx_match).
enum class MxMatch {
  resolve,   // the domain's MX hosts, looked up, that the policy allows (core::MatchForm::mx_hosts)
  patterns,  // the policy's patterns, `*.x` as `.x`, as the peer sends (core::MatchForm::patterns)
  // Postfix 3.10.5+ with smtp_tls_enforce_sts_mx_patterns = yes enforces the patterns itself:
  // the patterns form, and every zone's TLSRPT attributes (mx_host_pattern=) on.
  postfix,
};

// DANE first (mtasts.dane): whether the daemon learns the DNSSEC/TLSA state of destinations.
enum class DaneSetting {
  automatic,  // `auto`: on unless the resolver, asked at start, answers the root without AD
  on,
  off,
};

// The keys under `mtasts:`, none of which the peer knows.
struct MtastsConfig {
  MxMatch mx_match = MxMatch::resolve;
  DaneSetting dane = DaneSetting::automatic;
  std::vector<std::string> dns_servers;  // HOST[:PORT] / [IPV6][:PORT]; empty: /etc/resolv.conf
  std::string ca_file;    // PEM bundle replacing the system trust store; empty: system store
  std::string metrics;    // HOST:PORT to serve metrics on; empty: no metrics listener
  std::string state_dir;  // absolute; resolved by default_state_dir() when not given
  std::string user{kDefaultUser};  // the account a daemon started as root switches to
  std::string preload;             // file of domains (one a line) to fetch at start; empty: none
  // Threads running policy fetches' connections and TLS; 0 (the default): the main loop.
  std::size_t fetch_threads = 0;

  friend bool operator==(const MtastsConfig&, const MtastsConfig&) = default;
};

struct DaemonConfig {
  Listen listen = TcpListen{};  // `path` given: UnixListen, else TcpListen
  bool reuse_port = true;       // reuse_port [true]: SO_REUSEPORT on the TCP listener
  std::chrono::milliseconds shutdown_timeout{20'000};  // shutdown_timeout [20]
  // cache_grace [60]: the least interval between re-checks of a cached domain's TXT record.
  std::chrono::milliseconds cache_grace{60'000};
  // `cache: {type, options}` as store::store_config_from() reads it. Without a `cache` section:
  // sqlite; a sqlite filename not given is <state_dir>/cache.db (never empty here).
  store::StoreConfig cache;
  ProactiveConfig proactive;
  ZoneConfig default_zone;
  std::map<std::string, ZoneConfig, std::less<>> zones;
  MtastsConfig mtasts;
};

// Where the configuration came from.
enum class ConfigOrigin {
  built_in,  // no file: the built-in defaults
  given,     // the file named with -c
  own,       // kDefaultConfigPath
  peer,      // kPeerConfigPath, found (no mtasts file) or named with -c (see load_daemon_config)
};

struct ConfigLoad {
  DaemonConfig config;
  std::vector<std::string> warnings;  // one sentence each, starting with the key path
  std::string source;                 // the file read; empty for built-in defaults
  ConfigOrigin origin = ConfigOrigin::built_in;
};

// The files looked for when no -c is given, in this order.
struct DefaultConfigFiles {
  std::string_view own = kDefaultConfigPath;
  std::string_view peer = kPeerConfigPath;
};

// What the defaults depend on, so that tests need not touch the real environment.
// Empty strings stand for unset variables.
struct ConfigEnvironment {
  bool is_root = false;         // effective uid 0
  std::string state_directory;  // $STATE_DIRECTORY (systemd StateDirectory=)
  std::string xdg_state_home;   // $XDG_STATE_HOME
  std::string home;             // $HOME
};

// The environment of this process.
[[nodiscard]] ConfigEnvironment current_config_environment();

// The state directory when mtasts.state_dir is not given: the first entry of
// $STATE_DIRECTORY (systemd may list several, colon-separated), else /var/lib/mtasts as root,
// else $XDG_STATE_HOME/mtasts, else $HOME/.local/state/mtasts. Relative $XDG_STATE_HOME or $HOME
// are ignored, as the XDG base directory specification says.
// Errors: Errc::invalid_value when none applies.
[[nodiscard]] core::Result<std::string> default_state_dir(const ConfigEnvironment& env);

// Parses a daemon configuration. Empty text, or a document holding only comments, gives the
// defaults. Unknown keys, and keys the peer would ignore, give warnings naming their path.
// Never throws (yaml-cpp exceptions become errors).
// Errors:
//   Errc::too_large       the text is over kMaxConfigSize bytes (common/config_file.hpp)
//   Errc::invalid_syntax  not YAML ("line L, column C: ..."), or more than one document
//   Errc::invalid_value   a wrong value or type: "<key path>: expected ..., got ... (line L)";
//                         a cache type or option store::store_config_from() refuses (its
//                         message, naming cache.type or cache.options.<name>); or no state
//                         directory can be found (see default_state_dir)
// `origin` peer reads the cache section as load_daemon_config describes for the peer's file.
[[nodiscard]] core::Result<ConfigLoad> parse_daemon_config(
    std::string_view yaml_text, const ConfigEnvironment& env,
    ConfigOrigin origin = ConfigOrigin::given);

// Reads `path`, else kDefaultConfigPath when it exists, else postfix-mta-sts-resolver's
// kPeerConfigPath when that exists, else uses the built-in defaults; the environment is this
// process's. Error messages start with the file name.
//
// From the peer's file (origin peer: found by the fallback, or named with -c), what mtasts cannot
// or must not use is a warning, never an error: a SQLite cache file it names is the peer's own, in
// the peer's format and owned by the peer's user, so mtasts keeps its cache at <state_dir>/cache.db
// instead, with a warning pointing to `mtasts cache import` (the peer's file stays untouched for a
// roll-back); the peer's `redis_sentinel` type, which mtasts cannot reach, becomes that SQLite
// cache too. Redis and PostgreSQL caches are used as configured (mtasts' keys and table do not
// collide with the peer's). Unknown keys are warnings wherever they are read. Errors: those of
// parse_daemon_config; Errc::invalid_value when the file cannot be read.
[[nodiscard]] core::Result<ConfigLoad> load_daemon_config(std::optional<std::string> path);

// The same, with the environment and the default files given (for tests).
[[nodiscard]] core::Result<ConfigLoad> load_daemon_config(std::optional<std::string> path,
                                                          const ConfigEnvironment& env,
                                                          DefaultConfigFiles defaults);

// The zone a socketmap query names: zones[zone_name] when configured (exact, case-sensitive
// match, as the peer), else default_zone. The reference lives as long as `config`.
[[nodiscard]] const ZoneConfig& zone_for(const DaemonConfig& config, std::string_view zone_name);

}  // namespace mtasts::app
