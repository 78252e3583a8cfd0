#pragma once

// Private character-class helpers shared by the core parsers. ASCII only, locale-free.

#include <string>
#include <string_view>

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

bool iequals(std::string_view a, std::string_view b);

// RFC 8461 ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."). RFC 8460 uses the
// same production for TLSRPT extension names.
bool is_ext_name(std::string_view name);

// Removes leading and trailing SP / HTAB.
std::string_view trim_wsp(std::string_view text);

// The text with every byte outside printable ASCII shown as \xNN, for messages. Long input is
// cut with an ellipsis so a hostile record cannot flood a log line.
std::string printable(std::string_view text, std::size_t max_length = 80);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace mtasts::core
