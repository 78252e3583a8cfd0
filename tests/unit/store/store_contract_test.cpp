// The PolicyStore contract, run against every backend: memory, SQLite in a scratch directory,
// and the real Redis and PostgreSQL servers of scripts/start-test-stores.sh.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "mtasts/core/sts/policy.hpp"
#include "store_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::seconds;

using Backend = StoreType;

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Backend::memory:
        config_ = StoreConfig{};
        config_->type = StoreType::memory;
        break;
      case Backend::sqlite:
        config_ = StoreConfig{};
        config_->type = StoreType::sqlite;
        config_->filename = (dir_.path() / "state" / "cache.db").string();
        break;
      case Backend::redis:
        config_ = redis_config();
        break;
      case Backend::postgres:
        config_ = postgres_config();
        break;
    }
    ASSERT_TRUE(config_.has_value());
    store_ = open_or_fail(*config_);
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    if (store_ && GetParam() == Backend::redis) {
      // Keys expire by themselves; remove them now anyway.
      if (auto all = store_->list(TimePoint{}, SIZE_MAX)) {
        for (const StoredPolicy& policy : *all) {
          (void)store_->erase(policy.domain);
        }
      }
    }
    store_.reset();
    if (config_ && GetParam() == Backend::postgres) {
      drop_postgres_table(*config_);
    }
  }

  // The stored policy for `domain`, nullopt if none; a failure if the store fails.
  std::optional<StoredPolicy> fetch(std::string_view domain, TimePoint now) {
    auto got = store_->get(domain, now);
    EXPECT_TRUE(got.has_value()) << got.error().message;
    return got ? *got : std::nullopt;
  }

  std::vector<std::string> listed(TimePoint now, std::size_t limit) {
    std::vector<std::string> domains;
    auto all = store_->list(now, limit);
    EXPECT_TRUE(all.has_value()) << all.error().message;
    if (all) {
      for (const StoredPolicy& policy : *all) {
        domains.push_back(policy.domain);
      }
    }
    return domains;
  }

  ScratchDir dir_;
  std::optional<StoreConfig> config_;
  std::unique_ptr<PolicyStore> store_;
  const TimePoint now_ = wall_now();
};

TEST_P(StoreContract, Get_NothingStored_ReturnsNothing) {
  EXPECT_EQ(fetch("example.com", now_), std::nullopt);
}

TEST_P(StoreContract, PutThenGet_RoundTripsEveryField) {
  StoredPolicy policy = make_policy("example.com", "20240101T000000", now_ - seconds(5));
  policy.body += "unicode: caf\xc3\xa9\r\n";
  EXPECT_OK(store_->put(policy));
  EXPECT_EQ(fetch("example.com", now_), policy);
  EXPECT_EQ(fetch("example.org", now_), std::nullopt);
  EXPECT_EQ(store_->name(), backend_name(GetParam()));
}

TEST_P(StoreContract, StoredBody_ParsesBackToTheCachedPolicy) {
  auto policy = core::parse_policy(policy_body("*.mx.example.com"));
  ASSERT_TRUE(policy.has_value());
  const core::CachedPolicy cached{*policy, "id1", now_, now_ + seconds(policy->max_age)};
  EXPECT_OK(store_->put(to_stored("example.com", cached)));
  const auto stored = fetch("example.com", now_);
  ASSERT_TRUE(stored.has_value());
  const auto restored = to_cached(*stored);
  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  EXPECT_EQ(restored->policy, cached.policy);
  EXPECT_EQ(restored->id, "id1");
  EXPECT_EQ(restored->fetched_at, cached.fetched_at);
  EXPECT_EQ(restored->expires_at, cached.expires_at);
}

TEST_P(StoreContract, Get_ServedThroughExpiresAt_NotAfter) {
  EXPECT_OK(store_->put(make_policy("example.com", "id1", now_, seconds(60))));
  EXPECT_NE(fetch("example.com", now_ + seconds(60)), std::nullopt);
  EXPECT_EQ(fetch("example.com", now_ + seconds(61)), std::nullopt);
}

TEST_P(StoreContract, Put_OlderFetch_KeepsTheNewerOne) {
  const StoredPolicy newer = make_policy("example.com", "new", now_);
  EXPECT_OK(store_->put(newer));
  EXPECT_OK(store_->put(make_policy("example.com", "old", now_ - seconds(30))));
  EXPECT_EQ(fetch("example.com", now_), newer);
}

TEST_P(StoreContract, Put_NewerOrSameFetchTime_Replaces) {
  EXPECT_OK(store_->put(make_policy("example.com", "old", now_ - seconds(30))));
  const StoredPolicy newer = make_policy("example.com", "new", now_, seconds(600));
  EXPECT_OK(store_->put(newer));
  EXPECT_EQ(fetch("example.com", now_), newer);
  const StoredPolicy same_time = make_policy("example.com", "same", now_, seconds(900));
  EXPECT_OK(store_->put(same_time));
  EXPECT_EQ(fetch("example.com", now_), same_time);
}

