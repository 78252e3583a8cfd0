#pragma once

// Private: IP addresses in text compared by value, so "2001:DB8::1" and "2001:db8:0:0::1" are
// the same address. Pure parsing; no inet_pton (core does no system calls).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mtasts::core {

// 16 bytes; an IPv4 address is held IPv4-mapped (::ffff:a.b.c.d, RFC 4291 §2.5.5.2).
using IpBytes = std::array<std::uint8_t, 16>;

// An IPv4 dotted quad (four decimal octets 0-255) or an RFC 4291 §2.2 IPv6 text form (hex
// groups, one "::", an IPv4 tail); nullopt for anything else (zone ids, brackets, prefixes).
[[nodiscard]] std::optional<IpBytes> parse_ip_address(std::string_view text);

// Same address by value; texts that are no address are compared ASCII case-insensitively.
[[nodiscard]] bool same_ip_address(std::string_view a, std::string_view b);

}  // namespace mtasts::core
