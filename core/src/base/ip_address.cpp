#include "base/ip_address.hpp"

#include <vector>

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view text) {
  std::array<std::uint8_t, 4> out{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t dot = i + 1 < out.size() ? text.find('.', pos) : text.size();
    if (dot == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view part = text.substr(pos, dot - pos);
    if (part.empty() || part.size() > 3) {
      return std::nullopt;
    }
    unsigned value = 0;
    for (const char c : part) {
      if (!is_digit(c)) {
        return std::nullopt;
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) {
      return std::nullopt;
    }
    out[i] = static_cast<std::uint8_t>(value);
    pos = dot + 1;
  }
  return out;
}

// Colon-separated groups of 1-4 hex digits; the last may be an IPv4 address (two groups).
std::optional<std::vector<std::uint16_t>> hex_groups(std::string_view text, bool v4_tail) {
  std::vector<std::uint16_t> out;
  if (text.empty()) {
    return out;
  }
  std::size_t pos = 0;
  while (out.size() <= 8) {
    const std::size_t colon = text.find(':', pos);
    const std::string_view piece =
        text.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
    if (colon == std::string_view::npos && v4_tail && piece.find('.') != std::string_view::npos) {
      const auto v4 = parse_ipv4(piece);
      if (!v4) {
        return std::nullopt;
      }
      out.push_back(static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
      out.push_back(static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
      return out;
    }
    if (piece.empty() || piece.size() > 4) {
      return std::nullopt;
    }
    unsigned value = 0;
    for (const char c : piece) {
      const int digit = hex_digit_value(c);
      if (digit < 0) {
        return std::nullopt;
      }
      value = value * 16 + static_cast<unsigned>(digit);
    }
    out.push_back(static_cast<std::uint16_t>(value));
    if (colon == std::string_view::npos) {
      return out;
    }
    pos = colon + 1;
  }
  return std::nullopt;
}

std::optional<IpBytes> parse_ipv6(std::string_view text) {
  const std::size_t gap = text.find("::");
  std::optional<std::vector<std::uint16_t>> head;
  std::optional<std::vector<std::uint16_t>> tail;
  if (gap == std::string_view::npos) {
    head = hex_groups(text, true);
    tail.emplace();
    if (!head || head->size() != 8) {
      return std::nullopt;
    }
  } else {
    const std::string_view after = text.substr(gap + 2);
    if (after.find("::") != std::string_view::npos) {
      return std::nullopt;
    }
    head = hex_groups(text.substr(0, gap), false);
    tail = hex_groups(after, true);
    if (!head || !tail || head->size() + tail->size() > 7) {
      return std::nullopt;
    }
  }
  std::array<std::uint16_t, 8> groups{};
  std::copy(head->begin(), head->end(), groups.begin());
  std::copy(tail->begin(), tail->end(), groups.end() - static_cast<std::ptrdiff_t>(tail->size()));
  IpBytes out{};
  for (std::size_t i = 0; i < groups.size(); ++i) {
    out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
  }
  return out;
}

}  // namespace

std::optional<IpBytes> parse_ip_address(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    return parse_ipv6(text);
  }
  const auto v4 = parse_ipv4(text);
  if (!v4) {
    return std::nullopt;
  }
  IpBytes out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::copy(v4->begin(), v4->end(), out.begin() + 12);
  return out;
}

bool same_ip_address(std::string_view a, std::string_view b) {
  const auto left = parse_ip_address(a);
  const auto right = parse_ip_address(b);
  if (left && right) {
    return *left == *right;
  }
  return iequals(a, b);
}

}  // namespace mtasts::core
