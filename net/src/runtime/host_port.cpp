#include "runtime/host_port.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace mtasts::net {

core::Result<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port) {
  auto invalid = [](std::string why) { return core::fail(core::Errc::invalid_value, why); };
  HostPort out{{}, default_port};
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return invalid("missing ']'");
    }
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return invalid("expected ':PORT' after ']'");
      }
      port = rest.substr(1);
      has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    out.host = std::string(text);  // a bare IPv6 address
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    has_port = true;
  } else {
    out.host = std::string(text);
  }
  if (out.host.empty()) {
    return invalid("empty host");
  }
  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > std::numeric_limits<std::uint16_t>::max()) {
      return invalid("the port must be a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

}  // namespace mtasts::net
