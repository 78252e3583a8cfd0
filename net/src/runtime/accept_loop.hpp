#pragma once

// What the HTTP server and the socketmap server share about their connections: the accept
// loop, a connection's socket under one watchdog deadline, and the drain. Templates over the
// socket's protocol (TCP for HTTP, TCP or UNIX for socketmap). Private to mtasts::net.
//
// None of it runs per request: a request only moves a connection's deadline (set_deadline,
// inline) and phase.

#include <boost/asio/awaitable.hpp>
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

// A client connection's socket. The watchdog (watch_deadline) closes the socket when
// `deadline` passes, which ends any pending read or write: a deadline on every operation
// without a timer per operation.
template <class Protocol>
struct WatchedSocket {
  enum class Phase {
    reading,  // waiting for bytes: closed at once by a drain
    busy,     // handling requests or writing answers: a drain lets it finish
  };

  WatchedSocket(typename Protocol::socket s, Phase initial)
      : socket(std::move(s)), timer(socket.get_executor()), phase(initial) {}

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

// Accepts on `acceptor` until it is closed or the server drains, handing each socket to
// `accepted(state, socket)` (with the shared state; it applies the connection limit and starts the
// connection). An accept error (EMFILE and friends) is logged and retried after a pause rather than
// in a spin on an error that repeats at once. `State` has `draining`, `log` and `executor`.
template <class State, class Acceptor, class OnAccepted>
boost::asio::awaitable<void> accept_loop(std::shared_ptr<State> state, Acceptor* acceptor,
                                         OnAccepted accepted) {
  namespace asio = boost::asio;
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->draining || !acceptor->is_open() || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      state->log.log(LogLevel::warn, "accept-error", {{"error", ec.message()}});
      asio::steady_timer pause(state->executor, kAcceptRetryDelay);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    accepted(state, std::move(socket));
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
