#pragma once

// The sender's policy cache (RFC 8461 §3.3, §5, §10.2) as a sans-I/O state machine.
//
// Glossary
//   entry      what the cache knows about one Policy Domain: the last fetched policy (which may
//              have expired), when the TXT record was last checked, a negative or hold period,
//              and the fetch backoff.
//   usable     a cached policy with now <= expires_at (RFC 8461 §3.2: cached "for up to" max_age
//              from the fetch; at fetched_at + max_age + 1 it is expired and never served).
//   recheck    a TXT lookup of "_mta-sts.<domain>" to see whether the id changed.
//   refresh    a new HTTPS fetch of a cached policy's body (RFC 8461 §3.3: proactively, once a
//              day by default, §10.2: regardless of the state of the TXT record).
//
// The caller (the net layer) drives it: lookup() says what to serve and which step to take;
// the caller performs the step and reports it with on_record() or on_fetch(), which answer
// again. Steps are advice: the caller de-duplicates concurrent steps for one domain (single
// flight) and may drop background steps under load. Domains are compared byte for byte: pass
// them normalised (normalize_domain()). The class is not thread-safe; time only comes in as
// `now`, so tests use a fake clock.
//
// RFC 8461 §5 (a message is never failed permanently before a TXT re-check) holds because every
// lookup older than recheck_interval re-checks the record, and an MTA retries far less often.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mtasts/core/sts/policy.hpp"
#include "mtasts/core/tlsrpt/result_type.hpp"

namespace mtasts::core {

using TimePoint = std::chrono::sys_seconds;
using Seconds = std::chrono::seconds;

struct CacheConfig {
  // Least interval between two TXT re-checks of a cached domain (the peer's `cache_grace`).
  Seconds recheck_interval{60};
  // A cached body is refetched at least this often even if the TXT id is unchanged
  // (RFC 8461 §3.3 suggests daily), and also once less than a quarter of its max_age is left.
  Seconds body_refresh{86400};
  // After a failed fetch, the same id is not fetched again for this long, doubling per
  // consecutive failure up to the maximum (RFC 8461 §3.3: five minutes or longer per id).
  Seconds fetch_backoff_min{300};
  Seconds fetch_backoff_max{3600};
  // "No record" answers are cached for their DNS TTL clamped to this range.
  Seconds negative_ttl_min{60};
  Seconds negative_ttl_max{3600};
  // After a DNS temporary failure with nothing cached, "no policy" is answered for this long
  // before the next lookup asks DNS again; never longer (CONFORMANCE 013).
  Seconds temp_failure_hold{30};
  // Most entries held, of any kind; the least recently used is evicted beyond it.
  std::size_t capacity{100000};
};

// A policy as fetched; shared read-only between the cache and the answers that serve it.
struct CachedPolicy {
  Policy policy;
  std::string id;        // the TXT id the fetch was made for; compared for equality only
  TimePoint fetched_at;  // when the body was fetched
  TimePoint expires_at;  // fetched_at + max_age (at most 31557600 s); served while now <= it
};

// The answer of the TXT lookup at "_mta-sts.<domain>", as select_sts_record() classifies it.
struct RecordOutcome {
  enum class Kind {
    found,         // exactly one valid STS record; `id` holds its id
    no_record,     // NXDOMAIN, NODATA, or no STS record among the TXT RRs
    unusable,      // several STS records, or one that does not parse
    temp_failure,  // SERVFAIL, timeout or another error that says nothing about the record
  };
  Kind kind = Kind::no_record;
  std::string id;  // meaningful for found only
  Seconds ttl{0};  // TTL of the answer (SOA minimum for NXDOMAIN/NODATA); for negative caching
};

// Why a policy fetch failed, one value per RFC 8460 result type.
enum class FetchFailure {
  fetch_error,     // connection, HTTP status, media type, size or timeout: sts-policy-fetch-error
  policy_invalid,  // the body does not parse as a policy: sts-policy-invalid
  webpki_invalid,  // the policy host's certificate does not validate: sts-webpki-invalid
};

// The RFC 8460 result type of a fetch failure (to_string gives "sts-policy-fetch-error", ...).
[[nodiscard]] TlsrptResultType tlsrpt_result_type(FetchFailure failure);

// The result of one HTTPS policy fetch: a validated policy or the reason it failed.
class FetchOutcome {
 public:
  [[nodiscard]] static FetchOutcome success(Policy policy) {
    return FetchOutcome(std::move(policy));
  }
  [[nodiscard]] static FetchOutcome failed(FetchFailure failure) { return FetchOutcome(failure); }

