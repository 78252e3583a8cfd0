// The policy cache's storage (policy_cache_entries.hpp) through the public API: a long random
// run against a plain model of the two recency lists (lookup, record, fetch, purge, eviction),
// and growth and removal of many entries with short and long domain names.

#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mtasts/core/cache/policy_cache.hpp"

namespace mtasts::core {
namespace {

constexpr TimePoint kNow{Seconds{1'700'000'000}};

Policy enforce_policy(const std::string& mx) {
  Policy policy;
  policy.mode = PolicyMode::enforce;
  policy.max_age = 604800;
  policy.mx.push_back(MxPattern{false, mx});
  return policy;
}

// Names of 9 to 60 bytes: some held inside the entry, some on the heap.
std::string name(std::size_t i) {
  return std::string(i % 7 == 0 ? 40 : 0, 'x') + "d" + std::to_string(i) + ".example";
}

// What the cache should hold: domains by recency, usable policies and the others apart.
class Model {
 public:
  explicit Model(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] bool has(const std::string& d) const { return where_.count(d) != 0; }
  [[nodiscard]] bool usable(const std::string& d) const { return has(d) && where_.at(d); }
  [[nodiscard]] std::size_t size() const { return where_.size(); }

  void create(const std::string& d) {
    if (has(d)) {
      return;
    }
    if (size() >= capacity_) {
      auto& victims = others_.empty() ? policies_ : others_;
      where_.erase(victims.back());
      victims.pop_back();
    }
    where_[d] = false;
    others_.push_front(d);
  }
  void touch(const std::string& d, bool usable) {
    (where_[d] ? policies_ : others_).remove(d);
    (usable ? policies_ : others_).push_front(d);
    where_[d] = usable;
  }
  void purge(const std::string& d) {
    if (has(d)) {
      (where_[d] ? policies_ : others_).remove(d);
      where_.erase(d);
    }
  }
  [[nodiscard]] std::vector<std::string> order() const {
    std::vector<std::string> out(policies_.begin(), policies_.end());
    out.insert(out.end(), others_.begin(), others_.end());
    return out;
  }

 private:
  std::size_t capacity_;
  std::map<std::string, bool> where_;  // domain -> holds a usable policy
  std::list<std::string> policies_;
  std::list<std::string> others_;
};

std::vector<std::string> order_of(const PolicyCache& cache) {
  std::vector<std::string> out;
  for (const auto& view : cache.entries()) {
    out.push_back(view.domain);
  }
  return out;
}

TEST(PolicyCacheStorage, RandomOperations_MatchModelOfRecencyAndEviction) {
  constexpr std::size_t kCapacity = 40;
  PolicyCache cache(CacheConfig{.capacity = kCapacity});
  Model model(kCapacity);
  std::mt19937 random(8461);
  std::uniform_int_distribution<std::size_t> pick(0, 119);
  std::uniform_int_distribution<int> action(0, 3);
  for (int step = 0; step < 20000; ++step) {
    const std::string d = name(pick(random));
    switch (action(random)) {
      case 0:  // lookup: touches an existing entry, never creates one
        (void)cache.lookup(d, kNow);
        if (model.has(d)) {
          model.touch(d, model.usable(d));
        }
        break;
      case 1:  // no record: a negative entry, or a kept policy
        (void)cache.on_record(d, RecordOutcome{}, kNow);
        model.create(d);
        model.touch(d, model.usable(d));
        break;
      case 2:  // a record and a fetched policy
        (void)cache.on_record(d, RecordOutcome{RecordOutcome::Kind::found, "1", {}}, kNow);
        model.create(d);
        model.touch(d, model.usable(d));
        (void)cache.on_fetch(d, "1", FetchOutcome::success(enforce_policy("mx." + d)), kNow);
        model.touch(d, true);
        break;
      case 3:
        EXPECT_EQ(cache.purge(d), model.has(d)) << d;
        model.purge(d);
        break;
    }
    ASSERT_EQ(cache.size(), model.size()) << "step " << step;
    if (step % 97 == 0) {
      ASSERT_EQ(order_of(cache), model.order()) << "step " << step;
    }
  }
  EXPECT_EQ(order_of(cache), model.order());
}

TEST(PolicyCacheStorage, ManyEntries_AllFoundThenAllPurged) {
  PolicyCache cache(CacheConfig{.capacity = 100000});
  constexpr std::size_t kCount = 5000;
  for (std::size_t i = 0; i < kCount; ++i) {
    (void)cache.on_fetch(name(i), "1", FetchOutcome::success(enforce_policy("mx." + name(i))),
                         kNow);
  }
  ASSERT_EQ(cache.size(), kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    const auto policy = cache.cached(name(i), kNow);
    ASSERT_NE(policy, nullptr) << name(i);
    EXPECT_EQ((*policy->policy.mx.begin()).domain, "mx." + name(i));
  }
  EXPECT_EQ(cache.cached(name(kCount), kNow), nullptr);
  std::vector<std::size_t> order(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    order[i] = i;
  }
  std::shuffle(order.begin(), order.end(), std::mt19937(25));
  for (std::size_t n = 0; n < kCount; ++n) {
    ASSERT_TRUE(cache.purge(name(order[n])));
    if (n % 500 == 0) {  // the rest stay reachable across removals
      for (std::size_t m = n + 1; m < kCount; ++m) {
        ASSERT_NE(cache.cached(name(order[m]), kNow), nullptr) << name(order[m]);
      }
    }
  }
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_TRUE(cache.entries().empty());
  // Freed slots are reused.
  (void)cache.on_record("again.example", RecordOutcome{}, kNow);
  EXPECT_EQ(order_of(cache), std::vector<std::string>{"again.example"});
}

}  // namespace
}  // namespace mtasts::core
