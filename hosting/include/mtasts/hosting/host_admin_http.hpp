#pragma once

// The HTTP side of the admin API, pure: routes from request targets, the bearer token, and the
// JSON responses with the error shape of docs/hosting.md ({"error": {"field", "message"}}).

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/net/http/http_server.hpp"

namespace mtasts::hosting {

enum class AdminRoute {
  domains,         // /v1/domains
  domain,          // /v1/domains/{d}
  domain_monitor,  // /v1/domains/{d}/monitor
  domain_reports,  // /v1/domains/{d}/reports
  reports,         // /v1/reports
  report,          // /v1/reports/{id}
  reports_apart,   // /v1/reports/apart
  audit,           // /v1/audit
  status,          // /v1/status
  instances,       // /v1/instances
  session,         // /v1/session
  console,         // /console/{file} (id: the file's path, "" for /console/)
  root,            // / (a redirect to /console/)
  unknown,
};

struct AdminTarget {
  AdminRoute route = AdminRoute::unknown;
  std::string domain;  // percent-decoded, as given
  std::string id;      // route report: the id as given; route console: the file's path
  std::map<std::string, std::string, std::less<>> query;  // percent-decoded
};

// A query argument that is a decimal number in [1, max]: `fallback` when `text` is empty,
// nullopt when it is anything else.
template <class T>
[[nodiscard]] std::optional<T> query_number(const std::string& text, T fallback, T max) {
  if (text.empty()) {
    return fallback;
  }
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

// Splits a request target ("/v1/domains/example.com?x=y"). A trailing slash is ignored.
[[nodiscard]] AdminTarget parse_admin_target(std::string_view target);

// The token of an "Authorization: Bearer <token>" field (RFC 6750 §2.1; the scheme is
// case-insensitive), or nullopt.
[[nodiscard]] std::optional<std::string> bearer_token(const net::HttpRequest& request);

// The name of the console's session cookie.
inline constexpr std::string_view kSessionCookie = "mtasts_session";

// The value of the first request header field `name` (case-insensitive), or nullopt.
[[nodiscard]] std::optional<std::string> header_value(const net::HttpRequest& request,
                                                      std::string_view name);

// The value of the cookie `name` in the request's Cookie fields (RFC 6265 §5.4), or nullopt.
[[nodiscard]] std::optional<std::string> request_cookie(const net::HttpRequest& request,
                                                        std::string_view name);

// Whether the request's Origin field, when there is one, names the host the request was sent
// to (its Host field, port aside). Browsers send Origin with every POST, PATCH and DELETE.
[[nodiscard]] bool same_origin(const net::HttpRequest& request);

// A JSON response (Content-Type application/json, Cache-Control no-store).
[[nodiscard]] net::HttpResponse json_response(unsigned status, const nlohmann::json& body);

// {"error": {"field": field, "message": message}} with `status`.
[[nodiscard]] net::HttpResponse error_response(unsigned status, std::string field,
                                               std::string message);

}  // namespace mtasts::hosting
