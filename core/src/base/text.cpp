#include "mtasts/core/base/text.hpp"

#include <algorithm>
#include <cstdint>

namespace mtasts::core {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

bool is_ext_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !is_alnum(name.front())) {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; });
}

std::string_view trim_wsp(std::string_view text) {
  while (!text.empty() && is_wsp(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_wsp(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

std::string_view trim_space(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string hex_byte(std::uint8_t byte, HexCase letters) {
  const std::string_view digits =
      letters == HexCase::lower ? "0123456789abcdef" : "0123456789ABCDEF";
  return {digits[byte >> 4U], digits[byte & 0xFU]};
}

std::string to_hex(std::string_view bytes, HexCase letters) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    out += hex_byte(static_cast<std::uint8_t>(c), letters);
  }
  return out;
}

std::string printable(std::string_view text, std::size_t max_length) {
  std::string out;
  const bool cut = text.size() > max_length;
  for (char c : text.substr(0, max_length)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x" + hex_byte(u, HexCase::upper);
    }
  }
  if (cut) {
    out += "...";
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return false;
    }
    if (i + len > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0u) != 0x80u) {
        return false;
      }
      cp = (cp << 6) | (b & 0x3Fu);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace mtasts::core
