#include "mtasts/core/socketmap/netstring.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace mtasts::core {

namespace {

// Consumed bytes are erased from the front of the buffer (before the next feed) only once they
// are this many and at least half of it, so pipelined input costs amortised O(1) per byte.
constexpr std::size_t kCompactThreshold = 4096;

}  // namespace

NetstringDecoder::NetstringDecoder(std::size_t max_payload) : max_payload_(max_payload) {}

void NetstringDecoder::feed(std::string_view bytes) {
  if (error_ || bytes.empty()) {
    return;
  }
  make_room(bytes.size());
  std::memcpy(buffer_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

std::span<char> NetstringDecoder::prepare(std::size_t size) {
  make_room(size);
  return {buffer_.data() + end_, size};
}

void NetstringDecoder::commit(std::size_t n) {
  if (error_) {
    return;
  }
  end_ += std::min(n, buffer_.size() - end_);
}

Result<std::optional<std::string>> NetstringDecoder::next() {
  auto view = next_view();
  if (!view) {
    return tl::unexpected(view.error());
  }
  if (!*view) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::in_place, **view);
}

Result<std::optional<std::string_view>> NetstringDecoder::next_view() {
  if (error_) {
    return tl::unexpected(*error_);
  }
  const char* const data = buffer_.data();
  if (stage_ == Stage::length) {
    // Length digits are consumed as they arrive, so a partial length is never rescanned and a
    // bad byte is reported as soon as it is seen. Locals, not members, while scanning: the
    // compiler must assume a char store may alias any member.
    std::size_t pos = pos_;
    std::size_t length = length_;
    std::size_t digits = digits_;
    for (;; ++pos) {
      if (pos == end_) {
        pos_ = pos;
        length_ = length;
        digits_ = digits;
        return std::optional<std::string_view>();
      }
      const char c = data[pos];
      if (c == ':') {
        break;
      }
      if (c < '0' || c > '9') {
        return fail_with(Errc::invalid_syntax, "netstring length has a byte that is not a digit");
      }
      // The netstring definition: "[len] begins with <30> exactly when [string] is empty".
      if (digits == 1 && length == 0) {
        return fail_with(Errc::invalid_syntax, "netstring length has a leading zero");
      }
      const auto digit = static_cast<std::size_t>(c - '0');
      if (length > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
        return fail_with(Errc::too_large, "netstring length has too many digits");
      }
      length = length * 10 + digit;
      ++digits;
      if (length > max_payload_) {
        return fail_with(Errc::too_large, "netstring length is over the limit of " +
                                              std::to_string(max_payload_) + " bytes");
      }
    }
    if (digits == 0) {
      return fail_with(Errc::invalid_syntax, "netstring length is empty");
    }
    pos_ = pos + 1;
    length_ = length;
    digits_ = digits;
    stage_ = Stage::payload;
  }
  const std::size_t pos = pos_;
  const std::size_t length = length_;
  if (end_ - pos <= length) {
    return std::optional<std::string_view>();
  }
  if (data[pos + length] != ',') {
    return fail_with(Errc::invalid_syntax, "netstring payload is not followed by ','");
  }
  pos_ = pos + length + 1;
  stage_ = Stage::length;
  length_ = 0;
  digits_ = 0;
  return std::optional<std::string_view>(std::in_place, data + pos, length);
}

Result<std::optional<std::string_view>> NetstringDecoder::fail_with(Errc code,
                                                                    std::string message) {
  error_ = Error{code, std::move(message)};
  // Nothing more will be decoded: release the buffer now.
  buffer_ = std::string();
  pos_ = 0;
  end_ = 0;
  return tl::unexpected(*error_);
}

void NetstringDecoder::make_room(std::size_t more) {
  if (pos_ == end_) {
    pos_ = 0;
    end_ = 0;
  } else if (pos_ >= kCompactThreshold && pos_ * 2 >= end_) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (buffer_.size() - end_ < more) {
    buffer_.resize(end_ + more);  // grows only: the storage is reused
  }
}

std::string encode_netstring(std::string_view payload) {
  std::string out = std::to_string(payload.size());
  out.reserve(out.size() + payload.size() + 2);
  out += ':';
  out += payload;
  out += ',';
  return out;
}

}  // namespace mtasts::core
