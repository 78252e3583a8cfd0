#pragma once

// The daemon's resolver service: answers socketmap lookups from core::PolicyCache and carries
// out the steps the cache asks for (TXT check, policy fetch) on the event loop.
//
// Glossary
//   flight     the one discovery running for a domain (TXT check, then fetch if asked). Lookups
//              that need it while it runs wait for it instead of starting another (single
//              flight); a lookup that stops waiting (its zone timeout) leaves it running, so the
//              next lookup finds the cache filled.
//   wait       the cache holds nothing usable: the reply waits for the flight, at most the
//              zone's timeout (so the first message to a domain is protected too)
//   background the cache serves a usable policy now; the flight refreshes it behind
//   resolve    mx_match `resolve`: match= lists the destination's MX hosts the policy allows
//   dane       DANE first: for a domain that would get a policy reply, the DNSSEC facts (MX
//              RRset, each host's addresses and TLSA records) decide whether DANE governs
//   recheck    RFC 8461 §5: before deferring mail because no MX host matches, the TXT record is
//              checked and the policy fetched again (at most once per recheck_interval)
//
// One lookup, end to end: key -> normalise (parent probe, address literal, invalid ->
// "NOTFOUND ") -> cache.lookup(now) -> [store restore on a miss] -> [flight: TXT ->
// on_record -> fetch -> on_fetch -> store write-through] -> reply by zone and mode ->
// [dane: verdict (cached by TTL) -> "OK dane-only" | "OK dane" | TEMP | on to MTA-STS] ->
// [resolve: MX lookup (cached by TTL) -> allowed hosts | recheck -> TEMP | patterns fallback].
// A lookup that needs no wait (nothing to discover, the MX answer cached) is answered by
// answer_now() without a coroutine; the reply rendered from an MX answer is kept with it and
// reused while the cache serves the same policy object to a zone with the same settings.
//
// Single-threaded: every member runs on the service's executor. Persistence calls are
// synchronous and run on a worker thread of the service's own.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/core/base/result.hpp"
#include "mtasts/core/cache/policy_cache.hpp"
#include "mtasts/core/socketmap/postfix_reply.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/policy_fetcher.hpp"
#include "mtasts/net/runtime/clock.hpp"
#include "mtasts/net/runtime/log.hpp"
#include "mtasts/net/socketmap/socketmap_server.hpp"

