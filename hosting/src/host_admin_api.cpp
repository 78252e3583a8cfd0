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
      return not_allowed("GET");
    case AdminRoute::unknown:
      break;
  }
  return error_response(404, "", "no such resource: " + target);
}

}  // namespace

net::HttpResponse store_failure(const store::Error& error) {
  return error_response(503, "", "the store failed: " + error.message);
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
  const std::optional<std::string> token = bearer_token(request);
  const std::optional<std::string> name = token ? tokens_.authenticate(*token) : std::nullopt;
  if (!name) {
    log_.log(
        net::LogLevel::warn, "api-unauthorized",
        {{"peer", request.peer}, {"method", request.method}, {"token", token ? "wrong" : "none"}});
    co_return error_response(401, "",
                             token ? "the token is not valid" : "a bearer token is required");
  }
  const std::string actor = "api:" + *name;
  net::HttpResponse response = co_await dispatch(request, actor);
  log_.log(net::LogLevel::info, "api-request",
           {{"actor", actor},
            {"method", request.method},
            {"target", request.target},
            {"status", response.status}});
  co_return response;
}

asio::awaitable<net::HttpResponse> AdminApi::dispatch(const net::HttpRequest& request,
                                                      const std::string& actor) {
  std::optional<asio::awaitable<net::HttpResponse>> handler = route(request, actor);
  if (!handler) {
    co_return allowed_methods(parse_admin_target(request.target).route, request.target);
  }
  net::HttpResponse response = co_await std::move(*handler);
  co_return response;
}

std::optional<asio::awaitable<net::HttpResponse>> AdminApi::route(const net::HttpRequest& request,
                                                                  const std::string& actor) {
  const AdminTarget target = parse_admin_target(request.target);
  const std::string& method = request.method;
  const auto query = [&target](const std::string& key) {
    const auto found = target.query.find(key);
    return found == target.query.end() ? std::string() : found->second;
  };
  // The handlers take their arguments by value: they do not start until awaited.
  switch (target.route) {
    case AdminRoute::domains:
      if (method == "GET") {
        return list();
      }
      if (method == "POST") {
        return add(actor, request.body);
      }
      break;
    case AdminRoute::domain:
      if (method == "GET") {
        return show(target.domain);
      }
      if (method == "PATCH") {
        return update(actor, target.domain, request.body);
      }
      if (method == "DELETE") {
        return remove(actor, target.domain);
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
        return reports(query("domain"), query("days"), query("limit"));
      }
      break;
    case AdminRoute::report:
      if (method == "GET") {
        return report(target.id);
      }
      break;
    case AdminRoute::reports_apart:
      if (method == "GET") {
        return reports_apart(query("limit"));
      }
      break;
    case AdminRoute::audit:
      if (method == "GET") {
        return audit(query("domain"), query("limit"));
      }
      break;
    case AdminRoute::status:
      if (method == "GET") {
        return status();
      }
      break;
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

asio::awaitable<net::HttpResponse> AdminApi::list() {
  struct Listing : HostedRows {
    std::vector<std::optional<store::MonitorRow>> monitors;
  };
  std::function<store::Result<Listing>(store::HostingStore&)> job =
      [](store::HostingStore& hosting) -> store::Result<Listing> {
    auto rows = read_hosted_rows(hosting);
    if (!rows) {
      return tl::unexpected(rows.error());
    }
    Listing out{std::move(*rows), {}};
    for (const store::DomainRow& row : out.domains) {
      auto monitor = hosting.get_monitor_result(row.domain.name);
      out.monitors.push_back(monitor ? std::move(*monitor) : std::nullopt);
    }
    return out;
  };
  auto listing = co_await store_.run(std::move(job));
  if (!listing) {
    co_return store_failure(listing.error());
  }
  nlohmann::json domains = nlohmann::json::array();
  for (std::size_t i = 0; i < listing->domains.size(); ++i) {
    const core::HostedDomain& domain = listing->domains[i].domain;
    const std::string name = policy_host_name(domain.name);
    const auto cert =
        std::find_if(listing->certificates.begin(), listing->certificates.end(),
                     [&name](const store::CertificateRow& c) { return c.name == name; });
    const bool issued = cert != listing->certificates.end() && !cert->chain_pem.empty();
    const auto& monitor = listing->monitors[i];
    domains.push_back(
        {{"domain", domain.name},
         {"state", core::hosted_state_name(domain.state)},
         {"mode", core::mode_name(domain.current.policy.mode)},
         {"id", domain.current.id},
         {"records_mode", core::record_mode_name(domain.records)},
         {"certificate_not_after",
          issued ? nlohmann::json(core::format_utc(cert->not_after)) : nlohmann::json(nullptr)},
         {"monitor", monitor
                         ? nlohmann::json({{"passing", monitor->passing},
                                           {"checked_at", core::format_utc(monitor->checked_at)}})
                         : nlohmann::json(nullptr)}});
  }
  co_return json_response(200, {{"domains", std::move(domains)}});
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

asio::awaitable<net::HttpResponse> AdminApi::audit(std::string domain, std::string limit_text) {
  std::string name;
  if (!domain.empty()) {
    auto normalized = core::normalize_domain(domain);
    if (!normalized) {
      co_return error_response(400, "domain", normalized.error().message);
    }
    name = std::move(*normalized);
  }
  const std::optional<std::size_t> limit =
      query_number(limit_text, kDefaultAuditLimit, kMaxAuditLimit);
  if (!limit) {
    co_return error_response(400, "limit", "expected a number from 1 to 1000");
  }
  std::function<store::Result<std::vector<store::AuditEntry>>(store::HostingStore&)> job =
      [name, limit = *limit](store::HostingStore& hosting) {
        return hosting.audit_log(name, limit);
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

asio::awaitable<net::HttpResponse> AdminApi::status() {
  std::function<store::Result<std::uint64_t>(store::HostingStore&)> job =
      [](store::HostingStore& hosting) { return hosting.generation(); };
  auto generation = co_await store_.run(std::move(job));
  if (!generation) {
    co_return store_failure(generation.error());
  }
  const LoadedState& state = sync_.state();
  const core::HostTime now = clock_.now();
  std::uint64_t active = 0;
  std::uint64_t removing = 0;
  std::uint64_t valid = 0;
  std::uint64_t due = 0;
  std::uint64_t missing = 0;
  for (const store::DomainRow& row : state.domains) {
    ++(row.domain.state == core::HostedState::active ? active : removing);
    if (!core::hosted_serving(row.domain, now)) {
      continue;
    }
    const auto certificate = state.certificate(policy_host_name(row.domain.name));
    if (!certificate || !certificate->issued) {
      ++missing;
    } else {
      ++(certificate_need(certificate, now) == CertificateNeed::none ? valid : due);
    }
  }
  co_return json_response(200,
                          {{"instance", options_.instance},
                           {"version", MTASTS_VERSION},
                           {"store", std::string(store_.name())},
                           {"generation", *generation},
                           {"loaded_generation", state.generation},
                           {"domains", {{"active", active}, {"removing", removing}}},
                           {"certificates", {{"valid", valid}, {"due", due}, {"missing", missing}}},
                           {"serving", sync_.loaded()}});
}

}  // namespace mtasts::hosting
