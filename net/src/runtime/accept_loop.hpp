#pragma once

// What the HTTP server and the socketmap server share about their connections: the accept
// loop, a connection's socket under one watchdog deadline, and the drain. Templates over the
// socket's protocol (TCP for HTTP, TCP or UNIX for socketmap). Private to mtasts::net.
//
// None of it runs per request: a request only moves a connection's deadline (set_deadline,
// inline), phase and place in the ActivityList (touch, inline).

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <string_view>
#include <unordered_set>

#include "mtasts/net/runtime/log.hpp"
#include "socketmap/flight.hpp"

namespace mtasts::net::detail {

using SteadyClock = std::chrono::steady_clock;

inline constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// How many of the least recently active connections a full server looks at for one to close.
inline constexpr int kEvictScan = 64;

// A server's open connections from the least recently active to the most (an intrusive list:
// no allocation, O(1) per change). A connection is listed from its accept to its close, and
// moves to the newest end when a request of it is complete; bytes that trickle in do not move
// it. A full server closes the least recently active connection that waits for its client
// (evict_one), so a flood of silent or slow connections cannot lock clients out.
template <class Node>
class ActivityList {
 public:
  ActivityList() = default;
  ActivityList(const ActivityList&) = delete;
  ActivityList& operator=(const ActivityList&) = delete;

  void push_newest(Node& node) {
    node.activity = this;
    node.older = newest_;
    node.newer = nullptr;
    (newest_ != nullptr ? newest_->newer : oldest_) = &node;
    newest_ = &node;
  }

  void remove(Node& node) {
    if (node.activity != this) {
      return;
    }
    (node.older != nullptr ? node.older->newer : oldest_) = node.newer;
    (node.newer != nullptr ? node.newer->older : newest_) = node.older;
    node.older = nullptr;
    node.newer = nullptr;
    node.activity = nullptr;
  }

  // Marks `node` as the most recently active.
  void touch(Node& node) {
    if (node.activity == this && newest_ != &node) {
      remove(node);
      push_newest(node);
    }
  }

  // Closes (and unlists) the least recently active connection that is not busy with a
  // request, among the kEvictScan oldest. False when there is none: every one is busy.
  bool evict_one() {
    Node* node = oldest_;
    for (int i = 0; node != nullptr && i < kEvictScan; ++i, node = node->newer) {
      if (node->phase != Node::Phase::busy) {
        node->close();
        return true;
      }
    }
    return false;
  }

 private:
  Node* oldest_ = nullptr;
  Node* newest_ = nullptr;
};

// A client connection's socket. The watchdog (watch_deadline) closes the socket when
// `deadline` passes, which ends any pending read or write: a deadline on every operation
// without a timer per operation.
// Whether a server whose `state` holds `connections`, `options.max_connections`, `activity`
// and `stats.{rejected,evicted}` takes a new connection: under the cap, or at it when the least
// recently active connection waiting for its client could be evicted to make room. Refused:
// the socket is closed and counted.
template <class State, class Socket>
bool admit_connection(State& state, Socket& socket) {
  if (state.connections.size() < state.options.max_connections) {
    return true;
  }
  if (!state.activity.evict_one()) {
    ++state.stats.rejected;
    boost::system::error_code ignored;
    socket.close(ignored);
    return false;
  }
  ++state.stats.evicted;
  return true;
}

template <class Protocol>
struct WatchedSocket {
  enum class Phase {
    reading,    // waiting for bytes: closed at once by a drain
    receiving,  // a request (or TLS handshake) started, waiting for the rest: a drain lets it
                // finish
    busy,       // handling requests or writing answers: a drain lets it finish, and a full
                // server never closes it for a new client
  };

  WatchedSocket(typename Protocol::socket s, Phase initial)
      : socket(std::move(s)), timer(socket.get_executor()), phase(initial) {}
  ~WatchedSocket() {
    if (activity != nullptr) {
      activity->remove(*this);
    }
  }
  WatchedSocket(const WatchedSocket&) = delete;
  WatchedSocket& operator=(const WatchedSocket&) = delete;

  void set_deadline(SteadyClock::time_point when) {
    deadline = when;
    if (when < timer.expiry()) {
      timer.cancel();  // the watchdog re-arms for the earlier deadline
    }
  }

  void close() {
    if (!open) {
      return;
    }
    open = false;
    if (activity != nullptr) {
      activity->remove(*this);
    }
    boost::system::error_code ignored;
    socket.shutdown(Protocol::socket::shutdown_both, ignored);
    socket.close(ignored);
    timer.cancel();
  }

