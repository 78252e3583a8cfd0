#pragma once

// An SMTP and LMTP receiving server: TCP listeners (SMTP, or LMTP) and UNIX-socket listeners
// (LMTP, as Postfix's `lmtp:unix:/path` delivers), one coroutine per connection driving a
// core::SmtpSession (the protocol, its limits and replies: core/smtp/smtp_session.hpp), and a
// handler that checks recipients and takes the messages. It receives mail for a handler; it
// never relays. STARTTLS is not offered (a later addition: the session would advertise it and
// the connection switch to the TLS layer of http_server's connections).
//
// Glossary
//   idle       a connection waiting for the next command, no byte of it received yet
//   drain      graceful shutdown: listeners closed, idle connections sent 421 4.3.2 and closed,
//              a connection inside a command, a message or a handler call finishes that, then
//              gets 421 4.3.2 before its next command
//
// What a client can do to the server, and what happens:
//   pipelining        commands read together are answered in order, the replies written together
//                     (those so far flushed before each handler call)
//   silent or slow    a command must arrive whole within idle_timeout of the previous reply; a
//                     message within data_timeout of its 354, with no read waiting longer than
//                     idle_timeout; a reply must be taken within write_timeout. Past a
//                     deadline, a connection waiting for its client gets 421 4.4.2 (when the
//                     socket takes it at once) and is closed
//   too many          past max_connections, a new connection closes the least recently active
//                     one that waits for its client (runtime/accept_loop.hpp's ActivityList);
//                     when every one is busy in the handler, the new one is closed at once
//   out of descriptors  connections waiting in the listen queue are closed at once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/smtp/smtp_session.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {

using core::DeliveryVerdict;
using core::RecipientVerdict;
using core::SmtpEnvelope;
using core::SmtpProtocol;

// Checks recipients and takes messages, on the server's executor. Should not throw: an
// exception ends that connection (logged) without a reply.
class SmtpHandler {
 public:
  virtual ~SmtpHandler() = default;

  // Whether mail for `address` (the forward-path without brackets) is accepted.
  virtual boost::asio::awaitable<RecipientVerdict> check_recipient(std::string address) = 0;

  // Takes a complete message. One verdict per recipient of the envelope, in order: SMTP
  // replies with the first, LMTP with each (a missing verdict is a temporary failure).
  virtual boost::asio::awaitable<std::vector<DeliveryVerdict>> deliver(SmtpEnvelope envelope) = 0;
};

struct SmtpServerOptions {
  std::string hostname = "localhost";  // in the greeting and the EHLO reply
  core::SmtpSessionLimits limits;
  std::chrono::milliseconds idle_timeout{60'000};   // per command; per read inside a message
  std::chrono::milliseconds data_timeout{600'000};  // a whole message, from the 354
  std::chrono::milliseconds write_timeout{60'000};  // replies taken by the client
  std::size_t max_connections = 1000;
};

// Counters since start; read on the server's executor.
struct SmtpServerStats {
  std::uint64_t accepted = 0;             // connections accepted
  std::uint64_t rejected = 0;             // closed at once: at the limit, all busy, or EMFILE
  std::uint64_t evicted = 0;              // closed to make room for a new connection
  std::uint64_t active = 0;               // connections open now
  std::uint64_t messages = 0;             // messages handed to the handler
  std::uint64_t rejected_recipients = 0;  // recipients the handler refused
  std::uint64_t errors = 0;               // bad commands (500, 501, 502, 503, 555 replies)
  std::uint64_t timeouts = 0;             // connections closed by a deadline
};

// The counters in the Prometheus text format (mtasts_smtp_* families; `active` as a gauge).
[[nodiscard]] std::string smtp_metrics_text(const SmtpServerStats& stats);

class SmtpServer {
 public:
  // `handler` and `log` must outlive the server and every connection it runs. Every member
  // runs on `executor`; destroy the server there, or after its event loop stopped.
  SmtpServer(boost::asio::any_io_executor executor, SmtpHandler& handler, SmtpServerOptions options,
             Logger& log);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  // Binds and listens on TCP for `protocol`. `host` is an IP address or a name resolved once
  // (the first address is used); "" listens on every interface (IPv6 and IPv4 where possible).
  // Port 0 lets the kernel choose; the bound port is returned.
  // Errors: Errc::invalid_value naming the address and the system's reason.
  [[nodiscard]] core::Result<std::uint16_t> listen_tcp(const std::string& host, std::uint16_t port,
                                                       SmtpProtocol protocol);

  // Binds and listens on a UNIX stream socket at `path` (usually LMTP), replacing a stale
  // socket file (never another kind of file), and applies `mode` with chmod when given. The
  // file is removed when the server drains or is destroyed.
  // Errors: Errc::invalid_value naming the path and the system's reason.
  [[nodiscard]] core::Result<void> listen_unix(const std::string& path, SmtpProtocol protocol,
                                               std::optional<std::uint32_t> mode);

  // Starts accepting on every listener. Call once, after the listen_* calls.
  void start();

  // Drains (see the glossary). Completes when every connection has ended or `timeout` has
  // passed; then the rest are closed without waiting.
  boost::asio::awaitable<void> drain(std::chrono::milliseconds timeout);

  [[nodiscard]] const SmtpServerStats& stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mtasts::net
