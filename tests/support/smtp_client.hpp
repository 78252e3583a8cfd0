#pragma once

// An SMTP/LMTP client for tests: raw bytes out, replies in (a multi-line reply as one string,
// its lines joined by "\n", CRLF removed), every read bounded by a deadline so a broken server
// fails the test instead of hanging it.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace mtasts::net::testing {

class SmtpClient {
 public:
  using Protocol = boost::asio::generic::stream_protocol;

  explicit SmtpClient(boost::asio::any_io_executor executor)
      : socket_(executor), timer_(executor) {}

  boost::asio::awaitable<bool> connect_tcp(std::uint16_t port) {
    boost::system::error_code ec;
    const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    co_await socket_.async_connect(Protocol::endpoint(ep),
                                   boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return !ec;
  }

  boost::asio::awaitable<bool> connect_unix(std::string path) {
    boost::system::error_code ec;
    const boost::asio::local::stream_protocol::endpoint ep(path);
    co_await socket_.async_connect(Protocol::endpoint(ep),
                                   boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return !ec;
  }

  boost::asio::awaitable<bool> send(std::string bytes) {
    boost::system::error_code ec;
    co_await boost::asio::async_write(socket_, boost::asio::buffer(bytes),
                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return !ec;
  }

  // Up to `count` complete replies; fewer when the server closes the connection (closed() is
  // then true) or nothing arrives for `timeout`.
  boost::asio::awaitable<std::vector<std::string>> replies(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::vector<std::string> out;
    while (out.size() < count) {
      const std::size_t end = buffer_.find("\r\n");
      if (end == std::string::npos) {
        const bool more = co_await read_some(timeout);
        if (!more) {
          break;
        }
        continue;
      }
      const std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      pending_ += pending_.empty() ? line : "\n" + line;
      if (line.size() < 4 || line[3] != '-') {
        out.push_back(std::move(pending_));
        pending_.clear();
      }
    }
    co_return out;
  }

  // True once the server has closed the connection (EOF or reset). Waits up to `timeout`;
  // what arrives meanwhile is kept for replies().
  boost::asio::awaitable<bool> wait_closed(std::chrono::milliseconds timeout) {
    while (!closed_) {
      const bool more = co_await read_some(timeout);
      if (!more) {
        break;
      }
    }
    co_return closed_;
  }

  [[nodiscard]] bool closed() const { return closed_; }

 private:
  // false on timeout or close
  boost::asio::awaitable<bool> read_some(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timed_out_ = false;
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        timed_out_ = true;
        socket_.cancel();
      }
    });
    std::array<char, 4096> buf{};
    boost::system::error_code ec;
    const std::size_t n = co_await socket_.async_read_some(
        boost::asio::buffer(buf), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    timer_.cancel();
    if (ec) {
      if (!timed_out_) {
        closed_ = true;
      }
      co_return false;
    }
    buffer_.append(buf.data(), n);
    co_return true;
  }

  Protocol::socket socket_;
  boost::asio::steady_timer timer_;
  std::string buffer_;
  std::string pending_;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace mtasts::net::testing
