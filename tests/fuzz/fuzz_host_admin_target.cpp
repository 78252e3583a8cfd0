// Fuzz target: what the admin API of `mtasts host` reads from a request before it checks the
// token: the request target (route, percent-decoded domain, query, console file) and the
// Authorization, Cookie and Origin fields. The input is the target, a NUL, then the value given
// to each of the three fields.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mtasts/hosting/host_admin_http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string_view target = input.substr(0, split);
  const std::string_view authorization =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  const mtasts::hosting::AdminTarget parsed = mtasts::hosting::parse_admin_target(target);
  const bool has_domain = parsed.route == mtasts::hosting::AdminRoute::domain ||
                          parsed.route == mtasts::hosting::AdminRoute::domain_monitor;
  if (has_domain == parsed.domain.empty() || parsed.domain.find('\0') != std::string::npos) {
    std::abort();
  }
  if (parsed.route == mtasts::hosting::AdminRoute::console &&
      parsed.id.find("..") != std::string::npos) {
    std::abort();
  }
  mtasts::net::HttpRequest request;
  request.host = "127.0.0.1";
  request.headers.emplace_back("Authorization", std::string(authorization));
  request.headers.emplace_back("Cookie", std::string(authorization));
  request.headers.emplace_back("Origin", std::string(authorization));
  if (const auto cookie =
          mtasts::hosting::request_cookie(request, mtasts::hosting::kSessionCookie)) {
    if (cookie->find(';') != std::string::npos) {
      std::abort();
    }
  }
  (void)mtasts::hosting::same_origin(request);
  if (const auto token = mtasts::hosting::bearer_token(request)) {
    if (token->empty() || token->front() == ' ' || token->back() == ' ') {
      std::abort();
    }
  }
  return 0;
}
