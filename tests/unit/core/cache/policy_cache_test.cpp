// The policy cache state machine: a golden table with one row per CONFORMANCE.md case
// (tests/testdata/golden/cache.jsonl), then unit tests for capacity, backoff, proactive refresh,
// restore and purge. A fake clock throughout: times are seconds after kT0.

#include "mtasts/core/cache/policy_cache.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "golden.hpp"

namespace mtasts::core {
namespace {

using mtasts::testing::golden_name;
using mtasts::testing::load_golden;
using nlohmann::json;

constexpr TimePoint kT0{Seconds{1'700'000'000}};
constexpr std::string_view kDomain = "example.com";

TimePoint at(std::int64_t seconds) {
  return kT0 + Seconds{seconds};
}

Policy make_policy(PolicyMode mode, std::uint32_t max_age,
                   const std::vector<std::string>& mx = {"mail.example.com"}) {
  Policy policy;
  policy.mode = mode;
  policy.max_age = max_age;
  for (const auto& name : mx) {
    const bool wildcard = name.starts_with("*.");
    policy.mx.push_back(MxPattern{wildcard, wildcard ? name.substr(2) : name});
  }
  return policy;
}

RecordOutcome found(std::string id) {
  return RecordOutcome{RecordOutcome::Kind::found, std::move(id), Seconds{300}};
}

// Caches `id` for `domain` at `t` the way the net layer would: TXT answer, then a fetch.
void prime(PolicyCache& cache, std::string_view domain, std::int64_t t, PolicyMode mode,
           std::uint32_t max_age, const std::string& id = "1") {
  (void)cache.on_record(domain, found(id), at(t));
  (void)cache.on_fetch(domain, id, FetchOutcome::success(make_policy(mode, max_age)), at(t));
}

// Golden rows. A row is {"case", "note", "config"?: {field: seconds or capacity}, "steps": [...]}.
// A step is {"t": seconds after T0, "on": action, "domain"?: default example.com, ..., "expect"?}:
//   lookup                                 PolicyCache::lookup
//   record  kind, id?, ttl?                PolicyCache::on_record
//   fetch   id, policy | failure           PolicyCache::on_fetch
//   prime   id, policy                     on_record(found id) then on_fetch(success)
//   cached                                 PolicyCache::cached, compared as "serve"
//   due     limit? (default 100)           PolicyCache::due_for_refresh, compared as "domains"
// A policy is {"mode", "max_age", "mx"?: default ["mail.example.com"]}; a failure is an
// RFC 8460 result type. In "expect", every key present is compared: serve (null or a subset
// of {id, mode, max_age, mx, fetched_at, expires_at}), step, urgency, fetch_id, reason,
// failure (null or a result type), domains, size. "alert" is always compared, default false:
// a spurious alert is a bug (CONFORMANCE C17).

CacheConfig config_from(const json& row) {
  CacheConfig config;
  if (!row.contains("config")) {
    return config;
  }
  const json& c = row["config"];
  const auto seconds = [&c](const char* key, Seconds& field) {
    if (c.contains(key)) {
      field = Seconds{c[key].get<std::int64_t>()};
    }
  };
  seconds("recheck_interval", config.recheck_interval);
  seconds("body_refresh", config.body_refresh);
  seconds("fetch_backoff_min", config.fetch_backoff_min);
  seconds("fetch_backoff_max", config.fetch_backoff_max);
  seconds("negative_ttl_min", config.negative_ttl_min);
  seconds("negative_ttl_max", config.negative_ttl_max);
  seconds("temp_failure_hold", config.temp_failure_hold);
  if (c.contains("capacity")) {
    config.capacity = c["capacity"].get<std::size_t>();
  }
  return config;
}

PolicyMode mode_from(const std::string& name) {
  if (name == "enforce") {
    return PolicyMode::enforce;
  }
  if (name == "testing") {
    return PolicyMode::testing;
  }
  EXPECT_EQ(name, "none") << "unknown mode";
  return PolicyMode::none;
}

Policy policy_from(const json& p) {
  return make_policy(mode_from(p.at("mode").get<std::string>()),
                     p.at("max_age").get<std::uint32_t>(),
                     p.value("mx", std::vector<std::string>{"mail.example.com"}));
}

FetchOutcome fetch_from(const json& step) {
  if (step.contains("policy")) {
    return FetchOutcome::success(policy_from(step["policy"]));
  }
  const auto name = step.at("failure").get<std::string>();
  for (auto failure :
       {FetchFailure::fetch_error, FetchFailure::policy_invalid, FetchFailure::webpki_invalid}) {
    if (to_string(tlsrpt_result_type(failure)) == name) {
      return FetchOutcome::failed(failure);
    }
  }
  ADD_FAILURE() << "unknown failure " << name;
  return FetchOutcome::failed(FetchFailure::fetch_error);
}

RecordOutcome record_from(const json& step) {
  const auto kind = step.at("kind").get<std::string>();
  RecordOutcome outcome{RecordOutcome::Kind::found, step.value("id", ""),
                        Seconds{step.value("ttl", 300)}};
  if (kind == "no_record") {
    outcome.kind = RecordOutcome::Kind::no_record;
  } else if (kind == "unusable") {
    outcome.kind = RecordOutcome::Kind::unusable;
  } else if (kind == "temp_failure") {
    outcome.kind = RecordOutcome::Kind::temp_failure;
  } else {
    EXPECT_EQ(kind, "found") << "unknown record kind";
  }
  return outcome;
}

std::int64_t since_t0(TimePoint time) {
  return (time - kT0).count();
}

void expect_served(const json& want, const std::shared_ptr<const CachedPolicy>& got) {
  if (want.is_null()) {
    EXPECT_EQ(got, nullptr) << "served id " << got->id;
    return;
  }
  ASSERT_NE(got, nullptr) << "expected a policy, got none";
  for (const auto& [key, value] : want.items()) {
    if (key == "id") {
      EXPECT_EQ(got->id, value.get<std::string>());
    } else if (key == "mode") {
      EXPECT_EQ(mode_name(got->policy.mode), value.get<std::string>());
    } else if (key == "max_age") {
      EXPECT_EQ(got->policy.max_age, value.get<std::uint32_t>());
    } else if (key == "mx") {
      std::vector<std::string> mx;
      for (const auto& pattern : got->policy.mx) {
        mx.push_back(pattern.text());
      }
      EXPECT_EQ(mx, value.get<std::vector<std::string>>());
    } else if (key == "fetched_at") {
      EXPECT_EQ(since_t0(got->fetched_at), value.get<std::int64_t>());
    } else if (key == "expires_at") {
      EXPECT_EQ(since_t0(got->expires_at), value.get<std::int64_t>());
    } else {
      ADD_FAILURE() << "unknown serve key " << key;
    }
  }
}

void expect_decision(const json& want, const Decision& got) {
  EXPECT_EQ(got.alert, want.value("alert", false)) << "alert";
  for (const auto& [key, value] : want.items()) {
    if (key == "serve") {
      expect_served(value, got.serve);
    } else if (key == "step") {
      EXPECT_EQ(step_name(got.step), value.get<std::string>());
    } else if (key == "urgency") {
      EXPECT_EQ(urgency_name(got.urgency), value.get<std::string>());
    } else if (key == "fetch_id") {
      EXPECT_EQ(got.fetch_id, value.get<std::string>());
    } else if (key == "reason") {
      EXPECT_EQ(reason_name(got.reason), value.get<std::string>());
    } else if (key == "failure") {
      const std::string failure =
          got.failure ? std::string(to_string(tlsrpt_result_type(*got.failure))) : "";
      EXPECT_EQ(failure, value.is_null() ? "" : value.get<std::string>()) << "failure";
    } else if (key != "alert" && key != "size") {
      ADD_FAILURE() << "unknown expect key " << key;
    }
  }
}

void run_step(PolicyCache& cache, const json& step) {
  const TimePoint now = at(step.at("t").get<std::int64_t>());
  const auto domain = step.value("domain", std::string(kDomain));
  const auto action = step.at("on").get<std::string>();
  const json want = step.value("expect", json::object());
  if (action == "lookup") {
    expect_decision(want, cache.lookup(domain, now));
  } else if (action == "record") {
    expect_decision(want, cache.on_record(domain, record_from(step), now));
  } else if (action == "fetch") {
    expect_decision(
        want, cache.on_fetch(domain, step.at("id").get<std::string>(), fetch_from(step), now));
  } else if (action == "prime") {
    const auto id = step.at("id").get<std::string>();
    const Decision record = cache.on_record(domain, found(id), now);
    ASSERT_EQ(record.step, Step::fetch_policy) << reason_name(record.reason);
    const Decision fetched = cache.on_fetch(domain, id, fetch_from(step), now);
    EXPECT_EQ(fetched.reason, Reason::fetched);
    expect_decision(want, fetched);
  } else if (action == "cached") {
    expect_served(want.at("serve"), cache.cached(domain, now));
  } else if (action == "due") {
    EXPECT_EQ(cache.due_for_refresh(now, step.value("limit", std::size_t{100})),
              want.at("domains").get<std::vector<std::string>>());
  } else {
    ADD_FAILURE() << "unknown action " << action;
  }
  if (want.contains("size")) {
    EXPECT_EQ(cache.size(), want["size"].get<std::size_t>());
  }
}

class PolicyCacheGolden : public ::testing::TestWithParam<json> {};

TEST_P(PolicyCacheGolden, Run_GoldenSteps_MatchExpectations) {
  const json& row = GetParam();
  SCOPED_TRACE(row.at("case").get<std::string>() + ": " + row.value("note", ""));
  PolicyCache cache(config_from(row));
  const json& steps = row.at("steps");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i) + " " + steps[i].dump());
    run_step(cache, steps[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Conformance, PolicyCacheGolden,
                         ::testing::ValuesIn(load_golden("cache.jsonl")), golden_name);

TEST(PolicyCache, UnknownDomainLookup_CreatesNoEntry) {
  PolicyCache cache(CacheConfig{});
  const Decision decision = cache.lookup(kDomain, at(0));
  EXPECT_EQ(decision.reason, Reason::miss);
  EXPECT_EQ(cache.size(), 0U);
}

constexpr std::uint32_t kWeek = 604800;

CacheConfig with_capacity(std::size_t capacity) {
  CacheConfig config;
  config.capacity = capacity;
  return config;
}

TEST(PolicyCache, CapacityExceeded_EvictsLeastRecentlyUsedPolicy) {
  PolicyCache cache(with_capacity(2));
  prime(cache, "a.example", 0, PolicyMode::enforce, kWeek);
  prime(cache, "b.example", 1, PolicyMode::enforce, kWeek);
  (void)cache.lookup("a.example", at(2));  // b is now least recently used
  prime(cache, "c.example", 3, PolicyMode::enforce, kWeek);
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_NE(cache.cached("a.example", at(4)), nullptr);
  EXPECT_EQ(cache.cached("b.example", at(4)), nullptr);
  EXPECT_NE(cache.cached("c.example", at(4)), nullptr);
}

TEST(PolicyCache, CapacityExceeded_EvictsNegativeEntriesBeforePolicies) {
  PolicyCache cache(with_capacity(3));
  prime(cache, "old-policy.example", 0, PolicyMode::enforce, kWeek);
  (void)cache.on_record("negative.example", RecordOutcome{}, at(1));
  (void)cache.on_fetch("failed.example", "1", FetchOutcome::failed(FetchFailure::fetch_error),
                       at(2));
  (void)cache.lookup("negative.example", at(3));  // recently used, but only a negative entry
  prime(cache, "new.example", 4, PolicyMode::enforce, kWeek);
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_NE(cache.cached("old-policy.example", at(5)), nullptr);
  EXPECT_EQ(cache.lookup("failed.example", at(5)).reason, Reason::miss);  // evicted first
  prime(cache, "newer.example", 6, PolicyMode::enforce, kWeek);
  EXPECT_EQ(cache.lookup("negative.example", at(7)).reason, Reason::miss);
  EXPECT_NE(cache.cached("old-policy.example", at(7)), nullptr);
}

TEST(PolicyCache, CapacityZero_TreatedAsOne) {
  PolicyCache cache(with_capacity(0));
  prime(cache, "a.example", 0, PolicyMode::enforce, kWeek);
  prime(cache, "b.example", 0, PolicyMode::enforce, kWeek);
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_NE(cache.cached("b.example", at(0)), nullptr);
}

// Fails the fetch of id "1" at `t` and returns the second from which it may be retried.
std::int64_t fail_and_get_retry(PolicyCache& cache, std::int64_t t) {
  (void)cache.on_fetch(kDomain, "1", FetchOutcome::failed(FetchFailure::fetch_error), at(t));
  const auto views = cache.entries();
  EXPECT_EQ(views.size(), 1U);
  return views.empty() || !views[0].retry_at ? -1 : since_t0(*views[0].retry_at);
}

TEST(PolicyCache, RepeatedFetchFailures_BackoffDoublesUpToMax) {
  PolicyCache cache(CacheConfig{});  // 300 s doubling to 3600 s
  std::int64_t t = 0;
  for (const std::int64_t delay : {300, 600, 1200, 2400, 3600, 3600}) {
    const std::int64_t retry = fail_and_get_retry(cache, t);
    EXPECT_EQ(retry - t, delay) << "failure at " << t;
    EXPECT_EQ(cache.on_record(kDomain, found("1"), at(retry - 1)).reason, Reason::backoff);
    EXPECT_EQ(cache.on_record(kDomain, found("1"), at(retry)).step, Step::fetch_policy);
    t = retry;
  }
}

TEST(PolicyCache, FailureWhileBackingOff_DoesNotDoubleAgain) {
  PolicyCache cache(CacheConfig{});
  EXPECT_EQ(fail_and_get_retry(cache, 0), 300);
  // An overlapping fetch of the same id fails too: the delay stays 300 s.
  EXPECT_EQ(fail_and_get_retry(cache, 10), 310);
}

TEST(PolicyCache, FetchSuccess_ClearsBackoff) {
  PolicyCache cache(CacheConfig{});
  (void)fail_and_get_retry(cache, 0);
  (void)fail_and_get_retry(cache, 300);
  (void)cache.on_fetch(kDomain, "1", FetchOutcome::success(make_policy(PolicyMode::enforce, 1000)),
                       at(900));
  EXPECT_FALSE(cache.entries().at(0).retry_at.has_value());
  EXPECT_EQ(fail_and_get_retry(cache, 1000), 1300);  // starts again at the minimum
}

TEST(PolicyCache, DueForRefresh_MostRecentlyUsedFirstWithinLimit) {
  PolicyCache cache(CacheConfig{});
  prime(cache, "a.example", 0, PolicyMode::enforce, 2592000);
  prime(cache, "b.example", 0, PolicyMode::enforce, 2592000);
  prime(cache, "c.example", 0, PolicyMode::enforce, 2592000);
  (void)cache.lookup("a.example", at(100));
  EXPECT_TRUE(cache.due_for_refresh(at(86399), 10).empty());
  EXPECT_EQ(cache.due_for_refresh(at(86400), 10),
            (std::vector<std::string>{"a.example", "c.example", "b.example"}));
  EXPECT_EQ(cache.due_for_refresh(at(86400), 2),
            (std::vector<std::string>{"a.example", "c.example"}));
}

TEST(PolicyCache, DueForRefresh_QuarterOfLifetimeLeft_IsDue) {
  PolicyCache cache(CacheConfig{});
  prime(cache, kDomain, 0, PolicyMode::enforce, 40000);
  EXPECT_TRUE(cache.due_for_refresh(at(29999), 10).empty());
  EXPECT_EQ(cache.due_for_refresh(at(30000), 10).size(), 1U);
}

TEST(PolicyCache, DueForRefresh_SkipsBackingOffExpiredAndNegative) {
  PolicyCache cache(CacheConfig{});
  prime(cache, "failing.example", 0, PolicyMode::enforce, 2592000);
  prime(cache, "short.example", 0, PolicyMode::enforce, 3600);
  (void)cache.on_record("none.example", RecordOutcome{}, at(0));
  (void)cache.on_fetch("failing.example", "1", FetchOutcome::failed(FetchFailure::fetch_error),
                       at(86400));
  EXPECT_TRUE(cache.due_for_refresh(at(86401), 10).empty());
  EXPECT_EQ(cache.due_for_refresh(at(86700), 10), std::vector<std::string>{"failing.example"});
}

TEST(PolicyCache, Restore_ServesPolicyAndRechecksOnFirstLookup) {
  PolicyCache cache(CacheConfig{});
  EXPECT_TRUE(cache.restore(
      std::string(kDomain),
      CachedPolicy{make_policy(PolicyMode::enforce, 86400), "7", at(-100), at(86300)}, at(0)));
  const Decision decision = cache.lookup(kDomain, at(0));
  ASSERT_NE(decision.serve, nullptr);
  EXPECT_EQ(decision.serve->id, "7");
  EXPECT_EQ(decision.step, Step::check_record);
  EXPECT_EQ(decision.urgency, Urgency::background);
  EXPECT_EQ(cache.on_record(kDomain, found("7"), at(1)).reason, Reason::unchanged);
}

TEST(PolicyCache, Restore_ExpiredOrOlderThanCached_Ignored) {
  PolicyCache cache(CacheConfig{});
  const Policy policy = make_policy(PolicyMode::enforce, 86400);
  EXPECT_FALSE(cache.restore("gone.example", CachedPolicy{policy, "1", at(-200), at(-1)}, at(0)));
  EXPECT_EQ(cache.size(), 0U);
  prime(cache, kDomain, 0, PolicyMode::enforce, 86400, "2");
  EXPECT_FALSE(cache.restore(kDomain, CachedPolicy{policy, "1", at(-5), at(86395)}, at(1)));
  EXPECT_EQ(cache.cached(kDomain, at(1))->id, "2");
  EXPECT_TRUE(cache.restore(kDomain, CachedPolicy{policy, "3", at(1), at(86401)}, at(1)));
  EXPECT_EQ(cache.cached(kDomain, at(1))->id, "3");
}

TEST(PolicyCache, Restore_ExpiryBeyondMaxAgeLimit_Capped) {
  PolicyCache cache(CacheConfig{});
  EXPECT_TRUE(cache.restore(
      std::string(kDomain),
      CachedPolicy{make_policy(PolicyMode::enforce, 86400), "1", at(0), at(100'000'000)}, at(0)));
  EXPECT_EQ(since_t0(cache.cached(kDomain, at(0))->expires_at), 31557600);
}

TEST(PolicyCache, Purge_ForgetsPolicyNegativeAndBackoff) {
  PolicyCache cache(CacheConfig{});
  prime(cache, kDomain, 0, PolicyMode::enforce, 86400);
  (void)cache.on_record("none.example", RecordOutcome{}, at(0));
  EXPECT_TRUE(cache.purge(kDomain));
  EXPECT_TRUE(cache.purge("none.example"));
  EXPECT_FALSE(cache.purge("never.example"));
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_EQ(cache.lookup(kDomain, at(1)).reason, Reason::miss);
  EXPECT_EQ(cache.lookup("none.example", at(1)).reason, Reason::miss);
  EXPECT_TRUE(cache.entries().empty());
}

TEST(PolicyCache, Entries_ShowPoliciesFirstWithNegativeAndBackoffPeriods) {
  PolicyCache cache(CacheConfig{});
  (void)cache.on_record("none.example",
                        RecordOutcome{RecordOutcome::Kind::no_record, "", Seconds{600}}, at(0));
  prime(cache, kDomain, 0, PolicyMode::enforce, 86400);
  (void)cache.on_fetch(kDomain, "2", FetchOutcome::failed(FetchFailure::webpki_invalid), at(10));
  const auto views = cache.entries();
  ASSERT_EQ(views.size(), 2U);
  EXPECT_EQ(views[0].domain, kDomain);
  ASSERT_NE(views[0].policy, nullptr);
  EXPECT_EQ(views[0].failed_id, "2");
  EXPECT_EQ(since_t0(views[0].retry_at.value()), 310);
  EXPECT_EQ(views[1].domain, "none.example");
  EXPECT_EQ(views[1].policy, nullptr);
  EXPECT_EQ(since_t0(views[1].no_policy_until.value()), 600);
}

TEST(PolicyCacheNames, EveryReason_HasDistinctStableName) {
  std::vector<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(Reason::fetch_failed_none); ++i) {
    names.push_back(reason_name(static_cast<Reason>(i)));
    EXPECT_NE(names.back(), "unknown");
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

TEST(PolicyCacheNames, FetchFailure_MapsToRfc8460ResultType) {
  const std::pair<FetchFailure, TlsrptResultType> table[] = {
      {FetchFailure::fetch_error, TlsrptResultType::sts_policy_fetch_error},
      {FetchFailure::policy_invalid, TlsrptResultType::sts_policy_invalid},
      {FetchFailure::webpki_invalid, TlsrptResultType::sts_webpki_invalid},
  };
  for (const auto& [failure, type] : table) {
    EXPECT_EQ(tlsrpt_result_type(failure), type) << to_string(type);
  }
}

}  // namespace
}  // namespace mtasts::core
