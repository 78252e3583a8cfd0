#pragma once

// The monitor's alert hook (monitor.alert): a JSON document sent to a webhook (an HTTP or HTTPS
// POST, Content-Type application/json; any 2xx answer is a delivery) and/or given to a command
// on its standard input (run directly with its argument list, never through a shell; its
// output is discarded; killed when it outlives the timeout). Each delivery is bounded by the
// timeout; failures are logged and counted, never retried (the next change of verdict sends
// again).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/hosting/host_settings.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

// An http:// or https:// URL, taken apart.
struct WebhookUrl {
  bool tls = true;
  std::string host;  // a name or an IP address (brackets removed)
  std::uint16_t port = 443;
  std::string target = "/";  // path and query
};

// Errors: Errc::invalid_value naming the problem (scheme, empty host, bad port, user info).
[[nodiscard]] core::Result<WebhookUrl> parse_webhook_url(std::string_view url);

// POSTs `body` to `url` within `timeout` (lookup through `resolver`, connect, TLS checked as
// net::HttpClient checks it: PKIX against `ca_file` or the system store, SNI, and the host's
// name (or address) in the certificate, request, status line). Nothing is sent to a host whose
// certificate fails these checks.
// Errors: Errc::invalid_value with what failed, or the status when it is not 2xx.
boost::asio::awaitable<core::Result<void>> post_webhook(net::DnsResolver& resolver, WebhookUrl url,
                                                        std::string body,
                                                        std::optional<std::string> ca_file,
                                                        std::chrono::milliseconds timeout);

// Runs `argv` with `input` on its standard input, waits at most `timeout` (then SIGKILL).
// Errors: Errc::invalid_value when it cannot be started, exits non-zero, or is killed.
boost::asio::awaitable<core::Result<void>> run_alert_command(std::vector<std::string> argv,
                                                             std::string input,
                                                             std::chrono::milliseconds timeout);

struct AlertCounters {
  std::uint64_t sent = 0;
  std::uint64_t failed = 0;
};

class AlertHook {
 public:
  // `resolver` and `log` must outlive the hook. Errors: a webhook URL that does not parse.
  [[nodiscard]] static core::Result<std::unique_ptr<AlertHook>> create(
      net::DnsResolver& resolver, const AlertSettings& settings, std::optional<std::string> ca_file,
      net::Logger& log);

  // Delivers `document` to every configured target.
  boost::asio::awaitable<void> send(std::string document);

  [[nodiscard]] const AlertCounters& counters() const { return counters_; }

 private:
  AlertHook(net::DnsResolver& resolver, AlertSettings settings, std::optional<WebhookUrl> url,
            std::optional<std::string> ca_file, net::Logger& log);

  net::DnsResolver& resolver_;
  AlertSettings settings_;
  std::optional<WebhookUrl> url_;
  std::optional<std::string> ca_file_;
  net::Logger& log_;
  AlertCounters counters_;
};

}  // namespace mtasts::hosting
