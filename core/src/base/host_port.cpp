#include "mtasts/core/base/host_port.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace mtasts::core {
namespace {

constexpr std::uint32_t kMaxPort = 65535;

tl::unexpected<Error> invalid(std::string why) {
  return fail(Errc::invalid_value, std::move(why));
}

// Digits only, 1 to 65535.
std::optional<std::uint16_t> read_port(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > kMaxPort) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

bool is_ipv6_literal_text(std::string_view text) {
  return text.find(':') != std::string_view::npos &&
         text.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
}

struct Split {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  bool bracketed = false;
};

Result<Split> split(std::string_view text) {
  Split out;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return invalid("unclosed '['");
    }
    out.host = text.substr(1, close - 1);
    out.bracketed = true;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return invalid("unexpected text after ']'");
      }
      out.port = rest.substr(1);
      out.has_port = true;
    }
    return out;
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
    out.host = text;  // no port, or a bare IPv6 address that no port can follow
    return out;
  }
  out.host = text.substr(0, colon);
  out.port = text.substr(colon + 1);
  out.has_port = true;
  return out;
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text, HostPortRules rules) {
  if (text.empty()) {
    return invalid("empty");
  }
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f;
      })) {
    return invalid("contains a space or a control or non-ASCII character");
  }
  auto parts = split(text);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  if (parts->host.empty()) {
    return invalid("empty host");
  }
  if (parts->bracketed && !is_ipv6_literal_text(parts->host)) {
    return invalid("the brackets must hold an IPv6 address");
  }
  if (!parts->bracketed && parts->host.find_first_of("[]") != std::string_view::npos) {
    return invalid("unexpected '[' or ']'");
  }
  if (!parts->bracketed && parts->host.find(':') != std::string_view::npos) {
    if (rules.bare_ipv6 == BareIpv6::refused || rules.port == PortRule::required) {
      return invalid("more than one ':' (write HOST:PORT, or [IPV6]:PORT)");
    }
    if (!is_ipv6_literal_text(parts->host)) {
      return invalid("more than one ':' and not an IPv6 address");
    }
  }
  HostPort out{std::string(parts->host), rules.default_port};
  if (!parts->bracketed && parts->host == "*") {
    if (rules.wildcard == Wildcard::refused) {
      return invalid("'*' (every interface) is not allowed here");
    }
    out.host.clear();
  }
  if (!parts->has_port) {
    if (rules.port == PortRule::required) {
      return invalid("no port (write HOST:PORT, or [IPV6]:PORT)");
    }
    return out;
  }
  const auto port = read_port(parts->port);
  if (!port) {
    return invalid("port must be a number from 1 to 65535");
  }
  out.port = *port;
  return out;
}

std::string format_host_port(std::string_view host, std::uint16_t port) {
  std::string out;
  if (host.empty()) {
    out = "*";
  } else if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  return out.append(":").append(std::to_string(port));
}

}  // namespace mtasts::core
