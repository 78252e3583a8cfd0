#pragma once

// Domain names as MTA-STS compares them: lowercase A-labels without the trailing root dot.

#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

// RFC 1035 / RFC 5321 limits.
inline constexpr std::size_t kMaxDomainLength = 253;  // without the trailing dot
inline constexpr std::size_t kMaxLabelLength = 63;

// Normalises a host name: strips one trailing dot, converts U-labels to A-labels (IDNA2008
// via libidn2, NFC input), lowercases, and checks RFC 5321 Domain syntax (LDH labels of 1-63
// octets, no leading or trailing hyphen, at most 253 octets), and that every "xn--" label is a
// true A-label (fake_a_label_problem).
// Errors: Errc::not_a_host_name with a message naming the offending label.
[[nodiscard]] Result<std::string> normalize_domain(std::string_view name);

// True when `name` is an RFC 5321 Domain in ASCII: LDH labels, 1-63 octets each, no leading
// or trailing hyphen, at most 253 octets. No trailing dot, no normalisation.
[[nodiscard]] bool is_ldh_domain(std::string_view name);

// What is wrong with the first label of an LDH `name` that begins with "xn--" (any case) and
// is not a true A-label: its Punycode does not decode, or the decoded U-label is not valid
// IDNA2008 and does not encode back to the same label (RFC 5890 §2.3.2.1). The text names the
// label ("label \"xn--a\" begins with ..."); empty when every label is fine.
[[nodiscard]] std::string fake_a_label_problem(std::string_view name);

// True for an IPv4 dotted quad, anything containing ':' (IPv6), or a bracketed address
// literal such as "[192.0.2.1]" / "[IPv6:...]". Such names never have an MTA-STS policy
// (RFC 8461 §3.4) and never match an mx pattern.
[[nodiscard]] bool is_address_literal(std::string_view name);

// ASCII-only case-insensitive equality, ignoring one trailing dot on either side.
[[nodiscard]] bool domain_equal(std::string_view a, std::string_view b);

// Lowercases ASCII letters; other bytes are unchanged.
[[nodiscard]] std::string ascii_lower(std::string_view text);

}  // namespace mtasts::core
