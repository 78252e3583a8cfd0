#pragma once

// The record manager of `mtasts host` (docs/hosting.md): keeps the TXT record of every
// delegated domain, <d>.<delegation zone> TXT "v=STSv1; id=<id>", at the current id by RFC 2136
// dynamic update, and ends removals.
//
// RFC 8461 §8.1 wants the policy body updated before the TXT record: a new id is published
// only once its version is one sync interval old, so every instance serves the new body by
// then. The id published is kept on the domain row (published_id); a failed update is retried
// with backoff (5 s doubling to 10 minutes). When a removal's serve_until passes, the record is
// deleted (delegated domains), then the domain is dropped with its certificate.
// Leases "record:<d>" and "domain:<d>" keep two instances of a cluster from doing one job
// twice; every step is idempotent anyway.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "mtasts/hosting/host_async.hpp"
#include "mtasts/hosting/host_store_worker.hpp"
#include "mtasts/hosting/host_sync.hpp"
#include "mtasts/net/dns_update/dns_updater.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"

namespace mtasts::hosting {

struct RecordManagerOptions {
  core::ServiceIdentity service;
  std::string instance;
  std::uint32_t ttl = 300;         // of the managed TXT records
  std::chrono::seconds settle{5};  // one sync interval, rounded up
};

struct RecordCounters {
  std::uint64_t updated = 0;
  std::uint64_t failed = 0;
  std::uint64_t removed = 0;  // records deleted at the end of a removal
  std::uint64_t dropped = 0;  // domains dropped at the end of a removal
};

class RecordManager {
 public:
  // `updater` may be null (no dns_update section): delegated records are then not managed,
  // which is logged once per domain. Everything given must outlive the manager.
  RecordManager(boost::asio::any_io_executor executor, StoreWorker& store, HostSync& sync,
                net::DnsUpdater* updater, const net::Clock& clock, net::Logger& log,
                RecordManagerOptions options);

  // Starts the updates and removal ends that are due.
  void scan();

  // Runs scan() every `interval` until `timer` stops.
  boost::asio::awaitable<void> run(LoopTimer& timer, std::chrono::milliseconds interval);

  [[nodiscard]] const RecordCounters& counters() const { return counters_; }

 private:
  boost::asio::awaitable<void> publish(store::DomainRow row);
  boost::asio::awaitable<void> end_removal(store::DomainRow row);
  boost::asio::awaitable<bool> lease(std::string name, bool take);
  void note_failure(const std::string& domain, const std::string& what, const std::string& error);
  bool backing_off(const std::string& domain) const;
  void start(std::string domain, boost::asio::awaitable<void> job);

  boost::asio::any_io_executor executor_;
  StoreWorker& store_;
  HostSync& sync_;
  net::DnsUpdater* updater_;
  const net::Clock& clock_;
  net::Logger& log_;
  RecordManagerOptions options_;
  std::set<std::string, std::less<>> in_flight_;
  std::set<std::string, std::less<>> unmanaged_warned_;
  std::map<std::string, std::pair<std::uint32_t, core::HostTime>, std::less<>> backoff_;
  RecordCounters counters_;
};

}  // namespace mtasts::hosting
