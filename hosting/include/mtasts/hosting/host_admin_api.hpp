#pragma once

// The admin API of `mtasts host` (docs/hosting.md "Admin API"): JSON over HTTP on its own
// listener, every request authenticated by a bearer token (AdminTokens, constant-time).
//
//   GET    /v1/domains                list
//   POST   /v1/domains                add: 201, the domain and the records to publish
//   GET    /v1/domains/{d}            one domain with its certificate, history and monitor result
//   PATCH  /v1/domains/{d}            change mode, mx or max_age: 200, the new version and records
//   DELETE /v1/domains/{d}            begin the removal: 202, the none version and serve_until
//   GET    /v1/domains/{d}/monitor    the last monitor result
//   GET    /v1/domains/{d}/reports?days=n  TLS-RPT summary and enforce readiness
//   (report_summary.hpp) GET    /v1/reports?domain=d&days=n&limit=n  received reports, newest first
//   GET    /v1/reports/{id}           one report with its JSON and the reader's findings
//   GET    /v1/reports/apart?limit=n  reports kept apart, with the reason
//   GET    /v1/audit?domain=d&limit=n audit entries, newest first
//   GET    /v1/status                 instance, generation, counts
//
// Errors: 400 {"error": {"field", "message"}} for a malformed body or argument; 401 without a
// token or with a wrong one; 404 unknown domain or path; 405 another method; 409 the domain
// exists, is being removed, or changed concurrently; 503 the store failed.
// Every change is one store transaction with its audit entry (actor "api:<token name>"), and
// this instance serves it at once (a sync pass follows the write).

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <variant>

#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/hosting/host_tokens.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/http/http_server.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

struct AdminApiOptions {
  core::ServiceIdentity service;
  std::string instance;
};

class AdminApi final : public net::HttpHandler {
 public:
  // Everything given must outlive the API.
  AdminApi(StoreWorker& store, HostSync& sync, net::DnsResolver& resolver,
           const AdminTokens& tokens, const net::Clock& clock, net::Logger& log,
           AdminApiOptions options);

  boost::asio::awaitable<net::HttpResponse> handle(net::HttpRequest request) override;

 private:
  boost::asio::awaitable<net::HttpResponse> dispatch(const net::HttpRequest& request,
                                                     const std::string& actor);
  // The handler of the request's route and method, not started; nullopt when the route does
  // not take the method (or there is no such route).
  std::optional<boost::asio::awaitable<net::HttpResponse>> route(const net::HttpRequest& request,
                                                                 const std::string& actor);
  boost::asio::awaitable<net::HttpResponse> list();
  boost::asio::awaitable<net::HttpResponse> add(std::string actor, std::string body);
  boost::asio::awaitable<net::HttpResponse> show(std::string domain);
  boost::asio::awaitable<net::HttpResponse> update(std::string actor, std::string domain,
                                                   std::string body);
  boost::asio::awaitable<net::HttpResponse> remove(std::string actor, std::string domain);
  boost::asio::awaitable<net::HttpResponse> monitor(std::string domain);
  boost::asio::awaitable<net::HttpResponse> audit(std::string domain, std::string limit);
  // TLS-RPT reports (host_admin_reports.cpp).
  boost::asio::awaitable<net::HttpResponse> domain_reports(std::string domain, std::string days);
  boost::asio::awaitable<net::HttpResponse> reports(std::string domain, std::string days,
                                                    std::string limit);
  boost::asio::awaitable<net::HttpResponse> report(std::string id);
  boost::asio::awaitable<net::HttpResponse> reports_apart(std::string limit);
  boost::asio::awaitable<net::HttpResponse> status();
  // The stored row of the hosted domain `name` (normalised), or the response that ends the
  // request: 503 when the store failed, 404 when the domain is not hosted.
  boost::asio::awaitable<std::variant<store::DomainRow, net::HttpResponse>> read_hosted(
      std::string name);
  // Stores `after` if the stored version is still `expected` (with its audit entry), then
  // syncs the served snapshot. An error response (503, or 409 when another writer came
  // first), or nothing when written.
  boost::asio::awaitable<std::optional<net::HttpResponse>> commit_change(store::DomainRow after,
                                                                         std::string expected,
                                                                         store::AuditEntry entry);
  // The live MX host names of `domain` in preference order, or an error message.
  boost::asio::awaitable<tl::expected<std::vector<std::string>, std::string>> live_mx(
      std::string domain);

  StoreWorker& store_;
  HostSync& sync_;
  net::DnsResolver& resolver_;
  const AdminTokens& tokens_;
  const net::Clock& clock_;
  net::Logger& log_;
  AdminApiOptions options_;
};

// The response to a store failure: 503 naming what failed.
[[nodiscard]] net::HttpResponse store_failure(const store::Error& error);

}  // namespace mtasts::hosting
