#pragma once

// The inside of PolicyService, shared by policy_service*.cpp. Every coroutine takes the
// shared_ptr<Impl> by value, so the state outlives whatever is still running.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mtasts/net/socketmap/policy_service.hpp"
#include "socketmap/flight.hpp"
#include "socketmap/service_metrics.hpp"

namespace mtasts::net {

using Deadline = std::chrono::steady_clock::time_point;
using PolicyFlight = detail::Flight<core::Decision>;

// The MX hosts of a destination, as resolve mode needs them.
struct MxHosts {
  bool ok = false;                 // false: the lookup failed (or timed out)
  std::vector<std::string> hosts;  // by preference; the domain itself for an implicit MX
};
using MxFlight = detail::Flight<MxHosts>;

// A reply rendered from one MX answer, kept with it so a cached lookup does not render again.
// It is reused only for the same policy object (the cache replaces the object whenever the
// policy changes) and the same reply settings of the zone; a new MX answer replaces the entry,
// and the memo with it. Bounded by mx_cache_capacity, like the MX answers.
struct ReplyMemo {
  std::weak_ptr<const core::CachedPolicy> policy;  // compared by identity, never locked
  core::SniMode sni = core::SniMode::hostname;
  core::TestingMode testing = core::TestingMode::report_only;
  core::TlsrptAttributes tlsrpt = core::TlsrptAttributes::off;
  bool mx_fallback = false;  // exact names or TEMP, for a null MX (counted as mx_fallbacks)
  std::string reply;         // empty: nothing remembered

  // Whether the memo holds the reply for `policy` in `zone`.
  [[nodiscard]] bool fits(const std::shared_ptr<const core::CachedPolicy>& serving,
                          const ZoneSettings& zone) const {
    return !reply.empty() && !policy.owner_before(serving) && !serving.owner_before(policy) &&
           sni == zone.sni && testing == zone.testing && tlsrpt == zone.tlsrpt;
  }
};

// A DANE verdict for a destination (see core/dane/dane_state.hpp), with the reply it gives.
struct DaneEntry {
  core::DaneVerdict verdict;
  core::TimePoint expires_at;
  std::string reply;  // "OK dane-only", "OK dane" or TEMP; empty for level none
};
using DaneFlight = detail::Flight<core::DaneVerdict>;

struct MxEntry {
  std::vector<std::string> hosts;
  core::TimePoint expires_at;
  ReplyMemo memo;  // resolve mode: the last reply rendered from `hosts`
  // The lookup failed or timed out (`hosts` empty): kept for mx_ttl_min, like a temp DANE
  // verdict, so a DNS outage costs one lookup per domain per period, not one per request.
  bool failed = false;
};

// Hashes std::string keys and std::string_view probes alike (heterogeneous lookup). Domain
// names are short: eight bytes at a time, multiplied and folded; the map mixes the result
// once more before it picks a group.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    std::uint64_t hash = 0x9e3779b97f4a7c15ULL ^ text.size();
    const char* at = text.data();
    std::size_t left = text.size();
    for (; left >= 8; at += 8, left -= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, at, 8);
      hash = (hash ^ word) * 0xbf58476d1ce4e5b9ULL;
      hash ^= hash >> 31;
    }
    std::uint64_t tail = 0;
    for (std::size_t i = 0; i < left; ++i) {
      tail |= std::uint64_t{static_cast<unsigned char>(at[i])} << (8 * i);
    }
    hash = (hash ^ tail) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(hash ^ (hash >> 29));
  }
};

// Replies in the patterns form (mx_match patterns) by domain, bounded like the MX answers.
using ReplyMemos = boost::unordered_flat_map<std::string, ReplyMemo, StringHash, std::equal_to<>>;

// The MX answers by domain. Open addressing (one probe of a group, no bucket chain, no
// division): the cached lookup reads it on every request. Elements move when it grows, so
// pointers into it are kept only until the next insertion.
using MxCache = boost::unordered_flat_map<std::string, MxEntry, StringHash, std::equal_to<>>;
// DANE verdicts by destination ("domain", or "[domain]" for a bracketed next hop).
using DaneCache = boost::unordered_flat_map<std::string, DaneEntry, StringHash, std::equal_to<>>;

// Expired entries of a bounded cache are swept at most this often; between sweeps a full map
// drops an arbitrary entry.
inline constexpr core::Seconds kSweepInterval{10};

