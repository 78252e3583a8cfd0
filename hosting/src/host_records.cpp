#include "mtasts/hosting/host_records.hpp"

#include <boost/asio/co_spawn.hpp>
#include <utility>

#include "mtasts/hosting/host_json.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::seconds kLeaseTtl{120};

}  // namespace

RecordManager::RecordManager(asio::any_io_executor executor, StoreWorker& store, HostSync& sync,
                             net::DnsUpdater* updater, const net::Clock& clock, net::Logger& log,
                             RecordManagerOptions options)
    : executor_(std::move(executor)),
      store_(store),
      sync_(sync),
      updater_(updater),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

bool RecordManager::backing_off(const std::string& domain) const {
  const auto it = backoff_.find(domain);
  return it != backoff_.end() && clock_.now() < it->second.second;
}

void RecordManager::note_failure(const std::string& domain, const std::string& what,
                                 const std::string& error) {
  auto& [failures, until] = backoff_[domain];
  ++failures;
  until = record_retry_time(failures, clock_.now());
  ++counters_.failed;
  log_.log(net::LogLevel::warn, "record-failed",
           {{"domain", domain},
            {"what", what},
            {"error", error},
            {"failures", failures},
            {"retry_in", (until - clock_.now()).count()}});
}

void RecordManager::start(std::string domain, asio::awaitable<void> job) {
  in_flight_.insert(domain);
  asio::co_spawn(executor_, std::move(job), [this, domain](const std::exception_ptr& error) {
    if (error) {
      log_.log(net::LogLevel::error, "record-job-crashed", {{"domain", domain}});
    }
    in_flight_.erase(domain);
  });
}

void RecordManager::scan() {
  if (!sync_.loaded()) {
    return;
  }
  const core::HostTime now = clock_.now();
  const std::shared_ptr<const LoadedState> state = sync_.shared_state();
  for (const store::DomainRow& row : state->domains) {
    const std::string& domain = row.domain.name;
    if (in_flight_.contains(domain) || backing_off(domain)) {
      continue;
    }
    if (removal_ended(row, now)) {
      start(domain, end_removal(row));
      continue;
    }
    if (record_action(row, now, options_.settle) != RecordAction::publish) {
      continue;
    }
    if (updater_ == nullptr) {
      if (unmanaged_warned_.insert(domain).second) {
        log_.log(net::LogLevel::warn, "record-unmanaged",
                 {{"domain", domain},
                  {"reason", "delegated, but dns_update is not configured"},
                  {"id", row.domain.current.id}});
      }
      continue;
    }
    start(domain, publish(row));
  }
}

asio::awaitable<void> RecordManager::run(LoopTimer& timer, std::chrono::milliseconds interval) {
  for (;;) {
    scan();
    const bool go_on = co_await timer.wait(interval);
    if (!go_on) {
      co_return;
    }
  }
}

asio::awaitable<bool> RecordManager::lease(std::string name, bool take) {
  const std::string holder = options_.instance;
  const core::HostTime now = clock_.now();
  std::function<store::Result<bool>(store::HostingStore&)> job =
      [name, holder, now, take](store::HostingStore& hosting) -> store::Result<bool> {
    if (!take) {
      auto released = hosting.release_lease(name, holder);
      if (!released) {
        return tl::unexpected(released.error());
      }
      return true;
    }
    return hosting.acquire_lease(name, holder, kLeaseTtl, now);
  };
  auto done = co_await store_.run(std::move(job));
  co_return done&&* done;
}

