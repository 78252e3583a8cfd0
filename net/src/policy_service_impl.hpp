#pragma once

// The inside of PolicyService, shared by policy_service*.cpp. Every coroutine takes the
// shared_ptr<Impl> by value, so the state outlives whatever is still running.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "flight.hpp"
#include "mtasts/net/policy_service.hpp"
#include "service_metrics.hpp"

namespace mtasts::net {

using Deadline = std::chrono::steady_clock::time_point;
using PolicyFlight = detail::Flight<core::Decision>;

// The MX hosts of a destination, as resolve mode needs them.
struct MxHosts {
  bool ok = false;                 // false: the lookup failed (or timed out)
  std::vector<std::string> hosts;  // by preference; the domain itself for an implicit MX
};
using MxFlight = detail::Flight<MxHosts>;

struct MxEntry {
  std::vector<std::string> hosts;
  core::TimePoint expires_at;
};

// Why a flight runs: to discover or refresh (lookups, proactive refresh, preload), or to
// re-check before deferring mail for an MX mismatch (RFC 8461 §5: the TXT record is checked
// and the policy fetched again even when its id is unchanged).
enum class FlightKind { discover, recheck };

struct PolicyService::Impl {
  Impl(boost::asio::any_io_executor ex, DnsResolver& r, PolicyFetcher& f, const Clock& c, Logger& l,
       PolicyPersistence* p, PolicyServiceOptions o);
  ~Impl();

  [[nodiscard]] const ZoneSettings& zone_for(std::string_view map_name) const;
  [[nodiscard]] core::TimePoint now() const { return clock.now(); }

  boost::asio::any_io_executor executor;
  DnsResolver& resolver;
  PolicyFetcher& fetcher;
  const Clock& clock;
  Logger& log;
  PolicyPersistence* persistence;  // null: no store
  PolicyServiceOptions options;
  core::PolicyCache cache;

  // Running flights by domain: discoveries, and §5 re-checks (kept apart so a re-check is
  // never satisfied by a discovery that does not refetch an unchanged id).
  std::unordered_map<std::string, std::shared_ptr<PolicyFlight>> flights;
  std::unordered_map<std::string, std::shared_ptr<PolicyFlight>> recheck_flights;
  std::unordered_map<std::string, MxEntry> mx_cache;
  std::unordered_map<std::string, std::shared_ptr<MxFlight>> mx_flights;
  core::TimePoint mx_swept_at{};
  // When each domain was last re-checked for an MX mismatch; bounded by mx_cache_capacity.
  std::unordered_map<std::string, core::TimePoint> rechecked_at;

  std::chrono::steady_clock::time_point shed_logged_at{};  // last discovery-shed warning

  std::unique_ptr<boost::asio::thread_pool> store_pool;  // one thread; null without a store
  std::shared_ptr<ServiceCounters> counters = std::make_shared<ServiceCounters>();

  bool stopping = false;
  boost::asio::steady_timer* refresh_timer = nullptr;  // the refresh loop's, while it waits
  boost::asio::steady_timer* purge_timer = nullptr;    // the store purge loop's, while it waits
  std::shared_ptr<detail::Event> preload_finished = std::make_shared<detail::Event>();
  std::minstd_rand random{std::random_device{}()};
};

using Impl = PolicyService::Impl;
using ImplPtr = std::shared_ptr<Impl>;

// policy_service_discovery.cpp

// The flight for `domain`, started from `first` (a decision whose step is not none) unless
// one runs already; null when `kind` is discover and max_flights discoveries run (shed).
std::shared_ptr<PolicyFlight> start_flight(ImplPtr impl, const std::string& domain,
                                           core::Decision first, FlightKind kind);

// Waits for the flight of a lookup that found nothing usable, at most until `deadline`; on
// timeout, what the cache serves now (normally nothing).
boost::asio::awaitable<core::Decision> wait_for_flight(ImplPtr impl, std::string domain,
                                                       core::Decision first, Deadline deadline);

// RFC 8461 §5 before deferring for an MX mismatch: the TXT check and a refetch, unless this
// domain was re-checked less than recheck_interval ago (then nullopt, as on a timeout).
boost::asio::awaitable<std::optional<core::Decision>> recheck(ImplPtr impl, std::string domain,
                                                              Deadline deadline);

// policy_service_mx.cpp

// The MX hosts of `domain`: cached by TTL, looked up once for concurrent lookups.
boost::asio::awaitable<MxHosts> mx_hosts(ImplPtr impl, std::string domain, Deadline deadline);
// The unexpired cached MX hosts of `domain`, or null; valid until the next suspension.
const std::vector<std::string>* cached_mx_hosts(Impl& impl, const std::string& domain);
void forget_mx(Impl& impl, const std::string& domain);

// policy_service_refresh.cpp

boost::asio::awaitable<void> refresh_loop(ImplPtr impl);
boost::asio::awaitable<void> run_preload(ImplPtr impl, std::vector<std::string> domains);
// Deletes expired policies from the store now and every store_purge_period until stopped.
boost::asio::awaitable<void> store_purge_loop(ImplPtr impl);

}  // namespace mtasts::net
