#pragma once

// The counters behind PolicyService::metrics_text(), and the Prometheus text format they are
// written in (https://prometheus.io/docs/instrumenting/exposition_formats/).

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mtasts/core/cache/policy_cache.hpp"
#include "mtasts/core/dane/dane_state.hpp"
#include "mtasts/core/socketmap/postfix_reply.hpp"
#include "mtasts/core/socketmap/socketmap.hpp"
#include "mtasts/net/dns/dns_resolver.hpp"
#include "mtasts/net/fetch/fetch_outcome.hpp"

namespace mtasts::net {

// Lookup latency buckets, in seconds (le= bounds; +Inf is implied).
inline constexpr std::array<double, 12> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 4.0, 10.0};

class LatencyHistogram {
 public:
  void observe(std::chrono::steady_clock::duration elapsed);
  // A lookup answered from memory at once, not timed (a clock read would cost more than the
  // lookup): counted in the first bucket, adding nothing to the sum (docs/daemon.md).
  void observe_immediate() {
    ++counts_[0];
    ++count_;
  }
  void write(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> counts_{};  // last: over every bound
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Values that fit the enums they count, so a new enum value needs a bigger array (the
// static_asserts in service_metrics.cpp check it).
inline constexpr std::size_t kReplyKinds = 5;
inline constexpr std::size_t kReasons = 21;
inline constexpr std::size_t kResultTypes = 5;
inline constexpr std::size_t kRecordKinds = 4;
inline constexpr std::size_t kDnsStatuses = 7;
inline constexpr std::size_t kKeyKinds = 5;
inline constexpr std::size_t kFetchFailures = 3;

struct ServiceCounters {
  std::array<std::uint64_t, kReplyKinds> replies{};      // by core::ReplyKind
  std::array<std::uint64_t, kReasons> decisions{};       // by core::Reason
  std::array<std::uint64_t, kResultTypes> fetches{};     // by ResultType
  std::array<std::uint64_t, kRecordKinds> records{};     // by core::RecordOutcome::Kind
  std::array<std::uint64_t, kDnsStatuses> mx_lookups{};  // by DnsStatus
  std::array<std::uint64_t, kKeyKinds> keys_skipped{};   // by core::KeyKind (not domain)
  // Lookups answered while the domain's announced or cached policy could not be fetched or
  // validated, by core::FetchFailure (what Postfix 3.10 calls policy_failure; never sent).
  std::array<std::uint64_t, kFetchFailures> policy_failures{};
  std::array<std::uint64_t, core::kDaneReasons> dane_verdicts{};  // DANE lookups, by reason
  std::array<std::uint64_t, core::kDaneLevels> dane_replies{};    // replies DANE decided, by level
  std::uint64_t invalid_domains = 0;           // keys that normalize_domain() refused
  std::uint64_t discovery_timeouts = 0;        // lookups answered before their flight ended
  std::uint64_t mx_fallbacks = 0;              // resolve mode, MX hosts unknown: exact names
  std::uint64_t mx_no_match = 0;               // TEMP: no MX host allowed, after the recheck
  std::uint64_t rechecks = 0;                  // RFC 8461 §5 re-checks started
  std::uint64_t alerts = 0;                    // refreshes of enforce/testing policies that failed
  std::uint64_t store_restores = 0;            // policies restored from the store on a miss
  std::uint64_t discoveries_shed = 0;          // lookups that found max_flights discoveries running
  std::atomic<std::uint64_t> store_writes{0};  // updated on the store worker
  std::atomic<std::uint64_t> store_errors{0};
  std::atomic<std::uint64_t> store_purged{0};  // expired policies deleted from the store
  LatencyHistogram latency;

  void count(core::ReplyKind kind) { ++replies[static_cast<std::size_t>(kind)]; }
  void count(core::Reason reason) { ++decisions[static_cast<std::size_t>(reason)]; }
  void count(ResultType type) { ++fetches[static_cast<std::size_t>(type)]; }
  void count(core::RecordOutcome::Kind kind) { ++records[static_cast<std::size_t>(kind)]; }
  void count_mx(DnsStatus status) { ++mx_lookups[static_cast<std::size_t>(status)]; }
  void count(core::KeyKind kind) { ++keys_skipped[static_cast<std::size_t>(kind)]; }
  void count(core::FetchFailure failure) { ++policy_failures[static_cast<std::size_t>(failure)]; }
  void count(core::DaneReason reason) { ++dane_verdicts[static_cast<std::size_t>(reason)]; }
  void count(core::DaneLevel level) { ++dane_replies[static_cast<std::size_t>(level)]; }
};

struct ServiceGauges {
  std::size_t cache_entries = 0;
  std::size_t mx_cache_entries = 0;
  std::size_t dane_cache_entries = 0;
  std::size_t flights = 0;
};

// The whole exposition of the service: counters, gauges and the latency histogram.
[[nodiscard]] std::string render_service_metrics(const ServiceCounters& counters,
                                                 const ServiceGauges& gauges);

}  // namespace mtasts::net
