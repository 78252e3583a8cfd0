#include "mtasts/core/base/packed_strings.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace mtasts::core {
namespace {

// A string is its length, then its bytes. Lengths up to 254 take one byte; longer ones the
// marker byte and four bytes (the block is byte-aligned, so every field goes through memcpy).
constexpr unsigned char kLongLength = 255;
constexpr std::size_t kLongPrefix = 1 + sizeof(std::uint32_t);

std::size_t prefix_size(std::size_t length) {
  return length < kLongLength ? 1 : kLongPrefix;
}

struct Item {
  std::size_t offset;  // of the first byte of the string
  std::size_t length;
};

Item read_item(const char* at) {
  const auto first = static_cast<unsigned char>(*at);
  if (first != kLongLength) {
    return {1, first};
  }
  std::uint32_t length = 0;
  std::memcpy(&length, at + 1, sizeof length);
  return {kLongPrefix, length};
}

}  // namespace

std::string_view PackedStrings::Iterator::operator*() const {
  const Item item = read_item(at_);
  return {at_ + item.offset, item.length};
}

PackedStrings::Iterator& PackedStrings::Iterator::operator++() {
  const Item item = read_item(at_);
  at_ += item.offset + item.length;
  return *this;
}

PackedStrings::PackedStrings(const PackedStrings& other) {
  if (other.block_ == nullptr) {
    return;
  }
  Header copy = other.header();
  copy.capacity = copy.used;
  block_ = std::make_unique_for_overwrite<char[]>(sizeof(Header) + copy.used);
  set_header(copy);
  std::memcpy(block_.get() + sizeof(Header), other.data(), copy.used);
}

PackedStrings& PackedStrings::operator=(const PackedStrings& other) {
  if (this != &other) {
    PackedStrings copy(other);
    block_ = std::move(copy.block_);
  }
  return *this;
}

void PackedStrings::push_back(std::string_view text) {
  const std::size_t need = prefix_size(text.size()) + text.size();
  Header h = block_ ? header() : Header{0, 0, 0};
  if (need > std::numeric_limits<std::uint32_t>::max() - h.used) {
    throw std::length_error("PackedStrings: over 4 GiB");
  }
  const auto used = static_cast<std::uint32_t>(h.used + need);
  if (used > h.capacity) {
    const std::uint32_t doubled =
        h.capacity > std::numeric_limits<std::uint32_t>::max() / 2 ? used : 2 * h.capacity;
    reallocate(std::max(used, doubled));
    h = header();
  }
  char* at = block_.get() + sizeof(Header) + h.used;
  if (text.size() < kLongLength) {
    *at = static_cast<char>(text.size());
    ++at;
  } else {
    const auto length = static_cast<std::uint32_t>(text.size());
    *at = static_cast<char>(kLongLength);
    std::memcpy(at + 1, &length, sizeof length);
    at += kLongPrefix;
  }
  if (!text.empty()) {
    std::memcpy(at, text.data(), text.size());
  }
  h.count += 1;
  h.used = used;
  set_header(h);
}

void PackedStrings::shrink_to_fit() {
  if (block_ != nullptr && header().capacity != header().used) {
    reallocate(header().used);
  }
}

std::size_t PackedStrings::size() const noexcept {
  return block_ ? header().count : 0;
}

PackedStrings::Iterator PackedStrings::begin() const noexcept {
  return Iterator(block_ ? data() : nullptr);
}

PackedStrings::Iterator PackedStrings::end() const noexcept {
  return Iterator(block_ ? data() + header().used : nullptr);
}

std::size_t PackedStrings::allocated_bytes() const noexcept {
  return block_ ? sizeof(Header) + header().capacity : 0;
}

bool operator==(const PackedStrings& a, const PackedStrings& b) noexcept {
  if (a.block_ == nullptr || b.block_ == nullptr) {
    return a.block_ == b.block_;
  }
  // The encoding is canonical: equal bytes exactly when equal strings.
  const auto ha = a.header();
  const auto hb = b.header();
  return ha.count == hb.count && ha.used == hb.used &&
         std::memcmp(a.data(), b.data(), ha.used) == 0;
}

PackedStrings::Header PackedStrings::header() const noexcept {
  Header h{};
  std::memcpy(&h, block_.get(), sizeof h);
  return h;
}

void PackedStrings::set_header(const Header& header) noexcept {
  std::memcpy(block_.get(), &header, sizeof header);
}

void PackedStrings::reallocate(std::uint32_t capacity) {
  Header h = block_ ? header() : Header{0, 0, 0};
  auto block = std::make_unique_for_overwrite<char[]>(sizeof(Header) + capacity);
  if (block_ != nullptr) {
    std::memcpy(block.get() + sizeof(Header), data(), h.used);
  }
  h.capacity = capacity;
  block_ = std::move(block);
  set_header(h);
}

}  // namespace mtasts::core
