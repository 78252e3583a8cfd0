#include "host/host_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "mtasts/core/base/host_port.hpp"
#include "mtasts/net/http/http_client.hpp"

namespace mtasts::app {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxReply = 16 * 1024 * 1024;

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
  net::HttpClientOptions options;
  options.max_body_bytes = kMaxReply;
  options.user_agent = "mtasts/" MTASTS_VERSION;
  auto client = net::HttpClient::create(io.get_executor(), net::SystemLookup::getaddrinfo, options);
  if (!client) {
    return tl::unexpected(client.error());
  }
  net::ClientRequest request;
  request.transport = net::Transport::plain;
  request.host = api.host;
  request.port = api.port;
  request.method = method;
  request.target = target;
  request.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
  }
  core::Result<ApiReply> out = core::fail(core::Errc::invalid_value, "the request did not run");
  asio::co_spawn(
      io, client->send(std::move(request), net::HttpClient::Clock::now() + timeout),
      [&out](const std::exception_ptr& error, core::Result<net::ClientResponse> response) {
        if (error) {
          out = core::fail(core::Errc::invalid_value, "internal error");
        } else if (!response) {
          out = core::fail(core::Errc::invalid_value, "the admin API: " + response.error().message +
                                                          " (is `mtasts host` running? see --api)");
        } else {
          out = ApiReply{response->status, std::move(response->body)};
        }
      });
  io.run();
  return out;
}

}  // namespace mtasts::app
