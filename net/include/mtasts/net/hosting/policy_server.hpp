#pragma once

// The policy host of `mtasts host` (docs/hosting.md): HTTPS answering
// https://mta-sts.<d>/.well-known/mta-sts.txt for every hosted domain d (RFC 8461 §3.2), and
// plain HTTP on port 80 answering ACME HTTP-01 challenges (RFC 8555 §8.3) and nothing else.
//
// HTTPS: GET or HEAD of exactly /.well-known/mta-sts.txt (no query), with Host equal to the
// SNI name, both "mta-sts.<d>", where the source has a body for d: 200, text/plain, the body,
// and `Cache-Control: no-store` (RFC 8461 §3.3 forbids HTTP caching to senders; the header keeps
// a cache in between from serving a body older than the TXT id that announced it). Another
// method on that path: 405 with Allow. Anything else: 404. Never a redirect (§3.3: senders
// must not follow them).
// TLS-RPT intake (RFC 8460 §5.4), when a ReportReceiver is given: POST /tlsrpt with Host equal
// to the SNI name "mta-sts.<d>" of a domain the source serves goes to the receiver, which
// answers it; another method there: 405 with Allow: POST. The request body is capped by
// limits.max_body_bytes (413 past it, before the receiver sees anything).
// HTTP: GET /.well-known/acme-challenge/<token> answered with the key authorization the source
// knows for the token; anything else 404 (no redirect to HTTPS: the port serves challenges).
//
// Threads: `threads` event loops, each with its own SO_REUSEPORT listener per endpoint (the
// kernel spreads connections, as among nginx workers); nothing is shared between them but the
// source, the certificate set and the connection budget.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/net/hosting/certificate_set.hpp"
#include "mtasts/net/http/http_server.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::net {

// What the policy server serves. Thread-safe: called on the server's threads, once per
// request, so it must answer from memory (a snapshot), never wait for a store.
class PolicySource {
 public:
  virtual ~PolicySource() = default;
  // The policy body for Policy Domain `domain` (lowercase A-labels), or null: 404.
  virtual std::shared_ptr<const std::string> policy_body(std::string_view domain) const = 0;
  // The key authorization for an HTTP-01 `token`, or nullopt: 404.
  virtual std::optional<std::string> http01_key_authorization(std::string_view token) = 0;
};

// Takes the TLS-RPT reports POSTed to https://mta-sts.<d>/tlsrpt. Thread-safe: called on the
// server's threads, may suspend (the report is stored before the answer).
class ReportReceiver {
 public:
  virtual ~ReportReceiver() = default;
  // `domain` is the Policy Domain d (served by the source); the answer is sent as it is.
  virtual boost::asio::awaitable<HttpResponse> receive(std::string domain, HttpRequest request) = 0;
};

// The path of the TLS-RPT intake on the policy host.
inline constexpr std::string_view kReportIntakePath = "/tlsrpt";

struct PolicyServerOptions {
  std::vector<Endpoint> https;  // e.g. "*:443"
  std::vector<Endpoint> http;   // e.g. "*:80"
  unsigned threads = 0;         // 0: one per core
  HttpServerLimits limits;      // per listener kind: HTTPS and HTTP have a budget each
  // TLS-RPT intake over HTTPS; null: none (404). Must outlive the server. HTTP (port 80)
  // never takes a body whatever limits.max_body_bytes says.
  ReportReceiver* reports = nullptr;
};

struct PolicyServerStats {
  HttpServerStats https;
  HttpServerStats http;
};

// The counters in the Prometheus text format (mtasts_host_* families).
[[nodiscard]] std::string policy_server_metrics_text(const PolicyServerStats& stats);

// The handlers, for tests and for anyone serving them on their own HttpServer.
[[nodiscard]] std::unique_ptr<HttpHandler> make_policy_handler(const PolicySource& source,
                                                               ReportReceiver* reports = nullptr);
[[nodiscard]] std::unique_ptr<HttpHandler> make_http01_handler(PolicySource& source);

class PolicyServer {
 public:
  // `source`, `certificates` and `log` must outlive the server.
  PolicyServer(PolicySource& source, CertificateSet& certificates, PolicyServerOptions options,
               Logger& log);
  ~PolicyServer();  // NOLINT(bugprone-exception-escape): see policy_server.cpp
  PolicyServer(const PolicyServer&) = delete;
  PolicyServer& operator=(const PolicyServer&) = delete;

  // Makes the threads' event loops and binds every endpoint on each (port 0: the kernel picks
  // one for the first loop, the others share it). Call once.
  // Errors: Errc::invalid_value naming the endpoint and the system's reason.
  [[nodiscard]] core::Result<void> listen();

  // The endpoints with their bound ports, in the order of the options (after listen()).
  [[nodiscard]] std::vector<Endpoint> https_endpoints() const;
  [[nodiscard]] std::vector<Endpoint> http_endpoints() const;

  // Starts the threads. Call once, after listen().
  void start();

  // Stops accepting, lets requests in progress finish for at most `drain`, closes everything,
  // and joins the threads. Call from a thread that is not one of the server's. Idempotent.
  void stop(std::chrono::milliseconds drain);

  // A sum over the threads; safe from any thread.
  [[nodiscard]] PolicyServerStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mtasts::net
