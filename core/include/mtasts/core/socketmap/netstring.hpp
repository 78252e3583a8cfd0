#pragma once

// Netstrings (D. J. Bernstein, "Netstrings", 1997): "<len>:<data>," where <len> is the decimal
// byte count of <data>, without leading zeros. They frame every request and reply of Postfix's
// socketmap protocol (socketmap_table(5)).
//
// The decoder is sans-I/O and incremental, in the manner of Beast's basic_parser::put: the
// caller feeds whatever bytes a read produced, then drains complete payloads with next().
// "Need more bytes" is a normal state; a framing error is terminal for the connection.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"

namespace mtasts::core {

// Postfix socketmap limits (dict_sockmap.c): the longest request Postfix sends and the longest
// reply it reads, both counted as netstring payload bytes, without the framing.
inline constexpr std::size_t kPostfixMaxQuery = 10'000;
inline constexpr std::size_t kPostfixMaxReply = 100'000;

class NetstringDecoder {
 public:
  // `max_payload` bounds the payload of one netstring. A longer announced length is an error
  // as soon as its digits arrive, before any of its payload is buffered.
  explicit NetstringDecoder(std::size_t max_payload = kPostfixMaxQuery);

  // Appends bytes received from the peer. Bytes fed after an error are discarded. Call next()
  // until it yields nothing before feeding again: the decoder then holds at most one partial
  // netstring plus the last chunk, and consumed bytes are released as it goes (here, so views
  // returned by next_view() stay valid until the next feed).
  void feed(std::string_view bytes);

  // feed() without the copy, for a read straight into the decoder: prepare() returns room for
  // `size` more bytes at the end of its buffer (views from next_view() end here, as with
  // feed()), then commit(n) takes the first n of them (n <= size; bytes committed after an
  // error are discarded). Nothing else may be called in between.
  [[nodiscard]] std::span<char> prepare(std::size_t size);
  void commit(std::size_t n);

  // The next complete payload; std::nullopt when more bytes are needed. Errors are terminal:
  // once one is returned, every later call returns the same error.
  //   Errc::invalid_syntax  the length is empty, has a non-digit byte or a leading zero, or the
  //                         payload is not followed by ','
  //   Errc::too_large       the announced length exceeds max_payload (this is also how a length
  //                         with too many digits surfaces)
  [[nodiscard]] Result<std::optional<std::string>> next();

  // As next(), without a copy: the payload is a view into the decoder's buffer, valid until the
  // next feed() or the next error (payloads returned before an error are then invalid too).
  [[nodiscard]] Result<std::optional<std::string_view>> next_view();

  // Bytes held that are not yet part of a returned payload or a consumed length prefix.
  [[nodiscard]] std::size_t buffered() const { return end_ - pos_; }

  // True when part of a netstring has arrived but not all of it: a peer that closes the
  // connection now has truncated its request.
  [[nodiscard]] bool partial() const { return digits_ != 0 || buffered() != 0; }

  // True once next() has returned an error.
  [[nodiscard]] bool failed() const { return error_.has_value(); }

 private:
  enum class Stage { length, payload };

  Result<std::optional<std::string_view>> fail_with(Errc code, std::string message);
  // Drops consumed bytes (see kCompactThreshold) and makes room for `more` bytes after end_.
  void make_room(std::size_t more);

  std::size_t max_payload_;
  std::string buffer_;   // storage: bytes held are [pos_, end_), the rest is room
  std::size_t pos_ = 0;  // first byte of buffer_ not yet consumed
  std::size_t end_ = 0;  // one past the last byte held
  Stage stage_ = Stage::length;
  std::size_t length_ = 0;  // announced payload length, accumulated digit by digit
  std::size_t digits_ = 0;  // length digits consumed so far
  std::optional<Error> error_;
};

// Frames `payload` as a netstring. Any bytes are allowed; the result owns a copy.
[[nodiscard]] std::string encode_netstring(std::string_view payload);

}  // namespace mtasts::core
