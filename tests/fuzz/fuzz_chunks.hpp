#pragma once

// Chunk sizes for feeding a decoder its input in pieces: a xorshift generator seeded from the
// fuzz input, so a corpus entry always replays the same cuts. Seed 0 means one piece.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace mtasts::fuzz {

class ChunkSizes {
 public:
  // Sizes are `minimum + r % modulus` for pseudo-random r, never more than what is left.
  ChunkSizes(std::uint32_t seed, std::size_t minimum, std::size_t modulus)
      : state_(seed), minimum_(minimum), modulus_(modulus) {}

  // The size of the next piece of the `left` bytes still to feed.
  std::size_t next(std::size_t left) {
    if (state_ == 0) {
      return left;
    }
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return std::min<std::size_t>(left, minimum_ + state_ % modulus_);
  }

 private:
  std::uint32_t state_;
  std::size_t minimum_;
  std::size_t modulus_;
};

}  // namespace mtasts::fuzz
