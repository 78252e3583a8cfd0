// RFC 4648 base64 (§4, padded) and base64url (§5, unpadded), declared in text.hpp.

#include <cstdint>

#include "mtasts/core/base/text.hpp"

namespace mtasts::core {
namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The 6-bit value of `c` in `alphabet`, or -1.
int alphabet_index(std::string_view alphabet, char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == alphabet[62]) {
    return 62;
  }
  return c == alphabet[63] ? 63 : -1;
}

unsigned byte_at(std::string_view bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]);
}

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned n =
        (byte_at(bytes, i) << 16U) | (byte_at(bytes, i + 1) << 8U) | byte_at(bytes, i + 2);
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += alphabet[(n >> 6U) & 63U];
    out += alphabet[n & 63U];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = byte_at(bytes, i) << 16U;
    if (rest == 2) {
      n |= byte_at(bytes, i + 1) << 8U;
    }
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    if (rest == 2) {
      out += alphabet[(n >> 6U) & 63U];
    }
    if (pad) {
      out.append(3 - rest, '=');
    }
  }
  return out;
}

// Unpadded text in `alphabet`.
Result<std::string> decode(std::string_view text, std::string_view alphabet) {
  if (text.size() % 4 == 1) {
    return fail(Errc::invalid_syntax, "base64 text has an impossible length");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  unsigned bits = 0;
  for (const char c : text) {
    const int index = alphabet_index(alphabet, c);
    if (index < 0) {
      return fail(Errc::invalid_syntax, "base64 text holds a character outside its alphabet");
    }
    buffer = ((buffer << 6U) | static_cast<unsigned>(index)) & 0xFFFFU;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFU);
    }
  }
  // RFC 4648 §3.5: the unused low bits of the last character must be zero (canonical form).
  if ((buffer & ((1U << bits) - 1U)) != 0) {
    return fail(Errc::invalid_syntax, "base64 text has non-zero padding bits");
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, kStandard, true);
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return fail(Errc::invalid_syntax, "base64 text is not padded to a multiple of 4");
  }
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  return decode(text.substr(0, text.size() - padding), kStandard);
}

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, kUrl, false);
}

Result<std::string> base64url_decode(std::string_view text) {
  return decode(text, kUrl);
}

}  // namespace mtasts::core
