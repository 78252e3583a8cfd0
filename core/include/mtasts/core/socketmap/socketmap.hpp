#pragma once

// Requests of Postfix's socketmap protocol (socketmap_table(5)): a netstring whose payload is
// "<name> <key>", where <name> is the socketmap name configured in Postfix
// (socketmap:inet:127.0.0.1:8461:<name>) and <key> the lookup key. For smtp_tls_policy_maps
// the key is the next-hop destination: "example.com", "[relay.example]:587", or, with
// parent_domain_matches_subdomains, a parent-domain probe such as ".example.com".

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

// Keys longer than this are not host names, even as UTF-8 U-labels (253 octets * 4).
inline constexpr std::size_t kMaxSocketmapKeyLength = 1024;

struct SocketmapRequest {
  std::string map_name;  // printable ASCII, no space; postfix-mta-sts-resolver calls it the zone
  std::string key;       // everything after the first space, exactly as received

  friend bool operator==(const SocketmapRequest&, const SocketmapRequest&) = default;
};

// A request as views into its payload (which must outlive them).
struct SocketmapRequestView {
  std::string_view map_name;
  std::string_view key;
};

// Splits a request payload at its first space.
// Errors: Errc::invalid_syntax when there is no space or the map name is empty;
// Errc::invalid_value when the map name has a byte outside printable ASCII.
// An empty or odd key is not an error here: normalize_socketmap_key() classifies it.
[[nodiscard]] Result<SocketmapRequest> parse_socketmap_request(std::string_view payload);

// As parse_socketmap_request(), without copies: the parts are views into `payload`.
[[nodiscard]] Result<SocketmapRequestView> parse_socketmap_request_view(std::string_view payload);

// What a lookup key names, after normalisation.
enum class KeyKind {
  domain,           // a candidate policy domain: look it up
  parent_probe,     // starts with '.': Postfix probing a parent domain; never looked up
                    // (RFC 8461 §3.4: no policy is taken from a parent zone)
  address_literal,  // an IPv4 or IPv6 address, bracketed or not: has no policy (RFC 8461 §3.4)
  empty,            // nothing left after normalisation
  invalid,          // has bytes no host name has (space, control, '/', '@', ...), an empty label,
                    // or is longer than kMaxSocketmapKeyLength
};

// The stable lower-case name of a KeyKind, for logs and metrics ("parent-probe", ...).
[[nodiscard]] std::string_view key_kind_name(KeyKind kind);

struct SocketmapKey {
  KeyKind kind = KeyKind::empty;
  std::string name;  // the normalised key; for KeyKind::domain, what to look up

  friend bool operator==(const SocketmapKey&, const SocketmapKey&) = default;
};

// Normalises a lookup key the way postfix-mta-sts-resolver does, so the same keys reach the
// same policies: take the text inside "[...]" (dropping any ":port" after it), or else drop a
// ":port" after the last colon; lowercase ASCII; trim whitespace; strip trailing dots. Then
// classify it. Whitespace is also trimmed first, so "  [192.0.2.1]" is still bracketed; a
// bracket left over after that is unmatched and makes the key KeyKind::invalid. Unlike the peer, an
// unbracketed IPv6 address (two or more colons) is recognised as an address literal rather than cut
// at its last colon, and numeric forms inet_aton(3) accepts ("127.1", "0x7f.0.0.1") count as
// address literals too. Non-ASCII bytes are kept: the caller converts U-labels with
// normalize_domain().
[[nodiscard]] SocketmapKey normalize_socketmap_key(std::string_view key);

// The key itself when it is already a normalised policy domain: a lowercase LDH domain
// (is_ldh_domain()) whose last label does not start with a digit, which
// normalize_socketmap_key() returns unchanged as KeyKind::domain. Postfix lowercases next-hop
// domains, so this is the usual key; it is recognised in one pass, without allocating.
// nullopt for every other key: normalize it with normalize_socketmap_key().
[[nodiscard]] std::optional<std::string_view> plain_domain_key(std::string_view key);

}  // namespace mtasts::core
