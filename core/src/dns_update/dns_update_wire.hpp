#pragma once

// Byte-level helpers shared by the UPDATE encoder and the response parser (dns_update*.cpp).
// Private to mtasts::core.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "mtasts/core/dns_update/dns_update.hpp"

namespace mtasts::core::dns_wire {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxName = 255;  // RFC 1035 §3.1, wire form
inline constexpr std::size_t kMaxLabel = 63;

inline void put8(DnsBytes& out, std::uint8_t value) {
  out.push_back(value);
}

inline void put16(DnsBytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

inline void put32(DnsBytes& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xffff));
}

inline void put48(DnsBytes& out, std::uint64_t value) {
  put16(out, static_cast<std::uint16_t>((value >> 32) & 0xffff));
  put32(out, static_cast<std::uint32_t>(value & 0xffffffff));
}

inline void put_bytes(DnsBytes& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

inline std::uint16_t get16(std::span<const std::uint8_t> in, std::size_t at) {
  return static_cast<std::uint16_t>((in[at] << 8) | in[at + 1]);
}

// Overwrites the 16-bit value at `at` (the caller checked the size).
inline void set16(DnsBytes& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<std::uint8_t>(value >> 8);
  out[at + 1] = static_cast<std::uint8_t>(value & 0xff);
}

// RFC 8945 §4.3.3: the TSIG variables, `key_name` and `algorithm` as canonical wire names
// (defined in dns_update.cpp).
void put_tsig_variables(DnsBytes& out, std::span<const std::uint8_t> key_name,
                        std::span<const std::uint8_t> algorithm, const TsigParameters& params);

// A cursor over untrusted bytes: every read checks the bounds and reports failure instead.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}

  [[nodiscard]] std::size_t offset() const { return offset_; }
  [[nodiscard]] std::size_t remaining() const { return data_.size() - offset_; }

  std::optional<std::uint8_t> u8() {
    if (remaining() < 1) {
      return std::nullopt;
    }
    return data_[offset_++];
  }
  std::optional<std::uint16_t> u16() {
    if (remaining() < 2) {
      return std::nullopt;
    }
    const std::uint16_t value = get16(data_, offset_);
    offset_ += 2;
    return value;
  }
  std::optional<std::uint32_t> u32() {
    const auto high = u16();
    const auto low = high ? u16() : std::nullopt;
    if (!low) {
      return std::nullopt;
    }
    return (std::uint32_t{*high} << 16) | *low;
  }
  std::optional<std::uint64_t> u48() {
    const auto high = u16();
    const auto low = high ? u32() : std::nullopt;
    if (!low) {
      return std::nullopt;
    }
    return (std::uint64_t{*high} << 32) | *low;
  }
  std::optional<DnsBytes> bytes(std::size_t count) {
    if (remaining() < count) {
      return std::nullopt;
    }
    DnsBytes out(data_.begin() + static_cast<std::ptrdiff_t>(offset_),
                 data_.begin() + static_cast<std::ptrdiff_t>(offset_ + count));
    offset_ += count;
    return out;
  }
  bool skip(std::size_t count) {
    if (remaining() < count) {
      return false;
    }
    offset_ += count;
    return true;
  }
  // Reads a possibly compressed name starting at the cursor and returns it as a lowercase,
  // uncompressed wire name; the cursor ends after the name's bytes in place (after the first
  // pointer). Pointers must point strictly before the label that holds them, so every chain
  // ends; the expanded name is at most 255 octets; label types 01 and 10 are refused.
  std::optional<DnsBytes> name();

 private:
  std::span<const std::uint8_t> data_;
  std::size_t offset_ = 0;
};

}  // namespace mtasts::core::dns_wire
