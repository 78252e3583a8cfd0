// The webhook POST of the alert hook (host_alert.hpp): one request per connection, Beast over
// plain TCP or TLS, one deadline for lookup, connect, handshake, request and response.

#include <arpa/inet.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "mtasts/core/base/host_port.hpp"
#include "mtasts/hosting/host_alert.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t kMaxResponse = 64 * 1024;

core::Result<void> failure(std::string what) {
  return core::fail(core::Errc::invalid_value, std::move(what));
}

bool is_ip_literal(const std::string& host) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string host_field(const WebhookUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  const bool default_port = url.port == (url.tls ? 443 : 80);
  return default_port ? host : host + ":" + std::to_string(url.port);
}

template <class Stream>
asio::awaitable<core::Result<void>> exchange(Stream& stream, const WebhookUrl& url,
                                             std::string body) {
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, host_field(url));
  request.set(http::field::user_agent, "mtasts-host/" MTASTS_VERSION);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  request.body() = std::move(body);
  request.prepare_payload();
  boost::system::error_code ec;
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return failure("sending the request: " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponse);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return failure("reading the answer: " + ec.message());
  }
  const unsigned status = parser.get().result_int();
  if (status < 200 || status > 299) {
    co_return failure("the webhook answered HTTP " + std::to_string(status));
  }
  co_return core::Result<void>();
}

}  // namespace

core::Result<WebhookUrl> parse_webhook_url(std::string_view text) {
  WebhookUrl url;
  if (text.starts_with("https://")) {
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
    url.tls = false;
    url.port = 80;
  } else {
    return core::fail(core::Errc::invalid_value, "expected an http:// or https:// URL");
  }
  const std::size_t slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.target = std::string(text.substr(slash));
    if (url.target.front() == '?') {
      url.target = "/" + url.target;
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    return core::fail(core::Errc::invalid_value, "user information in the URL is not supported");
  }
  auto host_port = core::parse_host_port(authority, core::url_authority(url.port));
  if (!host_port) {
    return core::fail(core::Errc::invalid_value,
                      "the URL's host and port: " + host_port.error().message);
  }
  url.host = std::move(host_port->host);
  url.port = host_port->port;
  return url;
}

asio::awaitable<core::Result<void>> post_webhook(net::DnsResolver& resolver, WebhookUrl url,
                                                 std::string body,
                                                 std::optional<std::string> ca_file,
                                                 std::chrono::milliseconds timeout) {
  std::vector<std::string> addresses;
  if (is_ip_literal(url.host)) {
    addresses.push_back(url.host);
  } else {
    const net::AddressAnswer answer = co_await resolver.query_addresses(url.host);
    if (answer.meta.status != net::DnsStatus::ok) {
      co_return failure("cannot resolve " + url.host + ": " +
                        std::string(net::dns_status_name(answer.meta.status)));
    }
    addresses = answer.addresses;
  }
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream tcp(executor);
  // One deadline for everything that follows (a beast::tcp_stream expiry covers every
  // operation until it is changed, those of the TLS layer above it included).
  tcp.expires_after(timeout);
  boost::system::error_code ec = asio::error::host_not_found;
  for (const std::string& address : addresses) {
    boost::system::error_code parse_error;
    const asio::ip::address ip = asio::ip::make_address(address, parse_error);
    if (parse_error) {
      continue;
    }
    const asio::ip::tcp::endpoint endpoint(ip, url.port);
    co_await tcp.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      break;
    }
  }
  if (ec) {
    co_return failure("cannot connect to " + url.host + ": " + ec.message());
  }
  if (!url.tls) {
    core::Result<void> done = co_await exchange(tcp, url, std::move(body));
    co_return done;
  }
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  if (ca_file) {
    context.load_verify_file(*ca_file, ec);
  } else {
    context.set_default_verify_paths(ec);
  }
  if (ec) {
    co_return failure("cannot load the trusted CAs: " + ec.message());
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), context);
  SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
  SSL_set1_host(stream.native_handle(), url.host.c_str());
  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return failure("TLS with " + url.host + ": " + ec.message());
  }
  core::Result<void> done = co_await exchange(stream, url, std::move(body));
  co_return done;
}

}  // namespace mtasts::hosting
