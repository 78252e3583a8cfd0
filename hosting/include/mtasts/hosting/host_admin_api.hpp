#pragma once

// The admin API of `mtasts host` (docs/hosting.md "Admin API"): JSON over HTTP on its own
// listener, every request authenticated by a bearer token (AdminTokens, constant-time) or by
// the session cookie of the web console (console_sessions.hpp; then every change also needs
// the session's X-CSRF-Token header). The same listener serves the console's files under
// /console/ (docs/console.md).
//
// Roles (host_tokens.hpp): an operator reaches everything; a customer only the domains of its
// scope. A domain outside the scope answers exactly as a domain that is not hosted (404), on
// every route, and lists leave it out; the service's own routes (status, every report kept
// apart) answer a customer 404 as well.
//
//   POST   /v1/session                sign in: {"token"} -> 201, a session cookie and its CSRF
//   token GET    /v1/session                who the caller is (and the CSRF token of its session)
//   DELETE /v1/session                sign out
//   GET    /v1/domains?q=&mode=&state=&offset=&limit=  list (filtered, one page when limit given)
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
//   GET    /v1/status                 instance, generation, counts, the ACME account
//   GET    /v1/instances              every instance of the service, with its last heartbeat
//
// Errors: 400 {"error": {"field", "message"}} for a malformed body or argument; 401 without a
// token or with a wrong one; 403 a change by cookie without the session's CSRF token, or from
// another origin; 404 unknown domain (or one outside a customer's scope) or path; 405 another
// method; 409 the domain exists, is being removed, or changed concurrently; 503 the store failed.
// Every change is one store transaction with its audit entry (actor "api:<token name>"), and
// this instance serves it at once (a sync pass follows the write).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mtasts/hosting/console_sessions.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/hosting/host_tokens.hpp"
#include "mtasts/hosting/sign_in_throttle.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/http/http_server.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

struct AdminApiOptions {
  core::ServiceIdentity service;
  std::string instance;
  std::string acme_directory;             // the ACME directory the service orders from
  std::vector<std::string> acme_contact;  // the contact URLs its account registers
};

// An instance whose last heartbeat is older than kStaleBeats of its own sync intervals, and
// at least kStaleFloor (heartbeats are whole seconds): it stopped, hangs, or cannot write to
// the store.
inline constexpr int kStaleBeats = 3;
inline constexpr std::chrono::seconds kStaleFloor{10};
[[nodiscard]] bool instance_stale(const store::InstanceRow& row, core::HostTime now);

// An instance as GET /v1/instances shows it: {"name", "version", "started_at", "last_seen",
// "sync_interval_seconds", "listeners", "stale", "self"} (self: the instance answering).
[[nodiscard]] nlohmann::json instance_json(const store::InstanceRow& row, core::HostTime now,
                                           bool self);

// The ACME account as GET /v1/status shows it: {"directory", "contact", "account_url",
// "created_at"}, the last two null before an account was registered. Never the key.
[[nodiscard]] nlohmann::json acme_account_json(const std::string& directory,
                                               const std::vector<std::string>& contact,
                                               const std::optional<store::AcmeAccountRow>& row);

// Who made a request, and how.
struct AdminCaller {
  AdminPrincipal principal;
  std::string session_id;  // "" when authenticated by a bearer token
  std::string csrf;        // the session's CSRF token ("" for a bearer token)
  [[nodiscard]] std::string actor() const { return "api:" + principal.name; }
};

class AdminApi final : public net::HttpHandler {
 public:
  // Everything given must outlive the API.
  AdminApi(StoreWorker& store, HostSync& sync, net::DnsResolver& resolver,
           const AdminTokens& tokens, const net::Clock& clock, net::Logger& log,
           AdminApiOptions options);

  boost::asio::awaitable<net::HttpResponse> handle(net::HttpRequest request) override;

 private:
  // The caller of an API request (bearer token first, else the session cookie), or the
  // response that refuses it (401; 403 for a cookie-borne change without its CSRF token).
  std::variant<AdminCaller, net::HttpResponse> authenticate(const net::HttpRequest& request);
  // The 429 for a client address that presented too many wrong tokens, or nullopt when it may
  // try; and the count of one more wrong token (sign_in_throttle.hpp).
  std::optional<net::HttpResponse> throttled(const net::HttpRequest& request);
  void wrong_token(const net::HttpRequest& request);
  boost::asio::awaitable<net::HttpResponse> dispatch(const net::HttpRequest& request,
                                                     const AdminCaller& caller);
  // The handler of the request's route and method, not started; nullopt when the route does
  // not take the method (or there is no such route). A customer's request for a domain outside
  // its scope, or for an operator-only route, gets a handler that answers 404.
  std::optional<boost::asio::awaitable<net::HttpResponse>> route(const net::HttpRequest& request,
                                                                 const AdminCaller& caller);
  // The console's files and session routes (host_admin_console.cpp).
  net::HttpResponse console_file(const net::HttpRequest& request, std::string_view path) const;
  net::HttpResponse sign_in(const net::HttpRequest& request);
  net::HttpResponse session_info(const AdminCaller& caller) const;
  net::HttpResponse sign_out(const net::HttpRequest& request, const AdminCaller& caller);
  // The paged list (host_admin_list.cpp).
  boost::asio::awaitable<net::HttpResponse> list(AdminPrincipal principal, AdminTarget target);
  boost::asio::awaitable<net::HttpResponse> add(AdminCaller caller, std::string body);
  boost::asio::awaitable<net::HttpResponse> show(std::string domain);
  boost::asio::awaitable<net::HttpResponse> update(std::string actor, std::string domain,
                                                   std::string body);
  boost::asio::awaitable<net::HttpResponse> remove(std::string actor, std::string domain);
  boost::asio::awaitable<net::HttpResponse> monitor(std::string domain);
  boost::asio::awaitable<net::HttpResponse> audit(AdminPrincipal principal, std::string domain,
                                                  std::string limit);
  // TLS-RPT reports (host_admin_reports.cpp).
  boost::asio::awaitable<net::HttpResponse> domain_reports(std::string domain, std::string days);
  boost::asio::awaitable<net::HttpResponse> reports(AdminPrincipal principal, std::string domain,
                                                    std::string days, std::string limit);
  boost::asio::awaitable<net::HttpResponse> report(AdminPrincipal principal, std::string id);
  boost::asio::awaitable<net::HttpResponse> reports_apart(AdminPrincipal principal,
                                                          std::string limit);
  // The service's own state (host_admin_service.cpp).
  boost::asio::awaitable<net::HttpResponse> status();
  boost::asio::awaitable<net::HttpResponse> instances();
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
  ConsoleSessions sessions_;
  SignInThrottle throttle_;
};

// The response to a store failure: 503 naming what failed.
[[nodiscard]] net::HttpResponse store_failure(const store::Error& error);

// The answer for a domain that is not hosted, and for one outside a customer's scope: the same
// 404, so a customer learns nothing of other customers' domains.
[[nodiscard]] net::HttpResponse not_hosted(const std::string& domain);

// A handler that answers `response` at once.
[[nodiscard]] boost::asio::awaitable<net::HttpResponse> answer(net::HttpResponse response);

}  // namespace mtasts::hosting
