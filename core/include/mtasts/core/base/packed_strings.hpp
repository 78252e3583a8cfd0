#pragma once

// A list of strings packed into one heap block, for text held once per cached policy (its mx
// patterns and field lines): the daemon keeps 100,000 policies, so a std::vector<std::string>
// (24 bytes, plus 32 per element, plus a heap block per element over 15 bytes) costs several
// times the text itself. Here the handle is one pointer, the block a 12-byte header, and each
// string its bytes plus a one-byte length (five bytes from 255 bytes up).

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string_view>

namespace mtasts::core {

class PackedStrings {
 public:
  // Reads the strings in order, as views into the block: valid until the list is modified,
  // assigned or destroyed.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    Iterator() = default;
    [[nodiscard]] std::string_view operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(Iterator a, Iterator b) { return a.at_ == b.at_; }

   private:
    friend class PackedStrings;
    explicit Iterator(const char* at) : at_(at) {}
    const char* at_ = nullptr;
  };
  using iterator = Iterator;
  using const_iterator = Iterator;
  using value_type = std::string_view;

  PackedStrings() noexcept = default;
  // A copy holds exactly the bytes in use (no spare capacity).
  PackedStrings(const PackedStrings& other);
  PackedStrings(PackedStrings&& other) noexcept = default;
  PackedStrings& operator=(const PackedStrings& other);
  PackedStrings& operator=(PackedStrings&& other) noexcept = default;
  ~PackedStrings() = default;

  // Appends a copy of `text`, growing the block geometrically. Throws std::length_error past
  // 4 GiB in all (policies are limited to 64 KiB), std::bad_alloc when memory runs out.
  void push_back(std::string_view text);
  // Removes every string and frees the block.
  void clear() noexcept { block_.reset(); }
  // Gives back the spare capacity left by push_back().
  void shrink_to_fit();

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return block_ == nullptr; }
  [[nodiscard]] Iterator begin() const noexcept;
  [[nodiscard]] Iterator end() const noexcept;
  // Bytes of the heap block (0 when empty).
  [[nodiscard]] std::size_t allocated_bytes() const noexcept;

  // The same strings in the same order.
  friend bool operator==(const PackedStrings& a, const PackedStrings& b) noexcept;

 private:
  struct Header {
    std::uint32_t count;     // strings held
    std::uint32_t used;      // bytes in use after the header
    std::uint32_t capacity;  // bytes allocated after the header
  };
  [[nodiscard]] Header header() const noexcept;
  void set_header(const Header& header) noexcept;
  [[nodiscard]] const char* data() const noexcept { return block_.get() + sizeof(Header); }
  void reallocate(std::uint32_t capacity);

  std::unique_ptr<char[]> block_;  // Header, then the strings; null when empty
};

}  // namespace mtasts::core