  [[nodiscard]] bool ok() const { return std::holds_alternative<Policy>(value_); }
  // Preconditions: ok() for policy(), !ok() for failure().
  [[nodiscard]] const Policy& policy() const { return std::get<Policy>(value_); }
  [[nodiscard]] FetchFailure failure() const { return std::get<FetchFailure>(value_); }

 private:
  explicit FetchOutcome(std::variant<Policy, FetchFailure> value) : value_(std::move(value)) {}
  std::variant<Policy, FetchFailure> value_;
};

// What the caller should do next.
enum class Step {
  none,          // nothing
  check_record,  // look up the TXT record, then call on_record()
  fetch_policy,  // fetch the policy for Decision::fetch_id, then call on_fetch()
};

// Meaningful only when the step is not none.
enum class Urgency {
  wait,        // nothing usable is cached: answer only after the step completes
  background,  // answer with `serve` now and carry the step out behind it
};

// Why the cache decided as it did; stable names (reason_name) for logs, metrics and --explain.
enum class Reason : std::uint8_t {
  hit,                // a usable policy, checked recently and fresh: nothing to do
  miss,               // nothing known about the domain: check the record first
  expired,            // the cached policy expired: discover (lookup) or refetch (same id)
  negative_hit,       // a recent answer said the domain has no record or an unusable one
  temp_failure_hold,  // a recent DNS temporary failure: no policy until the hold ends
  backoff,            // a fetch for this id failed recently: no new attempt yet (§3.3)
  recheck,            // the TXT check is older than recheck_interval: re-check behind
  refresh_due,        // the body is due for refresh: refetch behind (§3.3, §10.2)
  unchanged,          // the TXT id equals the cached id and the body is fresh
  id_changed,         // the TXT id differs from the cached one: fetch at once (§8.1)
  discovered,         // a record and nothing cached: fetch
  no_record_kept,     // no record, but a usable policy stays in force (§3.1, CONFORMANCE 010)
  unusable_kept,      // an unusable record, the same
  temp_failure_kept,  // a DNS temporary failure, the same (CONFORMANCE 013)
  no_record,          // no record and nothing usable: negative-cached
  unusable,           // an unusable record and nothing usable: negative-cached, no fetch
  temp_failure,       // a DNS temporary failure and nothing usable: a short hold
  fetched,            // the fetched policy is now cached and served
  fetched_uncached,   // max_age 0: served for this answer only, not cached (CONFORMANCE 018)
  fetch_failed_kept,  // the fetch failed; the usable cached policy stays untouched (§3.3)
  fetch_failed_none,  // the fetch failed and nothing usable is cached: no policy (§3.3)
};

[[nodiscard]] std::string_view reason_name(Reason reason);
[[nodiscard]] std::string_view step_name(Step step);
[[nodiscard]] std::string_view urgency_name(Urgency urgency);

struct Decision {
  // The policy to apply now; null means deliver as though the domain had no MTA-STS. A policy
  // of mode none is served as such (it replaces stricter ones); the caller applies no checks.
  std::shared_ptr<const CachedPolicy> serve;
  Step step = Step::none;
  Urgency urgency = Urgency::background;
  std::string fetch_id;  // the id to fetch, when step is fetch_policy
  Reason reason = Reason::miss;
  // RFC 8461 §3.3/§10.2: a refresh of a cached policy of mode enforce or testing failed.
  bool alert = false;
  // Why no live policy could be fetched (after a failed fetch, or while backing off): the
  // TLS-RPT result type for this delivery (tlsrpt_result_type()).
  std::optional<FetchFailure> failure;
};

// One entry as a cache dump shows it.
struct CacheEntryView {
  std::string domain;
  std::shared_ptr<const CachedPolicy> policy;  // the last fetched policy, possibly expired
  std::optional<TimePoint> checked_at;         // last TXT answer; none if restored, not checked
  std::optional<TimePoint> no_policy_until;    // negative, hold or backoff period, if any
  std::string failed_id;                       // id of the last failed fetch, if any
  std::optional<TimePoint> retry_at;           // when failed_id may be fetched again
};

class PolicyCache {
 public:
  explicit PolicyCache(CacheConfig config);
  PolicyCache(const PolicyCache&) = delete;
  PolicyCache& operator=(const PolicyCache&) = delete;
  ~PolicyCache();

