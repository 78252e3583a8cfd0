#pragma once

// The inside of SmtpServer, shared by smtp_server.cpp (listeners, accept, drain) and
// smtp_connection.cpp (one connection's coroutine and watchdog).

#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "mtasts/net/smtp/smtp_server.hpp"
#include "runtime/accept_loop.hpp"
#include "socketmap/flight.hpp"

namespace mtasts::net::detail {

using SmtpProtocolSocket = boost::asio::generic::stream_protocol;

struct SmtpListener {
  explicit SmtpListener(const boost::asio::any_io_executor& executor) : acceptor(executor) {}
  boost::asio::basic_socket_acceptor<SmtpProtocolSocket> acceptor;
  core::SmtpProtocol protocol = core::SmtpProtocol::smtp;
  bool tcp = true;
  std::string unix_path;  // for UNIX listeners: removed when the listener closes
};

// One client connection: its socket under the watchdog, and its session.
struct SmtpConnection : WatchedSocket<SmtpProtocolSocket> {
  SmtpConnection(SmtpProtocolSocket::socket s, core::SmtpSessionConfig config)
      : WatchedSocket<SmtpProtocolSocket>(std::move(s), Phase::reading),
        session(std::move(config)) {}

  core::SmtpSession session;
  bool writing = false;    // an asynchronous write is pending: nothing else may be sent
  bool timed_out = false;  // closed by the watchdog
};

}  // namespace mtasts::net::detail

namespace mtasts::net {

struct SmtpServer::State {
  State(boost::asio::any_io_executor ex, SmtpHandler& h, SmtpServerOptions o, Logger& l)
      : executor(std::move(ex)), handler(h), options(std::move(o)), log(l) {}

  void close_listeners() {
    for (auto& listener : listeners) {
      boost::system::error_code ignored;
      listener->acceptor.close(ignored);
      if (!listener->unix_path.empty()) {
        ::unlink(listener->unix_path.c_str());
        listener->unix_path.clear();
      }
    }
  }

  boost::asio::any_io_executor executor;
  SmtpHandler& handler;
  SmtpServerOptions options;
  Logger& log;
  std::vector<std::unique_ptr<detail::SmtpListener>> listeners;
  std::unordered_set<detail::SmtpConnection*> connections;
  detail::ActivityList<detail::WatchedSocket<detail::SmtpProtocolSocket>> activity;
  SmtpServerStats stats;
  bool started = false;
  bool draining = false;
  std::shared_ptr<detail::Event> drained = std::make_shared<detail::Event>();
};

namespace detail {

// Starts an accepted connection: its watchdog and its coroutine (smtp_connection.cpp).
void start_smtp_connection(const std::shared_ptr<SmtpServer::State>& state,
                           std::shared_ptr<SmtpConnection> conn);

// Sends what the socket takes of `text` at once, never waiting; for a 421 before a close.
void send_best_effort(SmtpConnection& conn, const std::string& text);

}  // namespace detail

}  // namespace mtasts::net
