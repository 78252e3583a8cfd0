#pragma once

// "HOST[:PORT]" as command lines and environment variables write it. Private to mtasts::net.

#include <cstdint>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::net {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "HOST", "HOST:PORT", "[IPV6]", "[IPV6]:PORT" or a bare IPv6 address (two or more
// colons); `default_port` applies when no port is written.
// Errors: Errc::invalid_value with a reason (empty host, unclosed bracket, port not 1-65535).
[[nodiscard]] core::Result<HostPort> parse_host_port(std::string_view text,
                                                     std::uint16_t default_port);

}  // namespace mtasts::net
