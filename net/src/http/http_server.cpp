// HttpServer: listeners, the accept loop, drain and counters. Connections: http_connection.cpp.

#include "mtasts/net/http/http_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/http_server_state.hpp"
#include "mtasts/core/base/host_port.hpp"
#include "mtasts/net/hosting/certificate_set.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;
using asio::ip::tcp;
using detail::HttpConnection;
using detail::HttpListener;
using State = HttpServer::State;

core::Error system_error(const std::string& what, const boost::system::error_code& ec) {
  return core::Error{core::Errc::invalid_value, what + ": " + ec.message()};
}

core::Result<tcp::endpoint> tcp_endpoint(const asio::any_io_executor& executor,
                                         const Endpoint& endpoint) {
  if (endpoint.host.empty()) {
    return tcp::endpoint(tcp::v6(), endpoint.port);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    return tcp::endpoint(address, endpoint.port);
  }
  tcp::resolver resolver(executor);
  const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec || results.empty()) {
    return core::fail(core::Errc::invalid_value,
                      "cannot resolve listen host " + endpoint.host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

// Sets up TLS on a new connection: two memory BIOs, server mode, the handshake note.
bool attach_tls(HttpConnection& conn, SSL_CTX* ctx) {
  conn.ssl = SSL_new(ctx);
  if (conn.ssl == nullptr) {
    return false;
  }
  conn.rbio = BIO_new(BIO_s_mem());
  conn.wbio = BIO_new(BIO_s_mem());
  if (conn.rbio == nullptr || conn.wbio == nullptr) {
    BIO_free(conn.rbio);
    BIO_free(conn.wbio);
    return false;
  }
  BIO_set_mem_eof_return(conn.rbio, -1);  // empty: "want read", not end of stream
  SSL_set_bio(conn.ssl, conn.rbio, conn.wbio);
  SSL_set_accept_state(conn.ssl);
  SSL_set_app_data(conn.ssl, &conn.note);
  return true;
}

// Counts a new connection against the budget and starts it (detail::accept_loop).
struct StartConnection {
  HttpListener* listener;

  void operator()(const std::shared_ptr<State>& shared, tcp::socket socket) const {
    State& state = *shared;
    state.counters.accepted.add();
    if (!state.budget->try_acquire()) {
      // The least recently active connection waiting for its client makes room (it gives its
      // place in the budget back as it ends): silent or slow clients cannot lock others out.
      if (!state.activity.evict_one()) {
        state.counters.rejected.add();
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
      }
      state.counters.evicted.add();
      state.budget->acquire_over();
      if (const std::size_t n = state.eviction_notes.count(std::chrono::steady_clock::now());
          n > 0) {
        boost::system::error_code no_port;
        state.log.log(LogLevel::info, "connection-evicted",
                      {{"connections", n},
                       {"port", listener->acceptor.local_endpoint(no_port).port()},
                       {"why",
                        "at the connection limit: the least recently active waiting "
                        "connection made room"}});
      }
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto remote = socket.remote_endpoint(ignored);
    auto conn = std::make_shared<HttpConnection>(std::move(socket), nullptr);
    if (!ignored) {
      const auto address = remote.address();
      conn->peer = address.is_v6() && address.to_v6().is_v4_mapped()
                       ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string()
                       : address.to_string();
    }
    if (listener->tls != nullptr && !attach_tls(*conn, listener->tls)) {
      state.log.log(LogLevel::error, "tls-setup-failed", {});
      state.budget->release();
      return;
    }
    conn->deadline = detail::coarse_now() + state.limits.header_timeout;
    state.connections.insert(conn.get());
    state.activity.push_newest(*conn);
    state.counters.open.set(state.connections.size());
    asio::co_spawn(state.executor, detail::watch_connection(conn), asio::detached);
    asio::co_spawn(state.executor, detail::serve_connection(shared, conn), asio::detached);
  }

  // Connections the accept loop closed at once, out of file descriptors.
  void refused(const std::shared_ptr<State>& state, std::size_t n) const {
    state->counters.rejected.add(n);
  }
};

core::Result<std::uint16_t> listen_on(State& state, const Endpoint& endpoint, PortSharing sharing,
                                      SSL_CTX* tls) {
  auto address = tcp_endpoint(state.executor, endpoint);
  if (!address) {
    return tl::unexpected(address.error());
  }
  const std::string where = to_string(endpoint);
  auto listener = std::make_unique<HttpListener>(state.executor);
  listener->tls = tls;
  auto& acceptor = listener->acceptor;
  boost::system::error_code ec;
  acceptor.open(address->protocol(), ec);
  if (ec && endpoint.host.empty()) {  // no IPv6: every IPv4 interface instead
    return listen_on(state, Endpoint{"0.0.0.0", endpoint.port}, sharing, tls);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + where, ec));
  }
  if (endpoint.host.empty()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (sharing == PortSharing::shared) {
    const int one = 1;
    ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  acceptor.bind(*address, ec);
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return tl::unexpected(system_error("cannot listen on " + where, ec));
  }
  const std::uint16_t bound = acceptor.local_endpoint(ec).port();
  state.listeners.push_back(std::move(listener));
  return bound;
}

}  // namespace

core::Result<Endpoint> parse_endpoint(std::string_view text) {
  auto parsed = core::parse_host_port(text, core::kListenAddress);
  if (!parsed) {
    return core::fail(core::Errc::invalid_value,
                      "bad listen address " + std::string(text) + ": " + parsed.error().message);
  }
  return Endpoint{std::move(parsed->host), parsed->port};
}

std::string to_string(const Endpoint& endpoint) {
  return core::format_host_port(endpoint.host, endpoint.port);
}

std::string_view handshake_failure_name(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::no_sni:
      return "no_sni";
    case HandshakeFailure::unknown_name:
      return "unknown_name";
    case HandshakeFailure::no_challenge:
      return "no_challenge";
    case HandshakeFailure::timeout:
      return "timeout";
    case HandshakeFailure::closed:
      return "closed";
    case HandshakeFailure::protocol:
      return "protocol";
  }
  return "protocol";
}