asio::awaitable<void> RecordManager::publish(store::DomainRow row) {
  const std::string domain = row.domain.name;
  const std::string lease_name = "record:" + domain;
  const bool mine = co_await lease(lease_name, true);
  if (!mine) {
    co_return;
  }
  const std::string owner = core::delegated_record_owner(domain, options_.service);
  const std::string id = row.domain.current.id;
  std::string text = core::sts_record_text(id);
  std::string owner_arg = owner;
  core::Result<void> updated =
      co_await updater_->replace_txt(std::move(owner_arg), options_.ttl, std::move(text));
  if (!updated) {
    note_failure(domain, "replace", updated.error().message);
    if (backoff_[domain].first == 1) {
      const store::AuditEntry audit =
          make_audit(clock_.now(), "system:" + options_.instance, domain, "record.failed",
                     {{"owner", owner}, {"id", id}, {"error", updated.error().message}});
      std::function<store::Result<void>(store::HostingStore&)> write =
          [audit](store::HostingStore& hosting) { return hosting.append_audit(audit); };
      if (auto written = co_await store_.run(std::move(write)); !written) {
        log_audit_failure(log_, audit, written.error());
      }
    }
    co_await lease(lease_name, false);
    co_return;
  }
  backoff_.erase(domain);
  ++counters_.updated;
  const core::HostTime now = clock_.now();
  row.published_id = id;
  row.published_at = now;
  const store::AuditEntry audit =
      make_audit(now, "system:" + options_.instance, domain, "record.updated",
                 {{"owner", owner}, {"id", id}, {"ttl", options_.ttl}});
  std::function<store::Result<bool>(store::HostingStore&)> save =
      [row, id, audit](store::HostingStore& hosting) {
        return hosting.update_domain(row, id, audit);
      };
  auto saved = co_await store_.run(std::move(save));
  if (!saved) {
    log_.log(net::LogLevel::warn, "record-store-error",
             {{"domain", domain}, {"error", saved.error().message}});
  }
  log_.log(net::LogLevel::info, "record-updated",
           {{"domain", domain}, {"owner", owner}, {"id", id}});
  co_await lease(lease_name, false);
  auto synced = co_await sync_.sync_once();
  (void)synced;
}

asio::awaitable<void> RecordManager::end_removal(store::DomainRow row) {
  const std::string domain = row.domain.name;
  const std::string lease_name = "domain:" + domain;
  const bool mine = co_await lease(lease_name, true);
  if (!mine) {
    co_return;
  }
  const bool delegated = row.domain.records == core::RecordMode::delegated;
  const std::string owner = core::delegated_record_owner(domain, options_.service);
  if (delegated && updater_ != nullptr) {
    std::string owner_arg = owner;
    core::Result<void> removed = co_await updater_->remove_txt(std::move(owner_arg));
    if (!removed) {
      note_failure(domain, "remove", removed.error().message);
      co_await lease(lease_name, false);
      co_return;
    }
    ++counters_.removed;
  }
  const core::HostTime now = clock_.now();
  const std::string certificate = policy_host_name(domain);
  nlohmann::json detail = {
      {"serve_until",
       row.domain.serve_until ? core::format_utc(*row.domain.serve_until) : std::string()},
      {"record_removed", delegated && updater_ != nullptr}};
  if (delegated) {
    detail["owner"] = owner;
  }
  const store::AuditEntry audit =
      make_audit(now, "system:" + options_.instance, domain, "domain.drop", detail);
  std::function<store::Result<bool>(store::HostingStore&)> drop =
      [domain, certificate, audit](store::HostingStore& hosting) -> store::Result<bool> {
    auto dropped = hosting.drop_domain(domain, audit);
    if (!dropped) {
      return dropped;
    }
    auto deleted = hosting.delete_certificate(certificate);
    if (!deleted) {
      return tl::unexpected(deleted.error());
    }
    return *dropped;
  };
  auto dropped = co_await store_.run(std::move(drop));
  if (!dropped) {
    note_failure(domain, "drop", dropped.error().message);
  } else if (*dropped) {
    ++counters_.dropped;
    backoff_.erase(domain);
    log_.log(net::LogLevel::info, "domain-dropped", {{"domain", domain}});
  }
  co_await lease(lease_name, false);
  auto synced = co_await sync_.sync_once();
  (void)synced;
}

}  // namespace mtasts::hosting
