#pragma once

// Small POSIX helpers shared by the socketmap load generator and the trivial server: address
// parsing, non-blocking sockets, and an incremental netstring reader. Benchmark code only; the
// product's netstring codec is mtasts::core (core/include/mtasts/core/socketmap/netstring.hpp).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace mtasts_bench {

// A TCP "host:port" (IPv4 literal) or a UNIX socket path (anything starting with '/').
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
};

inline std::optional<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint ep;
  if (!text.empty() && text.front() == '/') {
    sockaddr_un un{};
    if (text.size() >= sizeof(un.sun_path)) {
      return std::nullopt;
    }
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, text.data(), text.size());
    std::memcpy(&ep.addr, &un, sizeof(un));
    ep.len = static_cast<socklen_t>(sizeof(un));
    ep.family = AF_UNIX;
    return ep;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string host(text.substr(0, colon));
  const std::string port_text(text.substr(colon + 1));
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (end == port_text.c_str() || *end != '\0' || port == 0 || port > 65535) {
    return std::nullopt;
  }
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &in.sin_addr) != 1) {
    return std::nullopt;
  }
  std::memcpy(&ep.addr, &in, sizeof(in));
  ep.len = static_cast<socklen_t>(sizeof(in));
  return ep;
}

inline bool set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

inline void set_nodelay(int fd, const Endpoint& ep) {
  if (ep.family == AF_INET) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
}

// "<len>:<payload>,"
inline void append_netstring(std::string& out, std::string_view payload) {
  out += std::to_string(payload.size());
  out += ':';
  out += payload;
  out += ',';
}

// Incremental netstring reader over a connection's input buffer.
class NetstringReader {
 public:
  enum class Status { complete, need_more, bad };

  explicit NetstringReader(std::size_t limit) : limit_(limit) {}

  void feed(const char* data, std::size_t n) { buf_.append(data, n); }

  // On Status::complete, `payload` views the next netstring's payload; it stays valid until the
  // next call to next() or feed().
  Status next(std::string_view& payload) {
    compact();
    const std::string_view in(buf_.data() + pos_, buf_.size() - pos_);
    std::size_t len = 0;
    std::size_t i = 0;
    for (; i < in.size() && in[i] != ':'; ++i) {
      if (in[i] < '0' || in[i] > '9' || i >= 10) {
        return Status::bad;
      }
      len = len * 10 + static_cast<std::size_t>(in[i] - '0');
    }
    if (i == in.size()) {
      return Status::need_more;
    }
    if (i == 0 || len > limit_) {
      return Status::bad;
    }
    if (in.size() < i + 1 + len + 1) {
      return Status::need_more;
    }
    if (in[i + 1 + len] != ',') {
      return Status::bad;
    }
    payload = in.substr(i + 1, len);
    pos_ += i + 1 + len + 1;
    return Status::complete;
  }

 private:
  void compact() {
    if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }

  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t limit_;
};

}  // namespace mtasts_bench