TEST_P(StoreContract, Erase_RemovesAndReportsWhetherAnythingWasThere) {
  EXPECT_OK(store_->put(make_policy("example.com", "id1", now_)));
  auto erased = store_->erase("example.com");
  ASSERT_TRUE(erased.has_value()) << erased.error().message;
  EXPECT_TRUE(*erased);
  EXPECT_EQ(fetch("example.com", now_), std::nullopt);
  erased = store_->erase("example.com");
  ASSERT_TRUE(erased.has_value()) << erased.error().message;
  EXPECT_FALSE(*erased);
}

TEST_P(StoreContract, List_SortedByDomain_LiveOnly_UpToLimit) {
  for (const char* domain : {"c.example", "a.example", "b.example"}) {
    EXPECT_OK(store_->put(make_policy(domain, "id", now_)));
  }
  EXPECT_OK(store_->put(make_policy("0-expired.example", "id", now_ - seconds(200), seconds(100))));
  EXPECT_EQ(listed(now_, 10), (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_EQ(listed(now_, 2), (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(listed(now_, 0), std::vector<std::string>{});
}

TEST_P(StoreContract, Visit_SeveralPages_EachLivePolicyOnce) {
  constexpr int kCount = 1100;  // more than two pages of the keyset and SCAN batches
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(store_->put(make_policy("d" + std::to_string(i) + ".example", "id", now_)));
  }
  EXPECT_OK(store_->put(make_policy("expired.example", "id", now_ - seconds(200), seconds(100))));
  std::multiset<std::string> seen;
  const auto visited = store_->visit(now_, [&](const StoredPolicy& policy) {
    seen.insert(policy.domain);
    EXPECT_EQ(policy.body, policy_body("mx1." + policy.domain));
  });
  ASSERT_TRUE(visited.has_value()) << visited.error().message;
  EXPECT_EQ(*visited, static_cast<std::size_t>(kCount));
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  EXPECT_EQ(seen.count("expired.example"), 0U);
}

TEST_P(StoreContract, PurgeExpired_DropsOnlyExpired) {
  EXPECT_OK(store_->put(make_policy("live.example", "id", now_)));
  EXPECT_OK(store_->put(make_policy("old.example", "id", now_ - seconds(200), seconds(100))));
  const auto purged = store_->purge_expired(now_);
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  // Redis dropped the expired key by itself (SET ... EXAT), so it has nothing to purge.
  EXPECT_EQ(*purged, GetParam() == Backend::redis ? 0U : 1U);
  EXPECT_EQ(fetch("old.example", now_ - seconds(150)), std::nullopt);
  EXPECT_NE(fetch("live.example", now_), std::nullopt);
}

TEST_P(StoreContract, Put_InvalidPolicy_InvalidArgument) {
  StoredPolicy empty_domain = make_policy("x.example", "id", now_);
  empty_domain.domain.clear();
  StoredPolicy backwards = make_policy("x.example", "id", now_);
  backwards.expires_at = now_ - seconds(1);
  StoredPolicy huge = make_policy("x.example", "id", now_);
  huge.body.assign(core::kMaxPolicySize + 1, 'x');
  for (const StoredPolicy& bad : {empty_domain, backwards, huge}) {
    const auto put = store_->put(bad);
    ASSERT_FALSE(put.has_value());
    EXPECT_EQ(put.error().code, Errc::invalid_argument) << put.error().message;
  }
}

TEST_P(StoreContract, ConcurrentPuts_FromSeveralThreads_AllStored) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string domain = "t" + std::to_string(t) + "-" + std::to_string(i) + ".example";
        EXPECT_OK(store_->put(make_policy(domain, "id", now_)));
        EXPECT_OK(store_->get(domain, now_));
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(listed(now_, SIZE_MAX).size(), 200U);
}

// The stores that outlive their handle (not memory, which is private to its process).
class PersistentStore : public StoreContract {};

TEST_P(PersistentStore, SecondHandle_SeesWhatTheFirstStored) {
  // Daemon A fetched the policy; daemon B (another handle: a restart, or another MTA of the
  // fleet) enforces it while the policy host is down.
  const StoredPolicy policy = make_policy("example.com", "id1", now_);
  EXPECT_OK(store_->put(policy));
  auto other = open_or_fail(*config_);
  ASSERT_NE(other, nullptr);
  auto got = other->get("example.com", now_);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, policy);
  store_.reset();  // the first daemon stops
  got = other->get("example.com", now_ + seconds(3600));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, policy);
  store_ = std::move(other);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(Backend::memory, Backend::sqlite, Backend::redis,
                                           Backend::postgres),
                         BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, PersistentStore,
                         ::testing::Values(Backend::sqlite, Backend::redis, Backend::postgres),
                         BackendParamName());

}  // namespace
}  // namespace mtasts::store::test
