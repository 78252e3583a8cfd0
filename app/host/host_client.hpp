#pragma once

// The CLI's side of the admin API: one HTTP/1.1 request over plain TCP (the API listens on
// loopback; across machines it belongs behind a TLS proxy or an SSH tunnel), bounded by a
// timeout, with the bearer token.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::app {

struct ApiTarget {
  std::string host;  // an IP address or a name
  std::uint16_t port = 8462;
};

// "http://HOST[:PORT][/]" or "HOST:PORT". Errors: Errc::invalid_value naming the problem
// (https is refused with a hint: the API speaks plain HTTP).
[[nodiscard]] core::Result<ApiTarget> parse_api_url(std::string_view url);

struct ApiReply {
  unsigned status = 0;
  std::string body;
};

// Sends `method target` with `body` (JSON when not empty) and returns the answer.
// Errors: Errc::invalid_value when the API cannot be reached or answers no HTTP in time.
[[nodiscard]] core::Result<ApiReply> call_admin_api(const ApiTarget& api, const std::string& method,
                                                    const std::string& target,
                                                    const std::string& token,
                                                    const std::string& body,
                                                    std::chrono::milliseconds timeout);

}  // namespace mtasts::app
