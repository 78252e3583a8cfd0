#include "memory_store.hpp"

#include <algorithm>

#include "mtasts/store/value_codec.hpp"

namespace mtasts::store {

MemoryStore::MemoryStore(std::size_t capacity)
    : PolicyStore("memory"), capacity_(std::max<std::size_t>(1, capacity)) {}

Result<std::optional<StoredPolicy>> MemoryStore::do_get(std::string_view domain, TimePoint now) {
  auto entries = entries_.lock();
  const auto it = entries->find(domain);
  if (it == entries->end() || it->second.expires_at < now) {
    return std::optional<StoredPolicy>();
  }
  return decode_policy_value(domain, it->second.value).transform([](StoredPolicy p) {
    return std::optional<StoredPolicy>(std::move(p));
  });
}

Result<void> MemoryStore::do_put(const StoredPolicy& policy) {
  Entry entry{encode_policy_value(policy), policy.fetched_at, policy.expires_at};
  auto entries = entries_.lock();
  const auto it = entries->find(policy.domain);
  if (it != entries->end()) {
    if (it->second.fetched_at <= policy.fetched_at) {
      it->second = std::move(entry);
    }
    return {};
  }
  make_room(*entries, capacity_, policy.fetched_at);
  entries->emplace(policy.domain, std::move(entry));
  return {};
}

void MemoryStore::make_room(Map& entries, std::size_t capacity, TimePoint now) {
  if (entries.size() < capacity) {
    return;
  }
  std::erase_if(entries, [now](const auto& item) { return item.second.expires_at < now; });
  if (entries.size() < capacity) {
    return;
  }
  // A linear scan, but only when full of live entries: the store is meant for tests and
  // small sites; the daemon's bounded in-process cache is core::PolicyCache.
  const auto first = std::min_element(entries.begin(), entries.end(), [](auto& a, auto& b) {
    return a.second.expires_at < b.second.expires_at;
  });
  entries.erase(first);
}

Result<bool> MemoryStore::do_erase(std::string_view domain) {
  auto entries = entries_.lock();
  const auto it = entries->find(domain);
  if (it == entries->end()) {
    return false;
  }
  entries->erase(it);
  return true;
}

Result<std::vector<StoredPolicy>> MemoryStore::page(const PageQuery& query) {
  std::vector<StoredPolicy> out;
  auto entries = entries_.lock();
  for (auto it = entries->upper_bound(query.after);
       it != entries->end() && out.size() < query.limit; ++it) {
    if (it->second.expires_at < query.now) {
      continue;
    }
    // Values were encoded here from validated policies, so they decode.
    if (auto policy = decode_policy_value(it->first, it->second.value)) {
      out.push_back(std::move(*policy));
    }
  }
  return out;
}

Result<std::size_t> MemoryStore::do_purge(TimePoint now) {
  auto entries = entries_.lock();
  return std::erase_if(*entries, [now](const auto& item) { return item.second.expires_at < now; });
}

}  // namespace mtasts::store
