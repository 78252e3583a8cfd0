// SocketmapServer's connections: read completion handlers that answer cached lookups at once,
// a coroutine for whatever must wait, and a watchdog for the deadlines.

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <span>
#include <string_view>

#include "mtasts/core/socketmap/postfix_reply.hpp"
#include "mtasts/core/socketmap/socketmap.hpp"
#include "socketmap/socketmap_server_state.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using detail::Protocol;
using Clock = std::chrono::steady_clock;
using asio::use_awaitable;

constexpr std::size_t kReadChunk = 4096;
// Replies of pipelined requests are written together, but never more than this at once.
constexpr std::size_t kFlushAt = 64 * 1024;

using detail::Connection;
using detail::Listener;

using State = SocketmapServer::State;

// A client fault: a line per connection at debug, else an info line at most every 10 s with
// the number since the line before (`notes`).
void note_client_fault(State& state, detail::NoteRate& notes, std::string_view event,
                       std::string_view error) {
  if (state.log.enabled(LogLevel::debug)) {
    state.log.log(LogLevel::debug, event, {{"error", error}});
  } else if (const std::size_t n = notes.count(Clock::now()); n > 0) {
    state.log.log(LogLevel::info, event, {{"connections", n}, {"error", error}});
  }
}

asio::awaitable<void> watchdog(std::shared_ptr<State> state, std::shared_ptr<Connection> conn) {
  const bool expired = co_await detail::watch_deadline(conn);
  if (expired) {
    ++state->stats.timed_out;
    note_client_fault(*state, state->timeout_notes, "connection-timeout",
                      "no complete request within its deadline");
  }
}

