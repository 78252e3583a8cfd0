// One HTTP connection of HttpServer: the TLS handshake (OpenSSL over two memory BIOs, so the
// socket stays Asio's and every wait is an ordinary speculative read), then requests decoded,
// handled and answered in order, under the deadlines of HttpServerLimits.

#include <openssl/err.h>
#include <strings.h>
#include <time.h>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "http/http_server_state.hpp"
#include "mtasts/net/http/http_codec.hpp"

namespace mtasts::net::detail {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;
using boost::system::error_code;
using State = HttpServer::State;

constexpr std::size_t kReadChunk = 4096;
// Responses of pipelined requests are written together, but never more than this at once.
constexpr std::size_t kFlushAt = 64 * 1024;
// After an error response: how long, and how many bytes, to read and discard before closing,
// so that the client reads the response instead of a reset (RFC 9112 §9.6).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64 * 1024;

enum class After {
  keep,    // read the next request
  close,   // close now
  linger,  // half-close, discard what the client still sends for a while, then close
};

struct Sent {
  std::size_t bytes = 0;
  bool failed = false;  // the connection is broken (would-block is no failure)
};

// Sends what the socket takes at once, without blocking. The usual response is taken whole:
// no deadline, no asynchronous operation.
Sent send_now(HttpConnection& conn, const char* data, std::size_t size) {
  error_code ec;
  const std::size_t sent = conn.socket.write_some(asio::buffer(data, size), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    return {};
  }
  return ec ? Sent{0, true} : Sent{sent, false};
}

// Writes `size` bytes within the write timeout; false when the connection failed.
asio::awaitable<bool> write_raw(State& state, HttpConnection& conn, const char* data,
                                std::size_t size) {
  const Sent now = send_now(conn, data, size);
  if (now.failed) {
    co_return false;
  }
  const std::size_t sent = now.bytes;
  if (sent == size) {
    co_return true;
  }
  const auto previous = conn.deadline;
  conn.set_deadline(coarse_now() + state.limits.write_timeout);
  error_code ec;
  co_await asio::async_write(conn.socket, asio::buffer(data + sent, size - sent),
                             asio::redirect_error(use_awaitable, ec));
  conn.set_deadline(previous);
  co_return !ec;
}

// Writes out the ciphertext OpenSSL has queued in the write BIO.
asio::awaitable<bool> flush_tls(State& state, HttpConnection& conn) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(conn.wbio, &data);
  if (size <= 0) {
    co_return true;
  }
  const Sent now = send_now(conn, data, static_cast<std::size_t>(size));
  if (!now.failed && now.bytes == static_cast<std::size_t>(size)) {
    (void)BIO_reset(conn.wbio);
    co_return true;
  }
  // The rest leaves the BIO before the wait, which may outlast this frame's view of it.
  std::string rest(data + now.bytes, static_cast<std::size_t>(size) - now.bytes);
  (void)BIO_reset(conn.wbio);
  if (now.failed) {
    co_return false;
  }
  const bool written = co_await write_raw(state, conn, rest.data(), rest.size());
  co_return written;
}

// Best effort, never waiting: a close_notify alert for the client (RFC 8446 §6.1).
void send_close_notify(HttpConnection& conn) {
  if (conn.ssl == nullptr || !conn.open) {
    return;
  }
  SSL_shutdown(conn.ssl);
  char* data = nullptr;
  const long size = BIO_get_mem_data(conn.wbio, &data);
  if (size > 0) {
    (void)send_now(conn, data, static_cast<std::size_t>(size));
  }
  (void)BIO_reset(conn.wbio);
}

HandshakeFailure classify_failure(const HttpConnection& conn, const error_code& ec) {
  if (conn.note.refusal) {
    return *conn.note.refusal;
  }
  if (conn.timed_out) {
    return HandshakeFailure::timeout;
  }
  if (ec) {
    return HandshakeFailure::closed;
  }
  return HandshakeFailure::protocol;
}

asio::awaitable<bool> handshake(State& state, HttpConnection& conn,
                                std::array<char, kReadChunk>& raw) {
  error_code ec;
  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(conn.ssl);
    const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(conn.ssl, result);
    // The server's flight, or the alert that ends the handshake, goes out first.
    const bool flushed = co_await flush_tls(state, conn);
    if (result == 1 && flushed) {
      state.counters.handshakes.add();
      co_return true;
    }
    if (error != SSL_ERROR_WANT_READ || !flushed) {
      break;
    }
    const std::size_t n = co_await conn.socket.async_read_some(
        asio::buffer(raw), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      break;
    }
    BIO_write(conn.rbio, raw.data(), static_cast<int>(n));
  }
  ERR_clear_error();
  const HandshakeFailure failure = classify_failure(conn, ec);
  state.counters.handshake_failures[static_cast<std::size_t>(failure)].add();
  if (state.log.enabled(LogLevel::debug)) {
    state.log.log(
        LogLevel::debug, "tls-handshake-failed",
        {{"peer", conn.peer}, {"sni", conn.note.sni}, {"reason", handshake_failure_name(failure)}});
  }
  co_return false;
}

