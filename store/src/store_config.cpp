#include "mtasts/store/store_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "redis_url.hpp"

namespace mtasts::store {
namespace {

constexpr double kMaxTimeoutSeconds = 3600;

// Options of the peer's backends (redis-py and asyncpg pool settings) that have no meaning here.
constexpr std::array<std::string_view, 11> kRedisIgnored = {"max_connections",
                                                            "health_check_interval",
                                                            "retry_on_timeout",
                                                            "retry_on_error",
                                                            "socket_keepalive",
                                                            "socket_keepalive_options",
                                                            "client_name",
                                                            "encoding",
                                                            "encoding_errors",
                                                            "decode_responses",
                                                            "single_connection_client"};
constexpr std::array<std::string_view, 6> kPostgresIgnored = {"min_size",
                                                              "max_size",
                                                              "max_queries",
                                                              "max_inactive_connection_lifetime",
                                                              "statement_cache_size",
                                                              "max_cached_statement_lifetime"};

std::string key_name(std::string_view option) {
  return "cache.options." + std::string(option);
}

tl::unexpected<Error> bad_value(std::string_view option, std::string_view value,
                                std::string_view expected) {
  return fail(Errc::invalid_config, key_name(option) + ": expected " + std::string(expected) +
                                        ", got \"" + std::string(value) + "\"");
}

enum class Zero { allowed, rejected };

Result<std::chrono::milliseconds> parse_seconds(std::string_view option, std::string_view text,
                                                Zero zero = Zero::rejected) {
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  const bool zero_ok = zero == Zero::allowed && seconds == 0;
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(seconds) || (seconds <= 0 && !zero_ok) || seconds > kMaxTimeoutSeconds) {
    return bad_value(option, text,
                     zero == Zero::allowed ? "a number of seconds from 0 to 3600"
                                           : "a number of seconds above 0 and at most 3600");
  }
  if (zero_ok) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(seconds * 1000)));
}

Result<std::size_t> parse_count(std::string_view option, std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > std::numeric_limits<std::uint32_t>::max()) {
    return bad_value(option, text, "a whole number of at least 1");
  }
  return value;
}

bool is_sql_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63 || (name.front() >= '0' && name.front() <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& names, std::string_view option) {
  return std::find(names.begin(), names.end(), option) != names.end();
}

Result<void> unknown(StoreConfig& config, const std::string& option) {
  config.unknown_options.push_back(option);
  return {};
}

Result<void> apply_memory(StoreConfig& config, const std::string& option,
                          const std::string& value) {
  if (option != "cache_size") {
    return unknown(config, option);
  }
  return parse_count(option, value).transform([&](std::size_t n) { config.cache_size = n; });
}

Result<void> apply_sqlite(StoreConfig& config, const std::string& option,
                          const std::string& value) {
  if (option == "filename") {
    if (value.empty()) {
      return bad_value(option, value, "a file name");
    }
    config.filename = value;
    return {};
  }
  if (option == "timeout") {
    // The peer passes it to sqlite3.connect(): 0 means "fail at once when locked".
    return parse_seconds(option, value, Zero::allowed).transform([&](auto t) {
      config.timeout = t;
    });
  }
  if (option == "threads") {
    // One connection serves every thread here; the peer's pool size has no equivalent.
    return parse_count(option, value).transform([&](std::size_t) {
      config.ignored_options.push_back(option);
    });
  }
  return unknown(config, option);
}

Result<void> apply_redis(StoreConfig& config, const std::string& option, const std::string& value) {
  if (option == "url") {
    config.url = value;
    return {};
  }
  if (option == "socket_timeout") {
    return parse_seconds(option, value).transform([&](auto t) { config.timeout = t; });
  }
  if (option == "socket_connect_timeout") {
    return parse_seconds(option, value).transform([&](auto t) { config.connect_timeout = t; });
  }
  if (option == "key_prefix") {
    // Without a prefix the keys would be bare domains: the peer's own keys, of another type.
    if (value.empty()) {
      return bad_value(option, value, "a non-empty key prefix");
    }
    config.key_prefix = value;
    return {};
  }
  if (option == "db") {
    return parse_redis_db(value, key_name(option)).transform([&](int db) { config.redis_db = db; });
  }
  if (option == "username") {
    config.redis_username = value;
    return {};
  }
  if (option == "password") {
    config.redis_password = value;
    return {};
  }
  if (listed(kRedisIgnored, option)) {
    config.ignored_options.push_back(option);
    return {};
  }
  return unknown(config, option);
}

Result<void> apply_postgres(StoreConfig& config, const std::string& option,
                            const std::string& value) {
  if (option == "dsn") {
    config.dsn = value;
    return {};
  }
  if (option == "timeout") {
    return parse_seconds(option, value).transform([&](auto t) {
      config.connect_timeout = t;
      config.timeout = t;
    });
  }
  if (option == "command_timeout") {
    return parse_seconds(option, value).transform([](auto) {});  // applied after `timeout`
  }
  if (option == "table") {
    if (!is_sql_identifier(value)) {
      return bad_value(option, value, "a table name of lowercase letters, digits and _");
    }
    config.table = value;
    return {};
  }
  if (listed(kPostgresIgnored, option)) {
    config.ignored_options.push_back(option);
    return {};
  }
  return unknown(config, option);
}

}  // namespace

std::string_view store_type_name(StoreType type) {
  switch (type) {
    case StoreType::memory:
      return "internal";
    case StoreType::sqlite:
      return "sqlite";
    case StoreType::redis:
      return "redis";
    case StoreType::postgres:
      return "postgres";
  }
  return "unknown";
}

Result<StoreConfig> store_config_from(std::string_view type,
                                      const std::map<std::string, std::string>& options) {
  StoreConfig config;
  if (type == "internal" || type == "memory") {
    config.type = StoreType::memory;
  } else if (type == "sqlite") {
    config.type = StoreType::sqlite;
  } else if (type == "redis") {
    config.type = StoreType::redis;
  } else if (type == "postgres") {
    config.type = StoreType::postgres;
  } else if (type == "redis_sentinel") {
    return fail(Errc::invalid_config,
                "cache.type: redis_sentinel is not supported; give type redis and the url of "
                "the current master");
  } else {
    return fail(Errc::invalid_config, "cache.type: \"" + std::string(type) +
                                          "\" is not one of internal, sqlite, redis, postgres");
  }
  for (const auto& [option, value] : options) {
    Result<void> applied;
    switch (config.type) {
      case StoreType::memory:
        applied = apply_memory(config, option, value);
        break;
      case StoreType::sqlite:
        applied = apply_sqlite(config, option, value);
        break;
      case StoreType::redis:
        applied = apply_redis(config, option, value);
        break;
      case StoreType::postgres:
        applied = apply_postgres(config, option, value);
        break;
    }
    if (!applied) {
      return tl::unexpected(applied.error());
    }
  }
  if (config.type == StoreType::redis) {
    if (config.url.empty()) {
      return fail(Errc::invalid_config, "cache.options.url: required for cache type redis");
    }
    auto endpoint = parse_redis_url(config.url, key_name("url"));
    if (!endpoint) {
      return tl::unexpected(endpoint.error());
    }
  }
  if (const auto command = options.find("command_timeout");
      config.type == StoreType::postgres && command != options.end()) {
    config.timeout = *parse_seconds(command->first, command->second);
  }
  return config;
}

}  // namespace mtasts::store
