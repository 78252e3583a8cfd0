#include "test_https_server.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "test_server.hpp"

namespace mtasts::net::testing {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

tcp::endpoint loopback() {
  return {asio::ip::make_address("127.0.0.1"), 0};
}

auto no_throw(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

asio::awaitable<void> pipe(tcp::socket& from, tcp::socket& to) {
  std::array<char, 4096> buffer{};
  error_code ec;
  while (true) {
    const std::size_t n = co_await from.async_read_some(asio::buffer(buffer), no_throw(ec));
    if (ec) {
      break;
    }
    co_await asio::async_write(to, asio::buffer(buffer.data(), n), no_throw(ec));
    if (ec) {
      break;
    }
  }
  to.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

TestHttpsServer::TestHttpsServer(asio::io_context& io, const Credential& credential,
                                 ServerScript script)
    : context_(tls_server_context(credential, script.max_tls_version)),
      acceptor_(io, loopback()),
      script_(std::move(script)) {
  SSL_CTX* ctx = context_.native_handle();
  SSL_CTX_set_tlsext_servername_callback(ctx, &TestHttpsServer::on_server_name);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  accept_each(acceptor_, [this](tcp::socket s) { return serve(std::move(s)); });
}

int TestHttpsServer::on_server_name(SSL* ssl, int* alert, void* self) {
  auto* server = static_cast<TestHttpsServer*>(self);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  server->log_.sni = name != nullptr ? name : "";
  if (server->script_.alert_in_handshake) {
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

asio::awaitable<void> TestHttpsServer::serve(tcp::socket socket) {
  ++log_.connections;
  ssl::stream<tcp::socket> stream(std::move(socket), context_);
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server, no_throw(ec));
  if (ec) {
    co_return;
  }
  std::string request;
  co_await asio::async_read_until(stream, asio::dynamic_buffer(request, 16384), "\r\n\r\n",
                                  no_throw(ec));
  if (ec) {
    co_return;
  }
  ++log_.requests;
  log_.request_heads.push_back(request.substr(0, request.find("\r\n\r\n")));

  std::string head = script_.head;
  if (script_.add_content_length) {
    head += "Content-Length: " + std::to_string(script_.body.size()) + "\r\n";
  }
  head += "\r\n";
  co_await asio::async_write(stream, asio::buffer(head), no_throw(ec));
  const std::string& body = script_.body;
  const std::size_t limit = std::min(script_.cut_after, body.size());
  asio::steady_timer timer(acceptor_.get_executor());
  do {
    for (std::size_t offset = 0; !ec && offset < limit;) {
      const std::size_t n =
          script_.chunk > 0 ? std::min(script_.chunk, limit - offset) : limit - offset;
      co_await asio::async_write(stream, asio::buffer(body.data() + offset, n), no_throw(ec));
      if (!ec) {
        log_.body_bytes_sent += n;
        offset += n;
      }
      if (script_.pause.count() > 0) {
        timer.expires_after(script_.pause);
        co_await timer.async_wait(no_throw(ec));
      }
    }
  } while (script_.endless && !ec && limit > 0);
  if (ec) {
    co_return;
  }
  if (script_.close_notify) {
    co_await stream.async_shutdown(no_throw(ec));
  } else {
    stream.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream.next_layer().close(ec);
  }
}

TestConnectProxy::TestConnectProxy(asio::io_context& io, std::uint16_t target_port, bool refuse)
    : acceptor_(io, loopback()), target_port_(target_port), refuse_(refuse) {
  accept_each(acceptor_, [this](tcp::socket s) { return serve(std::move(s)); });
}

asio::awaitable<void> TestConnectProxy::serve(tcp::socket client) {
  error_code ec;
  std::string head;
  co_await asio::async_read_until(client, asio::dynamic_buffer(head, 8192), "\r\n\r\n",
                                  no_throw(ec));
  if (ec) {
    co_return;
  }
  requests_.push_back(head.substr(0, head.find("\r\n")));
  if (refuse_) {
    const std::string answer = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    co_await asio::async_write(client, asio::buffer(answer), no_throw(ec));
    co_return;
  }
  tcp::socket upstream(client.get_executor());
  co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), target_port_},
                                  no_throw(ec));
  if (ec) {
    co_return;
  }
  const std::string answer = "HTTP/1.1 200 Connection established\r\n\r\n";
  co_await asio::async_write(client, asio::buffer(answer), no_throw(ec));
  using namespace asio::experimental::awaitable_operators;
  co_await (pipe(client, upstream) && pipe(upstream, client));
}

std::uint16_t unused_port(asio::io_context& io) {
  tcp::acceptor probe(io, loopback());
  return probe.local_endpoint().port();
}

}  // namespace mtasts::net::testing
