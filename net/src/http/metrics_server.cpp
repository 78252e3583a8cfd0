#include "mtasts/net/http/metrics_server.hpp"

#include <boost/asio/co_spawn.hpp>

#include "mtasts/core/base/host_port.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

HttpServerLimits metrics_limits() {
  HttpServerLimits limits;
  limits.max_header_bytes = 8 * 1024;
  limits.max_body_bytes = 0;
  limits.header_timeout = std::chrono::seconds(5);
  limits.idle_timeout = std::chrono::seconds(5);
  limits.write_timeout = std::chrono::seconds(5);
  limits.max_connections = 64;
  return limits;
}

HttpResponse text_response(unsigned status, std::string content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

}  // namespace

core::Result<MetricsEndpoint> parse_metrics_endpoint(std::string_view text) {
  auto parsed = core::parse_host_port(text, core::kListenAddress);
  if (!parsed) {
    return core::fail(core::Errc::invalid_value, "invalid metrics address \"" + std::string(text) +
                                                     "\": " + parsed.error().message);
  }
  return MetricsEndpoint{std::move(parsed->host), parsed->port};
}

HttpResponse metrics_response(const HttpRequest& request,
                              const std::function<std::string()>& body) {
  if (request.method != "GET" && request.method != "HEAD") {
    return text_response(405, "text/plain", "GET only\n");
  }
  const std::string_view target =
      std::string_view(request.target).substr(0, request.target.find('?'));
  if (target != "/metrics" && target != "/") {
    return text_response(404, "text/plain", "try /metrics\n");
  }
  return text_response(200, "text/plain; version=0.0.4; charset=utf-8", body());
}

class MetricsServer::Handler final : public HttpHandler {
 public:
  explicit Handler(std::function<std::string()> body) : body_(std::move(body)) {}
  asio::awaitable<HttpResponse> handle(HttpRequest request) override {
    co_return metrics_response(request, body_);
  }

 private:
  std::function<std::string()> body_;
};

MetricsServer::MetricsServer(asio::any_io_executor executor, std::function<std::string()> body,
                             Logger& log)
    : handler_(std::make_unique<Handler>(std::move(body))),
      server_(std::make_unique<HttpServer>(std::move(executor), *handler_, metrics_limits(), log)) {
}

MetricsServer::~MetricsServer() = default;

core::Result<std::uint16_t> MetricsServer::listen(const MetricsEndpoint& endpoint) {
  const Endpoint where{endpoint.host.empty() ? "0.0.0.0" : endpoint.host, endpoint.port};
  auto port = server_->listen(where, PortSharing::exclusive);
  if (!port) {
    return core::fail(core::Errc::invalid_value, "metrics: " + port.error().message);
  }
  return port;
}

void MetricsServer::start() {
  if (server_) {
    server_->start();
  }
}

void MetricsServer::stop() {
  server_.reset();
}

}  // namespace mtasts::net
