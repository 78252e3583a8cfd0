#include "mtasts/net/http/metrics_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "mtasts/core/base/host_port.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::size_t kMaxRequestHead = 8 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr std::size_t kMaxConnections = 64;

std::string response(std::string_view status, std::string_view content_type,
                     const std::string& body, bool head_only) {
  std::string out = "HTTP/1.1 ";
  out += status;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\nConnection: close\r\n\r\n";
  if (!head_only) {
    out += body;
  }
  return out;
}

}  // namespace

core::Result<MetricsEndpoint> parse_metrics_endpoint(std::string_view text) {
  auto parsed = core::parse_host_port(text, core::kListenAddress);
  if (!parsed) {
    return core::fail(core::Errc::invalid_value, "invalid metrics address \"" + std::string(text) +
                                                     "\": " + parsed.error().message);
  }
  return MetricsEndpoint{std::move(parsed->host), parsed->port};
}

std::string metrics_response(std::string_view head, const std::function<std::string()>& body) {
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
    return response("400 Bad Request", "text/plain", "bad request\n", false);
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    return response("405 Method Not Allowed", "text/plain", "GET only\n", false);
  }
  if (target != "/metrics" && target != "/") {
    return response("404 Not Found", "text/plain", "try /metrics\n", head_only);
  }
  return response("200 OK", "text/plain; version=0.0.4; charset=utf-8", body(), head_only);
}

struct MetricsServer::State {
  State(asio::any_io_executor ex, std::function<std::string()> b, Logger& l)
      : executor(std::move(ex)), body(std::move(b)), log(l), acceptor(executor) {}
  asio::any_io_executor executor;
  std::function<std::string()> body;
  Logger& log;
  tcp::acceptor acceptor;
  std::size_t connections = 0;
};

namespace {

using State = MetricsServer::State;

asio::awaitable<void> serve(std::shared_ptr<State> state, std::shared_ptr<tcp::socket> socket) {
  asio::steady_timer deadline(state->executor, kRequestTimeout);
  std::shared_ptr<tcp::socket> watched = socket;  // a local: see policy_service_discovery.cpp
  deadline.async_wait([watched](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored;
      watched->close(ignored);
    }
  });
  asio::streambuf buffer(kMaxRequestHead);
  boost::system::error_code ec;
  const std::size_t n = co_await asio::async_read_until(
      *socket, buffer, "\r\n\r\n", asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    const std::string head(static_cast<const char*>(buffer.data().data()), n);
    const std::string reply = metrics_response(head, state->body);
    co_await asio::async_write(*socket, asio::buffer(reply),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  deadline.cancel();
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
  --state->connections;
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(state->executor);
    boost::system::error_code ec;
    co_await state->acceptor.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
    if (!state->acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      asio::steady_timer pause(state->executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (state->connections >= kMaxConnections) {
      continue;  // the socket closes as it goes out of scope
    }
    ++state->connections;
    asio::co_spawn(state->executor, serve(state, socket), asio::detached);
  }
}

}  // namespace

MetricsServer::MetricsServer(asio::any_io_executor executor, std::function<std::string()> body,
                             Logger& log)
    : state_(std::make_shared<State>(std::move(executor), std::move(body), log)) {}

MetricsServer::~MetricsServer() {
  stop();
}

core::Result<std::uint16_t> MetricsServer::listen(const MetricsEndpoint& endpoint) {
  boost::system::error_code ec;
  tcp::endpoint ep;
  const auto address =
      asio::ip::make_address(endpoint.host.empty() ? "0.0.0.0" : endpoint.host, ec);
  if (ec) {
    tcp::resolver resolver(state_->executor);
    const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (ec || results.empty()) {
      return core::fail(core::Errc::invalid_value,
                        "cannot resolve metrics host " + endpoint.host + ": " + ec.message());
    }
    ep = results.begin()->endpoint();
  } else {
    ep = tcp::endpoint(address, endpoint.port);
  }
  auto& acceptor = state_->acceptor;
  acceptor.open(ep.protocol(), ec);
  if (!ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor.bind(ep, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return core::fail(core::Errc::invalid_value, "cannot listen for metrics on " + endpoint.host +
                                                     ":" + std::to_string(endpoint.port) + ": " +
                                                     ec.message());
  }
  return acceptor.local_endpoint().port();
}

void MetricsServer::start() {
  asio::co_spawn(state_->executor, accept_loop(state_), asio::detached);
}

void MetricsServer::stop() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

}  // namespace mtasts::net
