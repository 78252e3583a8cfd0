#include "host/host_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "mtasts/core/base/host_port.hpp"

namespace mtasts::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t kMaxReply = 16 * 1024 * 1024;

struct Call {
  ApiTarget api;
  std::string method;
  std::string target;
  std::string token;
  std::string body;
  std::chrono::milliseconds timeout{};
};

asio::awaitable<core::Result<ApiReply>> exchange(Call call) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  boost::system::error_code ec;
  const auto endpoints = co_await resolver.async_resolve(
      call.api.host, std::to_string(call.api.port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return core::fail(core::Errc::invalid_value,
                         "cannot resolve " + call.api.host + ": " + ec.message());
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(call.timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return core::fail(core::Errc::invalid_value,
                         "cannot connect to the admin API at " + call.api.host + ":" +
                             std::to_string(call.api.port) + ": " + ec.message() +
                             " (is `mtasts host` running? see --api)");
  }
  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, call.api.host + ":" + std::to_string(call.api.port));
  request.set(http::field::authorization, "Bearer " + call.token);
  request.set(http::field::user_agent, "mtasts/" MTASTS_VERSION);
  request.set(http::field::connection, "close");
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = call.body;
  }
  request.prepare_payload();
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return core::fail(core::Errc::invalid_value, "sending the request: " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReply);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return core::fail(core::Errc::invalid_value, "reading the answer: " + ec.message());
  }
  co_return ApiReply{parser.get().result_int(), parser.get().body()};
}

}  // namespace

core::Result<ApiTarget> parse_api_url(std::string_view url) {
  if (url.starts_with("https://")) {
    return core::fail(core::Errc::invalid_value,
                      "the admin API speaks plain HTTP (reach a remote one through an SSH "
                      "tunnel or a TLS proxy and give its local http:// address)");
  }
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  }
  if (const std::size_t slash = url.find('/'); slash != std::string_view::npos) {
    url = url.substr(0, slash);
  }
  ApiTarget target;
  // The admin listen address may be given as it is configured: "*:PORT" reaches this machine.
  core::HostPortRules rules = core::url_authority(target.port);
  rules.wildcard = core::Wildcard::allowed;
  auto host_port = core::parse_host_port(url, rules);
  if (!host_port) {
    return core::fail(core::Errc::invalid_value,
                      "bad address " + std::string(url) + ": " + host_port.error().message);
  }
  target.host = host_port->host.empty() ? "127.0.0.1" : std::move(host_port->host);
  target.port = host_port->port;
  return target;
}

core::Result<ApiReply> call_admin_api(const ApiTarget& api, const std::string& method,
                                      const std::string& target, const std::string& token,
                                      const std::string& body, std::chrono::milliseconds timeout) {
  asio::io_context io(1);
  core::Result<ApiReply> out = core::fail(core::Errc::invalid_value, "the request did not run");
  Call call{api, method, target, token, body, timeout};
  asio::co_spawn(io, exchange(std::move(call)),
                 [&out](const std::exception_ptr& error, core::Result<ApiReply> reply) {
                   if (error) {
                     out = core::fail(core::Errc::invalid_value, "internal error");
                   } else {
                     out = std::move(reply);
                   }
                 });
  io.run();
  return out;
}

}  // namespace mtasts::app
