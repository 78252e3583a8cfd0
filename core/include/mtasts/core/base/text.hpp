#pragma once

// Text helpers for every layer: character classes, trimming, case-insensitive comparison,
// hex and base64. ASCII only, locale-free, no exceptions.

#include <cstdint>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

constexpr bool is_ascii(char c) {
  return static_cast<unsigned char>(c) < 0x80;
}
constexpr bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
constexpr bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// 0-15 for a hex digit of either case, else -1.
constexpr int hex_digit_value(char c) {
  if (is_digit(c)) {
    return c - '0';
  }
  const char lower = to_lower(c);
  return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}
constexpr bool is_hex_digit(char c) {
  return hex_digit_value(c) >= 0;
}
// A character of the base64url alphabet (RFC 4648 §5): ALPHA / DIGIT / "-" / "_".
constexpr bool is_base64url_char(char c) {
  return is_alnum(c) || c == '-' || c == '_';
}

// ASCII case-insensitive equality (HTTP field names, tokens, schemes). Other bytes compare
// exactly.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// RFC 8461 ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). RFC 8460 uses the
// same production for TLSRPT extension names.
[[nodiscard]] bool is_ext_name(std::string_view name);

// Removes leading and trailing SP / HTAB (RFC 5234 WSP): header values, record fields.
[[nodiscard]] std::string_view trim_wsp(std::string_view text);

// Removes leading and trailing ASCII whitespace: SP, HTAB, CR, LF, VT, FF (lines of files,
// messages of other programs).
[[nodiscard]] std::string_view trim_space(std::string_view text);

enum class HexCase { lower, upper };

// The two hex digits of `byte` ("0a" or "0A").
[[nodiscard]] std::string hex_byte(std::uint8_t byte, HexCase letters = HexCase::lower);

// Two hex digits per byte.
[[nodiscard]] std::string to_hex(std::string_view bytes, HexCase letters = HexCase::lower);

// RFC 4648 §4 base64 with '=' padding.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

// Decodes padded RFC 4648 §4 base64 (no whitespace). Errors: Errc::invalid_syntax for a length
// that is not a multiple of 4, a character outside the alphabet, or non-zero trailing bits.
[[nodiscard]] Result<std::string> base64_decode(std::string_view text);

// RFC 4648 §5 base64url without padding, as RFC 8555 §6.1 and RFC 7515 §2 use it.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url. Errors: Errc::invalid_syntax for a character outside the
// alphabet, '=' padding, a length of 1 mod 4, or non-zero trailing bits.
[[nodiscard]] Result<std::string> base64url_decode(std::string_view text);

// The text with every byte outside printable ASCII shown as \xNN, for messages. Long input is
// cut with an ellipsis so a hostile record cannot flood a log line.
[[nodiscard]] std::string printable(std::string_view text, std::size_t max_length = 80);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text);

}  // namespace mtasts::core
