#include "mtasts/core/socketmap/socketmap.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/base/text.hpp"

namespace mtasts::core {

namespace {

// One part of a numeric IPv4 form as inet_aton(3) reads it: decimal, octal or 0x-hex.
bool is_inet_aton_part(std::string_view part) {
  if (part.size() > 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    return std::all_of(part.begin() + 2, part.end(), is_hex_digit);
  }
  return !part.empty() && std::all_of(part.begin(), part.end(), is_digit);
}

// "1", "127.1", "10.1.2", "0x7f.0.0.1": inet_aton(3) turns these into addresses, and the peer
// (through getaddrinfo with AI_NUMERICHOST) treats them as IP addresses.
bool is_numeric_ipv4_form(std::string_view name) {
  std::size_t parts = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = name.find('.', pos);
    const std::string_view part =
        name.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (!is_inet_aton_part(part) || ++parts > 4) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    pos = dot + 1;
  }
}

// Bytes a host name can have once lowercased: LDH, '.', '_' (left for normalize_domain() to
// judge), and any non-ASCII byte (UTF-8 of a U-label, converted later by normalize_domain()).
bool is_host_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.' || c == '_';
}

// Lowercase ASCII letters and digits: most bytes of a plain domain key (one test each).
constexpr std::array<bool, 256> kLetterOrDigit = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }
  return table;
}();

bool is_plausible_host(std::string_view name) {
  return name.size() <= kMaxSocketmapKeyLength &&
         std::all_of(name.begin(), name.end(), is_host_byte) &&
         name.find("..") == std::string_view::npos;
}

KeyKind classify(std::string_view name) {
  if (name.empty()) {
    return KeyKind::empty;
  }
  if (name.front() == '.') {
    return KeyKind::parent_probe;
  }
  // Brackets that survive normalisation were unmatched.
  if (name.find_first_of("[]") != std::string_view::npos) {
    return KeyKind::invalid;
  }
  if (is_address_literal(name) || is_numeric_ipv4_form(name)) {
    return KeyKind::address_literal;
  }
  if (!is_plausible_host(name)) {
    return KeyKind::invalid;
  }
  return KeyKind::domain;
}

}  // namespace

Result<SocketmapRequest> parse_socketmap_request(std::string_view payload) {
  return parse_socketmap_request_view(payload).transform([](SocketmapRequestView request) {
    return SocketmapRequest{std::string(request.map_name), std::string(request.key)};
  });
}

Result<SocketmapRequestView> parse_socketmap_request_view(std::string_view payload) {
  const std::size_t space = payload.find(' ');
  if (space == std::string_view::npos) {
    return fail(Errc::invalid_syntax, "socketmap request has no space between map name and key");
  }
  const std::string_view name = payload.substr(0, space);
  if (name.empty()) {
    return fail(Errc::invalid_syntax, "socketmap request has an empty map name");
  }
  const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
  });
  if (!printable) {
    return fail(Errc::invalid_value, "socketmap map name has a byte that is not printable ASCII");
  }
  return SocketmapRequestView{name, payload.substr(space + 1)};
}

std::string_view key_kind_name(KeyKind kind) {
  switch (kind) {
    case KeyKind::domain:
      return "domain";
    case KeyKind::parent_probe:
      return "parent-probe";
    case KeyKind::address_literal:
      return "address-literal";
    case KeyKind::empty:
      return "empty";
    case KeyKind::invalid:
      return "invalid";
  }
  return "invalid";
}

SocketmapKey normalize_socketmap_key(std::string_view key) {
  key = trim_space(key);
  std::string_view host;
  if (const std::size_t close = key.find(']'); close != std::string_view::npos) {
    // "[host]" or "[host]:port": the text before the first ']', without the leading '['s.
    host = key.substr(0, close);
    host.remove_prefix(std::min(host.find_first_not_of('['), host.size()));
  } else if (std::count(key.begin(), key.end(), ':') >= 2) {
    // An unbracketed IPv6 address has no port to strip; cutting it at its last colon (as the
    // peer does) would turn "2001:db8::1" into a "domain".
    return SocketmapKey{KeyKind::address_literal, ascii_lower(trim_space(key))};
  } else {
    const std::size_t colon = key.rfind(':');
    host = colon == std::string_view::npos ? key : key.substr(0, colon);
  }
  // The peer's order: lowercase, trim whitespace, then strip every trailing dot.
  std::string name = ascii_lower(trim_space(host));
  const std::size_t last = name.find_last_not_of('.');
  name.resize(last == std::string::npos ? 0 : last + 1);
  const KeyKind kind = classify(name);
  return SocketmapKey{kind, std::move(name)};
}

std::optional<std::string_view> plain_domain_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxDomainLength) {
    return std::nullopt;
  }
  // One pass: labels of 1-63 lowercase letters, digits and hyphens, not starting or ending
  // with a hyphen (is_ldh_domain()), so no whitespace, bracket, colon, empty label or trailing
  // dot is left for normalize_socketmap_key() to change.
  const char* const begin = key.data();
  const char* const end = begin + key.size();
  const char* label = begin;  // where the current label starts
  for (const char* p = begin; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (kLetterOrDigit[c]) {
      continue;
    }
    if (c == '-' && p != label) {
      continue;
    }
    if (c != '.' || p == label || p - label > static_cast<std::ptrdiff_t>(kMaxLabelLength) ||
        p[-1] == '-') {
      return std::nullopt;
    }
    label = p + 1;
  }
  if (label == end || end - label > static_cast<std::ptrdiff_t>(kMaxLabelLength) ||
      end[-1] == '-') {
    return std::nullopt;
  }
  // Every part of an IPv4 form (dotted quad, or what inet_aton(3) reads) starts with a digit:
  // a last label that does not cannot make the key an address literal.
  if (is_digit(*label)) {
    return std::nullopt;
  }
  return key;
}

}  // namespace mtasts::core
