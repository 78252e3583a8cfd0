#pragma once

// A socketmap client for tests: raw bytes out, netstring replies in, every read bounded by a
// deadline so a broken server fails the test instead of hanging it.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/core/socketmap/netstring.hpp"

namespace mtasts::net::testing {

class SocketmapClient {
 public:
  using Protocol = boost::asio::generic::stream_protocol;

  explicit SocketmapClient(boost::asio::any_io_executor executor)
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

  boost::asio::awaitable<bool> ask(std::string payload) {
    co_return co_await send(core::encode_netstring(payload));
  }

  // Up to `count` replies; fewer when the server closes the connection (closed() is then true)
  // or nothing arrives for `timeout`.
  boost::asio::awaitable<std::vector<std::string>> replies(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::vector<std::string> out;
    while (out.size() < count) {
      auto next = decoder_.next();
      if (!next) {
        break;
      }
      if (!*next) {
        const bool more = co_await read_some(timeout);
        if (!more) {
          break;
        }
        continue;
      }
      out.push_back(std::move(**next));
    }
    co_return out;
  }

  // True once the server has closed the connection (EOF or reset). Waits up to `timeout`.
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
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

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
    decoder_.feed(std::string_view(buf.data(), n));
    co_return true;
  }

  Protocol::socket socket_;
  boost::asio::steady_timer timer_;
  core::NetstringDecoder decoder_{core::kPostfixMaxReply};
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace mtasts::net::testing