  // What to serve for `domain` now and what to do next. Never creates an entry; marks an
  // existing one as most recently used. Possible answers:
  //   nothing known, or the policy expired     -> no policy, check_record, wait
  //   within a negative / hold / backoff period -> no policy, none
  //   usable, TXT check older than recheck      -> cached, check_record, background
  //   usable, body due for refresh (no backoff) -> cached, fetch_policy (cached id), background
  //   usable otherwise                          -> cached, none (hit)
  [[nodiscard]] Decision lookup(std::string_view domain, TimePoint now);

  // Takes the answer of a TXT lookup for `domain` (creating the entry if needed). A found id
  // different from the cached one is fetched at once, whatever the backoff of the old id;
  // the same id is fetched if the body is due for refresh or expired, unless it is backing off.
  // No record or an unusable one keeps a usable policy (and still refreshes a due body,
  // §10.2); with nothing usable it is negative-cached for the TTL clamped to the configured
  // range. A temporary failure keeps a usable policy and otherwise holds briefly.
  [[nodiscard]] Decision on_record(std::string_view domain, const RecordOutcome& outcome,
                                   TimePoint now);

  // Takes the result of fetching the policy for TXT id `id`. Success stores it (expires
  // now + max_age, at most 31557600 s; max_age 0 is served but not cached, and drops the old
  // policy), replacing whatever was cached, mode none included, and clears the backoff.
  // Failure never touches the cached policy; it starts or doubles the backoff of `id`, serves
  // the cached policy while usable, and raises `alert` when a cached policy of mode enforce or
  // testing could not be refreshed. The step of the answer is always none.
  [[nodiscard]] Decision on_fetch(std::string_view domain, std::string_view id,
                                  const FetchOutcome& outcome, TimePoint now);

  // Domains worth refreshing proactively (RFC 8461 §3.3, §10.2): usable policies whose body
  // is older than body_refresh or that have less than a quarter of their lifetime left, and
  // are not backing off; most recently used first, at most `limit`. For each, the caller
  // checks the record and reports it with on_record(), which asks for the fetch.
  [[nodiscard]] std::vector<std::string> due_for_refresh(TimePoint now, std::size_t limit) const;

  // Loads a policy from a persistent store. Ignored (returns false) when it has expired at
  // `now` or the cache already holds a policy fetched at the same time or later; otherwise it
  // replaces that policy, keeps any backoff, and the next lookup re-checks the record.
  // expires_at is capped at fetched_at + 31557600 s.
  bool restore(std::string_view domain, CachedPolicy policy, TimePoint now);

  // Forgets everything about `domain`; true if there was an entry.
  bool purge(std::string_view domain);

  // The usable policy for `domain`, or null; does not change recency.
  [[nodiscard]] std::shared_ptr<const CachedPolicy> cached(std::string_view domain,
                                                           TimePoint now) const;

  // Every entry, most recently used policies first, then the other entries.
  [[nodiscard]] std::vector<CacheEntryView> entries() const;

  // Number of entries of any kind (policies, negative entries, backoffs).
  [[nodiscard]] std::size_t size() const;

 private:
  struct Backoff;
  struct Entry;
  class Entries;  // policy_cache_entries.hpp

  Entry* find(std::string_view domain);
  Entry& find_or_create(std::string_view domain, TimePoint now);
  void touch(Entry& entry, TimePoint now);
  void evict_one();
  [[nodiscard]] bool backing_off(const Entry& entry, std::string_view id, TimePoint now) const;
  [[nodiscard]] bool refresh_due(const CachedPolicy& policy, TimePoint now) const;
  Decision on_record_found(Entry& entry, const std::string& id, TimePoint now);
  Decision fetch_unless_backing_off(Entry& entry, std::string id, Urgency urgency, Reason reason,
                                    TimePoint now);
  Decision on_record_absent(Entry& entry, const RecordOutcome& outcome, TimePoint now);
  Decision store(Entry& entry, std::string_view id, const Policy& policy, TimePoint now);
  Decision record_failure(Entry& entry, std::string_view id, FetchFailure failure, TimePoint now);

  CacheConfig config_;
  // Every entry by domain, in two recency lists: policies (usable) and others.
  std::unique_ptr<Entries> entries_;
};

}  // namespace mtasts::core
