// The policy cache: decision speed on a hit, and the heap held per cached policy (the daemon's
// memory target is 100,000 policies in 64 MiB).

#include <benchmark/benchmark.h>
#include <malloc.h>

#include "mtasts/core/cache/policy_cache.hpp"
#include "mtasts/core/sts/policy.hpp"

namespace {

using namespace mtasts::core;

// A typical policy: two MX names and a wildcard, as large providers publish. Distinct for
// every `i`, so nothing is shared between entries.
Policy typical_policy(std::size_t i) {
  const std::string d = "customer" + std::to_string(i) + ".example";
  return parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mx1." + d + "\r\nmx: mx2." + d +
                      "\r\nmx: *.mail.protection.example.net\r\nmax_age: 604800\r\n")
      .value();
}

// The same with max_age before the mx lines, as many hosts serve it: not the canonical form,
// so the policy keeps its field lines too (Policy::lines).
Policy served_order_policy(std::size_t i) {
  const std::string d = "customer" + std::to_string(i) + ".example";
  return parse_policy("version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\nmx: mx1." + d +
                      "\r\nmx: mx2." + d + "\r\nmx: *.mail.protection.example.net\r\n")
      .value();
}

// Bytes allocated, chunk overhead included; large blocks (the cache's index) are mmapped.
std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

void cache_heap_per_policy(benchmark::State& state, Policy (*make)(std::size_t)) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const TimePoint now{std::chrono::seconds{1'700'000'000}};
  double per_entry = 0;
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    {
      PolicyCache cache(CacheConfig{.capacity = n});
      for (std::size_t i = 0; i < n; ++i) {
        CachedPolicy p{make(i), "20240601", now, now + std::chrono::seconds{604800}};
        cache.restore("customer" + std::to_string(i) + ".example", std::move(p), now);
      }
      per_entry = static_cast<double>(heap_in_use() - before) / static_cast<double>(n);
      benchmark::DoNotOptimize(cache.size());
    }
  }
  state.counters["heap_bytes_per_policy"] = per_entry;
}

void BM_CacheHeapPerPolicy(benchmark::State& state) {
  cache_heap_per_policy(state, typical_policy);
}
BENCHMARK(BM_CacheHeapPerPolicy)->Arg(100'000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_CacheHeapPerServedOrderPolicy(benchmark::State& state) {
  cache_heap_per_policy(state, served_order_policy);
}
BENCHMARK(BM_CacheHeapPerServedOrderPolicy)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_CacheLookupHit(benchmark::State& state) {
  const TimePoint now{std::chrono::seconds{1'700'000'000}};
  PolicyCache cache(CacheConfig{});
  for (std::size_t i = 0; i < 10'000; ++i) {
    const std::string domain = "customer" + std::to_string(i) + ".example";
    (void)cache.lookup(domain, now);
    (void)cache.on_record(domain, RecordOutcome{RecordOutcome::Kind::found, "1", {}}, now);
    (void)cache.on_fetch(domain, "1", FetchOutcome::success(typical_policy(i)), now);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string domain = "customer" + std::to_string(i++ % 10'000) + ".example";
    auto decision = cache.lookup(domain, now);
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_CacheLookupHit);

}  // namespace
