#include "mtasts/net/http/http_client.hpp"

#include <openssl/ssl.h>
#include <strings.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "mtasts/net/runtime/errc.hpp"
#include "runtime/client_connect.hpp"
#include "runtime/tls_client.hpp"

namespace mtasts::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = HttpClient::Clock;

struct HttpClient::Impl {
  Impl(asio::any_io_executor ex, DnsResolver* r, HttpClientOptions o, ssl::context c)
      : executor(std::move(ex)), resolver(r), options(std::move(o)), context(std::move(c)) {}

  asio::any_io_executor executor;
  DnsResolver* resolver;  // null: the system's resolver
  HttpClientOptions options;
  ssl::context context;  // set up once by configure_client_context
};

namespace {

using Impl = HttpClient::Impl;
using Endpoints = core::Result<std::vector<tcp::endpoint>>;

core::Result<ClientResponse> failure(core::ErrorCode code, std::string message) {
  return core::fail(code, std::move(message));
}

core::Result<ClientResponse> io_failure(const Impl& impl, const error_code& ec,
                                        const std::string& during) {
  if (ec == beast::error::timeout) {
    return failure(Errc::timeout, "the deadline passed while " + during);
  }
  if (ec == http::error::body_limit) {
    return failure(
        core::Errc::too_large,
        "the response body exceeds " + std::to_string(impl.options.max_body_bytes) + " bytes");
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return failure(
        core::Errc::too_large,
        "the response header exceeds " + std::to_string(impl.options.max_header_bytes) + " bytes");
  }
  // Beast's parser errors: the peer's answer is no HTTP/1.x; anything else: the connection.
  const bool malformed =
      ec.category() == http::make_error_code(http::error::bad_version).category();
  return failure(malformed ? Errc::protocol : Errc::connect, during + " failed: " + ec.message());
}

// The system's resolver, bounded by the deadline (the lookup itself cannot be interrupted:
// getaddrinfo finishes on Asio's resolver thread, its answer is then dropped).
asio::awaitable<Endpoints> system_lookup(std::string host, std::uint16_t port,
                                         Clock::time_point deadline) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer guard(executor, deadline);
  guard.async_wait([resolver](const error_code& ec) {
    if (!ec) {
      resolver->cancel();
    }
  });
  error_code ec;
  const auto results = co_await resolver->async_resolve(
      host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
  guard.cancel();
  if (ec == asio::error::operation_aborted) {
    co_return core::fail(Errc::timeout, "the deadline passed while looking up " + host);
  }
  if (ec) {
    co_return core::fail(Errc::connect, "cannot resolve " + host + ": " + ec.message());
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    endpoints.push_back(entry.endpoint());
  }
  co_return endpoints;
}

asio::awaitable<Endpoints> lookup(Impl& impl, std::string host, std::uint16_t port,
                                  Clock::time_point deadline) {
  if (impl.resolver == nullptr) {
    Endpoints found = co_await system_lookup(std::move(host), port, deadline);
    co_return found;
  }
  AddressLookup found = co_await lookup_addresses(*impl.resolver, host, port, deadline);
  switch (found.end) {
    case LookupEnd::found:
      if (found.endpoints.empty()) {
        co_return core::fail(Errc::connect, "cannot resolve " + host + ": no usable address");
      }
      co_return std::move(found.endpoints);
    case LookupEnd::deadline:
      co_return core::fail(Errc::timeout, "the deadline passed while looking up " + host);
    case LookupEnd::failed:
      break;
  }
  co_return core::fail(Errc::connect, "cannot resolve " + host + ": " + found.reason);
}

// The request as sent; Errc::invalid_value for a method Beast does not know.
core::Result<http::request<http::string_body>> message_of(const Impl& impl,
                                                          ClientRequest& request) {
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    return core::fail(core::Errc::invalid_value, "unknown HTTP method " + request.method);
  }
  http::request<http::string_body> message{verb, request.target, 11};
  message.set(http::field::host, authority_of(request.transport, request.host, request.port));
  message.set(http::field::user_agent, impl.options.user_agent);
  message.set(http::field::connection, "close");
  for (auto& [name, value] : request.headers) {
    message.insert(name, value);
  }
  message.body() = std::move(request.body);
  message.prepare_payload();
  return message;
}

