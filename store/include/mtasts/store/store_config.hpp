#pragma once

// Which policy store the daemon and `mtasts cache` use, and how to reach it. The option names
// and defaults are those of postfix-mta-sts-resolver's `cache: {type, options}` (1.1 and 1.5),
// so its configuration files carry over:
//
//   type       options (default)
//   internal   cache_size (10000)
//   sqlite     filename (<state_dir>/cache.db), timeout (5 s), threads (accepted, no effect)
//   redis      url (required), socket_timeout (5 s), socket_connect_timeout (5 s),
//              db, username, password (override the url's), key_prefix (mtasts extension,
//              "mtasts:policy:"); the peer's other redis-py pool options are accepted, no effect
//   postgres   dsn (libpq defaults), timeout (5 s), command_timeout (= timeout),
//              table (mtasts extension, "mtasts_policy_cache"); the peer's asyncpg pool
//              options are accepted, no effect
//
// Timeouts are seconds (fractions allowed) above 0 and at most 3600.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

enum class StoreType {
  memory,    // the peer's "internal": in this process only, lost on restart
  sqlite,    // one file on this machine; survives restarts (the daemon's default)
  redis,     // shared by a fleet of MTAs; entries expire in Redis too (SET ... EXAT)
  postgres,  // shared, for sites that run PostgreSQL already
};

// The peer's name of the type ("internal", "sqlite", "redis", "postgres").
[[nodiscard]] std::string_view store_type_name(StoreType type);

inline constexpr std::string_view kDefaultRedisKeyPrefix = "mtasts:policy:";
inline constexpr std::string_view kDefaultPostgresTable = "mtasts_policy_cache";

struct StoreConfig {
  StoreType type = StoreType::sqlite;
  std::size_t cache_size = 10000;  // memory: most entries held
  // sqlite: the database file. Empty when the configuration names none: the caller substitutes
  // <state_dir>/cache.db before open_store(), which rejects an empty name.
  std::string filename;
  // redis: redis://[[user]:password@]host[:port][/db] or unix://[[user]:password@]/path[?db=N]
  std::string url;
  std::optional<int> redis_db;                     // redis: the `db` option, over the url's
  std::optional<std::string> redis_username;       // redis: `username`, over the url's
  std::optional<std::string> redis_password;       // redis: `password`, over the url's
  std::string key_prefix{kDefaultRedisKeyPrefix};  // redis: prepended to every domain's key
  std::string dsn;                                 // postgres: libpq URI or key=value string
  std::string table{kDefaultPostgresTable};        // postgres: [a-z_][a-z0-9_]*, created if missing
  // Bound on one operation: SQLite's busy timeout, a Redis reply, a PostgreSQL statement.
  std::chrono::milliseconds timeout{5000};
  // Bound on establishing a Redis or PostgreSQL connection.
  std::chrono::milliseconds connect_timeout{5000};
  // Options of the peer accepted for compatibility but without effect here, so the caller can
  // warn about them.
  std::vector<std::string> ignored_options;
  // Options no version of the peer knows for this type: ignored, and the caller warns (an
  // unknown key is a warning, like everywhere else in the daemon's config).
  std::vector<std::string> unknown_options;

  friend bool operator==(const StoreConfig&, const StoreConfig&) = default;
};

// Builds a StoreConfig from the peer's `cache.type` and `cache.options` (every value as the
// text of its YAML scalar). `type` is internal (or memory), sqlite, redis or postgres.
// Errors (invalid_config) name the key: an unknown type, an unknown option, a value that does
// not parse or is out of range, a missing redis url, a redis url that is not redis:// or
// unix:// (rediss:// is not supported), a table name that is not a plain identifier.
[[nodiscard]] Result<StoreConfig> store_config_from(
    std::string_view type, const std::map<std::string, std::string>& options);

}  // namespace mtasts::store
