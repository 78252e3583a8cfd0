#include "acme/acme_http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "mtasts/core/acme/acme_messages.hpp"
#include "runtime/tls_client.hpp"

namespace mtasts::net::acme {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::string_view kUserAgent = "mtasts/" MTASTS_VERSION " (ACME client)";

tl::unexpected<AcmeError> failure(AcmeErrc code, std::string message) {
  AcmeError error;
  error.code = code;
  error.message = std::move(message);
  return tl::unexpected(std::move(error));
}

tl::unexpected<AcmeError> io_failure(const error_code& ec, const std::string& during) {
  if (ec == beast::error::timeout) {
    return failure(AcmeErrc::timeout, "the deadline passed while " + during);
  }
  if (ec == http::error::body_limit) {
    return failure(AcmeErrc::protocol,
                   "the CA's answer exceeds " + std::to_string(kMaxResponseBody) + " bytes");
  }
  return failure(AcmeErrc::transport,
                 "talking to the CA failed while " + during + ": " + ec.message());
}

std::string authority(const core::HttpsUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + url.host + "]" : url.host;
  return url.port == 443 ? host : host + ":" + std::to_string(url.port);
}

http::verb verb_of(Method method) {
  switch (method) {
    case Method::get:
      return http::verb::get;
    case Method::head:
      return http::verb::head;
    case Method::post:
      return http::verb::post;
  }
  return http::verb::get;
}

// An address literal as it is, else the name through the resolver, bounded by the deadline.
asio::awaitable<AcmeResult<std::vector<tcp::endpoint>>> lookup(asio::any_io_executor executor,
                                                               DnsResolver& resolver,
                                                               core::HttpsUrl url,
                                                               Clock::time_point deadline) {
  std::vector<tcp::endpoint> endpoints;
  error_code ec;
  const asio::ip::address literal = asio::ip::make_address(url.host, ec);
  if (!ec) {
    endpoints.emplace_back(literal, url.port);
    co_return endpoints;
  }
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(executor, deadline);
  auto outcome = co_await (resolver.query_addresses(url.host) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) {
    co_return failure(AcmeErrc::timeout, "the deadline passed while looking up " + url.host);
  }
  const AddressAnswer& answer = std::get<0>(outcome);
  for (const std::string& text : answer.addresses) {
    const asio::ip::address address = asio::ip::make_address(text, ec);
    if (!ec) {
      endpoints.emplace_back(address, url.port);
    }
  }
  if (endpoints.empty()) {
    co_return failure(AcmeErrc::transport, "cannot resolve the CA's host " + url.host + " (" +
                                               std::string(dns_status_name(answer.meta.status)) +
                                               ")");
  }
  co_return endpoints;
}

HttpReply reply_from(http::response<http::string_body> response) {
  HttpReply reply;
  reply.status = response.result_int();
  reply.content_type = std::string(response[http::field::content_type]);
  reply.location = std::string(response[http::field::location]);
  reply.replay_nonce = std::string(response["Replay-Nonce"]);
  reply.retry_after = std::string(response[http::field::retry_after]);
  const auto links = response.equal_range(http::field::link);
  for (auto it = links.first; it != links.second; ++it) {
    reply.links.emplace_back(it->value());
  }
  reply.body = std::move(response.body());
  return reply;
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, DnsResolver& resolver, ssl::context context)
    : executor_(std::move(executor)), resolver_(resolver), context_(std::move(context)) {}

asio::awaitable<AcmeResult<HttpReply>> HttpClient::send(HttpRequest request,
                                                        Clock::time_point deadline) {
  const auto url = core::parse_https_url(request.url);
  if (!url) {
    co_return failure(AcmeErrc::protocol,
                      "cannot use the URL " + request.url + ": " + url.error().message);
  }
  auto endpoints = co_await lookup(executor_, resolver_, *url, deadline);
  if (!endpoints) {
    co_return tl::unexpected(std::move(endpoints.error()));
  }
  error_code ec;
  beast::ssl_stream<beast::tcp_stream> stream(executor_, context_);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_at(deadline);  // one deadline for every operation from here on
  co_await tcp_layer.async_connect(*endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return io_failure(ec, "connecting to " + authority(*url));
  }
  if (auto prepared = prepare_client_ssl(stream.native_handle(), url->host); !prepared) {
    co_return failure(AcmeErrc::local, prepared.error().message);
  }
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK && ec != beast::error::timeout) {
      co_return failure(AcmeErrc::transport, "the certificate of " + url->host +
                                                 " is not trusted: " + verify_error_text(verify));
    }
    co_return io_failure(ec, "in the TLS handshake with " + authority(*url));
  }

  http::request<http::string_body> message{verb_of(request.method), url->target, 11};
  message.set(http::field::host, authority(*url));
  message.set(http::field::user_agent, kUserAgent);
  message.set(http::field::connection, "close");
  if (!request.accept.empty()) {
    message.set(http::field::accept, request.accept);
  }
  if (request.method == Method::post) {
    message.set(http::field::content_type, request.content_type);
    message.body() = std::move(request.body);
    message.prepare_payload();
  }
  co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return io_failure(ec, "sending the request to " + request.url);
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kMaxResponseBody);
  parser.skip(request.method == Method::head);  // a HEAD answer has no body (RFC 9110 §9.3.2)
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return io_failure(ec, "reading the answer to " + request.url);
  }
  // The whole answer is read; a missing close_notify can no longer cut anything short.
  HttpReply reply = reply_from(parser.release());
  error_code ignored;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return reply;
}

}  // namespace mtasts::net::acme
