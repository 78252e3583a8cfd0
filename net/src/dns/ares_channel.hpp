#pragma once

// One c-ares channel driven by an Asio executor: c-ares reports the sockets it wants watched
// (ARES_OPT_SOCK_STATE_CB), Asio waits on them with posix::stream_descriptor, and one
// steady_timer follows ares_timeout(). Private to mtasts::net.

#include <ares.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mtasts/core/base/result.hpp"

namespace mtasts::net {

// What one c-ares query produced.
struct RawReply {
  bool timed_out = false;           // our deadline passed first; status and bytes are empty
  int status = ARES_SUCCESS;        // the ares_status_t c-ares reported
  std::vector<std::uint8_t> bytes;  // the raw response when c-ares passed one (any rcode)
};

struct ChannelServer {
  int family = 0;                   // AF_INET or AF_INET6
  std::vector<std::uint8_t> bytes;  // 4 or 16 address octets
  std::uint16_t port = 53;
};

class AresChannel : public std::enable_shared_from_this<AresChannel> {
 public:
  // `timeout` bounds each query; an empty `servers` uses /etc/resolv.conf.
  // Errors: net::Errc::system with the c-ares message.
  [[nodiscard]] static core::Result<std::shared_ptr<AresChannel>> create(
      boost::asio::any_io_executor executor, const std::vector<ChannelServer>& servers,
      std::chrono::milliseconds timeout);

  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;
  ~AresChannel();

  // One query for (name, IN, type). Completes within the timeout; never throws.
  boost::asio::awaitable<RawReply> query(std::string name, std::uint16_t type);

  [[nodiscard]] std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  struct Watch;
  struct Pending;

  AresChannel(boost::asio::any_io_executor executor, std::chrono::milliseconds timeout);

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_reply(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  void set_watch(int fd, bool readable, bool writable);
  void arm(const std::shared_ptr<Watch>& watch);
  void on_ready(const std::shared_ptr<Watch>& watch, bool readable);
  void arm_timer();

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds timeout_;
  ares_channel channel_ = nullptr;
  boost::asio::steady_timer timer_;
  std::map<int, std::shared_ptr<Watch>> watches_;
  bool closing_ = false;
};

}  // namespace mtasts::net
