// The admin API's domain lifecycle: add, show, change, remove (host_admin_api.hpp).

#include <utility>
#include <variant>

#include "mtasts/core/base/domain_name.hpp"
#include "mtasts/core/hosting/admin_request.hpp"
#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/host_json.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kHistoryShown = 20;

// The domain as the API shows it (core::domain_json) with more members.
nlohmann::json domain_document(const core::HostedDomain& domain,
                               const core::ServiceIdentity& service) {
  nlohmann::json out = nlohmann::json::parse(
      core::domain_json(domain, core::hosted_records(domain, service)), nullptr, false);
  return out.is_object() ? out : nlohmann::json::object();
}

nlohmann::json policy_detail(const core::HostedDomain& domain) {
  return {{"id", domain.current.id},
          {"mode", core::mode_name(domain.current.policy.mode)},
          {"mx", domain.current.policy.mx},
          {"max_age", domain.current.policy.max_age}};
}

net::HttpResponse request_error(const core::RequestError& error) {
  return error_response(400, error.field, error.message);
}

}  // namespace

asio::awaitable<net::HttpResponse> AdminApi::add(AdminCaller caller, std::string body) {
  auto request = core::parse_domain_create(body);
  if (!request) {
    co_return request_error(request.error());
  }
  // A customer adds only the domains of its scope; any other answers as an unknown domain,
  // before anything tells whether it is hosted already.
  if (!caller.principal.may_access(request->domain)) {
    co_return not_hosted(request->domain);
  }
  const std::string actor = caller.actor();
  const core::RecordMode records = request->records.value_or(core::RecordMode::self);
  if (records == core::RecordMode::delegated && options_.service.delegation_zone.empty()) {
    co_return error_response(400, "records",
                             "this service has no delegation zone (service.delegation_zone)");
  }
  std::vector<std::string> live;
  if (!request->mx) {
    auto found = co_await live_mx(request->domain);
    if (!found) {
      co_return error_response(400, "mx", found.error() + "; give the mx patterns");
    }
    live = std::move(*found);
  }
  auto policy = core::policy_for_create(*request, core::propose_hosted_policy(live));
  if (!policy) {
    co_return request_error(policy.error());
  }
  const core::HostTime now = clock_.now();
  const core::HostedDomain domain =
      core::new_hosted_domain(request->domain, std::move(*policy), records, now);
  nlohmann::json detail = policy_detail(domain);
  detail["records_mode"] = core::record_mode_name(records);
  if (!request->mx) {
    detail["mx_from_live_mx"] = live;
  }
  const store::DomainRow row{domain, "", std::nullopt};
  const store::AuditEntry entry = make_audit(now, actor, domain.name, "domain.add", detail);
  using Added = std::optional<store::DomainRow>;  // the existing row when there is one
  std::function<store::Result<Added>(store::HostingStore&)> job =
      [row, entry](store::HostingStore& hosting) -> store::Result<Added> {
    auto existing = hosting.get_domain(row.domain.name);
    if (!existing || *existing) {
      return existing;
    }
    auto added = hosting.add_domain(row, entry);
    if (!added) {
      return tl::unexpected(added.error());
    }
    return Added();
  };
  auto added = co_await store_.run(std::move(job));
  if (!added && added.error().code == store::Errc::invalid_argument) {
    co_return error_response(409, "domain", added.error().message);
  }
  if (!added) {
    co_return store_failure(added.error());
  }
  if (*added) {
    const bool removing = (*added)->domain.state == core::HostedState::removing;
    co_return error_response(
        409, "domain",
        domain.name + (removing ? " is being removed; add it again after " +
                                      core::format_utc(*(*added)->domain.serve_until)
                                : " is already hosted"));
  }
  auto synced = co_await sync_.sync_once();
  (void)synced;
  nlohmann::json out = domain_document(domain, options_.service);
  if (!request->mx) {
    out["mx_from_live_mx"] = live;
  }
  co_return json_response(201, out);
}

asio::awaitable<net::HttpResponse> AdminApi::show(std::string domain_text) {
  auto name = core::normalize_domain(domain_text);
  if (!name) {
    co_return error_response(400, "domain", name.error().message);
  }
  struct Shown {
    std::optional<store::DomainRow> row;
    std::optional<store::CertificateRow> certificate;
    std::vector<core::PolicyVersion> history;
    std::optional<store::MonitorRow> monitor;
  };
  std::function<store::Result<Shown>(store::HostingStore&)> job =
      [d = *name](store::HostingStore& hosting) -> store::Result<Shown> {
    Shown out;
    auto row = hosting.get_domain(d);
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return out;
    }
    out.row = std::move(*row);
    auto certificate = hosting.get_certificate(policy_host_name(d));
    auto history =
        certificate
            ? hosting.history(d, kHistoryShown)
            : store::Result<std::vector<core::PolicyVersion>>(tl::unexpected(certificate.error()));
    auto monitor =
        history ? hosting.get_monitor_result(d)
                : store::Result<std::optional<store::MonitorRow>>(tl::unexpected(history.error()));
    if (!monitor) {
      return tl::unexpected(monitor.error());
    }
    out.certificate = std::move(*certificate);
    out.history = std::move(*history);
    out.monitor = std::move(*monitor);
    return out;
  };
  auto shown = co_await store_.run(std::move(job));
  if (!shown) {
    co_return store_failure(shown.error());
  }
  if (!shown->row) {
    co_return error_response(404, "domain", *name + " is not hosted here");
  }
  nlohmann::json out = domain_document(shown->row->domain, options_.service);
  out["published_id"] = shown->row->published_id;
  out["published_at"] = shown->row->published_at
                            ? nlohmann::json(core::format_utc(*shown->row->published_at))
                            : nlohmann::json(nullptr);
  out["certificate"] =
      shown->certificate ? certificate_json(*shown->certificate) : nlohmann::json(nullptr);
  nlohmann::json history = nlohmann::json::array();
  for (const core::PolicyVersion& version : shown->history) {
    history.push_back(version_json(version));
  }
  out["history"] = std::move(history);
  out["monitor"] = shown->monitor ? monitor_json(*shown->monitor) : nlohmann::json(nullptr);
  co_return json_response(200, out);
}

