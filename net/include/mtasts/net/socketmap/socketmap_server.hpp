#pragma once

// The socketmap server Postfix asks (socketmap_table(5)): TCP and UNIX-socket listeners,
// netstring requests "<map name> <key>" answered strictly in order. A connection's reads
// complete into handlers that answer what SocketmapHandler::answer_now() answers at once (the
// cached lookup: no coroutine per request); a request that must wait, or a write the socket
// does not take at once, is carried on by a coroutine until the connection reads again.
//
// Glossary
//   idle       a connection with no partial request buffered, waiting for the next one
//   partial    some bytes of a request have arrived, not all of them
//   drain      graceful shutdown: listeners closed, idle connections closed, requests already
//              received answered, then their connections closed
//
// What a client can do to the server, and what happens:
//   pipelining           requests are handled one after another, replies written in order,
//                        coalesced into one write where they were read together
//   garbage, oversize    a framing error or a netstring over max_request closes that
//                        connection only (Postfix's query limit is 10000 bytes)
//   slow or silent       a partial request must complete within read_timeout of its first
//                        byte, however steadily the bytes trickle in; an idle connection is
//                        closed after idle_timeout, a reply must be taken within write_timeout;
//                        otherwise the connection is closed
//   too many             past max_connections, a new connection closes the least recently
//                        active one that waits for its client (idle, or a request arriving),
//                        so a flood of silent or slow connections cannot lock Postfix out; when
//                        every connection is busy with a request, the new one is closed at once
//   out of descriptors   connections waiting in the listen queue are closed at once
// A request payload without a space (no map name) is answered "PERM invalid request".

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/socketmap/netstring.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {

// Answers socketmap requests, on the server's executor. The server first offers each request
// to answer_now(); when that declines, it awaits handle(). Replies are payloads without
// framing ("OK ...", "NOTFOUND ", "TEMP ..."); one over core::kPostfixMaxReply bytes is
// replaced by a TEMP reply. Neither should throw: an exception closes the connection.
class SocketmapHandler {
 public:
  virtual ~SocketmapHandler() = default;

  // Answers one request; may suspend (the connection waits, later pipelined requests queue
  // behind it).
  virtual boost::asio::awaitable<std::string> handle(std::string map_name, std::string key) = 0;

  // The reply, when the request can be answered without suspending (the usual cached
  // lookup): no coroutine and no copy of the request. The view stays valid until the next
  // call on the handler. nullopt: the server calls handle() for this request instead, so a
  // declined request must have no effect that handle() would repeat. The default declines.
  virtual std::optional<std::string_view> answer_now(std::string_view /*map_name*/,
                                                     std::string_view /*key*/) {
    return std::nullopt;
  }
};

struct SocketmapServerOptions {
  std::size_t max_request = core::kPostfixMaxQuery;  // payload bytes of one request netstring
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 10'000;
  // After a crowd of connections (at least this many open at once) has fallen to half or less,
  // the freed heap is given back to the system (malloc_trim): glibc otherwise keeps what a
  // burst of clients used for the rest of the process's life. 0: never.
  std::size_t trim_after_peak = 128;
};

// Whether the TCP listener sets SO_REUSEPORT (the peer's `reuse_port`).
enum class ReusePort { off, on };

// Counters since start; read on the server's executor.
struct SocketmapServerStats {
  std::uint64_t accepted = 0;      // connections accepted
  std::uint64_t rejected = 0;      // closed at once: over max_connections, all busy, or EMFILE
  std::uint64_t evicted = 0;       // closed to make room for a new connection
  std::uint64_t active = 0;        // connections open now
  std::uint64_t requests = 0;      // requests answered
  std::uint64_t bad_framing = 0;   // connections closed for a framing error or oversize request
  std::uint64_t timed_out = 0;     // connections closed by a deadline
  std::uint64_t memory_trims = 0;  // heap given back after a crowd of connections (see options)
};

// The counters in the Prometheus text format (mtasts_socketmap_* families).
[[nodiscard]] std::string socketmap_metrics_text(const SocketmapServerStats& stats);

class SocketmapServer {
 public:
  // `handler` and `log` must outlive the server and every connection it runs.
  SocketmapServer(boost::asio::any_io_executor executor, SocketmapHandler& handler,
                  SocketmapServerOptions options, Logger& log);
  ~SocketmapServer();
  SocketmapServer(const SocketmapServer&) = delete;
  SocketmapServer& operator=(const SocketmapServer&) = delete;

  // Binds and listens on TCP. `host` is an IP address or a name resolved once (the first
  // address is used); "" listens on every interface (IPv6 and IPv4 where possible). Port 0
  // lets the kernel choose; the bound port is returned.
  // Errors: Errc::invalid_value naming the address and the system's reason.
  [[nodiscard]] core::Result<std::uint16_t> listen_tcp(const std::string& host, std::uint16_t port,
                                                       ReusePort reuse);

  // Binds and listens on a UNIX stream socket at `path`, replacing a stale socket file (never
  // another kind of file), and applies `mode` with chmod when given. The file is removed when
  // the server drains or is destroyed.
  // Errors: Errc::invalid_value naming the path and the system's reason.
  [[nodiscard]] core::Result<void> listen_unix(const std::string& path,
                                               std::optional<std::uint32_t> mode);

  // Starts accepting on every listener. Call once, after the listen_* calls.
  void start();

  // Drains: stops accepting, closes idle connections, lets connections that are handling a
  // request answer it (and what they had already read), then closes them. Completes when every
  // connection has ended or `timeout` has passed (then the rest are closed without waiting).
  boost::asio::awaitable<void> drain(std::chrono::milliseconds timeout);

  [[nodiscard]] const SocketmapServerStats& stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mtasts::net
