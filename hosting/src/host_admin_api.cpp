#include "mtasts/hosting/host_admin_api.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/host_json.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kDefaultAuditLimit = 100;
constexpr std::size_t kMaxAuditLimit = 1000;

net::HttpResponse not_allowed(std::string allow) {
  net::HttpResponse response = error_response(405, "", "method not allowed here");
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

// 405 with the methods of a known route, 404 for an unknown one.
net::HttpResponse allowed_methods(AdminRoute route, const std::string& target) {
  switch (route) {
    case AdminRoute::domains:
      return not_allowed("GET, POST");
    case AdminRoute::domain:
      return not_allowed("GET, PATCH, DELETE");
    case AdminRoute::domain_monitor:
    case AdminRoute::domain_reports:
    case AdminRoute::reports:
    case AdminRoute::report:
    case AdminRoute::reports_apart:
    case AdminRoute::audit:
    case AdminRoute::status:
    case AdminRoute::instances:
    case AdminRoute::console:
    case AdminRoute::root:
      return not_allowed("GET");
    case AdminRoute::session:
      return not_allowed("GET, POST, DELETE");
    case AdminRoute::unknown:
      break;
  }
  return error_response(404, "", "no such resource: " + target);
}

}  // namespace

net::HttpResponse store_failure(const store::Error& error) {
  return error_response(503, "", "the store failed: " + error.message);
}

net::HttpResponse not_hosted(const std::string& domain) {
  return error_response(404, "domain", domain + " is not hosted here");
}

asio::awaitable<net::HttpResponse> answer(net::HttpResponse response) {
  co_return response;
}

AdminApi::AdminApi(StoreWorker& store, HostSync& sync, net::DnsResolver& resolver,
                   const AdminTokens& tokens, const net::Clock& clock, net::Logger& log,
                   AdminApiOptions options)
    : store_(store),
      sync_(sync),
      resolver_(resolver),
      tokens_(tokens),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

asio::awaitable<net::HttpResponse> AdminApi::handle(net::HttpRequest request) {
  const AdminTarget target = parse_admin_target(request.target);
  // The console's files and the sign-in need no credentials.
  if (target.route == AdminRoute::console || target.route == AdminRoute::root) {
    co_return console_file(request, target.route == AdminRoute::root ? "/" : target.id);
  }
  if (target.route == AdminRoute::session && request.method == "POST") {
    co_return sign_in(request);
  }
  auto caller = authenticate(request);
  if (auto* refused = std::get_if<net::HttpResponse>(&caller)) {
    co_return std::move(*refused);
  }
  const AdminCaller& who = std::get<AdminCaller>(caller);
  net::HttpResponse response = co_await dispatch(request, who);
  log_.log(net::LogLevel::info, "api-request",
           {{"actor", who.actor()},
            {"via", who.session_id.empty() ? "token" : "session"},
            {"method", request.method},
            {"target", request.target},
            {"status", response.status}});
  co_return response;
}

std::variant<AdminCaller, net::HttpResponse> AdminApi::authenticate(
    const net::HttpRequest& request) {
  const std::optional<std::string> token = bearer_token(request);
  if (token) {
    if (auto refused = throttled(request)) {
      return std::move(*refused);
    }
    std::optional<AdminPrincipal> principal = tokens_.authenticate(*token);
    if (principal) {
      return AdminCaller{std::move(*principal), "", ""};
    }
    log_.log(net::LogLevel::warn, "api-unauthorized",
             {{"peer", request.peer}, {"method", request.method}, {"token", "wrong"}});
    wrong_token(request);
    return error_response(401, "", "the token is not valid");
  }
  const std::optional<std::string> cookie = request_cookie(request, kSessionCookie);
  std::optional<ConsoleSession> session =
      cookie ? sessions_.use(*cookie, clock_.now()) : std::nullopt;
  if (!session) {
    log_.log(net::LogLevel::warn, "api-unauthorized",
             {{"peer", request.peer},
              {"method", request.method},
              {"token", cookie ? "expired-session" : "none"}});
    return error_response(401, "",
                          cookie ? "the session has ended; sign in again"
                                 : "a bearer token or a console session is required");
  }
  // A browser sends the cookie with any request to this origin, also one another site makes it
  // send: a change must carry the session's CSRF token, which only our own page can read.
  if (request.method != "GET" && request.method != "HEAD") {
    const std::optional<std::string> csrf = header_value(request, "x-csrf-token");
    if (!csrf || !same_secret(*csrf, session->csrf) || !same_origin(request)) {
      log_.log(net::LogLevel::warn, "api-csrf-refused",
               {{"peer", request.peer}, {"method", request.method}, {"target", request.target}});
      return error_response(403, "",
                            "a change needs the X-CSRF-Token of the session, from this origin");
    }
  }
  return AdminCaller{std::move(session->principal), *cookie, std::move(session->csrf)};
}

