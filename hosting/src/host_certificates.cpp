#include "mtasts/hosting/host_certificates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

#include "mtasts/core/hosting/hosting_checks.hpp"
#include "mtasts/hosting/host_json.hpp"
#include "mtasts/hosting/host_schedule.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::seconds kGateFirstWait{60};
constexpr std::chrono::seconds kGateLongestWait{3600};
constexpr std::chrono::seconds kLeaseRenewal{60};
constexpr std::chrono::seconds kLeaseMargin{120};

std::string lease_name(std::string_view name) {
  return "acme:" + std::string(name);
}

core::HostTime from_unix(std::int64_t seconds) {
  return core::HostTime(std::chrono::seconds(seconds));
}

}  // namespace

CertificateManager::CertificateManager(asio::any_io_executor executor, StoreWorker& store,
                                       HostSync& sync, net::AcmeClient& acme,
                                       net::ChallengePublisher& publisher,
                                       net::DnsResolver& resolver, const net::Clock& clock,
                                       net::Logger& log, CertificateManagerOptions options)
    : executor_(std::move(executor)),
      store_(store),
      sync_(sync),
      acme_(acme),
      publisher_(publisher),
      resolver_(resolver),
      clock_(clock),
      log_(log),
      options_(std::move(options)),
      account_(executor_, store, acme, clock, log,
               AcmeAccountOptions{options_.instance, options_.directory_url,
                                  options_.order_timeout + kLeaseMargin}) {}

void CertificateManager::scan() {
  if (!sync_.loaded()) {
    return;
  }
  const core::HostTime now = clock_.now();
  // The state is shared: an order started below may reload it while this loop runs.
  const std::shared_ptr<const LoadedState> state = sync_.shared_state();
  for (const store::DomainRow& row : state->domains) {
    if (in_flight_.size() >= options_.concurrency) {
      return;
    }
    if (!core::hosted_serving(row.domain, now)) {
      continue;
    }
    std::string name = policy_host_name(row.domain.name);
    if (in_flight_.contains(name)) {
      continue;
    }
    const CertificateNeed need = certificate_need(state->certificate(name), now);
    if (need != CertificateNeed::issue && need != CertificateNeed::renew) {
      continue;
    }
    if (const auto waiting = gate_wait_.find(name);
        waiting != gate_wait_.end() && now < waiting->second.second) {
      continue;
    }
    in_flight_.insert(name);
    std::string domain = row.domain.name;
    asio::co_spawn(executor_, obtain(std::move(domain)),
                   [this, name](const std::exception_ptr& error) {
                     if (error) {
                       log_.log(net::LogLevel::error, "order-crashed", {{"name", name}});
                     }
                     in_flight_.erase(name);
                   });
  }
}

asio::awaitable<void> CertificateManager::run(LoopTimer& timer,
                                              std::chrono::milliseconds interval) {
  for (;;) {
    scan();
    const bool go_on = co_await timer.wait(interval);
    if (!go_on) {
      co_return;
    }
  }
}

void CertificateManager::note_gate_failure(const std::string& name) {
  auto& [failures, until] = gate_wait_[name];
  ++failures;
  std::chrono::seconds wait = kGateFirstWait;
  for (std::uint32_t i = 1; i < failures && wait < kGateLongestWait; ++i) {
    wait *= 2;
  }
  until = clock_.now() + std::min(wait, kGateLongestWait);
  ++counters_.gate_refused;
}

asio::awaitable<bool> CertificateManager::gate(const std::string& name) {
  const net::AddressAnswer answer = co_await resolver_.query_addresses(name);
  const bool ok = answer.meta.status == net::DnsStatus::ok &&
                  core::policy_host_points_at_service(options_.service, answer.meta.cname_chain,
                                                      answer.addresses);
  if (!ok) {
    std::string seen = std::string(net::dns_status_name(answer.meta.status));
    for (const std::string& target : answer.meta.cname_chain) {
      seen += " CNAME " + target;
    }
    for (const std::string& address : answer.addresses) {
      seen += " " + address;
    }
    log_.log(net::LogLevel::info, "certificate-gate",
             {{"name", name}, {"result", "not-pointing-here"}, {"dns", seen}});
    note_gate_failure(name);
    co_return false;
  }
  gate_wait_.erase(name);
  co_return true;
}

asio::awaitable<void> CertificateManager::keep_lease(std::shared_ptr<LoopTimer> alive,
                                                     std::string lease) {
  const std::string holder = options_.instance;
  const std::chrono::seconds ttl = options_.order_timeout + kLeaseMargin;
  while (co_await alive->wait(kLeaseRenewal)) {
    const core::HostTime now = clock_.now();
    std::function<store::Result<bool>(store::HostingStore&)> renew =
        [lease, holder, ttl, now](store::HostingStore& hosting) {
          return hosting.acquire_lease(lease, holder, ttl, now);
        };
    auto renewed = co_await store_.run(std::move(renew));
    if (!renewed || !*renewed) {
      log_.log(net::LogLevel::warn, "lease-lost", {{"lease", lease}});
    }
  }
}

