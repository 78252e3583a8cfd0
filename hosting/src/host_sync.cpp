#include "mtasts/hosting/host_sync.hpp"

#include <malloc.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

struct Loaded {
  std::uint64_t generation = 0;
  bool changed = false;
  std::shared_ptr<LoadedState> state;
  std::vector<store::CertificateRow> rows;  // with their PEM, until installed
  std::optional<store::Error> heartbeat_error;
};

}  // namespace

std::optional<CertificateStatus> LoadedState::certificate(std::string_view name) const {
  const auto it = certificates.find(name);
  if (it == certificates.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::shared_ptr<const ServedPolicies> build_served_policies(const LoadedState& state,
                                                            core::HostTime now) {
  auto policies = std::make_shared<ServedPolicies>();
  policies->generation = state.generation;
  for (const store::DomainRow& row : state.domains) {
    if (core::hosted_serving(row.domain, now)) {
      policies->bodies.emplace(row.domain.name,
                               std::make_shared<const std::string>(
                                   core::render_hosted_policy(row.domain.current.policy)));
    }
  }
  return policies;
}

store::Result<HostedRows> read_hosted_rows(store::HostingStore& hosting) {
  auto domains = hosting.list_domains();
  if (!domains) {
    return tl::unexpected(domains.error());
  }
  auto certificates = hosting.list_certificates();
  if (!certificates) {
    return tl::unexpected(certificates.error());
  }
  return HostedRows{std::move(*domains), std::move(*certificates)};
}

HostSync::HostSync(StoreWorker& store, HostPolicySource& source, net::CertificateSet& certificates,
                   ChallengeBoard* challenges, const net::Clock& clock, net::Logger& log)
    : store_(store),
      source_(source),
      certificates_(certificates),
      challenges_(challenges),
      clock_(clock),
      log_(log),
      state_(std::make_shared<const LoadedState>()) {}

asio::awaitable<core::Result<void>> HostSync::sync_once(bool force) {
  const std::uint64_t known = loaded_ && !force ? state_->generation : 0;
  const bool reload_all = !loaded_ || force;
  // The heartbeat rides on the pass's store job: on every timed pass, and not again on the
  // extra passes within half an interval (a change made through the admin API syncs at once).
  std::optional<store::InstanceRow> beat;
  const core::HostTime beat_at = clock_.now();
  const std::chrono::seconds spacing =
      heartbeat_ ? std::max(heartbeat_->sync_interval / 2, std::chrono::seconds(1))
                 : std::chrono::seconds(0);
  if (heartbeat_ && (!last_beat_ || beat_at - *last_beat_ >= spacing)) {
    beat = heartbeat_;
    beat->last_seen = beat_at;
  }
  // The generation is read before the rows: a write between the two makes the next pass
  // reload again, never miss it.
  std::function<store::Result<Loaded>(store::HostingStore&)> job =
      [known, reload_all, beat](store::HostingStore& hosting) -> store::Result<Loaded> {
    Loaded loaded;
    if (beat) {
      if (auto written = hosting.put_instance(*beat); !written) {
        loaded.heartbeat_error = written.error();
      }
    }
    auto generation = hosting.generation();
    if (!generation) {
      return tl::unexpected(generation.error());
    }
    loaded.generation = *generation;
    if (!reload_all && *generation == known) {
      return loaded;
    }
    auto rows = read_hosted_rows(hosting);
    if (!rows) {
      return tl::unexpected(rows.error());
    }
    loaded.changed = true;
    loaded.state = std::make_shared<LoadedState>();
    loaded.state->generation = *generation;
    loaded.state->domains = std::move(rows->domains);
    for (const store::CertificateRow& row : rows->certificates) {
      loaded.state->certificates.emplace(row.name, certificate_status(row));
    }
    loaded.rows = std::move(rows->certificates);
    return loaded;
  };
  store::Result<Loaded> loaded = co_await store_.run(std::move(job));
  if (!loaded) {
    ++failures_;
    log_.log(net::LogLevel::warn, "sync-failed", {{"error", loaded.error().message}});
    co_return core::fail(core::Errc::invalid_value, loaded.error().message);
  }
  if (beat) {
    if (loaded->heartbeat_error) {
      log_.log(net::LogLevel::warn, "heartbeat-failed",
               {{"error", loaded->heartbeat_error->message}});
    } else {
      last_beat_ = beat_at;
    }
  }
  const core::HostTime now = clock_.now();
  if (loaded->changed) {
    if (loaded_ && loaded->generation != state_->generation) {
      log_.log(net::LogLevel::debug, "sync-reload",
               {{"generation", loaded->generation}, {"domains", loaded->state->domains.size()}});
    }
    loaded_ = true;
    apply(std::move(loaded->state), loaded->rows);
    // The rows held every certificate's PEM once more (the set keeps them parsed): give the
    // memory of the freed ones back to the system, or a reload leaves the RSS that high.
    loaded->rows.clear();
    loaded->rows.shrink_to_fit();
    ::malloc_trim(0);
  } else if (next_change_ && now >= *next_change_) {
    apply(state_, {});
  }
  if (challenges_ != nullptr) {
    co_await challenges_->refresh();
  }
  co_return core::Result<void>();
}

void HostSync::apply(std::shared_ptr<const LoadedState> state,
                     const std::vector<store::CertificateRow>& rows) {
  const core::HostTime now = clock_.now();
  state_ = std::move(state);
  source_.publish(build_served_policies(*state_, now));
  next_change_.reset();
  for (const store::DomainRow& row : state_->domains) {
    if (row.domain.serve_until && core::hosted_serving(row.domain, now) &&
        (!next_change_ || *row.domain.serve_until < *next_change_)) {
      next_change_ = row.domain.serve_until;
    }
  }
  sync_certificates(rows, now);
}

void HostSync::sync_certificates(const std::vector<store::CertificateRow>& rows,
                                 core::HostTime now) {
  std::map<std::string, std::size_t, std::less<>> wanted;
  StringMap<const store::CertificateRow*> by_name;
  for (const store::CertificateRow& row : rows) {
    by_name.emplace(row.name, &row);
  }
  for (const store::DomainRow& row : state_->domains) {
    if (!core::hosted_serving(row.domain, now)) {
      continue;
    }
    const std::string name = policy_host_name(row.domain.name);
    const auto status = state_->certificates.find(name);
    if (status == state_->certificates.end() || !status->second.issued) {
      continue;
    }
    const std::size_t print = status->second.fingerprint;
    wanted.emplace(name, print);
    const auto have = installed_.find(name);
    if (have != installed_.end() && have->second == print) {
      continue;
    }
    // A certificate not installed yet comes with the rows of a reload (a time step alone
    // never makes one appear).
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      wanted.erase(name);
      continue;
    }
    const store::CertificateRow* cert = found->second;
    auto put = certificates_.put(net::ServedCertificate{name, cert->chain_pem, cert->key_pem});
    if (!put) {
      log_.log(net::LogLevel::error, "certificate-unusable",
               {{"name", name}, {"error", put.error().message}});
      wanted.erase(name);
      continue;
    }
    log_.log(net::LogLevel::info, "certificate-installed",
             {{"name", name}, {"not_after", cert->not_after.time_since_epoch().count()}});
  }
  for (const auto& [name, print] : installed_) {
    if (!wanted.contains(name)) {
      certificates_.remove(name);
      log_.log(net::LogLevel::info, "certificate-removed", {{"name", name}});
    }
  }
  installed_ = std::move(wanted);
}

void HostSync::install_certificate(const store::CertificateRow& row) {
  auto put = certificates_.put(net::ServedCertificate{row.name, row.chain_pem, row.key_pem});
  if (!put) {
    log_.log(net::LogLevel::error, "certificate-unusable",
             {{"name", row.name}, {"error", put.error().message}});
    return;
  }
  installed_.insert_or_assign(row.name, certificate_status(row).fingerprint);
}

asio::awaitable<void> HostSync::run(LoopTimer& timer, std::chrono::milliseconds interval) {
  for (;;) {
    const bool go_on = co_await timer.wait(interval);
    if (!go_on) {
      co_return;
    }
    auto synced = co_await sync_once();
    (void)synced;  // logged in sync_once; the next pass tries again
  }
}

}  // namespace mtasts::hosting