// Reads some request bytes (plaintext) into `out`; 0 at the end of the connection.
asio::awaitable<std::size_t> read_some(State& state, HttpConnection& conn,
                                       std::array<char, kReadChunk>& out,
                                       std::array<char, kReadChunk>& raw) {
  error_code ec;
  if (conn.ssl == nullptr) {
    const std::size_t n = co_await conn.socket.async_read_some(
        asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    co_return ec ? 0 : n;
  }
  for (;;) {
    std::size_t n = 0;
    const int result = SSL_read_ex(conn.ssl, out.data(), out.size(), &n);
    if (result == 1) {
      co_return n;
    }
    const int error = SSL_get_error(conn.ssl, result);
    ERR_clear_error();
    // Alerts, or a reply to a TLS 1.3 KeyUpdate, may be queued.
    const bool flushed = co_await flush_tls(state, conn);
    if (error != SSL_ERROR_WANT_READ || !flushed) {
      co_return 0;
    }
    const std::size_t got = co_await conn.socket.async_read_some(
        asio::buffer(raw), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      co_return 0;
    }
    BIO_write(conn.rbio, raw.data(), static_cast<int>(got));
  }
}

// Writes `out` (plaintext) and clears it; false when the connection failed or timed out.
asio::awaitable<bool> write_out(State& state, HttpConnection& conn, std::string& out) {
  if (conn.ssl == nullptr) {
    const bool written = co_await write_raw(state, conn, out.data(), out.size());
    out.clear();
    co_return written;
  }
  std::size_t n = 0;
  ERR_clear_error();
  // A memory BIO takes everything: SSL_write never waits here, and `out` is consumed.
  const bool encrypted = SSL_write_ex(conn.ssl, out.data(), out.size(), &n) == 1;
  ERR_clear_error();
  out.clear();
  if (!encrypted) {
    co_return false;
  }
  const bool written = co_await flush_tls(state, conn);
  co_return written;
}

HttpResponse error_response(unsigned status) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = std::string(http_reason(status)) + "\n";
  return response;
}

bool asks_close(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name.size() == 10 && ::strncasecmp(name.c_str(), "connection", 10) == 0 &&
        ::strncasecmp(value.c_str(), "close", 5) == 0) {
      return true;
    }
  }
  return false;
}

void count_response(State& state, unsigned status) {
  state.counters.requests.add();
  if (status < kMaxStatus) {
    state.counters.responses[status].add();
  }
}

// Answers every complete request buffered in `decoder`, appending the responses to `out`
// (empty on entry and on return) and writing them.
asio::awaitable<After> answer_buffered(State& state, HttpConnection& conn,
                                       HttpRequestDecoder& decoder, std::string& out,
                                       std::size_t& served) {
  After after = After::keep;
  for (;;) {
    HttpDecodeStep step = decoder.next();
    if (step.kind == HttpDecodeStep::Kind::need_more) {
      break;
    }
    if (step.kind == HttpDecodeStep::Kind::continue_expected) {
      out += "HTTP/1.1 100 Continue\r\n\r\n";  // RFC 9110 §10.1.1
      continue;
    }
    if (step.kind == HttpDecodeStep::Kind::error) {
      const unsigned status = http_decode_error_status(step.error);
      append_http_response(out, error_response(status), {true, false}, http_date_now());
      count_response(state, status);
      after = After::linger;
      break;
    }
    conn.phase = HttpConnection::Phase::busy;
    conn.set_deadline(SteadyClock::time_point::max());
    state.activity.touch(conn);
    const unsigned version = step.request.version;
    const bool head = step.request.method == "HEAD";
    step.request.sni = conn.note.sni;
    step.request.peer = conn.peer;
    HttpResponse response = co_await state.handler.handle(std::move(step.request));
    response.head = response.head || head;
    ++served;
    const bool close = !step.keep_alive || served >= state.limits.max_requests_per_connection ||
                       state.draining || asks_close(response);
    append_http_response(out, response, {close, !close && version == 10}, http_date_now());
    count_response(state, response.status);
    if (close) {
      after = decoder.partial() ? After::linger : After::close;
      break;
    }
    if (out.size() >= kFlushAt) {
      const bool written = co_await write_out(state, conn, out);
      if (!written) {
        co_return After::close;
      }
    }
  }
  if (!out.empty()) {
    const bool written = co_await write_out(state, conn, out);
    if (!written) {
      co_return After::close;
    }
  }
  co_return after;
}