asio::awaitable<void> CertificateManager::obtain(std::string domain) {
  const std::string name = policy_host_name(domain);
  const bool pointing = co_await gate(name);
  if (!pointing) {
    co_return;
  }
  const std::string lease = lease_name(name);
  const std::string holder = options_.instance;
  const std::chrono::seconds ttl = options_.order_timeout + kLeaseMargin;
  const core::HostTime start = clock_.now();
  using Claim = std::pair<bool, std::optional<store::CertificateRow>>;
  // Under the lease, the row is read again: another instance may have just stored one.
  std::function<store::Result<Claim>(store::HostingStore&)> claim =
      [lease, holder, ttl, start, name](store::HostingStore& hosting) -> store::Result<Claim> {
    auto leased = hosting.acquire_lease(lease, holder, ttl, start);
    if (!leased) {
      return tl::unexpected(leased.error());
    }
    if (!*leased) {
      return Claim{false, std::nullopt};
    }
    auto row = hosting.get_certificate(name);
    if (!row) {
      (void)hosting.release_lease(lease, holder);
      return tl::unexpected(row.error());
    }
    return Claim{true, std::move(*row)};
  };
  auto claimed = co_await store_.run(std::move(claim));
  if (!claimed || !claimed->first) {
    if (!claimed) {
      log_.log(net::LogLevel::warn, "order-store-error",
               {{"name", name}, {"error", claimed.error().message}});
    } else {
      ++counters_.lease_busy;
      log_.log(net::LogLevel::debug, "order-elsewhere", {{"name", name}});
    }
    co_return;
  }
  const std::optional<store::CertificateRow> previous = claimed->second;
  const CertificateNeed need = certificate_need(
      previous ? std::optional(certificate_status(*previous)) : std::nullopt, start);
  if (need == CertificateNeed::issue || need == CertificateNeed::renew) {
    log_.log(net::LogLevel::info, "order-start",
             {{"name", name}, {"reason", need == CertificateNeed::issue ? "issue" : "renew"}});
    auto alive = std::make_shared<LoopTimer>(executor_);
    asio::co_spawn(executor_, keep_lease(alive, lease), asio::detached);
    net::AcmeResult<net::AcmeAccount> ensured = co_await account_.account();
    net::AcmeResult<net::IssuedCertificate> result = tl::unexpected(net::AcmeError{});
    if (ensured) {
      std::vector<std::string> names{name};
      net::AcmeResult<net::IssuedCertificate> ordered =
          co_await acme_.order(*ensured, std::move(names), publisher_);
      result = std::move(ordered);
    } else {
      result = tl::unexpected(ensured.error());
    }
    alive->stop();
    co_await finish(name, previous, result);
  }
  std::function<store::Result<void>(store::HostingStore&)> release =
      [lease, holder](store::HostingStore& hosting) {
        return hosting.release_lease(lease, holder);
      };
  auto released = co_await store_.run(std::move(release));
  (void)released;
  // The stored row (and the generation it moved) reach this instance's state now.
  auto synced = co_await sync_.sync_once();
  (void)synced;
}

asio::awaitable<void> CertificateManager::finish(
    const std::string& name, const std::optional<store::CertificateRow>& previous,
    const net::AcmeResult<net::IssuedCertificate>& result) {
  const core::HostTime now = clock_.now();
  store::CertificateRow row = previous.value_or(store::CertificateRow{});
  row.name = name;
  const std::string domain = std::string(policy_domain_of(name));
  const std::string actor = "system:" + options_.instance;
  store::AuditEntry audit;
  if (result) {
    row.chain_pem = result->chain_pem;
    row.key_pem = result->key_pem;
    row.not_before = from_unix(result->not_before);
    row.not_after = from_unix(result->not_after);
    row.issued_at = now;
    row.failures = 0;
    row.last_error.clear();
    row.retry_at.reset();
    audit = make_audit(now, actor, domain, "cert.issued",
                       {{"name", name}, {"not_after", core::format_utc(row.not_after)}});
    ++counters_.issued;
    sync_.install_certificate(row);
    log_.log(net::LogLevel::info, "certificate-issued",
             {{"name", name}, {"not_after", result->not_after}});
  } else {
    row.failures += 1;
    row.last_error = result.error().message;
    row.retry_at = retry_time(row.failures, now, result.error().retry_after);
    audit = make_audit(now, actor, domain, "cert.failed",
                       {{"name", name},
                        {"error", row.last_error},
                        {"problem", result.error().problem_type},
                        {"failures", row.failures},
                        {"retry_at", core::format_utc(*row.retry_at)}});
    ++counters_.failed;
    log_.log(net::LogLevel::warn, "certificate-failed",
             {{"name", name},
              {"error", row.last_error},
              {"failures", row.failures},
              {"retry_in", (*row.retry_at - now).count()}});
  }
  std::function<store::Result<void>(store::HostingStore&)> write =
      [row, audit](store::HostingStore& hosting) -> store::Result<void> {
    auto put = hosting.put_certificate(row);
    if (!put) {
      return put;
    }
    return hosting.append_audit(audit);
  };
  auto written = co_await store_.run(std::move(write));
  if (!written) {
    log_.log(net::LogLevel::error, "certificate-store-error",
             {{"name", name}, {"error", written.error().message}});
  }
}

}  // namespace mtasts::hosting
