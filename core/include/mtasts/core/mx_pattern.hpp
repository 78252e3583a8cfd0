#pragma once

// "mx" patterns of a policy (RFC 8461 §3.2, §4.1): a host name, or "*." and a host name
// where the wildcard stands for exactly one left-most label.

#include <string>
#include <string_view>

#include "mtasts/core/result.hpp"

namespace mtasts::core {

struct MxPattern {
  bool wildcard = false;  // written "*.<domain>"
  std::string domain;     // lowercase A-labels, no trailing dot

  // The pattern as a policy writes it: "*.example.net" or "mail.example.net".
  [[nodiscard]] std::string text() const;
  friend bool operator==(const MxPattern&, const MxPattern&) = default;
};

// Parses an mx value exactly as the ABNF allows ("*."? Domain), after the caller has stripped
// a tolerated trailing dot. Uppercase is accepted and lowercased. U-labels are rejected: the
// RFC requires A-labels in policies.
[[nodiscard]] Result<MxPattern> parse_mx_pattern(std::string_view value);

// RFC 8461 §4.1: does the MX host name match the pattern? Case-insensitive, one trailing dot
// on the host ignored, "*." matches exactly one non-empty left-most label. A pattern or a
// host that is an address literal never matches (CONFORMANCE 020).
[[nodiscard]] bool mx_matches(const MxPattern& pattern, std::string_view mx_host);

}  // namespace mtasts::core
