// SmtpServer: TCP and UNIX-socket listeners, the accept loop with the connection cap, drain and
// counters. Connections: smtp_connection.cpp.

#include "mtasts/net/smtp/smtp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstring>

#include "mtasts/core/base/prometheus_text.hpp"
#include "runtime/stream_listen.hpp"
#include "smtp/smtp_server_state.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using detail::SmtpConnection;
using detail::SmtpListener;
using detail::SmtpProtocolSocket;
using State = SmtpServer::State;

// "192.0.2.1", "2001:db8::1" (an IPv4-mapped address as IPv4); "" for a UNIX socket.
std::string peer_address(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return {};
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (storage.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &storage, sizeof in);
    return ::inet_ntop(AF_INET, &in.sin_addr, text.data(), text.size()) != nullptr ? text.data()
                                                                                   : "";
  }
  if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &storage, sizeof in6);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      return ::inet_ntop(AF_INET, &in6.sin6_addr.s6_addr[12], text.data(), text.size()) != nullptr
                 ? text.data()
                 : "";
    }
    return ::inet_ntop(AF_INET6, &in6.sin6_addr, text.data(), text.size()) != nullptr ? text.data()
                                                                                      : "";
  }
  return {};
}

// Applies the connection limit to a new connection and starts it (detail::accept_loop).
struct StartConnection {
  SmtpListener* listener;

  void operator()(const std::shared_ptr<State>& state, SmtpProtocolSocket::socket socket) const {
    // At the limit, the least recently active connection waiting for its client makes room:
    // a flood of silent or slow clients cannot lock real senders out, and a sender whose
    // connection is closed retries later. Only when every one is busy is the new one refused.
    if (!detail::admit_connection(*state, socket)) {
      return;
    }
    boost::system::error_code ignored;
    if (listener->tcp) {
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
    core::SmtpSessionConfig config{listener->protocol, state->options.hostname,
                                   peer_address(socket.native_handle()), state->options.limits};
    auto conn = std::make_shared<SmtpConnection>(std::move(socket), std::move(config));
    state->connections.insert(conn.get());
    state->activity.push_newest(*conn);
    ++state->stats.accepted;
    state->stats.active = state->connections.size();
    detail::start_smtp_connection(state, std::move(conn));
  }

  // Connections the accept loop closed at once, out of file descriptors.
  void refused(const std::shared_ptr<State>& state, std::size_t n) const {
    state->stats.rejected += n;
  }
};

}  // namespace

SmtpServer::SmtpServer(asio::any_io_executor executor, SmtpHandler& handler,
                       SmtpServerOptions options, Logger& log)
    : state_(std::make_shared<State>(std::move(executor), handler, std::move(options), log)) {}

SmtpServer::~SmtpServer() {
  state_->draining = true;
  state_->close_listeners();
  for (SmtpConnection* conn : state_->connections) {
    conn->close();
  }
}

core::Result<std::uint16_t> SmtpServer::listen_tcp(const std::string& host, std::uint16_t port,
                                                   SmtpProtocol protocol) {
  auto listener = std::make_unique<SmtpListener>(state_->executor);
  listener->protocol = protocol;
  auto bound =
      detail::listen_stream_tcp(listener->acceptor, host, port, detail::ReusePortOption::off);
  if (bound) {
    state_->listeners.push_back(std::move(listener));
  }
  return bound;
}

core::Result<void> SmtpServer::listen_unix(const std::string& path, SmtpProtocol protocol,
                                           std::optional<std::uint32_t> mode) {
  auto listener = std::make_unique<SmtpListener>(state_->executor);
  listener->protocol = protocol;
  listener->tcp = false;
  auto listening = detail::listen_stream_unix(listener->acceptor, path, mode);
  if (listening) {
    listener->unix_path = path;
    state_->listeners.push_back(std::move(listener));
  }
  return listening;
}

void SmtpServer::start() {
  if (state_->started) {
    return;
  }
  state_->started = true;
  for (auto& listener : state_->listeners) {
    asio::co_spawn(
        state_->executor,
        detail::accept_loop(state_, &listener->acceptor, StartConnection{listener.get()}),
        asio::detached);
  }
}

asio::awaitable<void> SmtpServer::drain(std::chrono::milliseconds timeout) {
  std::shared_ptr<State> state = state_;
  state->draining = true;
  state->close_listeners();
  // Connections waiting for a command hear why they are closed (RFC 5321 §3.8); the others
  // are told before their next command.
  for (SmtpConnection* conn : state->connections) {
    if (conn->phase == SmtpConnection::Phase::reading && !conn->writing) {
      detail::send_best_effort(*conn, conn->session.stop(core::SmtpStop::shutdown));
    }
  }
  co_await detail::drain_connections(state->connections, state->drained, timeout, state->log,
                                     "smtp-drain-timeout");
}

std::string smtp_metrics_text(const SmtpServerStats& stats) {
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::uint64_t value;
  };
  const Family families[] = {
      {"mtasts_smtp_connections_accepted_total", "counter", "Connections accepted.",
       stats.accepted},
      {"mtasts_smtp_connections_rejected_total", "counter",
       "Connections closed at once: over the connection limit with every connection busy, or "
       "out of file descriptors.",
       stats.rejected},
      {"mtasts_smtp_connections_evicted_total", "counter",
       "Idle or slow connections closed to make room for a new one at the connection limit.",
       stats.evicted},
      {"mtasts_smtp_connections", "gauge", "Connections open now.", stats.active},
      {"mtasts_smtp_messages_total", "counter", "Messages handed to the handler.", stats.messages},
      {"mtasts_smtp_recipients_rejected_total", "counter", "Recipients the handler refused.",
       stats.rejected_recipients},
      {"mtasts_smtp_command_errors_total", "counter",
       "Bad commands (replies 500, 501, 502, 503, 555).", stats.errors},
      {"mtasts_smtp_timeouts_total", "counter", "Connections closed by a deadline.",
       stats.timeouts},
  };
  std::string out;
  for (const Family& f : families) {
    core::append_metric(out, f.name, f.type, f.help, f.value);
  }
  return out;
}

const SmtpServerStats& SmtpServer::stats() const {
  return state_->stats;
}

}  // namespace mtasts::net