// Replies not yet written: appended at the back, sent from the front. The storage only grows
// (to about kFlushAt plus one reply) and serves every batch of the connection.
class ReplyBuffer {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] asio::const_buffer bytes() const { return {data_.get(), size_}; }
  void clear() { size_ = 0; }

  // Appends `payload` framed as a netstring (core::encode_netstring without a temporary).
  void append_netstring(std::string_view payload) {
    std::array<char, 24> head{};
    const auto [end, ec] =
        std::to_chars(head.data(), head.data() + head.size() - 1, payload.size());
    *end = ':';
    const auto head_size = static_cast<std::size_t>(end + 1 - head.data());
    char* at = room(head_size + payload.size() + 1);
    std::memcpy(at, head.data(), head_size);
    std::memcpy(at + head_size, payload.data(), payload.size());
    at[head_size + payload.size()] = ',';
    size_ += head_size + payload.size() + 1;
  }

  // Drops the first `n` bytes, which were sent.
  void consume(std::size_t n) {
    n = std::min(n, size_);
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }

 private:
  // Room for `more` bytes at the end.
  char* room(std::size_t more) {
    if (capacity_ - size_ < more) {
      const std::size_t capacity = std::max({capacity_ * 2, size_ + more, std::size_t{256}});
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (size_ != 0) {
        std::memcpy(grown.get(), data_.get(), size_);
      }
      data_ = std::move(grown);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Sends what the socket takes of `out` at once, without blocking, and drops it from `out`.
// False on a connection error.
bool send_now(Connection& conn, ReplyBuffer& out) {
  boost::system::error_code ec;
  const std::size_t sent = conn.socket.write_some(out.bytes(), ec);
  if (!ec) {
    if (sent == out.size()) {
      out.clear();  // the usual case: the socket took everything
    } else {
      out.consume(sent);
    }
    return true;
  }
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

// Writes `out` within the write timeout and clears it; false when the connection failed or
// timed out. The usual reply is taken at once by the socket (send_now): no deadline, no
// asynchronous operation, no coroutine frame.
asio::awaitable<bool> write_rest(State& state, Connection& conn, ReplyBuffer& out) {
  conn.set_deadline(Clock::now() + state.options.write_timeout);
  boost::system::error_code ec;
  co_await asio::async_write(conn.socket, out.bytes(), asio::redirect_error(use_awaitable, ec));
  conn.set_deadline(Clock::time_point::max());
  out.clear();
  co_return !ec;
}

// Appends the framed reply of one request to `out`.
void append_reply(State& state, ReplyBuffer& out, std::string_view reply) {
  if (reply.size() > core::kPostfixMaxReply) {
    out.append_netstring(core::render_temp("reply too large"));
  } else {
    out.append_netstring(reply);
  }
  ++state.stats.requests;
}

// Where answer_ready() stopped.
enum class Stop {
  drained,        // no complete request is left, and `out` was sent if the socket took it
  framing_error,  // the decoder failed: answer nothing more, close after writing `out`
  slow,           // the handler declined to answer the request at once
  flush,          // `out` is full and the socket took only part of it: write the rest
  failed,         // the connection failed
};

struct Ready {
  Stop stop = Stop::drained;
  std::string map_name;  // Stop::slow: the request, copied out of the decoder
  std::string key;
};

// Answers, without suspending, the complete requests in `decoder` that the handler can
// answer at once, appending the replies to `out` and sending them when it reaches kFlushAt
// or the decoder is drained. Requests stay views into the decoder's buffer, which nothing
// feeds until the connection reads again.
Ready answer_ready(State& state, Connection& conn, core::NetstringDecoder& decoder,
                   ReplyBuffer& out) {
  for (;;) {
    if (out.size() >= kFlushAt) {
      if (!send_now(conn, out)) {
        return {Stop::failed, {}, {}};
      }
      if (!out.empty()) {
        return {Stop::flush, {}, {}};
      }
    }
    auto next = decoder.next_view();
    if (!next) {
      ++state.stats.bad_framing;
      note_client_fault(state, state.framing_notes, "connection-bad-request", next.error().message);
      return {Stop::framing_error, {}, {}};
    }
    if (!next->has_value()) {
      return {out.empty() || send_now(conn, out) ? Stop::drained : Stop::failed, {}, {}};
    }
    conn.phase = Connection::Phase::busy;
    conn.set_deadline(Clock::time_point::max());
    conn.request_started = Clock::time_point::max();
    state.activity.touch(conn);
    const auto request = core::parse_socketmap_request_view(**next);
    if (!request) {
      append_reply(state, out, core::render_perm("invalid request"));
      continue;
    }
    const std::optional<std::string_view> reply =
        state.handler.answer_now(request->map_name, request->key);
    if (!reply) {
      return {Stop::slow, std::string(request->map_name), std::string(request->key)};
    }
    append_reply(state, out, *reply);
  }
}

// Goes on from where answer_ready() stopped (anything but drained with `out` sent) until every
// complete request is answered and its reply written, suspending for the requests the
// handler does not answer at once and for the writes the socket does not take at once. False
// when the connection must close (framing error, failed write).
asio::awaitable<bool> answer_rest(State& state, Connection& conn, core::NetstringDecoder& decoder,
                                  ReplyBuffer& out, Ready ready) {
  for (;;) {
    const Stop stop = ready.stop;
    if (stop == Stop::slow) {
      // co_await only as a whole statement or initialiser: GCC 12 miscompiles it inside
      // conditions and short-circuit operands.
      const std::string reply =
          co_await state.handler.handle(std::move(ready.map_name), std::move(ready.key));
      append_reply(state, out, reply);
    } else if (stop == Stop::flush || (stop == Stop::drained && !out.empty())) {
      const bool written = co_await write_rest(state, conn, out);
      if (!written) {
        co_return false;
      }
    } else if (stop == Stop::drained) {
      co_return true;
    } else if (stop == Stop::framing_error) {
      // What was answered before the bad bytes is still written.
      if (!out.empty() && send_now(conn, out) && !out.empty()) {
        co_await write_rest(state, conn, out);
      }
      co_return false;
    } else {
      co_return false;
    }
    ready = answer_ready(state, conn, decoder, out);
  }
}

// Deadlines need no precision finer than the kernel tick: the coarse clock is cheaper to read.
Clock::time_point coarse_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return Clock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

// What one connection reads into and writes from, shared by its read handler and, while it
// waits, its coroutine.
struct Session {
  Session(std::shared_ptr<State> s, std::shared_ptr<Connection> c)
      : state(std::move(s)), conn(std::move(c)), decoder(state->options.max_request) {}
  std::shared_ptr<State> state;
  std::shared_ptr<Connection> conn;
  core::NetstringDecoder decoder;  // reads go straight into it
  ReplyBuffer out;
};
using SessionPtr = std::shared_ptr<Session>;

// Gives the heap a crowd of connections freed back to the system, once the crowd has gone:
// the open connections have fallen to half their peak, a peak of at least trim_after_peak.
// Then the peak starts again from what is open, so it runs once per crowd, never per close.
void give_back_memory(State& state) {
  const std::size_t open = state.connections.size();
  const std::size_t least = state.options.trim_after_peak;
  if (least == 0 || state.connection_peak < least || open * 2 > state.connection_peak) {
    return;
  }
  if (state.log.enabled(LogLevel::debug)) {
    state.log.log(LogLevel::debug, "memory-trim",
                  {{"peak", state.connection_peak}, {"connections", open}});
  }
  state.connection_peak = open;
  ::malloc_trim(0);
  ++state.stats.memory_trims;
}

// Closes the connection and forgets it: once per connection, at the end of its last handler.
void end_session(Session& session) {
  State& state = *session.state;
  session.conn->close();
  state.connections.erase(session.conn.get());
  state.stats.active = state.connections.size();
  give_back_memory(state);
  if (state.draining && state.connections.empty()) {
    state.drained->publish({});
  }
}

void fail_session(Session& session, const std::exception& e) {
  session.state->log.log(LogLevel::warn, "connection-error", {{"error", e.what()}});
  end_session(session);
}

void read_next(const SessionPtr& session);

// The loop of a connection runs in read completion handlers while every request is answered
// at once (the cached case), so a read resumes no coroutine: each completion answers what it
// read and starts the next read. A request the handler must wait for, or a write the socket
// does not take at once, hands the connection to finish_batch(), a coroutine, which hands it
// back.
asio::awaitable<void> finish_batch(SessionPtr session, Ready ready) {
  bool keep = false;
  try {
    Session& s = *session;
    keep = co_await answer_rest(*s.state, *s.conn, s.decoder, s.out, std::move(ready));
  } catch (const std::exception& e) {
    session->state->log.log(LogLevel::warn, "connection-error", {{"error", e.what()}});
  }
  if (keep) {
    read_next(session);
  } else {
    end_session(*session);
  }
}

// Starts the next read later, once the event loop has run what is already queued (the other
// connections' completions). Asio first tries a read at once; right after a reply the
// client has rarely answered yet, so that try costs a system call for nothing, while a little
// later it usually finds the next request.
struct ReadLater {
  SessionPtr session;
  void operator()() const { read_next(session); }
};

struct OnRead {
  SessionPtr session;

  void operator()(const boost::system::error_code& ec, std::size_t n) {
    Session& s = *session;
    if (ec) {
      end_session(s);
      return;
    }
    s.decoder.commit(n);
    try {
      Ready ready = answer_ready(*s.state, *s.conn, s.decoder, s.out);
      if (ready.stop == Stop::drained && s.out.empty()) {
        asio::post(s.state->executor, ReadLater{std::move(session)});
        return;
      }
      asio::co_spawn(s.state->executor, finish_batch(session, std::move(ready)), asio::detached);
    } catch (const std::exception& e) {
      fail_session(s, e);
    }
  }
};

// Starts the next read of an idle or partial connection (within its deadline), or ends it
// when the server drains or the connection was closed. `session` stays held here until the
// read has started, so a failure to start it can still end the connection.
void read_next(const SessionPtr& session) {
  Session& s = *session;
  State& state = *s.state;
  Connection& conn = *s.conn;
  if (state.draining || !conn.open) {
    end_session(s);
    return;
  }
  try {
    conn.phase = Connection::Phase::reading;
    const Clock::time_point now = coarse_now();
    if (!s.decoder.partial()) {
      conn.set_deadline(now + state.options.idle_timeout);
    } else {
      // A started request must be complete within read_timeout of its first byte (read just
      // now unless it is already started): a read does not extend the deadline, so bytes
      // trickled in one at a time cannot hold the connection.
      conn.request_started = std::min(conn.request_started, now);
      conn.set_deadline(conn.request_started + state.options.read_timeout);
    }
    const std::span<char> room = s.decoder.prepare(kReadChunk);
    conn.socket.async_read_some(asio::buffer(room.data(), room.size()), OnRead{session});
  } catch (const std::exception& e) {
    fail_session(s, e);
  }
}

// Applies the connection limit to a new connection and starts it (detail::accept_loop).
struct StartConnection {
  bool tcp;

  void operator()(const std::shared_ptr<State>& state, Protocol::socket socket) const {
    // At the limit, the least recently active connection waiting for its client makes room:
    // Postfix's new connection is served, and an idle Postfix connection that is closed is
    // simply opened again. Only when every connection is busy is the new one refused.
    if (!detail::admit_connection(*state, socket)) {
      return;
    }
    if (tcp) {
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    auto conn = std::make_shared<Connection>(std::move(socket));
    state->connections.insert(conn.get());
    state->activity.push_newest(*conn);
    ++state->stats.accepted;
    state->stats.active = state->connections.size();
    state->connection_peak = std::max(state->connection_peak, state->connections.size());
    asio::co_spawn(state->executor, watchdog(state, conn), asio::detached);
    // Synchronous sends return would_block instead of blocking (see send_now).
    boost::system::error_code blocking;
    conn->socket.non_blocking(true, blocking);
    read_next(std::make_shared<Session>(state, conn));
  }

  // Connections the accept loop closed at once, out of file descriptors.
  void refused(const std::shared_ptr<State>& state, std::size_t n) const {
    state->stats.rejected += n;
  }
};

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
    asio::co_spawn(state_->executor,
                   detail::accept_loop(state_, &listener->acceptor, StartConnection{listener->tcp}),
                   asio::detached);
  }
}

asio::awaitable<void> SocketmapServer::drain(std::chrono::milliseconds timeout) {
  std::shared_ptr<State> state = state_;
  state->draining = true;
  state->close_listeners();
  co_await detail::drain_connections(state->connections, state->drained, timeout, state->log,
                                     "shutdown-timeout");
}

const SocketmapServerStats& SocketmapServer::stats() const {
  return state_->stats;
}

}  // namespace mtasts::net