asio::awaitable<void> linger(HttpConnection& conn, std::array<char, kReadChunk>& raw) {
  send_close_notify(conn);
  error_code ec;
  conn.socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  conn.phase = HttpConnection::Phase::reading;
  conn.set_deadline(coarse_now() + kLingerTime);
  std::size_t discarded = 0;
  while (!ec && discarded < kLingerBytes && conn.open) {
    const std::size_t n = co_await conn.socket.async_read_some(
        asio::buffer(raw), asio::redirect_error(use_awaitable, ec));
    discarded += n;
  }
  conn.timed_out = false;  // the end of a linger is no timeout
}

asio::awaitable<void> exchange(State& state, HttpConnection& conn,
                               std::array<char, kReadChunk>& raw) {
  HttpRequestDecoder decoder(state.limits.max_header_bytes, state.limits.max_body_bytes);
  std::array<char, kReadChunk> buffer{};
  std::string out;
  std::size_t served = 0;
  // When the request being received began; the first one's time runs from the accept, which
  // is the watchdog's first deadline.
  std::optional<SteadyClock::time_point> started = conn.deadline - state.limits.header_timeout;
  for (;;) {
    const After after = co_await answer_buffered(state, conn, decoder, out, served);
    if (after == After::linger) {
      co_await linger(conn, raw);
      co_return;
    }
    if (after == After::close || state.draining || !conn.open) {
      send_close_notify(conn);
      co_return;
    }
    const bool partial = decoder.partial();
    if (partial) {
      // RFC 9112 leaves slowloris to servers: the whole request must arrive within
      // header_timeout of its first byte, however steadily the bytes trickle in. (A request
      // read whole is answered before this point, and its connection's timer is not touched.)
      if (!started) {
        started = coarse_now();  // pipelined bytes of the next request were left over
      }
      conn.set_deadline(*started + state.limits.header_timeout);
      conn.phase = HttpConnection::Phase::receiving;
    } else {
      if (served > 0) {
        started.reset();
        conn.set_deadline(coarse_now() + state.limits.idle_timeout);
      }
      conn.phase = HttpConnection::Phase::reading;
    }
    const std::size_t n = co_await read_some(state, conn, buffer, raw);
    if (n == 0) {
      co_return;
    }
    if (!started) {
      started = coarse_now();
    }
    decoder.feed(std::string_view(buffer.data(), n));
  }
}

}  // namespace

SteadyClock::time_point coarse_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return SteadyClock::time_point(std::chrono::seconds(ts.tv_sec) +
                                 std::chrono::nanoseconds(ts.tv_nsec));
}

asio::awaitable<void> watch_connection(std::shared_ptr<HttpConnection> conn) {
  // A connection closed by its deadline is counted by its coroutine: a handshake failure or
  // a timeout.
  const bool expired = co_await watch_deadline(conn);
  conn->timed_out = expired;
}

asio::awaitable<void> serve_connection(std::shared_ptr<State> state,
                                       std::shared_ptr<HttpConnection> conn) {
  try {
    // Synchronous sends return would_block instead of blocking (see send_now).
    conn->socket.non_blocking(true);
    std::array<char, kReadChunk> raw{};
    bool ready = true;
    if (conn->ssl != nullptr) {
      ready = co_await handshake(*state, *conn, raw);
      if (ready && conn->note.alpn_challenge) {
        // RFC 8737 §3: the connection exists only for the validation of the certificate.
        state->counters.alpn_challenges.add();
        send_close_notify(*conn);
        ready = false;
      }
    }
    if (ready) {
      co_await exchange(*state, *conn, raw);
      if (conn->timed_out) {
        state->counters.timeouts.add();
      }
    }
  } catch (const std::exception& e) {
    state->log.log(LogLevel::warn, "http-connection-error", {{"error", e.what()}});
  }
  conn->close();
  state->connections.erase(conn.get());
  state->counters.open.set(state->connections.size());
  state->budget->release();
  if (state->draining && state->connections.empty()) {
    state->drained->publish({});
  }
}

}  // namespace mtasts::net::detail
