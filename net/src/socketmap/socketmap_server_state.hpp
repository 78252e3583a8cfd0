#pragma once

// The inside of SocketmapServer, shared by socketmap_server.cpp (connections) and
// socketmap_listen.cpp (listeners).

#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "mtasts/net/socketmap/socketmap_server.hpp"
#include "runtime/accept_loop.hpp"
#include "runtime/note_rate.hpp"
#include "socketmap/flight.hpp"

namespace mtasts::net::detail {

using Protocol = boost::asio::generic::stream_protocol;

struct Listener {
  explicit Listener(const boost::asio::any_io_executor& executor) : acceptor(executor) {}
  boost::asio::basic_socket_acceptor<Protocol> acceptor;
  bool tcp = true;
  std::string unix_path;  // for UNIX listeners: removed when the listener closes
};

// One client connection, waiting for bytes until it reads a request.
struct Connection : WatchedSocket<Protocol> {
  explicit Connection(Protocol::socket s) : WatchedSocket<Protocol>(std::move(s), Phase::reading) {}
  // When the first byte of the request being received arrived (not yet: max). Its deadline is
  // read_timeout from then, however steadily the bytes trickle in.
  SteadyClock::time_point request_started = SteadyClock::time_point::max();
};

}  // namespace mtasts::net::detail

namespace mtasts::net {

struct SocketmapServer::State {
  State(boost::asio::any_io_executor ex, SocketmapHandler& h, SocketmapServerOptions o, Logger& l)
      : executor(std::move(ex)), handler(h), options(o), log(l) {}

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
  SocketmapHandler& handler;
  SocketmapServerOptions options;
  Logger& log;
  std::vector<std::unique_ptr<detail::Listener>> listeners;
  std::unordered_set<detail::Connection*> connections;
  detail::ActivityList<detail::WatchedSocket<detail::Protocol>> activity;  // the open ones
  SocketmapServerStats stats;
  // The most connections open at once since the last trim (options.trim_after_peak).
  std::size_t connection_peak = 0;
  // Info lines for clients cut by their deadline and for garbage on the wire (debug has one
  // line per connection).
  detail::NoteRate timeout_notes{detail::kNotePeriod};
  detail::NoteRate framing_notes{detail::kNotePeriod};
  bool started = false;
  bool draining = false;
  std::shared_ptr<detail::Event> drained = std::make_shared<detail::Event>();
};

}  // namespace mtasts::net