ClientResponse response_of(http::response<http::string_body> parsed) {
  ClientResponse response;
  response.status = parsed.result_int();
  response.reason = std::string(parsed.reason());
  for (const auto& field : parsed) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(parsed.body());
  return response;
}

// Request and response over a connected (and, for TLS, handshaken) stream.
template <class Stream>
asio::awaitable<core::Result<ClientResponse>> exchange(Impl& impl, Stream& stream,
                                                       http::request<http::string_body> message,
                                                       std::string where) {
  error_code ec;
  co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return io_failure(impl, ec, "sending the request to " + where);
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(impl.options.max_header_bytes));
  parser.body_limit(impl.options.max_body_bytes);
  parser.skip(message.method() == http::verb::head);  // no body (RFC 9110 §9.3.2)
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return io_failure(impl, ec, "reading the response of " + where);
  }
  // The whole response is read: a missing close_notify can no longer cut anything short.
  error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return response_of(parser.release());
}

asio::awaitable<core::Result<ClientResponse>> run(Impl& impl, ClientRequest request,
                                                  Clock::time_point deadline) {
  const std::string where = authority_of(request.transport, request.host, request.port);
  auto message = message_of(impl, request);
  if (!message) {
    co_return tl::unexpected(message.error());
  }
  Endpoints endpoints = co_await lookup(impl, request.host, request.port, deadline);
  if (!endpoints) {
    co_return tl::unexpected(endpoints.error());
  }
  beast::tcp_stream tcp_stream(impl.executor);
  // One deadline for every operation from here on.
  const ConnectOutcome connected = co_await connect_endpoints(tcp_stream, *endpoints, deadline);
  if (connected.end != ConnectEnd::connected) {
    co_return failure(connected.end == ConnectEnd::deadline ? Errc::timeout : Errc::connect,
                      connect_failure_text(connected, where));
  }
  if (request.transport == Transport::plain) {
    core::Result<ClientResponse> done =
        co_await exchange(impl, tcp_stream, std::move(*message), where);
    co_return done;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), impl.context);
  if (auto prepared = prepare_client_ssl(stream.native_handle(), request.host); !prepared) {
    co_return tl::unexpected(prepared.error());
  }
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK && ec != beast::error::timeout) {
      co_return failure(Errc::tls, "the certificate of " + request.host +
                                       " is refused: " + verify_error_text(verify));
    }
    co_return io_failure(impl, ec, "the TLS handshake with " + where);
  }
  core::Result<ClientResponse> done = co_await exchange(impl, stream, std::move(*message), where);
  co_return done;
}

core::Result<std::unique_ptr<Impl>> make_impl(asio::any_io_executor executor, DnsResolver* resolver,
                                              HttpClientOptions options) {
  auto context = make_client_context(options.ca_file);
  if (!context) {
    return tl::unexpected(context.error());
  }
  return std::make_unique<Impl>(std::move(executor), resolver, std::move(options),
                                std::move(*context));
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view ClientResponse::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (same_name(field, name)) {
      return value;
    }
  }
  return {};
}

std::vector<std::string_view> ClientResponse::header_values(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [field, value] : headers) {
    if (same_name(field, name)) {
      values.emplace_back(value);
    }
  }
  return values;
}

std::string authority_of(Transport transport, const std::string& host, std::uint16_t port) {
  const std::uint16_t default_port = transport == Transport::tls ? 443 : 80;
  if (port == default_port) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
  }
  return host_port_text(host, port);
}

core::Result<HttpClient> HttpClient::create(asio::any_io_executor executor, DnsResolver& resolver,
                                            HttpClientOptions options) {
  return make_impl(std::move(executor), &resolver, std::move(options))
      .transform([](std::unique_ptr<Impl> impl) { return HttpClient(std::move(impl)); });
}

core::Result<HttpClient> HttpClient::create(asio::any_io_executor executor, SystemLookup lookup,
                                            HttpClientOptions options) {
  switch (lookup) {
    case SystemLookup::getaddrinfo:
      break;
  }
  return make_impl(std::move(executor), nullptr, std::move(options))
      .transform([](std::unique_ptr<Impl> impl) { return HttpClient(std::move(impl)); });
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

asio::awaitable<core::Result<ClientResponse>> HttpClient::send(ClientRequest request,
                                                               Clock::time_point deadline) {
  core::Result<ClientResponse> done = co_await run(*impl_, std::move(request), deadline);
  co_return done;
}

}  // namespace mtasts::net
