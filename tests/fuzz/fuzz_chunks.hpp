#pragma once

// Input cut into pieces for feeding a decoder: piece sizes come from a xorshift generator
// seeded from the fuzz input, so a corpus entry always replays the same cuts. Seed 0 means one
// piece.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mtasts::fuzz {

class Chunks {
 public:
  // Pieces of `bytes` (which must outlive this) of `minimum + r % modulus` bytes for
  // pseudo-random r, the last one what is left.
  Chunks(std::string_view bytes, std::uint32_t seed, std::size_t minimum, std::size_t modulus)
      : bytes_(bytes), state_(seed), minimum_(minimum), modulus_(modulus) {}

  // The next piece; nullopt once every byte was handed out.
  std::optional<std::string_view> next() {
    if (bytes_.empty()) {
      return std::nullopt;
    }
    std::size_t size = bytes_.size();
    if (state_ != 0) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 17;
      state_ ^= state_ << 5;
      size = std::min<std::size_t>(size, minimum_ + state_ % modulus_);
    }
    const std::string_view piece = bytes_.substr(0, size);
    bytes_.remove_prefix(size);
    return piece;
  }

 private:
  std::string_view bytes_;
  std::uint32_t state_;
  std::size_t minimum_;
  std::size_t modulus_;
};

}  // namespace mtasts::fuzz
