#include "socketmap/service_metrics.hpp"

#include <cstdio>

#include "mtasts/core/base/prometheus_text.hpp"

namespace mtasts::net {
namespace {

static_assert(static_cast<std::size_t>(core::ReplyKind::timeout) + 1 == kReplyKinds);
static_assert(static_cast<std::size_t>(core::Reason::fetch_failed_none) + 1 == kReasons);
static_assert(static_cast<std::size_t>(ResultType::sts_webpki_invalid) + 1 == kResultTypes);
static_assert(static_cast<std::size_t>(core::RecordOutcome::Kind::temp_failure) + 1 ==
              kRecordKinds);
static_assert(static_cast<std::size_t>(DnsStatus::error) + 1 == kDnsStatuses);
static_assert(static_cast<std::size_t>(core::KeyKind::invalid) + 1 == kKeyKinds);
static_assert(static_cast<std::size_t>(core::FetchFailure::webpki_invalid) + 1 == kFetchFailures);
static_assert(static_cast<std::size_t>(core::DaneReason::lookup_timed_out) + 1 ==
              core::kDaneReasons);
static_assert(static_cast<std::size_t>(core::DaneLevel::temp) + 1 == core::kDaneLevels);

std::string_view record_kind_name(core::RecordOutcome::Kind kind) {
  switch (kind) {
    case core::RecordOutcome::Kind::found:
      return "found";
    case core::RecordOutcome::Kind::no_record:
      return "no-record";
    case core::RecordOutcome::Kind::unusable:
      return "unusable";
    case core::RecordOutcome::Kind::temp_failure:
      return "temp-failure";
  }
  return "unknown";
}

std::string format_double(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

template <class Enum, std::size_t N, class NameFn>
void append_family(std::string& out, std::string_view name, std::string_view label,
                   std::string_view help, const std::array<std::uint64_t, N>& values,
                   NameFn name_of, std::size_t first = 0) {
  core::append_metric_family(out, name, "counter", help);
  for (std::size_t i = first; i < N; ++i) {
    core::append_metric_sample(out, name, core::metric_label(label, name_of(static_cast<Enum>(i))),
                               values[i]);
  }
}

}  // namespace

void LatencyHistogram::observe(std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) {
    ++bucket;
  }
  ++counts_[bucket];
  sum_ += seconds;
  ++count_;
}

void LatencyHistogram::write(std::string& out, std::string_view name, std::string_view help) const {
  core::append_metric_family(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  const std::string bucket_name = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += counts_[i];
    core::append_metric_sample(
        out, bucket_name, core::metric_label("le", format_double(kLatencyBuckets[i])), cumulative);
  }
  cumulative += counts_[kLatencyBuckets.size()];
  core::append_metric_sample(out, bucket_name, core::metric_label("le", "+Inf"), cumulative);
  out += name;
  out += "_sum ";
  out += format_double(sum_);
  out += '\n';
  out += name;
  out += "_count ";
  out += std::to_string(count_);
  out += '\n';
}

std::string render_service_metrics(const ServiceCounters& c, const ServiceGauges& g) {
  std::string out;
  append_family<core::ReplyKind>(out, "mtasts_lookups_total", "outcome",
                                 "Socketmap lookups answered, by reply status.", c.replies,
                                 core::reply_kind_name);
  append_family<core::Reason>(out, "mtasts_cache_decisions_total", "reason",
                              "Policy cache decisions, by reason code.", c.decisions,
                              core::reason_name);
  append_family<ResultType>(out, "mtasts_fetches_total", "result",
                            "HTTPS policy fetches, by RFC 8460 result class.", c.fetches,
                            result_type_name);
  append_family<core::RecordOutcome::Kind>(out, "mtasts_record_checks_total", "outcome",
                                           "_mta-sts TXT record checks, by outcome.", c.records,
                                           record_kind_name);
  append_family<DnsStatus>(out, "mtasts_mx_lookups_total", "status",
                           "MX lookups of destinations (mx_match resolve), by DNS status.",
                           c.mx_lookups, dns_status_name);
  append_family<core::KeyKind>(out, "mtasts_keys_skipped_total", "kind",
                               "Lookup keys answered NOTFOUND without a lookup, by kind.",
                               c.keys_skipped, core::key_kind_name, 1);
  append_family<core::FetchFailure>(
      out, "mtasts_policy_failures_total", "result",
      "Lookups answered while the domain's policy could not be fetched or validated, by RFC "
      "8460 result type (reported here, never sent to Postfix as policy_failure).",
      c.policy_failures, [](core::FetchFailure failure) {
        return core::to_string(core::tlsrpt_result_type(failure));
      });
  append_family<core::DaneReason>(
      out, "mtasts_dane_lookups_total", "reason",
      "DANE lookups of destinations (MX RRset, addresses, TLSA), by the reason of the verdict.",
      c.dane_verdicts, core::dane_reason_name);
  append_family<core::DaneLevel>(out, "mtasts_dane_replies_total", "level",
                                 "Lookups answered by DANE instead of MTA-STS, by reply level.",
                                 c.dane_replies, core::dane_level_name, 1);
  // The families of one sample each.
  struct Single {
    std::string_view name;
    std::string_view help;
    std::uint64_t value;
  };
  const Single counters[] = {
      {"mtasts_invalid_domains_total", "Lookup keys that are not valid domain names.",
       c.invalid_domains},
      {"mtasts_discovery_timeouts_total",
       "Lookups answered before their discovery finished (zone timeout).", c.discovery_timeouts},
      {"mtasts_mx_fallbacks_total",
       "Replies with only the policy's exact names (or TEMP) because the MX hosts were unknown.",
       c.mx_fallbacks},
      {"mtasts_mx_no_match_total",
       "TEMP replies: no MX host of the destination is allowed by its policy.", c.mx_no_match},
      {"mtasts_rechecks_total", "RFC 8461 section 5 re-checks before deferring for an MX mismatch.",
       c.rechecks},
      {"mtasts_policy_alerts_total", "Failed refreshes of cached enforce or testing policies.",
       c.alerts},
      {"mtasts_store_restores_total",
       "Policies restored from the persistent store on a cache miss.", c.store_restores},
      {"mtasts_discoveries_shed_total",
       "Lookups that started no discovery because max_flights were running.", c.discoveries_shed},
      {"mtasts_store_writes_total", "Policies written to the persistent store.",
       c.store_writes.load()},
      {"mtasts_store_errors_total", "Failed persistent store operations.", c.store_errors.load()},
      {"mtasts_store_purged_total", "Expired policies deleted from the persistent store.",
       c.store_purged.load()},
  };
  for (const Single& metric : counters) {
    core::append_metric(out, metric.name, "counter", metric.help, metric.value);
  }
  const Single gauges[] = {
      {"mtasts_cache_entries",
       "Entries in the policy cache (policies, negative entries, backoffs).", g.cache_entries},
      {"mtasts_mx_cache_entries", "MX answers cached.", g.mx_cache_entries},
      {"mtasts_dane_cache_entries", "DANE verdicts cached.", g.dane_cache_entries},
      {"mtasts_discoveries_in_flight", "Discoveries running now.", g.flights},
  };
  for (const Single& metric : gauges) {
    core::append_metric(out, metric.name, "gauge", metric.help, metric.value);
  }
  c.latency.write(out, "mtasts_lookup_duration_seconds",
                  "Time from request to reply of socketmap lookups.");
  return out;
}

}  // namespace mtasts::net
