#pragma once

// Percent-decoding (RFC 3986 §2.1), for the URIs and URL parts mtasts reads: TLSRPT mailto:
// addresses, Redis URLs, the admin API's paths and queries.

#include <optional>
#include <string>
#include <string_view>

namespace mtasts::core {

// `text` with every %XX (either case) replaced by its byte; "+" stays "+". nullopt for a
// "%" without two hex digits, and for %00: a NUL byte is never meant in any of them.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text);

}  // namespace mtasts::core
