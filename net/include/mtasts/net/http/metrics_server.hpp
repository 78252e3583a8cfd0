#pragma once

// The Prometheus scrape endpoint, served by HttpServer (its limits, deadlines and keep-alive):
// GET /metrics (or /) answers the text the body function returns, as
// text/plain; version=0.0.4; other paths 404, other methods 405, a malformed request 400.
// The request head must arrive within five seconds and 8 KiB; at most 64 connections at once.

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/http/http_server.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {

struct MetricsEndpoint {
  std::string host;
  std::uint16_t port = 0;
};

// Parses the `mtasts.metrics` setting by core::kListenAddress: "HOST:PORT", "[IPV6]:PORT" or
// "*:PORT" (every interface, empty host). A port is required.
// Errors: Errc::invalid_value naming the problem.
[[nodiscard]] core::Result<MetricsEndpoint> parse_metrics_endpoint(std::string_view text);

// The response to one request. Pure, for tests.
[[nodiscard]] HttpResponse metrics_response(const HttpRequest& request,
                                            const std::function<std::string()>& body);

class MetricsServer {
 public:
  // `body` is called on the executor for each scrape; `log` must outlive the server.
  MetricsServer(boost::asio::any_io_executor executor, std::function<std::string()> body,
                Logger& log);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and listens (host "": every IPv4 interface); returns the bound port.
  // Errors: Errc::invalid_value naming the address and the system's reason.
  [[nodiscard]] core::Result<std::uint16_t> listen(const MetricsEndpoint& endpoint);

  void start();
  // Closes the listener and every connection. Call on the executor.
  void stop();

 private:
  class Handler;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace mtasts::net