namespace mtasts::net {

// Per-socketmap-name settings (the peer's zones).
struct ZoneSettings {
  core::TestingMode testing = core::TestingMode::report_only;  // strict_testing
  std::chrono::milliseconds timeout{4000};      // bound on waiting for discovery, and for MX
  core::SniMode sni = core::SniMode::hostname;  // require_sni
  core::TlsrptAttributes tlsrpt = core::TlsrptAttributes::off;
};

struct ProactiveSettings {
  bool enabled = false;
  // A refresh pass runs this often, each start moved by up to a tenth either way (jitter).
  std::chrono::milliseconds period{300'000};
  std::size_t concurrency = 100;  // flights at once in a pass (and for the preload list)
};

struct PolicyServiceOptions {
  core::CacheConfig cache;
  core::MatchForm match = core::MatchForm::mx_hosts;  // mx_hosts: mx_match resolve
  ZoneSettings default_zone;
  std::map<std::string, ZoneSettings, std::less<>> zones;
  // MX answers held (resolve mode; each keeps the reply rendered from it), or replies held
  // (patterns mode).
  std::size_t mx_cache_capacity = 10'000;
  // Discoveries running at once (a fetch may hold up to 64 KiB). Beyond it a lookup that finds
  // nothing cached answers as on a discovery timeout, and background refreshes are skipped.
  std::size_t max_flights = 4096;
  core::Seconds mx_ttl_min{30};  // MX answers are kept for their TTL clamped to this
  core::Seconds mx_ttl_max{3600};
  // DANE first (RFC 8461 §2, RFC 7672): before answering a policy, learn through the (validating)
  // resolver whether the destination's MX hosts have DNSSEC-signed TLSA records, and answer
  // "dane-only", "dane" or TEMP instead where they do (see core/dane/dane_state.hpp). DANE
  // verdicts are kept like MX answers: for their smallest TTL, clamped as above, at most
  // mx_cache_capacity of them. Off here; the daemon turns it on when its resolver validates.
  bool dane = false;
  ProactiveSettings proactive;
  // Expired policies are deleted from the store this often (and once at start()).
  std::chrono::milliseconds store_purge_period{3'600'000};
};

// Where fetched policies survive a restart (store::PolicyStore behind an adapter). Calls are
// synchronous and made from one worker thread, never from the event loop.
class PolicyPersistence {
 public:
  virtual ~PolicyPersistence() = default;
  // The stored policy of `domain` not expired at `now`, or nullopt.
  // Errors: any; the message is logged and the lookup goes on to the network.
  [[nodiscard]] virtual core::Result<std::optional<core::CachedPolicy>> load(
      const std::string& domain, core::TimePoint now) = 0;
  // Errors: any; the message is logged, the policy stays cached in memory.
  [[nodiscard]] virtual core::Result<void> save(const std::string& domain,
                                                const core::CachedPolicy& policy) = 0;
  // Deletes the stored policies expired at `now`; how many (a store that expires entries by
  // itself returns 0). Errors: any; the message is logged.
  [[nodiscard]] virtual core::Result<std::size_t> purge_expired(core::TimePoint /*now*/) {
    return std::size_t{0};
  }
  [[nodiscard]] virtual std::string_view name() const = 0;
};

// Counters for the metrics endpoint. Read and written on the event loop, except the store
// counters, which the worker thread updates.
struct ServiceCounters;

class PolicyService final : public SocketmapHandler {
 public:
  // `resolver`, `fetcher`, `clock`, `log` and `persistence` (null: none) must outlive the
  // service and every coroutine it runs.
  PolicyService(boost::asio::any_io_executor executor, DnsResolver& resolver,
                PolicyFetcher& fetcher, const Clock& clock, Logger& log,
                PolicyPersistence* persistence, PolicyServiceOptions options);
  ~PolicyService() override;
  PolicyService(const PolicyService&) = delete;
  PolicyService& operator=(const PolicyService&) = delete;

  // The socketmap reply for `key` in zone `map_name` (see the glossary). Never throws for
  // any input; at most two zone timeouts (discovery, then MX) pass before it answers.
  boost::asio::awaitable<std::string> handle(std::string map_name, std::string key) override;

  // The same reply as handle(), when the lookup needs no wait: the domain's policy, negative
  // entry or MX answer is cached, or the key names no policy domain. The view is valid until
  // the next call on the service. nullopt when handle() must be awaited instead (discovery,
  // an MX lookup or an RFC 8461 §5 re-check); nothing is counted then.
  std::optional<std::string_view> answer_now(std::string_view map_name,
                                             std::string_view key) override;

  // Starts the proactive refresh loop when enabled, and the purge of expired stored policies
  // when there is a store.
  void start();

  // Discovers each domain not yet cached, `proactive.concurrency` at a time, in the
  // background. Names that are not domains are logged and skipped.
  void preload(std::vector<std::string> domains);

  // Completes when the preload list given to preload() has been worked through.
  boost::asio::awaitable<void> preload_done();

  // Stops the refresh and purge loops and waits (at most `timeout`) for store writes queued so far.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds timeout);

  // Waits until every store write queued so far has been made (tests, shutdown).
  boost::asio::awaitable<void> flush_store();

  // Prometheus text exposition of the service's metrics (cache size included).
  [[nodiscard]] std::string metrics_text() const;

  [[nodiscard]] const core::PolicyCache& cache() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mtasts::net