std::optional<net::HttpResponse> AdminApi::throttled(const net::HttpRequest& request) {
  const std::chrono::seconds wait = throttle_.wait(request.peer, clock_.now());
  if (wait.count() == 0) {
    return std::nullopt;
  }
  net::HttpResponse response =
      error_response(429, "token",
                     "too many wrong tokens from this address; try again in " +
                         std::to_string(wait.count()) + " s");
  response.headers.emplace_back("Retry-After", std::to_string(wait.count()));
  return response;
}

void AdminApi::wrong_token(const net::HttpRequest& request) {
  if (throttle_.failed(request.peer, clock_.now())) {
    log_.log(net::LogLevel::warn, "api-token-throttled",
             {{"peer", request.peer},
              {"failures", static_cast<std::int64_t>(throttle_.limits().failures)},
              {"seconds", static_cast<std::int64_t>(throttle_.limits().window.count())}});
  }
}

asio::awaitable<net::HttpResponse> AdminApi::dispatch(const net::HttpRequest& request,
                                                      const AdminCaller& caller) {
  std::optional<asio::awaitable<net::HttpResponse>> handler = route(request, caller);
  if (!handler) {
    co_return allowed_methods(parse_admin_target(request.target).route, request.target);
  }
  net::HttpResponse response = co_await std::move(*handler);
  co_return response;
}

std::optional<asio::awaitable<net::HttpResponse>> AdminApi::route(const net::HttpRequest& request,
                                                                  const AdminCaller& caller) {
  const AdminTarget target = parse_admin_target(request.target);
  const std::string& method = request.method;
  const AdminPrincipal& who = caller.principal;
  const auto query = [&target](const std::string& key) {
    const auto found = target.query.find(key);
    return found == target.query.end() ? std::string() : found->second;
  };
  // A customer reaches only the domains of its scope: the route's domain is checked here, once
  // for every route that names one, and answered as a domain that is not hosted.
  if (!target.domain.empty() && !who.is_operator()) {
    auto name = core::normalize_domain(target.domain);
    if (name && !who.may_access(*name)) {
      return answer(not_hosted(*name));
    }
  }
  // The service's own state is the operator's: a customer is told there is no such resource.
  const bool service_route =
      target.route == AdminRoute::status || target.route == AdminRoute::instances;
  if (service_route && method == "GET" && !who.is_operator()) {
    return answer(error_response(404, "", "no such resource: " + request.target));
  }
  // The handlers take their arguments by value: they do not start until awaited.
  switch (target.route) {
    case AdminRoute::domains:
      if (method == "GET") {
        return list(who, target);
      }
      if (method == "POST") {
        return add(caller, request.body);
      }
      break;
    case AdminRoute::domain:
      if (method == "GET") {
        return show(target.domain);
      }
      if (method == "PATCH") {
        return update(caller.actor(), target.domain, request.body);
      }
      if (method == "DELETE") {
        return remove(caller.actor(), target.domain);
      }
      break;
    case AdminRoute::domain_monitor:
      if (method == "GET") {
        return monitor(target.domain);
      }
      break;
    case AdminRoute::domain_reports:
      if (method == "GET") {
        return domain_reports(target.domain, query("days"));
      }
      break;
    case AdminRoute::reports:
      if (method == "GET") {
        return reports(who, query("domain"), query("days"), query("limit"));
      }
      break;
    case AdminRoute::report:
      if (method == "GET") {
        return report(who, target.id);
      }
      break;
    case AdminRoute::reports_apart:
      if (method == "GET") {
        return reports_apart(who, query("limit"));
      }
      break;
    case AdminRoute::audit:
      if (method == "GET") {
        return audit(who, query("domain"), query("limit"));
      }
      break;
    case AdminRoute::status:
      if (method == "GET") {
        return status();
      }
      break;
    case AdminRoute::instances:
      if (method == "GET") {
        return instances();
      }
      break;
    case AdminRoute::session:
      if (method == "GET") {
        return answer(session_info(caller));
      }
      if (method == "DELETE") {
        return answer(sign_out(request, caller));
      }
      break;
    case AdminRoute::console:
    case AdminRoute::root:
    case AdminRoute::unknown:
      break;
  }
  return std::nullopt;
}

