#pragma once

// An HTTPS policy host inside the test process, on 127.0.0.1 (ephemeral port), that
// misbehaves on request: TLS alerts, any status line and headers, bodies trickled, cut short,
// endless or oversized. It records what it saw (SNI, requests) and what it sent.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "test_pki.hpp"

namespace mtasts::net::testing {

struct ServerScript {
  bool alert_in_handshake = false;  // answer the ClientHello with a fatal alert
  int max_tls_version = 0;          // e.g. TLS1_1_VERSION; 0: the library default
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";  // no final CRLF
  bool add_content_length = true;  // append Content-Length: body.size()
  std::string body;
  std::size_t chunk = 0;  // >0: send the body in pieces of this size, `pause` apart
  std::chrono::milliseconds pause{0};
  std::size_t cut_after = std::string::npos;  // stop sending the body after this many bytes
  bool endless = false;                       // repeat the body until the client goes away
  bool close_notify = true;  // end with a TLS close_notify (false: drop the TCP connection)
};

struct ServerLog {
  int connections = 0;
  int requests = 0;
  std::string sni;
  std::vector<std::string> request_heads;  // request line and header fields, as received
  std::size_t body_bytes_sent = 0;
};

class TestHttpsServer {
 public:
  TestHttpsServer(boost::asio::io_context& io, const Credential& credential, ServerScript script);

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] const ServerLog& log() const { return log_; }

 private:
  static int on_server_name(SSL* ssl, int* alert, void* self);
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::ssl::context context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ServerScript script_;
  ServerLog log_;
};

// A CONNECT proxy on 127.0.0.1 that tunnels to 127.0.0.1:<target port>, or refuses with 403.
class TestConnectProxy {
 public:
  TestConnectProxy(boost::asio::io_context& io, std::uint16_t target_port, bool refuse);

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] const std::vector<std::string>& requests() const { return requests_; }

 private:
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t target_port_;
  bool refuse_;
  std::vector<std::string> requests_;
};

// A port on 127.0.0.1 where nothing listens (bound, then released).
[[nodiscard]] std::uint16_t unused_port(boost::asio::io_context& io);

}  // namespace mtasts::net::testing