HttpServerStats& HttpServerStats::operator+=(const HttpServerStats& other) {
  accepted += other.accepted;
  rejected += other.rejected;
  evicted += other.evicted;
  active += other.active;
  requests += other.requests;
  timeouts += other.timeouts;
  for (const auto& [status, count] : other.responses) {
    responses[status] += count;
  }
  handshakes += other.handshakes;
  alpn_challenges += other.alpn_challenges;
  for (std::size_t i = 0; i < handshake_failures.size(); ++i) {
    handshake_failures[i] += other.handshake_failures[i];
  }
  return *this;
}

HttpServer::HttpServer(asio::any_io_executor executor, HttpHandler& handler,
                       HttpServerLimits limits, Logger& log,
                       std::shared_ptr<ConnectionBudget> budget)
    : state_(
          std::make_shared<State>(std::move(executor), handler, limits, log, std::move(budget))) {}

HttpServer::~HttpServer() {
  state_->draining = true;
  state_->close_listeners();
  for (HttpConnection* conn : state_->connections) {
    conn->close();
  }
}

core::Result<std::uint16_t> HttpServer::listen(const Endpoint& endpoint, PortSharing sharing) {
  return listen_on(*state_, endpoint, sharing, nullptr);
}

core::Result<std::uint16_t> HttpServer::listen_tls(const Endpoint& endpoint, PortSharing sharing,
                                                   const CertificateSet& certificates) {
  return listen_on(*state_, endpoint, sharing, certificates.native_context());
}

void HttpServer::start() {
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

asio::awaitable<void> HttpServer::drain(std::chrono::milliseconds timeout) {
  std::shared_ptr<State> state = state_;
  state->draining = true;
  state->close_listeners();
  co_await detail::drain_connections(state->connections, state->drained, timeout, state->log,
                                     "http-drain-timeout");
}

HttpServerStats HttpServer::stats() const {
  const detail::HttpCounters& c = state_->counters;
  HttpServerStats out;
  out.accepted = c.accepted.get();
  out.rejected = c.rejected.get();
  out.evicted = c.evicted.get();
  out.active = c.open.get();
  out.requests = c.requests.get();
  out.timeouts = c.timeouts.get();
  for (unsigned status = 0; status < detail::kMaxStatus; ++status) {
    if (const std::uint64_t n = c.responses[status].get(); n > 0) {
      out.responses[status] = n;
    }
  }
  out.handshakes = c.handshakes.get();
  out.alpn_challenges = c.alpn_challenges.get();
  for (std::size_t i = 0; i < kHandshakeFailureKinds; ++i) {
    out.handshake_failures[i] = c.handshake_failures[i].get();
  }
  return out;
}

}  // namespace mtasts::net
