#include <algorithm>
#include <charconv>
#include <limits>

#include "daemon/daemon_config_values.hpp"

namespace mtasts::app {
namespace {

bool is_digit_of(char c, int base) {
  if (base == 2) {
    return c == '0' || c == '1';
  }
  if (base == 8) {
    return c >= '0' && c <= '7';
  }
  const bool decimal = c >= '0' && c <= '9';
  if (base == 10) {
    return decimal;
  }
  return decimal || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return c - 'A' + 10;
}

// Digits of `base` with `_` ignored; at least one digit. Magnitude up to 2^63.
std::optional<std::uint64_t> digits_value(std::string_view text, int base) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  std::uint64_t value = 0;
  bool any = false;
  for (const char c : text) {
    if (c == '_') {
      continue;
    }
    if (!is_digit_of(c, base)) {
      return std::nullopt;
    }
    any = true;
    const auto digit = static_cast<std::uint64_t>(digit_value(c));
    const auto ubase = static_cast<std::uint64_t>(base);
    if (value > (kLimit - digit) / ubase) {
      return std::nullopt;
    }
    value = value * ubase + digit;
  }
  if (!any) {
    return std::nullopt;
  }
  return value;
}

// PyYAML: [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
std::optional<std::uint64_t> sexagesimal_value(std::string_view text) {
  std::uint64_t value = 0;
  std::size_t start = 0;
  bool first = true;
  while (start <= text.size()) {
    const std::size_t colon = std::min(text.find(':', start), text.size());
    const std::string_view part = text.substr(start, colon - start);
    if (part.empty() || (!first && (part.size() > 2 || part.find('_') != std::string_view::npos))) {
      return std::nullopt;
    }
    const auto digits = digits_value(part, 10);
    if (!digits || (!first && *digits > 59) || (first && part[0] == '0')) {
      return std::nullopt;
    }
    if (!first && value > (std::numeric_limits<std::uint64_t>::max() - 59) / 60) {
      return std::nullopt;
    }
    value = first ? *digits : value * 60 + *digits;
    first = false;
    start = colon + 1;
  }
  return value;
}

}  // namespace

std::optional<bool> yaml11_bool(std::string_view text) {
  static constexpr std::string_view kTrue[] = {"yes",  "Yes", "YES", "true", "True",
                                               "TRUE", "on",  "On",  "ON"};
  static constexpr std::string_view kFalse[] = {"no",    "No",  "NO",  "false", "False",
                                                "FALSE", "off", "Off", "OFF"};
  if (std::find(std::begin(kTrue), std::end(kTrue), text) != std::end(kTrue)) {
    return true;
  }
  if (std::find(std::begin(kFalse), std::end(kFalse), text) != std::end(kFalse)) {
    return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> yaml11_int(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  std::optional<std::uint64_t> magnitude;
  if (text.starts_with("0b")) {
    magnitude = digits_value(text.substr(2), 2);
  } else if (text.starts_with("0x")) {
    magnitude = digits_value(text.substr(2), 16);
  } else if (text == "0") {
    magnitude = 0;
  } else if (text[0] == '0') {
    magnitude = digits_value(text.substr(1), 8);
  } else if (text[0] >= '1' && text[0] <= '9') {
    magnitude =
        text.find(':') == std::string_view::npos ? digits_value(text, 10) : sexagesimal_value(text);
  }
  if (!magnitude) {
    return std::nullopt;
  }
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (*magnitude > kMax + 1) {
      return std::nullopt;
    }
    return *magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                  : -static_cast<std::int64_t>(*magnitude);
  }
  if (*magnitude > kMax) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*magnitude);
}

std::optional<double> yaml11_number(std::string_view text) {
  if (const auto whole = yaml11_int(text)) {
    return static_cast<double>(*whole);
  }
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == ".inf" || text == ".Inf" || text == ".INF") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::string cleaned;
  for (const char c : text) {
    if (c == '_') {
      continue;
    }
    if (!is_digit_of(c, 10) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
      return std::nullopt;
    }
    cleaned += c;
  }
  if (cleaned.empty() || (!is_digit_of(cleaned[0], 10) && cleaned[0] != '.')) {
    return std::nullopt;
  }
  double value = 0;
  const char* end = cleaned.data() + cleaned.size();
  const auto [ptr, ec] = std::from_chars(cleaned.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

std::optional<std::uint64_t> octal_value(std::string_view text) {
  if (text.find('_') != std::string_view::npos) {
    return std::nullopt;
  }
  return digits_value(text, 8);
}

std::string octal_text(std::int64_t value) {
  char buffer[32] = {'0'};
  const auto [end, ec] = std::to_chars(buffer + 1, buffer + sizeof buffer, value, 8);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string key_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

}  // namespace mtasts::app