asio::awaitable<tl::expected<std::vector<std::string>, std::string>> AdminApi::live_mx(
    std::string domain) {
  const net::MxAnswer answer = co_await resolver_.query_mx(domain);
  if (net::dns_class(answer.meta.status) == net::DnsClass::none) {
    co_return std::vector<std::string>();
  }
  if (net::dns_lookup_failed(answer.meta.status)) {
    co_return tl::unexpected("the MX lookup of " + domain + " failed (" +
                             std::string(net::dns_status_name(answer.meta.status)) + ")");
  }
  std::vector<net::MxRecord> records = answer.records;
  std::stable_sort(
      records.begin(), records.end(),
      [](const net::MxRecord& a, const net::MxRecord& b) { return a.preference < b.preference; });
  std::vector<std::string> hosts;
  hosts.reserve(records.size());
  for (const net::MxRecord& record : records) {
    hosts.push_back(record.exchange);
  }
  co_return hosts;
}

asio::awaitable<net::HttpResponse> AdminApi::monitor(std::string domain) {
  auto name = core::normalize_domain(domain);
  if (!name) {
    co_return error_response(400, "domain", name.error().message);
  }
  using Found = std::pair<bool, std::optional<store::MonitorRow>>;
  std::function<store::Result<Found>(store::HostingStore&)> job =
      [d = *name](store::HostingStore& hosting) -> store::Result<Found> {
    auto row = hosting.get_domain(d);
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return Found{false, std::nullopt};
    }
    auto result = hosting.get_monitor_result(d);
    if (!result) {
      return tl::unexpected(result.error());
    }
    return Found{true, std::move(*result)};
  };
  auto found = co_await store_.run(std::move(job));
  if (!found) {
    co_return store_failure(found.error());
  }
  if (!found->first) {
    co_return error_response(404, "domain", *name + " is not hosted here");
  }
  if (!found->second) {
    co_return error_response(404, "", "no monitor result for " + *name + " yet");
  }
  co_return json_response(200, monitor_json(*found->second));
}

asio::awaitable<net::HttpResponse> AdminApi::audit(AdminPrincipal principal, std::string domain,
                                                   std::string limit_text) {
  std::string name;
  if (!domain.empty()) {
    auto normalized = core::normalize_domain(domain);
    if (!normalized) {
      co_return error_response(400, "domain", normalized.error().message);
    }
    if (!principal.may_access(*normalized)) {
      co_return not_hosted(*normalized);
    }
    name = std::move(*normalized);
  }
  const std::optional<std::size_t> limit =
      query_number(limit_text, kDefaultAuditLimit, kMaxAuditLimit);
  if (!limit) {
    co_return error_response(400, "limit", "expected a number from 1 to 1000");
  }
  // A customer without a domain reads the entries of each of its domains, merged.
  std::vector<std::string> names{name};
  if (name.empty() && !principal.is_operator()) {
    names = principal.domains;
  }
  std::function<store::Result<std::vector<store::AuditEntry>>(store::HostingStore&)> job =
      [names, limit = *limit](
          store::HostingStore& hosting) -> store::Result<std::vector<store::AuditEntry>> {
    std::vector<store::AuditEntry> out;
    for (const std::string& one : names) {
      auto entries = hosting.audit_log(one, limit);
      if (!entries) {
        return tl::unexpected(entries.error());
      }
      out.insert(out.end(), entries->begin(), entries->end());
    }
    std::stable_sort(
        out.begin(), out.end(),
        [](const store::AuditEntry& a, const store::AuditEntry& b) { return a.seq > b.seq; });
    out.resize(std::min(out.size(), limit));
    return out;
  };
  auto entries = co_await store_.run(std::move(job));
  if (!entries) {
    co_return store_failure(entries.error());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const store::AuditEntry& entry : *entries) {
    out.push_back(audit_json(entry));
  }
  co_return json_response(200, {{"entries", std::move(out)}});
}

}  // namespace mtasts::hosting