  typename Protocol::socket socket;
  boost::asio::steady_timer timer;
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  Phase phase;
  bool open = true;
  // The server's ActivityList, while listed (open), and the neighbours in it.
  ActivityList<WatchedSocket>* activity = nullptr;
  WatchedSocket* older = nullptr;
  WatchedSocket* newer = nullptr;
};

// Runs until the connection is closed. Returns true when its deadline closed it.
template <class Connection>
boost::asio::awaitable<bool> watch_deadline(std::shared_ptr<Connection> conn) {
  while (conn->open) {
    const SteadyClock::time_point deadline = conn->deadline;
    if (deadline <= SteadyClock::now()) {
      conn->close();
      co_return true;
    }
    conn->timer.expires_at(deadline);
    boost::system::error_code ec;
    co_await conn->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  co_return false;
}

// A descriptor held in reserve (/dev/null), so that a process out of descriptors can still take
// a waiting connection off its listen queue and close it at once: the client learns at once
// that it is refused, rather than waiting in the queue until it times out (the spare-descriptor
// technique of libev and nginx).
class SpareDescriptor {
 public:
  SpareDescriptor() { take(); }
  ~SpareDescriptor() { give_up(); }
  SpareDescriptor(const SpareDescriptor&) = delete;
  SpareDescriptor& operator=(const SpareDescriptor&) = delete;

  // Closes every connection waiting on `listen_fd` (at most `limit`), using the spare
  // descriptor for each in turn; the number closed.
  std::size_t refuse_waiting(int listen_fd, std::size_t limit) {
    give_up();
    std::size_t refused = 0;
    while (refused < limit) {
      pollfd ready{listen_fd, POLLIN, 0};
      if (::poll(&ready, 1, 0) <= 0) {
        break;
      }
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        break;
      }
      ::close(fd);
      ++refused;
    }
    take();
    return refused;
  }

 private:
  void take() {
    if (fd_ < 0) {
      fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
  }
  void give_up() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  int fd_ = -1;
};

inline bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == boost::asio::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

// Accepts on `acceptor` until it is closed or the server drains, handing each socket to
// `accepted(state, socket)` (with the shared state; it applies the connection limit and starts the
// connection). Out of descriptors (EMFILE, ENFILE), the connections waiting in the listen queue are
// closed at once (SpareDescriptor) and counted by `accepted.refused(state, n)`; a warning is
// logged at most every 10 s. Other accept errors are logged and retried after a pause rather than
// in a spin on an error that repeats at once. `State` has `draining`, `log` and `executor`.
template <class State, class Acceptor, class OnAccepted>
boost::asio::awaitable<void> accept_loop(std::shared_ptr<State> state, Acceptor* acceptor,
                                         OnAccepted accepted) {
  namespace asio = boost::asio;
  constexpr std::size_t kRefuseAtOnce = 1024;
  constexpr auto kWarnEvery = std::chrono::seconds(10);
  SpareDescriptor spare;
  SteadyClock::time_point warned_at{};
  std::size_t refused_since_warning = 0;
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->draining || !acceptor->is_open() || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (!ec) {
      accepted(state, std::move(socket));
      continue;
    }
    std::size_t refused = 0;
    if (out_of_descriptors(ec)) {
      refused = spare.refuse_waiting(acceptor->native_handle(), kRefuseAtOnce);
      accepted.refused(state, refused);
      refused_since_warning += refused;
    }
    if (const auto now = SteadyClock::now(); refused == 0 || now >= warned_at + kWarnEvery) {
      warned_at = now;
      state->log.log(LogLevel::warn, "accept-error",
                     {{"error", ec.message()}, {"refused", refused_since_warning}});
      refused_since_warning = 0;
    }
    if (refused == 0) {
      asio::steady_timer pause(state->executor, kAcceptRetryDelay);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

// The drain of a server whose listeners are closed: connections waiting for bytes are closed
// at once, the others finish until `drained` fires or `timeout` passes; then the rest are
// closed and `event` is logged with their number.
template <class Connection>
boost::asio::awaitable<void> drain_connections(std::unordered_set<Connection*>& connections,
                                               std::shared_ptr<Event> drained,
                                               std::chrono::milliseconds timeout, Logger& log,
                                               std::string_view event) {
  std::vector<Connection*> idle;
  for (Connection* conn : connections) {
    if (conn->phase == Connection::Phase::reading) {
      idle.push_back(conn);
    }
  }
  for (Connection* conn : idle) {
    conn->close();
  }
  if (connections.empty()) {
    co_return;
  }
  co_await Event::wait(drained, SteadyClock::now() + timeout);
  if (!connections.empty()) {
    log.log(LogLevel::warn, event, {{"connections", connections.size()}});
    for (Connection* conn : connections) {
      conn->close();
    }
  }
}

}  // namespace mtasts::net::detail
