#pragma once

// The inside of HttpServer, shared by http_server.cpp (listeners, accept, drain) and
// http_connection.cpp (one connection's coroutine).

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "mtasts/net/http/http_server.hpp"
#include "runtime/accept_loop.hpp"
#include "runtime/note_rate.hpp"
#include "runtime/tls_server.hpp"
#include "socketmap/flight.hpp"

namespace mtasts::net::detail {

// A counter written by the server's one thread and read by any: a relaxed load and store,
// no read-modify-write on the hot path.
class Counter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

inline constexpr unsigned kMaxStatus = 600;

struct HttpCounters {
  Counter accepted;
  Counter rejected;
  Counter evicted;
  Counter open;  // a gauge: this server's connections
  Counter requests;
  Counter timeouts;
  Counter handshakes;
  Counter alpn_challenges;
  std::array<Counter, kHandshakeFailureKinds> handshake_failures;
  std::array<Counter, kMaxStatus> responses;  // by status code
};

struct HttpListener {
  explicit HttpListener(const boost::asio::any_io_executor& executor) : acceptor(executor) {}
  boost::asio::ip::tcp::acceptor acceptor;
  SSL_CTX* tls = nullptr;  // owned by the CertificateSet; null for plain HTTP
};

// One client connection, receiving from the accept until its TLS handshake (if any) is done.
struct HttpConnection : WatchedSocket<boost::asio::ip::tcp> {
  HttpConnection(boost::asio::ip::tcp::socket s, SSL* tls)
      : WatchedSocket(std::move(s), Phase::receiving), ssl(tls) {}
  ~HttpConnection() { SSL_free(ssl); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool timed_out = false;  // closed by the watchdog
  SSL* ssl = nullptr;      // TLS only; reads and writes through two memory BIOs
  BIO* rbio = nullptr;     // ciphertext from the client (owned by ssl)
  BIO* wbio = nullptr;     // ciphertext to the client (owned by ssl)
  HandshakeNote note;
  std::string peer;
};

}  // namespace mtasts::net::detail

namespace mtasts::net {

struct HttpServer::State {
  State(boost::asio::any_io_executor ex, HttpHandler& h, HttpServerLimits l, Logger& lg,
        std::shared_ptr<ConnectionBudget> b)
      : executor(std::move(ex)),
        handler(h),
        limits(l),
        log(lg),
        budget(b ? std::move(b) : std::make_shared<ConnectionBudget>(l.max_connections)) {}

  void close_listeners() {
    for (auto& listener : listeners) {
      boost::system::error_code ignored;
      listener->acceptor.close(ignored);
    }
  }

  boost::asio::any_io_executor executor;
  HttpHandler& handler;
  HttpServerLimits limits;
  Logger& log;
  std::shared_ptr<ConnectionBudget> budget;
  std::vector<std::unique_ptr<detail::HttpListener>> listeners;
  std::unordered_set<detail::HttpConnection*> connections;
  detail::ActivityList<detail::WatchedSocket<boost::asio::ip::tcp>> activity;  // the open ones
  detail::HttpCounters counters;
  // Info lines for connections evicted at the connection limit (one per 10 s at most).
  detail::NoteRate eviction_notes{detail::kNotePeriod};
  bool started = false;
  bool draining = false;
  std::shared_ptr<detail::Event> drained = std::make_shared<detail::Event>();
};

namespace detail {

// Runs one accepted connection to its end (http_connection.cpp).
boost::asio::awaitable<void> serve_connection(std::shared_ptr<HttpServer::State> state,
                                              std::shared_ptr<HttpConnection> conn);

// Closes the connection when its deadline passes (http_connection.cpp).
boost::asio::awaitable<void> watch_connection(std::shared_ptr<HttpConnection> conn);

SteadyClock::time_point coarse_now();

}  // namespace detail

}  // namespace mtasts::net
