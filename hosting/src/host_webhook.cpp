// The webhook POST of the alert hook (host_alert.hpp), through net's HTTP client: plain TCP
// or TLS with the policy fetcher's certificate checks, one deadline for lookup, connect,
// handshake, request and response.

#include <boost/asio/this_coro.hpp>

#include "mtasts/core/base/host_port.hpp"
#include "mtasts/hosting/host_alert.hpp"
#include "mtasts/net/http/http_client.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxResponse = 64 * 1024;

core::Result<void> failure(std::string what) {
  return core::fail(core::Errc::invalid_value, std::move(what));
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
  const auto deadline = net::HttpClient::Clock::now() + timeout;
  net::HttpClientOptions options;
  options.ca_file = std::move(ca_file);
  options.max_body_bytes = kMaxResponse;
  options.user_agent = "mtasts-host/" MTASTS_VERSION;
  auto client =
      net::HttpClient::create(co_await asio::this_coro::executor, resolver, std::move(options));
  if (!client) {
    co_return failure(client.error().message);
  }
  net::ClientRequest request;
  request.transport = url.tls ? net::Transport::tls : net::Transport::plain;
  request.host = std::move(url.host);
  request.port = url.port;
  request.method = "POST";
  request.target = std::move(url.target);
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::move(body);
  auto response = co_await client->send(std::move(request), deadline);
  if (!response) {
    co_return failure(response.error().message);
  }
  if (response->status < 200 || response->status > 299) {
    co_return failure("the webhook answered HTTP " + std::to_string(response->status));
  }
  co_return core::Result<void>();
}

}  // namespace mtasts::hosting
