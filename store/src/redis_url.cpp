#include "redis_url.hpp"

#include <charconv>
#include <optional>

#include "mtasts/core/base/host_port.hpp"
#include "mtasts/core/base/percent_decode.hpp"

namespace mtasts::store {
namespace {

std::optional<int> parse_int(std::string_view text, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

tl::unexpected<Error> bad(std::string_view key, std::string_view url, std::string_view why) {
  return fail(Errc::invalid_config, std::string(key) + ": \"" + std::string(url) +
                                        "\" is not a usable Redis url: " + std::string(why));
}

}  // namespace

Result<int> parse_redis_db(std::string_view text, std::string_view key) {
  if (const auto db = parse_int(text, 1'000'000)) {
    return *db;
  }
  return fail(Errc::invalid_config,
              std::string(key) + ": expected a database number, got \"" + std::string(text) + "\"");
}

Result<RedisEndpoint> parse_redis_url(std::string_view url, std::string_view key) {
  RedisEndpoint endpoint;
  std::string_view rest;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("unix://")) {
    endpoint.kind = RedisEndpoint::Kind::unix_socket;
    rest = url.substr(7);
  } else if (url.starts_with("rediss://")) {
    return bad(key, url, "TLS (rediss://) is not supported; use a local TLS tunnel");
  } else {
    return bad(key, url, "it must start with redis:// or unix://");
  }
  if (const std::size_t query = rest.find('?'); query != std::string_view::npos) {
    const std::string_view params = rest.substr(query + 1);
    rest = rest.substr(0, query);
    if (!params.starts_with("db=") || params.find('&') != std::string_view::npos) {
      return bad(key, url, "the only query parameter understood is db=N");
    }
    auto db = parse_redis_db(params.substr(3), key);
    if (!db) {
      return tl::unexpected(db.error());
    }
    endpoint.db = *db;
  }
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    auto user = core::percent_decode(userinfo.substr(0, colon));
    auto password = core::percent_decode(
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1));
    if (!user || !password) {
      return bad(key, url, "malformed %-escape in the user or password");
    }
    endpoint.username = std::move(*user);
    endpoint.password = std::move(*password);
  }
  if (endpoint.kind == RedisEndpoint::Kind::unix_socket) {
    auto path = core::percent_decode(rest);
    if (!path || path->empty() || path->front() != '/') {
      return bad(key, url, "unix:// needs an absolute socket path");
    }
    endpoint.path = std::move(*path);
    return endpoint;
  }
  std::string_view hostport = rest;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db_text = rest.substr(slash + 1);
    if (!db_text.empty()) {
      auto db = parse_redis_db(db_text, key);
      if (!db) {
        return tl::unexpected(db.error());
      }
      endpoint.db = *db;
    }
  }
  if (hostport.empty()) {
    return endpoint;  // redis:// or redis:///N: the default host and port
  }
  const auto default_port = static_cast<std::uint16_t>(endpoint.port);
  auto parsed = core::parse_host_port(hostport, core::url_authority(default_port));
  if (!parsed) {
    return bad(key, url, parsed.error().message);
  }
  endpoint.host = std::move(parsed->host);
  endpoint.port = parsed->port;
  return endpoint;
}

}  // namespace mtasts::store
