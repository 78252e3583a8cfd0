// The admin API's routes about the service itself (host_admin_api.hpp), for operators only:
// GET /v1/status (this instance, the store, counts, the ACME account) and GET /v1/instances
// (every instance's last heartbeat, host_sync.hpp).

#include <algorithm>

#include "mtasts/hosting/host_admin_api.hpp"
#include "mtasts/hosting/host_admin_http.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

struct StatusRows {
  std::uint64_t generation = 0;
  std::optional<store::AcmeAccountRow> account;
};

struct Counts {
  std::uint64_t active = 0;
  std::uint64_t removing = 0;
  std::uint64_t valid = 0;
  std::uint64_t due = 0;
  std::uint64_t missing = 0;
};

Counts count_state(const LoadedState& state, core::HostTime now) {
  Counts out;
  for (const store::DomainRow& row : state.domains) {
    ++(row.domain.state == core::HostedState::active ? out.active : out.removing);
    if (!core::hosted_serving(row.domain, now)) {
      continue;
    }
    const auto certificate = state.certificate(policy_host_name(row.domain.name));
    if (!certificate || !certificate->issued) {
      ++out.missing;
    } else {
      ++(certificate_need(certificate, now) == CertificateNeed::none ? out.valid : out.due);
    }
  }
  return out;
}

nlohmann::json listeners_of(const std::string& text) {
  nlohmann::json listeners = nlohmann::json::parse(text, nullptr, false);
  return listeners.is_array() ? listeners : nlohmann::json::array();
}

}  // namespace

bool instance_stale(const store::InstanceRow& row, core::HostTime now) {
  const std::chrono::seconds limit = std::max(kStaleBeats * row.sync_interval, kStaleFloor);
  return now - row.last_seen > limit;
}

nlohmann::json instance_json(const store::InstanceRow& row, core::HostTime now, bool self) {
  return {{"name", row.name},
          {"version", row.version},
          {"started_at", core::format_utc(row.started_at)},
          {"last_seen", core::format_utc(row.last_seen)},
          {"sync_interval_seconds", row.sync_interval.count()},
          {"listeners", listeners_of(row.listeners)},
          {"stale", instance_stale(row, now)},
          {"self", self}};
}

nlohmann::json acme_account_json(const std::string& directory,
                                 const std::vector<std::string>& contact,
                                 const std::optional<store::AcmeAccountRow>& row) {
  return {{"directory", directory},
          {"contact", contact},
          {"account_url", row ? nlohmann::json(row->account_url) : nlohmann::json(nullptr)},
          {"created_at",
           row ? nlohmann::json(core::format_utc(row->created_at)) : nlohmann::json(nullptr)}};
}

asio::awaitable<net::HttpResponse> AdminApi::status() {
  std::function<store::Result<StatusRows>(store::HostingStore&)> job =
      [directory =
           options_.acme_directory](store::HostingStore& hosting) -> store::Result<StatusRows> {
    auto generation = hosting.generation();
    if (!generation) {
      return tl::unexpected(generation.error());
    }
    auto account = hosting.get_acme_account(directory);
    if (!account) {
      return tl::unexpected(account.error());
    }
    return StatusRows{*generation, std::move(*account)};
  };
  auto rows = co_await store_.run(std::move(job));
  if (!rows) {
    co_return store_failure(rows.error());
  }
  const LoadedState& state = sync_.state();
  const Counts counts = count_state(state, clock_.now());
  co_return json_response(
      200,
      {{"instance", options_.instance},
       {"version", MTASTS_VERSION},
       {"store", std::string(store_.name())},
       {"generation", rows->generation},
       {"loaded_generation", state.generation},
       {"domains", {{"active", counts.active}, {"removing", counts.removing}}},
       {"certificates",
        {{"valid", counts.valid}, {"due", counts.due}, {"missing", counts.missing}}},
       {"acme", acme_account_json(options_.acme_directory, options_.acme_contact, rows->account)},
       {"serving", sync_.loaded()}});
}

asio::awaitable<net::HttpResponse> AdminApi::instances() {
  std::function<store::Result<std::vector<store::InstanceRow>>(store::HostingStore&)> job =
      [](store::HostingStore& hosting) { return hosting.list_instances(); };
  auto rows = co_await store_.run(std::move(job));
  if (!rows) {
    co_return store_failure(rows.error());
  }
  const core::HostTime now = clock_.now();
  nlohmann::json out = nlohmann::json::array();
  for (const store::InstanceRow& row : *rows) {
    out.push_back(instance_json(row, now, row.name == options_.instance));
  }
  co_return json_response(200, {{"instances", std::move(out)}});
}

}  // namespace mtasts::hosting
