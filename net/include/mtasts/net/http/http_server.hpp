#pragma once

// A small HTTP/1.x server core for plain TCP and TLS: one coroutine per connection, a handler
// interface, and the limits that keep hostile clients from holding it. It serves the policy
// host of `mtasts host` (policy_server.hpp) and its admin API; nothing in it knows MTA-STS.
//
// Glossary
//   head       the request line and header fields, up to and including the empty line
//   idle       a keep-alive connection between requests: no byte of the next request yet
//   partial    some bytes of a request have arrived, not all of them
//   drain      graceful shutdown: listeners closed, idle connections closed, requests already
//              being handled answered (with Connection: close), then their connections closed
//
// What a client can do to the server, and what happens:
//   keep-alive, pipelining  requests on one connection are answered strictly in order; the
//                           responses of requests read together are written together
//   malformed request       400 and close (RFC 9112 §2.2, §3, §6.3)
//   oversized head          431 and close (RFC 6585 §5); a body over max_body_bytes: 413
//   HTTP/2 or later         505 and close (RFC 9110 §15.6.6)
//   slow head (slowloris)   the whole request, from its first byte (for the first request of a
//                           connection: from the accept, TLS handshake included), must arrive
//                           within header_timeout, however steadily bytes trickle in
//   silent                  idle_timeout between requests; write_timeout for a response
//   too many                past max_connections, a new connection closes the least recently
//                           active one that waits for its client (silent, idle, a request or
//                           TLS handshake still arriving); when every one is busy with a
//                           request, the new connection is closed at once
//   out of descriptors      connections waiting in the listen queue are closed at once
// Every response carries Content-Length (but 1xx and 204) and Date; HEAD gets the headers of
// GET without the body; no Server header is sent.

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {

class CertificateSet;

struct HttpRequest {
  std::string method;  // as sent: methods are case-sensitive (RFC 9110 §9.1)
  std::string target;  // the request target as sent, query included
  std::string host;    // the Host field, lowercased, without port or trailing dot; "" if absent
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;
  std::string sni;        // TLS only: the server name the client asked for, lowercased
  std::string peer;       // the client's address, e.g. "192.0.2.1" or "2001:db8::1"
  unsigned version = 11;  // 10 or 11
};

struct HttpResponse {
  unsigned status = 200;
  // Extra header fields. Content-Length, Date and Transfer-Encoding are set by the server and
  // skipped here; "Connection: close" makes the server close after this response.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool head = false;  // omit the body, keep its Content-Length (set by the server for HEAD)
};

// Answers one request. Runs on the connection's executor; may suspend (later pipelined
// requests wait). Should not throw: an exception closes the connection.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual boost::asio::awaitable<HttpResponse> handle(HttpRequest request) = 0;
};

struct HttpServerLimits {
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 0;  // 0: requests with a body are refused (413)
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds write_timeout{10000};
  std::size_t max_requests_per_connection = 1000;
  std::size_t max_connections = 10000;
};

// A listening address: "HOST:PORT", "[IPV6]:PORT"; host "" (written "*:PORT") listens on every
// interface, IPv6 and IPv4.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "HOST:PORT", "[IPV6]:PORT" or "*:PORT". A port (1-65535) is required.
// Errors: Errc::invalid_value naming the problem.
[[nodiscard]] core::Result<Endpoint> parse_endpoint(std::string_view text);

// "HOST:PORT", "[IPV6]:PORT" or "*:PORT".
[[nodiscard]] std::string to_string(const Endpoint& endpoint);

// Whether a listener sets SO_REUSEPORT, so that several servers (one per thread) accept on one
// port and the kernel spreads connections among them.
enum class PortSharing { exclusive, shared };

// Open connections counted against a limit; several servers can share one (one per thread).
class ConnectionBudget {
 public:
  explicit ConnectionBudget(std::size_t limit) : limit_(limit) {}
  // True, and one more connection counted, when under the limit.
  [[nodiscard]] bool try_acquire() {
    std::size_t now = open_.load(std::memory_order_relaxed);
    while (now < limit_) {
      if (open_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }
  // One more connection counted even at the limit: one that replaces a connection being closed,
  // whose release() follows.
  void acquire_over() { open_.fetch_add(1, std::memory_order_relaxed); }
  void release() { open_.fetch_sub(1, std::memory_order_relaxed); }
  [[nodiscard]] std::size_t open() const { return open_.load(std::memory_order_relaxed); }

 private:
  std::size_t limit_;
  std::atomic<std::size_t> open_{0};
};

// Why a TLS handshake failed.
enum class HandshakeFailure {
  no_sni,        // the ClientHello named no server: unrecognized_name alert
  unknown_name,  // a name without a certificate: unrecognized_name alert
  no_challenge,  // ALPN acme-tls/1 offered for a name without a challenge certificate
  timeout,       // not done within header_timeout
  closed,        // the client went away
  protocol,      // anything else: no common version or cipher, garbage, a bad record
};
inline constexpr std::size_t kHandshakeFailureKinds = 6;

// "no_sni", "unknown_name", ...
[[nodiscard]] std::string_view handshake_failure_name(HandshakeFailure failure);

// Counters since start (a snapshot; safe to take from any thread).
struct HttpServerStats {
  std::uint64_t accepted = 0;  // connections accepted
  std::uint64_t rejected = 0;  // closed at once: over max_connections, all busy, or EMFILE
  std::uint64_t evicted = 0;   // closed to make room for a new connection
  std::uint64_t active = 0;    // open now
  std::uint64_t requests = 0;  // requests handled, including those refused by the server
  std::uint64_t timeouts = 0;  // connections closed by a deadline (after the handshake)
  std::map<unsigned, std::uint64_t> responses;  // by status code
  std::uint64_t handshakes = 0;                 // TLS handshakes completed
  std::uint64_t alpn_challenges = 0;            // of which acme-tls/1 (closed after it)
  std::array<std::uint64_t, kHandshakeFailureKinds> handshake_failures{};  // by HandshakeFailure

  HttpServerStats& operator+=(const HttpServerStats& other);
};

class HttpServer {
 public:
  // `handler` and `log` must outlive the server and every connection it runs. Without a
  // `budget`, the server counts its own connections against limits.max_connections. Every
  // member runs on `executor` (stats() excepted); destroy the server there, or after its
  // event loop stopped.
  HttpServer(boost::asio::any_io_executor executor, HttpHandler& handler, HttpServerLimits limits,
             Logger& log, std::shared_ptr<ConnectionBudget> budget = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens for plain HTTP. The host must be an IP address or "" (every interface);
  // port 0 lets the kernel choose. Returns the bound port.
  // Errors: Errc::invalid_value naming the address and the system's reason.
  [[nodiscard]] core::Result<std::uint16_t> listen(const Endpoint& endpoint, PortSharing sharing);

  // The same for HTTPS: every connection handshakes with `certificates` (which must outlive
  // the server). A connection that negotiated ALPN "acme-tls/1" is closed after the handshake
  // without any HTTP (RFC 8737 §3).
  [[nodiscard]] core::Result<std::uint16_t> listen_tls(const Endpoint& endpoint,
                                                       PortSharing sharing,
                                                       const CertificateSet& certificates);

  // Starts accepting on every listener. Call once, after the listen calls.
  void start();

  // Drains (see the glossary). Completes when every connection has ended or `timeout` has
  // passed; then the rest are closed without waiting.
  boost::asio::awaitable<void> drain(std::chrono::milliseconds timeout);

  [[nodiscard]] HttpServerStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mtasts::net
