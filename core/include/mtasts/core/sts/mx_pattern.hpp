#pragma once

// "mx" patterns of a policy (RFC 8461 §3.2, §4.1): a host name, or "*." and a host name
// where the wildcard stands for exactly one left-most label.

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

#include "mtasts/core/base/packed_strings.hpp"
#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

// A pattern read from a policy (MxPatterns): views into the policy, valid while it lives.
struct MxPatternView {
  bool wildcard = false;    // written "*.<domain>"
  std::string_view domain;  // lowercase A-labels, no trailing dot

  // The pattern as a policy writes it: "*.example.net" or "mail.example.net".
  [[nodiscard]] std::string text() const;
  friend bool operator==(const MxPatternView&, const MxPatternView&) = default;
};

// A pattern that owns its text, as parse_mx_pattern() returns it.
struct MxPattern {
  bool wildcard = false;  // written "*.<domain>"
  std::string domain;     // lowercase A-labels, no trailing dot

  [[nodiscard]] std::string text() const;
  // A view of this pattern, valid while it lives and is not modified.
  operator MxPatternView() const noexcept { return {wildcard, domain}; }  // NOLINT
  friend bool operator==(const MxPattern&, const MxPattern&) = default;
};

// The mx patterns of a policy, in order, packed into one heap block (PackedStrings): a policy
// is cached by the hundred thousand. Elements are read as MxPatternView.
class MxPatterns {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = MxPatternView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = MxPatternView;

    Iterator() = default;
    [[nodiscard]] MxPatternView operator*() const;
    Iterator& operator++() {
      ++at_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++at_;
      return old;
    }
    friend bool operator==(const Iterator&, const Iterator&) = default;

   private:
    friend class MxPatterns;
    explicit Iterator(PackedStrings::Iterator at) : at_(at) {}
    PackedStrings::Iterator at_;
  };
  using iterator = Iterator;
  using const_iterator = Iterator;
  using value_type = MxPatternView;

  // Appends a copy of the pattern (std::bad_alloc when memory runs out).
  void push_back(MxPatternView pattern);
  void clear() noexcept { items_.clear(); }
  void shrink_to_fit() { items_.shrink_to_fit(); }

  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] Iterator begin() const noexcept { return Iterator(items_.begin()); }
  [[nodiscard]] Iterator end() const noexcept { return Iterator(items_.end()); }
  // Bytes of the heap block (0 when empty).
  [[nodiscard]] std::size_t allocated_bytes() const noexcept { return items_.allocated_bytes(); }

  friend bool operator==(const MxPatterns&, const MxPatterns&) = default;

 private:
  PackedStrings items_;  // per pattern: '*' when wildcard, else '=', then the domain
};

// Parses an mx value exactly as the ABNF allows ("*."? Domain), after the caller has stripped
// a tolerated trailing dot. Uppercase is accepted and lowercased. U-labels are rejected: the
// RFC requires A-labels in policies.
[[nodiscard]] Result<MxPattern> parse_mx_pattern(std::string_view value);

// RFC 8461 §4.1: does the MX host name match the pattern? Case-insensitive, one trailing dot
// on the host ignored, "*." matches exactly one non-empty left-most label. A pattern or a
// host that is an address literal never matches (CONFORMANCE 020).
[[nodiscard]] bool mx_matches(MxPatternView pattern, std::string_view mx_host);

}  // namespace mtasts::core
