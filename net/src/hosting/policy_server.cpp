// PolicyServer: one event loop per thread, each with an HTTPS and an HTTP server whose
// listeners share their ports with the other threads' (SO_REUSEPORT).

#include "mtasts/net/hosting/policy_server.hpp"

#include <pthread.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <thread>

#include "mtasts/core/base/prometheus_text.hpp"

namespace mtasts::net {
namespace {

namespace asio = boost::asio;

struct Worker {
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::unique_ptr<HttpServer> https;
  std::unique_ptr<HttpServer> http;
  std::thread thread;
};

asio::awaitable<void> drain_worker(Worker* worker, std::chrono::milliseconds timeout) {
  const auto begin = std::chrono::steady_clock::now();
  co_await worker->https->drain(timeout);
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - begin);
  co_await worker->http->drain(std::max(std::chrono::milliseconds(0), timeout - spent));
}

// Port 80 answers challenges only: no request there has a body.
HttpServerLimits http_limits(HttpServerLimits limits) {
  limits.max_body_bytes = 0;
  return limits;
}

}  // namespace

struct PolicyServer::Impl {
  Impl(PolicySource& s, CertificateSet& c, PolicyServerOptions o, Logger& l)
      : source(s),
        certificates(c),
        options(std::move(o)),
        log(l),
        policy(make_policy_handler(s, options.reports)),
        http01(make_http01_handler(s)),
        https_budget(std::make_shared<ConnectionBudget>(options.limits.max_connections)),
        http_budget(std::make_shared<ConnectionBudget>(options.limits.max_connections)) {}

  PolicySource& source;
  CertificateSet& certificates;
  PolicyServerOptions options;
  Logger& log;
  std::unique_ptr<HttpHandler> policy;
  std::unique_ptr<HttpHandler> http01;
  std::shared_ptr<ConnectionBudget> https_budget;
  std::shared_ptr<ConnectionBudget> http_budget;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Endpoint> https_bound;
  std::vector<Endpoint> http_bound;
  bool started = false;
  bool stopped = false;
};

PolicyServer::PolicyServer(PolicySource& source, CertificateSet& certificates,
                           PolicyServerOptions options, Logger& log)
    : impl_(std::make_unique<Impl>(source, certificates, std::move(options), log)) {}

// stop() throws only when memory runs out or joining a thread fails (std::system_error), where
// terminating is the right outcome.
PolicyServer::~PolicyServer() {  // NOLINT(bugprone-exception-escape)
  stop(std::chrono::milliseconds(0));
}

core::Result<void> PolicyServer::listen() {
  Impl& s = *impl_;
  unsigned threads = s.options.threads;
  if (threads == 0) {
    threads = std::max(1U, std::thread::hardware_concurrency());
  }
  const PortSharing sharing = threads > 1 ? PortSharing::shared : PortSharing::exclusive;
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    const auto executor = worker->io.get_executor();
    worker->https =
        std::make_unique<HttpServer>(executor, *s.policy, s.options.limits, s.log, s.https_budget);
    worker->http = std::make_unique<HttpServer>(executor, *s.http01, http_limits(s.options.limits),
                                                s.log, s.http_budget);
    for (std::size_t j = 0; j < s.options.https.size(); ++j) {
      const Endpoint& where = i == 0 ? s.options.https[j] : s.https_bound[j];
      auto port = worker->https->listen_tls(where, sharing, s.certificates);
      if (!port) {
        return tl::unexpected(port.error());
      }
      if (i == 0) {
        s.https_bound.push_back(Endpoint{where.host, *port});
      }
    }
    for (std::size_t j = 0; j < s.options.http.size(); ++j) {
      const Endpoint& where = i == 0 ? s.options.http[j] : s.http_bound[j];
      auto port = worker->http->listen(where, sharing);
      if (!port) {
        return tl::unexpected(port.error());
      }
      if (i == 0) {
        s.http_bound.push_back(Endpoint{where.host, *port});
      }
    }
    s.workers.push_back(std::move(worker));
  }
  return {};
}

