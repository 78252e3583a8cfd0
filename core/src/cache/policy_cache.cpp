#include "mtasts/core/cache/policy_cache.hpp"

#include <algorithm>
#include <utility>

#include "cache/policy_cache_entries.hpp"

namespace mtasts::core {
namespace {

bool usable(const std::shared_ptr<const CachedPolicy>& policy, TimePoint now) {
  // RFC 8461 §3.2: cached "for up to" max_age from the fetch, and not a second longer.
  return policy != nullptr && now <= policy->expires_at;
}

Decision answer(std::shared_ptr<const CachedPolicy> serve, Reason reason) {
  Decision decision;
  decision.serve = std::move(serve);
  decision.reason = reason;
  return decision;
}

Decision step(std::shared_ptr<const CachedPolicy> serve, Step next, Urgency urgency,
              Reason reason) {
  Decision decision = answer(std::move(serve), reason);
  decision.step = next;
  decision.urgency = urgency;
  return decision;
}

// RFC 8461 §3.3 and §10.2: failed refreshes are alerted on, unless the cached mode is none
// (so that a domain can remove MTA-STS cleanly, §8.3).
bool alerts_on_failed_refresh(PolicyMode mode) {
  switch (mode) {
    case PolicyMode::enforce:
    case PolicyMode::testing:
      return true;
    case PolicyMode::none:
      return false;
  }
  return true;
}

std::optional<TimePoint> unless_never(TimePoint t) {
  return t == kNever ? std::nullopt : std::optional<TimePoint>(t);
}

}  // namespace

PolicyCache::PolicyCache(CacheConfig config)
    : config_(config), entries_(std::make_unique<Entries>()) {
  config_.capacity = std::max<std::size_t>(config_.capacity, 1);
  config_.fetch_backoff_max = std::max(config_.fetch_backoff_max, config_.fetch_backoff_min);
  config_.negative_ttl_max = std::max(config_.negative_ttl_max, config_.negative_ttl_min);
}

PolicyCache::~PolicyCache() = default;

std::size_t PolicyCache::size() const {
  return entries_->size();
}

Decision PolicyCache::lookup(std::string_view domain, TimePoint now) {
  Entry* entry = find(domain);
  if (entry == nullptr) {
    return step(nullptr, Step::check_record, Urgency::wait, Reason::miss);
  }
  touch(*entry, now);
  const auto& policy = entry->policy;
  if (usable(policy, now)) {
    if (entry->checked_at == kNever || now - entry->checked_at >= config_.recheck_interval) {
      return step(policy, Step::check_record, Urgency::background, Reason::recheck);
    }
    if (!refresh_due(*policy, now)) {
      return answer(policy, Reason::hit);
    }
    if (backing_off(*entry, policy->id, now)) {
      Decision decision = answer(policy, Reason::backoff);
      decision.failure = entry->backoff->failure;
      return decision;
    }
    Decision decision = step(policy, Step::fetch_policy, Urgency::background, Reason::refresh_due);
    decision.fetch_id = policy->id;
    return decision;
  }
  if (now < entry->quiet_until) {
    Decision decision = answer(nullptr, entry->quiet_reason);
    if (entry->quiet_reason == Reason::backoff && entry->backoff) {
      decision.failure = entry->backoff->failure;
    }
    return decision;
  }
  return step(nullptr, Step::check_record, Urgency::wait,
              policy != nullptr ? Reason::expired : Reason::miss);
}

Decision PolicyCache::on_record(std::string_view domain, const RecordOutcome& outcome,
                                TimePoint now) {
  Entry& entry = find_or_create(domain, now);
  entry.checked_at = now;
  Decision decision;
  switch (outcome.kind) {
    case RecordOutcome::Kind::found:
      decision = on_record_found(entry, outcome.id, now);
      break;
    case RecordOutcome::Kind::no_record:
    case RecordOutcome::Kind::unusable:
    case RecordOutcome::Kind::temp_failure:
      decision = on_record_absent(entry, outcome, now);
      break;
  }
  touch(entry, now);
  return decision;
}

Decision PolicyCache::on_record_found(Entry& entry, const std::string& id, TimePoint now) {
  entry.quiet_until = kNever;
  const auto& policy = entry.policy;
  if (usable(policy, now)) {
    // RFC 8461 §8.1: a new id means a new policy; ids are compared for equality only (§3.1).
    if (policy->id != id) {
      return fetch_unless_backing_off(entry, id, Urgency::background, Reason::id_changed, now);
    }
    if (refresh_due(*policy, now)) {
      return fetch_unless_backing_off(entry, id, Urgency::background, Reason::refresh_due, now);
    }
    return answer(policy, Reason::unchanged);
  }
  // An expired policy is refetched even when the id is unchanged, never silently extended
  // (CONFORMANCE 027 T3).
  Reason reason = Reason::discovered;
  if (policy != nullptr) {
    reason = policy->id == id ? Reason::expired : Reason::id_changed;
  }
  return fetch_unless_backing_off(entry, id, Urgency::wait, reason, now);
}

Decision PolicyCache::on_record_absent(Entry& entry, const RecordOutcome& outcome, TimePoint now) {
  const auto kind = outcome.kind;
  if (usable(entry.policy, now)) {
    // RFC 8461 §3.1: the absence of a usable record does not remove a cached policy; §10.2:
    // refresh it regardless of the state of the TXT record.
    if (refresh_due(*entry.policy, now)) {
      return fetch_unless_backing_off(entry, entry.policy->id, Urgency::background,
                                      Reason::refresh_due, now);
    }
    Reason kept = Reason::no_record_kept;
    switch (kind) {
      case RecordOutcome::Kind::found:
      case RecordOutcome::Kind::no_record:
        break;
      case RecordOutcome::Kind::unusable:
        kept = Reason::unusable_kept;
        break;
      case RecordOutcome::Kind::temp_failure:
        kept = Reason::temp_failure_kept;
        break;
    }
    return answer(entry.policy, kept);
  }
  switch (kind) {
    case RecordOutcome::Kind::temp_failure:
      // CONFORMANCE 013: a temporary failure says nothing about the record; hold briefly only.
      entry.quiet_until = now + config_.temp_failure_hold;
      entry.quiet_reason = Reason::temp_failure_hold;
      return answer(nullptr, Reason::temp_failure);
    case RecordOutcome::Kind::found:
    case RecordOutcome::Kind::no_record:
    case RecordOutcome::Kind::unusable:
      break;
  }
  entry.policy.reset();
  entry.quiet_until =
      now + std::clamp(outcome.ttl, config_.negative_ttl_min, config_.negative_ttl_max);
  entry.quiet_reason = Reason::negative_hit;
  return answer(nullptr,
                kind == RecordOutcome::Kind::unusable ? Reason::unusable : Reason::no_record);
}

Decision PolicyCache::fetch_unless_backing_off(Entry& entry, std::string id, Urgency urgency,
                                               Reason reason, TimePoint now) {
  auto serve = usable(entry.policy, now) ? entry.policy : nullptr;
  if (backing_off(entry, id, now)) {
    // RFC 8461 §3.3: no new attempt for an id whose fetch failed recently.
    if (serve == nullptr) {
      entry.quiet_until = std::min(now + config_.recheck_interval, entry.backoff->retry_at);
      entry.quiet_reason = Reason::backoff;
    }
    Decision decision = answer(std::move(serve), Reason::backoff);
    decision.failure = entry.backoff->failure;
    return decision;
  }
  Decision decision = step(std::move(serve), Step::fetch_policy, urgency, reason);
  decision.fetch_id = std::move(id);
  return decision;
}

Decision PolicyCache::on_fetch(std::string_view domain, std::string_view id,
                               const FetchOutcome& outcome, TimePoint now) {
  Entry& entry = find_or_create(domain, now);
  Decision decision = outcome.ok() ? store(entry, id, outcome.policy(), now)
                                   : record_failure(entry, id, outcome.failure(), now);
  touch(entry, now);
  return decision;
}

Decision PolicyCache::store(Entry& entry, std::string_view id, const Policy& policy,
                            TimePoint now) {
  entry.backoff.reset();
  entry.quiet_until = kNever;
  // RFC 8461 §3.2: never cached longer than 31557600 s, whatever the caller passes.
  const Seconds max_age{std::min(policy.max_age, kMaxPolicyMaxAge)};
  auto fetched = std::make_shared<const CachedPolicy>(
      CachedPolicy{policy, std::string(id), now, now + max_age});
  if (max_age == Seconds{0}) {
    // CONFORMANCE 018: max_age 0 is valid for this attempt only. It still supersedes the old
    // policy, which the domain has replaced.
    entry.policy.reset();
    return answer(std::move(fetched), Reason::fetched_uncached);
  }
  // A validated policy replaces whatever was cached, including a stricter one (§8.3).
  entry.policy = fetched;
  return answer(std::move(fetched), Reason::fetched);
}

Decision PolicyCache::record_failure(Entry& entry, std::string_view id, FetchFailure failure,
                                     TimePoint now) {
  auto& backoff = entry.backoff;
  if (backoff && backoff->id == id) {
    // Double only for an attempt made after the previous delay ran out, so that overlapping
    // fetches of one id do not count twice.
    if (now >= backoff->retry_at) {
      backoff->delay = std::min(backoff->delay * 2, config_.fetch_backoff_max);
    }
  } else {
    backoff = std::make_unique<Backoff>(
        Backoff{std::string(id), config_.fetch_backoff_min, now, failure});
  }
  backoff->retry_at = now + backoff->delay;
  backoff->failure = failure;

  // RFC 8461 §3.3: a failed fetch never touches the cached policy.
  Decision decision;
  if (usable(entry.policy, now)) {
    decision = answer(entry.policy, Reason::fetch_failed_kept);
  } else {
    decision = answer(nullptr, Reason::fetch_failed_none);
    entry.quiet_until = std::min(now + config_.recheck_interval, backoff->retry_at);
    entry.quiet_reason = Reason::backoff;
  }
  decision.alert = entry.policy != nullptr && alerts_on_failed_refresh(entry.policy->policy.mode);
  decision.failure = failure;
  return decision;
}

std::vector<std::string> PolicyCache::due_for_refresh(TimePoint now, std::size_t limit) const {
  std::vector<std::string> due;
  for (const Entry* entry = entries_->first(Recency::policies); entry && due.size() < limit;
       entry = entries_->next(*entry)) {
    if (usable(entry->policy, now) && refresh_due(*entry->policy, now) &&
        !backing_off(*entry, entry->policy->id, now)) {
      due.emplace_back(entry->key.view());
    }
  }
  return due;
}

bool PolicyCache::restore(std::string_view domain, CachedPolicy policy, TimePoint now) {
  policy.expires_at = std::min(policy.expires_at, policy.fetched_at + Seconds{kMaxPolicyMaxAge});
  if (now > policy.expires_at) {
    return false;
  }
  Entry* existing = find(domain);
  if (existing != nullptr && existing->policy != nullptr &&
      existing->policy->fetched_at >= policy.fetched_at) {
    return false;
  }
  Entry& entry = existing != nullptr ? *existing : find_or_create(domain, now);
  entry.policy = std::make_shared<const CachedPolicy>(std::move(policy));
  entry.checked_at = kNever;
  entry.quiet_until = kNever;
  touch(entry, now);
  return true;
}

bool PolicyCache::purge(std::string_view domain) {
  Entry* entry = find(domain);
  if (entry == nullptr) {
    return false;
  }
  entries_->erase(*entry);
  return true;
}

std::shared_ptr<const CachedPolicy> PolicyCache::cached(std::string_view domain,
                                                        TimePoint now) const {
  const Entry* entry = std::as_const(*entries_).find(domain);
  if (entry == nullptr || !usable(entry->policy, now)) {
    return nullptr;
  }
  return entry->policy;
}

std::vector<CacheEntryView> PolicyCache::entries() const {
  std::vector<CacheEntryView> views;
  views.reserve(entries_->size());
  for (const Recency list : {Recency::policies, Recency::others}) {
    for (const Entry* entry = entries_->first(list); entry; entry = entries_->next(*entry)) {
      CacheEntryView view{std::string(entry->key.view()),
                          entry->policy,
                          unless_never(entry->checked_at),
                          unless_never(entry->quiet_until),
                          {},
                          std::nullopt};
      if (entry->backoff) {
        view.failed_id = entry->backoff->id;
        view.retry_at = entry->backoff->retry_at;
      }
      views.push_back(std::move(view));
    }
  }
  return views;
}

PolicyCache::Entry* PolicyCache::find(std::string_view domain) {
  return entries_->find(domain);
}

PolicyCache::Entry& PolicyCache::find_or_create(std::string_view domain, TimePoint now) {
  if (Entry* entry = find(domain)) {
    return *entry;
  }
  if (entries_->size() >= config_.capacity) {
    evict_one();
  }
  Entry& entry = entries_->insert(domain);
  touch(entry, now);
  return entry;
}

void PolicyCache::touch(Entry& entry, TimePoint now) {
  entries_->to_front(entry, usable(entry.policy, now) ? Recency::policies : Recency::others);
}

void PolicyCache::evict_one() {
  Entry* victim = entries_->last(Recency::others);
  if (victim == nullptr) {
    victim = entries_->last(Recency::policies);
  }
  if (victim != nullptr) {
    entries_->erase(*victim);
  }
}

bool PolicyCache::backing_off(const Entry& entry, std::string_view id, TimePoint now) const {
  return entry.backoff && entry.backoff->id == id && now < entry.backoff->retry_at;
}

bool PolicyCache::refresh_due(const CachedPolicy& policy, TimePoint now) const {
  // RFC 8461 §3.3 suggests a daily refresh; §10.2 wants it "long before" expiry, so a
  // policy with a quarter of its lifetime left is refreshed too.
  const auto lifetime = policy.expires_at - policy.fetched_at;
  const auto left = policy.expires_at - now;
  return now - policy.fetched_at >= config_.body_refresh || left * 4 <= lifetime;
}

}  // namespace mtasts::core