// Makes room for one more entry in `map` (MxCache, DaneCache), bounded by `capacity`.
template <class Map>
void make_room(Map& map, std::size_t capacity, core::TimePoint now, core::TimePoint& swept_at) {
  if (map.size() < capacity) {
    return;
  }
  if (now >= swept_at + kSweepInterval) {
    swept_at = now;
    boost::unordered::erase_if(map,
                               [now](const auto& entry) { return entry.second.expires_at < now; });
  }
  if (map.size() >= capacity && !map.empty()) {
    map.erase(map.begin());
  }
}

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
  MxCache mx_cache;
  ReplyMemos pattern_replies;  // mx_match patterns: at most mx_cache_capacity
  std::unordered_map<std::string, std::shared_ptr<MxFlight>> mx_flights;
  core::TimePoint mx_swept_at{};
  DaneCache dane_cache;  // options.dane: at most mx_cache_capacity
  std::unordered_map<std::string, std::shared_ptr<DaneFlight>> dane_flights;
  core::TimePoint dane_swept_at{};
  // When each domain was last re-checked for an MX mismatch; bounded by mx_cache_capacity.
  std::unordered_map<std::string, core::TimePoint> rechecked_at;

  std::chrono::steady_clock::time_point shed_logged_at{};  // last discovery-shed warning
  // A reply reply_now() rendered without a memo to keep it in (see ReplyNow::text).
  std::string reply_scratch;

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
std::shared_ptr<PolicyFlight> start_flight(const ImplPtr& impl, const std::string& domain,
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

// The MX hosts of `domain`: cached by TTL, looked up once for concurrent lookups. A failed
// lookup, or one not done by `deadline`, is cached as failed for mx_ttl_min (ok false); once
// that passes, the next lookup asks again in the background and is answered as failed at
// once, so a DNS outage that drops queries makes at most the first lookup of a domain wait.
boost::asio::awaitable<MxHosts> mx_hosts(ImplPtr impl, std::string domain, Deadline deadline);
// The unexpired cached MX answer (or failure) of `domain` at `now`, or null; valid until the
// next suspension (or insertion).
MxEntry* cached_mx(Impl& impl, std::string_view domain, core::TimePoint now);
void forget_mx(Impl& impl, const std::string& domain);
// The hosts an MX answer names: by preference, without duplicates; the domain itself for an
// implicit MX; none for the null MX; ok false when the lookup failed.
MxHosts hosts_of(const MxAnswer& answer, const std::string& domain);

// policy_service_dane.cpp

// The key of a destination's DANE verdict: the domain, or "[domain]" for a bracketed next hop.
std::string dane_key(std::string_view domain, bool bracketed);
// The unexpired cached DANE verdict under `key` at `now`, or null; valid until the next
// suspension (or insertion).
const DaneEntry* cached_dane(const Impl& impl, std::string_view key, core::TimePoint now);
// The DANE verdict of `domain`: cached by TTL, learnt once for concurrent lookups; a temp verdict
// (lookup_timed_out) when it is not known by `deadline`.
boost::asio::awaitable<core::DaneVerdict> dane_verdict(ImplPtr impl, std::string domain,
                                                       bool bracketed, Deadline deadline);

// policy_service_reply.cpp

// Why a reply lists only the policy's exact names (or is TEMP): no MX host to match.
enum class MxFallback {
  none,           // the MX hosts were matched
  null_mx,        // the MX answer names no host (RFC 7505)
  lookup_failed,  // the MX lookup failed or timed out (a cached failure, or this one)
};
std::string_view mx_fallback_name(MxFallback why);

// What reply_now() needs before it can answer.
enum class ReplyNeed {
  none,         // nothing: `text` is the reply
  dane_lookup,  // options.dane, and no unexpired DANE verdict of the destination is cached
  mx_lookup,    // resolve mode, and no unexpired MX answer of the domain is cached
  recheck,      // no MX host matches the policy: RFC 8461 §5 re-check before deferring
};

struct ReplyNow {
  ReplyNeed need = ReplyNeed::none;
  // The reply (need none): a constant, a memo or Impl::reply_scratch; valid until the next
  // reply_now() or change to the MX cache.
  std::string_view text;
  MxFallback mx_fallback = MxFallback::none;  // exact names or TEMP, from the cached MX entry
  // When the reply was rendered (not a constant or a memo): the time rendering began.
  std::optional<std::chrono::steady_clock::time_point> rendered_from;
  std::string_view first_mx;  // need recheck: the first MX host (valid until a suspension)
  core::DaneLevel dane = core::DaneLevel::none;  // DANE decided the reply (not none)
};

// The reply for `domain` once discovery is settled (`decision`), as far as it can be given
// without suspending. `domain` is normalised; `bracketed` for a "[host]" key (no MX lookup).
// Changes nothing but the reply memos and scratch: a caller that gets a need may start over.
// `dane_settled`: the caller learnt the DANE verdict is none (the cache may not hold it).
ReplyNow reply_now(Impl& impl, const ZoneSettings& zone, std::string_view domain,
                   const core::Decision& decision, bool bracketed, core::TimePoint now,
                   bool dane_settled = false);

// The reply for `domain` once discovery is settled: reply_now(), then the MX lookup and the
// RFC 8461 §5 re-check it may need. `zone` and `domain` live in the caller's frame, which
// awaits this one.
boost::asio::awaitable<std::string> reply_for(ImplPtr impl, const ZoneSettings& zone,
                                              std::string_view domain, core::Decision decision,
                                              bool bracketed);

// Counts a reply in the patterns form for want of an MX answer to match, and logs why.
// Counts a reply of exact names (or TEMP) for `why`. The `mx-fallback` info line is written for
// a null MX when the reply was `rendered` (once per MX answer, not per lookup); a failed lookup
// has its own `mx-lookup-failed` line, once per lookup made, so this one is debug.
void note_mx_fallback(Impl& impl, std::string_view domain, MxFallback why, bool rendered);

// policy_service_refresh.cpp

boost::asio::awaitable<void> refresh_loop(ImplPtr impl);
boost::asio::awaitable<void> run_preload(ImplPtr impl, std::vector<std::string> domains);
// Deletes expired policies from the store now and every store_purge_period until stopped.
boost::asio::awaitable<void> store_purge_loop(ImplPtr impl);

}  // namespace mtasts::net