std::vector<Endpoint> PolicyServer::https_endpoints() const {
  return impl_->https_bound;
}

std::vector<Endpoint> PolicyServer::http_endpoints() const {
  return impl_->http_bound;
}

void PolicyServer::start() {
  Impl& s = *impl_;
  if (s.started) {
    return;
  }
  s.started = true;
  for (std::size_t i = 0; i < s.workers.size(); ++i) {
    Worker* worker = s.workers[i].get();
    worker->guard.emplace(worker->io.get_executor());
    worker->https->start();
    worker->http->start();
    worker->thread = std::thread([worker] { worker->io.run(); });
    const std::string name = "mtasts-web-" + std::to_string(i);
    ::pthread_setname_np(worker->thread.native_handle(), name.substr(0, 15).c_str());
  }
}

void PolicyServer::stop(std::chrono::milliseconds drain) {
  Impl& s = *impl_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  if (s.started) {
    for (auto& worker : s.workers) {
      Worker* w = worker.get();
      // When the drain is done every socket and timer is closed: the loop runs out of work.
      asio::co_spawn(w->io, drain_worker(w, drain),
                     [w](const std::exception_ptr&) { w->guard.reset(); });
    }
    for (auto& worker : s.workers) {
      worker->thread.join();
    }
  }
  s.workers.clear();
}

PolicyServerStats PolicyServer::stats() const {
  PolicyServerStats out;
  for (const auto& worker : impl_->workers) {
    out.https += worker->https->stats();
    out.http += worker->http->stats();
  }
  return out;
}

std::string policy_server_metrics_text(const PolicyServerStats& stats) {
  struct Listener {
    const char* label;
    const HttpServerStats* stats;
  };
  const std::string https_label = core::metric_label("listener", "https");
  const std::string http_label = core::metric_label("listener", "http");
  const Listener listeners[] = {{https_label.c_str(), &stats.https},
                                {http_label.c_str(), &stats.http}};
  std::string out;
  const auto per_listener = [&](const char* name, const char* type, const char* help,
                                std::uint64_t HttpServerStats::*field) {
    core::append_labelled_metric(out, name, type, help, "listener",
                                 {{"https", stats.https.*field}, {"http", stats.http.*field}});
  };
  per_listener("mtasts_host_connections_accepted_total", "counter", "Connections accepted.",
               &HttpServerStats::accepted);
  per_listener("mtasts_host_connections_rejected_total", "counter",
               "Connections closed at once: over the connection limit.",
               &HttpServerStats::rejected);
  per_listener("mtasts_host_connections", "gauge", "Connections open now.",
               &HttpServerStats::active);
  per_listener("mtasts_host_timeouts_total", "counter", "Connections closed by a deadline.",
               &HttpServerStats::timeouts);
  core::append_metric_family(out, "mtasts_host_responses_total", "counter",
                             "Responses by status code.");
  for (const Listener& l : listeners) {
    for (const auto& [status, count] : l.stats->responses) {
      core::append_metric_sample(
          out, "mtasts_host_responses_total",
          std::string(l.label) + "," + core::metric_label("status", std::to_string(status)), count);
    }
  }
  core::append_metric(out, "mtasts_host_tls_handshakes_total", "counter",
                      "TLS handshakes completed (acme-tls/1 included).", stats.https.handshakes);
  core::append_metric(out, "mtasts_host_tls_alpn_challenges_total", "counter",
                      "TLS-ALPN-01 validation handshakes (RFC 8737).", stats.https.alpn_challenges);
  core::append_metric_family(out, "mtasts_host_tls_handshake_failures_total", "counter",
                             "TLS handshakes that failed, by reason.");
  for (std::size_t i = 0; i < kHandshakeFailureKinds; ++i) {
    const std::string reason(handshake_failure_name(static_cast<HandshakeFailure>(i)));
    core::append_metric_sample(out, "mtasts_host_tls_handshake_failures_total",
                               core::metric_label("reason", reason),
                               stats.https.handshake_failures[i]);
  }
  return out;
}

}  // namespace mtasts::net
