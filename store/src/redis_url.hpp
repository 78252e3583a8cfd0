#pragma once

// Where a Redis server is, from the url of the peer's redis options.

#include <string>
#include <string_view>

#include "mtasts/store/store_error.hpp"

namespace mtasts::store {

struct RedisEndpoint {
  enum class Kind { tcp, unix_socket };
  Kind kind = Kind::tcp;
  std::string host = "127.0.0.1";  // tcp
  int port = 6379;                 // tcp
  std::string path;                // unix_socket
  std::string username;            // empty: AUTH with the password alone (Redis < 6 form)
  std::string password;            // empty: no AUTH
  int db = 0;
};

// Parses redis://[[username][:password]@][host][:port][/db][?db=N] (host may be [IPv6]) and
// unix://[[username][:password]@]/path[?db=N], with %XX escapes in names and passwords.
// Errors: invalid_config naming `key` (rediss:// and other schemes, a bad port or db).
[[nodiscard]] Result<RedisEndpoint> parse_redis_url(std::string_view url, std::string_view key);

// Parses a decimal db number 0..1000000 (the peer's `db` option); invalid_config naming `key`
// otherwise.
[[nodiscard]] Result<int> parse_redis_db(std::string_view text, std::string_view key);

}  // namespace mtasts::store
