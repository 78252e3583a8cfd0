#pragma once

// The HTTP/1.1 client of mtasts (the ACME client, the alert webhook, the admin CLI): one
// request per connection (Connection: close) over plain TCP or TLS, under one deadline for
// name lookup, connect, handshake, request and response.
//
// TLS is checked as the policy fetcher checks it (runtime/tls_client.hpp): TLS 1.2 or later,
// PKIX against the system store (which honours SSL_CERT_FILE and SSL_CERT_DIR) or a CA file
// that replaces it, SNI and the host name check on DNS-IDs only (no CN fallback, a wildcard
// only as a whole left-most label); an IP address literal is sent no SNI and must be an IP-ID
// of the certificate. No request is sent over a channel that failed these checks.
//
// Redirects are not followed; any status is a response. The response head is bounded by
// max_header_bytes and the body by max_body_bytes (a larger Content-Length is refused before
// any body is read).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"

namespace mtasts::net {

enum class Transport {
  plain,  // http://
  tls,    // https://
};

struct ClientRequest {
  Transport transport = Transport::tls;
  std::string host;  // a name or an IP address literal (no brackets)
  std::uint16_t port = 443;
  std::string method = "GET";  // as sent: methods are case-sensitive (RFC 9110 §9.1)
  std::string target = "/";    // path and query
  // Extra header fields. Host, Connection, Content-Length and User-Agent are the client's.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ClientResponse {
  unsigned status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;

  // The value of the first field named `name` (case-insensitive); "" when there is none.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  // The values of every field named `name` (case-insensitive), in order.
  [[nodiscard]] std::vector<std::string_view> header_values(std::string_view name) const;
};

struct HttpClientOptions {
  std::optional<std::string> ca_file;  // PEM bundle that replaces the system store
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::string user_agent = "mtasts";
};

// Where names are looked up when the client has no DnsResolver.
enum class SystemLookup {
  getaddrinfo,  // the system's resolver (/etc/hosts, nsswitch), on Asio's resolver thread
};

class HttpClient {
 public:
  using Clock = std::chrono::steady_clock;

  // A client that looks names up with `resolver`, which must outlive it. Runs on `executor`.
  // Errors: Errc::io when the CA file is unreadable or holds no certificate, Errc::system when
  // the TLS library cannot be set up.
  [[nodiscard]] static core::Result<HttpClient> create(boost::asio::any_io_executor executor,
                                                       DnsResolver& resolver,
                                                       HttpClientOptions options);
  // The same, looking names up with the system's resolver.
  [[nodiscard]] static core::Result<HttpClient> create(boost::asio::any_io_executor executor,
                                                       SystemLookup lookup,
                                                       HttpClientOptions options);

  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // Sends `request` and reads the whole response by `deadline`. Any status is a response.
  // Errors, each with a message naming the host and the step that failed:
  //   core::Errc::too_large  the response head or body exceeds its limit
  //   Errc::connect          no address, no connection, a connection cut or reset
  //   Errc::timeout          the deadline passed
  //   Errc::tls              the peer's certificate is refused (a failed handshake: connect)
  //   Errc::protocol         the answer is not HTTP/1.x
  //   Errc::system           the TLS library refused the name
  // A caller that must tell the deadline apart compares Clock::now() with it.
  boost::asio::awaitable<core::Result<ClientResponse>> send(ClientRequest request,
                                                            Clock::time_point deadline);

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "host" or "host:port" (IPv6 in brackets) as the Host field names it: the port only when it
// is not the default of the transport.
[[nodiscard]] std::string authority_of(Transport transport, const std::string& host,
                                       std::uint16_t port);

}  // namespace mtasts::net
