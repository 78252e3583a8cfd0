#include "mtasts/core/netstring.hpp"

#include <limits>
#include <utility>

namespace mtasts::core {

namespace {

// Consumed bytes are erased from the front of the buffer only once they are this many and at
// least half of it, so pipelined input costs amortised O(1) per byte.
constexpr std::size_t kCompactThreshold = 4096;

}  // namespace

NetstringDecoder::NetstringDecoder(std::size_t max_payload) : max_payload_(max_payload) {}

void NetstringDecoder::feed(std::string_view bytes) {
  if (error_) {
    return;
  }
  buffer_.append(bytes);
}

Result<std::optional<std::string>> NetstringDecoder::next() {
  if (error_) {
    return tl::unexpected(*error_);
  }
  if (stage_ == Stage::length) {
    // Length digits are consumed as they arrive, so a partial length is never rescanned and a
    // bad byte is reported as soon as it is seen.
    while (pos_ < buffer_.size()) {
      const char c = buffer_[pos_];
      if (c == ':') {
        if (digits_ == 0) {
          return fail_with(Errc::invalid_syntax, "netstring length is empty");
        }
        ++pos_;
        stage_ = Stage::payload;
        break;
      }
      if (c < '0' || c > '9') {
        return fail_with(Errc::invalid_syntax, "netstring length has a byte that is not a digit");
      }
      // The netstring definition: "[len] begins with <30> exactly when [string] is empty".
      if (digits_ == 1 && length_ == 0) {
        return fail_with(Errc::invalid_syntax, "netstring length has a leading zero");
      }
      const auto digit = static_cast<std::size_t>(c - '0');
      if (length_ > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
        return fail_with(Errc::too_large, "netstring length has too many digits");
      }
      length_ = length_ * 10 + digit;
      ++digits_;
      if (length_ > max_payload_) {
        return fail_with(Errc::too_large, "netstring length is over the limit of " +
                                              std::to_string(max_payload_) + " bytes");
      }
      ++pos_;
    }
    if (stage_ == Stage::length) {
      compact();
      return std::optional<std::string>();
    }
  }
  if (buffer_.size() - pos_ <= length_) {
    compact();
    return std::optional<std::string>();
  }
  if (buffer_[pos_ + length_] != ',') {
    return fail_with(Errc::invalid_syntax, "netstring payload is not followed by ','");
  }
  std::optional<std::string> payload(std::in_place, buffer_, pos_, length_);
  pos_ += length_ + 1;
  stage_ = Stage::length;
  length_ = 0;
  digits_ = 0;
  compact();
  return payload;
}

Result<std::optional<std::string>> NetstringDecoder::fail_with(Errc code, std::string message) {
  error_ = Error{code, std::move(message)};
  // Nothing more will be decoded: release the buffer now.
  buffer_ = std::string();
  pos_ = 0;
  return tl::unexpected(*error_);
}

void NetstringDecoder::compact() {
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ >= kCompactThreshold && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
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
