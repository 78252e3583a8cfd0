#include "memory_store.hpp"

#include <algorithm>

#include "keyset_pages.hpp"
#include "mtasts/store/value_codec.hpp"

namespace mtasts::store {

MemoryStore::MemoryStore(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

Result<std::optional<StoredPolicy>> MemoryStore::get(std::string_view domain, TimePoint now) {
  auto entries = entries_.lock();
  const auto it = entries->find(domain);
  if (it == entries->end() || it->second.expires_at < now) {
    return std::optional<StoredPolicy>();
  }
  return decode_policy_value(domain, it->second.value).transform([](StoredPolicy p) {
    return std::optional<StoredPolicy>(std::move(p));
  });
}

Result<void> MemoryStore::put(const StoredPolicy& policy) {
  if (auto valid = validate(policy); !valid) {
    return valid;
  }
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

Result<bool> MemoryStore::erase(std::string_view domain) {
  auto entries = entries_.lock();
  const auto it = entries->find(domain);
  if (it == entries->end()) {
    return false;
  }
  entries->erase(it);
  return true;
}

std::vector<StoredPolicy> MemoryStore::page(TimePoint now, const std::string& after,
                                            std::size_t limit) {
  std::vector<StoredPolicy> out;
  auto entries = entries_.lock();
  for (auto it = entries->upper_bound(after); it != entries->end() && out.size() < limit; ++it) {
    if (it->second.expires_at < now) {
      continue;
    }
    // Values were encoded here from validated policies, so they decode.
    if (auto policy = decode_policy_value(it->first, it->second.value)) {
      out.push_back(std::move(*policy));
    }
  }
  return out;
}

Result<std::vector<StoredPolicy>> MemoryStore::list(TimePoint now, std::size_t limit) {
  return page(now, std::string(), limit);
}

Result<std::size_t> MemoryStore::visit(TimePoint now,
                                       const std::function<void(const StoredPolicy&)>& visitor) {
  return visit_keyset_pages(
      [&](const std::string& after, std::size_t limit) -> Result<std::vector<StoredPolicy>> {
        return page(now, after, limit);
      },
      visitor);
}

Result<std::size_t> MemoryStore::purge_expired(TimePoint now) {
  auto entries = entries_.lock();
  return std::erase_if(*entries, [now](const auto& item) { return item.second.expires_at < now; });
}

}  // namespace mtasts::store