asio::awaitable<net::HttpResponse> AdminApi::update(std::string actor, std::string domain_text,
                                                    std::string body) {
  auto name = core::normalize_domain(domain_text);
  if (!name) {
    co_return error_response(400, "domain", name.error().message);
  }
  auto request = core::parse_domain_update(body);
  if (!request) {
    co_return request_error(request.error());
  }
  auto stored = co_await read_hosted(*name);
  if (auto* refused = std::get_if<net::HttpResponse>(&stored)) {
    co_return std::move(*refused);
  }
  const store::DomainRow before = std::get<store::DomainRow>(std::move(stored));
  if (before.domain.state == core::HostedState::removing) {
    co_return error_response(409, "domain", *name + " is being removed");
  }
  auto policy = core::policy_for_update(before.domain.current.policy, *request);
  if (!policy) {
    co_return request_error(policy.error());
  }
  const core::HostTime now = clock_.now();
  auto change = core::change_hosted_policy(before.domain, std::move(*policy), now);
  if (!change) {
    co_return error_response(409, "domain", *name + " is being removed");
  }
  if (change->result == core::ChangeResult::unchanged) {
    nlohmann::json out = domain_document(before.domain, options_.service);
    out["changed"] = false;
    co_return json_response(200, out);
  }
  store::DomainRow after = before;
  after.domain = change->domain;
  nlohmann::json detail = policy_detail(after.domain);
  detail["previous_id"] = before.domain.current.id;
  const store::AuditEntry entry = make_audit(now, actor, after.domain.name, "domain.set", detail);
  const std::string expected = before.domain.current.id;
  std::optional<net::HttpResponse> refused = co_await commit_change(after, expected, entry);
  if (refused) {
    co_return std::move(*refused);
  }
  nlohmann::json out = domain_document(after.domain, options_.service);
  out["changed"] = true;
  out["previous_id"] = expected;
  co_return json_response(200, out);
}

asio::awaitable<net::HttpResponse> AdminApi::remove(std::string actor, std::string domain_text) {
  auto name = core::normalize_domain(domain_text);
  if (!name) {
    co_return error_response(400, "domain", name.error().message);
  }
  auto stored = co_await read_hosted(*name);
  if (auto* refused = std::get_if<net::HttpResponse>(&stored)) {
    co_return std::move(*refused);
  }
  const store::DomainRow before = std::get<store::DomainRow>(std::move(stored));
  const core::HostTime now = clock_.now();
  auto removing = core::begin_hosted_removal(before.domain, now);
  if (!removing) {
    co_return error_response(409, "domain", *name + " is already being removed");
  }
  store::DomainRow after = before;
  after.domain = std::move(*removing);
  nlohmann::json detail = policy_detail(after.domain);
  detail["previous_id"] = before.domain.current.id;
  detail["serve_until"] = core::format_utc(*after.domain.serve_until);
  const store::AuditEntry entry =
      make_audit(now, actor, after.domain.name, "domain.remove", detail);
  const std::string expected = before.domain.current.id;
  std::optional<net::HttpResponse> refused = co_await commit_change(after, expected, entry);
  if (refused) {
    co_return std::move(*refused);
  }
  co_return json_response(202, domain_document(after.domain, options_.service));
}

asio::awaitable<std::optional<net::HttpResponse>> AdminApi::commit_change(store::DomainRow after,
                                                                          std::string expected,
                                                                          store::AuditEntry entry) {
  const std::string name = after.domain.name;
  std::function<store::Result<bool>(store::HostingStore&)> write =
      [after = std::move(after), expected = std::move(expected), entry = std::move(entry)](
          store::HostingStore& hosting) { return hosting.update_domain(after, expected, entry); };
  auto written = co_await store_.run(std::move(write));
  if (!written) {
    co_return store_failure(written.error());
  }
  if (!*written) {
    co_return error_response(409, "domain",
                             name + " was changed meanwhile; read it again and retry");
  }
  auto synced = co_await sync_.sync_once();
  (void)synced;
  co_return std::nullopt;
}

asio::awaitable<std::variant<store::DomainRow, net::HttpResponse>> AdminApi::read_hosted(
    std::string name) {
  std::function<store::Result<std::optional<store::DomainRow>>(store::HostingStore&)> read =
      [name](store::HostingStore& hosting) { return hosting.get_domain(name); };
  auto stored = co_await store_.run(std::move(read));
  if (!stored) {
    co_return store_failure(stored.error());
  }
  if (!*stored) {
    co_return error_response(404, "domain", name + " is not hosted here");
  }
  co_return std::move(**stored);
}

}  // namespace mtasts::hosting
