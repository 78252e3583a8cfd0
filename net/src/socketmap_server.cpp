// SocketmapServer's connections: one coroutine each, with a watchdog for its deadlines.

#include <time.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

#include "mtasts/core/postfix_reply.hpp"
#include "mtasts/core/socketmap.hpp"
#include "socketmap_server_state.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using detail::Protocol;
using Clock = std::chrono::steady_clock;
using asio::use_awaitable;

constexpr std::size_t kReadChunk = 4096;
// Replies of pipelined requests are written together, but never more than this at once.
constexpr std::size_t kFlushAt = 64 * 1024;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

using detail::Connection;
using detail::Listener;

using State = SocketmapServer::State;

asio::awaitable<void> watchdog(std::shared_ptr<State> state, std::shared_ptr<Connection> conn) {
  while (conn->open) {
    const Clock::time_point deadline = conn->deadline;
    if (deadline <= Clock::now()) {
      ++state->stats.timed_out;
      if (state->log.enabled(LogLevel::debug)) {
        state->log.log(LogLevel::debug, "connection-timeout", {});
      }
      conn->close();
      co_return;
    }
    conn->timer.expires_at(deadline);
    boost::system::error_code ec;
    co_await conn->timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

// Appends the netstring of `payload` to `out` (core::encode_netstring without a temporary).
void append_netstring(std::string& out, std::string_view payload) {
  std::array<char, 24> digits{};
  const auto [end, ec] =
      std::to_chars(digits.data(), digits.data() + digits.size(), payload.size());
  out.append(digits.data(), end);
  out += ':';
  out += payload;
  out += ',';
}

// Sends what the socket takes of `out` at once, without blocking; erases it from `out`. False
// on a connection error.
bool send_now(Connection& conn, std::string& out) {
  boost::system::error_code ec;
  const std::size_t sent = conn.socket.write_some(asio::buffer(out), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    return true;
  }
  if (ec) {
    return false;
  }
  out.erase(0, sent);
  return true;
}

// Writes `out` within the write timeout and clears it; false when the connection failed or
// timed out. The usual reply is taken at once by the socket (send_now): no deadline, no
// asynchronous operation, no coroutine frame.
asio::awaitable<bool> write_rest(State& state, Connection& conn, std::string& out) {
  conn.set_deadline(Clock::now() + state.options.write_timeout);
  boost::system::error_code ec;
  co_await asio::async_write(conn.socket, asio::buffer(out),
                             asio::redirect_error(use_awaitable, ec));
  conn.set_deadline(Clock::time_point::max());
  out.clear();
  co_return !ec;
}

// Answers every complete request in `decoder`, appending the replies to `out` (empty on entry
// and on return) and writing them; false when the connection must close (framing error,
// failed write).
asio::awaitable<bool> answer_buffered(State& state, Connection& conn,
                                      core::NetstringDecoder& decoder, std::string& out) {
  bool keep = true;
  for (;;) {
    auto next = decoder.next();
    if (!next) {
      ++state.stats.bad_framing;
      if (state.log.enabled(LogLevel::debug)) {
        state.log.log(LogLevel::debug, "connection-bad-request", {{"error", next.error().message}});
      }
      keep = false;
      break;
    }
    if (!next->has_value()) {
      break;
    }
    conn.phase = Connection::Phase::busy;
    conn.set_deadline(Clock::time_point::max());
    auto request = core::parse_socketmap_request(**next);
    if (request) {
      // co_await only as a whole statement or initialiser: GCC 12 miscompiles it inside
      // conditions and short-circuit operands.
      const std::string reply =
          co_await state.handler.handle(std::move(request->map_name), std::move(request->key));
      if (reply.size() > core::kPostfixMaxReply) {
        append_netstring(out, core::render_temp("reply too large"));
      } else {
        append_netstring(out, reply);
      }
    } else {
      append_netstring(out, core::render_perm("invalid request"));
    }
    ++state.stats.requests;
    if (out.size() >= kFlushAt) {
      if (!send_now(conn, out)) {
        co_return false;
      }
      if (!out.empty()) {
        const bool written = co_await write_rest(state, conn, out);
        if (!written) {
          co_return false;
        }
      }
    }
  }
  if (!out.empty() && !send_now(conn, out)) {
    co_return false;
  }
  if (!out.empty()) {
    const bool written = co_await write_rest(state, conn, out);
    if (!written) {
      co_return false;
    }
  }
  co_return keep;
}

// Deadlines need no precision finer than the kernel tick: the coarse clock is cheaper to read.
Clock::time_point coarse_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return Clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

asio::awaitable<void> serve(std::shared_ptr<State> state, std::shared_ptr<Connection> conn) {
  try {
    // Synchronous sends return would_block instead of blocking (see send_now).
    conn->socket.non_blocking(true);
    core::NetstringDecoder decoder(state->options.max_request);
    std::array<char, kReadChunk> buffer{};
    std::string out;  // replies not yet written; its capacity is reused
    for (;;) {
      // This frame holds `state` and `conn`, and outlives the call.
      const bool keep = co_await answer_buffered(*state, *conn, decoder, out);
      if (!keep || state->draining || !conn->open) {
        break;
      }
      conn->phase = Connection::Phase::reading;
      conn->set_deadline(coarse_now() + (decoder.partial() ? state->options.read_timeout
                                                           : state->options.idle_timeout));
      boost::system::error_code ec;
      const std::size_t n = co_await conn->socket.async_read_some(
          asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        break;
      }
      decoder.feed(std::string_view(buffer.data(), n));
    }
  } catch (const std::exception& e) {
    state->log.log(LogLevel::warn, "connection-error", {{"error", e.what()}});
  }
  conn->close();
  state->connections.erase(conn.get());
  state->stats.active = state->connections.size();
  if (state->draining && state->connections.empty()) {
    state->drained->publish({});
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state, Listener* listener) {
  for (;;) {
    boost::system::error_code ec;
    Protocol::socket socket =
        co_await listener->acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (state->draining || !listener->acceptor.is_open() || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // EMFILE and friends: pause rather than spin on an error that repeats at once.
      state->log.log(LogLevel::warn, "accept-error", {{"error", ec.message()}});
      asio::steady_timer pause(state->executor, kAcceptRetryDelay);
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (state->connections.size() >= state->options.max_connections) {
      ++state->stats.rejected;
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    if (listener->tcp) {
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    auto conn = std::make_shared<Connection>(std::move(socket));
    state->connections.insert(conn.get());
    ++state->stats.accepted;
    state->stats.active = state->connections.size();
    asio::co_spawn(state->executor, watchdog(state, conn), asio::detached);
    asio::co_spawn(state->executor, serve(state, conn), asio::detached);
  }
}

}  // namespace

SocketmapServer::SocketmapServer(asio::any_io_executor executor, SocketmapHandler& handler,
                                 SocketmapServerOptions options, Logger& log)
    : state_(std::make_shared<State>(std::move(executor), handler, options, log)) {}

SocketmapServer::~SocketmapServer() {
  state_->draining = true;
  state_->close_listeners();
  for (Connection* conn : state_->connections) {
    conn->close();
  }
}

void SocketmapServer::start() {
  if (state_->started) {
    return;
  }
  state_->started = true;
  for (auto& listener : state_->listeners) {
    asio::co_spawn(state_->executor, accept_loop(state_, listener.get()), asio::detached);
  }
}

asio::awaitable<void> SocketmapServer::drain(std::chrono::milliseconds timeout) {
  std::shared_ptr<State> state = state_;
  state->draining = true;
  state->close_listeners();
  for (Connection* conn : state->connections) {
    if (conn->phase == Connection::Phase::reading) {
      conn->close();
    }
  }
  if (state->connections.empty()) {
    co_return;
  }
  co_await detail::Event::wait(state->drained, Clock::now() + timeout);
  if (!state->connections.empty()) {
    state->log.log(LogLevel::warn, "shutdown-timeout",
                   {{"connections", state->connections.size()}});
    for (Connection* conn : state->connections) {
      conn->close();
    }
  }
}

const SocketmapServerStats& SocketmapServer::stats() const {
  return state_->stats;
}

}  // namespace mtasts::net
