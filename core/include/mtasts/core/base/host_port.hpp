#pragma once

// The one reader of "HOST:PORT" text in mtasts: listen addresses, DNS servers, proxies, the
// metrics endpoint, the authority of http(s) and redis URLs. Pure: no name lookup, no I/O, no
// exceptions.
//
// Forms and rules, the same for every caller:
//   HOST:PORT        HOST is a name or an IPv4 address; exactly one ':' in the text.
//   [IPV6]:PORT      the brackets hold hex digits, ':' and '.' only, and at least one ':'
//                    (RFC 3986 §3.2.2 IP-literal without IPvFuture or zone ids).
//   *:PORT           every interface; only where the caller allows the wildcard (listeners).
//                    The result's host is empty.
//   HOST, [IPV6]     only where the port is optional; the default port applies.
//   IPV6             a bare IPv6 address (two or more ':', no brackets) is read whole as the
//                    host, and only where the caller allows it: lists of DNS servers and the
//                    DNS update server (kDnsServerAddress), where the port is optional and the
//                    text is no URL. No port can follow it ("::1:80" is the address ::1:80,
//                    not ::1 port 80). Everywhere else, and always in a URL authority
//                    (RFC 3986 §3.2.2), it is refused: write [IPV6] or [IPV6]:PORT.
//   PORT             decimal digits only (no sign, no space), value 1 to 65535; 0 is refused.
//                    "HOST:" (an empty port) is refused.
// Everywhere: the host is not empty, and the text holds no space, control or non-ASCII byte.
// Whether HOST is a valid name or address is the caller's question.

#include <cstdint>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

// Whether the text must name a port.
enum class PortRule {
  required,  // "HOST" alone is refused
  optional,  // "HOST" alone takes HostPortRules::default_port
};

// Whether "*:PORT" (every interface) is accepted.
enum class Wildcard {
  refused,
  allowed,
};

// Whether a bare IPv6 address (no brackets, so no port) is accepted.
enum class BareIpv6 {
  refused,
  allowed,  // needs PortRule::optional
};

struct HostPortRules {
  PortRule port = PortRule::required;
  std::uint16_t default_port = 0;  // used when PortRule::optional and no port is written
  Wildcard wildcard = Wildcard::refused;
  BareIpv6 bare_ipv6 = BareIpv6::refused;
};

// A listen address: "HOST:PORT", "[IPV6]:PORT" or "*:PORT".
inline constexpr HostPortRules kListenAddress{PortRule::required, 0, Wildcard::allowed,
                                              BareIpv6::refused};
// A DNS server: the port is optional, 53 by default (RFC 1035 §4.2).
inline constexpr HostPortRules kDnsServerAddress{PortRule::optional, 53, Wildcard::refused,
                                                 BareIpv6::allowed};

// The authority of a URL (after any "userinfo@"): the port is optional, `default_port` (the
// scheme's) otherwise; IPv6 only in brackets.
constexpr HostPortRules url_authority(std::uint16_t default_port) {
  return HostPortRules{PortRule::optional, default_port, Wildcard::refused, BareIpv6::refused};
}

struct HostPort {
  std::string host;  // without brackets; empty for the wildcard "*"
  std::uint16_t port = 0;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Reads `text` by the rules above.
// Errors: Errc::invalid_value with a short reason and no copy of the text (callers prefix it
// with their own context, e.g. the config key): empty text or host, a space or control byte,
// an unclosed '[', text after ']', a bad IPv6 literal, a missing port, a bad port, '*' where
// no wildcard is allowed.
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text, HostPortRules rules);

// "host:port", "[v6]:port" when the host holds a ':', "*:port" for an empty host.
[[nodiscard]] std::string format_host_port(std::string_view host, std::uint16_t port);

}  // namespace mtasts::core
