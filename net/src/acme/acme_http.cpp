#include "acme/acme_http.hpp"

#include "mtasts/core/acme/acme_messages.hpp"

namespace mtasts::net::acme {
namespace {

constexpr std::string_view kUserAgent = "mtasts/" MTASTS_VERSION " (ACME client)";

tl::unexpected<AcmeError> failure(AcmeErrc code, std::string message) {
  AcmeError error;
  error.code = code;
  error.message = std::move(message);
  return tl::unexpected(std::move(error));
}

std::string_view method_name(Method method) {
  switch (method) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
  }
  return "GET";
}

HttpReply reply_from(ClientResponse response) {
  HttpReply reply;
  reply.status = response.status;
  reply.content_type = std::string(response.header("Content-Type"));
  reply.location = std::string(response.header("Location"));
  reply.replay_nonce = std::string(response.header("Replay-Nonce"));
  reply.retry_after = std::string(response.header("Retry-After"));
  for (const std::string_view link : response.header_values("Link")) {
    reply.links.emplace_back(link);
  }
  reply.body = std::move(response.body);
  return reply;
}

}  // namespace

HttpClientOptions ca_client_options(std::optional<std::string> ca_file) {
  HttpClientOptions options;
  options.ca_file = std::move(ca_file);
  options.max_body_bytes = kMaxResponseBody;
  options.user_agent = std::string(kUserAgent);
  return options;
}

boost::asio::awaitable<AcmeResult<HttpReply>> CaTransport::send(HttpRequest request,
                                                                Clock::time_point deadline) {
  const auto url = core::parse_https_url(request.url);
  if (!url) {
    co_return failure(AcmeErrc::protocol,
                      "cannot use the URL " + request.url + ": " + url.error().message);
  }
  ClientRequest message;
  message.transport = Transport::tls;
  message.host = url->host;
  message.port = url->port;
  message.method = std::string(method_name(request.method));
  message.target = url->target;
  if (!request.accept.empty()) {
    message.headers.emplace_back("Accept", request.accept);
  }
  if (request.method == Method::post) {
    message.headers.emplace_back("Content-Type", request.content_type);
    message.body = std::move(request.body);
  }
  auto response = co_await client_.send(std::move(message), deadline);
  if (!response) {
    const core::Error& error = response.error();
    if (error.code == core::Errc::too_large) {
      co_return failure(AcmeErrc::protocol,
                        "the CA's answer to " + request.url + ": " + error.message);
    }
    const AcmeErrc code = Clock::now() >= deadline ? AcmeErrc::timeout : AcmeErrc::transport;
    co_return failure(code, "talking to the CA at " + request.url + ": " + error.message);
  }
  co_return reply_from(std::move(*response));
}

}  // namespace mtasts::net::acme
